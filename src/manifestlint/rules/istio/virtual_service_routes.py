"""VirtualService routes in order and against what they route to: rules no request reaches,
matches an earlier one already takes, multi-port destinations without a port, gateway routes
that bypass the mesh's subset routing, JWT-claim matches without a RequestAuthentication
(istioctl's IST0130, IST0131, IST0112, IST0140, IST0149).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manifestlint.index import Index
from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.common import fqdn
from manifestlint.rules.istio.gateway_servers import gateway_namespace
from manifestlint.rules.istio.mesh import objects, root_ns, service_of
from manifestlint.rules.istio.selectors import pod_labels
from manifestlint.rules.istio.virtual_services import destinations, gateway_key
from manifestlint.rules.kubernetes.objects import name_of, namespace_of

CLAIM_PREFIX = "@request.auth.claims."


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value)


def _prefix_under(earlier: Any, later: Any) -> bool:
    """`later` is a URI prefix match under `earlier`'s prefix."""
    if not (isinstance(earlier, dict) and isinstance(later, dict)):
        return False
    if list(earlier) != ["prefix"] or list(later) != ["prefix"]:
        return False
    return str(later["prefix"]).startswith(str(earlier["prefix"]))


def _covers(earlier: dict, later: dict) -> bool:
    """Every request `later` matches, `earlier` matches too (its conditions are a subset of
    later's; a URI prefix covers longer prefixes)."""
    for key, value in earlier.items():
        if key == "name":
            continue
        other = later.get(key)
        if key == "uri" and _prefix_under(value, other):
            continue
        if other != value:
            return False
    return True


def _routes(spec: YMap) -> Iterator[tuple[str, YList]]:
    for section in ("http", "tcp", "tls"):
        items = spec.get(section)
        if isinstance(items, YList):
            yield section, items


def _label(route: YMap, i: int, section: str) -> str:
    return f"{section} route {route.get('name')!r}" if route.get("name") else f"{section} route #{i + 1}"


def _route_findings(section: str, items: YList) -> Iterator[tuple[Span, str]]:
    seen: list[tuple[dict, str]] = []  # (match, label of its route)
    catch_all: str | None = None
    for i, route in enumerate(items):
        if not isinstance(route, YMap):
            continue
        label = _label(route, i, section)
        matches = route.get("match")
        if not isinstance(matches, YList) or not matches:
            if catch_all is not None:
                yield (
                    items.item_span(i),
                    f"{label} is unreachable: {catch_all} has no match and takes every request",
                )
            catch_all = catch_all or label
            continue
        if catch_all is not None:
            yield route.key_span("match"), f"{label} is unreachable: {catch_all} before it has no match"
            continue
        covered = []
        for j, match in enumerate(matches):
            plain = _plain(match) if isinstance(match, dict) else {}
            earlier = next((where for m, where in seen if _covers(m, plain)), None)
            if earlier is not None:
                covered.append((j, earlier))
            seen.append((plain, label))
        if covered and len(covered) == len(matches):
            yield (
                route.key_span("match"),
                f"{label} is unreachable: {covered[0][1]} already takes all its matches",
            )
        else:
            for j, earlier in covered:
                yield (
                    matches.item_span(j),
                    f"this match of {label} never applies: {earlier} already takes its requests",
                )


