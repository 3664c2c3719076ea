"""What kustomize changes in an object before it deploys: patches and image rewrites.

Why: kustomize bases routinely hold placeholders that an overlay completes. Every kubebuilder
and operator-sdk scaffold ships `image: controller:latest` that the kustomization's `images:`
rewrites to a release tag, and overlays patch in resources, ports, replicas and the fields a
custom resource requires. Judging the base as written reported all of those as problems
(grafana/loki's operator: the `latest` tag, missing requests, an unnamed metrics port, two
missing required fields, all supplied by its overlays).

So each kustomize tree (a root kustomization: an overlay, an environment) that deploys the
object gives a view of it with that tree's patches and image rewrites applied, and a finding
of a per-object rule on the base is kept only when at least one of those views still has it
(`keep`): an overlay that ships the object without the fix still deploys the problem, one
that supplies the missing piece does not. Findings keep the base's position: the views are
only compared, never reported.

What is applied (a useful subset of kustomize, read by ourselves):
- `images:` entries (`name`, `newName`, `newTag`, `digest`) on the image of every container;
- strategic-merge patches (files or inline, under `patches` or `patchesStrategicMerge`),
  matched by kind and name or by the entry's `target`: mappings merge, lists of containers,
  ports, env, volumes and volume mounts merge by their key, other lists are replaced;
  `$patch: delete` removes an item;
- JSON 6902 patches (`patchesJson6902`, or a `patches` entry whose body is a list of
  operations): `add`, `replace` and `remove` at a JSON pointer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from manifestlint.model import YamlDoc, YList, YMap
from manifestlint.project.views import copy_list

# Lists a strategic merge patch merges item by item, and the key that identifies an item.
_MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "volumes": "name", "env": "name", "volumeMounts": "mountPath", "ports": "containerPort",
    "imagePullSecrets": "name", "hostAliases": "ip", "tolerations": "key",
}  # fmt: skip
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_POD_SPECS = (("spec", "template", "spec"), ("spec", "jobTemplate", "spec", "template", "spec"), ("spec",))
MAX_PATCHES = 10_000  # patches kept per project (a generated tree must not make this quadratic)


@dataclass(slots=True)
class Patch:
    """One patch: what it targets and its body (a mapping for a strategic merge patch, a list
    of operations for JSON 6902)."""

    kind: str  # '' matches any kind
    name: str  # '' matches any name; a regular expression in `target`, as kustomize reads it
    body: Any
    json6902: bool = False
    literal: bool = False  # `name` is the object's own name (a patch without `target`)
    program: Any = None  # `name` compiled by RE2 (Go's regexp syntax, linear time), on first use


_REGEX_CHARS = frozenset("\\.^$|?*+()[]{}")


@dataclass(slots=True)
class Changes:
    """The image rewrites and patches of the kustomizations of one tree."""

    images: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name -> (new name, tag, digest)
    patches: list[Patch] = field(default_factory=list)
    # Patches by the one name they can match (a literal name), and those matching by pattern
    # or any name: 7,000 patches over 1,000 objects were 7 million regular-expression matches.
    _by_name: dict[str, list[int]] = field(default_factory=dict)
    _patterns: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.images or self.patches)

    def add(self, patch: Patch) -> None:
        at = len(self.patches)
        self.patches.append(patch)
        if patch.literal or (patch.name and _REGEX_CHARS.isdisjoint(patch.name)):
            self._by_name.setdefault(patch.name, []).append(at)
        else:
            self._patterns.append(at)

    def for_object(self, kind: str, name: str) -> list[Patch]:
        """The patches that target the object, in the order the kustomizations list them."""
        found = self._by_name.get(name, [])
        if self._patterns:
            found = sorted([*found, *self._patterns])
        return [p for p in (self.patches[i] for i in found) if _matches(p, kind, name)]


def _matches(patch: Patch, kind: str, name: str) -> bool:
    if patch.kind and patch.kind != kind:
        return False
    if not patch.name or patch.name == name:
        return True
    if patch.literal:
        return False
    if patch.program is None:  # kustomize matches `target.name` as an anchored Go regexp
        from manifestlint.userregex import compile_re2

        program, _ = compile_re2(f"^(?:{patch.name})$")
        patch.program = program if program is not None else False
    if patch.program is False:
        return False
    try:
        return patch.program.search(name) is not None
    except (ValueError, TypeError):
        return False


def add_image(changes: Changes, entry: Any) -> None:
    """An `images:` entry that changes something (a name alone rewrites nothing)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        return
    new_name, tag, digest = (str(entry.get(k) or "") for k in ("newName", "newTag", "digest"))
    if new_name or tag or digest:
        changes.images.setdefault(entry["name"], (new_name, tag, digest))


