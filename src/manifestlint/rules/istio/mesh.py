"""The mesh across objects: the workloads of the bundle, Services behind hosts, and the mTLS
policy that applies in each namespace.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from manifestlint.index import Index
from manifestlint.model import YamlDoc, YMap
from manifestlint.rules.istio.common import MESH_SUFFIX, istio_spec, mode_of
from manifestlint.rules.kubernetes.objects import (
    namespace_of,
    pod_template,
    selector_matches,
)

ROOT_NAMESPACE = "istio-system"


@dataclass(slots=True)
class Workload:
    doc: YamlDoc
    namespace: str
    labels: dict


def workloads(index: Index) -> list[Workload]:
    out = []
    for doc in index.objects:
        template = pod_template(doc)
        if template is not None:
            out.append(Workload(doc, namespace_of(doc), template.labels))
    return out


def objects(index: Index, kind: str) -> Iterator[tuple[YamlDoc, YMap]]:
    """(doc, spec) for the Istio objects of `kind` in the project."""
    for doc in index.of_kind(kind):
        spec = istio_spec(doc, kind)
        if spec is not None:
            yield doc, spec


def root_ns(ctx) -> str:
    return str(ctx.options.get("root-namespace") or ROOT_NAMESPACE)


def match_labels(spec: YMap, key: str = "selector") -> dict | None:
    """A policy's workload selector labels; None when the policy has no selector."""
    selector = spec.get(key)
    if not isinstance(selector, dict):
        return None
    labels = selector.get("matchLabels")
    return labels if isinstance(labels, dict) and labels else None


def ns_from_fqdn(host: str) -> str | None:
    """`reviews.prod.svc.cluster.local` -> `prod`."""
    if not host.endswith(MESH_SUFFIX):
        return None
    parts = host[: -len(MESH_SUFFIX)].split(".")
    return parts[1] if len(parts) == 2 else None


def service_of(index: Index, host: str) -> YamlDoc | None:
    ns = ns_from_fqdn(host)
    if ns is None:
        return None
    return index.get("Service", ns, host.split(".", 1)[0])


def service_selector(service: YamlDoc | None) -> dict | None:
    if service is None:
        return None
    selector = service.root.path_get("spec", "selector")
    return selector if isinstance(selector, dict) and selector else None


class MtlsPolicies:
    """PeerAuthentication lookups: workload (selector) > namespace > mesh (root namespace)."""

    def __init__(self, index: Index, root: str) -> None:
        self.root = root
        self.namespace: dict[str, tuple[str, YamlDoc]] = {}
        self.workload: dict[str, list[tuple[dict, str, YamlDoc]]] = defaultdict(list)
        for doc, spec in objects(index, "PeerAuthentication"):
            ns, mode = namespace_of(doc), mode_of(spec.get("mtls"))
            labels = match_labels(spec)
            if labels is None:
                if mode and mode != "UNSET":
                    self.namespace.setdefault(ns, (mode, doc))
            elif mode and mode != "UNSET":
                self.workload[ns].append((labels, mode, doc))

    def for_namespace(self, ns: str) -> tuple[str, YamlDoc | None]:
        """The explicit mode for a namespace's workloads without their own policy ('' if none)."""
        if ns in self.namespace:
            return self.namespace[ns]
        if self.root in self.namespace:
            return self.namespace[self.root]
        return "", None

    def for_labels(self, ns: str, labels: dict) -> tuple[str, YamlDoc | None]:
        for selector, mode, doc in self.workload.get(ns, ()):
            if selector_matches({"matchLabels": selector}, labels):
                return mode, doc
        return self.for_namespace(ns)
