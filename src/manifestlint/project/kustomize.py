"""Kustomize trees read by ourselves (no `kustomize` binary): which files a kustomization
deploys, which it only patches, and the namespace and labels it stamps on its objects.

What we read, per kustomization file (`kustomization.yaml`, `kustomization.yml`, `Kustomization`):

- `resources`, `bases` and `components`: files are deployed objects; folders are other
  kustomizations, followed recursively. Remote targets (URLs, `github.com/...`), paths leaving
  the project root and cycles are ignored, never followed.
- `patches`, `patchesStrategicMerge`, `patchesJson6902` (also inside components): the files
  they name are PARTIAL objects — a fragment merged into an object defined elsewhere. They are
  never judged as complete objects and never count as objects for cross-file rules.
- `transformers`, `generators`, `validators`, `configurations`, `crds`, `replacements`,
  `openapi`: files read by kustomize itself (a LabelTransformer, a CRD schema), not deployed.
- `namespace:`: the outermost kustomization that sets it wins (kustomize applies inner
  kustomizations first); `commonLabels` and `labels` (`includeSelectors: true`) add labels to
  objects, pod templates and selectors; `labels` with only `includeTemplates: true` adds them to
  objects and pod templates.

A kustomization that no other kustomization references is a *root*: the tree below it is one
deployment (a bundle, see bundles.py). Inline patches (`patch: |-`) are not files and need no
role. Generators' outputs (ConfigMaps) are not modelled: no cross-file rule needs them.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manifestlint.project.deployed import Changes, add_image, add_patch

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_CONFIG_FIELDS = ("transformers", "generators", "validators", "configurations", "crds", "replacements")
MAX_KUSTOMIZATION_BYTES = 1024 * 1024
MAX_DEPTH = 64  # nesting of kustomizations followed from one root


def is_kustomization(path: Path) -> bool:
    return path.name in KUSTOMIZATION_NAMES


def is_file(path: Path) -> bool:
    """`Path.is_file` that answers False for paths the OS refuses (too long, looping links)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


@dataclass(slots=True)
class Kustomization:
    """One kustomization file, its references resolved to absolute paths below the root."""

    path: Path
    kind: str = "Kustomization"  # or "Component"
    resources: list[Path] = field(default_factory=list)  # files deployed as objects
    children: list[Path] = field(default_factory=list)  # kustomization files referenced
    patches: list[Path] = field(default_factory=list)  # partial objects
    config: list[Path] = field(default_factory=list)  # files kustomize reads itself
    namespace: str = ""
    selector_labels: dict[str, str] = field(default_factory=dict)  # commonLabels, includeSelectors
    template_labels: dict[str, str] = field(default_factory=dict)  # labels: includeTemplates only
    images: list[Any] = field(default_factory=list)  # `images:` entries (project/deployed.py)
    patch_bodies: list[tuple[Any, Any]] = field(default_factory=list)  # (target, parsed body)

    @property
    def folder(self) -> Path:
        return self.path.parent


@dataclass(slots=True)
class Transform:
    """What a kustomize tree does to one resource file's objects."""

    namespace: str = ""  # '' when no kustomization on the way sets one
    selector_labels: dict[str, str] = field(default_factory=dict)
    template_labels: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.namespace or self.selector_labels or self.template_labels)


@dataclass(slots=True)
class Tree:
    """Everything one root kustomization deploys."""

    root: Kustomization
    resources: dict[Path, Transform] = field(default_factory=dict)  # file -> its transform
    patches: set[Path] = field(default_factory=set)
    config: set[Path] = field(default_factory=set)
    kustomizations: list[Path] = field(default_factory=list)


def _remote(ref: str) -> bool:
    return "://" in ref or ref.startswith(("github.com/", "git@", "gitlab.com/", "bitbucket.org/"))


def _inside(path: Path, root: Path) -> bool:
    return path.is_relative_to(root)


@dataclass(slots=True)
class Reads:
    """What reading the kustomizations depended on besides their names (a warm model,
    project/warm.py, is valid only while all of it stays the same): the files read, the
    paths whose existence or kind was asked, and whether a symbolic link was on the way."""

    files: set[Path] = field(default_factory=set)
    checked: set[Path] = field(default_factory=set)
    linked: bool = False
    folders: dict[str, str] = field(default_factory=dict)  # folder -> real path, while reading


def _kustomization_in(folder: Path, reads: Reads | None = None) -> Path | None:
    for name in KUSTOMIZATION_NAMES:
        candidate = folder / name
        if reads is not None:
            reads.checked.add(candidate)
        if is_file(candidate):
            return candidate
    return None


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, (str, int, float))] if isinstance(value, list) else []


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, (str, int, float, bool))}


