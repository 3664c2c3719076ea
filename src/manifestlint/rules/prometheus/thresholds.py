"""Alert thresholds and `for` durations against the configured policy, and missing golden-signal alerts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from manifestlint.alerts.policy import Policy, Target
from manifestlint.alerts.quantities import Context, recording_context
from manifestlint.alerts.thresholds import CATEGORIES, LABELS, Threshold, mentions, recognise
from manifestlint.classify import RuleGroups
from manifestlint.model import Finding, Severity, YMap, at_most, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.prometheus.common import (
    _CONSTANT_EXPR,
    _labels_of,
    duration_seconds,
    inside,
    iter_alerts,
)
from manifestlint.templating import is_placeholder


@rule("prometheus-threshold-policy", "prometheus-rules")
def threshold_policy(groups: RuleGroups, ctx) -> Iterator[Finding]:
    label = str(ctx.options.get("label", "severity"))
    allowed = [str(s) for s in ctx.options.get("allowed-severities") or []]
    min_for = {str(k): v for k, v in (ctx.options.get("min-for") or {}).items()}
    max_for = {str(k): v for k, v in (ctx.options.get("max-for") or {}).items()}
    vocabulary: tuple | None = None  # (route patterns, alert counts), read once when needed
    for _group, entry in iter_alerts(groups):
        labels = _labels_of(entry)
        if labels is None or label not in labels or not isinstance(labels[label], (str, int)):
            continue
        severity = str(labels[label])
        if is_placeholder(severity):
            continue  # still to be substituted: not a value (templating.py)
        if allowed and severity not in allowed:
            if vocabulary is None:
                from manifestlint.alerts.vocabulary import alert_values
                from manifestlint.rules.alertmanager.escalation import routed_patterns

                vocabulary = (routed_patterns(ctx.index, label), alert_values(ctx.index, label))
            finding = _unknown_severity(groups, entry, labels, label, severity, allowed, vocabulary)
            if finding is not None:
                yield finding
            continue
        current = duration_seconds(entry.get("for", "0"))
        if current is None or _CONSTANT_EXPR.match(str(entry.get("expr", ""))):
            continue
        anchor = entry.value_span("for") if "for" in entry else entry.value_span("alert")
        low = duration_seconds(min_for.get(severity))
        high = duration_seconds(max_for.get(severity))
        what = f"alert {entry['alert']!r} ({label} {severity}): 'for' is {entry.get('for', 'unset')}"
        if low is not None and current < low:
            yield doc_hit(groups.doc, anchor, f"{what}, below the policy minimum {min_for[severity]}")
        if high is not None and current > high:
            yield doc_hit(groups.doc, anchor, f"{what}, above the policy maximum {max_for[severity]}")


# A value carried by this many alerts of the project is its vocabulary even without a route.
CONSISTENT_USE = 3


def _unknown_severity(groups, entry, labels, label, severity, allowed, vocabulary) -> Finding | None:
    """A severity outside the allowed list: the project's own word (docs/precision.md, principle
    7) when its Alertmanager routes on it (nothing to report), a note when several of its alerts
    use it without a route (alertmanager-unrouted-severity names the routing gap), else a
    warning (a word nobody uses: a typo or a stray)."""
    from manifestlint.rules.alertmanager.escalation import routed

    patterns, counts = vocabulary
    if routed(patterns, severity):
        return None
    finding = doc_hit(
        groups.doc,
        labels.value_span(label),
        f"alert {entry['alert']!r}: {label} {severity!r} is not one of the allowed values "
        f"({', '.join(allowed)})",
    )
    if counts[severity] >= CONSISTENT_USE:
        return at_most(
            replace(
                finding,
                message=f"{finding.message}; {counts[severity]} alerts of the project use it, so it looks "
                "like the project's own word (add it to allowed-severities)",
            ),
            Severity.NOTE,
        )
    return finding


FLAPPING_FRACTION = 1 / 3
# Golden signals of request traffic: asked for only where the project serves requests.
REQUEST_CATEGORIES = frozenset({"error-rate", "latency"})


@dataclass(frozen=True, slots=True)
class Alert:
    """A recognised alerting rule."""

    groups: RuleGroups
    entry: YMap
    name: str
    threshold: Threshold
    for_seconds: float
    for_text: str
    severity: str | None

    @property
    def path(self) -> str:
        return self.groups.doc.path

    @property
    def line(self) -> int:
        return self.span().line

    def span(self):
        t = self.threshold
        return inside(self.groups.doc, self.entry, "expr", t.offset, t.width)

    def key(self, index) -> tuple:
        """Most sensitive first: lowest level, then shortest `for`, then position."""
        return (self.threshold.threshold, self.for_seconds, index.sort_path(self.path), self.line)


def alerts_of(groups: RuleGroups, policy: Policy, records: Context | None = None) -> Iterator[Alert]:
    """The alerts of `groups` whose threshold is recognised (recording rules of the
    project read through `records`)."""
    for group, entry in iter_alerts(groups):
        expr = entry.get("expr")
        if not isinstance(expr, str) or not expr.strip():
            continue
        found = recognise(expr, records)
        if found is None:
            continue
        for_value = entry.get("for", "0")
        seconds = duration_seconds(for_value)
        if seconds is None:
            continue  # an invalid duration: prometheus-invalid-duration reports it
        shown = str(for_value) if "for" in entry else "0s"
        severity = _severity(group, entry, policy.label)
        yield Alert(groups, entry, str(entry["alert"]), found, seconds, shown, severity)


def _severity(group: YMap, entry: YMap, label: str) -> str | None:
    for holder in (entry.get("labels"), group.get("labels")):
        if isinstance(holder, YMap) and isinstance(holder.get(label), (str, int)):
            return str(holder[label])
    return None


def project_alerts(index, policy: Policy) -> list[Alert]:
    """Every recognised alert of the project's rule files, in a stable order."""
    records = recording_context(index)
    out = [alert for groups in index.rule_groups for alert in alerts_of(groups, policy, records)]
    out.sort(key=lambda a: (index.sort_path(a.path), a.line))
    return out


