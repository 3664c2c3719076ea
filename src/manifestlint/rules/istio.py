"""Istio rules: mTLS posture, authorization, gateways, traffic policy (one object at a time).

Cross-object Istio rules (references, conflicts, policy coverage) live in `istio_project.py`;
the helpers they share (host resolution, durations, route walking) live here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from manifestlint.k8s import api_group, namespace_of
from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule

# ------------------------------------------------------------------------------ shared helpers

MESH_SUFFIX = ".svc.cluster.local"


def is_istio(doc: YamlDoc, kind: str) -> bool:
    root = doc.root
    return root.get("kind") == kind and api_group(root.get("apiVersion")).endswith("istio.io")


def istio_spec(doc: YamlDoc, kind: str) -> YMap | None:
    """The spec of an Istio object of `kind` (v1alpha3/v1beta1/v1 alike); None otherwise."""
    if not is_istio(doc, kind):
        return None
    spec = doc.root.get("spec")
    return spec if isinstance(spec, YMap) else None


def fqdn(host: Any, namespace: str) -> str:
    """A host as Istio resolves it: short names (no dot) live in the object's namespace."""
    text = str(host)
    if text == "*" or "." in text:
        return text
    return f"{text}.{namespace}{MESH_SUFFIX}"


def is_mesh_host(host: str) -> bool:
    """Whether a resolved host names a Kubernetes service (in-mesh) rather than an external one."""
    return host.endswith((MESH_SUFFIX, ".svc")) and not host.startswith("*")


def host_covers(pattern: str, host: str) -> bool:
    """Istio host matching in one direction: `*.example.com` covers `a.example.com`."""
    if pattern == "*" or pattern == host:
        return True
    return pattern.startswith("*") and host.endswith(pattern[1:])


def hosts_overlap(a: str, b: str) -> bool:
    return host_covers(a, b) or host_covers(b, a)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(value: Any) -> float | None:
    """A protobuf/Go duration (`1.5s`, `100ms`, `1m30s`) in seconds; None when unreadable."""
    text = str(value).strip()
    if not text:
        return None
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _UNIT[match.group(2)]
        pos = match.end()
    return total if pos == len(text) and pos else None


def http_routes(spec: YMap) -> Iterator[YMap]:
    items = spec.get("http")
    if isinstance(items, YList):
        for item in items:
            if isinstance(item, YMap):
                yield item


def destinations(spec: YMap) -> Iterator[YMap]:
    """Every destination mapping of a VirtualService: http/tcp/tls routes and http mirrors."""
    for section in ("http", "tcp", "tls"):
        routes = spec.get(section)
        if not isinstance(routes, YList):
            continue
        for route in routes:
            if not isinstance(route, YMap):
                continue
            entries = route.get("route")
            if isinstance(entries, YList):
                for entry in entries:
                    if isinstance(entry, YMap) and isinstance(entry.get("destination"), YMap):
                        yield entry["destination"]
            if isinstance(route.get("mirror"), YMap):
                yield route["mirror"]
            mirrors = route.get("mirrors")
            if isinstance(mirrors, YList):
                for mirror in mirrors:
                    if isinstance(mirror, YMap) and isinstance(mirror.get("destination"), YMap):
                        yield mirror["destination"]


def tls_settings(spec: YMap) -> Iterator[tuple[YMap, str]]:
    """(tls mapping, where) for a DestinationRule: top level, port level, subsets."""
    policies: list[tuple[Any, str]] = [(spec.get("trafficPolicy"), "")]
    subsets = spec.get("subsets")
    if isinstance(subsets, YList):
        for subset in subsets:
            if isinstance(subset, YMap):
                policies.append((subset.get("trafficPolicy"), f" (subset {subset.get('name')})"))
    for policy, where in policies:
        if not isinstance(policy, YMap):
            continue
        if isinstance(policy.get("tls"), YMap):
            yield policy["tls"], where
        ports = policy.get("portLevelSettings")
        if isinstance(ports, YList):
            for setting in ports:
                if isinstance(setting, YMap) and isinstance(setting.get("tls"), YMap):
                    port = setting.path_get("port", "number")
                    yield setting["tls"], f"{where} on port {port}"


def is_allow(spec: YMap) -> bool:
    return str(spec.get("action") or "ALLOW") == "ALLOW"


def sources(spec: YMap) -> Iterator[YMap]:
    """Every `from[].source` mapping of an AuthorizationPolicy's rules."""
    rules = spec.get("rules")
    if not isinstance(rules, YList):
        return
    for item in rules:
        froms = item.get("from") if isinstance(item, YMap) else None
        if isinstance(froms, YList):
            for entry in froms:
                if isinstance(entry, YMap) and isinstance(entry.get("source"), YMap):
                    yield entry["source"]


