"""Fuzzing lesson YAML: any mutation of a valid course is either still valid or reported as
errors that name the file; the checker never raises."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.loader import check_catalog
from tests.botkit import MINI

FILES = sorted(p.name for p in (MINI / "mini").glob("*.yaml"))
FUZZ = settings(
    deadline=None,
    max_examples=150,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
any_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.lists(st.one_of(st.integers(), st.text(max_size=10), st.none()), max_size=4),
    st.dictionaries(
        st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8)), max_size=3
    ),
)
garbage_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            ": :",
            "- - -",
            "{",
            "[",
            "&a",
            "*a",
            "!!python/object/apply:os.system",
            "\t",
            "'",
            '"',
            "%YAML 9.9",
            "---",
            "...",
            "? x",
            "|\n\t",
            "\x00",
            "\ufeff",
            "key: [1, 2",
            "id: leaves",
            "id: mini",
        ]
    ),
)


def locations(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a parsed YAML document."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += locations(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += locations(value, (*path, index))
    return found


def parent_of(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


@st.composite
def mutated_course(draw: st.DrawFn) -> tuple[str, str]:
    """(file name, new text): a valid course file with a few structural or textual changes."""
    name = draw(st.sampled_from(FILES))
    text = (MINI / "mini" / name).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["delete", "retype", "insert", "truncate", "garbage"]))
        if kind in {"truncate", "garbage"}:
            at = draw(st.integers(min_value=0, max_value=len(text)))
            text = text[:at] if kind == "truncate" else text[:at] + draw(garbage_text) + text[at:]
            continue
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            continue  # an earlier textual change broke it already
        spots = locations(doc)
        if not spots:
            doc = draw(any_value)
        else:
            path = draw(st.sampled_from(spots))
            parent = parent_of(doc, path)
            if kind == "delete":
                del parent[path[-1]]
            elif kind == "retype":
                parent[path[-1]] = draw(any_value)
            elif isinstance(parent, dict):
                parent[draw(st.one_of(st.text(max_size=12), st.integers()))] = draw(any_value)
            else:
                parent.insert(draw(st.integers(0, len(parent))), draw(any_value))
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    return name, text


@FUZZ
@given(mutation=mutated_course())
def test_a_mutated_course_is_valid_or_reported_with_its_file_name(
    mutation: tuple[str, str],
) -> None:
    name, text = mutation
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(MINI / "mini", root / "mini")
        (root / "mini" / name).write_text(text, encoding="utf-8")
        catalog, errors = check_catalog(root)
    assert (catalog is None) == bool(errors)
    for error in errors:
        assert error.message, error
        assert Path(error.file).name in {*FILES, "mini"}, str(error)
        assert str(error).startswith(error.file)


@FUZZ
@given(data=st.binary(max_size=300))
def test_a_lesson_file_of_random_bytes_is_an_error_naming_it(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(MINI / "mini", root / "mini")
        (root / "mini" / "01-leaves.yaml").write_bytes(data)
        catalog, errors = check_catalog(root)
    assert catalog is None and errors
    assert any(Path(e.file).name == "01-leaves.yaml" for e in errors), [str(e) for e in errors]
