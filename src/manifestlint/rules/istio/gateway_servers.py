"""Gateway servers across objects: two Gateways claiming one port and host, one certificate in
several Gateways, ports the gateway's Service does not expose, and credentialName Secrets
(istioctl's IST0145, IST0138, IST0162, IST0101 for credentialName and IST0161).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from manifestlint.index import Index
from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.common import hosts_overlap
from manifestlint.rules.istio.mesh import objects, root_ns
from manifestlint.rules.istio.selectors import pod_labels
from manifestlint.rules.istio.x509 import not_after
from manifestlint.rules.kubernetes.objects import name_of, namespace_of, selector_matches

# The labels of the gateways Istio's installer creates (in its root namespace).
INSTALLER_GATEWAYS = ({"istio": "ingressgateway"}, {"istio": "egressgateway"})
CERT_KEYS = (("tls.crt", "tls.key"), ("cert", "key"))


def _servers(spec: YMap) -> Iterator[YMap]:
    items = spec.get("servers")
    for server in items if isinstance(items, YList) else ():
        if isinstance(server, YMap):
            yield server


def _port(server: YMap) -> tuple[Any, Span] | None:
    port = server.get("port")
    if isinstance(port, YMap) and "number" in port:
        return str(port["number"]), port.value_span("number")
    return None


def _hosts(server: YMap) -> list[str]:
    hosts = server.get("hosts")
    return [str(h).split("/", 1)[-1] for h in hosts] if isinstance(hosts, YList) else []


def _selector(spec: YMap) -> dict:
    selector = spec.get("selector")
    return {str(k): str(v) for k, v in selector.items()} if isinstance(selector, dict) else {}


def _subset(a: dict, b: dict) -> bool:
    return all(b.get(k) == v for k, v in a.items())


def _same_workload(a: dict, b: dict, pods: list[tuple[YamlDoc, str, dict]]) -> bool:
    """Whether two gateway selectors reach a common pod: by the project's pods where one
    matches both, else when one selector is a subset of the other (every pod of the larger
    one has both)."""
    both = [
        p
        for p in pods
        if selector_matches({"matchLabels": a}, p[2]) and selector_matches({"matchLabels": b}, p[2])
    ]
    return bool(both) or _subset(a, b) or _subset(b, a)


@rule("istio-gateway-conflict", "project")
def gateway_conflict(index: Index, ctx) -> Iterator[Finding]:
    """Two Gateways on one workload, port and host: the listener takes one server's settings."""
    pods = pod_labels(index)
    entries = []  # (doc, selector, port, span, hosts)
    for doc, spec in objects(index, "Gateway"):
        selector = _selector(spec)
        for server in _servers(spec):
            port = _port(server)
            if port is not None:
                entries.append((doc, selector, port[0], port[1], _hosts(server)))
    for doc, selector, port, span, hosts in entries:
        others = [
            other
            for other, o_sel, o_port, _, o_hosts in entries
            if other is not doc
            and o_port == port
            and any(hosts_overlap(h, o) for h in hosts for o in o_hosts)
            and _same_workload(selector, o_sel, pods)
        ]
        if others:
            names = ", ".join(sorted({f"{namespace_of(o)}/{name_of(o)}" for o in others}))
            yield doc_hit(
                doc,
                span,
                f"port {port} with hosts {', '.join(hosts)} is also served by Gateway {names} on the same "
                "workload: only one server's settings apply",
                list({id(o): o for o in others}.values()),
            )


def _certificate(server: YMap) -> tuple[str, Span] | None:
    tls = server.get("tls")
    if not isinstance(tls, YMap):
        return None
    if tls.get("credentialName"):
        return f"secret {tls['credentialName']}", tls.value_span("credentialName")
    if tls.get("serverCertificate") and tls.get("privateKey"):
        return f"file {tls['serverCertificate']}", tls.value_span("serverCertificate")
    return None


@rule("istio-gateway-shared-certificate", "project")
def gateway_shared_certificate(index: Index, ctx) -> Iterator[Finding]:
    """One certificate in two Gateways of one workload: browsers reuse the HTTP/2 connection
    for every host of the certificate, and requests reaching the other Gateway's host get 404."""
    pods = pod_labels(index)
    entries = []
    for doc, spec in objects(index, "Gateway"):
        for server in _servers(spec):
            cert = _certificate(server)
            if cert is not None:
                entries.append((doc, _selector(spec), cert[0], cert[1]))
    for doc, selector, cert, span in entries:
        others = {
            id(other): other
            for other, o_sel, o_cert, _ in entries
            if other is not doc and o_cert == cert and _same_workload(selector, o_sel, pods)
        }
        if others:
            names = ", ".join(sorted(f"{namespace_of(o)}/{name_of(o)}" for o in others.values()))
            yield doc_hit(
                doc,
                span,
                f"{cert} is also used by Gateway {names} on the same workload: clients reusing a connection "
                "across hosts get 404 (HTTP/2 connection coalescing)",
                list(others.values()),
            )


