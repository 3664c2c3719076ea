"""The schema pass: runs before every other rule on the reported Kubernetes objects.

Why a pass and not a rule: a misspelt key (`livenessprobe:`) is reported once, at the typo,
and then corrected in the model (the mapping's key becomes `livenessProbe`, its position
stays the typo's), so rules that look for the field judge the object as its author meant
it instead of reporting "no livenessProbe" at the wrong place. The findings are kept on
the document; the `schema-*` rules (rules/schema.py) hand them to the engine, which stamps
ids and severities and applies suppression and selection like for any rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from manifestlint.model import UNCAPPED, Finding, YamlDoc, YList, YMap
from manifestlint.schema import validate as v
from manifestlint.templating import sops_encrypted

RULES = {
    v.UNKNOWN: "schema-unknown-field",
    v.TYPE: "schema-invalid-type",
    v.VALUE: "schema-invalid-value",
    v.REQUIRED: "schema-missing-required",
}
UNKNOWN_KIND = "schema-unknown-kind"
UNKNOWN_CRD = "schema-unknown-kind/custom-resource"  # reported only with the rule's option on
# Documents with apiVersion/kind that tools read and never send to the API server.
CLIENT_SIDE_GROUPS = frozenset(
    {
        "kustomize.config.k8s.io", "config.kubernetes.io", "kind.x-k8s.io", "kubeadm.k8s.io",
        "kubelet.config.k8s.io", "kubeproxy.config.k8s.io", "apiserver.config.k8s.io", "audit.k8s.io",
        "skaffold", "ctlptl.dev", "k3d.io", "builtin", "clientcmd.k8s.io",
    }
)  # fmt: skip


def _span(holder: Any, key: Any, problem: str):
    if isinstance(holder, YList):
        return holder.item_span(key)
    if isinstance(key, YMap):  # a missing field of the object itself, or of a list item
        root = key
        return root.key_span("kind") if root.has_position("kind") else root.start()
    if problem in (v.UNKNOWN, v.REQUIRED):
        return holder.key_span(key)
    return holder.value_span(key)


def check_doc(doc: YamlDoc, catalog: Any, correct: bool) -> dict[str, list[Finding]]:
    """Schema findings of one Kubernetes object (rule id -> findings); applies typo fixes."""
    root = doc.root
    api, kind = root.get("apiVersion"), root.get("kind")
    out: dict[str, list[Finding]] = {}
    if not isinstance(api, str) or not isinstance(kind, str):
        return out
    node, source = catalog.lookup(api, kind)
    if node is not None and not catalog.near(f"{api}|{kind}", doc.path):
        return out  # a CRD copied with another app's install elsewhere: not this resource's API
    if node is None:
        note = _unknown_kind(doc, catalog, api, kind)
        if note is not None:
            group = api.rpartition("/")[0]
            custom = not catalog.builtin(group) and not catalog.known_crd_group(group)
            out[UNKNOWN_CRD if custom else UNKNOWN_KIND] = [note]
        return out
    walker = v.Walker()
    walker.mapping(root, node, ())
    ident = doc.ident if walker.problems else ""
    encrypted = sops_encrypted(root)
    for problem, holder, key, message, _path in walker.problems:
        if encrypted and problem == v.UNKNOWN and holder is root and key == "sops":
            continue  # SOPS' own metadata, removed when the file is decrypted for applying
        # A list item that is not a mapping, a key of the wrong type: anchor where we can.
        span = _span(holder, key, problem) if holder is not None else root.start()
        if problem == v.UNKNOWN:
            message = message.replace(v.SOURCE, f" (not in the schema of {source})")
            if "did you mean" not in message and isinstance(key, str):
                home = _field_home(node, key, v.render(_path[0]) if _path else "")
                if home:
                    message += f"; `{key}` is a field of {home}: misplaced?"
        out.setdefault(RULES[problem], []).append(
            Finding("", UNCAPPED, doc.path, span, message, ident, doc.index)
        )
    if correct:
        for mapping, key, meant in walker.typos:
            _rename(mapping, key, meant)
    return out


def _field_home(root: v.Node, key: str, here: str) -> str | None:
    """The one place near `here` where the kind's schema has a field named `key`, for a field
    written at the wrong level (FreeAgentics' outlier-detection fields under
    connectionPool.http). Near: it shares at least two path segments with `here`, or holds
    it; found breadth first, and only when one place at that depth qualifies. The schema's
    fields are listed once per schema (a CRD of 20,000 properties and an object of 5,000
    unknown keys walked the whole schema once per key)."""
    here_parts = re.sub(r"\[\d+\]", "[]", here).split(".")
    by_depth: dict[int, set[str]] = {}
    for depth, path in _fields(root).get(key, ()):
        parts = path.split(".") if path else []
        near = parts and (here_parts[: len(parts)] == parts or _common(parts, here_parts) >= 2)
        if near and parts != here_parts:
            by_depth.setdefault(depth, set()).add(path)
    if not by_depth:
        return None
    homes = by_depth[min(by_depth)]
    return homes.pop() if len(homes) == 1 else None


_FIELDS: dict[int, tuple[v.Node, dict[str, list[tuple[int, str]]]]] = {}


def _fields(root: v.Node) -> dict[str, list[tuple[int, str]]]:
    """Field name -> (depth, path of the mapping holding it) of every field of the schema,
    breadth first over 12 levels (each node visited once)."""
    known = _FIELDS.get(id(root))
    if known is not None and known[0] is root:
        return known[1]
    found: dict[str, list[tuple[int, str]]] = {}
    level: list[tuple[v.Node, str]] = [(root, "")]
    seen = {id(root)}
    for depth in range(12):
        following: list[tuple[v.Node, str]] = []
        for node, path in level:
            for name, child in (node.props or {}).items():
                found.setdefault(name, []).append((depth, path))
                if id(child) not in seen:
                    seen.add(id(child))
                    following.append((child, f"{path}.{name}" if path else name))
            for child, suffix in ((node.items, "[]"), (node.extra, ".*")):
                if isinstance(child, v.Node) and id(child) not in seen:
                    seen.add(id(child))
                    following.append((child, path + suffix))
        level = following
    if len(_FIELDS) > 1000:
        _FIELDS.clear()
    _FIELDS[id(root)] = (root, found)
    return found


def _common(a: list[str], b: list[str]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _rename(mapping: YMap, key: str, meant: str) -> None:
    """The typo'd key becomes the meant one (its positions stay the typo's)."""
    if meant in mapping or key not in mapping:
        return
    mapping.rename(key, meant)


def _unknown_kind(doc: YamlDoc, catalog: Any, api: str, kind: str) -> Finding | None:
    group = api.rpartition("/")[0]
    if group in CLIENT_SIDE_GROUPS or group.endswith(".config.k8s.io") or (api, kind) == ("v1", "Config"):
        return None  # (v1 Config is a kubeconfig file)
    root = doc.root
    served = catalog.served_versions(group, kind)
    if catalog.builtin(group):
        from manifestlint.rules.kubernetes.deprecated_api import _DEPRECATED_APIS  # the removed-API table

        if (api, kind) in _DEPRECATED_APIS:
            return None  # k8s-removed-api / k8s-deprecated-api say it better
        where = f"Kubernetes {catalog.version}"
    elif catalog.known_crd_group(group):
        where = "the CustomResourceDefinitions known (shipped or in the project)"
    else:
        message = (
            f"no schema known for {api} {kind}: not validated (a CustomResourceDefinition for it in the "
            "project would let manifestlint check it)"
        )
        return Finding("", UNCAPPED, doc.path, root.value_span("kind"), message, doc.ident, doc.index)
    also = f" (served: {', '.join(served)})" if served else ""
    message = f"{api} {kind} is not served by {where}{also}"
    anchor = root.value_span("apiVersion") if served else root.value_span("kind")
    return Finding("", UNCAPPED, doc.path, anchor, message, doc.ident, doc.index)


def prepare(docs: Iterable[YamlDoc], context: Iterable[YamlDoc], version: str, correct: bool) -> None:
    """Validate every reported Kubernetes object (`docs`); CRDs among `context` (which
    includes the reported documents) validate the project's custom resources."""
    from manifestlint.schema.catalog import Catalog

    catalog = Catalog(version)
    context = list(context)
    crds = []
    mixed: set[str] = set()  # files that hold something besides CRDs (an all-in-one install)
    for doc in context:
        root = doc.root
        if root.get("kind") == "CustomResourceDefinition" and str(root.get("apiVersion")).startswith(
            "apiextensions.k8s.io/"
        ):
            crds.append(doc)
        elif root.get("kind") is not None:
            mixed.add(doc.path)
    for doc in crds:
        # Named by the CRD's own name, not its path: a context file's path is spelt
        # differently from a named one, and messages must not depend on the batch.
        meta = doc.root.get("metadata")
        name = str((meta if isinstance(meta, dict) else {}).get("name") or "(unnamed)")  # `metadata: 5`
        catalog.add_crd(doc.root, name, doc.path, doc.path not in mixed)
    for doc in docs:
        if doc.kind == "kubernetes" and isinstance(doc.root, YMap):
            try:
                doc.schema = check_doc(doc, catalog, correct)
            except RecursionError:
                doc.schema = {}


