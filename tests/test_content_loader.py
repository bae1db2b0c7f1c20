"""Tests for bot.content.loader: the mini course and one broken course per rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content.loader import check_catalog, load_catalog
from bot.content.schema import (
    Catalog,
    ContentError,
    ContentErrors,
    Course,
    Lesson,
    Objective,
    Option,
    Question,
    QuestionType,
)

REPO = Path(__file__).resolve().parent.parent
BROKEN = "tests/fixtures/broken"
MINI_ROOT = Path("tests/fixtures/courses")


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repo root so error messages carry stable relative paths."""
    monkeypatch.chdir(REPO)


def errors_for(case: str) -> list[str]:
    catalog, errors = check_catalog(Path(BROKEN) / case)
    assert catalog is None
    return [str(e) for e in errors]


BROKEN_CASES = {
    "invalid_yaml": [
        "{d}/02-bad.yaml:5:1: invalid YAML: found unexpected end of stream "
        "(while scanning a quoted scalar started at 2:8)"
    ],
    "invalid_yaml_indent": [
        "{d}/01-intro.yaml:11:6: invalid YAML: expected <block end>, but found "
        "'<block mapping start>' (while parsing a block mapping started at 8:5)"
    ],
    "yaml_two_documents": [
        "{d}/01-intro.yaml:17:1: invalid YAML: "
        "expected a single document in the stream, but found another document"
    ],
    "empty_file": ["{d}/02-empty.yaml: file is empty"],
    "unknown_key": [
        "{d}/01-intro.yaml:8:5: questions[0]: missing required key 'explanation'",
        "{d}/01-intro.yaml:15:5: questions[0]: unknown key 'explanaton' "
        "(did you mean 'explanation'?)",
    ],
    "unknown_key_lesson": [
        "{d}/01-intro.yaml:7:1: unknown key 'key_point' (did you mean 'key_points'?)"
    ],
    "too_few_options": ["{d}/02-x.yaml:12:7: questions[0].options: need 2-10 options, got 1"],
    "prompt_too_long": [
        "{d}/01-intro.yaml:10:13: questions[0].prompt: must be 1-300 characters, got 324"
    ],
    "explanation_too_long": [
        "{d}/01-intro.yaml:12:18: questions[0].explanation: must be 1-200 characters, got 207"
    ],
    "explanation_line_breaks": [
        "{d}/01-intro.yaml:12:18: questions[0].explanation: at most 2 line breaks, got 3"
    ],
    "duplicate_id": [
        "{d}/02-more.yaml:8:9: questions[0].id: duplicate id 'intro' "
        "(first used at {d}/01-intro.yaml:1:5)"
    ],
    "bad_id": [
        "{d}/01-intro.yaml:1:5: id: invalid id 'Intro_Lesson': use 1-32 lowercase letters, "
        "digits and '-', starting with a letter or digit"
    ],
    "unknown_objective": [
        "{d}/01-intro.yaml:4:22: objectives[1]: unknown objective 'basic' "
        "(did you mean 'basics'?); course.yaml defines: advanced, basics"
    ],
    "unknown_question_objective": [
        "{d}/01-intro.yaml:13:16: questions[0].objective: unknown objective 'advance' "
        "(did you mean 'advanced'?); course.yaml defines: advanced, basics"
    ],
    "single_two_correct": [
        "{d}/01-intro.yaml:12:7: questions[0].options: "
        "single question needs exactly 1 correct option, got 2"
    ],
    "multiple_one_correct": [
        "{d}/01-intro.yaml:12:7: questions[0].options: multiple question needs at least "
        "2 correct and 1 wrong option, got 1 correct and 1 wrong"
    ],
    "true_false_with_options": [
        "{d}/01-intro.yaml:13:7: questions[0].options: "
        "true_false questions take 'answer: true|false', not 'options'"
    ],
    "true_false_without_answer": [
        "{d}/01-intro.yaml:8:5: questions[0]: missing required key 'answer' (true_false question)"
    ],
    "missing_required_key": ["{d}/01-intro.yaml:8:5: questions[0]: missing required key 'prompt'"],
    "duplicate_option_text": [
        "{d}/01-intro.yaml:15:15: questions[0].options[2].text: "
        "duplicate option text 'yes' (same as questions[0].options[0])"
    ],
    "why_not_on_correct": [
        "{d}/01-intro.yaml:14:18: questions[0].options[0].why_not: "
        "why_not is only for wrong options (put the reason in explanation)"
    ],
    "wrong_types": [
        "{d}/course.yaml:5:10: version: expected a string, got a number (put it in quotes)",
        "{d}/01-intro.yaml:3:11: position: expected an integer, got a string",
        "{d}/01-intro.yaml:13:18: questions[0].options[0].correct: "
        "expected true or false, got a string",
        "{d}/01-intro.yaml:14:15: questions[0].options[1].text: "
        "expected a string, got an integer (put it in quotes)",
        "{d}/01-intro.yaml:16:17: questions[0].difficulty: "
        "must be one of easy, medium, hard; got 'hardest' (did you mean 'hard'?)",
    ],
    "duplicate_position": [
        "{d}/02-more.yaml:3:11: position: duplicate position 1 (also in {d}/01-intro.yaml)"
    ],
    "missing_course_yaml": ["{d}: missing course.yaml (every course folder needs one)"],
    "no_lessons": ["{d}/course.yaml: course has no lesson files"],
    "exam_pass_mark": [
        "{d}/course.yaml:14:14: exam.pass_mark: pass_mark 2 is more than exam.questions (1)"
    ],
    "exam_too_many_questions": [
        "{d}/course.yaml:12:14: exam.questions: exam draws 40 questions but the course has only 1"
    ],
    "rendered_too_long": [
        "{d}/01-intro.yaml:5:7: body: rendered lesson is 4106 characters "
        "(Telegram limit 4096); shorten body or key_points"
    ],
    "multiple_errors": [
        "{d}/course.yaml:5:1: unknown key 'author'",
        "{d}/01-intro.yaml:4:14: objectives[0]: unknown objective 'basix' "
        "(did you mean 'basics'?); course.yaml defines: advanced, basics",
        "{d}/01-intro.yaml:12:7: questions[0].options: need 2-10 options, got 1",
        "{d}/02-more.yaml:3:11: position: duplicate position 1 (also in {d}/01-intro.yaml)",
        "{d}/02-more.yaml:8:9: questions[0].id: duplicate id 'intro-q1' "
        "(first used at {d}/01-intro.yaml:8:9)",
    ],
    "root_duplicate_course": [
        "{d}/b/course.yaml:1:5: id: duplicate course id 'broken' (also in {d}/a/course.yaml)",
        "{d}/c: missing course.yaml (every course folder needs one)",
    ],
    "root_stray_file": ["{d}/stray.yaml: YAML file outside a course folder (move it into one)"],
    "root_empty": ["{d}: no courses found (a course is a folder holding course.yaml and lessons)"],
}


