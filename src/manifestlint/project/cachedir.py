"""Where the context cache may live, and proof that a folder is the cache's own.

The cache removes files it no longer needs (stale indexes, shards and warm models). A cache
folder is a path someone else may have chosen — the linted tree's own configuration, an
environment variable pointing at a shared folder, a folder a pull request committed — so the
cache only ever writes into, and removes files from, a folder that carries its **marker**: a
file it created itself (`.manifestlint-cache`), holding a random id and the folder's own
(device, inode). A marker committed to a repository or copied from elsewhere names another
inode, which nobody can predict for a folder created by someone else's checkout; a folder
owned by another user is never ours.

How a folder is claimed (`locate`, then `claim` on the first write):

- it carries our marker: used;
- it does not exist, is empty, or holds nothing but a cache of an earlier version (our own
  file names only: `.gitignore`, `index-<hex>.json`, `docs/` and `models/` of `<hex>.json`):
  created or adopted, and marked;
- anything else (a tracked folder `cache-dir: deploy`, a shared folder with other tools'
  files): the cache goes into a `.manifestlint_cache` folder inside it, claimed the same way;
- a symbolic link where the default folder (or its `docs/`, `models/`) is, a folder owned by
  another user, or no usable place: no cache (the call runs uncached, nothing is written).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
from pathlib import Path

CACHE_DIR_NAME = ".manifestlint_cache"
MARKER = ".manifestlint-cache"
MAX_MARKER_BYTES = 4096
_GITIGNORE = b"# written by manifestlint: its context cache is never committed\n*\n"
# The file names the cache writes (and the only ones it ever removes).
INDEX_NAME = re.compile(r"index-[0-9a-f]{20}\.json")
# shards and warm models: `<generation>-<hash>.json` (project/generations.py; unprefixed: earlier versions)
ENTRY_NAME = re.compile(r"(?:[0-9a-f]{8}-)?[0-9a-f]{24}\.json")
TEMP_NAME = re.compile(r"\.(?:index-[0-9a-f]{20}|(?:[0-9a-f]{8}-)?[0-9a-f]{24})\.json\.[A-Za-z0-9_]+\.tmp")
SUBFOLDERS = ("docs", "models")


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else -1


def _mine(st: os.stat_result) -> bool:
    return _euid() in (-1, st.st_uid)


def marked(folder: Path) -> bool:
    """Whether `folder` is a real folder of ours carrying a marker we wrote for it."""
    from manifestlint.safeio import Unreadable, read_regular

    try:
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode) or not _mine(st):
            return False
        marker = folder / MARKER
        mst = os.lstat(marker)
        if not stat.S_ISREG(mst.st_mode) or mst.st_size > MAX_MARKER_BYTES or not _mine(mst):
            return False
        data = json.loads(read_regular(marker, MAX_MARKER_BYTES))
    except (OSError, ValueError, Unreadable):
        return False
    return (
        isinstance(data, dict)
        and data.get("dev") == st.st_dev
        and data.get("ino") == st.st_ino
        and isinstance(data.get("id"), str)
    )


def _old_cache(folder: Path) -> bool:
    """An empty folder, or one holding only what an earlier version of the cache wrote."""
    try:
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode) or not _mine(st):
            return False
        for entry in os.scandir(folder):
            if entry.is_symlink():
                return False
            if entry.name in SUBFOLDERS and entry.is_dir(follow_symlinks=False):
                for inner in os.scandir(entry.path):
                    ours = ENTRY_NAME.fullmatch(inner.name) or TEMP_NAME.fullmatch(inner.name)
                    if not ours or not inner.is_file(follow_symlinks=False):
                        return False
            elif entry.name == ".gitignore" and entry.is_file(follow_symlinks=False):
                if entry.stat(follow_symlinks=False).st_size > 1024:
                    return False
                with open(entry.path, "rb") as handle:
                    if handle.read(1025) != _GITIGNORE:
                        return False
            elif not (
                entry.is_file(follow_symlinks=False)
                and (INDEX_NAME.fullmatch(entry.name) or entry.name == MARKER)
            ):
                return False  # (a marker for another inode: a copied cache of ours)
    except OSError:
        return False
    return True


def locate(folder: Path, chosen: bool, boundary: Path | None = None) -> tuple[Path, bool] | None:
    """(the folder the cache uses, whether it is already marked), or None for no cache.
    Nothing is created here. `chosen`: the user named the folder (it may be a symbolic link);
    `boundary`: the folder the chosen one must stay in (a tree's own `cache-dir`)."""
    for candidate in (folder, folder / CACHE_DIR_NAME):
        if "\0" in str(candidate):
            return None
        if os.path.islink(candidate) and (candidate != folder or not chosen):
            return None  # a committed link: the cache would write wherever it points
        if boundary is not None and not _inside(candidate, boundary):
            return None
        if not os.path.lexists(candidate):
            return candidate, False
        if marked(Path(os.path.realpath(candidate))):
            return Path(os.path.realpath(candidate)), True
        if _old_cache(Path(os.path.realpath(candidate))):
            return Path(os.path.realpath(candidate)), False
        if not os.path.isdir(candidate):
            return None  # a file where the folder should be
    return None


def _inside(path: Path, boundary: Path) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(boundary)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def claim(folder: Path) -> None:
    """Create `folder` if need be and mark it ours (OSError when that cannot be done safely).
    Only a folder `locate` chose is claimed: missing, empty, or an earlier cache."""
    try:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:
        raise OSError(f"{folder} is not a folder") from None
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or not _mine(st):
        raise OSError(f"{folder} is not a folder of ours")
    if marked(folder):
        return
    if not _old_cache(folder):
        raise OSError(f"{folder} holds files the cache did not write")
    token = secrets.token_hex(16)
    payload = json.dumps({"id": token, "dev": st.st_dev, "ino": st.st_ino}).encode()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    ignore = folder / ".gitignore"
    if not os.path.lexists(ignore):
        _create(ignore, _GITIGNORE, flags)
    temp = folder / f".{MARKER}.{token}.tmp"
    _create(temp, payload, flags)
    os.replace(temp, folder / MARKER)  # replaces a stale marker (a copied cache), never follows a link


def _create(path: Path, data: bytes, flags: int) -> None:
    fd = os.open(path, flags, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def subfolder(folder: Path, name: str) -> Path:
    """`docs/` or `models/` of a claimed folder, created if need be; OSError for anything
    but a real folder of ours (a link planted there is never written through)."""
    path = folder / name
    with contextlib.suppress(FileExistsError):
        os.mkdir(path)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or not _mine(st):
        raise OSError(f"{path} is not a folder of ours")
    return path


def removable(path: Path) -> bool:
    """A file of the cache's own naming, regular and not a link: the only kind it removes."""
    name = path.name
    if not (INDEX_NAME.fullmatch(name) or ENTRY_NAME.fullmatch(name) or TEMP_NAME.fullmatch(name)):
        return False
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


__all__ = ["CACHE_DIR_NAME", "MARKER", "claim", "locate", "marked", "removable", "subfolder"]
