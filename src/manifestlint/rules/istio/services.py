"""Kubernetes Services as Istio reads them: port names that select the protocol, and workloads
behind several Services that disagree on a port (istioctl's IST0118, IST0150, IST0116, IST0137).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from manifestlint.index import Index
from manifestlint.model import Finding, Severity, YamlDoc, YList, YMap, at_most, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.injection import SYSTEM_NAMESPACES, namespace_injection, pod_choice
from manifestlint.rules.kubernetes.objects import (
    api_group,
    name_anchor,
    name_of,
    namespace_of,
    pod_template,
    selector_matches,
)

# istio/istio pkg/config/protocol: the names a port name's prefix (before '-') may carry.
PROTOCOLS = {
    "tcp",
    "udp",
    "grpc",
    "grpc-web",
    "http",
    "http_proxy",
    "http2",
    "https",
    "tls",
    "mongo",
    "redis",
    "mysql",
}


def protocol_of(port: YMap) -> str | None:
    """The protocol Istio reads from a Service port (UDP, appProtocol, then the name); None when
    the name selects none (Istio then sniffs)."""
    if str(port.get("protocol") or "").upper() == "UDP":
        return "udp"
    if port.get("appProtocol"):
        return str(port["appProtocol"]).lower()
    name = str(port.get("name") or "").lower()
    if name.startswith("grpc-web"):
        return "grpc-web"
    prefix = name.split("-", 1)[0]
    return prefix if prefix in PROTOCOLS else None


def uses_istio(index: Index) -> bool:
    """The project configures Istio: an istio.io object, or a namespace labelled for injection."""
    if any(api_group(doc.root.get("apiVersion")).endswith("istio.io") for doc in index.objects):
        return True
    return any(namespace_injection(doc) == "on" for doc in index.of_kind("Namespace"))


def _ports(service: YamlDoc) -> YList:
    spec = service.root.get("spec")
    ports = spec.get("ports") if isinstance(spec, YMap) else None
    return ports if isinstance(ports, YList) else YList()


@rule("istio-service-port-name", "project")
def service_port_name(index: Index, ctx) -> Iterator[Finding]:
    """Istio picks a port's protocol from its name (`http-web`, `grpc`, `tcp-db`); an unnamed or
    otherwise named port is sniffed, which breaks server-first protocols and hides HTTP."""
    if not uses_istio(index):
        return
    for service in index.of_kind("Service"):
        if namespace_of(service) in SYSTEM_NAMESPACES or service.root.get("apiVersion") != "v1":
            continue
        external = service.root.path_get("spec", "type") == "ExternalName"
        for i, port in enumerate(_ports(service)):
            if not isinstance(port, YMap):
                continue
            protocol = protocol_of(port)
            if protocol is not None and not (external and str(port.get("name")) == "tcp"):
                continue
            where = port.value_span("name") if "name" in port else _ports(service).item_span(i)
            label = f"port {port.get('name')!r}" if "name" in port else f"unnamed port {port.get('port')}"
            if external:
                yield doc_hit(
                    service,
                    where,
                    f"{label} of an ExternalName Service: name it for its protocol (https, tls, http-...), "
                    "or Istio treats it as plain TCP for every host on that port",
                )
            else:
                yield at_most(
                    doc_hit(
                        service,
                        where,
                        f"{label} does not follow Istio's <protocol>[-suffix] naming (nor sets appProtocol): "
                        "Istio has to sniff the protocol",
                    ),
                    Severity.NOTE,
                )


def _in_mesh(doc: YamlDoc, namespaces: dict[str, YamlDoc]) -> bool:
    template = pod_template(doc)
    choice = pod_choice(template.metadata) if template else ""
    if choice:
        return choice == "true"
    ns = namespaces.get(namespace_of(doc))
    return ns is None or namespace_injection(ns) == "on"


def _services_of(index: Index, doc: YamlDoc, labels: dict) -> list[YamlDoc]:
    out = []
    for service in index.of_kind("Service"):
        selector = service.root.path_get("spec", "selector")
        same_ns = namespace_of(service) == namespace_of(doc)
        if (
            isinstance(selector, dict)
            and selector
            and same_ns
            and selector_matches({"matchLabels": selector}, labels)
        ):
            out.append(service)
    return out


@rule("istio-workload-service-conflict", "project")
def workload_service_conflict(index: Index, ctx) -> Iterator[Finding]:
    """Services selecting one workload must agree: one port with two protocols, or one
    targetPort behind two ports, gives the sidecar two listeners for one socket."""
    if not uses_istio(index):
        return
    namespaces = {name_of(d): d for d in index.of_kind("Namespace")}
    for doc in index.objects:
        template = pod_template(doc)
        if template is None or template.kind == "Pod" or not _in_mesh(doc, namespaces):
            continue
        services = _services_of(index, doc, template.labels)
        protocols: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        targets: dict[str, dict[str, str]] = defaultdict(dict)
        for service in services:
            for port in _ports(service):
                if not isinstance(port, YMap) or "port" not in port:
                    continue
                number = str(port["port"])
                protocols[number][str(port.get("protocol") or "TCP")].add(name_of(service))
                targets[str(port.get("targetPort") or number)][number] = name_of(service)
        for number, by_protocol in sorted(protocols.items()):
            if len(by_protocol) > 1:
                names = sorted(set().union(*by_protocol.values()))
                yield doc_hit(
                    doc,
                    name_anchor(doc),
                    f"Services {', '.join(names)} expose port {number} with different protocols "
                    f"({', '.join(sorted(by_protocol))}) for this workload",
                    [s for s in services if name_of(s) in names],
                )
        for target, ports in sorted(targets.items()):
            if len(ports) > 1:
                names = sorted(set(ports.values()))
                yield doc_hit(
                    doc,
                    name_anchor(doc),
                    f"targetPort {target} is reached through ports {', '.join(sorted(ports))} "
                    f"(Services {', '.join(names)}): the sidecar cannot tell them apart",
                    [s for s in services if name_of(s) in names],
                )
