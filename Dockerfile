# tutorbot: an async Telegram study tutor. Build: docker build -t tutorbot .
# Run: docker run -d --env-file .env -v tutorbot-data:/data tutorbot
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first (a layer that changes only with pyproject.toml or the lock): the runtime
# requirements of pyproject.toml, pinned by requirements.lock.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/runtime.txt \
    && pip install --no-cache-dir -c requirements.lock -r /tmp/runtime.txt \
    && rm /tmp/runtime.txt

COPY README.md LICENSE CHANGELOG.md SECURITY.md setup.py MANIFEST.in ./
COPY bot/ bot/
COPY lessons/ lessons/
RUN pip install --no-cache-dir --no-deps . \
    && useradd --no-log-init --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin tutorbot \
    && mkdir -p /data \
    && chown tutorbot:tutorbot /data

ENV DATABASE_URL=sqlite+aiosqlite:////data/tutorbot.db \
    HEARTBEAT_FILE=/data/heartbeat \
    LESSONS_DIR=/app/lessons \
    MPLCONFIGDIR=/tmp/matplotlib

USER 10001
WORKDIR /data
VOLUME ["/data"]

HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["tutorbot", "healthcheck"]

STOPSIGNAL SIGTERM
CMD ["tutorbot", "run"]
