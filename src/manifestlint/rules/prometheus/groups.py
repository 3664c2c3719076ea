"""Rule groups and the rules between them (pint's offline group and rule checks): evaluation
intervals past the staleness limit, `for` on absent() alerts, redundant `for: 0s`, duplicate
recording rules, and recording rules used but recorded nowhere, or recorded later in the
group that uses them.
"""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.classify import RuleGroups
from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.parse import promql
from manifestlint.registry import rule
from manifestlint.rules.prometheus.common import _labels_of, duration_seconds, inside, iter_alerts, iter_rules

LOOKBACK = 300.0  # Prometheus' default query lookback delta (staleness)
DEFAULT_SCRAPE = 60.0  # global scrape_interval when prometheus.yml does not say


def _selectors(entry: YMap) -> list[promql.Node]:
    expr = entry.get("expr")
    if not isinstance(expr, str) or not expr.strip():
        return []
    try:
        tree = promql.parse(expr)
    except (promql.PromQLError, RecursionError):
        return []
    return [node for node in tree.walk() if node.kind == "selector" and node.name]


@rule("prometheus-group-interval-too-long", "prometheus-rules")
def group_interval_too_long(groups: RuleGroups, ctx) -> Iterator[Finding]:
    """Past 5 minutes, recording-rule results go stale between evaluations and alerts resolve
    between them (unless keep_firing_for covers the interval)."""
    limit = duration_seconds(str(ctx.options.get("max-interval", "5m"))) or LOOKBACK
    if not isinstance(groups.groups, YList):
        return
    for group in groups.groups:
        if not isinstance(group, YMap) or "interval" not in group:
            continue
        interval = duration_seconds(group.get("interval"))
        rules = group.get("rules") if isinstance(group.get("rules"), YList) else []
        if interval is None or interval <= limit or not rules:
            continue
        exposed = [
            entry
            for entry in rules
            if isinstance(entry, YMap)
            and ("record" in entry or (duration_seconds(entry.get("keep_firing_for")) or 0) < interval)
        ]
        if exposed:
            yield doc_hit(
                groups.doc,
                group.value_span("interval"),
                f"group {group.get('name')!r} is evaluated every {group.get('interval')}, longer than "
                f"{limit:g}s: recorded series go stale between evaluations (5m lookback) and alerts "
                "resolve between them (unless keep_firing_for covers the interval)",
            )


@rule("prometheus-redundant-for", "prometheus-rules")
def redundant_for(groups: RuleGroups, ctx) -> Iterator[Finding]:
    """`for: 0s` is the default: written out it is noise (or a decision, which is why this rule
    is off by default)."""
    for _group, entry in iter_alerts(groups):
        for key in ("for", "keep_firing_for"):
            if key in entry and duration_seconds(entry.get(key)) == 0:
                yield doc_hit(
                    groups.doc,
                    entry.value_span(key),
                    f"alert {entry['alert']!r}: {key}: {entry.get(key)} is the default; remove it",
                )


def scrape_interval(index) -> float:
    """The longest global scrape_interval of the project's prometheus.yml files, else 1m."""
    found = []
    for config in getattr(index, "prometheus_configs", ()):
        glob = config.root.get("global")
        if isinstance(glob, YMap):
            found.append(duration_seconds(glob.get("scrape_interval")))
    return max((s for s in found if s), default=DEFAULT_SCRAPE)


def _absent_call(entry: YMap) -> promql.Node | None:
    expr = entry.get("expr")
    try:
        tree = promql.parse(expr) if isinstance(expr, str) and "absent" in expr else None
    except (promql.PromQLError, RecursionError):
        return None
    for node in tree.walk() if tree is not None else ():
        if node.kind == "call" and node.name == "absent":
            return node
    return None


@rule("prometheus-absent-without-for", "prometheus-rules")
def absent_without_for(groups: RuleGroups, ctx) -> Iterator[Finding]:
    """absent() is true on the first evaluation after one missed scrape or a restart: without a
    `for` of two scrape intervals or more it pages for a blip."""
    needed = 2 * scrape_interval(ctx.index)
    for _group, entry in iter_alerts(groups):
        call = _absent_call(entry)
        if call is None:
            continue
        if "for" not in entry:
            if any(n.kind == "selector" and n.name == "up" for n in call.walk()):
                continue  # absent(up{...}) without for: prometheus-alert-missing-for says it
            span, what = entry.value_span("alert"), "has no 'for'"
        else:
            seconds = duration_seconds(entry.get("for"))
            if seconds is None or seconds == 0 or seconds >= needed:
                continue  # invalid (another rule), a deliberate 0 (issue 19, principle 10), or enough
            span, what = entry.value_span("for"), f"waits only {entry.get('for')}"
        yield doc_hit(
            groups.doc,
            span,
            f"alert {entry['alert']!r} uses absent() and {what}: one missed scrape or a restart fires it; "
            f"wait at least two scrape intervals ({needed:g}s)",
        )


