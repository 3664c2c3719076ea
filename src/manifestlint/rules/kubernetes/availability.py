"""Availability across objects: replicas, PodDisruptionBudgets, HorizontalPodAutoscalers
and anti-affinity, each judged with the other objects of the bundle.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import manifestlint.rules.kubernetes.objects as k8s_module
from manifestlint.index import Index
from manifestlint.model import Finding, YamlDoc, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.deprecated_api import target_version
from manifestlint.rules.kubernetes.objects import (
    SelectorIndex,
    name_anchor,
    name_of,
    selector_matches,
)
from manifestlint.rules.kubernetes.pods import (
    _describe,
    _int,
    _may_reach,
    _ns,
    _ns_compatible,
    _reported,
    _spec,
    _template,
    project,
)
from manifestlint.rules.kubernetes.singleton import singleton_evidence

# Kinds with `spec.replicas` whose pods are long-running replicas of one another.
REPLICATED_KINDS = frozenset(
    {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "DeploymentConfig", "Rollout"}
)


# Kinds the availability rules (single replica, PDB, anti-affinity) look at.
# (Argo Rollouts replace Deployments and keep their spec.replicas / spec.template.)
AVAILABILITY_KINDS = frozenset({"Deployment", "StatefulSet", "DeploymentConfig", "Rollout"})


def _workload_labels(doc: YamlDoc) -> dict[str, Any]:
    """Pod labels of a workload; its selector's matchLabels when the template has none
    (a partial manifest: what the workload manages is what its selector selects)."""
    tpl = _template(doc)
    if tpl is not None and tpl.labels:
        return dict(tpl.labels)
    selector = doc.root.path_get("spec", "selector")
    if isinstance(selector, dict):
        match = selector.get("matchLabels") if "matchLabels" in selector else selector
        if isinstance(match, dict):
            return dict(match)
    return {}


def _selector(value: Any) -> Any:
    """A LabelSelector field: null or missing selects nothing (None), `{}` selects all."""
    return value if isinstance(value, dict) else None


@rule("k8s-single-replica", "project")
def single_replica(index: Index, ctx) -> Iterator[Finding]:
    minimum = int(ctx.options.get("min-replicas", 2))
    proj = project(index)
    for doc in _reported(index, *AVAILABILITY_KINDS):
        spec = _spec(doc)
        if spec is None:
            continue
        if proj.scalers_of(doc):
            continue  # the autoscaler decides; k8s-hpa-min-replicas checks its minReplicas
        kind = doc.root.get("kind")
        replicas = _int(spec["replicas"]) if "replicas" in spec else 1
        if replicas is not None and 0 < replicas < minimum and singleton_evidence(doc, _template(doc), index):
            continue  # one replica by design (a datastore primary, a RWO volume, a load generator)
        if "replicas" in spec:
            if replicas is None or replicas == 0 or replicas >= minimum:
                continue  # templated, or scaled to zero on purpose
            risk = "one node drain or crash is an outage" if replicas == 1 else "too few to survive a drain"
            yield doc_hit(
                doc,
                spec.value_span("replicas"),
                f"replicas: {replicas} ({risk}); run at least {minimum}, or target the {kind} with an "
                f"autoscaler whose minReplicas is at least {minimum}",
            )
        elif minimum > 1:
            yield doc_hit(
                doc,
                doc.root.key_span("spec"),
                f"spec.replicas is not set, so the {kind} runs a single replica (set at least {minimum}, "
                "or target it with an autoscaler)",
            )


@rule("k8s-missing-pdb", "project")
def missing_pdb(index: Index, ctx) -> Iterator[Finding]:
    proj = project(index)
    pdbs: SelectorIndex[tuple[str, Any]] = SelectorIndex()
    for p in index.of_kind("PodDisruptionBudget"):
        selector = _selector(p.root.path_get("spec", "selector"))
        pdbs.add_selector(_ns(p), selector, (_ns(p), selector))
    for doc in _reported(index, *AVAILABILITY_KINDS):
        most = proj.max_replicas(doc)
        if most is None or most < 2:
            continue
        ns, labels = _ns(doc), _workload_labels(doc)
        if not labels:
            continue  # no labels: nothing a PDB could select (k8s-selector-template-mismatch reports it)
        if any(
            _ns_compatible(pdb_ns, ns) and selector_matches(selector, labels)
            for pdb_ns, selector in pdbs.candidates(ns, labels)
        ):
            continue
        yield doc_hit(
            doc,
            name_anchor(doc),
            f"no PodDisruptionBudget selects the pods of {_describe(doc)}: a node drain may evict all "
            f"{most} replicas at once",
        )


def _percent(value: Any) -> float | None:
    if isinstance(value, str) and value.endswith("%"):
        try:
            return float(value[:-1])
        except ValueError:
            return None
    return None


@rule("k8s-pdb-blocks-eviction", "project")
def pdb_blocks_eviction(index: Index, ctx) -> Iterator[Finding]:
    proj = project(index)
    workloads: SelectorIndex[tuple[YamlDoc, dict[str, Any]]] = SelectorIndex()
    if any(True for _ in _reported(index, "PodDisruptionBudget")):
        for other in index.of_kind(*REPLICATED_KINDS):
            labels = _workload_labels(other)
            workloads.add_labels(_ns(other), labels, (other, labels))
    done: dict[tuple, tuple[list[str], list[YamlDoc]]] = {}
    for doc in _reported(index, "PodDisruptionBudget"):
        spec = _spec(doc)
        if spec is None or ("maxUnavailable" in spec and "minAvailable" in spec):
            continue  # rejected by the API server (k8s-pdb-min-and-max)
        if "maxUnavailable" in spec:
            value = spec["maxUnavailable"]
            if _int(value) == 0 or _percent(value) == 0 or value == "0":
                yield doc_hit(
                    doc,
                    spec.value_span("maxUnavailable"),
                    f"maxUnavailable: {value} allows no voluntary disruption: node drains and "
                    "cluster upgrades hang on these pods",
                )
            continue
        if "minAvailable" not in spec:
            continue
        value = spec["minAvailable"]
        pct = _percent(value)
        if pct is not None and pct >= 100:
            yield doc_hit(
                doc,
                spec.value_span("minAvailable"),
                f"minAvailable: {value} allows no voluntary disruption: node drains and cluster "
                "upgrades hang on these pods",
            )
            continue
        wanted, selector = _int(value), _selector(spec.get("selector"))
        if selector is None or (wanted is None and pct is None):
            continue
        # PDBs alike (same namespace, selector and minimum) block the same workloads: worked
        # out once (800 copies of a Deployment with its PDB and HPA were 640,000 checks each)
        key = (_ns(doc), repr(selector), wanted, pct)
        if key not in done:
            done[key] = _blocked(proj, workloads, _ns(doc), selector, wanted, pct)
        blocked, related = done[key]
        if blocked:
            more = len(blocked) - MAX_RELATED
            shown = ", ".join(blocked[:MAX_RELATED]) + (f" and {more} more" if more > 0 else "")
            yield doc_hit(
                doc,
                spec.value_span("minAvailable"),
                f"minAvailable: {value} is not below the replicas of {shown}: no pod "
                "may be evicted, so node drains hang",
                related[:MAX_RELATED],
            )


MAX_RELATED = 20  # related locations (and workloads named) in one finding


def _blocked(
    proj: Any, workloads: Any, ns: str, selector: Any, wanted: int | None, pct: float | None
) -> tuple[list[str], list[YamlDoc]]:
    """The workloads a PDB's minimum leaves no disruption to (described), and related places."""
    blocked: list[str] = []
    related: list[YamlDoc] = []
    for other, labels in workloads.labelled(ns, selector):
        if not _ns_compatible(_ns(other), ns) or not selector_matches(selector, labels):
            continue
        replicas = proj.replicas(other)
        if not replicas:
            continue
        # Kubernetes rounds a percentage of minAvailable up (67% of 3 is 3)
        needed = wanted if wanted is not None else math.ceil(replicas * pct / 100 - 1e-9)
        if needed >= replicas:
            blocked.append(f"{_describe(other)} ({replicas} replica{'s' if replicas > 1 else ''})")
            if len(related) < MAX_RELATED:
                related += [other, *(scaler for scaler, _, _ in proj.scalers_of(other)[:MAX_RELATED])]
    return blocked, related


