"""Whether critical alerts page someone: routes, resolve notices, channels, and unrouted severities."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.alertmanager.common import _MATCHER, INTEGRATIONS, _integrations, _receivers, _routes
from manifestlint.templating import is_placeholder


def _severity_values(route: YMap, label: str) -> list[tuple[str, str, Span]]:
    """(operator, value, span) of the route's matchers on `label`."""
    out: list[tuple[str, str, Span]] = []
    match = route.get("match")
    if isinstance(match, YMap) and label in match:
        out.append(("=", str(match[label]), match.value_span(label)))
    match_re = route.get("match_re")
    if isinstance(match_re, YMap) and label in match_re:
        out.append(("=~", str(match_re[label]), match_re.value_span(label)))
    matchers = route.get("matchers")
    for i, text in enumerate(matchers if isinstance(matchers, YList) else ()):
        found = _MATCHER.match(str(text))
        if found and found.group(1).strip('"') == label:
            out.append((found.group(2), found.group(3).strip('"'), matchers.item_span(i)))
    return out


def _route_matches(op: str, pattern: str, value: str) -> bool:
    if op == "=":
        return pattern == value
    if op == "=~":
        from manifestlint.userregex import full_match

        return bool(full_match(pattern, value))
    return False


DEFAULT_PAGING = ["pagerduty_configs", "opsgenie_configs", "victorops_configs"]


def _route_matchers(route: YMap) -> list[tuple[str, str, str]] | None:
    """(label, operator, value) of every matcher of a route; None when one cannot be read."""
    out: list[tuple[str, str, str]] = []
    for key, op in (("match", "="), ("match_re", "=~")):
        value = route.get(key)
        if isinstance(value, YMap):
            out.extend((str(k), op, str(v)) for k, v in value.items())
    matchers = route.get("matchers")
    for text in matchers if isinstance(matchers, YList) else ():
        found = _MATCHER.match(str(text))
        if found is None:
            return None
        out.append((found.group(1).strip('"'), found.group(2), found.group(3).strip('"')))
    return out


def _matcher_holds(op: str, pattern: str, value: str) -> bool:
    if op in ("=", "!="):
        hit = pattern == value
    else:
        from manifestlint.userregex import full_match

        matched = full_match(pattern, value)  # RE2, anchored as Alertmanager anchors
        if matched is None:
            return False
        hit = matched
    return hit if op in ("=", "=~") else not hit


def _match_state(route: YMap, labels: dict[str, str]) -> str:
    """'yes', 'no' or 'maybe' (the route also matches on labels the alert may or may not
    carry, such as alertname or team)."""
    matchers = _route_matchers(route)
    if matchers is None:
        return "maybe"
    state = "yes"
    for label, op, pattern in matchers:
        if label in labels:
            if not _matcher_holds(op, pattern, labels[label]):
                return "no"
        else:
            state = "maybe"
    return state


def route_endpoints(route: YMap, labels: dict[str, str], receiver: Any = None) -> list[tuple[YMap, Any]]:
    """(route, receiver name) pairs an alert with `labels` may be delivered by, following
    Alertmanager: depth first, the first matching child wins unless it has `continue: true`,
    a route with no matching child delivers itself, and `receiver` is inherited. Children
    that match on labels the alert does not fix are followed *and* skipped (both may happen)."""
    receiver = route.get("receiver", receiver) if route.get("receiver") not in (None, "") else receiver
    out: list[tuple[YMap, Any]] = []
    definite_child = False
    children = route.get("routes")
    for child in children if isinstance(children, YList) else ():
        if not isinstance(child, YMap):
            continue
        state = _match_state(child, labels)
        if state == "no":
            continue
        out.extend(route_endpoints(child, labels, receiver))
        if state == "yes":
            definite_child = True
            if child.get("continue") is not True:
                break
    if not definite_child:
        out.append((route, receiver))
    return out


def _integration_types(receiver: YMap) -> list[str]:
    return [k for k, v in receiver.items() if k in INTEGRATIONS and isinstance(v, YList) and v]


def _pages(receiver: YMap | None, paging: set[str], paging_names: set[str]) -> bool:
    if receiver is None:
        return False
    return str(receiver.get("name")) in paging_names or any(t in paging for t in _integration_types(receiver))


def _describe_receiver(name: Any, receiver: YMap | None) -> str:
    kinds = [t.removesuffix("_configs") for t in _integration_types(receiver)] if receiver else []
    return f"'{name}' ({', '.join(kinds) if kinds else 'no integration'})"


