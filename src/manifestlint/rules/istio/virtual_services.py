"""VirtualServices: timeouts, retries, weights, and the gateways, hosts and subsets they name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from manifestlint.index import Index
from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.common import fqdn, host_covers, hosts_overlap, is_istio, istio_spec
from manifestlint.rules.istio.mesh import ns_from_fqdn, objects, root_ns, service_of
from manifestlint.rules.kubernetes.objects import (
    name_of,
    namespace_of,
)

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


def _gateway_refs(spec: YMap) -> Iterator[tuple[YList, int, str]]:
    """(list, index, name) for every gateway a VirtualService (or one of its matches) names."""
    lists = [spec.get("gateways")]
    for section in ("http", "tcp", "tls"):
        for route in spec.get(section) or () if isinstance(spec.get(section), YList) else ():
            for match in route.get("match") or () if isinstance(route, YMap) else ():
                if isinstance(match, YMap):
                    lists.append(match.get("gateways"))
    for items in lists:
        if isinstance(items, YList):
            for i, name in enumerate(items):
                yield items, i, str(name)


def gateway_key(ref: str, namespace: str) -> tuple[str, str]:
    """(namespace, name) of a gateway reference: `ns/name`, `name`, or `name.ns.svc.cluster.local`."""
    if "/" in ref:
        ns, name = ref.split("/", 1)
        return ns, name
    if "." in ref:
        parts = ref.split(".")
        return parts[1], parts[0]
    return namespace, ref


@rule("istio-vs-unknown-gateway", "project")
def vs_unknown_gateway(index: Index, ctx) -> Iterator[Finding]:
    for doc, spec in objects(index, "VirtualService"):
        for items, i, ref in _gateway_refs(spec):
            if ref == "mesh":
                continue
            ns, name = gateway_key(ref, namespace_of(doc))
            if index.get("Gateway", ns, name) is not None:
                continue
            yield doc_hit(doc, items.item_span(i), f"no Gateway {ns}/{name} is defined in the project")


def _server_hosts(gateway: YMap) -> list[tuple[str, str]]:
    """(namespace filter, host) of every server of an Istio Gateway."""
    out = []
    for server in gateway.get("servers") or () if isinstance(gateway.get("servers"), YList) else ():
        hosts = server.get("hosts") if isinstance(server, YMap) else None
        for host in hosts if isinstance(hosts, YList) else ():
            ns, _, name = str(host).rpartition("/")
            out.append((ns or "*", name))
    return out


@rule("istio-vs-host-not-in-gateway", "project")
def vs_host_not_in_gateway(index: Index, ctx) -> Iterator[Finding]:
    """A bound Gateway that serves none of the VirtualService's hosts (istioctl's IST0132), and,
    without `mesh`, a host that none of the bound Gateways serves (routed nowhere)."""
    for doc, spec in objects(index, "VirtualService"):
        hosts, refs = spec.get("hosts"), spec.get("gateways")
        if not isinstance(hosts, YList) or not isinstance(refs, YList):
            continue
        vs_ns = namespace_of(doc)
        offered: list[str] = []
        judged = True
        for i, ref in enumerate(refs):
            if str(ref) == "mesh":
                continue
            gw_ns, gw_name = gateway_key(str(ref), vs_ns)
            gateway = index.get("Gateway", gw_ns, gw_name)
            gw_spec = gateway.root.get("spec") if gateway is not None else None
            if gateway is None or not is_istio(gateway, "Gateway") or not isinstance(gw_spec, YMap):
                judged = False  # unknown (istio-vs-unknown-gateway's) or a Gateway API gateway
                continue
            served = [
                name
                for ns, name in _server_hosts(gw_spec)
                if ns in ("*", vs_ns) or (ns == "." and vs_ns == gw_ns)
            ]
            offered.extend(served)
            if not any(hosts_overlap(str(h), name) for h in hosts for name in served):
                yield doc_hit(
                    doc,
                    refs.item_span(i),
                    f"Gateway {gw_ns}/{gw_name} serves none of this VirtualService's hosts: "
                    "the binding routes nothing",
                    [gateway],
                )
        if not judged or "mesh" in [str(r) for r in refs]:
            continue
        for i, host in enumerate(hosts):
            if not any(hosts_overlap(str(host), name) for name in offered):
                yield doc_hit(
                    doc,
                    hosts.item_span(i),
                    f"host {host} is served by none of the bound Gateways: its routes apply nowhere",
                )


def _subsets_by_host(index: Index) -> list[tuple[str, set[str], YamlDoc]]:
    out = []
    for doc, spec in objects(index, "DestinationRule"):
        if "host" not in spec:
            continue
        subsets = spec.get("subsets")
        names = {
            str(s.get("name")) for s in (subsets if isinstance(subsets, YList) else ()) if isinstance(s, YMap)
        }
        out.append((fqdn(spec["host"], namespace_of(doc)), names, doc))
    return out


@rule("istio-vs-unknown-subset", "project")
def vs_unknown_subset(index: Index, ctx) -> Iterator[Finding]:
    rules = _subsets_by_host(index)
    for doc, spec in objects(index, "VirtualService"):
        for dest in destinations(spec):
            if "subset" not in dest or "host" not in dest:
                continue
            host = fqdn(dest["host"], namespace_of(doc))
            covering = [(names, rule_doc) for pattern, names, rule_doc in rules if host_covers(pattern, host)]
            defined = set().union(*(names for names, _ in covering))
            if str(dest["subset"]) not in defined:
                found = (
                    "no DestinationRule for this host"
                    if not covering
                    else f"DestinationRules for {dest['host']} define {', '.join(sorted(defined)) or 'none'}"
                )
                yield doc_hit(
                    doc,
                    dest.value_span("subset"),
                    f"subset {dest['subset']} of {dest['host']} is not defined ({found}): "
                    "requests fail with 503",
                    [rule_doc for _, rule_doc in covering],
                )


def service_entry_hosts(index: Index) -> list[tuple[str, set[str] | None]]:
    """(host, namespaces it is exported to or None for all) of every ServiceEntry."""
    out = []
    for doc, spec in objects(index, "ServiceEntry"):
        hosts = spec.get("hosts")
        seen = _visible_in(spec, namespace_of(doc))
        out.extend((fqdn(h, namespace_of(doc)), seen) for h in hosts if isinstance(hosts, YList))
    return out


def unknown_mesh_host(index: Index, host: str, entries: list[str], root: str) -> str | None:
    """The namespace of an in-mesh host the project should define but does not; None if fine.

    The root namespace is exempt: istiod and the gateways' Services come from the installation."""
    ns = ns_from_fqdn(host)
    if ns is None or ns == root or not index.of_kind("Service"):
        return None
    if not any(namespace_of(s) == ns for s in index.of_kind("Service")):
        return None  # the project defines no Service there: it cannot tell
    if service_of(index, host) is not None or any(host_covers(e, host) for e in entries):
        return None
    return ns