@rule("k8s-pdb-min-and-max", "kubernetes", kinds=("PodDisruptionBudget",))
def pdb_min_and_max(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Both fields set: policy validation refuses the object ("minAvailable and maxUnavailable
    cannot be both set"). Reported at whichever of the two is written second."""
    spec = _spec(doc)
    if spec is None or "minAvailable" not in spec or "maxUnavailable" not in spec:
        return
    first, second = sorted(("minAvailable", "maxUnavailable"), key=lambda k: spec.key_span(k)[:2])
    yield doc_hit(
        doc,
        spec.key_span(second),
        f"{second} and {first} are both set: the API server rejects the PodDisruptionBudget "
        "(keep one; maxUnavailable: 1 stays right when the replica count changes)",
    )


@rule("k8s-pdb-no-policy", "kubernetes", kinds=("PodDisruptionBudget",))
def pdb_no_policy(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Neither field set: policy/v1 has no default, and the disruption controller then expects
    no healthy pod at all, so every eviction is allowed (policy/v1beta1 defaulted minAvailable
    to 1: not reported there)."""
    spec = _spec(doc)
    if spec is None or "minAvailable" in spec or "maxUnavailable" in spec:
        return
    if str(doc.root.get("apiVersion")) != "policy/v1":
        return
    yield doc_hit(
        doc,
        doc.root.key_span("spec"),
        "sets neither minAvailable nor maxUnavailable: the budget allows every eviction and "
        "protects nothing (add maxUnavailable: 1)",
    )


@rule("k8s-pdb-unhealthy-eviction", "kubernetes", kinds=("PodDisruptionBudget",))
def pdb_unhealthy_eviction(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Without `unhealthyPodEvictionPolicy: AlwaysAllow` a pod that is running but not ready
    (crash-looping, misconfigured) counts against the budget and cannot be evicted while the
    budget is unmet: one broken replica blocks every node drain."""
    spec = _spec(doc)
    if spec is None or str(doc.root.get("apiVersion")) != "policy/v1":
        return
    if "unhealthyPodEvictionPolicy" in spec or target_version(ctx) < (1, 27):
        return  # before 1.27 the field is alpha, off by default: the API server drops it
    yield doc_hit(
        doc,
        doc.root.key_span("spec"),
        "no unhealthyPodEvictionPolicy: pods that run but are not ready cannot be evicted while "
        "the budget is unmet, so a crash-looping replica blocks node drains (set AlwaysAllow)",
    )


@rule("k8s-hpa-target-missing", "project")
def hpa_target_missing(index: Index, ctx) -> Iterator[Finding]:
    named: dict[tuple[str, str], list[str]] = {}  # (kind, name) -> namespaces: a lookup, not a scan
    filed: set[str] = set()  # kinds whose objects are in `named`
    for doc in _reported(index, "HorizontalPodAutoscaler", "ScaledObject"):
        ref = doc.root.path_get("spec", "scaleTargetRef")
        if not isinstance(ref, YMap):
            continue
        name = ref.get("name")
        kind = ref.get("kind") or ("Deployment" if doc.root.get("kind") == "ScaledObject" else None)
        if not name or not kind:
            continue
        ns = _ns(doc)
        if not k8s_module.USE_SELECTOR_INDEX:  # the plain scan, for the test comparing both
            if any(name_of(o) == str(name) and _may_reach(ns, _ns(o)) for o in index.of_kind(str(kind))):
                continue
        else:
            if str(kind) not in filed:
                filed.add(str(kind))
                for o in index.of_kind(str(kind)):
                    named.setdefault((str(kind), name_of(o)), []).append(_ns(o))
            if any(_may_reach(ns, other) for other in named.get((str(kind), str(name)), ())):
                continue
        where = f" in namespace {ns}" if ns else ""
        yield doc_hit(
            doc,
            ref.value_span("name"),
            f"scaleTargetRef names {kind} {name}, which is not defined in the project{where}: "
            "the autoscaler scales nothing",
        )


@rule("k8s-hpa-min-replicas", "kubernetes", kinds=("HorizontalPodAutoscaler",))
def hpa_min_replicas(doc: YamlDoc, ctx) -> Iterator[Finding]:
    if doc.root.get("kind") != "HorizontalPodAutoscaler":
        return
    minimum = int(ctx.options.get("min-replicas", 2))
    spec = _spec(doc)
    if spec is None:
        return
    if "minReplicas" not in spec:
        if minimum > 1:
            yield doc_hit(
                doc,
                doc.root.key_span("spec"),
                f"minReplicas is not set (default 1): the autoscaler may scale down to a single "
                f"replica (set minReplicas: {minimum} or more)",
            )
        return
    value = _int(spec["minReplicas"])
    if value is not None and value < minimum:
        yield doc_hit(
            doc,
            spec.value_span("minReplicas"),
            f"minReplicas: {value}; at low load a single failure or drain leaves too few replicas "
            f"(use at least {minimum})",
        )


def _term_covers(term: Any, labels: dict[str, Any], ns: str) -> bool:
    """Whether a PodAffinityTerm repels this workload's own pods."""
    if not isinstance(term, dict) or not term.get("topologyKey"):
        return False
    if not selector_matches(_selector(term.get("labelSelector")), labels):
        return False
    namespaces = term.get("namespaces")
    if isinstance(namespaces, list) and namespaces and ns and "namespaceSelector" not in term:
        return ns in [str(n) for n in namespaces]
    return True


@rule("k8s-missing-anti-affinity", "project")
def missing_anti_affinity(index: Index, ctx) -> Iterator[Finding]:
    proj = project(index)
    for doc in _reported(index, *AVAILABILITY_KINDS):
        replicas = proj.replicas(doc)
        tpl = _template(doc)
        if replicas is None or replicas < 2 or tpl is None:
            continue
        spec, labels, ns = tpl.spec, dict(tpl.labels), _ns(doc)
        spread = spec.get("topologySpreadConstraints")
        if isinstance(spread, list) and any(
            isinstance(c, dict)
            and ("labelSelector" not in c or selector_matches(_selector(c["labelSelector"]), labels))
            for c in spread
        ):
            continue
        affinity = spec.get("affinity")
        anti = affinity.get("podAntiAffinity") if isinstance(affinity, YMap) else None
        if isinstance(anti, YMap):
            terms = list(anti.get("requiredDuringSchedulingIgnoredDuringExecution") or [])
            terms += [
                p.get("podAffinityTerm")
                for p in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []
                if isinstance(p, dict)
            ]
            if any(_term_covers(t, labels, ns) for t in terms):
                continue
            yield doc_hit(
                doc,
                affinity.key_span("podAntiAffinity"),
                f"podAntiAffinity does not select this workload's own pods"
                f"{' in namespace ' + ns if ns else ''} (labelSelector, namespaces): "
                f"its {replicas} replicas may still share one node",
            )
            continue
        where = spec.key_span("affinity") if isinstance(affinity, YMap) else tpl.holder.key_span("spec")
        yield doc_hit(
            doc,
            where,
            f"{replicas} replicas without podAntiAffinity or topologySpreadConstraints: the scheduler "
            "may put all of them on one node or zone",
        )
