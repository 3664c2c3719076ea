"""Bundles: the sets of files that deploy together. Cross-file rules only ever combine objects
of one bundle, so an HPA of the dev overlay never scales the prod Deployment and two rendered
copies of one app never "conflict".

How files are grouped (every file under the project root, whatever files were named, so a
finding never depends on the batch):

1. **Kustomize**: each root kustomization (one no other kustomization references) and the
   tree below it is one bundle, with its `namespace:` and label transformers. A base used by
   three overlays is in three bundles. Patches and kustomize's own config files are in no
   bundle: they are not objects. A kustomization under a test folder still counts as a root
   (it composes the real base and components), but its own test-data files stay out.
2. **Test data** (test/, tests/, testdata/, fixtures/ ...): each file is a bundle of its own;
   test data is never context for anything, also when it is linted itself.
3. **Folders**, for everything else. A folder is one bundle unless it holds alternatives:
   - two of its subfolders (or a subfolder and the folder's own files) define the same object
     (kind, name, compatible namespace; Namespaces aside, which many apps re-declare): they
     are copies or variants, never applied together;
   - or two of its subfolders each hold a complete app (a workload, or Prometheus rule groups):
     sibling apps or catalog entries (`examples/guestbook/`, `examples/cassandra/`, one mixin
     per folder) are separate deployments — unless every one of those apps names one same
     namespace explicitly: then they are components of one app (`webapp/frontend/` and
     `webapp/backend/`, both in namespace `webapp`), deployed together.
   Folders are worked out bottom-up, so a catalog deep down (`dist/rules/<service>/`) splits
   its ancestors too. The pieces without an app of their own are shared: the folder's own
   files (`namespace.yaml`, a default-deny policy) join every app below the folder; a sibling
   subfolder without an app (`policies/`) joins the sibling apps that are whole subfolders,
   not the entries of a catalog found deeper down. A shared piece that redefines an object of
   an app piece is a copy (`istio-manifests/` beside the rendered `release/`) and stays a
   bundle of its own, as does one with no app to join.

4. **Versions** (project/versions.py): files of one folder bundle that define the same object
   (kind, name, compatible namespace) are versions of it, never applied together (tutorial
   steps, a canary and its rollback). Such a bundle is split into worlds holding one version
   of each object; each world reports on its own versions and the files holding none.

Namespaces: inside a bundle an object without `metadata.namespace` lands where the bundle
deploys — the kustomize `namespace:`; else the one namespace every namespaced object of the
bundle names, if there is exactly one; else it stays unset and matches only other unset
objects (never every namespace).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manifestlint.model import YamlDoc
from manifestlint.project.deployed import Changes, deployed_view
from manifestlint.project.facts import CLUSTER_KINDS, NO_FACTS, FileFacts
from manifestlint.project.kustomize import KustomizeModel, Transform, is_kustomization
from manifestlint.project.versions import versioned_names, worlds


@dataclass(slots=True)
class Bundle:
    """Files deployed together, and what kustomize does to each (None: applied as written)."""

    name: str  # e.g. "kustomize deploy/overlays/prod", "folder release", "file tests/x.yaml"
    reason: str
    files: dict[Path, Transform | None] = field(default_factory=dict)
    # From a warm model (project/warm.py): the default namespace and the context files'
    # relations (links.index_of), saved by the call that built the model.
    namespace: str | None = None
    relations: Any = None
    # The files whose findings this bundle reports (None: all). A bundle split into worlds
    # (project/versions.py: files defining the same object are versions) reports only on
    # its own versions and on the files holding none.
    reports: frozenset[Path] | None = None


@dataclass(slots=True)
class Role:
    role: str  # kustomize-patch / kustomize-config / kustomization / test-data / manifest
    reason: str


@dataclass(slots=True)
class ProjectModel:
    root: Path | None
    bundles: list[Bundle] = field(default_factory=list)
    roles: dict[Path, Role] = field(default_factory=dict)
    # Per kustomize tree: the files it deploys, and its patches and image rewrites.
    variants: list[tuple[dict[Path, Transform], Changes]] = field(default_factory=list)
    _of: dict[Path, list[Bundle]] = field(default_factory=lambda: defaultdict(list))
    facts: dict[Path, FileFacts] = field(default_factory=dict)  # of every file the model was built from
    # Per kustomize patch file: the changes (image rewrites, patches) of each tree using it.
    patched_by: dict[Path, list[Changes]] = field(default_factory=dict)
    kustomize: KustomizeModel | None = None  # what the model was built from (a warm model saves from it)

    def index_bundles(self) -> None:
        self._of.clear()
        for bundle in self.bundles:
            for path in bundle.files:
                self._of[path].append(bundle)

    def bundles_of(self, path: Path) -> list[Bundle]:
        return list(self._of.get(path, ()))

    def role_of(self, path: Path) -> Role | None:
        return self.roles.get(path)

    def deployed(self, path: Path, doc: YamlDoc) -> list[YamlDoc] | None:
        """`doc` as each kustomize tree deploying it patches and re-images it (deployed.py);
        None when some tree (or none at all) deploys it as written."""
        views = []
        for files, changes in self.variants:
            transform = files.get(path)
            if transform is None:
                continue
            view = deployed_view(doc, changes, transform.namespace)
            if view is None:
                return None
            views.append(view)
        return views or None

    def patch_changes(self, path: Path) -> list[Changes] | None:
        """The changes of every tree that applies the patch file `path`; None for other files."""
        return self.patched_by.get(path)

    def patch_views(self, path: Path, doc: YamlDoc) -> list[YamlDoc]:
        """A patch document as each tree using it deploys its values (`images:` rewritten)."""
        views = []
        for changes in self.patched_by.get(path, ()):
            view = deployed_view(doc, Changes(images=changes.images))
            views.append(view if view is not None else doc)
        return views or [doc]

    def is_partial(self, path: Path) -> bool:
        """A patch or kustomize config file: never judged as a complete object."""
        role = self.roles.get(path)
        return role is not None and role.role in ("kustomize-patch", "kustomize-config")

    def selector_labels(self, path: Path) -> list[dict[str, str]]:
        """Labels kustomize adds to selectors and pod templates of this file's objects, one
        mapping per bundle that deploys it with such labels."""
        out = []
        for bundle in self.bundles_of(path):
            transform = bundle.files.get(path)
            if transform is not None and transform.selector_labels:
                out.append(transform.selector_labels)
        return out

    def bundle_lines(self, cwd: Path, linted: list[str]) -> list[str]:
        """One line per bundle holding a linted file (files judged alone left out): its name,
        why its files go together, its size and the namespace kustomize gives it."""
        import os

        wanted = {Path(os.path.realpath(cwd / p)) for p in linted}
        out = []
        for bundle in self.bundles:
            if bundle.name.startswith("file ") or not wanted.intersection(bundle.files):
                continue
            namespaces = sorted({t.namespace for t in bundle.files.values() if t is not None and t.namespace})
            extra = f", namespace {', '.join(namespaces)}" if namespaces else ""
            shown = len(wanted.intersection(bundle.files))
            out.append(
                f"bundle {bundle.name}: {bundle.reason}; {len(bundle.files)} files, {shown} linted{extra}"
            )
        return out

    def describe(self, path: Path) -> list[str]:
        """Human-readable lines saying what the file is and which bundles it belongs to
        (for a verbose listing)."""
        lines = []
        role = self.roles.get(path)
        if role is not None:
            lines.append(f"role: {role.role} ({role.reason})")
        for bundle in self.bundles_of(path):
            transform = bundle.files.get(path)
            extra = ""
            if transform is not None and transform.namespace:
                extra = f", namespace {transform.namespace}"
            lines.append(f"bundle: {bundle.name} ({bundle.reason}{extra})")
        return lines


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() or "."
    except ValueError:
        return path.as_posix()


class _Conflicts:
    """Which files define the same object as another file."""

    def __init__(self, facts: dict[Path, FileFacts]) -> None:
        self.by_file = {path: found.identities for path, found in facts.items()}

    def between(self, a: Iterable[Path], b: Iterable[Path]) -> bool:
        seen: dict[tuple[str, str], list[tuple[str, Path]]] = defaultdict(list)
        for path in a:
            for kind, name, ns in self.by_file.get(path, ()):
                seen[(kind, name)].append((ns, path))
        for path in b:
            for kind, name, ns in self.by_file.get(path, ()):
                for other_ns, other in seen.get((kind, name), ()):
                    if other != path and (not ns or not other_ns or ns == other_ns):
                        return True
        return False

    def across(self, groups: list[list[Path]]) -> bool:
        """Whether two of the groups define the same object (conflicts inside one group are
        that group's business: two alternative files of one folder cannot be told apart)."""
        seen: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
        for number, files in enumerate(groups):
            for path in files:
                for kind, name, ns in self.by_file.get(path, ()):
                    for other_ns, other in seen[(kind, name)]:
                        if other != number and (not ns or not other_ns or ns == other_ns):
                            return True
                    seen[(kind, name)].append((ns, number))
        return False


@dataclass(slots=True)
class _Piece:
    folder: Path
    files: list[Path]
    reason: str
    app: bool


def _namespaces(files: list[Path], facts: dict[Path, FileFacts]) -> set[str]:
    """The namespaces a folder's objects name explicitly (cluster-scoped kinds aside)."""
    out: set[str] = set()
    for path in files:
        out.update(facts.get(path, NO_FACTS).namespaces)
    return out


def _piece(folder: Path, files: list[Path], reason: str, facts: dict[Path, FileFacts]) -> _Piece:
    return _Piece(folder, list(files), reason, any(facts.get(f, NO_FACTS).app for f in files))


def _split(folder: Path, files: list[Path], docs: dict[Path, FileFacts], conflicts: _Conflicts,
           depth: int = 0) -> list[_Piece]:  # fmt: skip
    """The pieces of one folder tree, worked out bottom-up; see the module docstring."""
    # every file is below `folder`: its parts go on where the folder's end (Path.parts is
    # computed once per path; relative_to() and .parent built new paths at every level)
    depth = len(folder.parts)
    direct = [f for f in files if len(f.parts) == depth + 1]
    children: dict[str, list[Path]] = defaultdict(list)
    for f in files:
        if len(f.parts) > depth + 1:
            children[f.parts[depth]].append(f)
    if not children or depth > 32:
        return [_piece(folder, files, "folder", docs)]
    below = {
        name: _split(folder / name, children[name], docs, conflicts, depth + 1) for name in sorted(children)
    }
    whole = {name: pieces[0] for name, pieces in below.items() if len(pieces) == 1}
    app_children = [name for name, piece in whole.items() if piece.app] + [
        name for name, pieces in below.items() if len(pieces) > 1
    ]
    groups = [direct] + [children[name] for name in sorted(children)]
    if len(whole) == len(below) and not conflicts.across(groups):
        if len(app_children) < 2:
            return [_piece(folder, files, "folder", docs)]
        shared = set.intersection(*(_namespaces(children[name], docs) for name in app_children))
        if shared:  # components of one app (webapp/frontend, webapp/backend in namespace webapp)
            return [_piece(folder, files, f"folder (its apps share namespace {min(shared)})", docs)]
    # Split: app pieces stay apart. The folder's own files are shared by every app below it;
    # a sibling subfolder without an app joins the sibling apps that are whole subfolders
    # (not the entries of a catalog found deeper down). A shared piece that redefines an
    # object of an app piece is a copy and stays a bundle of its own.
    pieces = [p for name in sorted(below) for p in below[name]]
    apps = [p for p in pieces if p.app]
    siblings = [p for name, p in sorted(whole.items()) if p.app]
    shared = [(p, siblings) for name, p in sorted(whole.items()) if not p.app]
    shared += [(p, []) for name, ps in sorted(below.items()) if len(ps) > 1 for p in ps if not p.app]
    if direct:
        mine = _piece(folder, direct, "files of the folder", docs)
        if mine.app:
            apps.append(mine)
        else:
            shared.insert(0, (mine, apps))
    out = list(apps)
    for piece, targets in shared:
        if not targets or any(conflicts.between(t.files, piece.files) for t in targets):
            if targets:
                piece.reason = "redefines objects of another folder: an alternative copy"
            out.append(piece)
            continue
        for target in targets:
            target.files.extend(piece.files)
    return out


def build(
    root: Path | None,
    docs: dict[Path, FileFacts],
    kustomize: KustomizeModel | None,
    is_test_data: Callable[[Path], bool],
) -> ProjectModel:
    """The bundles and roles of every file in `docs` (absolute paths -> the facts of its
    parsed documents, project/facts.py)."""
    model = ProjectModel(root, kustomize=kustomize)
    base = root or Path("/")
    claimed: set[Path] = set()
    if kustomize is not None:
        for path, kust in kustomize.kustomizations.items():
            model.roles[path] = Role("kustomization", kust.kind)
            claimed.add(path)
        for path, kust in sorted(kustomize.kustomizations.items()):
            for patch in kust.patches:
                model.roles.setdefault(
                    patch, Role("kustomize-patch", f"a patch of {_rel(path, base)}: a partial object")
                )
                claimed.add(patch)
            for conf in kust.config:
                model.roles.setdefault(
                    conf, Role("kustomize-config", f"read by kustomize for {_rel(path, base)}, not deployed")
                )
                claimed.add(conf)
        model.variants = kustomize.variants()
        for tree, (_files, changes) in zip(kustomize.trees, model.variants, strict=True):
            for patch in tree.patches:
                model.patched_by.setdefault(patch, []).append(changes)
        for tree in kustomize.trees:
            name = f"kustomize {_rel(tree.root.folder, base)}"
            bundle = Bundle(name, f"the tree of {_rel(tree.root.path, base)}")
            for path, transform in sorted(tree.resources.items()):
                if is_test_data(path):
                    continue  # test data is judged alone (below), even when a tree lists it
                bundle.files[path] = transform
                claimed.add(path)
                model.roles.setdefault(path, Role("manifest", f"a resource of {name}"))
            if bundle.files:
                model.bundles.append(bundle)

    if kustomize is not None and kustomize.kustomizations:
        # A patch no kustomization lists (any more, or yet): named as one in a project that
        # uses kustomize, it is a fragment all the same (grafana/loki's operator keeps an
        # unreferenced `prometheus_service_monitor_patch.yaml` beside an overlay).
        for path in docs:
            if path not in claimed and not is_test_data(path) and _named_as_patch(path):
                model.roles[path] = Role("kustomize-patch", "named as a kustomize patch: a partial object")
                claimed.add(path)
        # An unlisted fragment (a workload without a selector or image) beside a kustomization
        # that only re-declares objects its resources define is a patch added at build time
        # (`kustomize edit add patch` in a Makefile, as cloudnative-pg does): judged whole, a
        # Deployment "without a selector" is an error. A complete copy (kubeflow's kserve.yaml
        # beside the kserve_kubeflow.yaml its kustomization lists) is still judged.
        defined = {
            ident: path
            for tree in kustomize.trees
            for path in tree.resources
            for ident in _kind_names(docs.get(path))
        }
        folders = {k.parent for k in kustomize.kustomizations}
        for path in docs:
            if path in claimed or path.parent not in folders or is_test_data(path):
                continue
            idents = _kind_names(docs[path])
            if docs[path].partial and idents and all(ident in defined for ident in idents):
                kind, name = idents[0]
                origin = _rel(defined[idents[0]], base)
                why = f"unlisted beside a kustomization, re-declares {kind} {name} of {origin}"
                model.roles[path] = Role("kustomize-patch", why)
                claimed.add(path)
    rest = sorted(p for p in docs if p not in claimed and not is_kustomization(p) and docs[p].relevant)
    outside = []
    for path in rest:
        if is_test_data(path):
            model.roles[path] = Role("test-data", "under a test-data folder: never context")
            model.bundles.append(
                Bundle(f"file {_rel(path, base)}", "test data is judged alone", {path: None})
            )
        elif root is None or not _inside(path, root):
            model.bundles.append(Bundle(f"file {_rel(path, base)}", "outside the project root", {path: None}))
        else:
            outside.append(path)
    if outside and root is not None:
        conflicts = _Conflicts({p: docs[p] for p in outside})
        for piece in _split(root, outside, docs, conflicts):
            model.bundles.extend(_folder_bundles(piece, root, docs))
    model.index_bundles()
    return model


def _folder_bundles(piece: _Piece, root: Path, docs: dict[Path, FileFacts]) -> list[Bundle]:
    """A folder piece as one bundle, or as one per world when its files hold versions of one
    object (project/versions.py)."""
    label = _rel(piece.folder, root)
    files = sorted(piece.files)
    split = worlds(files, docs)
    if split is None:
        return [Bundle(f"folder {label}", piece.reason, {f: None for f in files})]
    names = ", ".join(versioned_names(files, docs))
    why = f"{piece.reason}; its files hold versions of one object ({names}): judged one version at a time"
    return [
        Bundle(
            f"folder {label} (versions {n} of {len(split)})",
            why,
            {f: None for f in world},
            reports=frozenset(own),
        )
        for n, (world, own) in enumerate(split, 1)
    ]


def _kind_names(facts: FileFacts | None) -> list[tuple[str, str]]:
    """(kind, name) of each named Kubernetes object a file defines."""
    return [(kind, name) for kind, name, _ns in facts.identities] if facts is not None else []


_PATCH_NAME = re.compile(r"(?:^|[-_.])patch(?:es)?(?:[-_.]|$)", re.I)


def _named_as_patch(path: Path) -> bool:
    """`patch.yaml`, `manager_patch.yaml`, `patch-replicas.yml`, or any file under `patches/`."""
    return bool(_PATCH_NAME.search(path.stem)) or path.parent.name in ("patches", "patch")


def _inside(path: Path, root: Path) -> bool:
    text, base = str(path), str(root).rstrip("/")
    return text.startswith(base + "/") or text == base or path.is_relative_to(root)


def default_namespace(bundle: Bundle, facts: dict[Path, FileFacts]) -> str:
    """Where the bundle's namespace-less objects land when no kustomize namespace says: the
    one namespace its namespaced objects name, if there is exactly one; else ''."""
    if bundle.namespace is not None:
        return bundle.namespace
    named: set[str] = set()
    for path in bundle.files:
        named.update(facts.get(path, NO_FACTS).namespaces)
    return next(iter(named)) if len(named) == 1 else ""


__all__ = ["CLUSTER_KINDS", "Bundle", "ProjectModel", "Role", "build", "default_namespace"]
