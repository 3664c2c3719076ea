"""An object as one bundle deploys it: the namespace and labels kustomize stamps on it, without
touching the parsed document (a base shared by three overlays gets three views).

Only the mappings on the way to a changed value are copied; everything else is shared with
the original. An injected key has no text of its own, so its position is the position of the
mapping it was added to (for `metadata.namespace`: `metadata`, or `kind` when there is no
metadata) — a finding never points outside the object's own file.
"""

from __future__ import annotations

from typing import Any

from manifestlint.model import YamlDoc, YList, YMap

_WORKLOADS = frozenset({"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"})
# Where kustomize's commonLabels (and labels with includeSelectors) go, besides metadata.labels:
# (kinds, path to the selector mapping, create it when missing).
_SELECTOR_PATHS: tuple[tuple[frozenset[str], tuple[str, ...], bool], ...] = (
    (frozenset({"Service"}), ("spec", "selector"), True),
    (frozenset({"ReplicationController"}), ("spec", "selector"), True),
    (_WORKLOADS, ("spec", "selector", "matchLabels"), True),
    (frozenset({"Job"}), ("spec", "selector", "matchLabels"), False),
    (frozenset({"CronJob"}), ("spec", "jobTemplate", "spec", "selector", "matchLabels"), False),
    (frozenset({"PodDisruptionBudget"}), ("spec", "selector", "matchLabels"), False),
    (frozenset({"NetworkPolicy"}), ("spec", "podSelector", "matchLabels"), False),
)  # fmt: skip
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "metadata", "labels"),
    "ReplicaSet": ("spec", "template", "metadata", "labels"),
    "DaemonSet": ("spec", "template", "metadata", "labels"),
    "StatefulSet": ("spec", "template", "metadata", "labels"),
    "ReplicationController": ("spec", "template", "metadata", "labels"),
    "Job": ("spec", "template", "metadata", "labels"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "metadata", "labels"),
}


def copy_list(original: YList, items: list[Any]) -> YList:
    """`items` as a sequence positioned like `original`: an item that was in `original` keeps
    its position, any other (from a patch) takes the position of the whole sequence."""
    where = {id(item): index for index, item in enumerate(original)}
    whole = original.span
    spans = [original.item_span(where[id(item)]) if id(item) in where else whole for item in items]
    return YList.build(items, spans, whole)


def _child(parent: YMap, key: str, create: bool) -> YMap | None:
    """A private copy of parent[key] stored back into `parent` (itself already a copy);
    an empty mapping positioned at the parent when missing and `create`."""
    value = parent.get(key)
    if isinstance(value, YMap):
        child = value.clone()
    elif value is None and create:
        anchor = parent.key_span(key) if parent.has_position(key) else parent.span
        child = YMap.build((), (), (), anchor)
    else:
        return None
    parent.put(key, child)
    return child


def _set_path(root: YMap, path: tuple[str, ...], labels: dict[str, str], create: bool) -> None:
    node = root
    for i, key in enumerate(path):
        last = i == len(path) - 1
        child = _child(node, key, create or not last)
        if child is None:
            return
        node = child
    for key, value in labels.items():
        node.put(key, value)


def view(doc: YamlDoc, namespace: str, selector_labels: dict[str, str],
         template_labels: dict[str, str], cluster_scoped: bool) -> YamlDoc:  # fmt: skip
    """`doc` as deployed with this namespace (when it has none or kustomize overrides it) and
    these labels; the document itself when nothing changes."""
    root = doc.root
    if not isinstance(root, YMap) or doc.kind != "kubernetes":
        return doc
    meta = root.get("metadata")
    current = meta.get("namespace") if isinstance(meta, YMap) else None
    set_ns = bool(namespace) and not cluster_scoped and str(current or "") != namespace
    if not (set_ns or selector_labels or template_labels):
        return doc
    new_root = root.clone()
    kind = str(root.get("kind"))
    if set_ns:
        metadata = _child(new_root, "metadata", True)
        if metadata is not None:
            metadata.put("namespace", namespace)
    labels = {**template_labels, **selector_labels}
    if labels:
        metadata = _child(new_root, "metadata", True)
        if metadata is not None:
            target = _child(metadata, "labels", True)
            if target is not None:
                for key, value in labels.items():
                    target.put(key, value)
        path = _TEMPLATE_PATHS.get(kind)
        if path is not None and isinstance(root.path_get(*path[:-2]), YMap):
            _set_path(new_root, path, labels, True)
    if selector_labels:
        for kinds, path, create in _SELECTOR_PATHS:
            wanted = create or isinstance(root.path_get(*path), YMap)
            if kind in kinds and isinstance(root.path_get(path[0]), YMap) and wanted:
                _set_path(new_root, path, selector_labels, create)
    return YamlDoc(doc.path, doc.index, new_root, doc.span, doc.kind, doc.text, doc.schema)


__all__ = ["view"]
