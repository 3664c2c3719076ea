"""The routing tree: receivers that are undefined or unused, grouping, repeat intervals, inhibition."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.alertmanager.common import _receivers, _routes
from manifestlint.rules.prometheus.common import duration_seconds


def receiver_names(config: YMap) -> set[str]:
    receivers = config.get("receivers")
    if not isinstance(receivers, YList):
        return set()
    return {str(r.get("name")) for r in receivers if isinstance(r, YMap) and r.get("name") is not None}


@rule("alertmanager-undefined-receiver", "alertmanager")
def undefined_receiver(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    names = receiver_names(root)
    for node, _depth in _routes(root):
        receiver = node.get("receiver")
        if receiver is not None and str(receiver) not in names:
            yield doc_hit(
                doc,
                node.value_span("receiver"),
                f"undefined receiver {receiver!r} used in route; Alertmanager refuses to load this",
            )


@rule("alertmanager-missing-inhibit-rules", "alertmanager")
def missing_inhibit_rules(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    if root.get("inhibit_rules") or not isinstance(root.get("route"), YMap):
        return
    yield doc_hit(
        doc,
        root.key_span("route"),
        "no inhibit_rules: a firing critical alert does not silence the warnings it explains",
    )


@rule("alertmanager-inhibit-without-equal", "alertmanager")
def inhibit_without_equal(doc: YamlDoc, ctx) -> Iterator[Finding]:
    inhibits = doc.root.get("inhibit_rules")
    for inhibit in inhibits if isinstance(inhibits, YList) else ():
        if isinstance(inhibit, YMap) and not inhibit.get("equal"):
            yield doc_hit(
                doc,
                inhibit.start(),
                "inhibit rule without 'equal': one source alert anywhere "
                "(any cluster, any service) silences every matching target alert",
            )


@rule("alertmanager-unused-receiver", "alertmanager")
def unused_receiver(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    if not isinstance(root.get("route"), YMap):
        return
    used = {str(n.get("receiver")) for n, _d in _routes(root) if n.get("receiver") is not None}
    for receiver in _receivers(root):
        name = receiver.get("name")
        if name not in (None, "") and str(name) not in used:
            yield doc_hit(
                doc,
                receiver.value_span("name"),
                f"receiver {name!r} is not used by any route: its alerts go nowhere",
            )


@rule("alertmanager-group-by-missing", "alertmanager")
def group_by_missing(doc: YamlDoc, ctx) -> Iterator[Finding]:
    route = doc.root.get("route")
    if isinstance(route, YMap) and "group_by" not in route:
        yield doc_hit(
            doc,
            route.start(),
            "the root route has no group_by: all alerts of a route are "
            "batched into one notification, whatever their alertname or service",
        )


@rule("alertmanager-repeat-interval", "alertmanager")
def repeat_interval(doc: YamlDoc, ctx) -> Iterator[Finding]:
    low = duration_seconds(ctx.options.get("min", "1h"))
    high = duration_seconds(ctx.options.get("max", "5d"))
    for node, _depth in _routes(doc.root):
        if "repeat_interval" not in node:
            continue
        value = duration_seconds(node["repeat_interval"])
        if value is None or value == 0:
            continue  # invalid ones are alertmanager-invalid-* findings
        if low is not None and value < low:
            yield doc_hit(
                doc,
                node.value_span("repeat_interval"),
                f"repeat_interval {node['repeat_interval']} is below {ctx.options.get('min', '1h')}: "
                "unresolved alerts re-notify so often that responders mute the channel",
            )
        elif high is not None and value > high:
            yield doc_hit(
                doc,
                node.value_span("repeat_interval"),
                f"repeat_interval {node['repeat_interval']} is above {ctx.options.get('max', '5d')}: "
                "Alertmanager keeps notification state for 120h by default, so a longer interval "
                "is capped, and a forgotten alert is not re-sent for days",
            )