def prepare_configs(docs: Iterable[YamlDoc], active: set[str]) -> None:
    """Alertmanager configs and Prometheus rule files: their *-invalid-field findings are
    taken before misspelt keys are corrected in the model (`recievers:`, `lables:`), so the
    typo is reported once and the other rules read the file as meant."""
    from manifestlint.classify import rule_groups

    for doc in docs:
        if not isinstance(doc.root, YMap):
            continue
        if doc.kind == "alertmanager" and "alertmanager-invalid-field" in active:
            from manifestlint.rules.alertmanager.common import field_typos
            from manifestlint.rules.alertmanager.validity import invalid_field

            found = list(invalid_field(doc, None))
            typos = field_typos(doc)
            doc.schema = {**(doc.schema or {}), "alertmanager-invalid-field": found}
        elif doc.kind == "prometheus-rules" and "prometheus-invalid-field" in active:
            from manifestlint.rules.prometheus.common import field_typos
            from manifestlint.rules.prometheus.validity import invalid_field

            groups = rule_groups(doc)
            if groups is None:
                continue
            found = list(invalid_field(groups, None))
            typos = field_typos(groups)
            doc.schema = {**(doc.schema or {}), "prometheus-invalid-field": found}
        else:
            continue
        for mapping, key, meant in typos:
            _rename(mapping, key, meant)
