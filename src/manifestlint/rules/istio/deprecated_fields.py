"""Deprecated fields of Istio's networking API (istioctl's IST0002), as data: the fields the
istio/api protos mark `deprecated = true` (istio/api@b8f8791), plus the Sidecar egressProxy
istiod ignores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.objects import api_group

# (kinds, path suffix (list indices skipped), value or None for any, what to do instead)
DEPRECATED: tuple[tuple[frozenset[str], tuple[str, ...], str | None, str], ...] = (
    (frozenset({"VirtualService"}), ("fault", "delay", "percent"), None, "use fault.delay.percentage.value"),
    (frozenset({"VirtualService"}), ("http", "mirrorPercent"), None, "use mirrorPercentage.value"),
    (frozenset({"VirtualService"}), ("corsPolicy", "allowOrigin"), None, "use corsPolicy.allowOrigins"),
    (frozenset({"DestinationRule"}), ("loadBalancer", "simple"), "LEAST_CONN", "use LEAST_REQUEST"),
    (
        frozenset({"DestinationRule"}),
        ("consistentHash", "minimumRingSize"),
        None,
        "use consistentHash.ringHash.minimumRingSize",
    ),
    (
        frozenset({"DestinationRule"}),
        ("outlierDetection", "consecutiveErrors"),
        None,
        "use consecutive5xxErrors or consecutiveGatewayErrors",
    ),
    (
        frozenset({"Sidecar"}),
        ("ingress", "port", "targetPort"),
        None,
        "it is ignored; set ingress[].defaultEndpoint",
    ),
    (frozenset({"Gateway"}), ("servers", "port", "targetPort"), None, "it is ignored"),
    (frozenset({"Sidecar"}), ("outboundTrafficPolicy", "egressProxy"), None, "istiod ignores it"),
)
KINDS = frozenset().union(*(kinds for kinds, _, _, _ in DEPRECATED))
MAX_DEPTH = 12


def _walk(node: Any, path: tuple[str, ...], depth: int = 0) -> Iterator[tuple[tuple[str, ...], YMap, str]]:
    """(key path, mapping, key) of every key under `node`; list indices are not in the path."""
    if depth > MAX_DEPTH:
        return
    if isinstance(node, YMap):
        for key, value in node.items():
            here = (*path, str(key))
            yield here, node, str(key)
            yield from _walk(value, here, depth + 1)
    elif isinstance(node, YList):
        for item in node:
            yield from _walk(item, path, depth + 1)


def _deprecated(kind: str, path: tuple[str, ...], value: Any) -> str | None:
    for kinds, suffix, wanted, instead in DEPRECATED:
        if kind in kinds and path[-len(suffix) :] == suffix and (wanted is None or str(value) == wanted):
            return instead
    return None


@rule("istio-deprecated-field", "kubernetes", kinds=KINDS)
def deprecated_field(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """A deprecated field still works today and stops working in a later release; the ones
    istiod already ignores do nothing at all."""
    root = doc.root
    kind = str(root.get("kind"))
    spec = root.get("spec")
    if not api_group(root.get("apiVersion")).endswith("istio.io") or not isinstance(spec, YMap):
        return
    for path, mapping, key in _walk(spec, ()):
        instead = _deprecated(kind, path, mapping[key])
        if instead is not None:
            span: Span = mapping.value_span(key) if path[-1] == "simple" else mapping.key_span(key)
            yield doc_hit(doc, span, f"{'.'.join(path)} is deprecated: {instead}")
