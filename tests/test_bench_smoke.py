"""Smoke test of the benchmarks: one micro-size case of each, so bench code does not rot.

It checks that each benchmark runs and reports numbers under the expected keys; it never
asserts speed. The PostgreSQL case reuses tick_claim_ms and update_throughput with another URL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import bench
from bench import __main__ as cli
from bench import burst, fanout, fixes, report, rss, rss_probe, throughput, tick
from bench.common import QUICK
from bench.machine import describe


def _numbers(data: dict[str, Any], *keys: str) -> None:
    for key in keys:
        assert key in data, key
        value = data[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)


async def _rss_in_process() -> dict[str, Any]:
    """The RSS probe's bot run in this process (a child re-imports everything: seconds)."""
    from bench.common import (
        T0,
        fresh_db,
        populate_chats,
        populate_schedules,
        schedule_rows,
        scratch_dir,
        sqlite_url,
    )

    with scratch_dir("smoke-rss") as folder:
        url = sqlite_url(folder)
        db = await fresh_db(url)
        pks = await populate_chats(db, 30, course_id=tick.COURSE, with_members=True)
        await populate_schedules(db, schedule_rows(pks, now=T0, due_count=5))
        await db.dispose()
        bot = await rss_probe.run_bot(url)
    baseline = rss._probe("--baseline")
    return {**bot, "baseline_rss_mb": baseline["rss_mb"], "chats": 30}


@pytest.fixture(scope="module")
def details() -> dict[str, Any]:
    """Run every benchmark function once at micro size (one event loop per call)."""
    import asyncio

    return {
        "throughput": asyncio.run(throughput.update_throughput(4, 1)),
        "fixes": asyncio.run(fixes.fixes(2, 1)),
        "tick": {
            "10k": asyncio.run(tick.tick_claim_ms(40, batch=3, reps=2)),
            "100k": asyncio.run(tick.tick_claim_ms(60, batch=3, reps=2)),
        },
        "load": asyncio.run(tick.schedule_load(20)),
        "fanout": asyncio.run(fanout.fanout(20, 10.0)),
        "rss": asyncio.run(_rss_in_process()),
        "concurrent": asyncio.run(throughput.answers_lost(4)),
        "burst": asyncio.run(burst.burst(6, 2, 1)),
        "pg": {"measured": False, "reason": "not measured: smoke test"},
    }


def test_package_imports() -> None:
    assert bench.__doc__
    assert set(cli.CASES) >= {
        "throughput",
        "tick",
        "load",
        "fanout",
        "rss",
        "concurrent",
        "burst",
        "pg",
    }


def test_throughput_reports_numbers(details: dict[str, Any]) -> None:
    _numbers(
        details["throughput"],
        "update_throughput_ratio",
        "updates_per_s",
        "echo_updates_per_s",
        "statements_per_update",
        "cpu_ms_per_update",
    )
    _numbers(details["fixes"], "before_updates_per_s", "after_updates_per_s", "after_cpu_ms")


def test_tick_and_load_report_numbers(details: dict[str, Any]) -> None:
    _numbers(details["tick"]["100k"], "median_ms", "min_ms", "max_ms")
    assert details["tick"]["100k"]["chats"] == 60
    _numbers(details["load"], "schedule_load_ratio", "apscheduler_s", "table_s")


def test_fanout_rss_concurrent_report_numbers(details: dict[str, Any]) -> None:
    _numbers(details["fanout"], "fanout_rate_ratio", "fanout_429", "messages_per_scaled_s")
    assert details["fanout"]["messages"] == 40
    _numbers(details["rss"], "rss_mb", "baseline_rss_mb", "claimed")
    _numbers(details["concurrent"], "answers_lost_concurrent", "answers_stored")
    _numbers(details["burst"], "burst_p95_ms", "ratio_vs_sequential")
    assert details["burst"]["runs"]["lanes"][0]["answered"] == 2
    assert details["concurrent"]["members"] == 4


def test_report_has_every_key(details: dict[str, Any], tmp_path: Path) -> None:
    meta = {
        "date": "2027-03-01T00:00:00+00:00",
        "mode": "quick",
        "command": "smoke",
        "cases": list(details),
        "seconds": 0.0,
        "sizes": QUICK.__dict__,
        "machine": describe(),
    }
    results = report.build_results(meta, details)
    json.dumps(results)  # serialisable
    for fig in report.FIGURES:
        assert fig.key in results
    for key in (
        "update_throughput_ratio",
        "tick_ms_100k",
        "schedule_load_ratio",
        "fanout_rate_ratio",
        "rss_mb_100k",
        "answers_lost_concurrent",
        "burst_p95_ms",
    ):
        _numbers(results, key)
    assert results["tick_ms_100k_pg"].startswith("not measured")
    text = report.markdown(results)
    assert "| `tick_ms_100k` |" in text
    assert "Quick mode" in text
