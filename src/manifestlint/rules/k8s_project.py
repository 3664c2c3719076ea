"""Cross-object Kubernetes rules (availability, isolation, wiring) over the project index.

The index holds every object of the project (files the user did not name included), so a
PDB, NetworkPolicy or Service in another file counts. Findings are yielded only for
objects in reported files (`index.reported`), checked first because it is cheap.

The index is one bundle's (manifestlint.project.bundles): objects deployed together, with
kustomize's namespace and labels applied. Namespaces match exactly (`_ns_compatible`): an
object the bundle leaves without a namespace lands wherever the bundle is applied, together
with the bundle's other namespace-less objects, never in every namespace at once.

Pods: besides built-in workloads (and OpenShift DeploymentConfig, Argo Rollouts and other
objects with a `spec.template`), custom resources whose operator creates pods count as pod
sources with the labels we can know (prometheus-operator's Prometheus / Alertmanager /
ThanosRuler, anything with `spec.podMetadata.labels`), so a Service or NetworkPolicy that
selects operator-made pods is not called dangling.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import manifestlint.k8s as k8s_module
from manifestlint.index import Index
from manifestlint.k8s import (
    PodTemplate,
    SelectorIndex,
    containers,
    name_anchor,
    name_of,
    namespace_of,
    pod_template,
    selector_matches,
)
from manifestlint.k8s_netpol import (
    POLICY_KINDS,
    IngressPolicy,
    ingress_policies,
    is_cluster_wide,
    is_kubernetes_policy,
    is_policy,
)
from manifestlint.k8s_singleton import singleton_evidence
from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule

# Kinds with `spec.replicas` whose pods are long-running replicas of one another.
REPLICATED_KINDS = frozenset(
    {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "DeploymentConfig", "Rollout"}
)
# Kinds the availability rules (single replica, PDB, anti-affinity) look at.
# (Argo Rollouts replace Deployments and keep their spec.replicas / spec.template.)
AVAILABILITY_KINDS = frozenset({"Deployment", "StatefulSet", "DeploymentConfig", "Rollout"})
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")
# Annotations that mean TLS is terminated by the load balancer the Ingress controller creates.
LB_TLS_ANNOTATIONS = (
    "alb.ingress.kubernetes.io/certificate-arn",
    "ingress.gcp.kubernetes.io/pre-shared-cert",
    "networking.gke.io/managed-certificates",
    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
    "kubernetes.io/ingress.allow-http",  # GCE: "false" means HTTPS only (checked below)
)
# prometheus-operator kinds and the label key the operator puts on their pods.
OPERATOR_POD_LABELS = {
    "Prometheus": "prometheus",
    "Alertmanager": "alertmanager",
    "ThanosRuler": "thanos-ruler",
}


# ------------------------------------------------------------------------------ helpers


def _ns(doc: YamlDoc) -> str:
    """The object's namespace, '' when unset (decided at apply time: see _ns_compatible)."""
    return namespace_of(doc, "")


def _ns_compatible(a: str, b: str) -> bool:
    """Same namespace. The index is one bundle's, where an object without a namespace already
    carries the one its bundle deploys into (kustomize `namespace:`, or the single namespace
    the bundle names); one that still has none lands wherever the bundle is applied, with the
    bundle's other namespace-less objects, and is never matched to every namespace."""
    return a == b


def _may_reach(referrer: str, target: str) -> bool:
    """For "the reference points at nothing" rules: a referrer its bundle leaves without a
    namespace may be applied into the target's namespace, so a target there counts (an error
    needs certainty; matching it to every namespace is only wrong where it would hide one)."""
    return not referrer or referrer == target


def _int(value: Any) -> int | None:
    """An integer as Kubernetes reads it (bools are not ints here)."""
    return value if type(value) is int else None


def _spec(doc: YamlDoc) -> YMap | None:
    spec = doc.root.get("spec")
    return spec if isinstance(spec, YMap) else None


def _spec_anchor(doc: YamlDoc) -> Span:
    """The `spec` key (a missing field of the spec), else the object's name."""
    return doc.root.key_span("spec") if isinstance(doc.root.get("spec"), YMap) else name_anchor(doc)


