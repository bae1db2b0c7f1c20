"""Issue 13's architecture rules: the tree keeps to its baseline, and each rule catches a plant.

The checker lives in ``tests/archcheck.py``; the ratchet file is
``tests/architecture_baseline.json`` (regenerate: ``python -m tests.archcheck --write-baseline``).
Each planted-violation test writes a tiny fake ``bot/`` under ``tmp_path`` and asserts the exact
``(rule, "path:line", detail)`` the checker reports against an empty baseline.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests import archcheck
from tests.archcheck import ROOT, check, compare, load_baseline, summarise


def plant(root: Path, files: dict[str, str]) -> list[tuple[str, str, str]]:
    """Write ``files`` (path -> source) under ``root`` and return the checker's violations."""
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    violations = check(root)
    assert not compare(violations, {}).ok or not violations
    return [v.as_tuple() for v in violations]


def body(lines: int, name: str = "f", indent: str = "") -> str:
    """A function definition exactly ``lines`` lines long."""
    return f"{indent}def {name}():\n" + f"{indent}    x = 1\n" * (lines - 1)


# -- the real tree ----------------------------------------------------------------------------


def test_real_tree_keeps_to_the_baseline() -> None:
    report = compare(check(ROOT), load_baseline())
    for hint in report.hints:
        print(hint)
    assert report.ok, "\n".join(
        [*report.failures, "fix these, or (if deliberate) run python -m tests.archcheck "
         "--write-baseline and justify the new entries in the commit"]
    )  # fmt: skip


def test_baseline_has_no_line_numbers_and_sizes_are_numbers() -> None:
    rows = json.loads(archcheck.BASELINE.read_text(encoding="utf-8"))
    assert rows, "the tree is mid-restructure: an empty baseline means the checker broke"
    for row in rows:
        assert set(row) in ({"rule", "path", "key", "size"}, {"rule", "path", "key", "count"})
        assert ":" not in row["path"]
        value = row.get("size", row.get("count"))
        assert isinstance(value, int) and value > 0
        if row["rule"] in archcheck.SIZE_RULES:
            assert "size" in row


# -- R1 layering ------------------------------------------------------------------------------


def test_r1_pure_core_importing_telegram(tmp_path: Path) -> None:
    found = plant(tmp_path, {"bot/quiz/x.py": "import json\nimport telegram\n"})
    assert found == [
        ("R1-layering", "bot/quiz/x.py:2", "pure core bot.quiz.x imports third-party telegram")
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # a pure core reaching into the database, through a relative import
            {"bot/db/models.py": "", "bot/quiz/x.py": "from ..db import models\n"},
            ("bot/quiz/x.py:1", "pure core bot.quiz.x imports bot.db.models"),
        ),
        (  # each core has its own third-party library: fsrs belongs to srs, not content
            {"bot/content/x.py": "import yaml\nimport fsrs\n"},
            ("bot/content/x.py:2", "pure core bot.content.x imports third-party fsrs"),
        ),
        (
            {"bot/tg/texts/x.py": "from sqlmodel import select\n"},
            ("bot/tg/texts/x.py:1", "pure core bot.tg.texts.x imports third-party sqlmodel"),
        ),
        (  # tick.py is not a pure module, but still may not import telegram
            {"bot/scheduling/tick.py": "from telegram.error import Forbidden, RetryAfter\n"},
            (
                "bot/scheduling/tick.py:1",
                "bot.scheduling.tick imports telegram.error "
                "(only bot/tg, bot/playground*, bot/cli.py may)",
            ),
        ),
        (
            {"bot/tg/render.py": "", "bot/study/y.py": "from bot.tg import render\n"},
            ("bot/study/y.py:1", "bot.study.y (study) imports bot.tg.render (tg)"),
        ),
        (
            {"bot/db/z.py": "import bot.tg.send\n"},
            ("bot/db/z.py:1", "bot.db.z (db) imports bot.tg.send (tg)"),
        ),
        (
            {"bot/study/learning.py": "", "bot/db/z.py": "from bot.study import learning\n"},
            ("bot/db/z.py:1", "bot.db.z (db) imports bot.study.learning (study)"),
        ),
        (  # chart.py may use matplotlib, but only lazily
            {"bot/progress/chart.py": "from matplotlib.figure import Figure\n"},
            (
                "bot/progress/chart.py:1",
                "bot.progress.chart imports matplotlib.figure "
                "(matplotlib only lazily, in bot/progress/chart.py)",
            ),
        ),
        (
            {"bot/progress/bars.py": "def f():\n    import matplotlib\n"},
            (
                "bot/progress/bars.py:2",
                "bot.progress.bars imports matplotlib "
                "(matplotlib only lazily, in bot/progress/chart.py)",
            ),
        ),
    ],
)
def test_r1_planted(tmp_path: Path, files: dict[str, str], expected: tuple[str, str]) -> None:
    found = [v for v in plant(tmp_path, files) if v[0] == "R1-layering"]
    assert found == [("R1-layering", *expected)]


