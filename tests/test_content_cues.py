"""Answer cues (bot.content.cues) and `check --strict`: each threshold goes red when broken."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot import cli
from bot.content.cues import (
    Thresholds,
    breaches,
    course_cues,
    echoes_prompt,
    has_absolute,
    is_longest_key,
    words,
)
from bot.content.schema import (
    Course,
    Lesson,
    Objective,
    Option,
    Question,
    QuestionStyle,
    QuestionType,
)

DISTRACTORS = ("Bravo", "Delta", "Gamma")


def single(n: int, *, key: int, key_text: str = "Alpha", prompt: str = "") -> Question:
    texts = list(DISTRACTORS)
    texts.insert(key, key_text)
    return Question(
        id=f"q{n}",
        course_id="c",
        lesson_id="l",
        type=QuestionType.SINGLE,
        prompt=prompt or f"Which letter word number {n}?",
        options=tuple(Option(text=t, correct=i == key) for i, t in enumerate(texts)),
        explanation="Because.",
        objective="o",
    )


def statement(n: int, prompt: str, *, answer: bool) -> Question:
    return Question(
        id=f"tf{n}",
        course_id="c",
        lesson_id="l",
        type=QuestionType.TRUE_FALSE,
        prompt=prompt,
        options=(Option(text="True", correct=answer), Option(text="False", correct=not answer)),
        explanation="Because.",
        objective="o",
    )


def course(questions: list[Question]) -> Course:
    lesson = Lesson(
        id="l",
        course_id="c",
        title="L",
        position=1,
        objectives=("o",),
        body="Body.",
        questions=tuple(questions),
        file="l.yaml",
    )
    return Course(
        id="c",
        title="C",
        description="D",
        language="en",
        version="1",
        objectives=(Objective(id="o", title="O"),),
        lessons=(lesson,),
    )


def clean() -> list[Question]:
    """Twelve single items (keys spread over A-D, equal lengths) and four plain statements."""
    items = [single(n, key=n % 4) for n in range(12)]
    items += [statement(n, f"Tea number {n} is green.", answer=n % 2 == 0) for n in range(4)]
    return items


def with_longest_keys(count: int) -> list[Question]:
    items = clean()
    for n in range(count):
        items[n] = single(n, key=n % 4, key_text="Alphabet soup")
    return items


def with_false_absolutes(count: int) -> list[Question]:
    items = clean()
    false_ones = [i for i, q in enumerate(items) if q.type is QuestionType.TRUE_FALSE][1::2]
    for i in false_ones[:count]:
        items[i] = statement(i, "Tea is always green.", answer=False)
    return items


def with_echoes(count: int) -> list[Question]:
    items = clean()
    for n in range(count):
        items[n] = single(n, key=n % 4, key_text="Kettle", prompt="Which kettle boils water?")
    return items


def with_keys_at_a(count: int) -> list[Question]:
    return [single(n, key=0 if n < count else n % 3 + 1) for n in range(12)] + clean()[12:]


def figures(questions: list[Question]) -> list[str]:
    return breaches(course_cues(course(questions)))


def test_a_clean_course_has_no_breach() -> None:
    cues = course_cues(course(clean()))
    assert cues.longest_key_share == 0 and cues.echo_share == 0 and cues.absolute_gap == 0
    assert cues.position_shares == (0.25, 0.25, 0.25, 0.25)
    assert cues.objectives["o"].types == {"single": 12, "true_false": 4}
    assert cues.objectives["o"].styles == {"standard": 16}
    assert breaches(cues) == []


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        (with_longest_keys(3), []),  # 25%
        (with_longest_keys(4), ["c: cue: longest-option keys 33% (4 of 12) > 30%"]),
        (with_false_absolutes(0), []),
        (
            with_false_absolutes(1),  # 1 of 2 false statements, 0 of 2 true ones
            ["c: cue: absolute words in false statements 50% vs true 0%, gap 50% > 15%"],
        ),
        (with_echoes(1), []),  # 8%
        (with_echoes(2), ["c: cue: prompt words echoed only in the key 17% (2 of 12) > 15%"]),
        (with_keys_at_a(4), []),  # 33%
        (with_keys_at_a(5), ["c: cue: keys at position A 42% > 40%"]),
        (clean()[:7], ["c: cue: objective 'o' has 7 questions < 8"]),
    ],
)
def test_each_threshold_goes_red_when_broken(
    questions: list[Question], expected: list[str]
) -> None:
    assert figures(questions) == expected


def test_styles_and_types_are_counted_per_objective() -> None:
    items = clean()
    items[0] = replace(items[0], style=QuestionStyle.MISSING_WORD)
    items[1] = replace(items[1], style=QuestionStyle.NUMBERED_LIST, type=QuestionType.MULTIPLE)
    counts = course_cues(course(items)).objectives["o"]
    assert counts.styles == {"missing-word": 1, "numbered-list": 1, "standard": 14}
    assert counts.types == {"single": 11, "multiple": 1, "true_false": 4}


def test_absolutes_in_true_statements_offset_those_in_false_ones() -> None:
    items = with_false_absolutes(1)
    items[12] = statement(12, "Tea is only ever a plant.", answer=True)
    cues = course_cues(course(items))
    assert (cues.absolute_false_rate, cues.absolute_true_rate) == (0.5, 0.5)
    assert figures(items) == []


def test_key_positions_are_not_checked_with_fewer_than_eight_single_items() -> None:
    items = [single(n, key=0) for n in range(7)] + clean()[12:]
    assert figures(items) == []
    assert breaches(course_cues(course(items)), Thresholds(position_min_items=7)) == [
        "c: cue: keys at position A 100% > 40%"
    ]


def test_a_tie_for_longest_is_not_a_longest_key() -> None:
    assert not is_longest_key(single(1, key=0, key_text="Omega"))
    assert is_longest_key(single(1, key=0, key_text="Omegas"))
    assert not is_longest_key(
        replace(
            single(1, key=0),
            options=(Option(text="Longest", correct=True), Option(text="Longest!", correct=False)),
        )
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("An output is ALWAYS valuable.", True),
        ("Customers cannot be users.", True),
        ("All of them.", True),
        ("Overall, it is allowed.", False),
        ("Nothing is certain.", False),
    ],
)
def test_absolute_words_are_whole_words(text: str, expected: bool) -> None:
    assert has_absolute(text) is expected


def test_echo_ignores_short_words_stopwords_and_words_a_distractor_shares() -> None:
    assert words("Which services does the provider offer?") == {"service", "provider", "offer"}
    assert echoes_prompt(single(1, key=0, key_text="Services", prompt="Which services?"))
    assert not echoes_prompt(single(1, key=0, key_text="Which", prompt="Which one?"))
    shared = replace(
        single(1, key=0, prompt="Which service?"),
        options=(Option(text="A service", correct=True), Option(text="No service", correct=False)),
    )
    assert not echoes_prompt(shared)


# -- the command line ----------------------------------------------------------------------------

COURSE_YAML = """\
id: cues
title: Cues
description: A course to test cue checks.
language: en
version: "1"
objectives:
  - id: o
    title: O
