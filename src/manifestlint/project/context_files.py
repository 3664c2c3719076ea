"""The context files of a call: every YAML/JSON manifest under the project root that the
call did not name, listed without test data, Helm chart templates or the cache, and read
through the context cache (project/cache.py) when one is open: cached facts for files that
did not change, parsed otherwise.

Test data is not part of what a project deploys: a PDB or Gateway in a test fixture must
neither satisfy nor contradict the real manifests. Test-data files are never read as context,
and named (or walked with `include-test-data`), they are linted within their own realm: the
outermost test-data folder (project/roles.py). Helm chart templates are never context either.
Context files are parsed only when they may hold an object, a rule file or a route.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manifestlint.config import Config
from manifestlint.discover import (
    ChartFolders,
    Source,
    display_path,
    excluded_name,
    walk_names,
)
from manifestlint.load import ParsedFile, read_source
from manifestlint.project import context as project_context
from manifestlint.project.facts import FileFacts, facts_of
from manifestlint.project.roles import first_test_data_folder
from manifestlint.registry import Registry
from manifestlint.safeio import outside

# Test data is not part of what a project deploys: a PDB or Gateway in a test fixture must
# neither satisfy nor contradict the real manifests. Test-data files are never read as context,
# and named (or walked with `include-test-data`), they are linted within their own realm: the
# outermost test-data folder (project/roles.py). Helm chart templates are never context either.
# Context files are parsed only when they may hold an object, a rule file or a route.
# prometheus.yml: its rule_files say which rule files are loaded (prometheus-rule-file-not-loaded).
CONTEXT_MARKERS = (b"kind:", b"groups:", b"route:", b'"kind"', b'"groups"', b'"route"', b"rule_files:",
                   b'"rule_files"')  # fmt: skip


def shown(file: Path, cwd: Path | None) -> str:
    """A context file's display path: relative to the working directory (also when one of
    them was reached through a symbolic link), else absolute."""
    if cwd is None:
        return file.as_posix()
    shown = display_path(file, cwd)
    if shown == file.as_posix():
        with contextlib.suppress(OSError, ValueError):
            shown = display_path(file, cwd.resolve())
    return shown


def context_files(root: Path, report: set, config: Config, cwd: Path) -> list[Source]:
    """YAML and JSON manifests under the project root that the user did not name (context
    only): never test data, never Helm chart templates. Shown with the same display path as
    when named (relative to `cwd`), so a message citing another file reads the same in every
    batch."""
    return [context_source(root, name, cwd) for name, _, _ in context_names(root, report, config, None)]


def context_source(root: Path, name: str, cwd: Path | None) -> Source:
    """The Source of the context file `name` below the root."""
    file = root / name
    return Source(shown(file, cwd), file, "yaml")


_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def context_names(
    root: Path, report: set, config: Config, names: list[str] | None, store: Any = None
) -> list[tuple[str, os.stat_result | None, bool]]:
    """(name below the root, its stat, whether it is a symbolic link) of each context file, in
    path order; strings only (no Path per file but for the few that need one)."""
    out = []
    charts = ChartFolders()
    base = str(root).rstrip("/") + "/"
    cache_prefix = None
    if store is not None:
        folder = str(store.folder).rstrip("/") + "/"
        cache_prefix = folder[len(base) :] if folder.startswith(base) else None
    skipped: dict[str, bool] = {}  # folder -> test data, or the cache itself

    def kept(name: str) -> bool:
        cut = name.rfind("/")
        folder = name[:cut] if cut > 0 else ""
        skip = skipped.get(folder)
        if skip is None:
            parts = tuple(folder.split("/")) if folder else ()
            skip = first_test_data_folder(parts) is not None or (
                cache_prefix is not None and f"{folder}/".startswith(cache_prefix)
            )
            skipped[folder] = skip
        return not skip

    # Comprehensions and map() over 20,000 names: a pre-commit call lists the whole tree
    wanted = [
        n for n in (walk_names(root) if names is None else names) if n.lower().endswith(_MANIFEST_SUFFIXES)
    ]
    wanted = [n for n in wanted if kept(n)]
    exclude = config.exclude
    if exclude:
        wanted = [n for n in wanted if not excluded_name(base + n, n, exclude)]
    texts = [base + n for n in wanted]
    try:
        stats: list[os.stat_result | None] = list(map(os.lstat, texts))
    except OSError:  # one went away since the listing: one by one
        stats = [_lstat(text) for text in texts]
    for name, text, st in zip(wanted, texts, stats, strict=True):
        link = st is not None and st.st_mode & 0o170000 == 0o120000  # S_IFLNK
        if link:
            try:
                st = os.stat(text)
            except OSError:
                st = None
        if st is not None and report and (st.st_dev, st.st_ino) in report:  # file_key, one stat kept
            continue
        if "templates" in name and charts.template_role(Path(text)) is not None:
            continue
        if link and outside(Path(text), root):  # never read what lies outside the tree
            continue
        out.append((name, st, link))
    return out


@dataclass(slots=True)
class ContextFile:
    """A context file of this run: parsed now (`parsed`), or known from the cache (`rel`)."""

    source: Source
    real: Path
    facts: FileFacts
    parsed: ParsedFile | None
    rel: str = ""


def read_contexts(
    candidates: list[tuple[str, os.stat_result | None, bool]],
    root: Path,
    registry: Registry,
    store: Any,
    cwd: Path,
    known: dict[str, ContextFile] | None = None,
) -> list[ContextFile]:
    """Every context file, cached facts or parsed (`known`: those read already)."""
    folders: dict[str, str] = {}
    out = []
    for name, st, link in candidates:
        cf = known.get(name) if known else None
        if cf is None:
            cf = read_context(context_source(root, name, cwd), registry, root, store, folders, (st, link))
        out.append(cf)
    return out


def every_context(
    context: list[ContextFile],
    candidates: list[tuple[str, os.stat_result | None, bool]],
    root: Path,
    registry: Registry,
    store: Any,
    cwd: Path,
    partial: bool,
) -> Callable[[], list[ContextFile]]:
    """All context files, read on first use when the call began with a warm model's few."""
    if not partial:
        return lambda: context
    done: list[list[ContextFile]] = []

    def every() -> list[ContextFile]:
        if not done:
            known = {cf.rel: cf for cf in context}
            done.append(read_contexts(candidates, root, registry, store, cwd, known))
        return done[0]

    return every


