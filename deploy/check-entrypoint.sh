#!/usr/bin/env bash
# Check the Docker image's entry command without a container engine: install the project into a
# fresh virtual environment exactly as the Dockerfile does (runtime dependencies pinned by
# requirements.lock, then the package), and run `tutorbot run` / `tutorbot healthcheck` with the
# image's environment. Needs network access to PyPI. Usage: deploy/check-entrypoint.sh [PYTHON]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-${PYTHON:-python3}}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "check-entrypoint: FAIL: $*" >&2; exit 1; }

echo "check-entrypoint: fresh venv with $("$python" --version) in $work"
"$python" -m venv "$work/venv"
"$python" -c "import tomllib; print('\n'.join(tomllib.load(open('$root/pyproject.toml', 'rb'))['project']['dependencies']))" > "$work/runtime.txt"
"$work/venv/bin/pip" install --quiet --no-cache-dir -c "$root/requirements.lock" -r "$work/runtime.txt"
# Build from a copy holding only what the image copies (no egg-info or caches from the tree).
mkdir "$work/src"
cp -r "$root/pyproject.toml" "$root/README.md" "$root/bot" "$root/lessons" "$work/src/"
"$work/venv/bin/pip" install --quiet --no-cache-dir --no-deps "$work/src"

mkdir "$work/data"
cd "$work/data"   # WORKDIR /data
run() {
  env -u TELEGRAM_BOT_TOKEN \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DATABASE_URL="sqlite+aiosqlite:///$work/data/tutorbot.db" \
    HEARTBEAT_FILE="$work/data/heartbeat" \
    LESSONS_DIR="$root/lessons" \
    MPLCONFIGDIR="$work/matplotlib" \
    "$work/venv/bin/tutorbot" "$@"
}

status=0
run run < /dev/null > "$work/run.log" 2>&1 || status=$?
[ "$status" -eq 0 ] || { cat "$work/run.log"; fail "tutorbot run exited $status"; }
if grep -q Traceback "$work/run.log"; then cat "$work/run.log"; fail "traceback from tutorbot run"; fi
grep -q playground "$work/run.log" || { cat "$work/run.log"; fail "no playground without a token"; }
echo "check-entrypoint: tutorbot run (no token, EOF): ok"

if run healthcheck 2> "$work/health.log"; then fail "healthcheck passed without a heartbeat"; fi
grep -q missing "$work/health.log" || fail "healthcheck: $(cat "$work/health.log")"
touch "$work/data/heartbeat"
run healthcheck > /dev/null || fail "healthcheck failed with a fresh heartbeat"
echo "check-entrypoint: tutorbot healthcheck (missing, fresh): ok"

run db upgrade > /dev/null || fail "tutorbot db upgrade"
run check > /dev/null || fail "tutorbot check: the baked-in lessons do not validate"
run stats > /dev/null || fail "tutorbot stats"
echo "check-entrypoint: db upgrade, check, stats: ok"