def add_patch(changes: Changes, target: Any, body: Any) -> None:
    """A patch body (parsed YAML) with the entry's `target` (may be None)."""
    if len(changes.patches) >= MAX_PATCHES:
        return
    kind = name = ""
    if isinstance(target, dict):
        kind, name = str(target.get("kind") or ""), str(target.get("name") or "")
    if isinstance(body, list):  # JSON 6902 operations
        if kind or name:
            changes.add(Patch(kind, name, body, json6902=True))
        return
    if not isinstance(body, YMap):
        return
    literal = False
    if not (kind or name):
        meta = body.get("metadata")
        kind = str(body.get("kind") or "")
        name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
        if not (kind and name):
            return  # a strategic merge patch without its own identity and no target
        literal = True
    changes.add(Patch(kind, name, body, literal=literal))


# ---------------------------------------------------------------- applying


def deployed_view(doc: YamlDoc, changes: Changes, namespace: str = "") -> YamlDoc | None:
    """`doc` with every patch that targets it and the image rewrites applied, in a tree that
    gives it `namespace`; None when nothing of the project changes it."""
    root = doc.root
    if doc.kind != "kubernetes" or not isinstance(root, YMap):
        return None
    meta = root.get("metadata")
    name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
    patches = changes.for_object(str(root.get("kind") or ""), name)
    new_root: Any = root
    for patch in patches:
        apply = _apply_json6902 if patch.json6902 else _merge
        new_root = apply(new_root, patch.body)
    if changes.images:
        new_root = _rewrite_images(new_root, changes.images)
    keys: set[str] = set()
    for patch in patches:
        keys.update(_keys(patch.body))
    if namespace:
        # kustomize's namespace transformer also fills webhook clientConfig.service.namespace
        # (and the like): a required `namespace` the tree sets is not missing.
        keys.add("namespace")
    schema = doc.schema
    if schema and keys:
        schema = {
            rule: [f for f in found if not _supplied(rule, f.message, keys)] for rule, found in schema.items()
        }
    if new_root is root and schema == doc.schema:
        return None
    return YamlDoc(doc.path, doc.index, new_root, doc.span, doc.kind, doc.text, schema)


def keep(base: Iterable[Any], patched: Iterable[Any]) -> list[Any]:
    """The base findings some deployed view still has: same rule and message, or same rule at
    the same place (a message naming the image differs once `images:` rewrote it)."""
    patched = list(patched)
    still = {(f.rule, f.message) for f in patched}
    placed = {(f.rule, f.span) for f in patched}
    return [f for f in base if (f.rule, f.message) in still or (f.rule, f.span) in placed]


_REQUIRED = re.compile(r"required field `([^`]+)` is missing")


def _supplied(rule: str, message: str, keys: set[str]) -> bool:
    """A missing required field that a patch of the object sets (schema findings are
    computed once per parsed document; this is the one they can state wrongly for a view)."""
    if rule != "schema-missing-required":
        return False
    found = _REQUIRED.search(message)
    return found is not None and found.group(1) in keys