@rule("alertmanager-no-critical-route", "alertmanager")
def no_critical_route(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Critical alerts must reach a paging integration through the route tree."""
    label = str(ctx.options.get("label", "severity"))
    values = [str(v) for v in ctx.options.get("values") or ["critical"]]
    paging = {str(p) if str(p).endswith("_configs") else f"{p}_configs"
              for p in ctx.options.get("paging-integrations") or DEFAULT_PAGING}  # fmt: skip
    paging_names = {str(n) for n in ctx.options.get("paging-receivers") or []}
    route = doc.root.get("route")
    if not isinstance(route, YMap):
        return
    if not _alerts_use(ctx.index, label, values):
        return  # the project's alerts carry none of these severities: nothing to page for
    receivers = {str(r.get("name")): r for r in _receivers(doc.root)}
    endpoints: list[tuple[YMap, Any]] = []
    for value in values:
        endpoints.extend(route_endpoints(route, {label: value}))
    if any(_pages(receivers.get(str(name)), paging, paging_names) for _node, name in endpoints):
        return
    wanted = f"{label}={'|'.join(values)}"
    at_root = [name for node, name in endpoints if node is route]
    if at_root or not endpoints:  # some critical alerts fall through to the root route
        root_receiver = at_root[0] if at_root else route.get("receiver")
        yield doc_hit(
            doc,
            route.start(),
            f"no route takes {wanted} alerts to a pager: they can end at the default "
            f"receiver {_describe_receiver(root_receiver, receivers.get(str(root_receiver)))} like "
            "everything else instead of paging someone",
        )
        return
    node = next(n for n, _r in endpoints if n is not route)
    anchor = node.value_span("receiver") if "receiver" in node else node.start()
    names: dict[str, None] = dict.fromkeys(str(r) for _n, r in endpoints)
    shown = ", ".join(_describe_receiver(r, receivers.get(r)) for r in names)
    yield doc_hit(
        doc,
        anchor,
        f"critical alerts ({wanted}) reach only {shown}: no paging integration "
        f"({', '.join(sorted(p.removesuffix('_configs') for p in paging))}), so nobody is woken up",
    )


def routed_patterns(index: Any, label: str) -> list[tuple[str, str]]:
    """(operator, pattern) of every route matcher on `label` below the root routes."""
    out: list[tuple[str, str]] = []
    for am in index.alertmanager:
        if not isinstance(am.root, YMap):
            continue
        for node, depth in _routes(am.root):
            if depth:
                out.extend((op, pattern) for op, pattern, _span in _severity_values(node, label))
    return out


def routed(patterns: list[tuple[str, str]], value: str) -> bool:
    """Whether one of the route matchers takes `value`."""
    return any(_route_matches(op, pattern, value) for op, pattern in patterns)


def _alerts_use(index: Any, label: str, values: list[str]) -> bool:
    """Whether the project's alerts may carry one of `values` (docs/precision.md, principle 7):
    true when the project shows no alert with a `label` at all (the rules live elsewhere),
    else only when one of them carries one of the values."""
    from manifestlint.alerts.vocabulary import alert_values

    counts = alert_values(index, label) if index is not None else {}
    return not counts or any(counts.get(v) for v in values)


@rule("alertmanager-pager-without-resolve", "alertmanager")
def pager_without_resolve(doc: YamlDoc, ctx) -> Iterator[Finding]:
    paging = {str(p) if str(p).endswith("_configs") else f"{p}_configs"
              for p in ctx.options.get("paging-integrations") or DEFAULT_PAGING}  # fmt: skip
    for receiver, key, cfg in _integrations(doc.root):
        if key in paging and cfg.get("send_resolved") is False:
            yield doc_hit(
                doc,
                cfg.value_span("send_resolved"),
                f"receiver {receiver.get('name')!r}: {key.removesuffix('_configs')} never hears that the "
                "alert resolved, so the incident stays open (and keeps escalating) after the problem is gone",
            )


@rule("alertmanager-single-channel", "alertmanager")
def single_channel(doc: YamlDoc, ctx) -> Iterator[Finding]:
    kinds = {t for r in _receivers(doc.root) for t in _integration_types(r)}
    if len(kinds) != 1 or "receivers" not in doc.root:
        return
    only = next(iter(kinds)).removesuffix("_configs")
    yield doc_hit(
        doc,
        doc.root.key_span("receivers"),
        f"every receiver notifies through {only} only: when that channel is down or muted, no alert "
        "reaches anyone (the checklist asks for Slack, email and a pager)",
    )


@rule("alertmanager-unrouted-severity", "project")
def unrouted_severity(index, ctx) -> Iterator[Finding]:
    """A severity used by alert rules that no Alertmanager route matches explicitly."""
    if not index.alertmanager:
        return
    label = str(ctx.options.get("label", "severity"))
    routed: list[tuple[str, str]] = []
    for am in index.alertmanager:
        if not isinstance(am.root, YMap):
            continue
        for node, depth in _routes(am.root):
            if depth:
                routed.extend((op, p) for op, p, _s in _severity_values(node, label))
    if not routed:
        return  # routing is not by severity at all: nothing to compare
    from manifestlint.rules.prometheus.common import iter_alerts

    for groups in index.rule_groups:
        for _group, entry in iter_alerts(groups):
            labels = entry.get("labels")
            if not isinstance(labels, YMap) or not isinstance(labels.get(label), str):
                continue
            value = labels[label]
            if is_placeholder(value) or any(_route_matches(op, p, value) for op, p in routed):
                continue
            yield doc_hit(
                groups.doc,
                labels.value_span(label),
                f"alert {entry['alert']!r}: no Alertmanager route matches {label}={value!r}; it only "
                "reaches the root route's default receiver",
            )