def _recordings(index, resource: bool) -> dict[tuple, list[tuple[YamlDoc, YMap]]]:
    out: dict[tuple, list[tuple[YamlDoc, YMap]]] = {}
    for groups in index.rule_groups:
        if (groups.doc.kind == "kubernetes") != resource:
            continue
        for group, entry in iter_rules(groups):
            if "record" in entry and "alert" not in entry:
                labels = {**(_labels_of(group) or {}), **(_labels_of(entry) or {})}
                key = (
                    str(entry.get("record")),
                    tuple(sorted((str(k), str(v)) for k, v in labels.items())),
                    " ".join(str(entry.get("expr", "")).split()),
                )
                out.setdefault(key, []).append((groups.doc, entry))
    return out


@rule("prometheus-duplicate-recording-rule", "project")
def duplicate_recording_rule(index, ctx) -> Iterator[Finding]:
    """Two rules recording the same series (name, labels and expression) in the project, in the
    same format: Prometheus evaluates both and rejects one result every time ('duplicate
    sample'). Different expressions may write different series (kube-prometheus records one
    name four times, once per `code` class), so they are not judged."""
    for resource in (False, True):
        for (name, _labels, _expr), places in _recordings(index, resource).items():
            first_doc, first = places[0]
            for doc, entry in places[1:]:
                yield doc_hit(
                    doc,
                    entry.value_span("record"),
                    f"recording rule {name!r} is also recorded at {first_doc.path}:"
                    f"{first.value_span('record').line} with the same labels and expression: both write "
                    "one series, and Prometheus drops one result at every evaluation",
                )


@rule("prometheus-undefined-recording-rule", "project")
def undefined_recording_rule(index, ctx) -> Iterator[Finding]:
    """A rule reads a `level:metric:operation` series that no rule of the project records, in a
    project that records its own series: a renamed or removed recording rule."""
    for resource in (False, True):
        recorded = {name for name, _labels, _expr in _recordings(index, resource)}
        if not recorded:
            continue  # the project records nothing itself: the series may come from anywhere
        for groups in index.rule_groups:
            if (groups.doc.kind == "kubernetes") != resource or not index.reported(groups.doc):
                continue
            for _group, entry in iter_rules(groups):
                for node in _selectors(entry):
                    if ":" in node.name and node.name not in recorded:
                        yield doc_hit(
                            groups.doc,
                            inside(groups.doc, entry, "expr", node.pos, len(node.name)),
                            f"{node.name} looks like a recording rule's series (level:metric:operation) "
                            "but no rule of the project records it: the expression returns nothing",
                        )
                        break


@rule("prometheus-recording-rule-order", "prometheus-rules")
def recording_rule_order(groups: RuleGroups, ctx) -> Iterator[Finding]:
    """Rules of a group run in order: one reading a series that a later rule of the same group
    records reads the previous evaluation's result, one interval late."""
    if not isinstance(groups.groups, YList):
        return
    for group in groups.groups:
        rules = group.get("rules") if isinstance(group, YMap) else None
        if not isinstance(rules, YList):
            continue
        later: dict[str, int] = {}
        for position, entry in enumerate(rules):
            if isinstance(entry, YMap) and isinstance(entry.get("record"), str):
                later.setdefault(entry["record"], position)
        for position, entry in enumerate(rules):
            if not isinstance(entry, YMap):
                continue
            for node in _selectors(entry):
                defined = later.get(node.name)
                if defined is not None and defined > position:
                    record = rules[defined]
                    yield doc_hit(
                        groups.doc,
                        inside(groups.doc, entry, "expr", node.pos, len(node.name)),
                        f"{node.name} is recorded later in this group "
                        f"(line {record.value_span('record').line}): "
                        "this rule reads the previous evaluation's result, one interval late; move it after",
                    )
                    break
