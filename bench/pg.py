"""A throwaway PostgreSQL server for the PG figures (the same recipe as tests/pg.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def pg_server() -> Iterator[tuple[Any | None, str]]:
    """Yield (PgServer, "") while a cluster runs, or (None, why not) when it cannot start."""
    try:
        from tests.pg import PgServer, _as_server_user, find_pg_bin
    except ImportError as exc:
        yield None, f"not measured: tests/pg.py unavailable ({exc})"
        return
    bin_dir = find_pg_bin()
    if bin_dir is None:
        yield None, "not measured: no server (initdb/pg_ctl not found)"
        return
    base = Path(tempfile.mkdtemp(prefix="tutorbot-bench-pg-"))
    base.chmod(0o777)  # the unprivileged server user writes its data and socket here
    data = base / "data"
    port = 6432 + os.getpid() % 1000  # names the socket file only: no TCP listener
    run: dict[str, Any] = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                ]
            ),
            **run,
        )
        # Durable settings (fsync on), unlike the test fixture: these are performance figures.
        options = f"-p {port} -k {base} -c listen_addresses='' -c shared_buffers=128MB"
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(base / "log"),
                    "-w",
                    "start",
                ]
            ),
            **run,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(base, ignore_errors=True)
        yield None, f"not measured: PostgreSQL did not start ({str(exc)[:200]})"
        return
    try:
        yield PgServer(socket_dir=base, port=port), ""
    finally:
        subprocess.run(
            _as_server_user(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
            ),
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)
