"""Turn the measured details into results.json (flat keys + annotations) and RESULTS.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NOT_RUN = "not run in this invocation"


@dataclass(frozen=True)
class Figure:
    """One reported figure: where its value comes from, its goal and what limits it."""

    key: str
    case: str
    unit: str
    value: Callable[[dict[str, Any]], Any]
    baseline: Callable[[dict[str, Any]], str] = lambda d: "-"
    ratio: Callable[[dict[str, Any]], str] = lambda d: "-"
    goal: str = "-"
    met: Callable[[Any], bool] | None = None
    limit: Callable[[dict[str, Any]], str] = lambda d: ""
    size: Callable[[dict[str, Any]], str] = lambda d: ""


def _tp_limit(d: dict[str, Any]) -> str:
    floor = d["statements_per_update"] * d["floor_statement_ms"]
    return (
        f"one quiz answer costs {d['ms_per_update']} ms: {d['statements_per_update']} SQL "
        f"statements in {d['transactions_per_update']} write transactions (dedup of the update "
        f"id, then grading). The database layer alone costs {d['floor_statement_ms']} ms per "
        f"trivial statement (SQLAlchemy -> aiosqlite worker-thread hop) and "
        f"{d['floor_write_txn_ms']} ms per one-row write transaction, so about {floor:.1f} ms "
        f"per answer before any bot logic; the echo bot does no I/O at all "
        f"({d['echo_ms_per_update']} ms per update). See 'Profile' below."
    )


def _tick_limit(d: dict[str, Any]) -> str:
    return (
        f"the due rows are found by the index ({d['query_plan']}) and 10k vs 100k differ by "
        "noise only; the time is Python per claimed row (plan_catch_up + spec_of ~170 µs) and "
        "the ORM load/flush of 100 schedules and chats. See 'Profile'"
    )


def _fanout_limit(d: dict[str, Any]) -> str:
    if d["fanout_429"]:
        return f"{d['fanout_429']} sends broke a limit: the pacer disagrees with the fake's limits"
    lx, lm = d.get("light_x10", {}), d.get("light_x10_mark25", {})
    return (
        "the tick plans at 95% of 30/s (PacingLimits.headroom), so 0.95 is its ceiling; below "
        "that, its dispatcher awaits database work inline: it prepares each delivery "
        "(delivery.prepare) and marks each result (record_results, mark_batch=1) on the loop "
        "that starts the sends, and a send that starts more than half a slot late gives its "
        "slot up (it never bursts). Pacing only (light composer, x10): "
        f"{lx.get('fanout_rate_ratio')} with a mark per delivery, "
        f"{lm.get('fanout_rate_ratio')} with mark_batch=25. See 'Profile'"
    )


def _rss_limit(d: dict[str, Any]) -> str:
    return (
        f"{d['baseline_rss_mb']} MB is python + PTB alone; the rest is SQLAlchemy/SQLModel, "
        f"fsrs, the catalog and the connection pool, not the number of chats (they stay in the DB)"
    )


def _pg(d: dict[str, Any], path: tuple[str, ...]) -> Any:
    if not d.get("measured"):
        return d.get("reason", "not measured")
    node: Any = d
    for part in path:
        node = node[part]
    return node


FIGURES: tuple[Figure, ...] = (
    Figure(
        "update_throughput_ratio",
        "throughput",
        "x",
        lambda d: d["update_throughput_ratio"],
        baseline=lambda d: f"echo bot {d['echo_updates_per_s']}/s",
        ratio=lambda d: f"{d['updates_per_s']} / {d['echo_updates_per_s']}",
        goal=">= 0.5",
        met=lambda v: v >= 0.5,
        limit=_tp_limit,
        size=lambda d: f"{d['updates']} updates, best of {d['repeats']}",
    ),
    Figure(
        "updates_per_s",
        "throughput",
        "updates/s",
        lambda d: d["updates_per_s"],
        baseline=lambda d: f"echo bot {d['echo_updates_per_s']}/s",
        ratio=lambda d: f"{d['update_throughput_ratio']}",
        size=lambda d: (
            f"runs {d['bot_runs_per_s']} (spread {d['bot_spread']:.0%}); echo runs "
            f"{d['echo_runs_per_s']} (spread {d['echo_spread']:.0%})"
        ),
    ),
    Figure(
        "tick_ms_10k",
        "tick",
        "ms",
        lambda d: d["10k"]["median_ms"],
        size=lambda d: (
            f"{d['10k']['chats']} chats, batch {d['10k']['batch']}, median of "
            f"{d['10k']['reps']} (min {d['10k']['min_ms']}, max {d['10k']['max_ms']})"
        ),
    ),
    Figure(
        "tick_ms_100k",
        "tick",
        "ms",
        lambda d: d["100k"]["median_ms"],
        baseline=lambda d: f"10k chats: {d['10k']['median_ms']} ms",
        ratio=lambda d: f"{d['100k']['median_ms'] / d['10k']['median_ms']:.2f} vs 10k",
        goal="<= 20 ms",
        met=lambda v: v <= 20,
        limit=lambda d: _tick_limit(d["100k"]),
        size=lambda d: (
            f"{d['100k']['chats']} chats, batch {d['100k']['batch']}, median of "
            f"{d['100k']['reps']} (min {d['100k']['min_ms']}, max {d['100k']['max_ms']})"
        ),
    ),
    Figure(
        "schedule_load_ratio",
        "load",
        "x",
        lambda d: d["schedule_load_ratio"],
        baseline=lambda d: f"table load {d['table_s']} s",
        ratio=lambda d: f"{d['apscheduler_s']} s / {d['table_s']} s",
        goal="> 1 (the table is faster)",
        met=lambda v: v > 1,
        limit=lambda d: "next_due maths per row dominates the table load",
        size=lambda d: (
            f"{d['chats']} chats = {d['apscheduler_jobs']} cron jobs "
            f"(+{d['apscheduler_rss_delta_mb']} MB RSS for the jobs); "
            f"table: {d['table_next_due_s']} s of it is next_due"
        ),
    ),
    Figure(
        "fanout_rate_ratio",
        "fanout",
        "x",
        lambda d: d["fanout_rate_ratio"],
        baseline=lambda d: "Telegram limit 30 msg/s",
        ratio=lambda d: f"{d['messages_per_scaled_s']} msg/s / 30",
        goal=">= 0.95",
        met=lambda v: v >= 0.95,
        limit=_fanout_limit,
        size=lambda d: (
            f"{d['messages']} messages ({d['deliveries']} due chats, 5% groups: lesson + question "
            f"each), time scale x{d['time_scale']} for the fake and the tick's pacing, "
            f"{d['real_seconds']} s real; pacing only at x10: "
            f"{d.get('light_x10', {}).get('fanout_rate_ratio')} "
            f"({d.get('light_x10', {}).get('fanout_429')} x 429), with mark_batch=25: "
            f"{d.get('light_x10_mark25', {}).get('fanout_rate_ratio')}"
        ),
    ),
    Figure(
        "fanout_429",
        "fanout",
        "answers",
        lambda d: d["fanout_429"],
        goal="0",
        met=lambda v: v == 0,
        limit=_fanout_limit,
    ),
    Figure(
        "rss_mb_100k",
        "rss",
        "MB",
        lambda d: d["rss_mb"],
        baseline=lambda d: f"python + PTB import: {d['baseline_rss_mb']} MB",
        ratio=lambda d: f"{d['rss_mb'] / d['baseline_rss_mb']:.2f}",
        goal="<= 150 MB",
        met=lambda v: v <= 150,
        limit=_rss_limit,
        size=lambda d: (
            f"{d['chats']} enrolled chats; {d['rss_after_start_mb']} MB after start, after a tick "
            f"that claimed and sent {d['claimed']}"
        ),
    ),
    Figure(
        "burst_p95_ms",
        "burst",
        "ms",
        lambda d: d["burst_p95_ms"],
        baseline=lambda d: (
            f"one update at a time: p95 {min(d['sequential_p95_ms_runs'])} ms; "
            f"PTB first-in-first-out: p95 {min(d['fifo_p95_ms_runs'])} ms"
        ),
        ratio=lambda d: f"{d['ratio_vs_sequential']}x faster than one at a time",
        goal="<= 100",
        met=lambda v: v <= 100,
        limit=lambda d: (
            "the private /quiz takes several write transactions, each queued (first come, first "
            "served) behind the group's answers in flight (bot/tg/lanes.py GROUP_PARALLEL) for "
            "SQLite's single writer; the one-writer group commit of issue 14 removes that wait"
        ),
        size=lambda d: (
            f"{d['runs']['lanes'][0]['members']} group answers queued, then "
            f"{d['runs']['lanes'][0]['private']} private /quiz; best of "
            f"{len(d['burst_p95_ms_runs'])} alternating runs, lanes p95 runs "
            f"{d['burst_p95_ms_runs']}"
        ),
    ),
    Figure(
        "answers_lost_concurrent",
        "concurrent",
        "answers",
        lambda d: d["answers_lost_concurrent"],
        goal="0",
        met=lambda v: v == 0,
        limit=lambda d: f"errors logged: {d['errors_logged']} (first: {d['first_error']})",
        size=lambda d: (
            f"{d['members']} members, one group poll, asyncio.gather of process_update; "
            f"{d['answers_stored']} stored in {d['seconds']} s"
        ),
    ),
    Figure(
        "tick_ms_100k_pg",
        "pg",
        "ms",
        lambda d: _pg(d, ("tick", "median_ms")),
        baseline=lambda d: "SQLite: see tick_ms_100k",
        size=lambda d: (
            f"{d['tick']['chats']} chats, batch {d['tick']['batch']}" if d.get("measured") else ""
        ),
    ),
    Figure(
        "updates_per_s_pg",
        "pg",
        "updates/s",
        lambda d: _pg(d, ("throughput", "updates_per_s")),
        baseline=lambda d: (
            f"echo bot {d['throughput']['echo_updates_per_s']}/s" if d.get("measured") else "-"
        ),
        ratio=lambda d: (
            f"{d['throughput']['update_throughput_ratio']}" if d.get("measured") else "-"
        ),
        size=lambda d: (
            f"{d['throughput']['updates']} updates, {d['throughput']['statements_per_update']} "
            f"statements/update"
            if d.get("measured")
            else ""
        ),
    ),
)


def build_results(meta: dict[str, Any], details: dict[str, Any]) -> dict[str, Any]:
    """Flat figure keys (numbers, or a 'not measured' string) plus annotations and details."""
    results: dict[str, Any] = {}
    annotated: dict[str, Any] = {}
    for fig in FIGURES:
        data = details.get(fig.case)
        if data is None:
            results[fig.key] = NOT_RUN
            annotated[fig.key] = {"value": NOT_RUN}
            continue
        value = fig.value(data)
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        met = fig.met(value) if (fig.met is not None and numeric) else None
        results[fig.key] = value
        annotated[fig.key] = {
            "value": value,
            "unit": fig.unit,
            "baseline": fig.baseline(data) if numeric else "-",
            "ratio": fig.ratio(data) if numeric else "-",
            "goal": fig.goal,
            "met": met,
            "limited_by": fig.limit(data) if met is False else "",
            "size": fig.size(data) if numeric else "",
        }
    return {**results, "meta": meta, "figures": annotated, "details": details}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def markdown(results: dict[str, Any]) -> str:
    """Render RESULTS.md."""
    meta = results["meta"]
    machine = meta["machine"]
    lines = [
        "# tutorbot benchmarks",
        "",
        f"Generated by `{meta['command']}` on {meta['date']} ({meta['seconds']} s). "
        + (
            f"The figures of {', '.join(meta['cases'])} were measured in this run (baselines in "
            "the same process); the others are kept from the previous run's results.json, whose "
            "machine and load may differ."
            if "--only" in meta["command"]
            else "Every figure below was measured in this run; baselines ran in the same process."
        ),
        "",
    ]
    if meta["mode"] == "quick":
        lines += [
            "> **Quick mode: smaller sizes** (keys keep their names; the sizes actually used are "
            f"in the Size column): {meta['sizes']}.",
            "",
        ]
    pkgs = ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
    lines += [
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores; RAM {machine['ram_gib']} GiB",
        f"- OS: {machine['os']}",
        f"- Python {machine['python']}, SQLite {machine['sqlite']}",
        *(
            [
                f"- Load average (1, 5, 15 min) at start {meta['load_avg_start']}, at end "
                f"{meta['load_avg_end']}: above the core count means other work shared the CPU"
            ]
            if "load_avg_start" in meta
            else [
                "- Load average not recorded by this run (other engineers' test suites were "
                "running on the same 2 cores: load average ~5 at its end)"
            ]
        ),
        f"- Packages: {pkgs}",
        "",
        "## Figures",
        "",
        "| Key | Value | Unit | Baseline | Ratio | Goal | Met | Size / notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    limits = []
    for key, fig in results["figures"].items():
        met = {True: "met", False: "**not met**", None: "-"}[fig.get("met")]
        lines.append(
            f"| `{key}` | {_fmt(fig['value'])} | {fig.get('unit', '')} "
            f"| {fig.get('baseline', '-')} | {fig.get('ratio', '-')} | {fig.get('goal', '-')} "
            f"| {met} | {fig.get('size', '')} |"
        )
        if fig.get("limited_by"):
            limits.append(f"- `{key}`: {fig['limited_by']}")
    if limits:
        lines += ["", "## What limits the figures that miss their goal", "", *limits]
    details = results["details"]
    lines += ["", "## Code paths measured", ""]
    for case, label in (
        ("tick", "tick claim"),
        ("fanout", "fan-out pacing"),
        ("rss", "tick in the RSS probe"),
    ):
        data = details.get(case)
        if data is None:
            continue
        path = data.get("code_path") or data.get("100k", {}).get("code_path", "")
        lines.append(f"- {label}: `{path}`")
    lines += [
        "- throughput: the real Application from `bot.tg.app.build_application` over "
        "`FakeBotAPI` (rate_limiter=False, start_jobs=False), `app.process_update` per update: "
        "dedup, PollAnswerHandler, grading, FSRS, DB writes, feedback message",
        "- echo baseline: a bare PTB Application with one MessageHandler calling send_message, "
        "same FakeBotAPI class, same number of updates, measured before and after the bot",
    ]
    lines += ["", *profile_notes(details)]
    if "fixes" in details:
        fx = details["fixes"]
        lines += [*fx.get("markdown", []), ""]
        runs = fx.get("before_runs", []) + fx.get("after_runs", [])
        spread = (max(runs) - min(runs)) / max(runs) if runs else 0.0
        change = fx["after_updates_per_s"] / fx["before_updates_per_s"] - 1
        if abs(change) < spread:
            lines += [
                f"Reading: the difference ({change:+.0%}) is smaller than the run-to-run spread "
                f"of these runs ({spread:.0%}), so at whole-bot level the three patches are "
                "within noise here: saving 3 of ~21 statements cannot move a figure that "
                "the ~78 thread hops per answer dominate. In isolation the dedup upsert cost "
                "0.90 ms CPU per call against 1.32 ms for the current get + insert (1,800 calls "
                "each, alternating, same database). Apply them for simplicity, not speed; the "
                "speed lever is item 3 above (one hop per transaction).",
                "",
            ]
    return "\n".join(lines)


def profile_notes(details: dict[str, Any]) -> list[str]:
    """What profiling showed, with this run's numbers where they exist."""
    tp = details.get("throughput")
    tk = details.get("tick", {}).get("100k")
    lines = ["## Profile: where the time goes and what to change", ""]
    if tp:
        lines += [
            f"**Quiz answers ({tp['ms_per_update']} ms wall, {tp['cpu_ms_per_update']} ms CPU "
            "per update).** cProfile of the bot run: most of the main thread's time is in "
            "`SimpleQueue.put_nowait` and `epoll.poll`, i.e. handing calls to aiosqlite's worker "
            f"thread and waiting for them. One answer makes {tp['thread_hops_per_update']} such "
            f"hops for {tp['statements_per_update']} SQL statements in "
            f"{tp['transactions_per_update']} write transactions (dedup, then grading): "
            "aiosqlite needs ~3-4 hops per statement (execute, fetch, close), each a GIL "
            "hand-off between two threads. Grading itself (fsrs review, engine.grade) is "
            "< 0.1 ms; rendering and sending the feedback is ~0.4 ms; the echo bot's whole "
            f"update is {tp['echo_ms_per_update']} ms. No query lacks an index (every lookup is "
            "by a unique key or pk) and nothing is repeated per update beyond the statements "
            "below, so the gap to the echo bot is the database round trips, and a ratio of 0.5 "
            "(≈ 0.25 ms per answer) is out of reach for any design that writes an answer, a "
            "card and a review log to a database per update.",
            "",
            "Statements per answer (SQLite, from the engine's statement log):",
            "",
            "1. dedup txn: `BEGIN IMMEDIATE`, `SELECT processedupdate`, `INSERT processedupdate`"
            " -> proposed `INSERT .. ON CONFLICT DO NOTHING` (1 statement, rowcount says "
            "whether it is new) in `bot/study/updates.py mark`.",
            "2. grading txn: `SELECT sentquestion`, `SELECT chat`, `SELECT member`, `SELECT "
            "membership`, `SELECT answer` (pre-check), `SAVEPOINT`, `INSERT answer`, `RELEASE`, "
            "`SELECT card`, `INSERT card`, `UPDATE answer SET rating`, `UPDATE card`, `INSERT "
            "reviewlog`, `SELECT schedule` (time zone), `SELECT studyday`, `INSERT studyday`, "
            "`SELECT DISTINCT answer.question_id`. Proposed in `bot/study/learning.py` / "
            "`bot/db/repo.py`: drop the `get_answer` pre-check (uq_answer_once + the savepoint "
            "already catch a duplicate); insert the study day with ON CONFLICT DO NOTHING; "
            "compute the FSRS review before inserting the card and the answer so the rating and "
            "the card state go in with the INSERT (saves `UPDATE answer` and, for new cards, "
            "`UPDATE card`); load the sent question and its chat in one joined SELECT; skip "
            "`ensure_membership` in a private chat when `sent.member_id` is the answering "
            "member. Together ~8 of 21 statements.",
            "3. The bigger lever is the hops, not the SQL: run each use case's whole "
            "transaction in ONE worker-thread hop (a sync `Session` on `sqlite3` inside "
            "`asyncio.to_thread`, as tech brief §4 allows) instead of ~4 hops per statement. "
            "That is a `bot/db/engine.py` + use-case change for their owners, not made here.",
            "",
            "The first three proposals are measured below (patched in-process, same run) when "
            "the `fixes` case ran.",
            "",
        ]
    if tk:
        lines += [
            f"**Tick claim ({tk['median_ms']} ms among {tk['chats']} chats, "
            f"`{tk['code_path']}`).** The due query uses the index ({tk['query_plan']}), so "
            "the claim does not grow with the table beyond the index depth (compare "
            "tick_ms_10k). Profile of `claim_due` for a batch of 100 (cProfile + timers, one "
            "run on this machine under load): about 35 ms CPU per claim, of which "
            "`plan_catch_up` ~14 ms and `spec_of` ~3 ms (pure schedule maths, ~170 µs per "
            "row), `_expire_lost` ~2 ms, the heartbeat row ~1 ms; the rest is the ORM loading "
            "100 Schedule+Chat objects, the CourseProgress lookup, flushing 100 schedule "
            "UPDATEs and the INSERT .. RETURNING. Proposed changes, for their owners:",
            "",
            "- `bot/scheduling/due.py` (pure): `plan_catch_up` calls `previous_due` and "
            "`next_due`, and each builds every slot on 19 local dates (`_slots_around`, ±9 "
            "days) with zoneinfo conversions. Search forward only for `next_due` (local dates "
            "-1..+8, stop after the first date with a later slot and the one after it, for "
            "DST) and backward only for `previous_due`; that roughly halves to quarters the "
            "per-row cost.",
            "- `bot/study/delivery.py claim_due`: compute the plans before `BEGIN IMMEDIATE` "
            "(read the due rows, compute, then write with a conditional UPDATE .. WHERE "
            "next_due_at = :seen) so the write lock covers only the writes; update the "
            "schedules with one executemany of plain tuples instead of 100 ORM objects.",
            "",
        ]
    fo = details.get("fanout")
    if fo and "light_x10" in fo:
        lx, lm = fo["light_x10"], fo["light_x10_mark25"]
        lines += [
            f"**Fan-out (`{fo['code_path']}`).** The tick plans at 95% of 30/s "
            "(`PacingLimits.headroom`), so its ratio cannot pass 0.95. Its dispatcher awaits "
            "database work inline on the loop that starts the sends: it prepares each delivery "
            "(`delivery.prepare`: a lesson and a question, ~2 write transactions) just before "
            "its first slot and marks every result right away (`record_results`, "
            "`mark_batch=1`); a send that starts more than half a slot late gives its slot up "
            "rather than burst. With a light composer (no preparation) at time scale x10: "
            f"ratio {lx['fanout_rate_ratio']} with a mark per delivery, "
            f"{lm['fanout_rate_ratio']} with `mark_batch=25` (both {lx['fanout_429']} / "
            f"{lm['fanout_429']} x 429). Proposed for `bot/tg/jobs.py` / "
            "`bot/tg/deliverer.py`: mark in batches (or in a background task), and prepare "
            "deliveries in a producer task a few seconds ahead so the dispatcher never awaits "
            "the database between two slots.",
            "",
        ]
    return lines