@pytest.mark.parametrize(("case", "expected"), sorted(BROKEN_CASES.items()))
def test_broken_course_reports_exact_errors(case: str, expected: list[str]) -> None:
    directory = f"{BROKEN}/{case}"
    assert errors_for(case) == [line.format(d=directory) for line in expected]


def test_every_broken_fixture_has_a_case() -> None:
    folders = {p.name for p in (REPO / BROKEN).iterdir() if p.is_dir()}
    assert folders == set(BROKEN_CASES)


def test_load_catalog_raises_all_errors() -> None:
    with pytest.raises(ContentErrors) as info:
        load_catalog(Path(BROKEN) / "multiple_errors")
    assert len(info.value.errors) == 5
    assert all(isinstance(e, ContentError) for e in info.value.errors)
    assert str(info.value).splitlines()[0] == "5 content errors:"


def test_missing_root_is_one_error() -> None:
    catalog, errors = check_catalog(Path("tests/fixtures/no-such-dir"))
    assert catalog is None
    assert [str(e) for e in errors] == ["tests/fixtures/no-such-dir: no such directory"]


def test_absolute_root_is_shown_relative_to_cwd() -> None:
    _, errors = check_catalog(REPO / BROKEN / "too_few_options")
    assert str(errors[0]).startswith(f"{BROKEN}/too_few_options/02-x.yaml:12:7: ")


def test_content_error_format_omits_unknown_parts() -> None:
    located = ContentError(file="a.yaml", line=41, column=7, path="questions[3]", message="bad")
    assert str(located) == "a.yaml:41:7: questions[3]: bad"
    assert str(ContentError(file="a.yaml", message="bad")) == "a.yaml: bad"
    assert str(ContentError(file="a.yaml", line=3, message="bad")) == "a.yaml:3: bad"
    assert (located.file, located.line, located.column, located.path) == (
        "a.yaml",
        41,
        7,
        "questions[3]",
    )


def mini() -> Course:
    catalog = load_catalog(MINI_ROOT)
    course = catalog.course("mini")
    assert course is not None
    return course


def test_mini_course_loads_from_root_or_course_folder() -> None:
    from_root = load_catalog(MINI_ROOT)
    from_folder = load_catalog(MINI_ROOT / "mini")
    assert isinstance(from_root, Catalog)
    assert len(from_root) == 1
    assert [c.id for c in from_root] == ["mini"]
    assert from_root.default() == from_folder.default()
    assert from_root.course("nope") is None


def test_mini_course_metadata() -> None:
    course = mini()
    assert (course.title, course.language, course.version) == (
        "Mini course: tea basics",
        "en",
        "1.0.0",
    )
    assert course.tags == ("tea", "test")
    assert course.disclaimer == "Test content, not brewing advice."
    assert course.objectives == (
        Objective(id="leaves", title="Know the kinds of tea leaves"),
        Objective(id="brewing", title="Brew tea at the right temperature"),
    )
    assert course.exam is not None
    assert (course.exam.questions, course.exam.minutes, course.exam.pass_mark) == (4, 5, 3)
    assert course.exam.note == "4 questions, 5 minutes, 3 to pass"


