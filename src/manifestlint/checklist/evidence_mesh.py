"""Evidence from Kubernetes and Istio objects, judged by their *effect*: a STRICT
PeerAuthentication or an AuthorizationPolicy counts only for pods that get a sidecar, a
DestinationRule is a circuit breaker only when `outlierDetection` is where Istio reads it,
a sidecar EnvoyFilter rate-limits nothing without sidecars."""

from __future__ import annotations

from dataclasses import dataclass

from manifestlint.checklist.evidence import (
    SCALABLE,
    WORKLOADS,
    Evidence,
    Project,
    capped,
    cite,
    ident,
    plural,
    spec,
    where,
)  # fmt: skip
from manifestlint.model import YamlDoc, YList, YMap
from manifestlint.rules.kubernetes.objects import name_of, namespace_of

OUTLIER_FIELDS = frozenset({
    "consecutiveGatewayErrors", "consecutive5xxErrors", "consecutiveErrors", "interval", "baseEjectionTime",
    "maxEjectionPercent", "minHealthPercent", "consecutiveLocalOriginFailures",
    "splitExternalLocalOriginErrors",
})  # fmt: skip
ROOT_NAMESPACE = "istio-system"


@dataclass(slots=True)
class Pods:
    doc: YamlDoc
    namespace: str
    labels: dict
    sidecar: bool


def _meta(doc: YamlDoc) -> YMap | None:
    root = doc.root
    kind = root.get("kind")
    path = {"Pod": ("metadata",), "CronJob": ("spec", "jobTemplate", "spec", "template", "metadata")}.get(
        str(kind), ("spec", "template", "metadata")
    )
    meta = root.path_get(*path)
    return meta if isinstance(meta, YMap) else None


def _mapping(holder: YMap | None, key: str) -> dict:
    value = holder.get(key) if isinstance(holder, YMap) else None
    return dict(value) if isinstance(value, YMap) else {}


def injected_namespaces(project: Project) -> dict[str, bool]:
    """Namespace name -> whether its pods get a sidecar by default (declared Namespaces)."""
    out = {}
    for doc in project.index.of_kind("Namespace"):
        labels = _mapping(doc.root.get("metadata") if isinstance(doc.root, YMap) else None, "labels")
        out[name_of(doc)] = labels.get("istio-injection") == "enabled" or "istio.io/rev" in labels
    return out


def pods(project: Project) -> list[Pods]:
    """Every pod template of the named files with whether it gets a sidecar."""
    namespaces = injected_namespaces(project)
    out = []
    for doc in project.objects(*WORKLOADS):
        meta = _meta(doc)
        labels, annotations = _mapping(meta, "labels"), _mapping(meta, "annotations")
        asked = str(
            annotations.get("sidecar.istio.io/inject", labels.get("sidecar.istio.io/inject", ""))
        ).lower()
        ns = namespace_of(doc)
        sidecar = asked == "true" or (asked != "false" and namespaces.get(ns, False))
        out.append(Pods(doc, ns, {str(k): str(v) for k, v in labels.items()}, sidecar))
    return out


def _selected(doc: YamlDoc, candidates: list[Pods], key: str = "selector") -> list[Pods]:
    """Pods a policy applies to: its namespace (every namespace for the root namespace),
    narrowed by `selector.matchLabels` / `workloadSelector.labels`."""
    ns = namespace_of(doc)
    holder = spec(doc).get(key)
    wanted = _mapping(holder, "matchLabels" if key == "selector" else "labels")
    return [
        p
        for p in candidates
        if (ns == ROOT_NAMESPACE or p.namespace == ns)
        and all(p.labels.get(str(k)) == str(v) for k, v in wanted.items())
    ]