"""


def write_course(root: Path, questions: list[Question]) -> Path:
    """Write an in-memory question list as a course folder and return it."""
    folder = root / "cues"
    folder.mkdir()
    (folder / "course.yaml").write_text(COURSE_YAML, encoding="utf-8")
    lines = ["id: l", "title: L", "position: 1", "objectives: [o]", "body: Body.", "questions:"]
    for q in questions:
        lines += [f"  - id: {q.id}", f"    type: {q.type.value}", f"    prompt: {q.prompt!r}"]
        lines.append("    explanation: Because.")
        if q.type is QuestionType.TRUE_FALSE:
            lines.append(f"    answer: {str(q.options[0].correct).lower()}")
            continue
        lines.append("    options:")
        for o in q.options:
            lines.append(f"      - {{text: {o.text!r}, correct: {str(o.correct).lower()}}}")
    (folder / "l.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("strict", [False, True])
def test_check_passes_a_clean_course_with_or_without_strict(
    tmp_path: Path, strict: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_course(tmp_path, clean())
    assert cli.main(["check", *(["--strict"] if strict else []), str(root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: 1 course") and "longest-option keys  0% of 12 single" in out


def test_strict_fails_a_cued_course_with_one_line_per_breach(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = with_longest_keys(4)
    items[4:6] = [single(n, key=n % 4, key_text="Brews", prompt="Which brews?") for n in (4, 5)]
    root = write_course(tmp_path, items)
    assert cli.main(["check", str(root)]) == 0  # without --strict the figures never fail
    assert "longest-option keys  " in capsys.readouterr().out
    assert cli.main(["check", "--strict", str(root)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "cues: cue: longest-option keys 33% (4 of 12) > 30%",
        "cues: cue: prompt words echoed only in the key 17% (2 of 12) > 15%",
        "2 cues over the thresholds (--strict)",
    ]


def test_strict_json_carries_the_figures_and_the_breaches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_course(tmp_path, with_longest_keys(4))
    assert cli.main(["check", "--json", str(root)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    cues = report["courses"][0]["cues"]
    assert cues["longest_key_share"] == 0.333 and cues["single_items"] == 12
    assert cues["key_position_shares"] == {"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25}
    assert cues["objectives"]["o"]["questions"] == 16
    assert cues["breaches"] == ["cues: cue: longest-option keys 33% (4 of 12) > 30%"]
    assert cli.main(["check", "--strict", "--json", str(root)]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False
