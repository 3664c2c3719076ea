"""Reading Istio objects: specs, hosts and their FQDNs, routes, destinations, TLS settings, durations."""

from __future__ import annotations

from typing import Any

from manifestlint.model import Span, YamlDoc, YMap
from manifestlint.rules.kubernetes.objects import api_group

MESH_SUFFIX = ".svc.cluster.local"


def is_istio(doc: YamlDoc, kind: str) -> bool:
    root = doc.root
    return root.get("kind") == kind and api_group(root.get("apiVersion")).endswith("istio.io")


def istio_spec(doc: YamlDoc, kind: str) -> YMap | None:
    """The spec of an Istio object of `kind` (v1alpha3/v1beta1/v1 alike); None otherwise."""
    if not is_istio(doc, kind):
        return None
    spec = doc.root.get("spec")
    return spec if isinstance(spec, YMap) else None


def fqdn(host: Any, namespace: str) -> str:
    """A host as Istio resolves it: short names (no dot) live in the object's namespace."""
    text = str(host)
    if text == "*" or "." in text:
        return text
    return f"{text}.{namespace}{MESH_SUFFIX}"


def host_covers(pattern: str, host: str) -> bool:
    """Istio host matching in one direction: `*.example.com` covers `a.example.com`."""
    if pattern == "*" or pattern == host:
        return True
    return pattern.startswith("*") and host.endswith(pattern[1:])


def hosts_overlap(a: str, b: str) -> bool:
    return host_covers(a, b) or host_covers(b, a)


def mode_of(mapping: Any) -> str:
    return str(mapping.get("mode") or "") if isinstance(mapping, YMap) else ""


def anchor(mapping: YMap, key: str) -> Span:
    """The value of `key` when present, else the mapping's first key (missing-field anchor)."""
    return mapping.where(key) if key in mapping else mapping.start()
