"""ServiceEntries: TCP ports without addresses, and one host and port declared with two
protocols (istioctl's IST0134 and IST0177)."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.index import Index
from manifestlint.model import Finding, Span, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.mesh import objects
from manifestlint.rules.kubernetes.objects import name_of, namespace_of


def _ports(spec: YMap) -> Iterator[tuple[int, YList, YMap]]:
    ports = spec.get("ports")
    for i, port in enumerate(ports if isinstance(ports, YList) else ()):
        if isinstance(port, YMap):
            yield i, ports, port


def _protocol_span(ports: YList, i: int, port: YMap) -> Span:
    return port.value_span("protocol") if "protocol" in port else ports.item_span(i)


def _auto_allocated(index: Index) -> bool:
    """The project's mesh config turns on DNS capture with address auto-allocation."""
    texts = {doc.path: doc.text for doc in index.of_kind("IstioOperator", "ConfigMap")}
    return any("ISTIO_META_DNS_AUTO_ALLOCATE" in t and "ISTIO_META_DNS_CAPTURE" in t for t in texts.values())


@rule("istio-serviceentry-tcp-without-addresses", "project")
def serviceentry_tcp_without_addresses(index: Index, ctx) -> Iterator[Finding]:
    """A TCP ServiceEntry without addresses makes a listener on 0.0.0.0:<port>: every TCP
    connection to that port, whatever its destination, goes to this entry."""
    if _auto_allocated(index):
        return
    for doc, spec in objects(index, "ServiceEntry"):
        if isinstance(spec.get("addresses"), YList) and spec["addresses"]:
            continue
        if doc.root.path_get("status", "addresses"):
            continue  # addresses allocated by Istio (the object's status)
        for i, ports, port in _ports(spec):
            protocol = str(port.get("protocol") or "").upper()
            if protocol in ("", "TCP"):
                yield doc_hit(
                    doc,
                    _protocol_span(ports, i, port),
                    f"port {port.get('number')} is TCP{'' if protocol else ' (no protocol given)'} and the "
                    "entry has no addresses: it captures every TCP connection to this port",
                )


def _exported(spec: YMap, ns: str) -> set[str] | None:
    export = spec.get("exportTo")
    if not isinstance(export, YList) or not export:
        return None
    out = set()
    for item in export:
        if str(item) == "*":
            return None
        out.add(ns if str(item) == "." else str(item))
    return out


@rule("istio-serviceentry-protocol-conflict", "project")
def serviceentry_protocol_conflict(index: Index, ctx) -> Iterator[Finding]:
    """Two ServiceEntries give one host and port different protocols where both are visible:
    Istio keeps one, so the other's clients speak the wrong protocol."""
    entries = []  # (doc, host, number, protocol, span, visible)
    for doc, spec in objects(index, "ServiceEntry"):
        hosts = spec.get("hosts")
        seen = _exported(spec, namespace_of(doc))
        for i, ports, port in _ports(spec):
            protocol = str(port.get("protocol") or "TCP").upper()
            for host in hosts if isinstance(hosts, YList) else ():
                entries.append(
                    (doc, str(host), str(port.get("number")), protocol, _protocol_span(ports, i, port), seen)
                )
    for doc, host, number, protocol, span, seen in entries:
        others = [
            other
            for other, o_host, o_number, o_protocol, _, o_seen in entries
            if other is not doc
            and (o_host, o_number) == (host, number)
            and o_protocol != protocol
            and (seen is None or o_seen is None or seen & o_seen)
        ]
        if others:
            names = ", ".join(sorted({f"{namespace_of(o)}/{name_of(o)}" for o in others}))
            yield doc_hit(
                doc,
                span,
                f"{host}:{number} is {protocol} here but another protocol in ServiceEntry {names}: "
                "only one of them is used",
                list({id(o): o for o in others}.values()),
            )
