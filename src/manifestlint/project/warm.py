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
facts. A file modified within the cache's racy window or a symbolic link among the context
files means no key: the call builds the model as before. A model that does not describe the
files at hand exactly (`read`) is ignored the same way.

Kustomize trees (issue 23): a tree's model is also a function of the kustomization files, the
patches and Makefiles they read and of which paths exist. In a tree that holds a
kustomization the key also covers every file name of the root and the stat of the
kustomize inputs that are not context files; the model lists any other input kustomize read
or asked about (a file in an ignored folder) with its stat, checked when read back, and is
not saved when a symbolic link was on the way. It keeps, for the named files, the transforms
of their bundles (namespace, labels), the relations of a relabelled bundle as it deploys
(project/context.py `bundle_links`), and for each tree deploying a named file the few
kustomizations whose `images:` and patches change its objects: a warm call reads those
again (kustomize.changes_of: the same reading, positions and all) instead of every
kustomization of the repository.
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
from manifestlint.project.context import bundle_links
from manifestlint.project.facts import NO_FACTS, FileFacts
from manifestlint.project.kustomize import KUSTOMIZATION_NAMES, Transform
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
    kustomized = any(f"\0{k}\0" in listed or f"/{k}\0" in listed for k in KUSTOMIZATION_NAMES)
    stats = list(map(itemgetter(1), candidates))
    if None in stats or any(map(itemgetter(2), candidates)):
        return None  # a file that cannot be stat'ed, or a symbolic link
    extra = kustomize_inputs(root, candidates, names) if kustomized else ([], [])
    if extra is None:
        return None
    stats += extra[1]
    # C-level passes over 20,000 files: this runs on every call
    mtimes = array("q", map(attrgetter("st_mtime_ns"), stats))
    if mtimes and max(mtimes) >= time.time_ns() - RACY_NS:
        return None
    digest = hashlib.sha256(f"{FORMAT}|{cache_key}|{root}".encode("utf-8", "surrogateescape"))
    if kustomized:  # which paths exist decides what kustomize reads: every name of the root
        digest.update(listed.encode("utf-8", "surrogateescape"))
        digest.update("\0\2".join(extra[0]).encode("utf-8", "surrogateescape"))
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


# Names of the files kustomize reads besides context files: kustomizations that are not
# (`Kustomization`, one in a test-data folder) and the Makefiles of build_time_images.
_INPUT_ENDINGS = (*KUSTOMIZATION_NAMES, "Makefile", "makefile", ".mk")


def kustomize_inputs(
    root: Path, candidates: list[tuple[str, os.stat_result | None, bool]], names: list[str]
) -> tuple[list[str], list[os.stat_result]] | None:
    """(names, stats) of the root's files kustomize may read that are not context files (so
    not in the key yet); None when one cannot be stat'ed or is a link."""
    wanted = [n for n in names if n.endswith(_INPUT_ENDINGS)]
    if not wanted:
        return [], []
    context = set(map(itemgetter(0), candidates))
    found = [n for n in wanted if n not in context]
    base = str(root).rstrip("/") + "/"
    stats = []
    for name in found:
        try:
            st = os.lstat(base + name)
        except OSError:
            return None
        if st.st_mode & 0o170000 == 0o120000:
            return None
        stats.append(st)
    return found, stats