def mode_of(mapping: Any) -> str:
    return str(mapping.get("mode") or "") if isinstance(mapping, YMap) else ""


def anchor(mapping: YMap, key: str) -> Span:
    """The value of `key` when present, else the mapping's first key (missing-field anchor)."""
    return mapping.where(key) if key in mapping else mapping.start()


# ------------------------------------------------------------------------------ mTLS


@rule("istio-mtls-permissive", "kubernetes", kinds=("PeerAuthentication",))
def mtls_permissive(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "PeerAuthentication")
    if spec is None:
        return
    mtls = spec.get("mtls")
    if mode_of(mtls) == "PERMISSIVE":
        yield doc_hit(doc, mtls.value_span("mode"), "mTLS mode PERMISSIVE accepts plaintext traffic")
    ports = spec.get("portLevelMtls")
    if isinstance(ports, YMap):
        for port, setting in ports.items():
            if mode_of(setting) == "PERMISSIVE":
                yield doc_hit(
                    doc,
                    setting.value_span("mode"),
                    f"mTLS mode PERMISSIVE on port {port} accepts plaintext traffic",
                )


@rule("istio-mtls-disabled", "kubernetes", kinds=("DestinationRule", "PeerAuthentication"))
def mtls_disabled(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "PeerAuthentication")
    if spec is not None:
        mtls = spec.get("mtls")
        if mode_of(mtls) == "DISABLE":
            yield doc_hit(
                doc, mtls.value_span("mode"), "mTLS is disabled: the workloads accept only plaintext"
            )
        ports = spec.get("portLevelMtls")
        if isinstance(ports, YMap):
            for port, setting in ports.items():
                if mode_of(setting) == "DISABLE":
                    yield doc_hit(
                        doc, setting.value_span("mode"), f"mTLS is disabled on port {port}: plaintext only"
                    )
        return
    spec = istio_spec(doc, "DestinationRule")
    if spec is None or "host" not in spec:
        return
    host = fqdn(spec["host"], namespace_of(doc))
    if not is_mesh_host(host):
        return  # DISABLE toward an external host only means "no TLS origination by the proxy"
    for tls, where in tls_settings(spec):
        if mode_of(tls) == "DISABLE":
            yield doc_hit(
                doc,
                tls.value_span("mode"),
                f"TLS disabled toward in-mesh host {spec['host']}{where}: clients send plaintext",
            )


@rule("istio-dr-tls-no-server-verification", "kubernetes", kinds=("DestinationRule",))
def dr_tls_no_verification(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "DestinationRule")
    if spec is None:
        return
    selected = isinstance(spec.get("workloadSelector"), YMap)
    for tls, where in tls_settings(spec):
        if mode_of(tls) not in ("SIMPLE", "MUTUAL"):
            continue
        skip = tls.get("insecureSkipVerify")
        if skip is True or str(skip).lower() == "true":
            yield doc_hit(
                doc,
                tls.value_span("insecureSkipVerify"),
                f"insecureSkipVerify turns off server certificate verification{where}",
            )
            continue
        if tls.get("caCertificates") or (tls.get("credentialName") and selected):
            continue
        yield doc_hit(
            doc,
            tls.value_span("mode"),
            f"TLS mode {tls['mode']}{where} without caCertificates: the server certificate is "
            "checked only against the proxy's default trust store, or not at all before Istio 1.20",
        )


# ------------------------------------------------------------------------------ authorization


@rule("istio-authz-allow-all", "kubernetes", kinds=("AuthorizationPolicy",))
def authz_allow_all(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "AuthorizationPolicy")
    if spec is None or not is_allow(spec):
        return
    rules = spec.get("rules")
    if not isinstance(rules, YList):
        return
    scope = "the selected workloads" if spec.get("selector") or spec.get("targetRef") else "the namespace"
    for i, item in enumerate(rules):
        if item is None or (isinstance(item, YMap) and not any(item.get(k) for k in ("from", "to", "when"))):
            yield doc_hit(
                doc,
                rules.item_span(i),
                f"an empty ALLOW rule matches every request: all traffic to {scope} is allowed",
            )


@rule("istio-authz-deny-without-rules", "kubernetes", kinds=("AuthorizationPolicy",))
def authz_deny_without_rules(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "AuthorizationPolicy")
    if spec is None or str(spec.get("action") or "") != "DENY":
        return
    if not spec.get("rules"):
        where = spec.value_span("rules") if "rules" in spec else spec.value_span("action")
        yield doc_hit(doc, where, "a DENY policy without rules matches nothing: it denies no request")


_NEGATIVE = ("notPrincipals", "notNamespaces", "notRequestPrincipals", "notIpBlocks", "notRemoteIpBlocks")


