"""`python -m bench [--quick] [--only NAME]`: run benchmarks, write results.json + RESULTS.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import burst, fanout, fixes, pg, report, rss, throughput, tick
from bench.common import FULL, QUICK, Size
from bench.machine import describe

HERE = Path(__file__).resolve().parent
Case = Callable[[Size], Awaitable[dict[str, Any]]]


async def case_throughput(size: Size) -> dict[str, Any]:
    """Quiz answers through the bot vs the echo bot."""
    return await throughput.update_throughput(size.updates, size.repeats)


async def case_fixes(size: Size) -> dict[str, Any]:
    """Quiz-answer throughput before/after the proposed fixes (patched in-process)."""
    return await fixes.fixes(max(size.updates // 2, 3), size.repeats)


async def case_tick(size: Size) -> dict[str, Any]:
    """Claim latency among the scheduled chats."""
    out: dict[str, Any] = {}
    for label, chats in zip(("10k", "100k"), size.tick_sizes, strict=True):
        out[label] = await tick.tick_claim_ms(chats, batch=size.tick_batch, reps=size.tick_reps)
    return out


async def case_load(size: Size) -> dict[str, Any]:
    """Per-chat APScheduler jobs vs the schedule table."""
    return await tick.schedule_load(size.load_chats)


async def case_fanout(size: Size) -> dict[str, Any]:
    """Paced fan-out against the flood-limited fake: the bot's tick, then pacing-only variants."""
    main = await fanout.fanout(size.fanout_messages, size.fanout_scale, real_content=True)
    light = size.fanout_light
    main["light_x10"] = await fanout.fanout(light, 10.0)
    main["light_x10_mark25"] = await fanout.fanout(light, 10.0, mark_batch=25)
    return main


async def case_rss(size: Size) -> dict[str, Any]:
    """Memory of a bot process with many enrolled chats."""
    return await rss.rss(size.rss_chats)


async def case_concurrent(size: Size) -> dict[str, Any]:
    """Simultaneous answers to one group poll."""
    return await throughput.answers_lost(size.group_members)


async def case_burst(size: Size) -> dict[str, Any]:
    """A private /quiz while a group's answer burst is processed (lanes vs FIFO vs sequential)."""
    return await burst.burst(size.burst_members, size.burst_private, size.burst_rounds)


async def case_pg(size: Size) -> dict[str, Any]:
    """The tick and the throughput on PostgreSQL, when a server can be started."""
    with pg.pg_server() as (server, why):
        if server is None:
            return {"measured": False, "reason": why}
        tick_url = await server.create_database("bench_tick")
        claim = await tick.tick_claim_ms(
            size.tick_sizes[0] if size.quick else size.tick_sizes[-1],
            batch=size.tick_batch,
            reps=size.tick_reps,
            url=tick_url,
        )
        rate_url = await server.create_database("bench_rate")
        rate = await throughput.update_throughput(size.updates, size.repeats, url=rate_url)
    return {"measured": True, "tick": claim, "throughput": rate}


CASES: dict[str, Case] = {
    "throughput": case_throughput,
    "fixes": case_fixes,
    "tick": case_tick,
    "load": case_load,
    "fanout": case_fanout,
    "rss": case_rss,
    "concurrent": case_concurrent,
    "burst": case_burst,
    "pg": case_pg,
}


async def run(names: list[str], size: Size) -> dict[str, Any]:
    """Run the named cases in order; return {name: details} plus timings."""
    details: dict[str, Any] = {}
    for name in names:
        start = time.perf_counter()
        print(f"bench: {name} ...", flush=True)
        details[name] = await CASES[name](size)
        details[name]["_seconds"] = round(time.perf_counter() - start, 1)
        print(f"bench: {name} done in {details[name]['_seconds']} s", flush=True)
    return details


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, write the two files."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(CASES),
        metavar="NAME",
        help=f"run only this case (repeatable): {', '.join(CASES)}",
    )
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the two files")
    parser.add_argument(
        "--render",
        action="store_true",
        help="only re-render RESULTS.md from an existing results.json",
    )
    args = parser.parse_args(argv)
    if args.render:
        # Same measurements (details), annotations and prose rebuilt by the current report code.
        old = json.loads((args.out / "results.json").read_text(encoding="utf-8"))
        results = report.build_results(old["meta"], old["details"])
        (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
        (args.out / "RESULTS.md").write_text(report.markdown(results), encoding="utf-8")
        return 0
    size = QUICK if args.quick else FULL
    names = args.only or list(CASES)
    started = datetime.now(UTC)
    wall = time.perf_counter()
    load_start = os.getloadavg()
    details = asyncio.run(run(names, size))
    previous = args.out / "results.json"
    if args.only and previous.is_file():  # --only: keep the other cases' last measurements
        kept = json.loads(previous.read_text(encoding="utf-8")).get("details", {})
        details = {**{k: v for k, v in kept.items() if k not in details}, **details}
    meta = {
        "date": started.isoformat(timespec="seconds"),
        "mode": "quick" if size.quick else "full",
        "command": "python -m bench"
        + (" --quick" if size.quick else "")
        + "".join(f" --only {n}" for n in args.only or []),
        "cases": names,
        "seconds": round(time.perf_counter() - wall, 1),
        "sizes": size.__dict__,
        "machine": describe(),
        "load_avg_start": [round(x, 2) for x in load_start],
        "load_avg_end": [round(x, 2) for x in os.getloadavg()],
    }
    results = report.build_results(meta, details)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (args.out / "RESULTS.md").write_text(report.markdown(results), encoding="utf-8")
    print(f"bench: wrote {args.out / 'results.json'} and RESULTS.md in {meta['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