def test_r1_allowed_imports_pass(tmp_path: Path) -> None:
    found = plant(
        tmp_path,
        {
            "bot/quiz/engine.py": "",
            "bot/srs/a.py": "from __future__ import annotations\nimport datetime\nimport fsrs\n"
            "from bot.quiz import engine\nfrom bot import kinds\n",
            "bot/kinds.py": "import enum\n",
            "bot/scheduling/due.py": "import zoneinfo\nfrom bot.clock import Clock\n",
            "bot/progress/chart.py": "def draw():\n    from matplotlib.figure import Figure\n",
            "bot/tg/handlers/h.py": "from telegram import Update\n",
            "bot/playground/console.py": "import telegram\n",
            "bot/cli.py": "def main():\n    import telegram\n",
            "bot/study/s.py": "from bot.db import models\nfrom bot.quiz import engine\n",
            "bot/db/models.py": "import sqlmodel\n",
        },
    )
    assert found == []


# -- R2 SQL only in bot/db --------------------------------------------------------------------

SQL = """
from sqlalchemy import delete
from sqlmodel import select as sel
import sqlalchemy as sa

async def drop(session, pk):
    await session.exec(delete(Card).where(Card.id == pk))
    rows = await session.exec(sel(Card))
    return sa.select(Card), rows, [].insert(0, 1)
"""


def test_r2_sql_outside_db(tmp_path: Path) -> None:
    found = plant(tmp_path, {"bot/study/y.py": SQL, "bot/db/repo.py": SQL})
    assert found == [
        ("R2-sql", "bot/study/y.py:6", "SQL session.exec() in drop"),
        ("R2-sql", "bot/study/y.py:6", "SQL delete() in drop"),
        ("R2-sql", "bot/study/y.py:7", "SQL session.exec() in drop"),
        ("R2-sql", "bot/study/y.py:7", "SQL sel() in drop"),
        ("R2-sql", "bot/study/y.py:8", "SQL sa.select() in drop"),
    ]


# -- R4 thin handlers -------------------------------------------------------------------------


def test_r4_handler_over_20_lines(tmp_path: Path) -> None:
    found = plant(
        tmp_path,
        {"bot/tg/handlers/z.py": body(20, "short") + body(21, "long"), "bot/tg/v.py": body(30)},
    )
    assert found == [
        (
            "R4-handler-size",
            "bot/tg/handlers/z.py:21",
            "handler module function long is 21 lines (limit 20)",
        )
    ]


def test_r4_split_callback_data(tmp_path: Path) -> None:
    split = """
    async def pick(update, context):
        _, action, sent = update.callback_query.data.split(":")
        return action.split(","), sent.rsplit(":", 1)
    """
    found = plant(tmp_path, {"bot/tg/handlers/z.py": split, "bot/tg/callbacks.py": split})
    assert found == [
        (
            "R4-split",
            "bot/tg/handlers/z.py:2",
            "callback data split by hand (.split(':')) in pick",
        ),
        (
            "R4-split",
            "bot/tg/handlers/z.py:3",
            "callback data split by hand (.rsplit(':')) in pick",
        ),
    ]


# -- R5 buttons declared once -----------------------------------------------------------------

BUTTONS = """
import re

import re as regex

ANSWER = re.compile(r"^q:a:(\\d+)")
LINK = re.compile(r"https?://")

def keyboard(sent_id):
    return [
        InlineKeyboardButton("Yes", callback_data=f"ex:c:{sent_id}"),
        InlineKeyboardButton("Site", url="https://example.org"),
        InlineKeyboardButton("Later", callback_data=callbacks.later(sent_id)),
    ]

def handlers():
    return [
        CallbackQueryHandler(keyboard, pattern="^set:"),
        CallbackQueryHandler(keyboard, pattern=callbacks.SETTINGS_BACK),
        regex.fullmatch("rv:next", "x"),
    ]
"""


def test_r5_button_prefix_outside_callbacks(tmp_path: Path) -> None:
    found = plant(tmp_path, {"bot/tg/handlers/b.py": BUTTONS, "bot/tg/callbacks.py": BUTTONS})
    expected = [
        (5, "'q:' as re.compile()", "<module>"),
        (10, "'ex:' as callback_data", "keyboard"),
        (17, "'set:' as pattern", "handlers"),
        (19, "'rv:' as regex.fullmatch()", "handlers"),
    ]
    assert found == [
        (
            "R5-buttons",
            f"bot/tg/handlers/b.py:{line}",
            f"button prefix {what} outside bot/tg/callbacks.py ({where})",
        )
        for line, what, where in expected
    ]


# -- R6 no function-local imports -------------------------------------------------------------

LOCAL = """
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.db.models import Card

try:
    import uvloop
except ImportError:
    uvloop = None

async def after_answer(update):
    from bot.tg.handlers import exam, srs
    import json
"""


def test_r6_function_local_import(tmp_path: Path) -> None:
    found = plant(
        tmp_path,
        {
            "bot/tg/handlers/exam.py": "",
            "bot/tg/handlers/srs.py": "",
            "bot/tg/handlers/quiz.py": LOCAL,
            "bot/cli.py": LOCAL,  # the CLI's lazy imports are deliberate
        },
    )
    assert found == [
        (
            "R6-local-import",
            "bot/tg/handlers/quiz.py:12",
            "function-local import of bot.tg.handlers.exam, bot.tg.handlers.srs in after_answer",
        ),
        (
            "R6-local-import",
            "bot/tg/handlers/quiz.py:13",
            "function-local import of json in after_answer",
        ),
    ]