def _describe(doc: YamlDoc) -> str:
    ns = _ns(doc)
    return f"{doc.root.get('kind')} {ns + '/' if ns else ''}{name_of(doc)}"


def _template(doc: YamlDoc) -> PodTemplate | None:
    """The pod template of built-in workloads, and of any other kind with `spec.template.spec`
    (OpenShift DeploymentConfig, Argo Rollout, ...)."""
    tpl = pod_template(doc)
    if tpl is not None or doc.root.get("kind") in ("CronJob", "PodTemplate"):
        return tpl
    holder = doc.root.path_get("spec", "template")
    if isinstance(holder, YMap) and isinstance(holder.get("spec"), YMap):
        meta = holder.get("metadata")
        empty = YMap.build((), (), (), holder.span)  # no metadata: standing where the template stands
        return PodTemplate(
            doc, str(doc.root.get("kind")), meta if isinstance(meta, YMap) else empty, holder["spec"], holder
        )
    return None


@dataclass(slots=True)
class PodSource:
    """Something in the project that makes pods: its labels, and its pod spec when we know it."""

    doc: YamlDoc
    ns: str
    labels: dict[str, Any]
    template: PodTemplate | None  # None: made by an operator, containers unknown


def _pod_sources(doc: YamlDoc) -> PodSource | None:
    tpl = _template(doc)
    if tpl is not None:
        return PodSource(doc, _ns(doc), dict(tpl.labels), tpl)
    kind = doc.root.get("kind")
    spec = _spec(doc)
    if spec is None:
        return None
    for path in (
        ("template", "metadata", "labels"),
        ("jobTemplate", "spec", "template", "metadata", "labels"),
    ):
        found = spec.path_get(*path)
        if isinstance(found, dict) and found:  # a template without a pod spec (a partial manifest)
            return PodSource(doc, _ns(doc), dict(found), None)
    labels: dict[str, Any] = {}
    for path in (("podMetadata", "labels"), ("podTemplate", "metadata", "labels")):
        found = spec.path_get(*path)
        if isinstance(found, dict):
            labels.update(found)
    if kind in OPERATOR_POD_LABELS and "monitoring.coreos.com" in str(doc.root.get("apiVersion")):
        name = name_of(doc)
        labels.setdefault(OPERATOR_POD_LABELS[kind], name)
        labels.setdefault("app.kubernetes.io/name", kind.lower() if kind != "ThanosRuler" else "thanos-ruler")
        labels.setdefault("app.kubernetes.io/instance", name)
        labels.setdefault("app.kubernetes.io/managed-by", "prometheus-operator")
        labels.setdefault("operator.prometheus.io/name", name)
    elif not labels:
        return None
    return PodSource(doc, _ns(doc), labels, None)


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


# Labels a controller puts on the pods it creates, which no pod template shows: selecting them
# is legitimate (a Service per StatefulSet member selects statefulset.kubernetes.io/pod-name).
_CONTROLLER_LABELS = frozenset({
    "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index", "controller-revision-hash",
    "pod-template-hash", "job-name", "batch.kubernetes.io/job-name", "controller-uid",
    "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-completion-index",
})  # fmt: skip


def _split_controller_labels(selector: dict) -> tuple[dict, dict]:
    """(the selector without controller-added keys, {key: value} of those keys)."""
    labelled = "matchLabels" in selector or "matchExpressions" in selector
    match = selector.get("matchLabels") if labelled else selector
    if not isinstance(match, dict) or _CONTROLLER_LABELS.isdisjoint(str(k) for k in match):
        return selector, {}
    added = {str(k): v for k, v in match.items() if str(k) in _CONTROLLER_LABELS}
    rest = {k: v for k, v in match.items() if str(k) not in _CONTROLLER_LABELS}
    return ({**selector, "matchLabels": rest} if labelled else rest), added