def _signature(path: Path) -> list[int] | None:
    """What a kustomize input that no key covers looked like: mode, size, mtime, ctime."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return [st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _kustomize_part(
    model: ProjectModel,
    named: list[Path],
    rel: Callable[[Path], str | None],
    names: list[str],
    context: set[str],
) -> dict[str, Any] | None:
    """The kustomize half of a warm model (see the module docstring): the inputs no key
    covers, and per tree deploying a named file its namespace and the kustomizations whose
    images and patches change it; None when a model must not be saved."""
    kust = model.kustomize
    if kust is None or not kust.kustomizations:
        return {"inputs": [], "variants": [], "make": []}
    if kust.reads.linked:
        return None  # a symbolic link on the way: what it points to is in no key
    listed = set(names)
    covered = context | {n for n in names if n.endswith(_INPUT_ENDINGS)}
    folders = set()
    for name in names:
        while "/" in name:
            name = name.rpartition("/")[0]
            if name in folders:
                break
            folders.add(name)
    inputs = []
    for path in sorted(kust.reads.files | kust.reads.checked):
        name = rel(path)
        if name is None:
            return None
        read = path in kust.reads.files
        if (read and name in covered) or (not read and (name in listed or name in folders)):
            continue
        signature = _signature(path)
        if signature is not None and signature[2] >= time.time_ns() - RACY_NS:
            return None
        inputs.append([name, signature])
    variants = []
    for tree, (files, _) in zip(kust.trees, model.variants, strict=True):
        for path in named:
            transform = files.get(path)
            if transform is None:
                continue
            changing = [k for k in tree.kustomizations if _changes_objects(kust.kustomizations.get(k))]
            changing_names = [rel(k) for k in changing]
            if None in changing_names:
                return None
            variants.append([rel(path), transform.namespace, changing_names])
    return {"inputs": inputs, "variants": variants, "make": sorted(kust.build_time_images)}


def _changes_objects(kust: Any) -> bool:
    return kust is not None and bool(kust.images or kust.patch_bodies)


def build(
    model: ProjectModel,
    root: Path,
    named: list[Path],
    context: dict[Path, tuple[str, str, FileFacts]],
    named_facts: dict[Path, FileFacts],
    domains: tuple[bool, bool],
    links: Callable[[Path], Links],
    docs: Any = None,
    names: list[str] | None = None,
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
    kustomized = _kustomize_part(model, named, rel, names or [], {name for name, _, _ in context.values()})
    if kustomized is None:
        return None
    facts = {**model.facts, **named_facts}
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
                if name is None:
                    return None
                if file in named_facts:
                    item = [name, ""]
                elif file in context:
                    item = [name, context[file][1]]
                else:
                    return None
                if transform is not None:
                    item.append([transform.namespace, transform.selector_labels, transform.template_labels])
                files.append(item)
            paths = list(bundle.files)
            file_links = bundle_links(bundle, links, docs, facts) if docs is not None else links
            relations = index_of(
                paths, {p: file_links(p) for p in paths if p not in named_facts}, set(named_facts)
            )
            namespace = default_namespace(bundle, facts)
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
        "kustomize": kustomized,
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
            if type(item) is not list or len(item) not in (2, 3) or not sha_of(*item[:2]):
                return None
            name, sha = item[:2]
            transform = _transform(item[2]) if len(item) == 3 else None
            if transform is False:
                return None
            if sha:
                out.cached[name] = (sha, NO_FACTS)  # a bundle file's facts: not needed warm
            elif name not in named and name not in parsed_set:
                return None
            made.files[named.get(name) or root / name] = transform
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
    if not _read_kustomize(data.get("kustomize"), out.model, root, named):
        return None
    out.model.index_bundles()
    return out


def _labels(value: Any) -> bool:
    return type(value) is dict and all(type(k) is str and type(v) is str for k, v in value.items())


def _transform(value: Any) -> Transform | bool:
    """A saved Transform, or False when it is not one."""
    if type(value) is not list or len(value) != 3 or type(value[0]) is not str:
        return False
    if not (_labels(value[1]) and _labels(value[2])):
        return False
    return Transform(value[0], value[1], value[2])


def _relative(name: Any) -> bool:
    """A name below the root as warm models write them (never absolute, never `..`)."""
    return (
        type(name) is str
        and bool(name)
        and "\0" not in name
        and not name.startswith("/")
        and all(part not in ("", ".", "..") for part in name.split("/"))
    )


def _read_kustomize(part: Any, model: ProjectModel, root: Path, named: dict[str, Path]) -> bool:
    """The kustomize half of a warm model into `model` (variants of the named files, their
    trees' changes read again from the kustomizations that have any); False when it is not
    well-formed or an input no key covers has changed."""
    if type(part) is not dict:
        return False
    inputs, variants, make = part.get("inputs"), part.get("variants"), part.get("make")
    if type(inputs) is not list or type(variants) is not list or type(make) is not list:
        return False
    for item in inputs:
        if type(item) is not list or len(item) != 2 or not _relative(item[0]):
            return False
        if _signature(root / item[0]) != item[1]:
            return False  # an input outside the key's reach changed (or the entry is forged)
    if not all(type(name) is str for name in make):
        return False
    from manifestlint.project import kustomize
    from manifestlint.project.deployed import Changes, add_image, add_patch

    made: dict[tuple[str, ...], Changes] = {}
    for item in variants:
        if type(item) is not list or len(item) != 3 or item[0] not in named or type(item[1]) is not str:
            return False
        changing = item[2]
        if type(changing) is not list or not all(_relative(name) for name in changing):
            return False
        changes = made.get(tuple(changing))
        if changes is None:
            changes = made[tuple(changing)] = Changes()
            for name in changing:
                kust = kustomize.changes_of(root / name, root)
                for entry in kust.images:
                    add_image(changes, entry)
                for target, body in kust.patch_bodies:
                    add_patch(changes, target, body)
            for name in make:
                changes.images.setdefault(name, ("", "(set by make)", ""))
        model.variants.append(({named[item[0]]: Transform(item[1])}, changes))
    return True


__all__ = ["Warm", "build", "key", "read"]