def test_r6_chart_may_only_import_matplotlib_lazily(tmp_path: Path) -> None:
    chart = "def draw():\n    import matplotlib\n    import io\n"
    assert plant(tmp_path, {"bot/progress/chart.py": chart}) == [
        ("R6-local-import", "bot/progress/chart.py:3", "function-local import of io in draw")
    ]


# -- sizes ------------------------------------------------------------------------------------


def test_function_over_50_lines(tmp_path: Path) -> None:
    source = body(50, "fits") + "class Job:\n" + body(60, "run", indent="    ")
    assert plant(tmp_path, {"bot/study/y.py": source}) == [
        ("function-size", "bot/study/y.py:52", "function Job.run is 60 lines (limit 50)")
    ]


def test_module_over_400_lines(tmp_path: Path) -> None:
    assert plant(tmp_path, {"bot/a.py": "x = 1\n" * 400, "bot/b.py": "x = 1\n" * 401}) == [
        ("module-size", "bot/b.py:1", "module is 401 lines (limit 400)")
    ]


def test_migration_versions_are_skipped(tmp_path: Path) -> None:
    migration = "import telegram\n" + body(80, "upgrade") + "x = 1\n" * 400
    assert plant(tmp_path, {"bot/db/migrations/versions/0001_x.py": migration}) == []


# -- the ratchet ------------------------------------------------------------------------------


def test_grown_size_fails_and_shrunk_size_hints(tmp_path: Path) -> None:
    plant(tmp_path, {"bot/study/y.py": body(60, "grade")})
    violations = check(tmp_path)
    key = ("function-size", "bot/study/y.py", "grade")
    assert summarise(violations) == {key: 60}

    grown = compare(violations, {key: 55})
    assert not grown.ok
    assert grown.failures == [
        "grown: function-size bot/study/y.py:1: "
        "function grade is 60 lines (limit 50) (baseline 55)"
    ]
    assert compare(violations, {key: 60}).ok
    shrunk = compare(violations, {key: 70})
    assert shrunk.ok
    assert shrunk.hints[0] == "shrank: function-size bot/study/y.py grade: 70 -> 60 lines"


def test_baselined_size_key_ignores_line_numbers(tmp_path: Path) -> None:
    plant(tmp_path, {"bot/study/y.py": body(60, "grade")})
    baseline = summarise(check(tmp_path))
    plant(tmp_path, {"bot/study/y.py": "\n" * 30 + body(60, "grade")})  # moved, same size
    assert compare(check(tmp_path), baseline).ok


def test_one_more_occurrence_of_a_baselined_key_fails(tmp_path: Path) -> None:
    one = "def f(session):\n    session.execute(q)\n"
    plant(tmp_path, {"bot/study/y.py": one})
    baseline = summarise(check(tmp_path))
    assert baseline == {("R2-sql", "bot/study/y.py", "f: session.execute()"): 1}

    plant(tmp_path, {"bot/study/y.py": one + "    session.execute(q)\n"})
    report = compare(check(tmp_path), baseline)
    assert report.failures == [
        "new: R2-sql bot/study/y.py:3: SQL session.execute() in f "
        "(2 now, 1 in the baseline; at bot/study/y.py:2, bot/study/y.py:3)"
    ]


def test_gone_violation_passes_with_a_hint(tmp_path: Path) -> None:
    plant(tmp_path, {"bot/quiz/x.py": "import json\n"})
    stale = {("R1-layering", "bot/quiz/x.py", "imports telegram"): 1}
    report = compare(check(tmp_path), stale)
    assert report.ok
    assert report.hints == [
        "gone: R1-layering bot/quiz/x.py imports telegram (was 1)",
        "the tree improved: shrink the baseline: python -m tests.archcheck --write-baseline",
    ]


def test_write_baseline_then_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plant(tmp_path, {"bot/quiz/x.py": "import telegram\n", "bot/study/y.py": body(51)})
    baseline = tmp_path / "baseline.json"
    args = ["--root", str(tmp_path), "--baseline", str(baseline)]
    assert archcheck.main(args) == 1  # no baseline yet: both are new
    assert archcheck.main([*args, "--write-baseline"]) == 0
    assert json.loads(baseline.read_text(encoding="utf-8")) == [
        {"rule": "R1-layering", "path": "bot/quiz/x.py", "key": "imports telegram", "count": 1},
        {"rule": "function-size", "path": "bot/study/y.py", "key": "f", "size": 51},
    ]
    capsys.readouterr()
    assert archcheck.main(args) == 0
    assert capsys.readouterr().out == ""
    plant(tmp_path, {"bot/study/y.py": body(52)})
    assert archcheck.main(args) == 1
    assert "grown: function-size bot/study/y.py:1" in capsys.readouterr().out
