"""Tests for bot.content.markup: light markup to Telegram HTML and back to text."""

from __future__ import annotations

import re

import pytest

from bot.content.markup import render_lesson, strip_html, to_html
from bot.content.schema import Lesson


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a < b & **c**", "a &lt; b &amp; <b>c</b>"),
        ("plain text", "plain text"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("say \"hi\" & 'bye'", "say \"hi\" &amp; 'bye'"),
        ("**bold** and _italic_", "<b>bold</b> and <i>italic</i>"),
        ("use `a < b` here", "use <code>a &lt; b</code> here"),
        ("`**not bold**` and `_x_`", "<code>**not bold**</code> and <code>_x_</code>"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("__init__ stays", "__init__ stays"),
        ("see https://example.com/a_b_c_/x_y_", "see https://example.com/a_b_c_/x_y_"),
        ("(_aside_), _end_.", "(<i>aside</i>), <i>end</i>."),
        ("**bold _and italic_**", "<b>bold <i>and italic</i></b>"),
        ("_a **b_ c**", "_a <b>b_ c</b>"),
        ("2 * 3 ** 4", "2 * 3 ** 4"),
        ("** not bold **", "** not bold **"),
        ("_ not italic _", "_ not italic _"),
        ("unclosed **bold", "unclosed **bold"),
        ("line one\nline two", "line one line two"),
        ("para one\n\npara two", "para one\n\npara two"),
        ("para one\n   \n\n\npara two", "para one\n\npara two"),
        ("Intro:\n- one\n- **two**\n  more", "Intro:\n• one\n• <b>two</b> more"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("  indented\r\n\r\nwindows  ", "indented\n\nwindows"),
        ("null\x00byte", "nullbyte"),
        ("", ""),
    ],
)
def test_to_html(text: str, expected: str) -> None:
    assert to_html(text) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("a &lt; b &amp; <b>c</b>", "a < b & c"),
        ("<i>x</i> <code>y &gt; z</code>", "x y > z"),
        ("• one\n• two", "• one\n• two"),
    ],
)
def test_strip_html(html: str, expected: str) -> None:
    assert strip_html(html) == expected


def make_lesson(*, title: str = "Tea & you", body: str = "Body", key_points=()) -> Lesson:
    return Lesson(
        id="tea",
        course_id="c",
        title=title,
        position=3,
        objectives=("o",),
        body=body,
        key_points=tuple(key_points),
        questions=(),
        file="x.yaml",
    )


def test_render_lesson_with_index_and_key_points() -> None:
    lesson = make_lesson(body="A **customer**\n\n- pays", key_points=["Use `x < y`", "Two"])
    assert render_lesson(lesson, index=3, total=14) == (
        "<b>Lesson 3/14 · Tea &amp; you</b>\n\n"
        "A <b>customer</b>\n\n"
        "• pays\n\n"
        "<b>Key points</b>\n"
        "• Use <code>x &lt; y</code>\n"
        "• Two"
    )


@pytest.mark.parametrize(
    ("index", "total", "first_line"),
    [
        (None, None, "<b>Tea &amp; you</b>"),
        (2, None, "<b>Lesson 2 · Tea &amp; you</b>"),
        (2, 5, "<b>Lesson 2/5 · Tea &amp; you</b>"),
    ],
)
def test_render_lesson_title(index: int | None, total: int | None, first_line: str) -> None:
    rendered = render_lesson(make_lesson(), index=index, total=total)
    assert rendered == f"{first_line}\n\nBody"


def test_render_lesson_tags_are_balanced() -> None:
    body = "**a** _b_ `c` **_d_** _e **f** g_ x_y 1 < 2\n\n- **h**\n- _i_"
    rendered = render_lesson(make_lesson(body=body, key_points=["**k**"]), index=1, total=1)
    stack: list[str] = []
    for closing, name in re.findall(r"<(/?)(\w+)>", rendered):
        if closing:
            assert stack.pop() == name
        else:
            stack.append(name)
    assert stack == []


def test_render_lesson_fits_telegram_for_maximum_valid_content() -> None:
    # The loader rejects lessons whose rendering exceeds 4096; a typical full lesson fits.
    lesson = make_lesson(title="T" * 120, body="word " * 180, key_points=["p" * 200] * 6)
    assert len(render_lesson(lesson, index=99, total=99)) <= 4096