def _controller_label_matches(source: PodSource, key: str, value: Any) -> bool:
    """Whether the controller of `source` gives its pods `key: value` (a template that sets
    the label itself is compared as written)."""
    if key in source.labels:
        return str(source.labels[key]) == str(value)
    kind, name, text = source.doc.root.get("kind"), name_of(source.doc), str(value)
    if key == "statefulset.kubernetes.io/pod-name":
        return kind == "StatefulSet" and text.startswith(name + "-") and text[len(name) + 1 :].isdigit()
    if key == "apps.kubernetes.io/pod-index":
        return kind == "StatefulSet" and text.isdigit()
    if key == "controller-revision-hash":
        return kind in ("StatefulSet", "DaemonSet")
    if key == "pod-template-hash":
        return kind in ("Deployment", "ReplicaSet", "Rollout")
    if key in ("job-name", "batch.kubernetes.io/job-name"):
        return (kind == "Job" and text == name) or (kind == "CronJob" and text.startswith(name + "-"))
    return kind in ("Job", "CronJob")  # controller-uid, completion index


@dataclass(slots=True)
class Project:
    """Per-run lookups built once from the index and shared by every rule of this module."""

    pods: list[PodSource] = field(default_factory=list)
    # (target kind, target name) -> [(scaler namespace, scaler doc, min replicas, max replicas)]
    scalers: dict[tuple[str, str], list[tuple[str, YamlDoc, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # (label key, value) -> pods carrying it: selectors look up candidates instead of scanning
    by_label: dict[tuple[str, str], list[PodSource]] = field(default_factory=lambda: defaultdict(list))
    namespaces: set[str] = field(default_factory=set)

    def add_pods(self, source: PodSource) -> None:
        self.pods.append(source)
        self.namespaces.add(source.ns)
        for key, value in source.labels.items():
            self.by_label[(str(key), str(value))].append(source)

    def matching(self, ns: str | None, selector: Any) -> list[PodSource]:
        """Pods in a namespace compatible with `ns` (any namespace when None) that a selector
        (LabelSelector or plain map) selects, counting the labels controllers add."""
        if not isinstance(selector, dict):
            return []
        selector, added = _split_controller_labels(selector)
        match = (
            selector.get("matchLabels")
            if ("matchLabels" in selector or "matchExpressions" in selector)
            else selector
        )
        candidates = self.pods
        if isinstance(match, dict) and match:
            key, value = next(iter(match.items()))
            candidates = self.by_label.get((str(key), str(value)), [])
        return [
            p for p in candidates
            if (ns is None or _ns_compatible(p.ns, ns)) and selector_matches(selector, p.labels)
            and all(_controller_label_matches(p, key, value) for key, value in added.items())
        ]  # fmt: skip

    def elsewhere(self, ns: str, selector: Any) -> list[PodSource]:
        """Pods in another, explicitly named namespace that the selector would select: a Service
        or NetworkPolicy only ever selects pods of its own namespace."""
        if not ns:
            return []
        return [p for p in self.matching(None, selector) if p.ns and p.ns != ns]

    def deploys_into(self, ns: str) -> bool:
        """Whether the project itself runs pods in namespace `ns` (so a selector there that
        matches none of them is a mistake, not pods deployed from another repository)."""
        return bool(self.pods) and ns in self.namespaces

    def scalers_of(self, doc: YamlDoc) -> list[tuple[YamlDoc, int, int]]:
        ns = _ns(doc)
        found = self.scalers.get((str(doc.root.get("kind")), name_of(doc)), ())
        return [(s, lo, hi) for sns, s, lo, hi in found if _ns_compatible(sns, ns)]

    def replicas(self, doc: YamlDoc) -> int | None:
        """The fewest replicas the workload runs with: an autoscaler's minimum when one
        targets it, else `spec.replicas` (default 1). None when not a literal integer."""
        scaled = self.scalers_of(doc)
        if scaled:
            return min(lo for _, lo, _ in scaled)
        spec = _spec(doc)
        if spec is None or "replicas" not in spec:
            return 1
        return _int(spec["replicas"])

    def max_replicas(self, doc: YamlDoc) -> int | None:
        scaled = self.scalers_of(doc)
        if scaled:
            return max(hi for _, _, hi in scaled)
        return self.replicas(doc)


_CACHE: dict[int, tuple[Index, Project]] = {}


def project(index: Index) -> Project:
    """The Project for this index (built once per run, shared by the rules below)."""
    cached = _CACHE.get(id(index))
    if cached is not None and cached[0] is index:
        return cached[1]
    proj = Project()
    for doc in index.objects:
        root = doc.root
        kind = root.get("kind")
        if kind == "HorizontalPodAutoscaler" or (
            kind == "ScaledObject" and "keda.sh" in str(root.get("apiVersion"))
        ):
            spec = _spec(doc)
            ref = spec.get("scaleTargetRef") if spec is not None else None
            if not isinstance(ref, dict) or not ref.get("name"):
                continue
            if kind == "ScaledObject":
                lo, hi = _int(spec.get("minReplicaCount", 0)), _int(spec.get("maxReplicaCount", 100))
                target_kind = str(ref.get("kind") or "Deployment")
            else:
                lo, hi = _int(spec.get("minReplicas", 1)), _int(spec.get("maxReplicas"))
                target_kind = str(ref.get("kind") or "")
            if lo is None:
                continue
            proj.scalers[(target_kind, str(ref["name"]))].append(
                (_ns(doc), doc, lo, hi if hi is not None else lo)
            )
            continue
        source = _pod_sources(doc)
        if source is not None:
            proj.add_pods(source)
    _CACHE.clear()
    _CACHE[id(index)] = (index, proj)
    return proj


def _reported(index: Index, *kinds: str) -> Iterator[YamlDoc]:
    for doc in index.of_kind(*kinds):
        if index.reported(doc) and isinstance(doc.root, YMap):
            yield doc


def _selector(value: Any) -> Any:
    """A LabelSelector field: null or missing selects nothing (None), `{}` selects all."""
    return value if isinstance(value, dict) else None


# ------------------------------------------------------------------------------ availability


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
        blocked, related = [], []
        for other, labels in workloads.labelled(_ns(doc), selector):
            if not _ns_compatible(_ns(other), _ns(doc)) or not selector_matches(selector, labels):
                continue
            replicas = proj.replicas(other)
            if not replicas:
                continue
            # Kubernetes rounds a percentage of minAvailable up (67% of 3 is 3)
            needed = wanted if wanted is not None else math.ceil(replicas * pct / 100 - 1e-9)
            if needed >= replicas:
                blocked.append(f"{_describe(other)} ({replicas} replica{'s' if replicas > 1 else ''})")
                related += [other, *(scaler for scaler, _, _ in proj.scalers_of(other))]
        if blocked:
            yield doc_hit(
                doc,
                spec.value_span("minAvailable"),
                f"minAvailable: {value} is not below the replicas of {', '.join(blocked)}: no pod "
                "may be evicted, so node drains hang",
                related,
            )


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


_SELECTOR_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "DeploymentConfig"}
)


_JOB_LABELS = ("job-name", "batch.kubernetes.io/job-name")
# API versions whose defaulting filled a missing selector from the template's labels.
_DEFAULTED_SELECTOR_APIS = frozenset({"extensions/v1beta1", "apps/v1beta1"})


def _job_selector(doc: YamlDoc) -> Iterator[Finding]:
    """Jobs (and CronJobs' job templates): without `manualSelector: true` Kubernetes generates
    the selector (controller-uid, job-name) and rejects any other ("`selector` not
    auto-generated"); with it, the selector is required and must match the template labels."""
    kind = doc.root.get("kind")
    spec = doc.root.path_get("spec", "jobTemplate", "spec") if kind == "CronJob" else _spec(doc)
    if not isinstance(spec, YMap):
        return
    labels = spec.path_get("template", "metadata", "labels")
    labels = labels if isinstance(labels, dict) else {}
    selector = spec.get("selector")
    if spec.get("manualSelector") is True:
        if not isinstance(selector, YMap) or not selector:
            where = spec.key_span("selector") if "selector" in spec else spec.key_span("manualSelector")
            yield doc_hit(
                doc, where, f"manualSelector: true without a spec.selector: the API server rejects the {kind}"
            )
        elif not selector_matches(selector, labels):
            shown = ", ".join(f"{k}={v}" for k, v in labels.items()) or "no labels"
            yield doc_hit(
                doc,
                _mismatch_anchor(spec, selector, labels),
                f"spec.selector does not match the pod template's labels ({shown}): the API server "
                f"rejects the {kind}",
            )
        return
    if not isinstance(selector, YMap) or not selector:
        return
    match = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), YMap) else YMap()
    generated = (
        kind == "Job"
        and not selector.get("matchExpressions")
        and all(key in _JOB_LABELS and str(value) == name_of(doc) for key, value in match.items())
    )
    if generated:
        return  # exactly what Kubernetes would generate (job-name of this Job)
    yield doc_hit(
        doc,
        spec.key_span("selector"),
        f"spec.selector is set without manualSelector: true: Kubernetes generates a {kind}'s selector "
        'and rejects any other ("`selector` not auto-generated"); remove it',
    )


