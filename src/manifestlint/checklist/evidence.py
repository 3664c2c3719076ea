"""Positive evidence for checklist items that ask for *presence*.

A rule can only say what is wrong with objects that exist; "Horizontal Pod Autoscaler
(HPA)" is not verified by the absence of HPA findings in a project that has no HPA. Each
function here looks at the named files' objects and answers:

- ("absent", notes):  nothing the item is about exists (no workloads, no Istio objects...);
- ("missing", notes): the item's subject exists but the asked-for object does not;
- ("ok", notes):      the evidence, as `path:line` notes a reviewer can open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from manifestlint.index import Index
from manifestlint.k8s import name_anchor, name_of, namespace_of
from manifestlint.model import YamlDoc, YList, YMap

SCALABLE = ("Deployment", "StatefulSet")
ISTIO_KINDS = (
    "Gateway", "VirtualService", "DestinationRule", "PeerAuthentication", "AuthorizationPolicy",
    "ServiceEntry", "Sidecar", "EnvoyFilter", "RequestAuthentication", "Telemetry",
)  # fmt: skip


@dataclass(slots=True)
class Project:
    """What evidence functions read: the named files' objects and the recognised alerts."""

    index: Index
    policy: object  # alerts.policy.Policy
    alerts: list = field(default_factory=list)  # rules.prometheus_thresholds.Alert

    def objects(self, *kinds: str) -> list[YamlDoc]:
        return [d for d in self.index.of_kind(*kinds) if self.index.reported(d)]

    def istio(self) -> list[YamlDoc]:
        return [d for d in self.objects(*ISTIO_KINDS) if "istio.io" in str(d.root.get("apiVersion"))]


Evidence = tuple[str, list[str]]


def where(doc: YamlDoc) -> str:
    return f"{doc.path}:{name_anchor(doc).line}"


def ident(doc: YamlDoc) -> str:
    return f"{doc.root.get('kind')} {namespace_of(doc)}/{name_of(doc)}"


def _targets(doc: YamlDoc) -> tuple[str, str, str] | None:
    spec = doc.root.get("spec")
    ref = spec.get("scaleTargetRef") if isinstance(spec, YMap) else None
    if spec is not None and ref is None:
        ref = spec.get("targetRef")  # VerticalPodAutoscaler
    if not isinstance(ref, YMap):
        return None
    return (str(ref.get("kind")), namespace_of(doc), str(ref.get("name")))


def _autoscaled(project: Project, kind: str, what: str) -> Evidence:
    workloads = project.objects(*SCALABLE)
    if not workloads:
        return "absent", ["no Deployment or StatefulSet in the named files"]
    scalers = project.objects(kind)
    targeted = {t for t in map(_targets, scalers) if t}
    notes, missing = [], []
    for doc in workloads:
        key = (str(doc.root.get("kind")), namespace_of(doc), name_of(doc))
        if key in targeted:
            scaler = next(s for s in scalers if _targets(s) == key)
            notes.append(f"{ident(doc)} is scaled by {what} {name_of(scaler)} ({where(scaler)})")
        else:
            missing.append(f"no {what} targets {ident(doc)} ({where(doc)})")
    return ("missing", missing) if missing else ("ok", notes)


def hpa(project: Project) -> Evidence:
    return _autoscaled(project, "HorizontalPodAutoscaler", "HorizontalPodAutoscaler")


def vpa(project: Project) -> Evidence:
    workloads = project.objects(*SCALABLE)
    if not workloads:
        return "absent", ["no Deployment or StatefulSet in the named files"]
    vpas = project.objects("VerticalPodAutoscaler")
    if not vpas:
        return "missing", ["no VerticalPodAutoscaler in the named files"]
    return "ok", [f"VerticalPodAutoscaler {name_of(v)} ({where(v)})" for v in vpas]


def pdb(project: Project) -> Evidence:
    if not project.objects(*SCALABLE):
        return "absent", ["no Deployment or StatefulSet in the named files"]
    pdbs = project.objects("PodDisruptionBudget")
    if not pdbs:
        return "missing", ["no PodDisruptionBudget in the named files"]
    return "ok", [f"PodDisruptionBudget {name_of(p)} ({where(p)})" for p in pdbs]


def strict_mtls(project: Project) -> Evidence:
    if not project.istio():
        return "absent", ["no Istio resources in the named files"]
    strict = []
    for doc in project.objects("PeerAuthentication"):
        mtls = doc.root.path_get("spec", "mtls", "mode")
        if str(mtls) == "STRICT":
            strict.append(f"PeerAuthentication {namespace_of(doc)}/{name_of(doc)} is STRICT ({where(doc)})")
    return ("ok", strict) if strict else ("missing", ["no PeerAuthentication with mtls.mode STRICT"])


def _default_deny(doc: YamlDoc) -> bool:
    spec = doc.root.get("spec")
    if not isinstance(spec, YMap):
        return False
    selector = spec.get("podSelector")
    if selector not in (None, {}) and not (isinstance(selector, YMap) and not selector):
        return False
    types = spec.get("policyTypes")
    ingress_type = types is None or (isinstance(types, YList) and "Ingress" in types)
    return ingress_type and spec.get("ingress") in (None, [])


def default_deny(project: Project) -> Evidence:
    if not project.objects(*SCALABLE, "DaemonSet", "Pod", "Job", "CronJob"):
        return "absent", ["no workloads in the named files"]
    deny = [d for d in project.objects("NetworkPolicy") if _default_deny(d)]
    if not deny:
        return "missing", ["no default-deny NetworkPolicy (podSelector: {} and no ingress rules)"]
    return "ok", [
        f"NetworkPolicy {namespace_of(d)}/{name_of(d)} denies ingress by default ({where(d)})" for d in deny
    ]