@rule("istio-authz-negative-match", "kubernetes", kinds=("AuthorizationPolicy",))
def authz_negative_match(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "AuthorizationPolicy")
    if spec is None or not is_allow(spec):
        return
    for source in sources(spec):
        for key in _NEGATIVE:
            if key in source:
                yield doc_hit(
                    doc,
                    source.key_span(key),
                    f"ALLOW with {key} allows every caller except those listed, including "
                    "unauthenticated ones: list the callers to allow instead",
                )


# ------------------------------------------------------------------------------ gateways


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


# ------------------------------------------------------------------------------ virtual services


@rule("istio-vs-missing-timeout", "kubernetes", kinds=("VirtualService",))
def vs_missing_timeout(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "VirtualService")
    if spec is None:
        return
    for route in http_routes(spec):
        if any(k in route for k in ("timeout", "redirect", "directResponse", "delegate")):
            continue
        if "route" not in route:
            continue
        yield doc_hit(
            doc,
            route.start(),
            "HTTP route without timeout: Istio sets no deadline, a slow backend hangs callers",
        )


@rule("istio-vs-retry-policy", "kubernetes", kinds=("VirtualService",))
def vs_retry_policy(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "VirtualService")
    if spec is None:
        return
    limit = int(ctx.options.get("max-attempts", 5))
    for route in http_routes(spec):
        retries = route.get("retries")
        if not isinstance(retries, YMap):
            continue
        try:
            attempts = int(retries.get("attempts") or 0)
        except (TypeError, ValueError):
            continue
        if attempts <= 0:
            continue
        if attempts > limit:
            yield doc_hit(
                doc,
                retries.value_span("attempts"),
                f"{attempts} retry attempts multiply load on a failing backend (limit {limit})",
            )
        per_try = seconds(retries.get("perTryTimeout")) if "perTryTimeout" in retries else None
        timeout = seconds(route.get("timeout")) if "timeout" in route else None
        if "perTryTimeout" not in retries:
            if timeout is None:
                yield doc_hit(
                    doc,
                    retries.key_span("attempts"),
                    "retries without perTryTimeout or route timeout: a hung attempt is never retried",
                )
        elif per_try is not None and timeout and per_try >= timeout:
            yield doc_hit(
                doc,
                retries.value_span("perTryTimeout"),
                f"perTryTimeout {retries['perTryTimeout']} is not shorter than the route timeout "
                f"{route['timeout']}: no retry can happen",
            )


@rule("istio-vs-weights-not-100", "kubernetes", kinds=("VirtualService",))
def vs_weights(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "VirtualService")
    if spec is None:
        return
    for section in ("http", "tcp", "tls"):
        routes = spec.get(section)
        for route in routes if isinstance(routes, YList) else ():
            entries = route.get("route") if isinstance(route, YMap) else None
            if not isinstance(entries, YList) or len(entries) < 2:
                continue
            weights = [e.get("weight", 0) if isinstance(e, YMap) else 0 for e in entries]
            try:
                total = sum(int(w or 0) for w in weights)
            except (TypeError, ValueError, OverflowError):  # `weight: .inf`
                continue
            if total != 100:
                yield doc_hit(
                    doc,
                    route.key_span("route"),
                    f"destination weights sum to {total}, not 100: Istio rejects the split (older "
                    "releases) or rescales it, so the traffic shares are not the numbers written",
                )


# ------------------------------------------------------------------------------ destination rules


def _has_circuit_breaking(policy: Any) -> bool:
    if not isinstance(policy, YMap):
        return False
    if policy.get("outlierDetection") or policy.get("connectionPool"):
        return True
    ports = policy.get("portLevelSettings")
    return isinstance(ports, YList) and any(
        isinstance(p, YMap) and (p.get("outlierDetection") or p.get("connectionPool")) for p in ports
    )


@rule("istio-dr-missing-circuit-breaker", "kubernetes", kinds=("DestinationRule",))
def dr_missing_circuit_breaker(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "DestinationRule")
    if spec is None or "host" not in spec:
        return
    if _has_circuit_breaking(spec.get("trafficPolicy")):
        return
    subsets = spec.get("subsets")
    if (
        isinstance(subsets, YList)
        and subsets
        and all(isinstance(s, YMap) and _has_circuit_breaking(s.get("trafficPolicy")) for s in subsets)
    ):
        return
    where = spec.key_span("trafficPolicy") if "trafficPolicy" in spec else spec.value_span("host")
    yield doc_hit(
        doc,
        where,
        f"no outlierDetection or connectionPool for {spec['host']}: failing endpoints stay in "
        "rotation and requests queue without bound",
    )
