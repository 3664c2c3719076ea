"""What an alert needs to be actionable: for, severity, summary, runbook, a condition; and duplicates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

from manifestlint.classify import RuleGroups
from manifestlint.model import Finding, Fix, Span, YamlDoc, YMap, doc_hit
from manifestlint.parse import promql
from manifestlint.registry import rule
from manifestlint.rules.prometheus.common import (
    _CONSTANT_EXPR,
    _labels_of,
    inside,
    iter_alerts,
)
from manifestlint.yaml_fix import move_key, set_key


@rule("prometheus-alert-missing-for", "prometheus-rules")
def alert_missing_for(groups: RuleGroups, ctx) -> Iterator[Finding]:
    from manifestlint.alerts.events import event_style

    for group, entry in iter_alerts(groups):
        if _CONSTANT_EXPR.match(str(entry.get("expr", ""))):
            continue  # always-firing heartbeats (Watchdog) by design
        if "for" in entry:
            continue  # `for: 0m` / "0" written out is a decision, not an omission (issue 19, principle 10)
        if event_style(str(entry.get("expr"))):
            continue  # the window is in the expression (increase(), *_over_time(), expiry, uptime < 60)
        yield doc_hit(
            groups.doc,
            entry.value_span("alert"),
            f"alert {entry['alert']!r} has no 'for': it fires on a single evaluation",
            fix=partial(_policy_for, groups, group, entry, ctx),
        )


def _policy_for(groups: RuleGroups, group: YMap, entry: YMap, ctx) -> Fix | None:
    """`for:` set to the alert policy's duration for the alert's category and severity (unsafe:
    the alert then fires later). Only for alerts whose threshold is recognised: without a
    category there is no policy duration to propose, and a guessed one is not a fix."""
    from manifestlint.alerts.quantities import recording_context
    from manifestlint.alerts.thresholds import recognise
    from manifestlint.rules.prometheus.thresholds import _severity

    expr = entry.get("expr")
    found = recognise(expr, recording_context(ctx.index)) if isinstance(expr, str) else None
    if found is None:
        return None
    policy = ctx.config.alert_policy
    target = policy.target(found.category, _severity(group, entry, policy.label))
    title = f"add for: {target.for_text} (the alert policy's)"
    return set_key(groups.doc, entry, ["for"], target.for_text, title)


@rule("prometheus-alert-missing-severity", "prometheus-rules")
def alert_missing_severity(groups: RuleGroups, ctx) -> Iterator[Finding]:
    label = str(ctx.options.get("label", "severity"))
    for group, entry in iter_alerts(groups):
        labels = _labels_of(entry)
        group_labels = group.get("labels") if isinstance(group.get("labels"), YMap) else {}
        if (labels is not None and label in labels) or label in group_labels:
            continue
        anchor = entry.key_span("labels") if "labels" in entry else entry.value_span("alert")
        yield doc_hit(
            groups.doc,
            anchor,
            f"alert {entry['alert']!r} has no '{label}' label: Alertmanager cannot route it by urgency",
        )


def _annotation_rule(
    groups: RuleGroups, names: list[str], what: str, fixing: bool = False
) -> Iterator[Finding]:
    for _group, entry in iter_alerts(groups):
        annotations = entry.get("annotations")
        have = annotations if isinstance(annotations, YMap) else {}
        if any(have.get(name) not in (None, "") for name in names):
            continue
        anchor = entry.key_span("annotations") if "annotations" in entry else entry.value_span("alert")
        wanted = " or ".join(f"'{n}'" for n in names)
        yield doc_hit(
            groups.doc, anchor, f"alert {entry['alert']!r} has no {wanted} annotation: {what}",
            fix=partial(_from_labels, groups, entry, names) if fixing else None,
        )  # fmt: skip


def _from_labels(groups: RuleGroups, entry: YMap, names: list[str]) -> Fix | None:
    """The annotation written among the labels (`labels: {summary: ...}`, a common slip: the
    text then becomes part of the alert's identity and never reaches the notification's
    annotations), moved to `annotations`."""
    labels = _labels_of(entry)
    if labels is None or not (entry.get("annotations") is None or isinstance(entry.get("annotations"), YMap)):
        return None
    name = next((n for n in names if isinstance(labels.get(n), str) and labels[n].strip()), None)
    if name is None:
        return None
    return move_key(groups.doc, labels, name, entry, "annotations", f"move {name} from labels to annotations")


@rule("prometheus-alert-missing-summary", "prometheus-rules")
def alert_missing_summary(groups: RuleGroups, ctx) -> Iterator[Finding]:
    names = list(ctx.options.get("annotations") or ["summary", "description", "message"])
    yield from _annotation_rule(groups, names, "the notification says nothing beyond the alert name", True)


@rule("prometheus-alert-missing-runbook", "prometheus-rules")
def alert_missing_runbook(groups: RuleGroups, ctx) -> Iterator[Finding]:
    names = list(ctx.options.get("annotations") or ["runbook_url"])
    yield from _annotation_rule(groups, names, "the responder has no documented procedure")


@rule("prometheus-value-in-label", "prometheus-rules")
def value_in_label(groups: RuleGroups, ctx) -> Iterator[Finding]:
    for _group, entry in iter_alerts(groups):
        labels = _labels_of(entry)
        if labels is None:
            continue
        for name, value in labels.items():
            if not isinstance(value, str):
                continue
            found = re.search(r"\$value\b|\.Value\b", value)
            if found and "{{" in value:
                yield doc_hit(
                    groups.doc,
                    inside(groups.doc, labels, name, found.start(), len(found.group())),
                    f"label {name!r} of alert {entry['alert']!r} uses the query value: every evaluation "
                    "creates a new alert (resolve/fire flapping); put it in an annotation",
                )


def _has_condition(node: promql.Node) -> bool:
    """Whether an alert expression filters its result (comparison, absent, set operation)."""
    for sub in node.walk():
        filters = sub.name in promql.COMPARISONS or sub.name in promql.SET_OPS
        if sub.kind == "binary" and filters and not sub.bool_modifier:
            return True
        if sub.kind == "call" and sub.name in ("absent", "absent_over_time", "vector"):
            return True
        if sub.kind == "aggregate" and sub.name in ("topk", "bottomk", "limitk"):
            return True
    return False


@rule("prometheus-alert-without-condition", "prometheus-rules")
def alert_without_condition(groups: RuleGroups, ctx) -> Iterator[Finding]:
    for _group, entry in iter_alerts(groups):
        expr = entry.get("expr")
        if not isinstance(expr, str) or not expr.strip():
            continue
        try:
            tree = promql.parse(expr)
        except (promql.PromQLError, RecursionError):
            continue
        if tree.type == promql.SCALAR or _has_condition(tree):
            continue  # scalar heartbeats (`expr: 1`) are deliberate
        yield doc_hit(
            groups.doc,
            entry.value_span("expr"),
            f"alert {entry['alert']!r}: the expression has no comparison, so every series it returns "
            "fires (e.g. add `> 0.05`)",
        )


def _alert_span(entry: YMap) -> Span:
    """The alert name's value, or its key when the value is an alias defined earlier."""
    value, key = entry.value_span("alert"), entry.key_span("alert")
    return value if value[:2] > key[:2] else key