def _selected(spec: YMap, pods: list[tuple[YamlDoc, str, dict]]) -> list[tuple[YamlDoc, str, dict]]:
    selector = _selector(spec)
    return [p for p in pods if selector and selector_matches({"matchLabels": selector}, p[2])]


def _service_ports(index: Index, selected: list[tuple[YamlDoc, str, dict]]) -> set[str] | None:
    """TCP ports (and numeric targetPorts) of the Services selecting the gateway's pods; None
    when no Service selects them."""
    ports: set[str] = set()
    found = False
    for service in index.of_kind("Service"):
        spec = service.root.get("spec")
        selector = spec.get("selector") if isinstance(spec, YMap) else None
        if not isinstance(selector, dict) or not selector:
            continue
        if not any(ns == namespace_of(service) and selector_matches({"matchLabels": selector}, labels)
                   for _, ns, labels in selected):  # fmt: skip
            continue
        found = True
        for port in spec.get("ports") or () if isinstance(spec.get("ports"), YList) else ():
            if isinstance(port, YMap) and str(port.get("protocol") or "TCP") == "TCP":
                ports.add(str(port.get("port")))
                if str(port.get("targetPort", "")).isdigit():  # the pod's port Istio also accepts
                    ports.add(str(port["targetPort"]))
    return ports if found else None


@rule("istio-gateway-port-not-exposed", "project")
def gateway_port_not_exposed(index: Index, ctx) -> Iterator[Finding]:
    """A server port that no Service of the gateway workload exposes is unreachable from outside."""
    pods = pod_labels(index)
    for doc, spec in objects(index, "Gateway"):
        selected = _selected(spec, pods)
        if not selected:
            continue  # the workload is not in the project (istio-gateway-selector-matches-nothing)
        ports = _service_ports(index, selected)
        if ports is None:
            continue  # no Service in the project: it may come from the installation
        for server in _servers(spec):
            port = _port(server)
            if port is not None and port[0] not in ports:
                yield doc_hit(
                    doc,
                    port[1],
                    f"port {port[0]} is not exposed by the gateway workload's Service "
                    f"(TCP ports {', '.join(sorted(ports, key=lambda p: (len(p), p))) or 'none'}): "
                    "clients cannot reach this server",
                )


def gateway_namespace(spec: YMap, pods: list, root: str) -> str | None:
    """Where the gateway workload runs (its credentials must be there); None when unknown."""
    selected = _selected(spec, pods)
    if selected:
        return selected[0][1]
    if _selector(spec) in INSTALLER_GATEWAYS:
        return root
    return None


def _decoded(secret: YMap, key: str) -> str | None:
    data, plain = secret.get("data"), secret.get("stringData")
    if isinstance(plain, dict) and key in plain:
        return str(plain[key])
    if isinstance(data, dict) and key in data:
        try:
            return base64.b64decode(str(data[key]), validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return ""
    return None


def _credential_problem(secret: YamlDoc) -> str | None:
    """Why Istio cannot serve this Secret as a server certificate; None when it can."""
    root = secret.root
    keys = set()
    for field in ("data", "stringData"):
        if isinstance(root.get(field), dict):
            keys |= {str(k) for k in root[field]}
    pair = next((p for p in CERT_KEYS if set(p) <= keys), None)
    if pair is None:
        return f"has keys {', '.join(sorted(keys)) or 'none'}, not tls.crt and tls.key (or cert and key)"
    cert = _decoded(root, pair[0])
    if cert is not None and "-----BEGIN CERTIFICATE-----" not in cert and "$" not in cert:
        return f"{pair[0]} is not a PEM certificate"
    expiry = not_after(cert) if cert else None
    if expiry is not None and expiry < datetime.now(timezone.utc):
        return f"{pair[0]} expired on {expiry:%Y-%m-%d}"
    return None


@rule("istio-gateway-credential", "project")
def gateway_credential(index: Index, ctx) -> Iterator[Finding]:
    """credentialName names a Secret of the gateway workload's namespace: missing or malformed,
    the server has no certificate and its TLS handshakes fail."""
    pods = pod_labels(index)
    root = root_ns(ctx)
    for doc, spec in objects(index, "Gateway"):
        ns = gateway_namespace(spec, pods, root)
        if ns is None:
            continue
        for server in _servers(spec):
            tls = server.get("tls")
            if not isinstance(tls, YMap) or not tls.get("credentialName"):
                continue
            name = str(tls["credentialName"])
            secret = index.get("Secret", ns, name)
            if secret is None:
                if any(namespace_of(s) == ns for s in index.of_kind("Secret")):
                    yield doc_hit(
                        doc,
                        tls.value_span("credentialName"),
                        f"no Secret {name} in namespace {ns}, where the gateway workload runs: "
                        "TLS handshakes on this server fail",
                    )
                continue
            problem = _credential_problem(secret)
            if problem is not None:
                yield doc_hit(
                    doc,
                    tls.value_span("credentialName"),
                    f"Secret {ns}/{name} {problem}: Istio cannot use it",
                    [secret],
                )
