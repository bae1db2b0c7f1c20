"""The package on its own: bundled course, a documented data folder, no stray databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from bot.config import bundled_lessons, load_settings
from bot.content.loader import load_catalog


def test_outside_a_project_folder_the_bundled_course_and_the_user_data_folder_are_used(
    tmp_path: Path,
) -> None:
    env = {"HOME": str(tmp_path / "home")}
    settings = load_settings(env, dotenv=None, cwd=tmp_path)
    assert settings.lessons_dir == bundled_lessons()
    assert load_catalog(settings.lessons_dir).courses  # the course really is there
    assert settings.data_dir == tmp_path / "home" / ".local" / "share" / "tutorbot"
    assert settings.database_url == f"sqlite+aiosqlite:///{settings.data_dir / 'tutorbot.db'}"
    xdg = load_settings({**env, "XDG_DATA_HOME": "/srv/xdg"}, dotenv=None, cwd=tmp_path)
    assert xdg.data_dir == Path("/srv/xdg/tutorbot")
    assert load_settings({"DATA_DIR": "/d"}, dotenv=None, cwd=tmp_path).database_url == (
        "sqlite+aiosqlite:////d/tutorbot.db"
    )


@pytest.mark.parametrize("marker", ["lessons", "data"])
def test_in_a_project_folder_data_and_lessons_stay_local(tmp_path: Path, marker: str) -> None:
    (tmp_path / marker).mkdir()
    settings = load_settings({"HOME": "/nowhere"}, dotenv=None, cwd=tmp_path)
    assert settings.data_dir == Path("data")
    assert settings.database_url == "sqlite+aiosqlite:///data/tutorbot.db"
    assert settings.lessons_dir == (Path("lessons") if marker == "lessons" else bundled_lessons())


def test_stats_in_an_empty_folder_leaves_no_database_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert cli.main(["stats"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no database" in err
    assert list(tmp_path.rglob("*")) == []
