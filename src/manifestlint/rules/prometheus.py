"""Prometheus alerting-rule rules: what Prometheus refuses to load, and alerting practice.

Rules receive a `RuleGroups` view, so plain rule files and PrometheusRule resources are
checked by the same code."""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.classify import RuleGroups
from manifestlint.model import Finding, YList, YMap, doc_hit
from manifestlint.registry import rule

_CONSTANT_EXPR = re.compile(r"^\s*vector\s*\(\s*1\s*\)\s*$")


def iter_rules(groups: RuleGroups) -> Iterator[tuple[YMap, YMap]]:
    """(group, rule) pairs of well-formed entries; malformed ones are other rules' business."""
    if not isinstance(groups.groups, YList):
        return
    for group in groups.groups:
        if isinstance(group, YMap) and isinstance(group.get("rules"), YList):
            for entry in group["rules"]:
                if isinstance(entry, YMap):
                    yield group, entry


def duration_seconds(text: object) -> float | None:
    """Prometheus duration (`1h30m`, `90s`, `0`) in seconds; None when not a duration."""
    if isinstance(text, int) and not isinstance(text, bool):
        return float(text) if text == 0 else None
    if not isinstance(text, str):
        return None
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(int(n) * units[u] for n, u in parts)


@rule("prometheus-alert-missing-for", "prometheus-rules")
def alert_missing_for(groups: RuleGroups, ctx) -> Iterator[Finding]:
    for _group, entry in iter_rules(groups):
        if "alert" not in entry or _CONSTANT_EXPR.match(str(entry.get("expr", ""))):
            continue  # recording rules, and always-firing heartbeats (Watchdog) by design
        if "for" not in entry:
            yield doc_hit(
                groups.doc,
                entry.value_span("alert"),
                f"alert {entry['alert']!r} has no 'for': it fires on a single evaluation",
            )
        elif duration_seconds(entry["for"]) == 0:
            yield doc_hit(
                groups.doc,
                entry.value_span("for"),
                f"alert {entry['alert']!r} has 'for: {entry['for']}': it fires on a single evaluation",
            )
