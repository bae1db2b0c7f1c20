"""Input never reaches SQL except as bound parameters, and is escaped in every HTML message."""

from __future__ import annotations

import ast
import re
import sqlite3
from html import escape
from pathlib import Path

from sqlmodel import select

from bot.db.models import Chat, Member, QuestionReport, Schedule
from bot.playground.fakeupdates import FakeUser
from tests.botkit import running_bot
from tests.test_groups_kit import member_change

ROOT = Path(__file__).parent.parent

# What Telegram accepts in parse_mode=HTML (https://core.telegram.org/bots/api#html-style).
TELEGRAM_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9A-Fa-f]+);")


def telegram_html_problems(text: str) -> list[str]:
    """Say why Telegram would refuse (or misread) this HTML message text; [] when it is fine."""
    problems: list[str] = []
    stack: list[str] = []
    for match in _TAG.finditer(text):
        closing, name = match.group(1), match.group(2).lower()
        if name not in TELEGRAM_TAGS:
            problems.append(f"unsupported tag <{closing}{name}>")
        elif not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            problems.append(f"unbalanced </{name}>")
    if stack:
        problems.append(f"unclosed {stack}")
    bare = _TAG.sub("", text)
    if "<" in bare:
        problems.append("a raw '<' outside a tag")
    if "&" in _ENTITY.sub("", bare):
        problems.append("a raw '&' outside an entity")
    return problems


# --- the tests -------------------------------------------------------------------------------

EVIL_NAME = "<script>alert(1)</script> Bobby'); DROP TABLE member;--"
EVIL_TITLE = "Tea & <b>Co</b>'; DELETE FROM chat; --"
EVIL_TZ = "Europe/Berlin'; DROP TABLE schedule; --"
EVIL_TIME = "08:00' OR '1'='1"
EVIL_REASON = "B is right'); DELETE FROM questionreport; -- <script>x</script>"
EVIL_LINK = "mini';DROP TABLE chat;--"
MALLORY = FakeUser(31337, EVIL_NAME, "mallory")
EVIL_GROUP = -100777


def sql_tables(db_file: Path) -> dict[str, int]:
    """Every table and its row count, straight from SQLite."""
    with sqlite3.connect(db_file) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


async def test_hostile_input_is_stored_verbatim_and_echoed_escaped(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as rig:
        db_file = Path(rig.db_url.removeprefix("sqlite+aiosqlite:///"))
        tables_before = set(sql_tables(db_file))
        rig.api.admins[EVIL_GROUP] = {MALLORY.id}
        await rig.say(MALLORY, f"/start {EVIL_LINK}")  # a deep link naming no course we have
        await rig.say(MALLORY, "/start")  # the only course, then
        await rig.press(MALLORY, "set:type:time")
        await rig.say(MALLORY, EVIL_TIME)
        await rig.say(MALLORY, "/settings")
        await rig.press(MALLORY, "set:menu:tz")
        await rig.press(MALLORY, "set:type:tz")
        await rig.say(MALLORY, EVIL_TZ)
        await rig.say(MALLORY, "/examdate ' OR 1=1 --")
        await rig.say(MALLORY, "/<script>alert(1)</script>")
        await rig.send(
            member_change(rig, MALLORY, EVIL_GROUP, old="left", new="member", title=EVIL_TITLE)
        )
        async with rig.db.read() as s:  # (later fake messages carry a plain group title)
            group = (await s.exec(select(Chat).where(Chat.tg_chat_id == EVIL_GROUP))).one()
        await rig.say(MALLORY, f"/start {EVIL_LINK}", chat_id=EVIL_GROUP)
        await rig.say(MALLORY, "/recap fri'; DROP TABLE schedule;-- 18:00", chat_id=EVIL_GROUP)
        await rig.say(MALLORY, "/quiz")
        feedback = rig.api.last("sendPoll")
        await rig.vote(MALLORY, feedback["correct_option_ids"])
        report = next(
            d for _, d in rig.buttons(rig.api.last("sendMessage")) if d.startswith("report:")
        )
        await rig.press(MALLORY, report)
        prompt = rig.api.messages[max(k for k in rig.api.messages if k[0] == MALLORY.id)]
        await rig.send(rig.updates.message(MALLORY, EVIL_REASON, reply_to=prompt))
        await rig.say(MALLORY, "/leaderboard", chat_id=EVIL_GROUP)
        await rig.say(MALLORY, "/mystats", chat_id=EVIL_GROUP)
        await rig.say(MALLORY, "/progress")

        async with rig.db.read() as s:
            member = (await s.exec(select(Member).where(Member.tg_user_id == MALLORY.id))).one()
            (stored_report,) = (await s.exec(select(QuestionReport))).all()
            schedules = (await s.exec(select(Schedule))).all()
        html = [
            str(c.params["text"])
            for c in rig.api.calls
            if c.params.get("parse_mode") == "HTML" and "text" in c.params
        ]
        tables_after = sql_tables(db_file)

    # Tables intact, the hostile strings stored as data, exactly.
    assert set(tables_after) == tables_before
    assert tables_after["member"] == 1 and tables_after["chat"] == 2
    assert member.first_name == EVIL_NAME
    assert group.title == EVIL_TITLE
    assert stored_report.reason == EVIL_REASON
    assert all(s.timezone != EVIL_TZ for s in schedules)  # refused, not stored
    # Echoed only escaped: every HTML message is one Telegram accepts, no live <script>.
    assert html
    assert [(text, p) for text in html if (p := telegram_html_problems(text))] == []
    assert not any("<script>" in text for text in html)
    echoed = "\n".join(html)
    for hostile in (EVIL_NAME, EVIL_TZ, EVIL_TIME):  # greeted by name, refused values quoted
        assert any(escape(hostile, quote=q) in echoed for q in (False, True)), hostile


def sql_text_imported(tree: ast.Module) -> bool:
    """Whether a module imports SQLAlchemy's text()."""
    return any(
        isinstance(node, ast.ImportFrom)
        and (node.module or "").split(".")[0] in {"sqlalchemy", "sqlmodel"}
        and any(alias.name == "text" for alias in node.names)
        for node in ast.walk(tree)
    )


def test_no_sql_is_built_from_strings_in_the_bot() -> None:
    """Every query is SQLAlchemy constructs or text() with bound parameters: no f-strings."""
    allowed = {
        # identifiers from the schema (quoted), never input: PostgreSQL sequence reset
        ("bot/ops/dbcopy.py", "text"),
    }
    found: list[str] = []
    for path in sorted(ROOT.glob("bot/**/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/versions/" in relative:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in {"text", "exec_driver_sql", "execute", "executescript", "exec"}:
                continue
            if name == "text" and not (isinstance(func, ast.Name) and sql_text_imported(tree)):
                continue  # e.g. matplotlib's ax.text(...)
            first = node.args[0]
            built = isinstance(first, ast.JoinedStr | ast.BinOp) or (
                isinstance(first, ast.Call)
                and isinstance(first.func, ast.Attribute)
                and first.func.attr == "format"
            )
            if built and (relative, name) not in allowed:
                found.append(f"{relative}:{node.lineno}: {name}(...) built from a string")
    assert found == []
