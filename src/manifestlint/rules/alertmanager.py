"""Alertmanager rules: what Alertmanager refuses to load, and routing good practice."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule


def walk_routes(route: YMap, depth: int = 0) -> Iterator[tuple[YMap, int]]:
    """The route tree, parents first."""
    yield route, depth
    children = route.get("routes")
    if isinstance(children, YList):
        for child in children:
            if isinstance(child, YMap):
                yield from walk_routes(child, depth + 1)


def receiver_names(config: YMap) -> set[str]:
    receivers = config.get("receivers")
    if not isinstance(receivers, YList):
        return set()
    return {str(r.get("name")) for r in receivers if isinstance(r, YMap) and r.get("name") is not None}


@rule("alertmanager-undefined-receiver", "alertmanager")
def undefined_receiver(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    route = root.get("route")
    if not isinstance(route, YMap):
        return
    names = receiver_names(root)
    for node, _depth in walk_routes(route):
        receiver = node.get("receiver")
        if receiver is not None and str(receiver) not in names:
            yield doc_hit(
                doc,
                node.value_span("receiver"),
                f"undefined receiver {receiver!r} used in route; Alertmanager refuses to load this",
            )
