"""From the engine's parsed files to the project model, and from a bundle to the index its
cross-file rules see.

The engine hands over every YAML file it parsed (the named ones and the context files under
the project root) keyed by absolute path; the kustomizations are read from the root's file
list. Nothing here depends on which files were named except which bundles are worth running
(a bundle none of whose files is reported cannot produce a shown finding).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from manifestlint.index import Index
from manifestlint.model import YamlDoc
from manifestlint.project import bundles as _bundles
from manifestlint.project import kustomize as _kustomize
from manifestlint.project.facts import FileFacts
from manifestlint.project.links import Links, links_of, related_by_index, related_files
from manifestlint.project.roles import Role
from manifestlint.project.views import view

# path -> its real path, for the length of one lint run (engine.lint sets and drops it): the
# engine, the model and the cross-file rules resolve every file 6 to 7 times (4,500 realpath
# calls, ~50 ms of a corpus call). Only within a run: between two runs a link may change.
_REAL: dict[Path, Path] | None = None


def real(path: Path) -> Path:
    """One spelling per file (symbolic links and `..` resolved) to key the model by."""
    memo = _REAL
    if memo is not None:
        found = memo.get(path)
        if found is not None:
            return found
    try:
        found = Path(os.path.realpath(path))
    except (OSError, ValueError):
        found = Path(os.path.abspath(path))
    if memo is not None:
        memo[path] = found
    return found


def remember_real_paths(on: bool) -> None:
    """Start (with a fresh table) or end remembering `real` for one lint run."""
    global _REAL
    _REAL = {} if on else None


def deploy_units(
    model_of: Callable[[], _bundles.ProjectModel | None], cwd: Path
) -> Callable[[str], tuple[str, ...]]:
    """The deploy units of a file by its display path: the names of the bundles that hold it,
    else its folder (no model, or a file no bundle holds). Platform evidence counts per unit
    (project/platform.py). The model is asked for on first use only."""
    found: dict[str, tuple[str, ...]] = {}
    models: list[_bundles.ProjectModel | None] = []

    def units(path: str) -> tuple[str, ...]:
        if not models:
            models.append(model_of())
        model = models[0]
        if path not in found:
            bundles = model.bundles_of(real(cwd / path)) if model is not None else []
            found[path] = tuple(b.name for b in bundles) or (f"folder {Path(path).parent.as_posix()}",)
        return found[path]

    return units


def kustomization_files(root: Path | None, walked: Iterable[Path], named: Iterable[Path]) -> list[Path]:
    """Kustomization files to read: those under the root; without a root, the named ones and
    those in the named files' own folders (never a walk of an arbitrary parent folder)."""
    found = [f for f in walked if _kustomize.is_kustomization(f)]
    if root is None:
        for path in named:
            if _kustomize.is_kustomization(path):
                found.append(path)
            for name in _kustomize.KUSTOMIZATION_NAMES:
                candidate = path.parent / name
                if _kustomize.is_file(candidate):
                    found.append(candidate)
    return sorted(set(found))


def build_model(
    root: Path | None,
    docs: dict[Path, FileFacts],
    kustomizations: list[Path],
    is_test_data: Callable[[Path], bool],
) -> _bundles.ProjectModel:
    scan_root = root
    if scan_root is None:
        paths = [*docs, *kustomizations]
        scan_root = Path(os.path.commonpath([p.parent for p in paths])) if paths else None
    kmodel = None
    if kustomizations and scan_root is not None:
        # A kustomization under a test folder is still evidence of what deploys together (the
        # real base plus components it composes); its own test-data resources stay out.
        kmodel = _kustomize.build(kustomizations, scan_root)
    return _bundles.build(scan_root, docs, kmodel, is_test_data)


def bundle_index(
    bundle: _bundles.Bundle,
    docs: Mapping[Path, list[YamlDoc]],
    facts: dict[Path, FileFacts],
    report_paths: set[str],
    base: str = "",
    links: Callable[[Path], Links] | None = None,
    named: set[Path] | None = None,
) -> tuple[Index, dict[tuple[str, int], YamlDoc]]:
    """The index of one bundle, holding each object as the bundle deploys it (views), in a
    stable order (files sorted by path). Also returns view -> original document by
    (path, index), so findings carry the identity of the object as written. `docs` may load
    a file's documents on demand (the context cache): only this bundle's files are asked.

    With `links` (a file's Links, project/links.py) and the `named` files, only the files the
    named ones relate to are read: what cross-file rules say about a named file is the same
    (findings on the others are never shown)."""
    index = Index(report_paths=set(), base=base)
    originals: dict[tuple[str, int], YamlDoc] = {}
    default_ns = _bundles.default_namespace(bundle, facts)
    files = bundle.files
    if links is not None and named is not None:
        wanted = relevant_files(bundle, bundle_links(bundle, links, docs, facts), named)
        files = {path: transform for path, transform in files.items() if path in wanted}
    for path, transform in files.items():
        file_docs = docs.get(path, ())
        views = []
        reports = bundle.reports is None or path in bundle.reports
        for doc in file_docs:
            if reports and doc.path in report_paths:
                index.report_paths.add(doc.path)
            originals[(doc.path, doc.index)] = doc
            views.append(_deployed_as(doc, transform, default_ns))
        index.add(views)
    return index, originals


