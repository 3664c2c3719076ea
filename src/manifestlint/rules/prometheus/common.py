"""Reading rule files: rules and alerts of the groups, durations, positions inside an expression."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from manifestlint.classify import RuleGroups
from manifestlint.model import Span, YamlDoc, YList, YMap
from manifestlint.parse import promql

_CONSTANT_EXPR = re.compile(r"^\s*vector\s*\(\s*1\s*\)\s*$")


# model.ParseDuration: units in this order, each at most once; "0" alone is allowed too
_PROM_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")


_UNIT_SECONDS = (31536000, 604800, 86400, 3600, 60, 1, 0.001)


# Rule files of Prometheus-compatible rulers are Prometheus's format plus a few keys, which say
# which ruler the file is for: not errors (`namespace:` heads a mimirtool/cortextool file;
# Thanos adds partial_response_strategy, Mimir/Cortex source_tenants and evaluation options).
FILE_KEYS = {"groups", "namespace"}


GROUP_KEYS = {"name", "interval", "query_offset", "limit", "rules", "labels"}


CR_GROUP_KEYS = GROUP_KEYS | {"partial_response_strategy"}


RULER_GROUP_KEYS = CR_GROUP_KEYS | {"source_tenants", "evaluation_delay", "align_evaluation_time_on_interval"}


RULE_KEYS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}


def iter_rules(groups: RuleGroups) -> Iterator[tuple[YMap, YMap]]:
    """(group, rule) pairs of well-formed entries; malformed ones are other rules' business."""
    if not isinstance(groups.groups, YList):
        return
    for group in groups.groups:
        if isinstance(group, YMap) and isinstance(group.get("rules"), YList):
            for entry in group["rules"]:
                if isinstance(entry, YMap):
                    yield group, entry


def iter_alerts(groups: RuleGroups) -> Iterator[tuple[YMap, YMap]]:
    for group, entry in iter_rules(groups):
        if "alert" in entry and "record" not in entry:
            yield group, entry


def duration_seconds(text: object) -> float | None:
    """Prometheus duration (`1h30m`, `90s`, `0`) in seconds; None when Prometheus would refuse it.

    Go's YAML decoder turns any scalar into the duration's string, so `0` (int) is "0"."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int):
        text = str(text)
    if not isinstance(text, str):
        return None
    if text == "0":
        return 0.0
    match = _PROM_DURATION.fullmatch(text) if len(text) <= 200 else None  # (5,000 digits: not a duration)
    if not text or match is None or any(n and len(n) > 18 for n in match.groups()):
        return None
    return sum(int(n) * unit for n, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if n)


def _is_cr(groups: RuleGroups) -> bool:
    return groups.container is not groups.doc.root


def _label(entry: YMap) -> str:
    name = entry.get("alert") if "alert" in entry else entry.get("record")
    return f"rule {name!r}" if name is not None else "rule"


def inside(doc: YamlDoc, mapping: YMap, key: Any, offset: int, width: int = 1) -> Span:
    """The span `width` characters long at `offset` inside the scalar `mapping[key]`."""
    value = mapping.get(key)
    if not isinstance(value, (str, int, float)) or not mapping.has_position(key):
        return mapping.value_span(key)
    text = str(value)
    positions = promql.value_positions(doc.text, mapping.value_span(key), mapping.value_style(key), text)
    if not positions:
        return mapping.value_span(key)
    offset = max(0, min(offset, len(text)))
    if offset >= len(text):  # end of input: just after the last character
        line, col = positions[len(text) - 1] if text else mapping.value_span(key)[:2]
        return Span.point(line, col + 1)
    line, col = positions[offset]
    last_line, last_col = positions[min(offset + max(width, 1), len(text)) - 1]
    if last_line != line:
        return Span.point(line, col)
    return Span(line, col, line, last_col + 1)


def _unknown_keys(groups: RuleGroups) -> Iterator[tuple[YMap, Any, Any, str]]:
    """(mapping, key, allowed keys, Go type) for every key Prometheus does not know."""
    if not _is_cr(groups):
        for key in groups.container:
            if key not in FILE_KEYS:
                yield groups.container, key, FILE_KEYS, "rulefmt.RuleGroups"
    allowed = CR_GROUP_KEYS if _is_cr(groups) else RULER_GROUP_KEYS
    if not isinstance(groups.groups, YList):
        return
    for group in groups.groups:
        if isinstance(group, YMap):
            for key in group:
                if key not in allowed:
                    yield group, key, allowed, "rulefmt.RuleGroup"
    for _group, entry in iter_rules(groups):
        for key in entry:
            if key not in RULE_KEYS:
                yield entry, key, RULE_KEYS, "rulefmt.Rule"


def field_typos(groups: RuleGroups) -> list[tuple[YMap, str, str]]:
    """(mapping, misspelt key, meant key) for the confident misspellings (schema/check.py
    reports them through prometheus-invalid-field, then corrects them in the model)."""
    from manifestlint.schema.validate import suggest

    out = []
    for mapping, key, allowed, _type in _unknown_keys(groups):
        meant = suggest(key, sorted(allowed)) if isinstance(key, str) else None
        if meant is not None and meant not in mapping:
            out.append((mapping, key, meant))
    return out


_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)


def _labels_of(entry: YMap) -> YMap | None:
    labels = entry.get("labels")
    return labels if isinstance(labels, YMap) else None