def _mismatch_anchor(spec: YMap, selector: YMap, labels: dict) -> Span:
    """The first matchLabels value that the labels do not carry, else the selector key."""
    match = selector.get("matchLabels")
    if isinstance(match, YMap):
        for key, value in match.items():
            if key not in labels or str(labels[key]) != str(value):
                return match.value_span(key)
    return spec.key_span("selector")


@rule("k8s-selector-template-mismatch", "kubernetes", kinds=_SELECTOR_KINDS | {"Job", "CronJob"})
def selector_template_mismatch(doc: YamlDoc, ctx) -> Iterator[Finding]:
    kind = doc.root.get("kind")
    if kind in ("Job", "CronJob"):
        yield from _job_selector(doc)
        return
    if kind not in _SELECTOR_KINDS:
        return
    spec = _spec(doc)
    tpl = _template(doc)
    if spec is None or tpl is None:
        return
    labels = tpl.labels
    selector = spec.get("selector")
    plain_map = kind in ("ReplicationController", "DeploymentConfig")  # selector is a plain map there
    if selector is None or selector == {}:
        if plain_map or (selector is None and str(doc.root.get("apiVersion")) in _DEFAULTED_SELECTOR_APIS):
            return  # defaults to the template's labels (old API versions: k8s-removed-api reports them)
        where = spec.key_span("selector") if "selector" in spec else doc.root.key_span("spec")
        yield doc_hit(doc, where, f"{kind} has no (or an empty) spec.selector: the API server rejects it")
        return
    if not isinstance(selector, YMap):
        return
    if plain_map and ("matchLabels" not in selector and "matchExpressions" not in selector):
        match = selector
    else:
        match = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), YMap) else None
    if selector_matches(selector, labels):
        return
    where = (
        selector.key_span("matchLabels")
        if "matchLabels" in selector
        else doc.root.path_get("spec").key_span("selector")
    )
    if isinstance(match, YMap):
        for key, value in match.items():
            if key not in labels or str(labels[key]) != str(value):
                where = match.value_span(key)
                break
    shown = ", ".join(f"{k}={v}" for k, v in labels.items()) or "no labels"
    yield doc_hit(
        doc,
        where,
        f"spec.selector does not match the pod template's labels ({shown}): the API server rejects "
        "the object",
    )


