"""Which files to lint (the report set) and which to read for context (the project).

Directories are walked recursively, skipping VCS, dependency and vendored folders, test-data
folders (`test/`, `testdata/`, `fixtures/`...: project/roles.py; `include-test-data: true` lints
them) and Helm chart templates (Go templates are not YAML); inside a git work tree `.gitignore`
is honoured by asking git itself. Files named explicitly are judged as the walk of their
project would judge them (pre-commit names them one by one, CI walks the tree: both must agree):
Helm chart templates are never manifests, and test data is skipped unless `--force-include`
(or `force-include: true`, or `include-test-data: true`) asks for it. Every file skipped for a
reason of ours is recorded for the verbose listing.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from manifestlint.classify import (
    dockerfile_name_by_content,
    file_type_by_name,
    is_dockerfile_template,
    looks_like_dockerfile,
)
from manifestlint.listing import SKIPPED, Entry
from manifestlint.project.roles import EXCLUDED, TEMPLATE, UNRECOGNISED, Role, helm_template, in_test_data
from manifestlint.safeio import Unreadable, not_regular, os_reason, outside, read_regular

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", "vendor", "third_party", ".venv", "venv", "__pycache__",
     ".tox", ".nox", ".terraform", ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages",
     ".manifestlint_cache"}
)  # fmt: skip


class PathNotFound(Exception):
    """A path named on the command line does not exist (a usage error: exit 2)."""


@dataclass(frozen=True, slots=True)
class Source:
    path: str  # as displayed: relative to the cwd when below it
    abspath: Path
    file_type: str  # 'dockerfile', 'yaml', or a forced type
    problem: str = ""  # why it is not read (a FIFO, a device, a link leaving the tree...): a finding


def display_path(path: Path, cwd: Path) -> str:
    text, base = str(path), str(cwd).rstrip("/")
    if text.startswith(base + "/") and base:  # below cwd: relative_to's answer without its cost
        return text[len(base) + 1 :]
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def git_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _git_names(folder: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files below `folder` (names relative to it), or
    None without git. git runs with every program it could start disabled (manifestlint.git):
    the tree is input."""
    from manifestlint.git import GitError, find_root, repository

    root = find_root(folder)
    if root is None:
        return None
    try:
        out = repository(root).run("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=folder)
    except GitError:
        return None
    return [name for name in out.decode("utf-8", "surrogateescape").split("\0") if name]


_EXCLUDED = Role(EXCLUDED, "matches an exclude pattern")
_DOCKERFILE_TEMPLATE = Role(TEMPLATE, "a template that renders a Dockerfile (its suffix), not a Dockerfile")
_SOURCE_CODE = Role(
    UNRECOGNISED, "source code named after Dockerfiles: its first line is no Dockerfile instruction"
)


_CHART_NAME = re.compile(rb"(?m)^name[ \t]*:[ \t]*\S")
_CHART_VERSION = re.compile(rb"(?m)^version[ \t]*:[ \t]*\S")


def is_chart_file(path: str) -> bool:
    """A Chart.yaml Helm would load (a regular file naming the chart and its version): an
    empty or decoy Chart.yaml a pull request adds above plain manifests must not make them
    "templates" that are never linted."""
    try:
        head = read_regular(path, 1024 * 1024)
    except Unreadable:
        return False
    return bool(_CHART_NAME.search(head) and _CHART_VERSION.search(head))


class ChartFolders:
    """`is_chart` for project/roles.py with one stat per folder and run (a chart's templates
    folder holds dozens of files)."""

    def __init__(self, cwd: Path | None = None) -> None:
        self._known: dict[PurePosixPath, bool] = {}
        self._cwd = PurePosixPath(cwd.as_posix()) if cwd is not None else None

    def __call__(self, folder: PurePosixPath) -> bool:
        known = self._known.get(folder)
        if known is None:
            known = self._known[folder] = is_chart_file(os.path.join(folder, "Chart.yaml"))
        return known

    def template_role(self, path: Path) -> Role | None:
        return helm_template(PurePosixPath(path.as_posix()), self, self._cwd)


# `alert.rules` (dockprom), `node.rules`: Prometheus rule files without a YAML suffix. Only a
# file whose text has a top-level `groups:` is taken (udev and audit `.rules` files are not).
_RULE_FILE_SUFFIXES = (".rules",)
_GROUPS_LINE = re.compile(rb"^groups[ \t]*:", re.M)


def dockerfile_by_content(path: Path) -> str | None:
    """'dockerfile' for a Dockerfile-like name with a source-code suffix (`Dockerfile.go`)
    whose text starts as a Dockerfile does; `tools/dockerfile.py` is source code (None)."""
    if not dockerfile_name_by_content(path.name):
        return None
    try:
        head = read_regular(path)[:65536]
    except Unreadable:
        return None
    return "dockerfile" if looks_like_dockerfile(head.decode("utf-8", "replace")) else None


def type_by_content(path: Path) -> str | None:
    """What a name alone cannot tell: `*.rules` rule files and `Dockerfile.<code suffix>`."""
    return rule_file_by_content(path) or dockerfile_by_content(path)


def _by_content(name: str) -> bool:
    return name.lower().endswith(_RULE_FILE_SUFFIXES) or dockerfile_name_by_content(name)


def rule_file_by_content(path: Path) -> str | None:
    """'yaml' for a `*.rules` file holding a top-level `groups:`; read only when it is a regular
    file (never blocks on a FIFO named `x.rules`)."""
    if not path.name.lower().endswith(_RULE_FILE_SUFFIXES):
        return None
    try:
        head = read_regular(path)[:65536]
    except Unreadable:
        return None
    return "yaml" if _GROUPS_LINE.search(head) else None


def _walk(folder: Path, problems: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Every file below `folder`; symlinked folders are not entered (as git does), and folders
    that cannot be listed are added to `problems` instead of vanishing."""
    from manifestlint.project.cachedir import MARKER as CACHE_MARKER  # only a walk needs it

    found: list[Path] = []

    def unlistable(exc: OSError) -> None:
        if problems is not None and exc.filename:
            reason = os_reason(exc, exc.filename).removesuffix("; not linted")
            problems.append((Path(exc.filename), f"folder not listed ({reason}); its files are not linted"))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unlistable):
        if CACHE_MARKER in filenames:  # the context cache's own folder (wherever it was put)
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        found.extend(Path(dirpath) / name for name in sorted(filenames))
    return found


def walk_folder(folder: Path, problems: list[tuple[Path, str]] | None = None) -> list[Path]:
    return [folder / name for name in walk_names(folder, problems)]


def walk_names(folder: Path, problems: list[tuple[Path, str]] | None = None) -> list[str]:
    """The files below `folder` as relative POSIX names, in path order (component by component,
    as Path objects sort): git's tracked and untracked-but-not-ignored files in a work tree,
    else every file. Strings, not Path objects: a 20,000-file repository is listed on every
    pre-commit call, and a Path per file cost more than git itself."""
    names = _git_names(folder) if git_root(folder) else None
    if names is None:
        prefix = len(str(folder).rstrip("/")) + 1
        names = [str(f)[prefix:] for f in _walk(folder, problems)]
    else:
        skipped: dict[str, bool] = {}
        kept = []
        for name in names:
            cut = name.rfind("/")
            if cut < 0:
                kept.append(name)
                continue
            folder = name[:cut]
            skip = skipped.get(folder)
            if skip is None:
                skip = skipped[folder] = not SKIP_DIRS.isdisjoint(folder.split("/"))
            if not skip:
                kept.append(name)
        names = kept
    names.sort(key=_components)
    return names


def _components(name: str) -> str:
    """A key that sorts names as Path objects do, component by component: with `/` as the
    lowest character, `a/b` sorts before `a-b/c` ("a" < "a-b"), as it does as parts."""
    return name.replace("/", "\0")


def excluded(path: Path, patterns: list[str], root: Path | None) -> bool:
    if not patterns:
        return False
    candidates = [path.as_posix()]
    if root is not None:
        with contextlib.suppress(ValueError):  # not below the root: match the path alone
            candidates.append(path.relative_to(root).as_posix())
    matcher = _matcher(tuple(patterns))
    return any(matcher(c) for c in candidates)


def excluded_name(absolute: str, relative: str, patterns: list[str]) -> bool:
    """excluded() for a file below the root given as strings (its absolute and root-relative
    POSIX paths)."""
    if not patterns:
        return False
    matcher = _matcher(tuple(patterns))
    return bool(matcher(absolute) or matcher(relative))


@functools.lru_cache(maxsize=8)
def _matcher(patterns: tuple[str, ...]):
    """One compiled regular expression for every pattern (`pat` or anything below `pat/`):
    a path is matched once, not once per pattern (10,000 patterns x 1,000 files was 10
    million fnmatch calls; the configuration allows at most 1,000). fnmatch.translate yields
    anchored expressions without backtracking blow-ups."""
    parts = {fnmatch.translate(p) for pat in patterns for p in (pat, pat.rstrip("/") + "/*")}
    return re.compile("|".join(f"(?:{part})" for part in sorted(parts))).match


def file_key(path: str | Path) -> tuple[int, int] | None:
    """(device, inode): one stat call identifies a file however it was named (symlinks,
    `./a` vs `a`), where resolving every path component cost a syscall per component."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def discover(
    paths: list[str],
    cwd: Path,
    forced_type: str | None,
    exclude: list[str],
    root: Path | None,
    include_test_data: bool = False,
    listing: list[Entry] | None = None,
    force_include: bool = False,
) -> list[Source]:
    """The report set, deduplicated, in a deterministic order. Files skipped for a reason of
    ours (test data, chart templates, excludes) are appended to `listing` when given.

    Only regular files are read, and symlinks are followed only while they stay inside the
    project (the configuration's folder or the git work tree, else the folder walked or the
    named file's folder). Every lintable path that is not read — a FIFO, a device, a link
    loop or a link leaving the tree, an unlistable folder, an over-long path — is kept as a
    Source with a `problem`, which the loader reports: nothing is skipped in silence."""
    seen: dict[object, Source] = {}
    charts = ChartFolders(cwd)
    skipped: list[Entry] = listing if listing is not None else []
    for raw in paths:
        absolute = Path(os.path.normpath(os.path.join(cwd, raw)))
        try:
            st = os.stat(absolute)
        except OSError as exc:
            if not os.path.lexists(absolute):
                raise PathNotFound(raw) from None
            problem = os_reason(exc, absolute)
            seen.setdefault(
                absolute, Source(display_path(absolute, cwd), absolute, forced_type or "yaml", problem)
            )
            continue
        boundary = _boundary(absolute, root)
        target = outside(absolute, boundary) if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode) else None
        if target is not None:  # a committed link (on the way) leading out of the project
            problem = f"symbolic link to {target}, outside {boundary}; not followed"
            seen.setdefault(
                absolute, Source(display_path(absolute, cwd), absolute, forced_type or "yaml", problem)
            )
            continue
        if stat.S_ISDIR(st.st_mode):
            walked = absolute.resolve()
            problems: list[tuple[Path, str]] = []
            for file in walk_folder(walked, problems):
                ftype = forced_type or file_type_by_name(file.name)
                if not ftype and not _by_content(file.name):
                    continue
                shown = display_path(file, cwd)
                role = charts.template_role(file)
                if role is None and not include_test_data:
                    role = in_test_data(PurePosixPath(file.relative_to(walked).as_posix()))
                if role is not None:
                    skipped.append(Entry(shown, SKIPPED, role))
                    continue
                if excluded(file, exclude, root):
                    skipped.append(Entry(shown, SKIPPED, _EXCLUDED))
                    continue
                ftype = ftype or type_by_content(file)
                if not ftype:
                    continue
                key, problem = _check(file, boundary)
                seen.setdefault(key, Source(shown, file, ftype, problem))
            for where, problem in problems:
                if not excluded(where, exclude, root):
                    seen.setdefault(where, Source(display_path(where, cwd), where, "yaml", problem))
        else:
            shown = display_path(absolute, cwd)
            role = charts.template_role(absolute)
            if role is None and not (include_test_data or force_include):
                role = named_test_data(absolute, root, cwd)
            if role is not None:  # as a walk would judge it (issue 19, principle 11)
                skipped.append(Entry(shown, SKIPPED, role))
            elif excluded(absolute, exclude, root):
                skipped.append(Entry(shown, SKIPPED, _EXCLUDED))
            elif forced_type is None and (not_ours := _not_ours(absolute)) is not None:
                skipped.append(Entry(shown, SKIPPED, not_ours))
            else:
                ftype = forced_type or file_type_by_name(absolute.name) or "yaml"
                if dockerfile_name_by_content(absolute.name):
                    ftype = forced_type or "dockerfile"
                key, problem = _check(absolute, boundary)
                seen.setdefault(key, Source(shown, absolute, ftype, problem))
    return list(seen.values())


