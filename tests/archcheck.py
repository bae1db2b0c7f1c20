"""The architecture rules of issue 13, checked with ``ast`` over ``bot/``, with a ratchet.

Every rule yields :class:`Violation` objects; ``Violation.as_tuple()`` is
``(rule, "path:line", detail)``. The tree is mid-restructure, so today's violations are
recorded in ``tests/architecture_baseline.json``, keyed without line numbers:

* counted rules are keyed by ``(rule, path, key)`` with the number of occurrences;
* size rules are keyed by ``(rule, path, symbol)`` with the size in lines.

:func:`compare` fails on a violation that is not in the baseline (or one more occurrence of
a baselined key) and on a baselined size that grew; a violation that went away only adds a
hint to shrink the baseline. Regenerate it with ``python -m tests.archcheck --write-baseline``.

Rules (numbers as in issue 13):

* ``R1-layering``: pure cores import only the standard library, their one third-party
  library and other pure cores; only ``bot/tg``, ``bot/playground*`` and ``bot/cli.py`` import
  ``telegram``; ``bot/study`` and ``bot/db`` never import ``bot.tg``; ``bot/db`` never imports
  ``bot.study``.
* ``R2-sql``: ``select/insert/update/delete/text`` from sqlalchemy or sqlmodel, and
  ``.execute``/``.exec`` calls, appear only in ``bot/db``.
* ``R4-handler-size``: a function in ``bot/tg/handlers/`` is at most 20 lines.
* ``R4-split``: nothing in ``bot/tg`` but ``callbacks.py`` splits on ``":"``.
* ``R5-buttons``: a literal ``"<prefix>:..."`` used as ``callback_data`` or as a regular
  expression (``pattern=``, ``re.compile(...)``) appears only in ``bot/tg/callbacks.py``.
* ``R6-local-import``: no import below module level, except in ``bot/cli.py`` and
  ``bot/progress/chart.py``'s matplotlib (module-level ``if TYPE_CHECKING:`` is module level).
* ``module-size``: a module is at most 400 lines; ``function-size``: a function at most 50.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = Path(__file__).resolve().parent / "architecture_baseline.json"
SKIP = ("bot/db/migrations/versions/",)

MODULE_LIMIT = 400
FUNCTION_LIMIT = 50
HANDLER_LIMIT = 20

SIZE_RULES = frozenset({"R4-handler-size", "module-size", "function-size"})

# Pure cores, as dotted-name prefixes. ``bot.scheduling`` alone is the package's __init__.
PURE = (
    "bot.content",
    "bot.quiz",
    "bot.srs",
    "bot.progress",
    "bot.scheduling.due",
    "bot.scheduling.pacing",
    "bot.scheduling.preview",
    "bot.scheduling.parse",
    "bot.kinds",
    "bot.clock",
    "bot.tg.texts",
)
# The one third-party library each pure core may import (matplotlib: chart.py, lazily).
THIRD_PARTY = {"bot.content": "yaml", "bot.srs": "fsrs", "bot.progress": "matplotlib"}
CHART = "bot/progress/chart.py"
TELEGRAM_ALLOWED = ("bot/tg/", "bot/playground", "bot/cli.py")
LOCAL_IMPORT_ALLOWED = ("bot/cli.py",)
SQL_CONSTRUCTORS = frozenset({"select", "insert", "update", "delete", "text"})
SQL_MODULES = ("sqlalchemy", "sqlmodel")
SQL_METHODS = frozenset({"execute", "exec"})
CALLBACKS = "bot/tg/callbacks.py"
BUTTON_PREFIX = re.compile(r"[a-z]{1,8}:")
RE_FUNCTIONS = frozenset({"compile", "match", "fullmatch", "search", "sub", "findall", "finditer"})
SPLITS = frozenset({"split", "rsplit", "partition", "rpartition"})


@dataclass(frozen=True)
class Violation:
    """One broken rule at one place; ``key`` identifies it in the baseline (no line)."""

    rule: str
    path: str
    line: int
    key: str
    detail: str
    size: int | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def as_tuple(self) -> tuple[str, str, str]:
        return (self.rule, self.where, self.detail)

    def __str__(self) -> str:
        return f"{self.rule} {self.where}: {self.detail}"


def layer(name: str) -> str:
    """The layer of a dotted module name under ``bot``."""

    def under(prefix: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    if name == "bot.scheduling" or any(under(p) for p in PURE):
        return "pure"
    for prefix, kind in (
        ("bot.db", "db"),
        ("bot.study", "study"),
        ("bot.tg", "tg"),
        ("bot.ops", "ops"),
        ("bot.cli", "entry"),
        ("bot.__main__", "entry"),
    ):
        if under(prefix):
            return kind
    if name.startswith("bot.playground"):
        return "entry"
    return "other"


def core_of(name: str) -> str:
    """The pure core (a ``PURE`` prefix) a pure module belongs to."""
    return next((p for p in PURE if name == p or name.startswith(p + ".")), name)


def module_name(rel: str) -> str:
    parts = rel.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@dataclass
class _Module:
    root: Path
    rel: str
    tree: ast.Module
    lines: int
    name: str = field(init=False)
    package: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = module_name(self.rel)
        is_package = self.rel.endswith("/__init__.py")
        self.package = self.name if is_package else self.name.rpartition(".")[0]

    def is_module(self, dotted: str) -> bool:
        path = self.root.joinpath(*dotted.split("."))
        return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()

    def targets(self, node: ast.Import | ast.ImportFrom) -> list[str]:
        """The modules an import statement loads (``from a import b`` is ``a.b`` if b is one)."""
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = node.module or ""
        if node.level:
            pkg = self.package.split(".")
            pkg = pkg[: len(pkg) - (node.level - 1)]
            base = ".".join([*pkg, *([base] if base else [])])
        out = []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            out.append(sub if alias.name != "*" and self.is_module(sub) else base)
        return out


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted((root / "bot").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if not rel.startswith(SKIP):
            yield rel, path


class _Visitor(ast.NodeVisitor):
    """Walks one module, tracking the enclosing function/class names."""

    def __init__(self, module: _Module) -> None:
        self.m = module
        self.scope: list[str] = []
        self.in_function = 0
        self.out: list[Violation] = []
        self.sql_names: set[str] = set()  # local names bound to sqlalchemy/sqlmodel constructors
        self.sql_modules: set[str] = set()  # local names bound to sqlalchemy/sqlmodel modules
        self.re_names: set[str] = {"re"}
        self.sizes_seen: Counter[str] = Counter()

    # -- helpers --------------------------------------------------------------------------
    @property
    def rel(self) -> str:
        return self.m.rel

    @property
    def symbol(self) -> str:
        return ".".join(self.scope) or "<module>"

    def add(
        self, rule: str, node: ast.AST, key: str, detail: str, size: int | None = None
    ) -> None:
        line = getattr(node, "lineno", 1)
        self.out.append(Violation(rule, self.rel, line, key, detail, size))

    # -- scopes and sizes -----------------------------------------------------------------
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        size = (node.end_lineno or node.lineno) - node.lineno + 1
        self.sizes_seen[self.symbol] += 1
        n = self.sizes_seen[self.symbol]
        symbol = self.symbol if n == 1 else f"{self.symbol}#{n}"
        if size > FUNCTION_LIMIT:
            detail = f"function {symbol} is {size} lines (limit {FUNCTION_LIMIT})"
            self.add("function-size", node, symbol, detail, size)
        if self.rel.startswith("bot/tg/handlers/") and size > HANDLER_LIMIT:
            detail = f"handler module function {symbol} is {size} lines (limit {HANDLER_LIMIT})"
            self.add("R4-handler-size", node, symbol, detail, size)
        self.in_function += 1
        self.generic_visit(node)
        self.in_function -= 1
        self.scope.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.in_function += 1
        self.generic_visit(node)
        self.in_function -= 1

    # -- imports (R1, R6) -------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.partition(".")[0]
            if top in SQL_MODULES:
                self.sql_modules.add(alias.asname or top)
            if alias.name == "re":
                self.re_names.add(alias.asname or "re")
        self._import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.level and (node.module or "").partition(".")[0] in SQL_MODULES:
            for alias in node.names:
                if alias.name in SQL_CONSTRUCTORS:
                    self.sql_names.add(alias.asname or alias.name)
        self._import(node)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        targets = list(dict.fromkeys(self.m.targets(node)))
        local = bool(self.scope)
        for target in targets:
            self._layering(node, target, local=local)
        if local and self.rel not in LOCAL_IMPORT_ALLOWED:
            lazy_chart = self.rel == CHART and all(
                t.partition(".")[0] == "matplotlib" for t in targets
            )
            if not lazy_chart:
                names = ", ".join(targets)
                self.add(
                    "R6-local-import",
                    node,
                    f"{self.symbol}: {names}",
                    f"function-local import of {names} in {self.symbol}",
                )

    def _layering(self, node: ast.AST, target: str, *, local: bool) -> None:
        me = self.m.name
        mine = layer(me)
        top = target.partition(".")[0]
        if mine == "pure":
            if top == "bot":
                if layer(target) != "pure":
                    self._r1(node, f"imports {target}", f"pure core {me} imports {target}")
                return
            if top in sys.stdlib_module_names:
                return
            core = core_of(me)
            if THIRD_PARTY.get(core) != top:
                self._r1(node, f"imports {target}", f"pure core {me} imports third-party {target}")
            elif top == "matplotlib" and (self.rel != CHART or not local):
                self._r1(
                    node,
                    f"imports {target}",
                    f"{me} imports {target} (matplotlib only lazily, in {CHART})",
                )
            return
        if top == "telegram" and not self.rel.startswith(TELEGRAM_ALLOWED):
            self._r1(
                node,
                f"imports {target}",
                f"{me} imports {target} (only bot/tg, bot/playground*, bot/cli.py may)",
            )
        target_layer = layer(target) if top == "bot" else "external"
        if mine in ("study", "db") and target_layer == "tg":
            self._r1(node, f"imports {target}", f"{me} ({mine}) imports {target} (tg)")
        if mine == "db" and target_layer == "study":
            self._r1(node, f"imports {target}", f"{me} (db) imports {target} (study)")

    def _r1(self, node: ast.AST, key: str, detail: str) -> None:
        self.add("R1-layering", node, key, detail)

    # -- calls (R2, R4-split, R5) -----------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not self.rel.startswith("bot/db/"):
            self._sql(node, func)
        if (
            self.rel.startswith("bot/tg/")
            and self.rel != CALLBACKS
            and isinstance(func, ast.Attribute)
            and func.attr in SPLITS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == ":"
        ):
            self.add(
                "R4-split",
                node,
                f"{self.symbol}: .{func.attr}(':')",
                f"callback data split by hand (.{func.attr}(':')) in {self.symbol}",
            )
        if self.rel != CALLBACKS:
            self._buttons(node, func)
        self.generic_visit(node)

    def _sql(self, node: ast.Call, func: ast.expr) -> None:
        name = None
        if isinstance(func, ast.Name) and func.id in self.sql_names:
            name = f"{func.id}()"
        elif isinstance(func, ast.Attribute):
            base = func.value
            if (
                func.attr in SQL_CONSTRUCTORS
                and isinstance(base, ast.Name)
                and base.id in self.sql_modules
            ):
                name = f"{base.id}.{func.attr}()"
            elif func.attr in SQL_METHODS:
                name = f"{_tail(base)}.{func.attr}()"
        if name is not None:
            self.add("R2-sql", node, f"{self.symbol}: {name}", f"SQL {name} in {self.symbol}")

    def _buttons(self, node: ast.Call, func: ast.expr) -> None:
        for kw in node.keywords:
            if kw.arg == "callback_data":
                self._button_literal(kw.value, "callback_data")
            elif kw.arg == "pattern":
                self._button_literal(kw.value, "pattern", regex=True)
        if (
            isinstance(func, ast.Attribute)
            and func.attr in RE_FUNCTIONS
            and isinstance(func.value, ast.Name)
            and func.value.id in self.re_names
            and node.args
        ):
            self._button_literal(node.args[0], f"{func.value.id}.{func.attr}()", regex=True)

    def _button_literal(self, value: ast.expr, used_as: str, *, regex: bool = False) -> None:
        text = _leading_text(value)
        if text is None:
            return
        if regex:
            text = text.removeprefix("^")
        if (m := BUTTON_PREFIX.match(text)) is not None:
            prefix = m.group()
            self.add(
                "R5-buttons",
                value,
                f"{self.symbol}: {used_as} {prefix!r}",
                f"button prefix {prefix!r} as {used_as} outside {CALLBACKS} ({self.symbol})",
            )


def _tail(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return "<expr>"


def _leading_text(node: ast.expr) -> str | None:
    """The literal text a string constant or f-string starts with."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def check(root: Path = ROOT) -> list[Violation]:
    """Every violation in ``root/bot`` (migration versions skipped), in file order."""
    out: list[Violation] = []
    for rel, path in _files(root):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=rel)
        lines = len(source.splitlines())
        module = _Module(root, rel, tree, lines)
        if lines > MODULE_LIMIT:
            detail = f"module is {lines} lines (limit {MODULE_LIMIT})"
            out.append(Violation("module-size", rel, 1, "<module>", detail, lines))
        visitor = _Visitor(module)
        visitor.visit(tree)
        out.extend(sorted(visitor.out, key=lambda v: (v.line, v.rule)))
    return out


