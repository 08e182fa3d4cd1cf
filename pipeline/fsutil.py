"""Files that cron jobs and killed runs must not corrupt (run locks, atomic replacement), and the
readers of the files a user names (regular files only, capped; list files line by line)."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .decoding import capped, too_large
from .errors import InputNotFound, Locked, SourceError, StateError, TooLargeError, UnsupportedContent

READ_STEP = 64 * 1024  # bytes read from a file or stream at a time


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


def open_regular(path: Path) -> tuple[int, os.stat_result]:
    """A descriptor on a regular file: opened non-blocking and checked on the descriptor, so
    a FIFO, device or socket is refused at once and nothing can be swapped in after the check."""
    source = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InputNotFound("no such file", source) from None
    except PermissionError:
        raise SourceError("permission denied", source) from None
    except OSError as exc:
        raise SourceError(f"cannot open: {exc.strerror or exc}", source) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise UnsupportedContent("is a directory (use `newsbrief batch` for folders)", source)
        if not stat.S_ISREG(st.st_mode):
            raise UnsupportedContent("not a regular file (a FIFO, device or socket)", source)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_regular(path: Path, max_bytes: int) -> bytes:
    """A regular file's bytes, at most ``max_bytes``; FIFOs, devices and sockets are refused."""
    source = str(path)
    fd, st = open_regular(path)
    try:
        too_large(st.st_size, max_bytes, source, "file")  # its size says so: not read at all
        with os.fdopen(os.dup(fd), "rb") as f:
            return b"".join(capped(iter(lambda: f.read(READ_STEP), b""), max_bytes, source, "file"))
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", source) from None
    finally:
        os.close(fd)


def read_capped(stream: BinaryIO, max_bytes: int, source: str = "-") -> bytes:
    """A stream's bytes (stdin), at most ``max_bytes``: a longer stream is refused, never cut."""
    return b"".join(capped(iter(lambda: stream.read(READ_STEP), b""), max_bytes, source, "input"))


def read_list(path: Path, max_lines: int, max_url_length: int) -> list[str]:
    """A user's list file (URLs, feeds): one entry per line, ``#`` comments, blank lines skipped.

    Read line by line from a regular file, whatever its size (``max_bytes`` caps pages, not
    lists); more than ``max_list_lines`` entries is a :class:`TooLargeError` (refused, never
    cut). A line is read ``4 × max_url_length`` bytes at a time: a longer entry is kept to
    ``max_url_length + 1`` characters, which :meth:`~pipeline.policy.Policy.check_url` refuses for that line alone.
    A comment starts at a ``#`` that begins the line or follows whitespace, so a URL keeps its
    ``#fragment``. Bytes that are not UTF-8 become U+FFFD, which :meth:`~pipeline.policy.Policy.check_url` refuses.
    """
    source = str(path)
    fd, _ = open_regular(path)
    chunk = 4 * max_url_length + 2  # a URL, a comment after it, CR LF
    out: list[str] = []
    try:
        with os.fdopen(fd, "rb") as f:
            first = True
            while line := f.readline(chunk):
                if len(line) == chunk and not line.endswith(b"\n"):
                    while (rest := f.readline(chunk)) and not rest.endswith(b"\n"):
                        pass  # the rest of an overlong line: never held in memory
                text = line.decode("utf-8", errors="replace")
                if first:
                    text, first = text.lstrip("\ufeff"), False
                for part in text.splitlines():
                    entry = re.split(r"(?:^|\s)#", part, maxsplit=1)[0].strip()
                    if not entry:
                        continue
                    if len(out) == max_lines:
                        raise TooLargeError(f"list has more than {max_lines:,} entries (max_list_lines)", source)
                    out.append(entry[: max_url_length + 1])
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", source) from None
    return out
