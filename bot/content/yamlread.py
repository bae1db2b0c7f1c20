"""Read YAML node trees with line numbers and collect every error (generic, no course schema)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.content.schema import KEY_HINTS, ContentError

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")

MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"

# --- files and errors -----------------------------------------------------------------------


def display(path: Path) -> str:
    """Show a path relative to the working directory when it lies below it."""
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


@dataclass(slots=True)
class Run:
    errors: list[ContentError] = field(default_factory=list)
    order: dict[str, int] = field(default_factory=dict)

    def file(self, path: Path) -> File:
        name = display(path)
        self.order.setdefault(name, len(self.order))
        return File(name=name, run=self)

    def sorted_errors(self) -> list[ContentError]:
        def key(error: ContentError) -> tuple[int, int, int]:
            return (
                self.order.get(error.file, len(self.order)),
                error.line or 0,
                error.column or 0,
            )

        return sorted(self.errors, key=key)


@dataclass(slots=True)
class File:
    name: str
    run: Run
    count: int = 0
    loader: yaml.SafeLoader | None = None

    def error(self, node: Node | None, path: str, message: str) -> None:
        line = column = None
        if node is not None:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        self.run.errors.append(
            ContentError(file=self.name, line=line, column=column, path=path, message=message)
        )
        self.count += 1


def compose(path: Path, run: Run) -> tuple[File, Node | None]:
    """Parse one file into a YAML node tree, reporting unreadable or invalid YAML."""
    file = run.file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        file.error(None, "", "file is not valid UTF-8 text")
        return file, None
    except OSError as exc:
        file.error(None, "", f"cannot read file: {exc.strerror or exc}")
        return file, None
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters before parsing
        file.error(None, "", "invalid YAML: " + " ".join(str(exc).split()))
        return file, None
    file.loader = loader
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot parse"
        if exc.problem and exc.context and not exc.context.startswith("while"):
            problem = f"{exc.context}, {exc.problem}"
        elif exc.problem and exc.context and exc.context_mark:
            start = exc.context_mark
            problem += f" ({exc.context} started at {start.line + 1}:{start.column + 1})"
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        run.errors.append(
            ContentError(
                file=file.name, line=line, column=column, message=f"invalid YAML: {problem}"
            )
        )
        file.count += 1
        return file, None
    except yaml.YAMLError as exc:
        file.error(None, "", f"invalid YAML: {exc}")
        return file, None
    finally:
        loader.dispose()
    if node is None:
        file.error(None, "", "file is empty")
    return file, node


# --- typed node readers ---------------------------------------------------------------------


def key_path(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


def node_kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "a value"


BAD = object()


def scalar(file: File, node: Node, path: str, expected: str) -> object:
    """Return a scalar's value under yaml.safe_load rules, or BAD after reporting."""
    if not isinstance(node, ScalarNode):
        file.error(node, path, f"expected {expected}, got {node_kind(node)}")
        return BAD
    assert file.loader is not None
    try:
        return file.loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        file.error(node, path, f"invalid value: {problem}")
        return BAD


def read_str(file: File, node: Node, path: str, *, max_len: int, min_len: int = 1) -> str | None:
    value = scalar(file, node, path, "a string")
    if value is BAD:
        return None
    if not isinstance(value, str):
        hint = " (put it in quotes)" if value is not None else ""
        file.error(node, path, f"expected a string, got {kind_of(value)}{hint}")
        return None
    text = value.strip()
    if not min_len <= len(text) <= max_len:
        if not text and min_len:
            file.error(node, path, "must not be empty")
        else:
            file.error(node, path, f"must be {min_len}-{max_len} characters, got {len(text)}")
        return None
    return text


def read_slug(file: File, node: Node, path: str) -> str | None:
    value = read_str(file, node, path, max_len=10_000)
    if value is None:
        return None
    if not SLUG.fullmatch(value):
        file.error(
            node,
            path,
            f"invalid id '{value}': use 1-32 lowercase letters, digits and '-', "
            "starting with a letter or digit",
        )
        return None
    return value