# ------------------------------------------------------------------------------ isolation


def _policies(index: Index) -> list[YamlDoc]:
    """Kubernetes NetworkPolicies (not Calico's kind of the same name)."""
    return [p for p in index.of_kind("NetworkPolicy") if isinstance(p.root, YMap) and is_kubernetes_policy(p)]


def _policy_selector(policy: YamlDoc) -> Any:
    spec = _spec(policy)
    if spec is None:
        return {}
    value = spec.get("podSelector")
    return value if isinstance(value, dict) else {}  # missing or null: all pods of the namespace


@rule("k8s-missing-network-policy", "project")
def missing_network_policy(index: Index, ctx) -> Iterator[Finding]:
    mode = str(ctx.options.get("when", "project"))
    every = [p for p in index.of_kind(*POLICY_KINDS) if isinstance(p.root, YMap) and is_policy(p)]
    if mode == "project" and not every:
        return  # the project manages no network policy (of any API, in any direction)
    isolating: SelectorIndex[IngressPolicy] = SelectorIndex()
    for policy in ingress_policies(every):
        isolating.add_selector(None if policy.cluster_wide else policy.namespace, policy.selector, policy)
    cluster_wide = any(is_cluster_wide(p) for p in every)
    spaces = {_ns(p) for p in every}
    proj = project(index)
    for source in proj.pods:
        doc = source.doc
        if not index.reported(doc) or source.template is None:
            continue
        if mode == "namespace" and not (cluster_wide or any(_ns_compatible(ns, source.ns) for ns in spaces)):
            continue
        candidates = isolating.candidates(source.ns, source.labels)
        if any(p.applies_to(source.labels, source.ns, _ns_compatible) for p in candidates):
            continue
        where = f" of namespace {source.ns}" if source.ns else ""
        yield doc_hit(
            doc,
            name_anchor(doc),
            f"no NetworkPolicy{where} isolates the pods of {_describe(doc)} for ingress (egress-only "
            "policies do not): they accept traffic from every pod in the cluster",
        )


