"""Which files to lint (the report set) and which to read for context (the project).

Directories are walked recursively, skipping VCS, dependency and vendored folders and Helm
`templates/` (Go templates are not YAML); inside a git work tree `.gitignore` is honoured by
asking git itself. Files named explicitly are always linted.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from manifestlint.classify import file_type_by_name

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", "vendor", "third_party", ".venv", "venv", "__pycache__",
     ".tox", ".nox", ".terraform", ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages"}
)  # fmt: skip


class PathNotFound(Exception):
    """A path named on the command line does not exist (a usage error: exit 2)."""


@dataclass(frozen=True, slots=True)
class Source:
    path: str  # as displayed: relative to the cwd when below it
    abspath: Path
    file_type: str  # 'dockerfile', 'yaml', or a forced type


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def git_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _git_files(folder: Path) -> list[Path] | None:
    """Tracked and untracked-but-not-ignored files below `folder`, or None without git."""
    import subprocess  # only folder walks inside a git work tree need it

    try:
        out = subprocess.run(
            ["git", "-C", str(folder), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True, timeout=30, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return [folder / name for name in out.decode("utf-8", "surrogateescape").split("\0") if name]


def _is_helm_template(path: Path) -> bool:
    return path.parent.name == "templates" and (path.parent.parent / "Chart.yaml").exists()


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        found.extend(Path(dirpath) / name for name in sorted(filenames))
    return found


def walk_folder(folder: Path) -> list[Path]:
    files = _git_files(folder) if git_root(folder) else None
    if files is None:
        files = _walk(folder)
    else:
        files = [f for f in files if not (SKIP_DIRS & set(f.relative_to(folder).parts[:-1]))]
    return sorted(files)


def excluded(path: Path, patterns: list[str], root: Path | None) -> bool:
    if not patterns:
        return False
    candidates = [path.as_posix()]
    if root is not None:
        with contextlib.suppress(ValueError):  # not below the root: match the path alone
            candidates.append(path.relative_to(root).as_posix())
    return any(fnmatch.fnmatch(c, pat) or fnmatch.fnmatch(c, pat.rstrip("/") + "/*")
               for c in candidates for pat in patterns)  # fmt: skip


def file_key(path: str | Path) -> tuple[int, int] | None:
    """(device, inode): one stat call identifies a file however it was named (symlinks,
    `./a` vs `a`), where resolving every path component cost a syscall per component."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def discover(
    paths: list[str], cwd: Path, forced_type: str | None, exclude: list[str], root: Path | None
) -> list[Source]:
    """The report set, deduplicated, in a deterministic order."""
    seen: dict[tuple[int, int], Source] = {}
    for raw in paths:
        absolute = Path(os.path.normpath(os.path.join(cwd, raw)))
        try:
            st = os.stat(absolute)
        except OSError:
            raise PathNotFound(raw) from None
        if stat.S_ISDIR(st.st_mode):
            for file in walk_folder(absolute.resolve()):
                if _is_helm_template(file) or excluded(file, exclude, root):
                    continue
                ftype = forced_type or file_type_by_name(file.name)
                if not ftype:
                    continue
                try:
                    fst = os.stat(file)
                except OSError:
                    continue
                if stat.S_ISREG(fst.st_mode):
                    seen.setdefault((fst.st_dev, fst.st_ino), Source(display_path(file, cwd), file, ftype))
        elif not excluded(absolute, exclude, root):
            ftype = forced_type or file_type_by_name(absolute.name) or "yaml"
            seen.setdefault((st.st_dev, st.st_ino), Source(display_path(absolute, cwd), absolute, ftype))
    return list(seen.values())
