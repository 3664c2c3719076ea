"""DestinationRules: circuit breaking, subsets that select pods, one rule per host."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from manifestlint.index import Index
from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.common import fqdn, istio_spec
from manifestlint.rules.istio.mesh import (
    ns_from_fqdn,
    objects,
    root_ns,
    service_of,
    service_selector,
    workloads,
)
from manifestlint.rules.istio.virtual_services import service_entry_hosts, unknown_mesh_host
from manifestlint.rules.kubernetes.objects import (
    name_of,
    namespace_of,
    selector_matches,
)


def _has_circuit_breaking(policy: Any) -> bool:
    if not isinstance(policy, YMap):
        return False
    if policy.get("outlierDetection") or policy.get("connectionPool"):
        return True
    ports = policy.get("portLevelSettings")
    return isinstance(ports, YList) and any(
        isinstance(p, YMap) and (p.get("outlierDetection") or p.get("connectionPool")) for p in ports
    )


@rule("istio-dr-missing-circuit-breaker", "kubernetes", kinds=("DestinationRule",))
def dr_missing_circuit_breaker(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "DestinationRule")
    if spec is None or "host" not in spec:
        return
    if _has_circuit_breaking(spec.get("trafficPolicy")):
        return
    subsets = spec.get("subsets")
    if (
        isinstance(subsets, YList)
        and subsets
        and all(isinstance(s, YMap) and _has_circuit_breaking(s.get("trafficPolicy")) for s in subsets)
    ):
        return
    where = spec.key_span("trafficPolicy") if "trafficPolicy" in spec else spec.value_span("host")
    yield doc_hit(
        doc,
        where,
        f"no outlierDetection or connectionPool for {spec['host']}: failing endpoints stay in "
        "rotation and requests queue without bound",
    )


_TOPOLOGY = ("topology.kubernetes.io/", "topology.istio.io/", "kubernetes.io/hostname")


@rule("istio-dr-subset-no-pods", "project")
def dr_subset_no_pods(index: Index, ctx) -> Iterator[Finding]:
    """Subsets whose labels no pod behind the host's Service carries. The workloads are read
    once per bundle, by namespace, and only when the bundle holds a DestinationRule (every
    bundle runs this rule: 120 ms of a corpus call went to reading every workload's
    namespace once per DestinationRule)."""
    rules = list(objects(index, "DestinationRule"))
    if not rules:
        return
    by_namespace: dict[str | None, list] = defaultdict(list)
    for work in workloads(index):
        by_namespace[work.namespace].append(work)
    for doc, spec in rules:
        subsets = spec.get("subsets")
        if "host" not in spec or not isinstance(subsets, YList):
            continue
        host = fqdn(spec["host"], namespace_of(doc))
        selector = service_selector(service_of(index, host))
        if selector is None:
            continue
        backing = [
            w for w in by_namespace.get(ns_from_fqdn(host), ()) if selector_matches(selector, w.labels)
        ]
        if not backing:
            continue  # the Service's workloads are not in the project
        for subset in subsets:
            labels = subset.get("labels") if isinstance(subset, YMap) else None
            if not isinstance(labels, YMap):
                continue
            wanted = {k: v for k, v in labels.items() if not str(k).startswith(_TOPOLOGY)}
            if wanted and not any(selector_matches(wanted, w.labels) for w in backing):
                yield doc_hit(
                    doc,
                    subset.key_span("labels"),
                    f"subset {subset.get('name')}: no workload behind Service {spec['host']} has labels "
                    f"{', '.join(f'{k}={v}' for k, v in wanted.items())}: requests to it fail with 503",
                )


def _listed(value: object) -> list:
    """A sequence field's items; nothing when the file holds a scalar or mapping there."""
    return value if isinstance(value, list) else []


@rule("istio-dr-duplicate-host", "project")
def dr_duplicate_host(index: Index, ctx) -> Iterator[Finding]:
    first: dict[tuple[str, str], tuple[YamlDoc, YMap]] = {}
    for doc, spec in objects(index, "DestinationRule"):
        if "host" not in spec or "workloadSelector" in spec:
            continue
        key = (namespace_of(doc), fqdn(spec["host"], namespace_of(doc)))
        if key not in first:
            first[key] = (doc, spec)
            continue
        prev_doc, prev = first[key]
        what = []
        if spec.get("trafficPolicy") and prev.get("trafficPolicy"):
            what.append("its trafficPolicy is ignored")
        names = {str(s.get("name")) for s in _listed(prev.get("subsets")) if isinstance(s, YMap)}
        dup = [
            str(s.get("name"))
            for s in _listed(spec.get("subsets"))
            if isinstance(s, YMap) and str(s.get("name")) in names
        ]
        if dup:
            what.append(f"subsets {', '.join(dup)} are ignored")
        if what:
            yield doc_hit(
                doc,
                spec.value_span("host"),
                f"DestinationRule {namespace_of(prev_doc)}/{name_of(prev_doc)} already configures "
                f"{spec['host']}: "
                f"Istio merges them and {' and '.join(what)}",
            )


@rule("istio-dr-unknown-host", "project")
def dr_unknown_host(index: Index, ctx) -> Iterator[Finding]:
    """A DestinationRule for an in-mesh host with no Service (nor ServiceEntry) configures
    nothing: usually a typo, and the real host keeps its defaults (no TLS settings, no subsets)."""
    entries = service_entry_hosts(index)
    root = root_ns(ctx)
    for doc, spec in objects(index, "DestinationRule"):
        if "host" not in spec or "*" in str(spec["host"]):
            continue
        ns = namespace_of(doc)
        host = fqdn(spec["host"], ns)
        visible = [h for h, seen in entries if seen is None or ns in seen]
        missing = unknown_mesh_host(index, host, visible, root)
        if missing is not None:
            yield doc_hit(
                doc,
                spec.value_span("host"),
                f"no Service {host.split('.', 1)[0]} in namespace {missing} (nor a ServiceEntry): "
                "this DestinationRule applies to nothing",
            )
