"""What the benchmarks ran on: CPU, cores, memory, OS, Python and package versions."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata
from typing import Any

PACKAGES = (
    "python-telegram-bot",
    "SQLAlchemy",
    "sqlmodel",
    "aiosqlite",
    "asyncpg",
    "APScheduler",
    "fsrs",
    "pydantic",
    "psutil",
)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)


def describe() -> dict[str, Any]:
    """Return the machine and software description."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
    }
