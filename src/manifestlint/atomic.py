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


def _write(handle: BinaryIO, data: bytes | Iterable[bytes]) -> None:
    for chunk in [data] if isinstance(data, bytes) else data:
        handle.write(chunk)