@rule("k8s-network-policy-selects-nothing", "project")
def network_policy_selects_nothing(index: Index, ctx) -> Iterator[Finding]:
    proj = project(index)
    for doc in _reported(index, "NetworkPolicy"):
        spec = _spec(doc)
        selector = _policy_selector(doc)
        if spec is None or not (selector.get("matchLabels") or selector.get("matchExpressions")):
            continue  # an empty podSelector selects every pod of the namespace
        if not is_kubernetes_policy(doc) or proj.matching(_ns(doc), selector):
            continue  # Calico's NetworkPolicy has no podSelector; or it selects pods
        elsewhere = proj.elsewhere(_ns(doc), selector)
        if elsewhere:
            yield doc_hit(
                doc,
                spec.key_span("podSelector"),
                f"podSelector matches pods only in {_other_namespaces(elsewhere)} "
                f"({_pods_text(elsewhere)}): a NetworkPolicy selects pods of its own namespace "
                f"({_ns(doc)}), so it protects nothing",
            )
            continue
        if not proj.deploys_into(_ns(doc)):
            continue  # the namespace's pods are deployed from elsewhere (a policy-only repository)
        yield doc_hit(
            doc,
            spec.key_span("podSelector"),
            f"podSelector matches no pods of the project{' in namespace ' + _ns(doc) if _ns(doc) else ''}: "
            "the policy protects nothing (a typo in a label?)",
        )


@rule("k8s-namespace-missing-quota", "project")
def namespace_missing_quota(index: Index, ctx) -> Iterator[Finding]:
    covered = {_ns(d) for d in index.of_kind("ResourceQuota", "LimitRange")}
    for doc in _reported(index, "Namespace"):
        name = name_of(doc)
        if not name or name in SYSTEM_NAMESPACES or name in covered:
            continue
        yield doc_hit(
            doc,
            name_anchor(doc),
            f"namespace {name} has neither a ResourceQuota nor a LimitRange: one workload can take the "
            "cluster's capacity and pods without requests get no defaults",
        )


@rule("k8s-namespace-missing-pod-security", "kubernetes", kinds=("Namespace",))
def namespace_missing_pod_security(doc: YamlDoc, ctx) -> Iterator[Finding]:
    if doc.root.get("kind") != "Namespace":
        return
    meta = doc.root.get("metadata")
    if not isinstance(meta, YMap) or str(meta.get("name")) in SYSTEM_NAMESPACES:
        return
    labels = meta.get("labels")
    key = "pod-security.kubernetes.io/enforce"
    if isinstance(labels, YMap) and key in labels:
        value = labels[key]
        if str(value) not in POD_SECURITY_LEVELS:
            yield doc_hit(
                doc,
                labels.value_span(key),
                f"{key}: {value} is not a Pod Security level ({', '.join(POD_SECURITY_LEVELS)}): the "
                "admission controller rejects the namespace",
            )
        return
    where = meta.key_span("labels") if isinstance(labels, YMap) else name_anchor(doc)
    yield doc_hit(
        doc,
        where,
        f"namespace has no {key} label: Pod Security admission enforces nothing, so privileged pods "
        "are admitted (label it baseline or restricted)",
    )


# ------------------------------------------------------------------------------ wiring


def _service_selector(doc: YamlDoc) -> dict | None:
    """A Service's selector; None when absent, empty, or not plain labels (a template)."""
    spec = _spec(doc)
    selector = spec.get("selector") if spec is not None else None
    if not isinstance(selector, dict) or not selector:
        return None
    if any(isinstance(v, (dict, list)) or v is None for v in selector.values()):
        return None  # `cell: {{cell}}`: an unrendered template, not a selector
    return selector


