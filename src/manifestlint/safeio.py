"""Reading input without trusting what it is: only regular files, never more than the limit.

A committed `x.yaml -> /dev/zero` symlink would exhaust memory, a FIFO would block forever
and opening some devices has side effects, so a path is stat-ed first and opened only when
it is a regular file — non-blocking, and checked again on the open descriptor in case it was
swapped meanwhile — and the size limit applies to the bytes actually read, not to what `stat`
promised. Every refusal is an `Unreadable` with a one-line reason that ends in a finding.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

MAX_FILE_BYTES = 10 * 1024 * 1024
_CHUNK = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class Unreadable(Exception):
    """The path was not read; `str(exc)` is the reason, one line ending in 'not linted'."""


def kind_of(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def too_large(size: int, limit: int = MAX_FILE_BYTES) -> str:
    return f"file is {size:,} bytes, over the {limit:,}-byte limit; not linted"


def os_reason(exc: OSError, path: str | Path | None = None) -> str:
    """A one-line reason for a failed stat/open/list, naming the cases users meet."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop; not linted"
    if exc.errno == errno.ENAMETOOLONG:
        return "path too long for the operating system; not linted"
    if exc.errno == errno.ENOENT and path is not None and os.path.islink(path):
        return f"dangling symbolic link (to {os.readlink(path)!r}); not linted"
    return f"cannot read: {exc.strerror or exc}; not linted"


def not_regular(mode: int) -> str:
    return f"{kind_of(mode)}, not a regular file; not read"


def read_regular(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or `Unreadable`."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise Unreadable(os_reason(exc, path)) from None
    if not stat.S_ISREG(st.st_mode):
        raise Unreadable(not_regular(st.st_mode))
    if st.st_size > limit:
        raise Unreadable(too_large(st.st_size, limit))
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise Unreadable(os_reason(exc, path)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped between the stat and the open
            raise Unreadable(not_regular(st.st_mode))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = read_limited(handle, limit)
    except OSError as exc:
        raise Unreadable(os_reason(exc)) from None
    finally:
        os.close(fd)
    return data


def read_limited(handle: BinaryIO, limit: int = MAX_FILE_BYTES) -> bytes:
    """At most `limit` bytes from a stream (standard input, a file that grows), else
    `Unreadable`: memory stays bounded whatever the stream claims or does."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = handle.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise Unreadable(f"input is over the {limit:,}-byte limit; not linted")
    return b"".join(chunks)


def outside(path: str | Path, boundary: Path) -> str | None:
    """The resolved target when `path` (a symlink somewhere along it) leads outside the
    resolved `boundary`, else None: links that leave the linted tree are not followed, so a
    committed `x.yaml -> ~/.kube/config` cannot put a CI machine's secrets in a report."""
    real = os.path.realpath(path)
    base = os.path.realpath(boundary)
    if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
        return None
    return real


def read_inside(path: str | Path, boundary: Path | None, limit: int = MAX_FILE_BYTES) -> bytes:
    """read_regular, for a file some other file names (a kustomization's resources, a
    Compose file's Dockerfile, a Makefile, `.env`): only when its real path lies inside
    `boundary` (the linted root; None: no boundary known). A path or link leading out of the
    tree is never opened, so nothing outside it can reach a report."""
    if boundary is not None:
        try:
            target = outside(path, boundary)
        except (OSError, ValueError):
            raise Unreadable("cannot resolve the path; not read") from None
        if target is not None:
            raise Unreadable(f"leads outside {boundary}; not read")
    return read_regular(path, limit)


def regular_inside(path: str | Path, boundary: Path | None) -> bool:
    """Whether `path` is a regular file whose real path lies inside `boundary`; False for
    anything the OS refuses (a NUL byte, an over-long path, a link loop), never an error."""
    try:
        if boundary is not None and outside(path, boundary) is not None:
            return False
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