def _not_ours(path: Path) -> Role | None:
    """Why a named file that looks like a Dockerfile by name is not one (a pre-commit hook
    names `tools/dockerfile.py` and `Dockerfile.j2`): None when it is ours to lint."""
    if is_dockerfile_template(path.name):
        return _DOCKERFILE_TEMPLATE
    if dockerfile_name_by_content(path.name) and dockerfile_by_content(path) is None:
        try:
            os.stat(path)
        except OSError:
            return None  # the loader reports why it cannot be read
        return _SOURCE_CODE
    return None


def named_test_data(path: Path, root: Path | None, cwd: Path) -> Role | None:
    """A named file's test-data role, judged as a walk of its project would judge it: below
    the project root (the configuration's folder, else the git work tree, else the working
    directory when the file is below it). CI walks the project; pre-commit names the same
    files one by one: both must skip the same ones (ruff's force-exclude convention;
    `--force-include` or `force-include: true` lints them anyway)."""
    for base in (root, git_root(path.parent), cwd):
        if base is None:
            continue
        try:
            relative = path.relative_to(base)
        except ValueError:
            continue
        return in_test_data(PurePosixPath(relative.as_posix()))
    return None


def _boundary(path: Path, root: Path | None) -> Path:
    """The tree symlinks may point into: the project (configuration folder, else git work
    tree) holding `path` as written (a committed link on the way must not decide which tree
    that is), else the named folder (or the named file's folder), really."""
    for candidate in (root, git_root(path if os.path.isdir(path) else path.parent)):
        if candidate is not None and _lexically_in(path, candidate):
            return candidate
    folder = path if os.path.isdir(path) else path.parent
    return Path(os.path.realpath(folder))


def _lexically_in(path: Path, folder: Path) -> bool:
    text, base = str(path), os.path.normpath(os.path.abspath(folder))
    if text == base or text.startswith(base.rstrip("/") + "/"):
        return True
    real = os.path.realpath(folder)  # the project given by its real path, the file by a link's
    return text == real or text.startswith(real.rstrip("/") + "/")


def _check(path: Path, boundary: Path) -> tuple[object, str]:
    """(deduplication key, problem) for a file to lint: '' when it can be read."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return path, os_reason(exc, path)
    if not stat.S_ISREG(st.st_mode):
        return path, not_regular(st.st_mode)
    target = outside(path, boundary) if os.path.islink(path) else None
    if target is not None:
        return path, f"symbolic link to {target}, outside {boundary}; not followed"
    return (st.st_dev, st.st_ino), ""