def _deployed_as(doc: YamlDoc, transform: _kustomize.Transform | None, default_ns: str) -> YamlDoc:
    """`doc` as its bundle deploys it: kustomize's namespace and labels, or the bundle's
    default namespace."""
    kind = doc.root.get("kind") if isinstance(doc.root, dict) else None
    cluster = kind in _bundles.CLUSTER_KINDS
    if transform is not None:
        namespace = transform.namespace or default_ns
        return view(doc, namespace, transform.selector_labels, transform.template_labels, cluster)
    return _with_default_ns(doc, default_ns, cluster)


def _relabels(bundle: _bundles.Bundle) -> bool:
    """Whether kustomize adds labels to the bundle's selectors or pods."""
    return any(t is not None and (t.selector_labels or t.template_labels) for t in bundle.files.values())


def bundle_links(
    bundle: _bundles.Bundle,
    links: Callable[[Path], Links],
    docs: Mapping[Path, list[YamlDoc]],
    facts: dict[Path, FileFacts],
) -> Callable[[Path], Links]:
    """What relates each file of `bundle` to the others, as the bundle deploys it: its links
    as written (`links`), or, in a bundle where kustomize adds labels to selectors and pods
    (links compare labels), the links of the views the cross-file rules see. Those need the
    file's documents: the call that saves a warm model reads them once, a warm call only
    the named files'."""
    if not _relabels(bundle):
        return links
    default_ns = _bundles.default_namespace(bundle, facts)
    memo: dict[Path, Links] = {}

    def of(path: Path) -> Links:
        found = memo.get(path)
        if found is None:
            transform = bundle.files.get(path)
            shown = [_deployed_as(doc, transform, default_ns) for doc in docs.get(path, ())]
            found = memo[path] = links_of(shown)
        return found

    return of


def relevant_files(bundle: _bundles.Bundle, links: Callable[[Path], Links], named: set[Path]) -> set[Path]:
    """The files of `bundle` the named files relate to (project/links.py); all of them when a
    file's links are unknown."""
    seeds = [path for path in bundle.files if path in named]
    if len(seeds) * 2 > len(bundle.files):
        return set(bundle.files)  # most of the bundle is named: nothing to save
    if bundle.relations is not None:  # saved by a warm model: only the named files' links now
        files = list(bundle.files)
        found = related_by_index(files, bundle.relations, {path: links(path) for path in seeds})
        return set(files) if found is None else found
    found = {path: links(path) for path in bundle.files}
    spaces = {path: t.namespace for path, t in bundle.files.items() if t is not None and t.namespace}
    return related_files(list(bundle.files), found, seeds, spaces)


def _with_default_ns(doc: YamlDoc, namespace: str, cluster: bool) -> YamlDoc:
    if not namespace or cluster or doc.kind != "kubernetes" or not isinstance(doc.root, dict):
        return doc
    meta = doc.root.get("metadata")
    if isinstance(meta, dict) and meta.get("namespace"):
        return doc
    return view(doc, namespace, {}, {}, cluster)


def per_object_views(model: _bundles.ProjectModel, path: Path, file_docs: list[YamlDoc]) -> list[YamlDoc]:
    """The documents per-object rules judge: with the labels kustomize adds to selectors and pod
    templates (a base whose Deployment has no selector of its own gets one from commonLabels),
    taken from the first bundle that adds any. Namespaces are left as written: they differ
    per overlay, and no per-object rule needs the deployed one."""
    labels = model.selector_labels(path)
    if not labels:
        return file_docs
    chosen = labels[0]
    out = []
    for doc in file_docs:
        kind = doc.root.get("kind") if isinstance(doc.root, dict) else None
        out.append(view(doc, "", chosen, {}, kind in _bundles.CLUSTER_KINDS))
    return out


def bundles_to_run(model: _bundles.ProjectModel, reported: Iterable[Path]) -> Iterator[_bundles.Bundle]:
    """Bundles holding at least one reported file, in the model's (stable) order."""
    wanted = set(reported)
    for bundle in model.bundles:
        if wanted.intersection(bundle.files):
            yield bundle


__all__ = [
    "build_model",
    "bundle_index",
    "bundle_links",
    "bundles_to_run",
    "kustomization_files",
    "per_object_views",
    "real",
    "relevant_files",
]


def apply_views(model: _bundles.ProjectModel, named: list) -> dict[int, list[YamlDoc]]:
    """Give each named YAML file (load.ParsedFile) what per-object rules judge: its objects
    with the selector labels kustomize adds (each bundle applies its own transformers), or,
    for a partial file (a kustomize patch), its role for the verbose listing. Returns the
    documents as written, by id of the file, for the cross-file rules."""
    raw_docs: dict[int, list[YamlDoc]] = {}
    for pf in named:
        path = real(pf.source.abspath)
        role = model.role_of(path)
        if role is not None and model.is_partial(path):
            pf.role = Role(role.role, role.reason)  # shown by the verbose listing
        elif pf.docs:
            raw_docs[id(pf)] = pf.docs
            pf.docs = per_object_views(model, path, pf.docs)
    return raw_docs
