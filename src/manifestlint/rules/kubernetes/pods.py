"""The project-wide view of pods (cross-object rules): which objects make pods, with which
labels and in which namespace, and which of them a selector reaches.

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

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from manifestlint.index import Index
from manifestlint.model import Span, YamlDoc, YMap
from manifestlint.rules.kubernetes.netpol import (
    is_kubernetes_policy,
)
from manifestlint.rules.kubernetes.objects import (
    PodTemplate,
    name_anchor,
    name_of,
    namespace_of,
    pod_template,
    selector_matches,
)

# prometheus-operator kinds and the label key the operator puts on their pods.
OPERATOR_POD_LABELS = {
    "Prometheus": "prometheus",
    "Alertmanager": "alertmanager",
    "ThanosRuler": "thanos-ruler",
}


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
    # custom resources of the project (namespace, kind, name): an operator creates pods for them
    custom: list[tuple[str, str, str]] = field(default_factory=list)
    # scalers_of per (kind, name, namespace): 800 copies of one Deployment with its HPA asked
    # for the same 800 scalers 800 times per PDB (cubic)
    _scaled: dict[tuple[str, str, str], list[tuple[YamlDoc, int, int]]] = field(default_factory=dict)
    _lowest: dict[int, int] = field(default_factory=dict)  # id(a _scaled list) -> its lowest minimum

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

    def operator_made(self, ns: str, selector: Any) -> str | None:
        """A custom resource of the project whose operator may create the pods a selector asks
        for (issue 19, principle 8): its name is one of the selector's values, or its kind one
        of the selector's keys or values (`prometheus: k8s`, `app: my-cluster`). Its operator
        labels the pods it creates; no file shows them."""
        if not self.custom or not isinstance(selector, dict):
            return None
        match = selector.get("matchLabels") if "matchLabels" in selector else selector
        if not isinstance(match, dict) or not match:
            return None
        words = {str(v).lower() for v in match.values()} | {str(k).lower().rsplit("/", 1)[-1] for k in match}
        for cr_ns, kind, name in self.custom:
            if _ns_compatible(cr_ns, ns) and (name.lower() in words or kind.lower() in words):
                return f"{kind} {name}"
        return None

    def deploys_into(self, ns: str) -> bool:
        """Whether the project itself runs pods in namespace `ns` (so a selector there that
        matches none of them is a mistake, not pods deployed from another repository)."""
        return bool(self.pods) and ns in self.namespaces

    def scalers_of(self, doc: YamlDoc) -> list[tuple[YamlDoc, int, int]]:
        ns = _ns(doc)
        key = (str(doc.root.get("kind")), name_of(doc), ns)
        known = self._scaled.get(key)
        if known is None:
            found = self.scalers.get(key[:2], ())
            known = self._scaled[key] = [(s, lo, hi) for sns, s, lo, hi in found if _ns_compatible(sns, ns)]
        return known

    def replicas(self, doc: YamlDoc) -> int | None:
        """The fewest replicas the workload runs with: an autoscaler's minimum when one
        targets it, else `spec.replicas` (default 1). None when not a literal integer."""
        scaled = self.scalers_of(doc)
        if scaled:
            lowest = self._lowest.get(id(scaled))
            if lowest is None:
                lowest = self._lowest[id(scaled)] = min(lo for _, lo, _ in scaled)
            return lowest
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
        elif _custom_resource(doc):
            proj.custom.append((_ns(doc), str(kind), name_of(doc)))
    _CACHE.clear()
    _CACHE[id(index)] = (index, proj)
    return proj


# API groups whose objects configure something, never an operator that runs pods for them.
_CONFIG_GROUPS = ("k8s.io", "istio.io", "cert-manager.io", "gateway.networking.k8s.io", "kustomize.config")


def _custom_resource(doc: YamlDoc) -> bool:
    """An object of a custom API group (`group.domain/version`), not Kubernetes' own nor a
    configuration-only group: an operator may create pods for it."""
    group = str(doc.root.get("apiVersion") or "").rpartition("/")[0]
    return "." in group and not any(group == g or group.endswith("." + g) for g in _CONFIG_GROUPS)


def _reported(index: Index, *kinds: str) -> Iterator[YamlDoc]:
    for doc in index.of_kind(*kinds):
        if index.reported(doc) and isinstance(doc.root, YMap):
            yield doc


def _policies(index: Index) -> list[YamlDoc]:
    """Kubernetes NetworkPolicies (not Calico's kind of the same name)."""
    return [p for p in index.of_kind("NetworkPolicy") if isinstance(p.root, YMap) and is_kubernetes_policy(p)]


def _other_namespaces(pods: list[PodSource]) -> str:
    names = sorted({p.ns for p in pods})
    return ("namespace " if len(names) == 1 else "namespaces ") + ", ".join(names)


def _pods_text(pods: list[PodSource]) -> str:
    names = sorted({_describe(p.doc) for p in pods})
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
