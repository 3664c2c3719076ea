"""Warm models: what a repeated one-file call needs of the project model, saved by the call
that built it and keyed by everything the model depends on.

The project model is built from every file of the repository (project/bundles.py), but a call
naming one file needs only the bundles holding that file, the roles of the named files, the
few files project-wide lookups read and the files that are parsed on every call. Building the
model from 20,000 files' cached facts took longer than linting the named file; a pre-commit
hook names the same file again and again while nothing else changes.

The key (`key`) covers what the model is a function of: the cache format and manifestlint's
code (the cache key), the root, the options that decide which files are context (excludes,
test data), the name, size and mtime of every context file, and the named files' paths and
facts. A file modified within the cache's racy window, a symbolic link among the context files
or a kustomization anywhere in the tree (its model holds patches and transformers) means no
key: the call builds the model as before. A model that does not describe the files at hand
exactly (`read`) is ignored the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from array import array
from collections.abc import Callable, Iterable
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from manifestlint.project.bundles import Bundle, ProjectModel, Role, default_namespace
from manifestlint.project.cache import FORMAT, RACY_NS, WHOLE_PROJECT_KINDS
from manifestlint.project.cache import _decode_facts as decode_facts
from manifestlint.project.cache import _encode_facts as encode_facts
from manifestlint.project.facts import NO_FACTS, FileFacts
from manifestlint.project.kustomize import KUSTOMIZATION_NAMES
from manifestlint.project.links import Links, index_of

_HEX = frozenset("0123456789abcdef")


def key(
    cache_key: str,
    root: Path,
    candidates: list[tuple[str, os.stat_result | None, bool]],
    named: list[tuple[str, FileFacts]],
    options: Iterable[str],
    names: list[str],
) -> str | None:
    """The warm model's key, or None when this call cannot use one (see the module
    docstring). `candidates`: (name, stat, is a link) of each context file; `named`: each
    named YAML file's name below the root and facts; `names`: every file of the root."""
    listed = "\0" + "\0".join(names) + "\0"  # one C-level search per name, not a loop over files
    if any(f"\0{k}\0" in listed or f"/{k}\0" in listed for k in KUSTOMIZATION_NAMES):
        return None
    stats = list(map(itemgetter(1), candidates))
    if None in stats or any(map(itemgetter(2), candidates)):
        return None  # a file that cannot be stat'ed, or a symbolic link
    # C-level passes over 20,000 files: this runs on every call
    mtimes = array("q", map(attrgetter("st_mtime_ns"), stats))
    if mtimes and max(mtimes) >= time.time_ns() - RACY_NS:
        return None
    digest = hashlib.sha256(f"{FORMAT}|{cache_key}|{root}".encode("utf-8", "surrogateescape"))
    digest.update("\0".join(options).encode("utf-8", "surrogateescape"))
    digest.update("\0\1".join(map(itemgetter(0), candidates)).encode("utf-8", "surrogateescape"))
    digest.update(array("q", map(attrgetter("st_size"), stats)).tobytes())
    digest.update(mtimes.tobytes())
    digest.update(
        array("q", map(attrgetter("st_ctime_ns"), stats)).tobytes()
    )  # an edit keeping size and mtime
    for name, facts in sorted(named):
        digest.update(f"\n\1{name}\0{json.dumps(encode_facts(facts))}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def build(
    model: ProjectModel,
    root: Path,
    named: list[Path],
    context: dict[Path, tuple[str, str, FileFacts]],
    named_facts: dict[Path, FileFacts],
    domains: tuple[bool, bool],
    links: Callable[[Path], Links],
) -> dict[str, Any] | None:
    """The warm model of this call: the bundles holding a named file (each file with its
    name, content hash and facts), the named files' roles, the cached files project-wide
    lookups read, the context files parsed on every call and whether the context holds
    Kubernetes / Istio objects. `context`: real path -> (name, sha, facts) of each context
    file (sha '' for one parsed on every call). None when a bundle has kustomize transforms."""
    prefix = str(root).rstrip("/") + "/"

    def rel(path: Path) -> str | None:
        text = str(path)
        return text[len(prefix) :] if text.startswith(prefix) else None

    if any(model.patch_changes(path) is not None for path in named):
        return None  # a named kustomize patch is judged with its trees' image rewrites
    bundles = []
    seen: set[int] = set()
    for path in named:
        for bundle in model.bundles_of(path):
            if id(bundle) in seen:
                continue
            seen.add(id(bundle))
            files = []
            for file, transform in bundle.files.items():
                name = rel(file)
                if transform is not None or name is None:
                    return None
                if file in named_facts:
                    files.append([name, ""])
                elif file in context:
                    files.append([name, context[file][1]])
                else:
                    return None
            paths = list(bundle.files)
            relations = index_of(
                paths, {p: links(p) for p in paths if p not in named_facts}, set(named_facts)
            )
            namespace = default_namespace(bundle, {**model.facts, **named_facts})
            reports = None if bundle.reports is None else sorted(filter(None, map(rel, bundle.reports)))
            bundles.append([bundle.name, bundle.reason, files, namespace, relations, reports])
    roles = []
    for path in named:
        role, name = model.roles.get(path), rel(path)
        if role is not None and name is not None:
            roles.append([name, role.role, role.reason])
    whole = [
        [name, sha, encode_facts(facts)]
        for name, sha, facts in context.values()
        if sha and not WHOLE_PROJECT_KINDS.isdisjoint(facts.kinds)
    ]
    return {
        "bundles": bundles,
        "roles": roles,
        "whole": whole,
        "parsed": [name for name, sha, _ in context.values() if not sha],
        "k8s": domains[0],
        "istio": domains[1],
    }