def _effect(project: Project, docs: list[YamlDoc], what: str, key: str = "selector") -> Evidence:
    """`docs` (policies) judged by the meshed pods they reach."""
    everything = pods(project)
    namespaces = injected_namespaces(project)
    effective, idle, unknown = [], [], []
    for doc in docs:
        reached = _selected(doc, everything, key)
        meshed = [p for p in reached if p.sidecar]
        if meshed:
            effective.append(cite(doc, f"applies to {plural(len(meshed), 'meshed workload')}"))
        elif namespace_of(doc) not in namespaces and namespace_of(doc) != ROOT_NAMESPACE:
            unknown.append(cite(doc, f"(namespace {namespace_of(doc)} is not in the files)"))
        else:
            idle.append(
                cite(
                    doc,
                    f"applies to no pod: it selects {plural(len(reached), 'workload')}, none with a sidecar",
                )
            )
    checked = f"{plural(len(docs), what)}, reaching pods with a sidecar: {len(effective)}"
    if effective:
        return Evidence("ok", capped(effective + idle), checked)
    if idle:
        return Evidence("missing", capped(idle + unknown), checked + " (no pod gets one)")
    return Evidence("none", capped(unknown), checked)


def strict_mtls(project: Project) -> Evidence:
    if not project.istio():
        return Evidence("absent", ["no Istio resources in the named files"])
    strict = [
        d
        for d in project.objects("PeerAuthentication")
        if str(d.root.path_get("spec", "mtls", "mode")) == "STRICT"
    ]
    if not strict:
        return Evidence("missing", ["no PeerAuthentication with mtls.mode STRICT"], "PeerAuthentications")
    return _effect(project, strict, "STRICT PeerAuthentication")


def authorization(project: Project) -> Evidence:
    if not project.istio():
        return Evidence("absent", ["no Istio resources in the named files"])
    policies = project.objects("AuthorizationPolicy")
    if not policies:
        return Evidence("missing", ["no AuthorizationPolicy in the named files"], "AuthorizationPolicies")
    return _effect(project, policies, "AuthorizationPolicy")


def rate_limiting(project: Project) -> Evidence:
    if not project.istio():
        return Evidence("absent", ["no Istio resources in the named files"])
    filters = [d for d in project.objects("EnvoyFilter") if "ratelimit" in str(d.root.get("spec")).lower()]
    if not filters:
        return Evidence("none", [], "no rate-limiting EnvoyFilter")
    gateway = [d for d in filters if "GATEWAY" in str(d.root.get("spec"))]
    if gateway:
        return Evidence(
            "ok", [cite(d, "patches the gateway") for d in gateway], plural(len(filters), "EnvoyFilter")
        )
    return _effect(project, filters, "rate-limiting EnvoyFilter", key="workloadSelector")


def _outliers(doc: YamlDoc) -> tuple[list[str], list[tuple[str, str]]]:
    """(where outlierDetection takes effect, misplaced outlier fields) of a DestinationRule."""
    effective, misplaced = [], []
    policies = [("trafficPolicy", spec(doc).get("trafficPolicy"))]
    subsets = spec(doc).get("subsets")
    for subset in subsets if isinstance(subsets, YList) else ():
        if isinstance(subset, YMap):
            policies.append((f"subset {subset.get('name')}", subset.get("trafficPolicy")))
    for label, policy in policies:
        if not isinstance(policy, YMap):
            continue
        levels = [policy] + [p for p in policy.get("portLevelSettings") or () if isinstance(p, YMap)]
        for level in levels:
            if isinstance(level.get("outlierDetection"), YMap):
                effective.append(label)
            pool = level.get("connectionPool")
            for protocol in ("http", "tcp"):
                holder = pool.get(protocol) if isinstance(pool, YMap) else None
                for key in holder if isinstance(holder, YMap) else ():
                    if key in OUTLIER_FIELDS and not (protocol == "tcp" and key == "interval"):
                        line = holder.key_span(key).line
                        misplaced.append(
                            (f"{label}.connectionPool.{protocol}", f"`{key}` ({doc.path}:{line})")
                        )
    return effective, misplaced