def open_cache(root: Path, config: Config, cwd: Path, fresh: bool) -> Any:
    from manifestlint.project.cache import ContextCache, cache_folder

    folder, chosen = cache_folder(root, config.cache_dir, cwd)
    store = ContextCache(folder, root, chosen)
    if fresh:
        store.raw = {}  # found unusable: rebuilt from the files
    return store


def real_in(file: Path, folders: dict[str, str], link: bool) -> Path:
    """project_context.real(file) with one realpath per folder: a file that is not itself a
    symbolic link is its folder's real path joined with its name (5,000 realpath calls, a
    syscall per path component each, were 10% of a warm one-file call)."""
    if link:
        return project_context.real(file)
    text = str(file)
    cut = text.rfind("/")
    folder = text[:cut] if cut > 0 else "/"
    known = folders.get(folder)
    if known is None:
        known = folders[folder] = str(project_context.real(Path(folder)))
    if known == folder:  # no link on the way: the path is already the real one (no new Path)
        return file
    return Path(os.path.join(known, text[cut + 1 :]))


def read_context(
    source: Source,
    registry: Registry,
    root: Path,
    store: Any,
    folders: dict[str, str],
    stat: tuple[os.stat_result | None, bool],
) -> ContextFile:
    """One context file: its cached facts when the cache has them for this content, else
    parsed (and recorded in the cache when one is open). `stat`: the walk's (stat, is a link)."""
    real = real_in(source.abspath, folders, stat[1])
    if store is None:
        pf = read_source(source, registry, markers=CONTEXT_MARKERS)
        return ContextFile(source, real, facts_of(pf.docs), pf)
    from manifestlint.safeio import MAX_FILE_BYTES, Unreadable, read_regular

    text, prefix = str(source.abspath), str(root).rstrip("/") + "/"
    rel = text[len(prefix) :] if text.startswith(prefix) else source.abspath.relative_to(root).as_posix()
    cached = store.lookup(rel, source.abspath, stat[0])
    if cached is not None:
        return ContextFile(source, real, cached, None, rel)
    try:
        before = os.stat(source.abspath)
        data = read_regular(source.abspath, MAX_FILE_BYTES)
    except (OSError, Unreadable):
        store.forget(rel)
        pf = read_source(source, registry, markers=CONTEXT_MARKERS)  # its own words for the problem
        return ContextFile(source, real, facts_of(pf.docs), pf, rel)
    if any(marker in data for marker in CONTEXT_MARKERS):
        pf = read_source(source, registry, stdin_text=data)
    else:
        pf = ParsedFile(source)  # no object, rule group or route in it: left unparsed
    facts = facts_of(pf.docs)
    try:
        after = os.stat(source.abspath)
    except OSError:
        after = None
    if after is not None and (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns):
        if store.record(rel, before, data, pf.docs, facts):
            # from here on the file is what a warm call reads (its cached form): the same
            # findings cold and warm, and the parsed documents can go (a cold call over
            # 20,000 files held 6 GB of them)
            return ContextFile(source, real, facts, None, rel)
    else:  # changed while read: what was parsed may not be what is there now
        store.forget(rel)
    return ContextFile(source, real, facts, pf, rel)