# -- the ratchet ------------------------------------------------------------------------------
Key = tuple[str, str, str]


def summarise(violations: Sequence[Violation]) -> dict[Key, int]:
    """Baseline form: a count per counted key, the size per size key."""
    out: dict[Key, int] = {}
    for v in violations:
        k = (v.rule, v.path, v.key)
        if v.rule in SIZE_RULES:
            out[k] = max(out.get(k, 0), v.size or 0)
        else:
            out[k] = out.get(k, 0) + 1
    return out


def to_json(violations: Sequence[Violation]) -> str:
    rows = []
    for (rule, path, key), n in sorted(summarise(violations).items()):
        kind = "size" if rule in SIZE_RULES else "count"
        rows.append({"rule": rule, "path": path, "key": key, kind: n})
    body = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in rows)
    return "[\n" + body + "\n]\n" if rows else "[]\n"


def load_baseline(path: Path = BASELINE) -> dict[Key, int]:
    if not path.exists():
        return {}
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {(r["rule"], r["path"], r["key"]): int(r.get("size", r.get("count", 0))) for r in rows}


@dataclass
class Report:
    failures: list[str]
    hints: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def compare(violations: Sequence[Violation], baseline: dict[Key, int]) -> Report:
    """Fail on new violations and grown sizes; hint where the baseline can shrink."""
    now = summarise(violations)
    by_key: dict[Key, list[Violation]] = {}
    for v in violations:
        by_key.setdefault((v.rule, v.path, v.key), []).append(v)
    failures: list[str] = []
    hints: list[str] = []
    for k, n in sorted(now.items()):
        was = baseline.get(k)
        rule, path, key = k
        found = by_key[k]
        if rule in SIZE_RULES:
            if was is None:
                failures.append(f"new: {found[0]}")
            elif n > was:
                failures.append(f"grown: {found[0]} (baseline {was})")
            elif n < was:
                hints.append(f"shrank: {rule} {path} {key}: {was} -> {n} lines")
        elif was is None or n > was:
            where = ", ".join(v.where for v in found)
            failures.append(f"new: {found[-1]} ({n} now, {was or 0} in the baseline; at {where})")
        elif n < was:
            hints.append(f"fewer: {rule} {path} {key}: {was} -> {n}")
    for k, was in sorted(baseline.items()):
        if k not in now:
            hints.append(f"gone: {k[0]} {k[1]} {k[2]} (was {was})")
    if hints:
        hints.append(
            "the tree improved: shrink the baseline: python -m tests.archcheck --write-baseline"
        )
    return Report(failures, hints)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.archcheck", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="folder holding bot/")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument(
        "--write-baseline", action="store_true", help="record today's violations as the baseline"
    )
    parser.add_argument("--list", action="store_true", help="print every violation")
    args = parser.parse_args(argv)
    violations = check(args.root)
    if args.list:
        for v in violations:
            print(v)
    if args.write_baseline:
        args.baseline.write_text(to_json(violations), encoding="utf-8")
        counts = Counter(v.rule for v in violations)
        print(
            f"wrote {args.baseline}: " + ", ".join(f"{r} {n}" for r, n in sorted(counts.items()))
        )
        return 0
    report = compare(violations, load_baseline(args.baseline))
    for line in report.failures + report.hints:
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