def _matched_pods(proj: Project, doc: YamlDoc, selector: dict) -> list[PodSource]:
    return [p for p in proj.matching(_ns(doc), selector) if p.labels]


@rule("k8s-service-selector-mismatch", "project")
def service_selector_mismatch(index: Index, ctx) -> Iterator[Finding]:
    proj = project(index)
    for doc in _reported(index, "Service"):
        selector = _service_selector(doc)
        if selector is None or _matched_pods(proj, doc, selector):
            continue  # no selector (endpoints managed by hand), or matched
        spec = doc.root["spec"]
        shown = ", ".join(f"{k}={v}" for k, v in selector.items())
        elsewhere = [p for p in proj.elsewhere(_ns(doc), selector) if p.labels]
        if elsewhere:
            yield doc_hit(
                doc,
                spec.key_span("selector"),
                f"selector ({shown}) matches pods only in {_other_namespaces(elsewhere)} "
                f"({_pods_text(elsewhere)}): a Service selects pods of its own namespace "
                f"({_ns(doc)}), so it has no endpoints",
                [p.doc for p in elsewhere],
            )
            continue
        if not proj.deploys_into(_ns(doc)):
            continue  # the namespace's pods are deployed from elsewhere
        yield doc_hit(
            doc,
            spec.key_span("selector"),
            f"selector ({shown}) matches no pod template of the project"
            f"{' in namespace ' + _ns(doc) if _ns(doc) else ''}: the Service has no endpoints",
        )


def _container_ports(tpl: PodTemplate) -> tuple[set[int], set[str], bool]:
    """(numbers, names, every app container declares its ports)."""
    numbers: set[int] = set()
    names: set[str] = set()
    complete = True
    for container, fld in containers(tpl.spec):
        ports = container.get("ports")
        if not isinstance(ports, list) or not ports:
            if fld == "containers":
                complete = False
            continue
        for port in ports:
            if isinstance(port, dict):
                if _int(port.get("containerPort")) is not None:
                    numbers.add(port["containerPort"])
                if port.get("name"):
                    names.add(str(port["name"]))
    return numbers, names, complete


def _list(value: Any) -> list:
    """`value` when it is a list; empty for anything else a hostile file puts there."""
    return value if isinstance(value, list) else []


@rule("k8s-service-target-port-mismatch", "project")
def service_target_port_mismatch(index: Index, ctx) -> Iterator[Finding]:
    numeric = bool(ctx.options.get("numeric", False))
    proj = project(index)
    for doc in _reported(index, "Service"):
        selector = _service_selector(doc)
        ports = doc.root.path_get("spec", "ports")
        if selector is None or not isinstance(ports, YList):
            continue
        pods = _matched_pods(proj, doc, selector)
        if not pods or any(p.template is None for p in pods):
            continue  # dangling (another rule) or made by an operator: containers unknown
        exposed = [_container_ports(p.template) for p in pods]
        for entry in ports:
            if not isinstance(entry, YMap):
                continue
            if "targetPort" in entry:
                target, where = entry["targetPort"], entry.value_span("targetPort")
            elif "port" in entry:
                target, where = entry["port"], entry.value_span("port")
            else:
                continue
            if isinstance(target, str) and target.isdigit() and len(target) <= 10:
                target = int(target)  # (a port has at most 5 digits; 5,000 must not reach int())
            if _int(target) is not None:
                if not numeric or not all(complete for _, _, complete in exposed):
                    continue  # containerPort is informational; undeclared ports may still listen
                if any(target in numbers for numbers, _, _ in exposed):
                    continue
                implicit = "" if "targetPort" in entry else " (targetPort defaults to port)"
                yield doc_hit(
                    doc,
                    where,
                    f"targetPort {target}{implicit} is not a containerPort of the selected pods "
                    f"({_pods_text(pods)}): connections are refused",
                    [p.doc for p in pods],
                )
            elif isinstance(target, str) and target:
                if any(target in names for _, names, _ in exposed):
                    continue
                yield doc_hit(
                    doc,
                    where,
                    f"targetPort {target!r} names no container port of the selected pods "
                    f"({_pods_text(pods)}): the Service gets no endpoints for this port",
                    [p.doc for p in pods],
                )