def _keys(value: Any, depth: int = 0) -> Iterable[str]:
    if depth > 100:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _keys(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and isinstance(item.get("path"), str):  # a JSON 6902 operation
                yield from (part for part in item["path"].split("/") if part)
            yield from _keys(item, depth + 1)


def _merge(base: Any, patch: Any, depth: int = 0) -> Any:
    """Strategic merge of `patch` into `base`: a new value, `base` itself left untouched."""
    if not isinstance(base, YMap) or not isinstance(patch, dict) or depth > 200:
        return patch
    if patch.get("$patch") == "replace":
        return patch
    out = base.clone()
    for key, value in patch.items():
        if not isinstance(key, str) or key.startswith("$"):
            continue
        old = base.get(key)
        if value is None and key in out:
            del out[key]  # `key: null` deletes the field
        elif isinstance(old, YMap) and isinstance(value, dict):
            out.put(key, _merge(old, value, depth + 1))
        elif isinstance(old, YList) and isinstance(value, list) and key in _MERGE_KEYS:
            out.put(key, _merge_list(old, value, _MERGE_KEYS[key], depth + 1))
        else:
            out.put(key, value)
    return out


def _merge_list(base: YList, patch: list, merge_key: str, depth: int) -> YList:
    items = list(base)
    for entry in patch:
        ident = entry.get(merge_key) if isinstance(entry, dict) else None
        found = next(
            (i for i, item in enumerate(items) if isinstance(item, dict) and item.get(merge_key) == ident),
            None,
        )
        if ident is None:
            continue
        if isinstance(entry, dict) and entry.get("$patch") == "delete":
            if found is not None:
                items.pop(found)
        elif found is not None:
            items[found] = _merge(items[found], entry, depth)
        else:
            items.append(entry)
    return copy_list(base, items)


def _apply_json6902(root: Any, operations: list) -> Any:
    for op in operations:
        if not isinstance(op, dict) or not isinstance(op.get("path"), str):
            continue
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        kind = op.get("op")
        if parts and kind in ("add", "replace", "remove"):
            root = _set_at(root, parts, op.get("value"), kind)
    return root


def _set_at(node: Any, parts: list[str], value: Any, op: str) -> Any:
    """A copy of `node` with the value at `parts` set (add/replace) or removed; `node` itself
    when the path does not exist."""
    head, rest = parts[0], parts[1:]
    if isinstance(node, YMap):
        if not rest:
            out = node.clone()
            if op == "remove":
                out.pop(head, None)
            else:
                out.put(head, value)
            return out
        child = node.get(head)
        if child is None:
            return node
        new = _set_at(child, rest, value, op)
        if new is child:
            return node
        out = node.clone()
        out.put(head, new)
        return out
    if isinstance(node, YList):
        items = list(node)
        if head == "-" and not rest and op == "add":
            items.append(value)
            return copy_list(node, items)
        index = int(head) if head.isdigit() and len(head) < 10 else -1  # 5,000 digits: no int()
        if index < 0 or index > len(items) or (index == len(items) and (rest or op != "add")):
            return node
        if rest:
            new = _set_at(items[index], rest, value, op)
            if new is items[index]:
                return node
            items[index] = new
        elif op == "remove":
            items.pop(index)
        elif op == "add":
            items.insert(index, value)
        else:
            items[index] = value
        return copy_list(node, items)
    return node


def _rewrite_images(root: YMap, images: dict[str, tuple[str, str, str]]) -> YMap:
    """Containers' images as kustomize's image transformer writes them."""
    for path in _POD_SPECS:
        spec = root.path_get(*path)
        if not isinstance(spec, YMap):
            continue
        for field_name in _CONTAINER_LISTS:
            items = spec.get(field_name)
            if not isinstance(items, YList):
                continue
            changed = False
            new_items = list(items)
            for i, container in enumerate(items):
                image = container.get("image") if isinstance(container, YMap) else None
                new_image = _rewritten(image, images) if isinstance(image, str) else None
                if new_image is not None and new_image != image:
                    replaced = container.clone()
                    replaced.put("image", new_image)
                    new_items[i] = replaced
                    changed = True
            if changed:
                root = _set_at(root, [*path, field_name], copy_list(items, new_items), "replace")
        break  # the first spec that exists is the pod spec
    return root


def _rewritten(image: str, images: dict[str, tuple[str, str, str]]) -> str | None:
    name, digest = image.partition("@")[::2]
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    found = images.get(name)
    if found is None:
        return None
    new_name, new_tag, new_digest = found
    name = new_name or name
    if new_digest:
        return f"{name}@{new_digest}"
    if new_tag:
        return f"{name}:{new_tag}"
    return f"{name}:{tag}" if tag else f"{name}@{digest}" if digest else name


__all__ = ["Changes", "Patch", "add_image", "add_patch", "deployed_view", "keep"]
