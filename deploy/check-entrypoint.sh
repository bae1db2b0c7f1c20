#!/usr/bin/env bash
# Check the built package on its own, the way the image and a plain `pip install` use it: build
# the wheel from a clean copy (`pip wheel --no-deps`), install it into a fresh virtual environment
# in a temp folder outside the checkout (runtime dependencies pinned by requirements.lock), and
# run the entry commands from an empty folder with no LESSONS_DIR or DATABASE_URL set: the
# bundled course and the user data folder must be used. Needs a package index (PyPI).
# Usage: deploy/check-entrypoint.sh [PYTHON]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-${PYTHON:-python3}}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "check-entrypoint: FAIL: $*" >&2; exit 1; }

echo "check-entrypoint: fresh venv with $("$python" --version) in $work"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --upgrade pip
# Build from a copy of the sources only (no build/, egg-info or caches from the checkout).
mkdir "$work/src"
for item in pyproject.toml setup.py MANIFEST.in README.md LICENSE CHANGELOG.md SECURITY.md \
  requirements.lock bot lessons; do
  cp -r "$root/$item" "$work/src/"
done
find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
"$work/venv/bin/pip" wheel --quiet --no-deps -w "$work/dist" "$work/src"
wheel=$(ls "$work"/dist/tutorbot-*.whl)
"$work/venv/bin/pip" install --quiet --no-cache-dir -c "$root/requirements.lock" "$wheel"
echo "check-entrypoint: built and installed $(basename "$wheel")"

mkdir "$work/empty" "$work/home"
cd "$work/empty"   # no ./lessons, no ./data
run() {
  env -u TELEGRAM_BOT_TOKEN -u LESSONS_DIR -u DATABASE_URL -u DATA_DIR -u XDG_DATA_HOME \
    -u HEARTBEAT_FILE -u HEALTH_PORT \
    HOME="$work/home" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR="$work/matplotlib" \
    "$work/venv/bin/tutorbot" "$@"
}
data="$work/home/.local/share/tutorbot"

version=$(run --version)
[ "$version" = "tutorbot $(cd "$root" && "$python" -c 'import bot; print(bot.__version__)')" ] \
  || fail "--version printed '$version'"

run check > "$work/check.log" || { cat "$work/check.log"; fail "tutorbot check: bundled course"; }
echo "check-entrypoint: tutorbot check (bundled course): ok"

printf '/start\n/quit\n' | run playground > "$work/play.log" 2>&1 \
  || { cat "$work/play.log"; fail "scripted playground session"; }
grep -q "Welcome\|welcome\|course" "$work/play.log" || { cat "$work/play.log"; fail "no reply to /start"; }
[ -f "$data/playground.db" ] || fail "playground database not in $data"
echo "check-entrypoint: scripted playground session: ok"

status=0
run run < /dev/null > "$work/run.log" 2>&1 || status=$?
[ "$status" -eq 2 ] || { cat "$work/run.log"; fail "tutorbot run without token/TTY exited $status"; }
[ "$(wc -l < "$work/run.log")" -eq 1 ] && grep -q TELEGRAM_BOT_TOKEN "$work/run.log" \
  || { cat "$work/run.log"; fail "not one line naming TELEGRAM_BOT_TOKEN"; }
echo "check-entrypoint: tutorbot run (no token, no terminal): exit 2, one line: ok"

if run stats 2> "$work/stats.log"; then fail "stats passed without a database"; fi
[ ! -e "$data/tutorbot.db" ] || fail "tutorbot stats left an empty database"
if run healthcheck 2> "$work/health.log"; then fail "healthcheck passed without a heartbeat"; fi
run db upgrade > /dev/null || fail "tutorbot db upgrade"
run stats > /dev/null || fail "tutorbot stats"
[ -z "$(ls -A "$work/empty")" ] || fail "files left in the working folder: $(ls -A "$work/empty")"
echo "check-entrypoint: stats, healthcheck, db upgrade: ok"