def circuit_breakers(project: Project) -> Evidence:
    if not project.istio():
        return Evidence("absent", ["no Istio resources in the named files"])
    rules = project.objects("DestinationRule")
    notes, wrong, effective = [], [], 0
    for doc in rules:
        places, misplaced = _outliers(doc)
        effective += bool(places)
        for place in dict.fromkeys(p for p, _c in misplaced):
            fields = ", ".join(c for p, c in misplaced if p == place)
            wrong.append(
                f"{ident(doc)}: outlier detection fields under {place}, where Istio does not read them "
                f"(it reads outlierDetection), so they never take effect: {fields}"
            )
        notes.append(
            cite(doc, f"outlierDetection in {', '.join(places)}" if places else "no outlierDetection")
        )
    checked = f"{plural(len(rules), 'DestinationRule')}, outlier detection in effect on {effective}"
    if wrong:
        return Evidence("missing", capped(wrong + notes), checked)
    if effective:
        return Evidence("ok", capped(notes), checked)
    return Evidence("none" if rules else "missing", capped(notes), checked)


def _routes(doc: YamlDoc) -> list[YMap]:
    http = spec(doc).get("http")
    return [r for r in http if isinstance(r, YMap)] if isinstance(http, YList) else []


def _applies(project: Project, doc: YamlDoc) -> bool:
    """A VirtualService acts at a gateway it is bound to, or in the sidecars of meshed pods."""
    gateways = spec(doc).get("gateways")
    bound = [g for g in gateways if str(g) != "mesh"] if isinstance(gateways, YList) else []
    return bool(bound) or any(p.sidecar for p in pods(project))


def _route_property(key: str, what: str):
    def evidence(project: Project) -> Evidence:
        if not project.istio():
            return Evidence("absent", ["no Istio resources in the named files"])
        services = project.objects("VirtualService")
        having = [d for d in services if any(key in r for r in _routes(d))]
        checked = f"{plural(len(services), 'VirtualService')}, {what} on {len(having)}"
        acting = [d for d in having if _applies(project, d)]
        if acting:
            return Evidence("ok", [cite(d, f"sets {what}") for d in acting], checked)
        if having:
            notes = [
                cite(d, f"sets {what} but is bound to no gateway and no pod gets a sidecar") for d in having
            ]
            return Evidence("missing", notes, checked)
        return Evidence("none", [], checked)

    return evidence


def _kind(kind: str):
    def evidence(project: Project) -> Evidence:
        if not project.istio():
            return Evidence("absent", ["no Istio resources in the named files"])
        found = project.objects(kind)
        if not found:
            return Evidence("missing", [f"no {kind} in the named files"], f"no {kind}")
        return Evidence("ok", capped([cite(d) for d in found]), plural(len(found), kind))

    return evidence


def mesh(project: Project) -> Evidence:
    if not project.istio():
        return Evidence("absent", ["no Istio resources in the named files"])
    everything = pods(project)
    meshed = [p for p in everything if p.sidecar]
    checked = f"{plural(len(everything), 'workload')}, with a sidecar: {len(meshed)}"
    if not meshed:
        return Evidence("missing", [
            "no Namespace labelled istio-injection=enabled (or istio.io/rev) and no pod template with "
            "sidecar.istio.io/inject: the mesh policies apply to no pod"
        ], checked)  # fmt: skip
    return Evidence("ok", capped([cite(p.doc, "gets a sidecar") for p in meshed]), checked)


def encryption_in_transit(project: Project) -> Evidence:
    """TLS where traffic enters (Ingress `tls`, Gateway HTTPS/TLS servers) and in the mesh."""
    notes = []
    for doc in project.objects("Ingress"):
        if spec(doc).get("tls"):
            notes.append(cite(doc, "terminates TLS"))
    for doc in project.objects("Gateway"):
        servers = spec(doc).get("servers")
        if any(isinstance(s, YMap) and isinstance(s.get("tls"), YMap) for s in servers or ()):
            notes.append(cite(doc, "serves TLS"))
    entries = len(notes)
    inside = strict_mtls(project) if project.istio() else None
    checked = plural(entries, "TLS entry point")
    if inside is not None and inside.state == "missing":
        notes.append("inside the cluster: " + "; ".join(inside.notes[:2]))
    if not project.objects("Ingress", "Gateway", *WORKLOADS):
        return Evidence("absent", [], "no entry points or workloads")
    return Evidence("ok" if entries else "none", capped(notes), checked)


