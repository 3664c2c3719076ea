"""Gateways: TLS on their servers, host wildcards, and a selector that reaches a gateway workload."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.index import Index
from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.common import hosts_overlap, istio_spec, mode_of
from manifestlint.rules.istio.mesh import Workload, objects, workloads
from manifestlint.rules.kubernetes.objects import (
    containers,
    pod_template,
    selector_matches,
)


def _servers(spec: YMap) -> Iterator[YMap]:
    servers = spec.get("servers")
    if isinstance(servers, YList):
        for server in servers:
            if isinstance(server, YMap):
                yield server


def _protocol(server: YMap) -> str:
    return str(server.path_get("port", "protocol") or "").upper()


def _server_hosts(server: YMap) -> list[str]:
    hosts = server.get("hosts")
    # a host may carry a namespace prefix (`ns/host`): the exposure is about the host part
    return [str(h).split("/", 1)[-1] for h in hosts] if isinstance(hosts, YList) else []


@rule("istio-gateway-without-tls", "kubernetes", kinds=("Gateway",))
def gateway_without_tls(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "Gateway")
    if spec is None:
        return
    servers = list(_servers(spec))
    secure_hosts = [h for s in servers if _protocol(s) == "HTTPS" for h in _server_hosts(s)]
    for server in servers:
        protocol = _protocol(server)
        tls = server.get("tls")
        if protocol in ("HTTPS", "TLS") and not isinstance(tls, YMap):
            yield doc_hit(
                doc, server.path_get("port").value_span("protocol"), f"{protocol} server without tls settings"
            )
        elif protocol in ("HTTP", "HTTP2") and not (isinstance(tls, YMap) and tls.get("httpsRedirect")):
            shared = [h for h in _server_hosts(server) if any(hosts_overlap(h, s) for s in secure_hosts)]
            if shared:
                yield doc_hit(
                    doc,
                    server.path_get("port").value_span("protocol"),
                    f"plain-HTTP server for {', '.join(shared)}, also served over HTTPS, without "
                    "tls.httpsRedirect: clients can stay on plaintext",
                )


_WEAK_TLS = {"TLS_AUTO", "TLSV1_0", "TLSV1_1"}


@rule("istio-gateway-weak-tls", "kubernetes", kinds=("Gateway",))
def gateway_weak_tls(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "Gateway")
    if spec is None:
        return
    for server in _servers(spec):
        tls = server.get("tls")
        if not isinstance(tls, YMap):
            continue
        version = str(tls.get("minProtocolVersion") or "")
        if version in _WEAK_TLS - {"TLS_AUTO"}:
            yield doc_hit(
                doc,
                tls.value_span("minProtocolVersion"),
                f"minProtocolVersion {version} allows deprecated TLS versions (RFC 8996): use TLSV1_2",
            )
        top = str(tls.get("maxProtocolVersion") or "")
        if top in _WEAK_TLS - {"TLS_AUTO"}:
            yield doc_hit(
                doc, tls.value_span("maxProtocolVersion"), f"maxProtocolVersion {top} caps TLS below 1.2"
            )
        mode = mode_of(tls)
        has_cert = tls.get("credentialName") or tls.get("credentialNames")
        has_cert = has_cert or (tls.get("serverCertificate") and tls.get("privateKey"))
        if mode in ("SIMPLE", "MUTUAL") and not has_cert:
            yield doc_hit(
                doc,
                tls.value_span("mode"),
                f"tls mode {mode} without credentialName (or serverCertificate and privateKey): "
                "the server has no certificate",
            )


@rule("istio-gateway-wildcard-host", "kubernetes", kinds=("Gateway",))
def gateway_wildcard_host(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "Gateway")
    if spec is None:
        return
    for server in _servers(spec):
        hosts = server.get("hosts")
        if not isinstance(hosts, YList):
            continue
        for i, host in enumerate(hosts):
            if str(host).split("/", 1)[-1] == "*":
                yield doc_hit(
                    doc,
                    hosts.item_span(i),
                    "hosts '*' accepts any Host header: name the hostnames this gateway serves",
                )


def _is_gateway_workload(work: Workload) -> bool:
    value = str(work.labels.get("istio", ""))
    if "gateway" in value or "gateway.istio.io/managed" in work.labels:
        return True
    template = pod_template(work.doc)
    for container, _ in containers(template.spec) if template else ():
        if "proxyv2" in str(container.get("image", "")) or container.get("name") == "istio-proxy":
            return True
    return False


@rule("istio-gateway-selector-matches-nothing", "project")
def gateway_selector_matches_nothing(index: Index, ctx) -> Iterator[Finding]:
    gateways = [w for w in workloads(index) if _is_gateway_workload(w)]
    if not gateways:
        return  # gateway deployments come from the Istio installation, outside the project
    for doc, spec in objects(index, "Gateway"):
        selector = spec.get("selector")
        if not isinstance(selector, dict) or not selector:
            continue
        if any(selector_matches(selector, w.labels) for w in workloads(index)):
            continue
        yield doc_hit(
            doc,
            spec.key_span("selector"),
            "selector matches none of the gateway workloads this project defines: "
            "no proxy serves this Gateway",
        )