def _istio_kind(kind: str, test: Callable[[YamlDoc], bool] | None = None, what: str = "") -> Callable:
    def evidence(project: Project) -> Evidence:
        if not project.istio():
            return "absent", ["no Istio resources in the named files"]
        found = [d for d in project.objects(kind) if test is None or test(d)]
        if not found:
            return "missing", [f"no {what or kind} in the named files"]
        return "ok", [f"{kind} {namespace_of(d)}/{name_of(d)} ({where(d)})" for d in found]

    return evidence


def _has_outlier_detection(doc: YamlDoc) -> bool:
    return "outlierDetection" in str(doc.root.get("spec"))


def _has_retries(doc: YamlDoc) -> bool:
    http = doc.root.path_get("spec", "http")
    return isinstance(http, YList) and any(isinstance(r, YMap) and "retries" in r for r in http)


def _is_rate_limit(doc: YamlDoc) -> bool:
    return "ratelimit" in str(doc.root.get("spec")).lower()


def _alerts(categories: tuple[str, ...]) -> Callable:
    def evidence(project: Project) -> Evidence:
        if not project.index.rule_groups or not any(
            project.index.reported(g.doc) for g in project.index.rule_groups
        ):
            return "absent", ["no Prometheus rule file in the named files"]
        notes, missing = [], []
        for category in categories:
            target = project.policy.target(category)
            mine = [a for a in project.alerts if a.threshold.category == category]
            meeting = [
                a
                for a in mine
                if a.threshold.threshold <= target.above and a.for_seconds <= target.for_seconds
            ]
            if meeting:
                a = meeting[0]
                notes.append(
                    f"{a.name} fires at {a.threshold.shown()} after {a.for_text} ({a.path}:{a.line})"
                )
            elif mine:
                a = min(mine, key=lambda x: (x.threshold.threshold, x.for_seconds))
                missing.append(
                    f"{category}: the most sensitive alert {a.name} fires at {a.threshold.shown()} after "
                    f"{a.for_text} ({a.path}:{a.line}); the policy is {target.shown(category)}"
                )
            else:
                missing.append(f"{category}: no recognised alert (the policy is {target.shown(category)})")
        return ("missing", missing + notes) if missing else ("ok", notes)

    return evidence


def mesh(project: Project) -> Evidence:
    if not project.istio():
        return "absent", ["no Istio resources in the named files"]
    injected = []
    for doc in project.objects("Namespace"):
        labels = doc.root.path_get("metadata", "labels")
        if isinstance(labels, YMap) and (
            labels.get("istio-injection") == "enabled" or "istio.io/rev" in labels
        ):
            injected.append(f"Namespace {name_of(doc)} has sidecar injection ({where(doc)})")
    for doc in project.objects(*SCALABLE, "DaemonSet"):
        meta = doc.root.path_get("spec", "template", "metadata")
        marks = {}
        for key in ("labels", "annotations"):
            values = meta.get(key) if isinstance(meta, YMap) else None
            marks.update(values if isinstance(values, YMap) else {})
        if str(marks.get("sidecar.istio.io/inject")).lower() == "true":
            injected.append(f"{ident(doc)} asks for a sidecar ({where(doc)})")
    if not injected:
        return "missing", [
            "no Namespace labelled istio-injection=enabled (or istio.io/rev) and no pod template with "
            "sidecar.istio.io/inject: the mesh policies apply to no pod"
        ]
    return "ok", injected


def _alertmanager(project: Project) -> Evidence:
    docs = [d for d in project.index.alertmanager if project.index.reported(d)]
    if not docs:
        return "absent", ["no Alertmanager configuration in the named files"]
    return "ok", [f"Alertmanager configuration {d.path}:{d.span.line}" for d in docs]


def _rule_files(project: Project) -> Evidence:
    files = sorted({g.doc.path for g in project.index.rule_groups if project.index.reported(g.doc)})
    if not files:
        return "absent", ["no Prometheus rule file in the named files"]
    return "ok", [f"rule file {f}" for f in files]


# Item text (as in the seed checklist) -> evidence function.
EVIDENCE: dict[str, Callable[[Project], Evidence]] = {
    "Horizontal Pod Autoscaler (HPA)": hpa,
    "Horizontal pod autoscaling": hpa,
    "Vertical Pod Autoscaler (VPA)": vpa,
    "Vertical pod autoscaling": vpa,
    "Pod Disruption Budgets": pdb,
    "mTLS authentication": strict_mtls,
    "Service mesh (Istio) integration": mesh,
    "Network policies": default_deny,
    "Gateway configuration": _istio_kind("Gateway"),
    "Virtual services": _istio_kind("VirtualService"),
    "Destination rules": _istio_kind("DestinationRule"),
    "Authorization policies": _istio_kind("AuthorizationPolicy"),
    "Circuit breakers": _istio_kind(
        "DestinationRule", _has_outlier_detection, "DestinationRule with outlierDetection"
    ),
    "Retry policies": _istio_kind("VirtualService", _has_retries, "VirtualService with retries"),
    "Rate limiting": _istio_kind("EnvoyFilter", _is_rate_limit, "rate-limiting EnvoyFilter"),
    "Error rate monitoring": _alerts(("error-rate",)),
    "Response time monitoring": _alerts(("latency",)),
    "Resource utilization monitoring": _alerts(("cpu", "memory", "disk")),
    "AlertManager configuration": _alertmanager,
    "Alert configuration": _rule_files,
}

# Findings of the per-category alert rules (obj "... alerts:<category>") count only for the
# items about that category.
ITEM_CATEGORIES = {
    "Error rate monitoring": {"error-rate"},
    "Response time monitoring": {"latency"},
    "Resource utilization monitoring": {"cpu", "memory", "disk"},
}