@rule("istio-vs-unreachable-route", "kubernetes", kinds=("VirtualService",))
def vs_unreachable_route(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Istio tries routes in order and stops at the first match: a route or match after one that
    takes the same requests is dead configuration, usually a mistake in ordering."""
    spec = doc.root.get("spec")
    if not isinstance(spec, YMap) or not str(doc.root.get("apiVersion", "")).startswith(
        "networking.istio.io"
    ):
        return
    for section, items in _routes(spec):
        for span, message in _route_findings(section, items):
            yield doc_hit(doc, span, message)


def _service_ports(service: YamlDoc) -> list[str]:
    ports = service.root.path_get("spec", "ports")
    return [str(p.get("port")) for p in ports if isinstance(p, dict)] if isinstance(ports, YList) else []


@rule("istio-vs-destination-port-missing", "project")
def vs_destination_port_missing(index: Index, ctx) -> Iterator[Finding]:
    """A destination to a Service with several ports must say which port: Istio cannot choose."""
    for doc, spec in objects(index, "VirtualService"):
        for dest in destinations(spec):
            if "host" not in dest or "port" in dest:
                continue
            service = service_of(index, fqdn(dest["host"], namespace_of(doc)))
            ports = _service_ports(service) if service is not None else []
            if len(ports) > 1:
                yield doc_hit(
                    doc,
                    dest.value_span("host"),
                    f"Service {dest['host']} has ports {', '.join(ports)} and this destination names none: "
                    "set destination.port",
                    [service],
                )


def _subset_routed(index: Index) -> dict[str, str]:
    """host -> VirtualService that routes it by subset for its own host."""
    out = {}
    for doc, spec in objects(index, "VirtualService"):
        hosts = spec.get("hosts")
        own = {fqdn(h, namespace_of(doc)) for h in hosts} if isinstance(hosts, YList) else set()
        for dest in destinations(spec):
            if "subset" in dest and "host" in dest:
                host = fqdn(dest["host"], namespace_of(doc))
                if host in own:
                    out.setdefault(host, f"{namespace_of(doc)}/{name_of(doc)}")
    return out


@rule("istio-vs-gateway-route-skips-subsets", "project")
def vs_gateway_route_skips_subsets(index: Index, ctx) -> Iterator[Finding]:
    """A gateway route to a host goes straight to its Service: the subset routing of the host's
    own (mesh) VirtualService does not apply to it."""
    routed = _subset_routed(index)
    if not routed:
        return
    for doc, spec in objects(index, "VirtualService"):
        gateways = spec.get("gateways")
        if not isinstance(gateways, YList) or not [g for g in gateways if str(g) != "mesh"]:
            continue
        for route in spec.get("http") or () if isinstance(spec.get("http"), YList) else ():
            entries = route.get("route") if isinstance(route, YMap) else None
            for entry in entries if isinstance(entries, YList) else ():
                dest = entry.get("destination") if isinstance(entry, YMap) else None
                if not isinstance(dest, YMap) or "host" not in dest or "subset" in dest:
                    continue
                other = routed.get(fqdn(dest["host"], namespace_of(doc)))
                if other is not None and other != f"{namespace_of(doc)}/{name_of(doc)}":
                    yield doc_hit(
                        doc,
                        dest.value_span("host"),
                        f"{dest['host']} is routed by subset in VirtualService {other}, but those rules "
                        "do not apply to traffic from this gateway route: name the subset here",
                    )


def _claim_matches(spec: YMap) -> Iterator[tuple[YMap, str]]:
    for route in spec.get("http") or () if isinstance(spec.get("http"), YList) else ():
        matches = route.get("match") if isinstance(route, YMap) else None
        for match in matches if isinstance(matches, YList) else ():
            headers = match.get("headers") if isinstance(match, YMap) else None
            for key in headers if isinstance(headers, YMap) else ():
                if str(key).startswith(CLAIM_PREFIX):
                    yield headers, str(key)


def _authenticated(index: Index, gateway: YamlDoc, pods: list, root: str) -> bool:
    """A RequestAuthentication applies to the gateway's workload (its namespace, or the root
    namespace; no selector, or one the gateway's selector satisfies)."""
    spec = gateway.root.get("spec")
    selector = spec.get("selector") if isinstance(spec, YMap) else None
    labels = {str(k): str(v) for k, v in selector.items()} if isinstance(selector, dict) else {}
    ns = gateway_namespace(spec, pods, root) if isinstance(spec, YMap) else None
    for doc, ra in objects(index, "RequestAuthentication"):
        if namespace_of(doc) not in (ns, root, namespace_of(gateway)):
            continue
        wanted = ra.path_get("selector", "matchLabels")
        if not isinstance(wanted, dict) or all(labels.get(str(k)) == str(v) for k, v in wanted.items()):
            return True
    return False


@rule("istio-vs-jwt-claim-without-requestauthn", "project")
def vs_jwt_claim_without_requestauthn(index: Index, ctx) -> Iterator[Finding]:
    """Routing on `@request.auth.claims.*` needs a RequestAuthentication on the gateway: without
    one no claim is ever set and the route never matches."""
    root = root_ns(ctx)
    pods = pod_labels(index)
    for doc, spec in objects(index, "VirtualService"):
        claims = list(_claim_matches(spec))
        gateways = spec.get("gateways")
        if not claims or not isinstance(gateways, YList):
            continue
        bare = []
        for ref in gateways:
            if str(ref) == "mesh":
                continue
            gateway = index.get("Gateway", *gateway_key(str(ref), namespace_of(doc)))
            if gateway is not None and not _authenticated(index, gateway, pods, root):
                bare.append(f"{namespace_of(gateway)}/{name_of(gateway)}")
        if bare:
            for headers, key in claims:
                yield doc_hit(
                    doc,
                    headers.key_span(key),
                    f"{key} is matched, but no RequestAuthentication applies to Gateway {', '.join(bare)}: "
                    "the claim is never set and this match never applies",
                )
