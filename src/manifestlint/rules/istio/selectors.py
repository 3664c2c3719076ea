"""Which Sidecar and which Telemetry applies to a workload: selectors that reach no workload,
several that reach the same one, several namespace-wide ones (istioctl's IST0101 for Sidecar
and Telemetry selectors, IST0110, IST0111, IST0159, IST0160).

Istio applies one Sidecar and one Telemetry per workload (a selector's one first, else the
namespace's one without selector); with two candidates it picks by creation time, which the
files cannot show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from manifestlint.index import Index
from manifestlint.model import Finding, Span, YamlDoc, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.common import is_istio
from manifestlint.rules.istio.injection import namespace_injection
from manifestlint.rules.istio.mesh import objects, root_ns
from manifestlint.rules.kubernetes.objects import (
    name_anchor,
    name_of,
    namespace_of,
    pod_template,
    selector_matches,
)

# kind -> (selector key, labels key inside it)
SELECTOR_OF = {"Sidecar": ("workloadSelector", "labels"), "Telemetry": ("selector", "matchLabels")}


@dataclass(slots=True)
class Config:
    doc: YamlDoc
    kind: str
    namespace: str
    labels: dict | None  # None: namespace-wide
    span: Span  # the selector's labels (or the spec, for a namespace-wide one)


def pod_labels(index: Index) -> list[tuple[YamlDoc, str, dict]]:
    """(doc, namespace, labels) of every pod the project makes, bare Pods without spec included."""
    out = []
    for doc in index.objects:
        template = pod_template(doc)
        if template is not None:
            out.append((doc, namespace_of(doc), template.labels))
        elif doc.root.get("kind") == "Pod" and isinstance(doc.root.get("metadata"), dict):
            labels = doc.root["metadata"].get("labels")
            out.append((doc, namespace_of(doc), labels if isinstance(labels, dict) else {}))
    return out


def configs(index: Index, kind: str) -> list[Config]:
    key, inner = SELECTOR_OF[kind]
    out = []
    for doc, spec in objects(index, kind):
        selector = spec.get(key)
        labels = selector.get(inner) if isinstance(selector, YMap) else None
        if isinstance(labels, YMap) and labels:
            out.append(Config(doc, kind, namespace_of(doc), dict(labels), selector.key_span(inner)))
        else:
            anchor = spec.key_span(key) if key in spec else doc.root.key_span("spec")
            out.append(Config(doc, kind, namespace_of(doc), None, anchor))
    return out


def _reaches(config: Config, ns: str, labels: dict, root: str) -> bool:
    if config.namespace not in (ns, root) or config.labels is None:
        return False
    return selector_matches({"matchLabels": config.labels}, labels)


@rule("istio-selector-matches-nothing", "project")
def selector_matches_nothing(index: Index, ctx) -> Iterator[Finding]:
    """A Sidecar or Telemetry for workloads the project does not have configures nothing."""
    root = root_ns(ctx)
    pods = pod_labels(index)
    for kind in SELECTOR_OF:
        for config in configs(index, kind):
            if config.labels is None:
                continue
            scope = [(ns, labels) for _, ns, labels in pods if config.namespace in (ns, root)]
            if not scope:
                continue  # the project defines no workloads there: nothing to judge against
            if any(_reaches(config, ns, labels, root) for ns, labels in scope):
                continue
            where = "any namespace" if config.namespace == root else f"namespace {config.namespace}"
            yield doc_hit(
                config.doc,
                config.span,
                f"{kind} selector matches no workload in {where}: it configures nothing",
            )


def _overlaps(index: Index, kind: str, root: str) -> Iterator[tuple[Config, list[Config]]]:
    pods = pod_labels(index)
    found: dict[int, tuple[Config, dict[int, Config]]] = {}
    for config in configs(index, kind):
        found.setdefault(id(config.doc), (config, {}))
    all_configs = [entry[0] for entry in found.values()]
    for _, ns, labels in pods:
        hits = [
            c
            for c in all_configs
            if c.namespace == ns and c.labels is not None and _reaches(c, ns, labels, root)
        ]
        for config in hits:
            found[id(config.doc)][1].update({id(o.doc): o for o in hits if o is not config})
    for config, others in found.values():
        if others:
            yield config, list(others.values())


@rule("istio-conflicting-workload-config", "project")
def conflicting_workload_config(index: Index, ctx) -> Iterator[Finding]:
    """Two Sidecars (or Telemetries) for one workload, or two namespace-wide ones: Istio uses one
    of them, chosen by creation time."""
    root = root_ns(ctx)
    for kind in SELECTOR_OF:
        for config, others in _overlaps(index, kind, root):
            names = ", ".join(sorted(name_of(o.doc) for o in others))
            yield doc_hit(
                config.doc,
                config.span,
                f"this {kind} and {names} select the same workload: only one of them applies, "
                "chosen by creation time",
                [o.doc for o in others],
            )
        wide: dict[str, list[Config]] = defaultdict(list)
        for config in configs(index, kind):
            if config.labels is None:
                wide[config.namespace].append(config)
        for ns, group in wide.items():
            if len(group) < 2:
                continue
            for config in group:
                names = ", ".join(sorted(name_of(o.doc) for o in group if o is not config))
                yield doc_hit(
                    config.doc,
                    config.span,
                    f"{kind} without selector, like {names} in namespace {ns}: only one namespace-wide "
                    f"{kind} applies, chosen by creation time",
                    [o.doc for o in group if o is not config],
                )


GATEWAY_NAME_LABELS = ("gateway.networking.k8s.io/gateway-name", "istio.io/gateway-name")
TARGETED_KINDS = ("AuthorizationPolicy", "RequestAuthentication", "Telemetry", "WasmPlugin")


def _k8s_gateway_pod(labels: dict) -> bool:
    return any(key in labels for key in GATEWAY_NAME_LABELS)


@rule("istio-selector-on-k8s-gateway", "project")
def selector_on_k8s_gateway(index: Index, ctx) -> Iterator[Finding]:
    """Policies reach the pods of a Kubernetes Gateway API gateway through `targetRefs`; a
    workload selector naming those pods is ignored."""
    gateway_pods = [labels for _, _, labels in pod_labels(index) if _k8s_gateway_pod(labels)]
    for kind in TARGETED_KINDS:
        for doc, spec in objects(index, kind):
            labels = spec.path_get("selector", "matchLabels")
            if not isinstance(labels, dict) or not labels or spec.get("targetRef") or spec.get("targetRefs"):
                continue
            named = _k8s_gateway_pod(labels)
            if named or any(selector_matches({"matchLabels": dict(labels)}, pod) for pod in gateway_pods):
                yield doc_hit(
                    doc,
                    spec.key_span("selector"),
                    f"this {kind}'s selector picks the pods of a Kubernetes Gateway, where Istio ignores "
                    "selectors: use targetRefs naming the Gateway",
                )


@rule("istio-sidecar-in-ambient", "project")
def sidecar_in_ambient(index: Index, ctx) -> Iterator[Finding]:
    """Ambient-mode pods have no sidecar proxy: a Sidecar resource in an ambient namespace
    configures nothing (egress limits, ingress ports silently do not apply)."""
    ambient = {name_of(doc) for doc in index.of_kind("Namespace") if namespace_injection(doc) == "ambient"}
    if not ambient:
        return
    for doc in index.of_kind("Sidecar"):
        ns = namespace_of(doc)
        if ns in ambient and is_istio(doc, "Sidecar"):  # with or without a spec
            yield doc_hit(
                doc,
                name_anchor(doc),
                f"namespace {ns} runs in ambient mode (no sidecars): this Sidecar has no effect; "
                "use a waypoint's policies instead",
            )