def _identity(entry: YMap) -> tuple:
    labels = _labels_of(entry) or {}
    return (
        str(entry.get("alert")),
        " ".join(str(entry.get("expr", "")).split()),
        tuple(sorted((str(k), str(v)) for k, v in labels.items())),
    )


@rule("prometheus-duplicate-alert", "project")
def duplicate_alert(index, ctx) -> Iterator[Finding]:
    """Same alert name, expression and labels twice in the project, in the same format: a
    plain rule file and a PrometheusRule are loaded by different Prometheus servers (files by
    `rule_files`, resources through the operator), so the same alert in both is one alert
    shown two ways (cloudnative-pg's docs ship each sample as both), not a double page."""
    seen: dict[tuple, tuple[YamlDoc, YMap]] = {}
    for groups in index.rule_groups:
        resource = groups.doc.kind == "kubernetes"
        for _group, entry in iter_alerts(groups):
            key = (resource, *_identity(entry))
            first = seen.get(key)
            if first is None or first[1] is entry:
                seen[key] = (groups.doc, entry)
                continue
            where = f"{first[0].path}:{_alert_span(first[1]).line}"
            yield doc_hit(
                groups.doc,
                _alert_span(entry),
                f"alert {entry['alert']!r} duplicates the rule at {where} (same name, expression and "
                "labels): it notifies twice",
            )