def _autoscaled(project: Project, kind: str) -> Evidence:
    workloads = project.objects(*SCALABLE)
    if not workloads:
        return Evidence("absent", ["no Deployment or StatefulSet in the named files"])
    scalers = project.objects(kind)
    targets = {}
    for s in scalers:
        ref = spec(s).get("scaleTargetRef") or spec(s).get("targetRef")
        if isinstance(ref, YMap):
            targets[(str(ref.get("kind")), namespace_of(s), str(ref.get("name")))] = s
    notes, missing = [], []
    for doc in workloads:
        scaler = targets.get((str(doc.root.get("kind")), namespace_of(doc), name_of(doc)))
        if scaler is not None:
            mode = (
                spec(scaler).path_get("updatePolicy", "updateMode") if kind.startswith("Vertical") else None
            )
            extra = f" (updateMode {mode or 'Auto (unset)'})" if kind.startswith("Vertical") else ""
            notes.append(f"{ident(doc)} is scaled by {kind} {name_of(scaler)}{extra} ({where(scaler)})")
        else:
            missing.append(f"no {kind} targets {ident(doc)} ({where(doc)})")
    checked = f"{plural(len(workloads), 'Deployment/StatefulSet')}, {len(notes)} targeted by a {kind}"
    if kind.startswith("Vertical"):  # a VPA is not expected on every workload
        return Evidence("ok" if notes else "missing", capped(notes or missing), checked)
    return Evidence("missing" if missing else "ok", capped(missing + notes), checked)


def pdb(project: Project) -> Evidence:
    if not project.objects(*SCALABLE):
        return Evidence("absent", ["no Deployment or StatefulSet in the named files"])
    found = project.objects("PodDisruptionBudget")
    if not found:
        return Evidence("missing", ["no PodDisruptionBudget in the named files"], "no PodDisruptionBudget")
    return Evidence("ok", capped([cite(d) for d in found]), plural(len(found), "PodDisruptionBudget"))


def _default_deny(doc: YamlDoc) -> bool:
    body = spec(doc)
    selector = body.get("podSelector")
    if selector not in (None, {}) and not (isinstance(selector, YMap) and not selector):
        return False
    types = body.get("policyTypes")
    ingress_type = types is None or (isinstance(types, YList) and "Ingress" in types)
    return ingress_type and body.get("ingress") in (None, [])


def default_deny(project: Project) -> Evidence:
    if not project.objects(*WORKLOADS):
        return Evidence("absent", ["no workloads in the named files"])
    policies = project.objects("NetworkPolicy")
    deny = [d for d in policies if _default_deny(d)]
    checked = f"{plural(len(policies), 'NetworkPolicy')}, default-deny: {len(deny)}"
    if not deny:
        return Evidence(
            "missing", ["no default-deny NetworkPolicy (podSelector: {} and no ingress rules)"], checked
        )
    return Evidence("ok", [cite(d, "denies ingress by default") for d in deny], checked)


EVIDENCE = {
    "Horizontal Pod Autoscaler (HPA)": lambda p: _autoscaled(p, "HorizontalPodAutoscaler"),
    "Horizontal pod autoscaling": lambda p: _autoscaled(p, "HorizontalPodAutoscaler"),
    "Vertical Pod Autoscaler (VPA)": lambda p: _autoscaled(p, "VerticalPodAutoscaler"),
    "Vertical pod autoscaling": lambda p: _autoscaled(p, "VerticalPodAutoscaler"),
    "Pod Disruption Budgets": pdb,
    "Network policies": default_deny,
    "mTLS authentication": strict_mtls,
    "Authorization policies": authorization,
    "Service mesh (Istio) integration": mesh,
    "Gateway configuration": _kind("Gateway"),
    "Virtual services": _kind("VirtualService"),
    "Destination rules": _kind("DestinationRule"),
    "Circuit breakers": circuit_breakers,
    "Retry policies": _route_property("retries", "retries"),
    "Timeout configuration": _route_property("timeout", "a timeout"),
    "Rate limiting": rate_limiting,
    "Encryption in transit": encryption_in_transit,
}
