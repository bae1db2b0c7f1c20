"""The single-deliverer guard: one process per SQLite database sends scheduled deliveries.

SQLite: an OS file lock (``flock``, non-blocking) on ``<dbfile>.deliver.lock``, held for the
process lifetime, with the holder's PID written into the file so a second process can say who
is in the way. The lock belongs to the open file description, so it also refuses a second
holder inside the same process, and the kernel drops it when the process dies (no stale
leases after a crash). PostgreSQL needs no lock: the claim query uses ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.config import Settings, sqlite_path

__all__ = ["AlreadyRunning", "DeliveryLock", "acquire_delivery_lock", "lock_path_for"]


class AlreadyRunning(RuntimeError):
    """Another process already delivers from this database."""

    def __init__(self, *, database: str, pid: int | None, lock_path: Path) -> None:
        self.database = database
        self.pid = pid
        self.lock_path = lock_path
        who = f"PID {pid}" if pid is not None else "an unknown PID"
        super().__init__(
            f"another tutorbot process ({who}) is already delivering from {database}; "
            f"stop it before starting a second one (lock file {lock_path})"
        )


class DeliveryLock:
    """A held delivery lock (or a no-op one for databases that need none); release() frees it."""

    def __init__(self, path: Path | None, fd: int | None) -> None:
        self.path = path
        self._fd = fd

    @property
    def held(self) -> bool:
        """Tell whether this handle still holds an OS lock (False for the no-op lock)."""
        return self._fd is not None

    def release(self) -> None:
        """Unlock and close the lock file (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> DeliveryLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()


def lock_path_for(database_url: str) -> Path | None:
    """Return the lock file of a SQLite database URL (None when no lock is needed)."""
    db_file = sqlite_path(database_url) if database_url.startswith("sqlite") else None
    if db_file is None:
        return None
    return db_file.with_name(db_file.name + ".deliver.lock")


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def acquire_delivery_lock(settings_or_url: Settings | str) -> DeliveryLock:
    """Take the delivery lock for a database, or raise AlreadyRunning naming the holder's PID."""
    url = settings_or_url if isinstance(settings_or_url, str) else settings_or_url.database_url
    path = lock_path_for(url)
    if path is None:
        return DeliveryLock(None, None)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        pid = _read_pid(fd)
        os.close(fd)
        if exc.errno in {errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES}:
            raise AlreadyRunning(database=str(sqlite_path(url)), pid=pid, lock_path=path) from None
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return DeliveryLock(path, fd)