@rule("istio-vs-unknown-host", "project")
def vs_unknown_host(index: Index, ctx) -> Iterator[Finding]:
    entries = service_entry_hosts(index)
    for doc, spec in objects(index, "VirtualService"):
        for dest in destinations(spec):
            if "host" not in dest:
                continue
            vs_ns = namespace_of(doc)
            host = fqdn(dest["host"], vs_ns)
            visible = [h for h, seen in entries if seen is None or vs_ns in seen]
            ns = unknown_mesh_host(index, host, visible, root_ns(ctx))
            if ns is not None:
                yield doc_hit(
                    doc,
                    dest.value_span("host"),
                    f"no Service {host.split('.', 1)[0]} in namespace {ns} (nor a ServiceEntry): "
                    "requests fail",
                )


def _mesh_bound(spec: YMap) -> bool:
    gateways = spec.get("gateways")
    return not isinstance(gateways, YList) or not gateways or "mesh" in [str(g) for g in gateways]


def _visible_in(spec: YMap, ns: str) -> set[str] | None:
    """Namespaces an object is exported to; None for everywhere."""
    export = spec.get("exportTo")
    if not isinstance(export, YList) or not export:
        return None
    out = set()
    for item in export:
        text = str(item)
        if text == "*":
            return None
        out.add(ns if text == "." else text)
    return out


@rule("istio-vs-conflicting", "project")
def vs_conflicting(index: Index, ctx) -> Iterator[Finding]:
    entries = []  # (doc, hosts list, item index, resolved host, visibility)
    for doc, spec in objects(index, "VirtualService"):
        hosts = spec.get("hosts")
        if not _mesh_bound(spec) or not isinstance(hosts, YList):
            continue
        ns = namespace_of(doc)
        for i, host in enumerate(hosts):
            entries.append((doc, hosts, i, fqdn(host, ns), _visible_in(spec, ns)))
    for doc, hosts, i, host, seen in entries:
        others = []
        for other, _, _, other_host, other_seen in entries:
            if other is doc or not hosts_overlap(host, other_host):
                continue
            if seen is not None and other_seen is not None and not (seen & other_seen):
                continue
            others.append(other)
        if others:
            names = sorted({f"{namespace_of(other)}/{name_of(other)}" for other in others})
            yield doc_hit(
                doc,
                hosts.item_span(i),
                f"host {hosts[i]} is also routed for the mesh by VirtualService "
                f"{', '.join(names)}: "
                "only one of them takes effect",
                list({id(other): other for other in others}.values()),
            )