def test_mini_course_lessons_and_lookups() -> None:
    course = mini()
    assert [lesson.id for lesson in course.lessons] == ["leaves", "brewing"]
    leaves = course.lesson("leaves")
    assert isinstance(leaves, Lesson)
    assert leaves.position == 1
    assert leaves.file == "tests/fixtures/courses/mini/01-leaves.yaml"
    assert leaves.body.startswith("All true tea comes from one plant")
    assert leaves.key_points == (
        "Green and black tea come from the same plant.",
        "Oxidation makes black tea black.",
    )
    assert leaves.sources == ("Tea: History, Terroirs, Varieties (2018), ch. 1",)
    assert course.lesson("missing") is None
    assert [q.id for q in course.questions] == [
        "leaves-plant",
        "leaves-oxidised",
        "leaves-herbal",
        "brewing-green",
        "brewing-black",
        "brewing-kinds",
    ]
    assert course.question("nope") is None
    assert [q.id for q in course.questions_for_objective("brewing")] == [
        "brewing-green",
        "brewing-black",
    ]
    assert course.objective("brewing") == Objective(
        id="brewing", title="Brew tea at the right temperature"
    )
    assert course.objective("nope") is None


def test_mini_single_question() -> None:
    question = mini().question("leaves-plant")
    assert question == Question(
        id="leaves-plant",
        course_id="mini",
        lesson_id="leaves",
        type=QuestionType.SINGLE,
        prompt="Which plant do green and black tea come from?",
        options=(
            Option(text="Camellia sinensis", correct=True, concept="camellia"),
            Option(
                text="Aspalathus linearis",
                correct=False,
                why_not="That is rooibos, an herbal infusion.",
                concept="rooibos",
            ),
            Option(text="Mentha piperita", correct=False, why_not="That is peppermint."),
        ),
        explanation="Both come from Camellia sinensis; processing differs.",
        difficulty="easy",
        objective="leaves",
    )
    assert question.correct_ids == (0,)
    assert not question.is_multiple


@pytest.mark.parametrize(
    ("question_id", "kind", "correct_ids", "texts", "difficulty", "objective"),
    [
        ("leaves-oxidised", QuestionType.MULTIPLE, (0, 1), None, "medium", "leaves"),
        ("leaves-herbal", QuestionType.TRUE_FALSE, (1,), ("True", "False"), "hard", "leaves"),
        ("brewing-black", QuestionType.TRUE_FALSE, (0,), ("True", "False"), "medium", "brewing"),
        ("brewing-kinds", QuestionType.MULTIPLE, (0, 1), None, "medium", "leaves"),
    ],
)
def test_mini_question_shapes(
    question_id: str,
    kind: QuestionType,
    correct_ids: tuple[int, ...],
    texts: tuple[str, ...] | None,
    difficulty: str,
    objective: str,
) -> None:
    question = mini().question(question_id)
    assert question is not None
    assert question.type is kind
    assert question.correct_ids == correct_ids
    assert question.is_multiple == (kind is QuestionType.MULTIPLE)
    if texts is not None:
        assert tuple(o.text for o in question.options) == texts
    assert question.difficulty == difficulty
    assert question.objective == objective


def test_lessons_sorted_by_position_whatever_the_file_names(tmp_path: Path) -> None:
    source = REPO / MINI_ROOT / "mini"
    course_dir = tmp_path / "mini"
    course_dir.mkdir()
    (course_dir / "course.yaml").write_text((source / "course.yaml").read_text())
    (course_dir / "a.yaml").write_text((source / "02-brewing.yaml").read_text())
    (course_dir / "b.yaml").write_text((source / "01-leaves.yaml").read_text())
    (course_dir / "_draft.yaml").write_text("this: is ignored\n")
    course = load_catalog(tmp_path).default()
    assert course is not None
    assert [lesson.id for lesson in course.lessons] == ["leaves", "brewing"]


def test_catalog_orders_courses_by_id() -> None:
    course = mini()
    other = Course(
        id="aaa",
        title="A",
        description="d",
        language="en",
        version="1",
        objectives=course.objectives,
        lessons=(),
    )
    catalog = Catalog(courses=(course, other))
    assert [c.id for c in catalog] == ["aaa", "mini"]
    assert catalog.default() is other
    assert Catalog(courses=()).default() is None


def test_readme_example_course_is_valid(tmp_path: Path) -> None:
    readme = (REPO / "lessons" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"`lessons/tea/([\w.-]+)`:\n\n```yaml\n(.*?)```", readme, re.DOTALL)
    assert [name for name, _ in blocks] == ["course.yaml", "01-leaves.yaml", "02-brewing.yaml"]
    folder = tmp_path / "tea"
    folder.mkdir()
    for name, text in blocks:
        (folder / name).write_text(text, encoding="utf-8")
    course = load_catalog(tmp_path).course("tea")
    assert course is not None
    assert len(course.questions) == 6
    fixture = mini()
    assert [q.id for q in course.questions] == [q.id for q in fixture.questions]