def load(path: Path, root: Path | None = None, reads: Reads | None = None) -> dict | None:
    """The kustomization's first YAML document as a mapping; None when unreadable or not one.
    Read with the bounded parser every input goes through (kustomization files are input)."""
    for value in load_all(path, root, reads):
        if isinstance(value, dict):
            return value
    return None


def load_all(path: Path, root: Path | None = None, reads: Reads | None = None) -> list[Any]:
    """Every document of a kustomization or patch file (empty when unreadable): a regular
    file (a FIFO or /dev/zero named kustomization.yaml must not hang) whose real path lies
    inside `root` (a committed link out of the tree is never read)."""
    from manifestlint.safeio import Unreadable, read_inside, read_regular

    if reads is not None:
        reads.files.add(path)
    try:
        if reads is not None and root is not None:  # read_inside, the folders' real paths known
            target = _realpath(os.path.normpath(os.path.abspath(path)), reads.folders)
            if not _below(target, _real_folder(os.fspath(root), reads.folders)):
                raise Unreadable("leads outside the root; not read")
            data = read_regular(path, MAX_KUSTOMIZATION_BYTES)
        else:
            data = read_inside(path, root, MAX_KUSTOMIZATION_BYTES)
        text = data.decode("utf-8-sig", errors="replace")
    except (Unreadable, ValueError, OSError):
        return []
    return parse_text(text, path.as_posix())


def parse_text(text: str, name: str) -> list[Any]:
    from manifestlint.parse.yaml import parse_stream

    try:
        docs, _errors, _dups = parse_stream(text, name)
    except Exception:  # a parser failure is a file we cannot read, never a crash
        return []
    return [doc.root for doc in docs]


def _real_folder(folder: str, folders: dict[str, str]) -> str:
    """The real path of `folder`, once per folder (`folders`: folder -> its real path)."""
    real = folders.get(folder)
    if real is None:  # its parent's real path (known, or worked out the same way) and its own lstat
        real = folders[folder] = "/" if folder == "/" else _realpath(folder, folders)
    return real


def _realpath(target: str, folders: dict[str, str]) -> str:
    """os.path.realpath of a normalised absolute path, with one realpath per folder
    (`folders`: folder -> its real path): 15,000 references of 5,000 kustomizations were
    15,000 realpath calls, an lstat per path component each. The target itself is lstat'ed:
    a link is resolved in full."""
    parent, _, name = target.rpartition("/")
    real_parent = _real_folder(parent or "/", folders)
    try:
        link = stat.S_ISLNK(os.lstat(target).st_mode)
    except OSError:
        link = False  # missing: realpath keeps the name as it is
    if link or not name or name in (".", ".."):
        return os.path.realpath(target)
    return os.path.join(real_parent, name)


