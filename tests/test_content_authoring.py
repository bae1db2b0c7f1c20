"""Tests for bot.content.authoring: the check and preview commands."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.content.authoring import check_command, preview_command

REPO = Path(__file__).resolve().parent.parent
COURSES = Path("tests/fixtures/courses")
BROKEN = Path("tests/fixtures/broken/multiple_errors")


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def run_check(root: Path, *, as_json: bool) -> tuple[int, str]:
    out = io.StringIO()
    code = check_command(root, as_json=as_json, out=out)
    return code, out.getvalue()


def run_preview(course_id: str, lesson_id: str) -> tuple[int, str]:
    out = io.StringIO()
    code = preview_command(COURSES, course_id, lesson_id, out=out)
    return code, out.getvalue()


def test_check_text_summary() -> None:
    code, text = run_check(COURSES, as_json=False)
    assert code == 0
    assert text == (
        "OK: 1 course, 2 lessons, 6 questions\n"
        "\n"
        "mini: Mini course: tea basics\n"
        "  2 lessons, 6 questions, language en, version 1.0.0\n"
        "  questions per objective:\n"
        "    leaves     4\n"
        "    brewing    2\n"
        "  exam: 4 questions, 5 minutes, pass mark 3\n"
        "  cues:\n"
        "    longest-option keys  50% of 2 single\n"
        "    absolutes            false 0% of 1, true 0% of 1\n"
        "    echoed in key only   0%\n"
        "    key positions        A 100% B 0% C 0%\n"
        "    styles               standard 6\n"
    )


def test_check_text_errors() -> None:
    code, text = run_check(BROKEN, as_json=False)
    lines = text.splitlines()
    assert code == 1
    assert len(lines) == 6
    assert lines[0] == f"{BROKEN.as_posix()}/course.yaml:5:1: unknown key 'author'"
    assert lines[-1] == f"5 errors in {BROKEN.as_posix()}"


def test_check_json_ok() -> None:
    code, text = run_check(COURSES, as_json=True)
    assert code == 0
    assert json.loads(text) == {
        "ok": True,
        "errors": [],
        "courses": [
            {
                "id": "mini",
                "title": "Mini course: tea basics",
                "lessons": 2,
                "questions": 6,
                "objectives": {"leaves": 4, "brewing": 2},
                "cues": {
                    "single_items": 2,
                    "longest_key_share": 0.5,
                    "absolute_false_rate": 0.0,
                    "absolute_true_rate": 0.0,
                    "echo_share": 0.0,
                    "key_position_shares": {"A": 1.0, "B": 0.0, "C": 0.0},
                    "objectives": {
                        "leaves": {
                            "questions": 4,
                            "types": {"single": 1, "multiple": 2, "true_false": 1},
                            "styles": {"standard": 4},
                        },
                        "brewing": {
                            "questions": 2,
                            "types": {"single": 1, "true_false": 1},
                            "styles": {"standard": 2},
                        },
                    },
                    "breaches": [
                        "mini: cue: longest-option keys 50% (1 of 2) > 30%",
                        "mini: cue: objective 'leaves' has 4 questions < 8",
                        "mini: cue: objective 'brewing' has 2 questions < 8",
                    ],
                },
            }
        ],
    }


def test_check_json_errors() -> None:
    code, text = run_check(BROKEN, as_json=True)
    report = json.loads(text)
    assert code == 1
    assert report["ok"] is False
    assert report["courses"] == []
    assert len(report["errors"]) == 5
    assert report["errors"][2] == (
        f"{BROKEN.as_posix()}/01-intro.yaml:12:7: questions[0].options: need 2-10 options, got 1"
    )


def test_check_missing_root() -> None:
    code, text = run_check(Path("no/such/dir"), as_json=False)
    assert code == 1
    assert text == "no/such/dir: no such directory\n1 error in no/such/dir\n"


def test_preview_lesson() -> None:
    code, text = run_preview("mini", "brewing")
    assert code == 0
    assert text == (
        "Lesson 2/2 · Water temperature\n"
        "\n"
        "Green tea likes water at about 80 °C; black tea takes boiling water (100 °C).\n"
        "\n" + "─" * 40 + "\n"
        "Question 1/3  [brewing-green]  single, medium, objective brewing\n"
        "How hot should the water be for green tea?\n"
        "  A) About 80 °C  ✓ correct\n"
        "  B) 100 °C\n"
        "     why not: Boiling water makes green tea bitter.\n"
        "Explanation: About 80 °C keeps green tea from turning bitter.\n"
        "\n" + "─" * 40 + "\n"
        "Question 2/3  [brewing-black]  true_false, medium, objective brewing\n"
        "Black tea is brewed with boiling water.\n"
        "  A) True  ✓ correct\n"
        "  B) False\n"
        "Explanation: Black tea takes water at 100 °C.\n"
        "\n" + "─" * 40 + "\n"
        "Question 3/3  [brewing-kinds]  multiple, choose 2, medium, objective leaves\n"
        "Which of these are true teas?\n"
        "  A) Green tea  ✓ correct\n"
        "  B) Black tea  ✓ correct\n"
        "  C) Rooibos\n"
        "  D) Peppermint\n"
        "Explanation: Only teas from Camellia sinensis are true teas.\n"
    )


def test_preview_shows_markup_as_plain_text_with_key_points_and_sources() -> None:
    code, text = run_preview("mini", "leaves")
    assert code == 0
    assert "All true tea comes from one plant, Camellia sinensis." in text
    assert "<b>" not in text
    assert "• green tea is not oxidised" in text
    assert "Key points\n• Green and black tea come from the same plant." in text
    assert "Sources:\n- Tea: History, Terroirs, Varieties (2018), ch. 1" in text
    assert "  A) Camellia sinensis  ✓ correct  (concept: camellia)" in text
    assert "     why not: That is rooibos, an herbal infusion." in text


@pytest.mark.parametrize(
    ("course_id", "lesson_id", "message"),
    [
        ("nope", "leaves", "unknown course 'nope'; courses: mini\n"),
        ("mini", "nope", "unknown lesson 'nope' in course 'mini'; lessons: leaves, brewing\n"),
    ],
)
def test_preview_unknown_names(course_id: str, lesson_id: str, message: str) -> None:
    assert run_preview(course_id, lesson_id) == (1, message)


def test_preview_broken_content_prints_errors() -> None:
    out = io.StringIO()
    assert preview_command(BROKEN, "broken", "intro", out=out) == 1
    assert len(out.getvalue().splitlines()) == 5
