"""`*.istio.io` annotations judged against Istio's own catalogue: unknown, misplaced, deprecated,
alpha, and values the sidecar injector refuses (istioctl's IST0107/0108/0125/0135/0136).

One pass per document finds every problem (`_problems`, remembered for the document at hand);
each rule reports its own kind. Pod templates of workloads are judged as the pods they make
(istioctl reads only the objects' own metadata, so it misses a typo in a Deployment's template).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any, NamedTuple

from manifestlint.model import Finding, Span, YamlDoc, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.annotation_catalogue import CATALOGUE, SOURCE
from manifestlint.rules.kubernetes.objects import containers, pod_template

INGRESS_CLASS = "kubernetes.io/ingress.class"  # the one non-istio.io annotation Istio documents
# Set by istiod, the injector or the gateway controller, not by the author (the catalogue says so)
_SET_BY_ISTIO = {"sidecar.istio.io/status", "istio.io/rev", "gateway.istio.io/controller-version"}
_SET_BY_CNI = {
    "sidecar.istio.io/interceptionMode",
    "traffic.sidecar.istio.io/includeInboundPorts",
    "traffic.sidecar.istio.io/excludeInboundPorts",
    "traffic.sidecar.istio.io/includeOutboundIPRanges",
}


class Problem(NamedTuple):
    code: str  # unknown | misplaced | deprecated | alpha | invalid
    span: Span
    message: str


def _is_istio(name: str) -> bool:
    return name == INGRESS_CLASS or (name.split("/", 1)[0].endswith("istio.io") and "/" in name)


def _uint(value: str, bits: int = 32) -> bool:
    return value.isdigit() and int(value) < 2**bits


def _ports(value: str) -> bool:
    text = value.strip()
    return not text or all(_uint(p.strip(), 16) for p in text.split(","))


def _cidrs(value: str) -> bool:
    if not value:
        return True
    try:
        for cidr in value.split(","):
            if "/" not in cidr:
                return False
            ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return True


_GO_BOOL = {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}

# istio/istio pkg/kube/inject/validate.go AnnotationValidation: what the injector accepts.
VALIDATORS: dict[str, tuple[Any, str]] = {
    "sidecar.istio.io/interceptionMode": (
        lambda v: v in ("REDIRECT", "TPROXY", "NONE"),
        "REDIRECT, TPROXY or NONE",
    ),
    "status.sidecar.istio.io/port": (lambda v: _uint(v.strip(), 16), "a port number"),
    "readiness.status.sidecar.istio.io/initialDelaySeconds": (_uint, "a non-negative integer"),
    "readiness.status.sidecar.istio.io/periodSeconds": (_uint, "a non-negative integer"),
    "readiness.status.sidecar.istio.io/failureThreshold": (_uint, "a non-negative integer"),
    "traffic.sidecar.istio.io/includeOutboundIPRanges": (lambda v: v == "*" or _cidrs(v), "'*' or CIDRs"),
    "traffic.sidecar.istio.io/excludeOutboundIPRanges": (_cidrs, "comma-separated CIDRs"),
    "traffic.sidecar.istio.io/includeInboundPorts": (lambda v: v == "*" or _ports(v), "'*' or ports"),
    "traffic.sidecar.istio.io/excludeInboundPorts": (_ports, "comma-separated ports"),
    "traffic.sidecar.istio.io/excludeOutboundPorts": (_ports, "comma-separated ports"),
    "prometheus.istio.io/merge-metrics": (lambda v: v in _GO_BOOL, "true or false"),
}


def _holders(doc: YamlDoc) -> Iterator[tuple[str, YMap, YMap | None]]:
    """(kind judged as, metadata, pod spec for pods) of the object and of its pod template."""
    root = doc.root
    kind = str(root.get("kind"))
    meta = root.get("metadata")
    template = pod_template(doc)
    if isinstance(meta, YMap):
        yield kind, meta, (template.spec if template and kind == "Pod" else None)
    if template is not None and kind != "Pod":
        yield "Pod", template.metadata, template.spec


def _cni_pod(spec: YMap | None) -> bool:
    """No istio-init container: istio-cni sets the traffic annotations itself."""
    return spec is not None and not any(
        c.get("name") == "istio-init" for c, field in containers(spec) if field == "initContainers"
    )


def _judge(kind: str, meta: YMap, spec: YMap | None) -> Iterator[Problem]:
    notes = meta.get("annotations")
    if not isinstance(notes, YMap):
        return
    labels = meta.get("labels")
    for name, value in notes.items():
        name = str(name)
        if not _is_istio(name):
            continue
        where = notes.key_span(name)
        entry = CATALOGUE.get(name)
        if entry is None:
            yield Problem("unknown", where, f"{name} is not an Istio annotation ({SOURCE}): Istio ignores it")
            continue
        status, deprecated, kinds = entry
        inject_label = isinstance(labels, dict) and "sidecar.istio.io/inject" in labels
        if deprecated and not (name == "sidecar.istio.io/inject" and inject_label):
            better = (
                " in favour of the sidecar.istio.io/inject label" if name == "sidecar.istio.io/inject" else ""
            )
            yield Problem("deprecated", where, f"{name} is deprecated{better}")
        if status == "Alpha" and name not in _SET_BY_ISTIO and not (name in _SET_BY_CNI and _cni_pod(spec)):
            yield Problem("alpha", where, f"{name} is an alpha annotation: it may change or go away")
        if "Any" not in kinds and kind not in kinds:
            yield Problem(
                "misplaced",
                where,
                f"{name} belongs on {', '.join(kinds)}, not on a {kind}: it has no effect here",
            )
            continue
        check = VALIDATORS.get(name)
        if check is not None and not check[0](str(value)):
            yield Problem(
                "invalid",
                notes.value_span(name),
                f"{name}: {value!r} is not {check[1]}: sidecar injection fails",
            )


_LAST: list[Any] = [None, ()]


def _problems(doc: YamlDoc) -> tuple[Problem, ...]:
    """Every annotation problem of `doc` (remembered for the document the engine is on)."""
    if _LAST[0] is doc:
        return _LAST[1]
    found = tuple(p for kind, meta, spec in _holders(doc) for p in _judge(kind, meta, spec))
    _LAST[0], _LAST[1] = doc, found
    return found


def _report(doc: YamlDoc, code: str) -> Iterator[Finding]:
    for problem in _problems(doc):
        if problem.code == code:
            yield doc_hit(doc, problem.span, problem.message)


@rule("istio-unknown-annotation", "kubernetes")
def unknown_annotation(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """A misspelt Istio annotation is silently ignored: the setting the author meant is not applied."""
    yield from _report(doc, "unknown")


@rule("istio-misplaced-annotation", "kubernetes")
def misplaced_annotation(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Istio reads an annotation only on the kinds it is made for (a pod's, not its Deployment's)."""
    yield from _report(doc, "misplaced")


@rule("istio-deprecated-annotation", "kubernetes")
def deprecated_annotation(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Deprecated annotations stop working in a later Istio release."""
    yield from _report(doc, "deprecated")


@rule("istio-alpha-annotation", "kubernetes")
def alpha_annotation(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Alpha annotations carry no compatibility promise across Istio upgrades."""
    yield from _report(doc, "alpha")


@rule("istio-invalid-annotation-value", "kubernetes")
def invalid_annotation_value(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """The injector validates these values and refuses to inject a pod with a bad one."""
    yield from _report(doc, "invalid")