def _below(path: str, root: str) -> bool:
    """Whether the normalised absolute `path` is `root` or lies below it (strings: the
    pathlib test parsed both paths on each of 30,000 calls)."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def _resolver(folder: Path, root: Path, reads: Reads | None) -> Any:
    """resolve(ref): a reference of a kustomization in `folder`, by its real path when it
    stays below `root`, else None."""
    folders = reads.folders if reads is not None else {}
    base, top = os.fspath(folder), os.fspath(root)
    real_root = _real_folder(top, folders)

    def resolve(ref: str) -> Path | None:
        if not ref or _remote(ref):
            return None
        if "\0" in ref or len(ref) > 4096:
            return None
        target = os.path.normpath(os.path.join(base, ref))
        if not _below(target, top):
            return None
        try:  # a symbolic link inside the root may still point outside it
            real = _realpath(target, folders)
        except (OSError, RuntimeError, ValueError):
            return None
        if not _below(real, real_root):
            return None
        found = Path(real)
        if reads is not None:
            reads.checked.add(found)
            reads.linked = reads.linked or real != target
        return found

    return resolve


def parse(path: Path, root: Path, reads: Reads | None = None) -> Kustomization:
    """The kustomization at `path` with every reference that stays below `root` resolved, by
    its real path (a folder reached through several links is one kustomization). `reads`
    records what the result depended on."""
    data = load(path, root, reads) or {}
    kust = Kustomization(path, kind="Component" if data.get("kind") == "Component" else "Kustomization")
    resolve = _resolver(path.parent, root, reads)

    for key in ("resources", "bases", "components"):
        for ref in _strings(data.get(key)):
            target = resolve(ref)
            if target is None:
                continue
            if is_dir(target):
                child = _kustomization_in(target, reads)
                if child is not None:
                    kust.children.append(child)
            elif is_file(target):
                kust.resources.append(target)
    _changes(data, kust, root, resolve, reads)
    for key in _CONFIG_FIELDS:
        entries = data.get(key)
        for entry in entries if isinstance(entries, list) else ():
            ref = entry.get("path") if isinstance(entry, dict) else entry if isinstance(entry, str) else None
            target = resolve(ref) if isinstance(ref, str) and "\n" not in ref else None
            if target is not None and is_file(target):
                kust.config.append(target)
    openapi = data.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        target = resolve(openapi["path"])
        if target is not None and is_file(target):
            kust.config.append(target)

    namespace = data.get("namespace")
    kust.namespace = str(namespace) if isinstance(namespace, (str, int)) and namespace != "" else ""
    kust.selector_labels.update(_labels(data.get("commonLabels")))
    entries = data.get("labels")
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        pairs = _labels(entry.get("pairs"))
        if entry.get("includeSelectors") is True:
            kust.selector_labels.update(pairs)
        elif entry.get("includeTemplates") is True:
            kust.template_labels.update(pairs)
    return kust


def _changes(data: dict, kust: Kustomization, root: Path, resolve: Any, reads: Reads | None) -> None:
    """The patches (files and inline) and `images:` entries of a kustomization's `data`."""
    path = kust.path
    for key in ("patches", "patchesJson6902"):
        entries = data.get(key)
        for entry in entries if isinstance(entries, list) else ():
            ref = entry.get("path") if isinstance(entry, dict) else entry if isinstance(entry, str) else None
            target = resolve(str(ref)) if isinstance(ref, str) and "\n" not in ref else None
            selector = entry.get("target") if isinstance(entry, dict) else None
            if target is not None and is_file(target):
                kust.patches.append(target)
                kust.patch_bodies.extend((selector, body) for body in load_all(target, root, reads))
            elif isinstance(entry, dict) and isinstance(entry.get("patch"), str):
                bodies = parse_text(entry["patch"], f"{path.as_posix()} (inline patch)")
                kust.patch_bodies.extend((selector, body) for body in bodies)
    for ref in _strings(data.get("patchesStrategicMerge")):
        target = resolve(ref) if "\n" not in ref else None  # else an inline patch
        if target is not None and is_file(target):
            kust.patches.append(target)
            kust.patch_bodies.extend((None, body) for body in load_all(target, root, reads))
        elif "\n" in ref:
            inline = parse_text(ref, f"{path.as_posix()} (inline patch)")
            kust.patch_bodies.extend((None, body) for body in inline)
    images = data.get("images")
    kust.images = [entry for entry in images if isinstance(entry, dict)] if isinstance(images, list) else []


def changes_of(path: Path, root: Path) -> Kustomization:
    """Only the patches and `images:` of the kustomization at `path` (a warm call rebuilds
    the changes of the trees deploying its named files from their few kustomizations that
    have any, project/warm.py): the same reading as `parse`, without following resources."""
    data = load(path, root) or {}
    kust = Kustomization(path)
    _changes(data, kust, root, _resolver(path.parent, root, None), None)
    return kust


@dataclass(slots=True)
class KustomizeModel:
    """Every kustomization under the root, and the tree of each root kustomization."""

    kustomizations: dict[Path, Kustomization] = field(default_factory=dict)
    trees: list[Tree] = field(default_factory=list)
    build_time_images: set[str] = field(default_factory=set)  # set by a Makefile (build_time_images)
    root: Path | None = None  # the folder the kustomizations were read below
    reads: Reads = field(default_factory=Reads)  # what reading them depended on

    def patch_files(self) -> set[Path]:
        return {p for tree in self.trees for p in tree.patches} | {
            p for k in self.kustomizations.values() for p in k.patches
        }

    def config_files(self) -> set[Path]:
        return {p for k in self.kustomizations.values() for p in k.config}

    def variants(self) -> list[tuple[dict[Path, Transform], Changes]]:
        """Per root tree: the resource files it deploys (with their transforms), and the image
        rewrites and patches of its kustomizations (project/deployed.py)."""
        out = []
        for tree in self.trees:
            found = Changes()
            for path in tree.kustomizations:
                kust = self.kustomizations.get(path)
                if kust is None:
                    continue
                for entry in kust.images:
                    add_image(found, entry)
                for target, body in kust.patch_bodies:
                    add_patch(found, target, body)
            for name in self.build_time_images:
                found.images.setdefault(name, ("", "(set by make)", ""))
            out.append((self._deployable(tree), found))
        return out

    def _deployable(self, tree: Tree) -> dict[Path, Transform]:
        """The resources whose findings a tree's patches may settle: a tree rooted in an
        example, tutorial or docs folder only speaks for files of such folders (a decoy
        `docs/examples/kustomization.yaml` patching the real base hid all of its findings)."""
        if self.root is None or not self._example(tree.root.path):
            return tree.resources
        return {path: t for path, t in tree.resources.items() if self._example(path)}

    def _example(self, path: Path) -> bool:
        from pathlib import PurePosixPath

        from manifestlint.project.roles import example_role

        try:
            relative = PurePosixPath(path.relative_to(self.root).as_posix())
        except ValueError:
            return False
        return example_role(relative) is not None


