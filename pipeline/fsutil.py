"""Files that cron jobs and killed runs must not corrupt: run locks and atomic replacement."""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import Locked, StateError


def state_error(exc: OSError, doing: str, path: Path) -> StateError:
    """An OSError on a file we keep or write, as the one-line typed error (exit 4)."""
    return StateError(f"cannot {doing}: {exc.strerror or exc}", str(path))


@contextmanager
def run_lock(path: Path, what: str) -> Iterator[None]:
    """An exclusive, non-blocking lock on ``path``; released by the OS even if the process is killed.

    Its folder is resolved, so two spellings of one folder (a symlink included) are one lock; the
    lock file itself is opened with ``O_NOFOLLOW`` and must be a regular file: a symlink planted
    in its place is refused, never followed to a file we would then truncate.
    """
    path = path.parent.resolve() / path.name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StateError("the lock file is a symlink; refusing to follow it (remove it)", str(path)) from None
        raise state_error(exc, "create the lock file", path) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO or device in its place
            raise StateError("the lock file is not a regular file (remove it)", str(path))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Locked(f"another {what} holds the lock; nothing was done", str(path)) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as exc:
            raise state_error(exc, "write the lock file", path) from None
        yield
    finally:
        os.close(fd)


class TurnLock:
    """A blocking, machine-wide turn (flock on ``path``): holders run one at a time, waiters
    sleep instead of spinning. Released by the OS if the holder dies.

    Threads of one process share the turn (one object, entered by each): the first to enter
    takes the flock, the last to leave gives it back, so the parallel slots of one llama.cpp
    run together while another process waits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None
        self._holders = 0
        self._mu = threading.Lock()

    def __enter__(self) -> TurnLock:
        with self._mu:
            if self._holders == 0:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self.fd = fd
            self._holders += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._mu:
            self._holders -= 1
            if self._holders == 0 and self.fd is not None:
                os.close(self.fd)  # closing releases the lock
                self.fd = None


def write_atomic(path: Path, text: str) -> None:
    """Write a temporary file in the same folder, fsync, rename over ``path``: a reader sees the
    old file or the new one, never half. The new file keeps the old one's mode, or gets the
    usual 0666 minus the umask (not mkstemp's 0600). A folder that cannot be written (read-only,
    full, a directory where the file should be) is a :class:`StateError`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode: int | None = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = None
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)  # the kernel applies umask
    except OSError as exc:
        raise state_error(exc, "write the file", path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise state_error(exc, "write the file", path) from None
        raise
