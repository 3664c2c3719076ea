"""Liveness and readiness probes: present, distinct, and pointed at a port the container exposes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manifestlint.model import Finding, Severity, YamlDoc, YMap, at_most, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.containers import _what
from manifestlint.rules.kubernetes.objects import (
    BATCH_KINDS,
    WORKLOAD_KINDS,
    container_label,
    containers,
    pod_template,
)
from manifestlint.rules.kubernetes.singleton import is_load_generator

# Sidecars injected or added beside the application whose readiness nobody routes on: a pod is
# Ready when all its containers are, and a container without a readiness probe counts as ready
# once started, so the application container's probe is the one that gates traffic. Matched by
# container name, or by the last components of the image repository.
SIDECAR_NAMES = frozenset({
    "istio-proxy", "linkerd-proxy", "cloud-sql-proxy", "cloudsql-proxy", "vault-agent",
    "consul-dataplane", "consul-connect-envoy-sidecar", "kuma-sidecar", "aws-appmesh-envoy",
    "kube-rbac-proxy",
})  # fmt: skip


SIDECAR_IMAGES = ("istio/proxyv2", "linkerd/proxy", "cloud-sql-proxy", "cloudsql-docker/gce-proxy",
                  "hashicorp/consul-dataplane", "kumahq/kuma-dp", "aws-appmesh-envoy",
                  "kube-rbac-proxy")  # fmt: skip


def is_sidecar(container: YMap) -> bool:
    """A well-known proxy or agent sidecar (istio-proxy, linkerd-proxy, cloud-sql-proxy, ...)."""
    if str(container.get("name") or "") in SIDECAR_NAMES:
        return True
    image = container.get("image")
    if not isinstance(image, str):
        return False
    head, slash, last = image.strip().partition("@")[0].rpartition("/")
    return (head + slash + last.partition(":")[0]).endswith(SIDECAR_IMAGES)  # without tag or digest


def _missing_probe(doc: YamlDoc, probe: str) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None or pod.kind in BATCH_KINDS:
        return
    if probe == "readinessProbe" and is_load_generator(doc, pod):
        return  # readiness decides whether a Service sends traffic; a load generator takes none
    for container, _field in containers(pod.spec, init=False):
        if probe == "readinessProbe" and is_sidecar(container):
            continue
        if not isinstance(container.get(probe), YMap):
            yield doc_hit(doc, container.start(), f"container {container_label(container)!r} has no {probe}")


@rule("k8s-missing-liveness-probe", "kubernetes", kinds=WORKLOAD_KINDS)
def missing_liveness(doc: YamlDoc, ctx) -> Iterator[Finding]:
    yield from _missing_probe(doc, "livenessProbe")


@rule("k8s-missing-readiness-probe", "kubernetes", kinds=WORKLOAD_KINDS)
def missing_readiness(doc: YamlDoc, ctx) -> Iterator[Finding]:
    yield from _missing_probe(doc, "readinessProbe")


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")


def _handler(probe: Any) -> tuple[str, Any] | None:
    if isinstance(probe, dict):
        for name in _HANDLERS:
            if name in probe:
                return name, probe[name]
    return None


@rule("k8s-identical-probes", "kubernetes", kinds=WORKLOAD_KINDS)
def identical_probes(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec):
        liveness = _handler(container.get("livenessProbe"))
        if liveness is None or liveness[0] == "tcpSocket":
            continue  # a TCP connect only asks "is the port open?", a fair question for both
        if liveness == _handler(container.get("readinessProbe")):
            yield doc_hit(
                doc,
                container.key_span("livenessProbe"),
                f"{_what(container, field)}: livenessProbe runs the same {liveness[0]} check as "
                "readinessProbe, so a slow dependency or overload restarts the pods instead of "
                "only taking them out of the Service",
            )


@rule("k8s-probe-port-not-exposed", "kubernetes", kinds=WORKLOAD_KINDS)
def probe_port_not_exposed(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    check_numbers = ctx.options.get("numeric-ports", False)
    for container, field in containers(pod.spec):
        if not any(isinstance(container.get(p), YMap) for p in _PROBES):
            continue
        by_name: dict[str, str] = {}
        tcp_numbers: set[int] = set()
        ports = container.get("ports")
        for port in ports if isinstance(ports, list) else ():
            if isinstance(port, dict):
                protocol = str(port.get("protocol") or "TCP")
                if port.get("name") is not None:
                    by_name[str(port["name"])] = protocol
                if protocol == "TCP" and isinstance(port.get("containerPort"), int):
                    tcp_numbers.add(port["containerPort"])
        what = _what(container, field)
        for probe_key in _PROBES:
            handler = _handler(container.get(probe_key))
            if handler is None or handler[0] == "exec" or not isinstance(handler[1], YMap):
                continue
            kind, action = handler
            if "port" not in action:
                continue
            port, span = action["port"], action.value_span("port")
            where = f"{what}: {probe_key} {kind}"
            if isinstance(port, bool):
                continue
            if isinstance(port, int):
                if check_numbers and tcp_numbers and port not in tcp_numbers:
                    # the kubelet probes a number whether the container declares it or not: not a
                    # proof of failure (issue 19, principle 1), a warning at most
                    found = doc_hit(
                        doc,
                        span,
                        f"{where} port {port} is not among the container's TCP ports "
                        f"({', '.join(str(n) for n in sorted(tcp_numbers))})",
                    )
                    yield at_most(found, Severity.WARNING)
            elif str(port).isdigit():
                yield doc_hit(
                    doc,
                    span,
                    f"{where} port {port!r} is a quoted number, which Kubernetes reads "
                    "as a port name; the API server rejects it (write it unquoted)",
                )
            elif str(port) not in by_name:
                yield doc_hit(
                    doc, span, f"{where} port {port!r} names no port of the container; the probe always fails"
                )
            elif by_name[str(port)] != "TCP":
                yield doc_hit(
                    doc,
                    span,
                    f"{where} port {port!r} is a {by_name[str(port)]} port; the probe "
                    "connects over TCP and always fails",
                )
