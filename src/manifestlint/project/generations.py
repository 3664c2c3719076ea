"""Several manifestlint versions sharing one cache folder: one generation of files per version.

A cache is written for one version of manifestlint (project/cache.py `cache_key`: the format,
the version and the code). A repository linted by two versions in turn — a pre-commit hook
pinned to one release and a global install of another, or a developer's checkout beside
either — used to rebuild the cache on every call: the first save of a new cache removed
everything else in the folder, so each version removed the other's files and every call of
both was cold.

Now every file of a cache carries its generation: the index is `index-<generation>.json` (as
before) and its shards and warm models are `docs/<g>-<hash>.json` and `models/<g>-<hash>.json`,
`<g>` the generation's first 8 hex digits. A new generation's first save prunes the others by
use and size instead of removing them all:

- a generation is kept when it was used within MAX_AGE (its index's mtime: refreshed at most
  once per USE_REFRESH by a call that reads it, warm or not);
- at most MAX_GENERATIONS generations are kept (the current one and the most recently used);
- the oldest go first while all generations together exceed MAX_BYTES.

Files of no kept generation (including the unprefixed names of earlier versions) go, as
before. Only files of the cache's own naming are ever touched (cachedir.removable), in a folder
it marked as its own; which generation a file belongs to is read from its name, never from
its content.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from manifestlint.project.cachedir import removable

MAX_GENERATIONS = 4  # the current one and the three most recently used others
MAX_AGE = 14 * 24 * 3600  # seconds: a generation unused for this long goes
MAX_BYTES = 1024 * 1024 * 1024  # all generations together (a 20,000-file cache is ~100 MB)
USE_REFRESH = 3600  # seconds: how stale an index's mtime may get before a call refreshes it
PREFIX = 8  # hex digits of the generation in shard and model names


def short(generation: str) -> str:
    """The prefix of a generation's shard and model names."""
    return generation[:PREFIX]


def generation_of(name: str) -> str | None:
    """The short generation of a cache file name (`index-<g>.json`, `<g>-<hash>.json`); None
    for an unprefixed name (written by an earlier version)."""
    if name.startswith("index-"):
        return name[6 : 6 + PREFIX]
    head, dash, _ = name.partition("-")
    return head if dash and len(head) == PREFIX else None


def mark_used(index: Path) -> None:
    """Record that this generation is in use (its index's mtime), at most once per
    USE_REFRESH: a warm call writes nothing else, and age is counted from last use."""
    with contextlib.suppress(OSError, NotImplementedError):
        st = os.lstat(index)
        now = time.time()
        if st.st_mtime < now - USE_REFRESH and removable(index):
            os.utime(index, (now, now), follow_symlinks=False)


def prune(folder: Path, current: str, written: set[Path]) -> None:
    """Remove the files of generations other than `current` (short form) that are past
    their age, beyond the MAX_GENERATIONS most recently used, or the oldest of a folder over
    MAX_BYTES; and every file of ours that belongs to no kept generation. `written`: files
    this call wrote (never removed)."""
    files: list[tuple[Path, os.stat_result]] = []
    for place in (folder, folder / "docs", folder / "models"):
        with contextlib.suppress(OSError):
            for entry in os.scandir(place):
                path = Path(entry.path)
                if removable(path):
                    with contextlib.suppress(OSError):
                        files.append((path, entry.stat(follow_symlinks=False)))
    used: dict[str, float] = {}  # generation -> last use (its index's mtime)
    size: dict[str, int] = {}
    for path, st in files:
        gen = generation_of(path.name)
        if gen is None:
            continue
        size[gen] = size.get(gen, 0) + st.st_size
        if path.name.startswith("index-"):
            used[gen] = max(used.get(gen, 0.0), st.st_mtime)
    now = time.time()
    kept = {current}
    total = size.get(current, 0)
    for gen in sorted(used, key=used.__getitem__, reverse=True):
        if gen == current or now - used[gen] > MAX_AGE or len(kept) >= MAX_GENERATIONS:
            continue
        if total + size.get(gen, 0) > MAX_BYTES:
            continue
        kept.add(gen)
        total += size.get(gen, 0)
    for path, _ in files:
        if path not in written and generation_of(path.name) not in kept:
            with contextlib.suppress(OSError):
                path.unlink()


__all__ = ["MAX_AGE", "MAX_BYTES", "MAX_GENERATIONS", "generation_of", "mark_used", "prune", "short"]
