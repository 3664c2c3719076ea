"""A warm call: the context files it reads from a warm model (project/warm.py) instead of
the cache's index, and the warm model a call saves for the next one. Imported only when the
context cache is used.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from manifestlint.load import ParsedFile
from manifestlint.project import context as project_context
from manifestlint.project.bundles import ProjectModel
from manifestlint.project.context_files import ContextFile, context_source, read_context
from manifestlint.project.facts import FileFacts, facts_of
from manifestlint.registry import Registry


def start(
    store: Any,
    root: Path,
    named: list[ParsedFile],
    candidates: list[tuple[str, os.stat_result | None, bool]],
    config: Any,
    names: list[str],
    fresh: bool,
) -> tuple[str | None, Any]:
    """(this call's warm key, the warm model saved under it when it fits this call): no key
    when a named file lies outside the root, no model when the cache is being rebuilt."""
    below = named_below(root, named)
    if below is None:
        return None, None
    from manifestlint.project import warm as warm_model

    named_facts = [(name, facts_of(pf.docs)) for name, (pf, _) in below.items()]
    options = [*config.exclude, f"test-data={config.include_test_data}"]
    key = warm_model.key(store.key, root, candidates, named_facts, options, names)
    if key is None or fresh:
        return key, None
    data = store.load_model(key)
    if data is None:
        return key, None
    reals = {name: real for name, (_, real) in below.items()}
    return key, warm_model.read(data, root, {c[0] for c in candidates}, reals)


def named_below(root: Path, named: list[ParsedFile]) -> dict[str, tuple[ParsedFile, Path]] | None:
    """Each named YAML file by its name below the root (with its real path); None when one
    lies elsewhere (no warm model then)."""
    prefix = str(root).rstrip("/") + "/"
    out = {}
    for pf in named:
        real = project_context.real(pf.source.abspath)
        text = str(real)
        if not text.startswith(prefix):
            return None
        out[text[len(prefix) :]] = (pf, real)
    return out


def warm_context(
    warm: Any,
    candidates: list[tuple[str, os.stat_result | None, bool]],
    root: Path,
    registry: Registry,
    store: Any,
    cwd: Path,
) -> tuple[list[ContextFile], dict[Path, Callable[[], ContextFile]]]:
    """The context files a warm call reads: those project-wide lookups read (entries taken
    from the warm model, no lookup) and the files parsed on every call; and, made on first
    use, the cached files of the named files' bundles (of 500, the filter asks for a few).
    Everything else stays unread."""
    parsed = set(warm.parsed)
    whole = set(warm.whole)
    needed = parsed.union(warm.cached)
    folders: dict[str, str] = {}
    out = []
    lazy: dict[Path, Callable[[], ContextFile]] = {}

    def cached_file(name: str, st: os.stat_result, sha: str, facts: FileFacts) -> ContextFile:
        store.trust(name, st, sha, facts)
        source = context_source(root, name, cwd)
        return ContextFile(source, source.abspath, facts, None, name)

    for name, st, link in [c for c in candidates if c[0] in needed]:
        cached = warm.cached.get(name)
        if cached is not None and st is not None:
            if name in whole:
                out.append(cached_file(name, st, *cached))
            else:
                lazy[root / name] = functools.partial(cached_file, name, st, *cached)
        else:  # parsed on every call: read without the cache (whose index stays unread)
            cf = read_context(context_source(root, name, cwd), registry, root, None, folders, (st, link))
            out.append(ContextFile(cf.source, cf.real, cf.facts, cf.parsed, name))
    return out, lazy


def save_warm(
    store: Any,
    key: str,
    model: ProjectModel,
    root: Path,
    named: list[ParsedFile],
    context: list[ContextFile],
    docs: Any,
    names: list[str],
) -> None:
    """Save this call's warm model (project/warm.py) for the next call with the same key.
    `docs`: the call's ContextDocs (links, and the documents of a relabelled bundle);
    `names`: every file of the root."""
    by_real: dict[Path, tuple[str, str, FileFacts]] = {}
    for cf in context:
        if cf.parsed is None:
            entry = store.entries.get(cf.rel)
            if entry is None:
                return
            by_real[cf.real] = (cf.rel, entry.sha, cf.facts)
        else:
            by_real[cf.real] = (cf.rel, "", cf.facts)
    reals = [project_context.real(pf.source.abspath) for pf in named]
    named_facts = {
        real: model.facts.get(real) or facts_of(pf.docs) for real, pf in zip(reals, named, strict=True)
    }
    cached = [cf.facts for cf in context if cf.parsed is None]
    domains = (any(f.kinds for f in cached), any(f.istio for f in cached))
    from manifestlint.project import warm as warm_model

    payload = warm_model.build(model, root, reals, by_real, named_facts, domains, docs.links, docs, names)
    if payload is not None:
        store.save_model(key, payload)