def _other_namespaces(pods: list[PodSource]) -> str:
    names = sorted({p.ns for p in pods})
    return ("namespace " if len(names) == 1 else "namespaces ") + ", ".join(names)


def _pods_text(pods: list[PodSource]) -> str:
    names = sorted({_describe(p.doc) for p in pods})
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _ingress_backends(doc: YamlDoc) -> Iterator[YMap]:
    spec = _spec(doc)
    if spec is None:
        return
    for key in ("defaultBackend", "backend"):
        if isinstance(spec.get(key), YMap):
            yield spec[key]
    rules = spec.get("rules")
    for item in rules if isinstance(rules, list) else ():
        paths = item.path_get("http", "paths") if isinstance(item, YMap) else None
        for path in paths if isinstance(paths, list) else ():
            if isinstance(path, YMap) and isinstance(path.get("backend"), YMap):
                yield path["backend"]


@rule("k8s-ingress-backend-missing", "project")
def ingress_backend_missing(index: Index, ctx) -> Iterator[Finding]:
    services: dict[str, list[YamlDoc]] = defaultdict(list)
    for svc in index.of_kind("Service"):
        services[name_of(svc)].append(svc)
    for doc in _reported(index, "Ingress"):
        ns = _ns(doc)
        for backend in _ingress_backends(doc):
            service = backend.get("service")
            if isinstance(service, YMap):  # networking.k8s.io/v1
                name, name_at = service.get("name"), service
                port_map = service.get("port")
                port, port_at, port_key = None, None, ""
                if isinstance(port_map, YMap):
                    for port_key in ("number", "name"):
                        if port_key in port_map:
                            port, port_at = port_map[port_key], port_map
                            break
            elif "serviceName" in backend:  # extensions/v1beta1, networking.k8s.io/v1beta1
                name, name_at = backend.get("serviceName"), backend
                port, port_at, port_key = backend.get("servicePort"), backend, "servicePort"
            else:
                continue  # a resource backend
            if not name:
                continue
            name_key = "name" if name_at is service else "serviceName"
            found = [s for s in services.get(str(name), ()) if _may_reach(ns, _ns(s))]
            if not found:
                yield doc_hit(
                    doc,
                    name_at.value_span(name_key),
                    f"backend Service {name} is not defined in the project"
                    f"{' in namespace ' + ns if ns else ''}: requests get 503",
                )
                continue
            if port is None or port_at is None:
                continue
            if isinstance(port, str) and port.isdigit() and len(port) <= 10:
                port = int(port)
            declared = [
                p for s in found for p in _list(s.root.path_get("spec", "ports")) if isinstance(p, dict)
            ]
            if _int(port) is not None:
                ok = any(_int(p.get("port")) == port for p in declared)
            else:
                ok = any(str(p.get("name")) == str(port) for p in declared if p.get("name"))
            if not ok:
                yield doc_hit(
                    doc,
                    port_at.value_span(port_key),
                    f"Service {name} has no port {port!r}"
                    f" (it has: {', '.join(_port_text(p) for p in declared) or 'none'}): requests get 503",
                )


def _port_text(port: dict) -> str:
    return f"{port.get('name')}/{port.get('port')}" if port.get("name") else str(port.get("port"))


@rule("k8s-ingress-without-tls", "kubernetes", kinds=("Ingress",))
def ingress_without_tls(doc: YamlDoc, ctx) -> Iterator[Finding]:
    if doc.root.get("kind") != "Ingress":
        return
    spec = _spec(doc)
    if spec is None or spec.get("tls"):
        return
    annotations = doc.root.path_get("metadata", "annotations")
    if isinstance(annotations, dict):
        if any(annotations.get(a) for a in LB_TLS_ANNOTATIONS[:-1]):
            return
        if str(annotations.get("kubernetes.io/ingress.allow-http")).lower() == "false":
            return
    where = spec.key_span("tls") if "tls" in spec else doc.root.key_span("spec")
    yield doc_hit(
        doc,
        where,
        "Ingress has no tls section: traffic from clients reaches it as plain HTTP (add tls with a "
        "certificate Secret, e.g. from cert-manager)",
    )