def read_int(file: File, node: Node, path: str, *, minimum: int) -> int | None:
    value = scalar(file, node, path, "an integer")
    if value is BAD:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        file.error(node, path, f"expected an integer, got {kind_of(value)}")
        return None
    if value < minimum:
        file.error(node, path, f"must be at least {minimum}, got {value}")
        return None
    return value


def read_bool(file: File, node: Node, path: str) -> bool | None:
    value = scalar(file, node, path, "true or false")
    if value is BAD:
        return None
    if not isinstance(value, bool):
        file.error(node, path, f"expected true or false, got {kind_of(value)}")
        return None
    return value


def read_choice(file: File, node: Node, path: str, choices: Sequence[str]) -> str | None:
    value = read_str(file, node, path, max_len=100)
    if value is None:
        return None
    if value not in choices:
        file.error(
            node,
            path,
            f"must be one of {', '.join(choices)}; got '{value}'{did_you_mean(value, choices)}",
        )
        return None
    return value


def read_seq(
    file: File, node: Node, path: str, *, min_items: int, max_items: int, what: str
) -> list[Node] | None:
    if not isinstance(node, SequenceNode) or node.tag != SEQ_TAG:
        file.error(node, path, f"expected a list, got {describe(file, node)}")
        return None
    count = len(node.value)
    if not min_items <= count <= max_items:
        file.error(node, path, f"need {min_items}-{max_items} {what}, got {count}")
        return None
    return list(node.value)


def describe(file: File, node: Node) -> str:
    if isinstance(node, ScalarNode) and file.loader is not None:
        try:
            return kind_of(file.loader.construct_object(node, deep=True))
        except (yaml.YAMLError, ValueError, TypeError):
            return "a value"
    return node_kind(node)


def read_str_list(
    file: File, node: Node, path: str, *, max_items: int, max_len: int, what: str
) -> tuple[str, ...] | None:
    items = read_seq(file, node, path, min_items=0, max_items=max_items, what=what)
    if items is None:
        return None
    values = [
        read_str(file, item, f"{path}[{i}]", max_len=max_len) for i, item in enumerate(items)
    ]
    if any(v is None for v in values):
        return None
    return tuple(v for v in values if v is not None)


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    hint = KEY_HINTS.get(word)
    if hint not in choices:
        close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
        hint = close[0] if close else None
    return f" (did you mean '{hint}'?)" if hint else ""


def read_mapping(
    file: File,
    node: Node,
    path: str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> dict[str, Node] | None:
    """Return a mapping's known keys; report unknown, duplicate and missing keys."""
    if not isinstance(node, MappingNode) or node.tag != MAP_TAG:
        file.error(node, path, f"expected a mapping of keys, got {describe(file, node)}")
        return None
    assert file.loader is not None
    try:
        file.loader.flatten_mapping(node)  # resolve `<<:` merge keys as safe_load would
    except yaml.YAMLError as exc:
        file.error(node, path, f"invalid merge key: {getattr(exc, 'problem', exc)}")
        return None
    allowed = (*required, *optional)
    found: dict[str, Node] = {}
    for key_node, value_node in node.value:
        key = scalar(file, key_node, path, "a text key")
        if key is BAD:
            continue
        if not isinstance(key, str):
            file.error(key_node, path, f"keys must be text, got {kind_of(key)} {key!r}")
            continue
        if key in found:
            file.error(key_node, key_path(path, key), f"duplicate key '{key}'")
        elif key not in allowed:
            file.error(key_node, path, f"unknown key '{key}'{did_you_mean(key, allowed)}")
        else:
            found[key] = value_node
    missing = [f"'{key}'" for key in required if key not in found]
    if len(missing) == 1:
        file.error(node, path, f"missing required key {missing[0]}")
    elif missing:
        file.error(node, path, f"missing required keys {', '.join(missing)}")
    return found