def _laxer(alert: Alert, target: Target) -> bool:
    return alert.threshold.threshold > target.above or alert.for_seconds > target.for_seconds


def _threshold_finding(alert: Alert, target: Target, scope: str) -> Finding:
    t = alert.threshold
    category = t.category
    message = (
        f"{LABELS[category]} alert {alert.name!r} fires at {t.shown()} after {alert.for_text}; the policy"
        f"{scope} is {target.shown(category)}"
    )
    finding = doc_hit(alert.groups.doc, alert.span(), message)
    return replace(finding, obj=f"{finding.obj} alerts:{category}")


@rule("prometheus-alert-threshold", "project")
def alert_threshold(index, ctx) -> Iterator[Finding]:
    policy: Policy = ctx.config.alert_policy
    alerts = project_alerts(index, policy)
    for category in CATEGORIES:
        mine = [a for a in alerts if a.threshold.category == category]
        if not mine:
            continue
        target = policy.target(category)
        first = min(mine, key=lambda a: a.key(index))
        if _laxer(first, target):
            yield _threshold_finding(first, target, "")
        for severity, override in sorted(policy.by_severity.get(category, {}).items()):
            graded = [a for a in mine if a.severity == severity]
            if graded:
                first = min(graded, key=lambda a: a.key(index))
                if _laxer(first, override):
                    yield _threshold_finding(first, override, f" for {policy.label} {severity}")


@rule("prometheus-alert-for-too-short", "prometheus-rules")
def alert_for_too_short(groups: RuleGroups, ctx) -> Iterator[Finding]:
    policy: Policy = ctx.config.alert_policy
    for alert in alerts_of(groups, policy, recording_context(ctx.index)):
        if "for" not in alert.entry or alert.for_seconds == 0:
            continue  # no `for` at all is prometheus-alert-missing-for's finding
        target = policy.target(alert.threshold.category, alert.severity)
        if alert.for_seconds < target.for_seconds * FLAPPING_FRACTION:
            yield doc_hit(
                groups.doc,
                alert.entry.value_span("for"),
                f"{LABELS[alert.threshold.category]} alert {alert.name!r} fires after {alert.for_text}, far "
                f"shorter than the policy's {target.for_text}: a brief spike notifies and resolves again",
            )


@rule("prometheus-missing-golden-alert", "project")
def missing_golden_alert(index, ctx) -> Iterator[Finding]:
    """Categories no alert watches, anchored on the first rule file's `groups` key."""
    if not index.rule_groups:
        return
    policy: Policy = ctx.config.alert_policy
    watched: set[str] = set()
    records = recording_context(index)
    for groups in index.rule_groups:
        for _group, entry in iter_alerts(groups):
            expr = entry.get("expr")
            if isinstance(expr, str):
                watched.update(mentions(expr, records))
    first = min(index.rule_groups, key=lambda g: (index.sort_path(g.doc.path), g.doc.index))
    container = first.container
    anchor = container.key_span("groups") if "groups" in container else first.anchor
    serving: str | bool | None = False  # not asked yet
    for category in CATEGORIES:
        if category in watched:
            continue
        if category in REQUEST_CATEGORIES:
            if serving is False:
                from manifestlint.alerts.vocabulary import serves_requests

                serving = serves_requests(index)
            if serving is None:
                continue  # a monitoring-only stack serves no requests (docs/precision.md, principle 7)
        finding = doc_hit(
            first.doc,
            anchor,
            f"no alert of the project watches {LABELS[category]} (the policy asks for "
            f"{policy.target(category).shown(category)})",
        )
        yield replace(finding, obj=f"{finding.obj} alerts:{category}")
