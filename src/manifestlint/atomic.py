"""Writing a report or a baseline so that it is never lost: all of it, or the previous one.

The bytes go to a temporary file in the target's folder (created when missing), are flushed
to disk and then renamed over the target: a write failing part-way (disk full, a file-size
limit) leaves the previous report intact, and two runs writing the same file leave one
complete report, never an interleaving. A target that is not a regular file (`/dev/stdout`,
a FIFO) is written in place: it cannot be replaced, and nothing is lost by writing to it; so
is an existing report in a folder where no temporary file can be created.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO


def write_atomic(target: Path, data: bytes | Iterable[bytes]) -> None:
    """Write `data` (bytes, or pieces in order: a large report is never held whole) to
    `target` atomically; raises OSError with the reason on failure."""
    if hasattr(signal, "SIGXFSZ"):  # over RLIMIT_FSIZE: an EFBIG error to report, not a kill
        with contextlib.suppress(ValueError):  # not the main thread (tests)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    target = in_tree_target(target)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(target, "wb") as handle:
            _write(handle, data)
        return
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError:
        if st is None:
            raise
        # No file can be created beside it (a read-only folder holding a writable report):
        # the only way left is in place, and a failure then is still exit 2, never silence.
        with open(target, "wb") as handle:
            _write(handle, data)
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            _write(handle, data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600: keep the previous report's mode, else the usual 0666 - umask
        if st is not None:
            mode = stat.S_IMODE(st.st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def tree() -> Path:
    """The tree a report written into must not be able to redirect: the git work tree of the
    working directory (a checkout, where a pull request's links and FIFOs live), else the
    working directory."""
    from manifestlint.discover import git_root

    cwd = Path(os.path.abspath(os.getcwd()))
    return git_root(cwd) or cwd


def in_tree_target(target: Path) -> Path:
    """`target` to write, checked when it lies in the tree (`tree()`): there, the checked-out
    files are untrusted, so the target must be a regular file or absent (never a FIFO, a
    device or a symbolic link, which a pull request can commit under the report's name) and
    its folder must really be inside the tree (no committed folder link leading out). The
    returned path has its folder resolved, so the write cannot be redirected afterwards. A
    target outside the tree (`/dev/stdout`, `$RUNNER_TEMP/x.sarif`) is the user's own choice
    and is written as named. Raises OSError with the reason."""
    import errno

    base = tree()
    absolute = Path(os.path.normpath(os.path.join(os.getcwd(), target)))
    if not _below(str(absolute), str(base)):
        return target
    try:
        st = os.lstat(absolute)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise OSError(errno.ELOOP, "a symbolic link in the repository; reports are not written through links")
    if st is not None and not stat.S_ISREG(st.st_mode):
        from manifestlint.safeio import kind_of

        raise OSError(errno.EINVAL, f"{kind_of(st.st_mode)} in the repository, not a regular file")
    real_base = os.path.realpath(base)
    folder = absolute.parent
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not _below(os.path.realpath(existing), real_base):
        raise OSError(errno.EXDEV, f"its folder leads outside the repository ({os.path.realpath(existing)})")
    return Path(os.path.realpath(existing)) / folder.relative_to(existing) / absolute.name


def _below(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def open_append(path: Path) -> BinaryIO:
    """A regular file opened for appending (GitHub's step summary): never a FIFO, a device or
    a link (O_NOFOLLOW), never in a folder that leads out of the tree; OSError otherwise."""
    import errno

    path = in_tree_target(path)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o666)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        from manifestlint.safeio import kind_of

        raise OSError(errno.EINVAL, f"{kind_of(st.st_mode)}, not a regular file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "ab")


def _write(handle: BinaryIO, data: bytes | Iterable[bytes]) -> None:
    for chunk in [data] if isinstance(data, bytes) else data:
        handle.write(chunk)