class Warm:
    """A warm model read back: the partial ProjectModel and what the engine reads besides."""

    __slots__ = ("cached", "istio", "k8s", "model", "parsed", "whole")

    def __init__(self) -> None:
        self.model = ProjectModel(None)
        self.cached: dict[str, tuple[str, FileFacts]] = {}  # name -> (sha, facts): entries to trust
        self.whole: list[str] = []
        self.parsed: list[str] = []
        self.k8s = False
        self.istio = False


def read(data: dict[str, Any], root: Path, candidates: set[str], named: dict[str, Path]) -> Warm | None:
    """The Warm of a loaded model, or None when anything in it is off: every name must be a
    context file of this call or a named one, every value of its type."""
    out = Warm()
    out.model.root = root
    try:
        bundles, roles, whole = data["bundles"], data["roles"], data["whole"]
        parsed, k8s, istio = data["parsed"], data["k8s"], data["istio"]
    except (KeyError, TypeError):
        return None
    if not (type(bundles) is list and type(roles) is list and type(whole) is list and type(parsed) is list):
        return None
    if type(k8s) is not bool or type(istio) is not bool:
        return None
    out.k8s, out.istio = k8s, istio
    if not all(type(p) is str and p in candidates for p in parsed):
        return None
    out.parsed = parsed
    parsed_set = set(parsed)

    def sha_of(name: Any, sha: Any) -> bool:
        """Whether (name, sha) names a cached context file of this call ('' for others)."""
        if type(name) is not str or type(sha) is not str:
            return False
        return not sha or (len(sha) == 64 and _HEX.issuperset(sha) and name in candidates)

    for bundle in bundles:
        if type(bundle) is not list or len(bundle) != 6 or type(bundle[2]) is not list:
            return None
        title, reason, files, namespace, relations, reports = bundle
        if type(title) is not str or type(reason) is not str or type(namespace) is not str:
            return None
        if type(relations) is not dict:
            return None
        if reports is not None and (type(reports) is not list or not all(type(r) is str for r in reports)):
            return None
        made = Bundle(title, reason, namespace=namespace, relations=relations)
        for item in files:
            if type(item) is not list or len(item) != 2 or not sha_of(*item):
                return None
            name, sha = item
            if sha:
                out.cached[name] = (sha, NO_FACTS)  # a bundle file's facts: not needed warm
            elif name not in named and name not in parsed_set:
                return None
            made.files[named.get(name) or root / name] = None
        if reports is not None:
            made.reports = frozenset(named.get(name) or root / name for name in reports)
        out.model.bundles.append(made)
    for item in whole:
        if type(item) is not list or len(item) != 3 or not sha_of(item[0], item[1]) or not item[1]:
            return None
        facts = decode_facts(item[2])
        if facts is None:
            return None
        out.cached[item[0]] = (item[1], facts)
        out.whole.append(item[0])
    for item in roles:
        if type(item) is not list or len(item) != 3 or not all(type(v) is str for v in item):
            return None
        if item[0] not in named:
            return None
        out.model.roles[named[item[0]]] = Role(item[1], item[2])
    out.model.index_bundles()
    return out


__all__ = ["Warm", "build", "key", "read"]