_SET_IMAGE = re.compile(r"\bedit\s+set\s+image\s+['\"]?([A-Za-z0-9][\w./:-]*?)=")
_MAKEFILES = ("Makefile", "GNUmakefile", "makefile")
MAX_MAKEFILE_BYTES = 1024 * 1024


def build_time_images(root: Path, reads: Reads | None = None) -> set[str]:
    """Images a Makefile re-sets with `kustomize edit set image NAME=...` before it builds the
    manifests (every kubebuilder and operator-sdk scaffold: `controller=${IMG}`), so NAME in a
    base is a placeholder. Makefiles at the root and one or two folders below it, read as text
    (never run)."""
    from manifestlint.safeio import Unreadable, read_inside

    found: set[str] = set()
    folders = [root]
    for depth in range(2):
        below = []
        for folder in folders:
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries[:10_000]:
                try:
                    if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".") and depth < 1:
                        below.append(Path(entry.path))
                    elif entry.name in _MAKEFILES or entry.name.endswith(".mk"):
                        if reads is not None:
                            reads.files.add(Path(entry.path))
                        text = read_inside(Path(entry.path), root, MAX_MAKEFILE_BYTES)
                        found.update(m.group(1) for m in _SET_IMAGE.finditer(text.decode("utf-8", "replace")))
                except (OSError, Unreadable, ValueError):
                    continue
        folders = below
    return found


def build(files: list[Path], root: Path, is_root_candidate=lambda path: True) -> KustomizeModel:
    """Read the kustomizations among `files` (absolute paths below `root`) and the trees of
    those no other kustomization references. `is_root_candidate` refuses roots (test data)."""
    model = KustomizeModel(root=Path(os.path.realpath(root)))
    real_root = os.path.realpath(root)
    reals = {os.path.realpath(f) for f in files if is_kustomization(f)}  # one key per file
    pending = sorted(Path(f) for f in reals if f.startswith(real_root.rstrip("/") + "/"))
    while pending:  # children outside the walked files (e.g. ignored folders) are read too
        path = pending.pop()
        if path in model.kustomizations:
            continue
        kust = parse(path, root, model.reads)
        model.kustomizations[path] = kust
        pending.extend(c for c in kust.children if c not in model.kustomizations)
    if model.kustomizations:
        model.build_time_images = build_time_images(root, model.reads)
    referenced = {c for k in model.kustomizations.values() for c in k.children}
    for path in sorted(model.kustomizations):
        if path in referenced or not is_root_candidate(path):
            continue
        model.trees.append(_tree(model, model.kustomizations[path]))
    return model


def _tree(model: KustomizeModel, root: Kustomization) -> Tree:
    tree = Tree(root)
    # (kustomization, namespace set by an outer one, labels from outer ones, depth, path so far)
    # Each kustomization is visited once per tree: a cycle (kustomize refuses it) ends there,
    # and a ladder of diamonds (each level referencing the next one twice) is linear, not
    # 2^levels paths. kustomize refuses a resource reached twice, so the first path wins.
    stack: list[tuple[Kustomization, str, dict, dict, int]] = [(root, "", {}, {}, 0)]
    visited: set[Path] = set()
    while stack:
        kust, outer_ns, outer_sel, outer_tpl, depth = stack.pop()
        if kust.path in visited or depth > MAX_DEPTH:
            continue
        visited.add(kust.path)
        tree.kustomizations.append(kust.path)
        namespace = outer_ns or kust.namespace  # the outer kustomization's namespace wins
        selector = {**kust.selector_labels, **outer_sel}  # outer labels are applied last
        template = {**kust.template_labels, **outer_tpl}
        for resource in kust.resources:
            tree.resources.setdefault(resource, Transform(namespace, dict(selector), dict(template)))
        tree.patches.update(kust.patches)
        tree.config.update(kust.config)
        for child in reversed(kust.children):
            found = model.kustomizations.get(child)
            if found is not None:
                stack.append((found, namespace, selector, template, depth + 1))
    for path in tree.patches | tree.config:
        tree.resources.pop(path, None)  # a file both patched-in and listed is not a whole object
    return tree


__all__ = [
    "KUSTOMIZATION_NAMES", "Kustomization", "KustomizeModel", "Reads", "Transform", "Tree", "build",
    "changes_of", "parse",
]  # fmt: skip
