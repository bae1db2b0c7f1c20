# tutorbot: an async Telegram study tutor. Build: docker build -t tutorbot .
# Run: docker run -d --env-file .env -v tutorbot-data:/data tutorbot
# Two stages: the builder makes the wheel (the course ships inside it as bot/_lessons) and a venv
# in /opt/tutorbot (without pip and the packages' own test suites); the final stage gets only that
# venv and the prebuilt matplotlib font cache.
# The base is pinned to an exact Python release; pin a digest too (python:...@sha256:...) where
# the registry is reachable: docker buildx imagetools inspect python:3.11.14-slim-bookworm
FROM python:3.11.14-slim-bookworm AS builder

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src

# Dependencies first (a layer that changes only with pyproject.toml or the lock): the runtime
# requirements of pyproject.toml, pinned by requirements.lock, into the venv.
COPY pyproject.toml requirements.lock ./
RUN python -m venv /opt/tutorbot \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/runtime.txt \
    && /opt/tutorbot/bin/pip install --no-cache-dir -c requirements.lock -r /tmp/runtime.txt

COPY README.md LICENSE CHANGELOG.md SECURITY.md setup.py MANIFEST.in ./
COPY bot/ bot/
COPY lessons/ lessons/
RUN /opt/tutorbot/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /tmp/wheels . \
    && /opt/tutorbot/bin/pip install --no-cache-dir --no-deps /tmp/wheels/tutorbot-*.whl \
    && /opt/tutorbot/bin/pip uninstall --yes pip \
    && find /opt/tutorbot/lib -type d -name tests -prune -exec rm -rf {} + \
    && mkdir -p /opt/mplconfig \
    && MPLCONFIGDIR=/opt/mplconfig /opt/tutorbot/bin/python -c "import matplotlib.font_manager"

FROM python:3.11.14-slim-bookworm

# The repository the image was built from: docker build --build-arg SOURCE_URL=https://... .
ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="tutorbot" \
      org.opencontainers.image.description="An async Telegram study tutor: scheduled micro-lessons, quizzes, spaced repetition and study groups." \
      org.opencontainers.image.version="0.2.0" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${SOURCE_URL}"

RUN useradd --no-log-init --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin tutorbot \
    && mkdir -p /data \
    && chown tutorbot:tutorbot /data

COPY --from=builder /opt/tutorbot /opt/tutorbot
COPY --from=builder --chown=10001:10001 /opt/mplconfig /opt/mplconfig

ENV PATH=/opt/tutorbot/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/tutorbot.db \
    DATA_DIR=/data \
    HEARTBEAT_FILE=/data/heartbeat \
    MPLCONFIGDIR=/opt/mplconfig

USER 10001
WORKDIR /data
VOLUME ["/data"]

# 8443: the webhook (WEBHOOK_URL set); 8080: the health and metrics endpoint (HEALTH_PORT=8080).
EXPOSE 8443 8080

HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["tutorbot", "healthcheck"]

STOPSIGNAL SIGTERM
CMD ["tutorbot", "run"]
