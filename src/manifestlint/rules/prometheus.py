"""Prometheus alerting-rule rules: what Prometheus refuses to load, and alerting practice.

Rules receive a `RuleGroups` view, so plain rule files and PrometheusRule resources are
checked by the same code. The `prometheus-invalid-*` family mirrors Prometheus' rulefmt
(strict YAML decoding, then `Validate`): each one is something `promtool check rules`
rejects. Everything else is advice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from manifestlint.classify import RuleGroups
from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.parse import promql
from manifestlint.registry import rule

_CONSTANT_EXPR = re.compile(r"^\s*vector\s*\(\s*1\s*\)\s*$")
# model.ParseDuration: units in this order, each at most once; "0" alone is allowed too
_PROM_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_UNIT_SECONDS = (31536000, 604800, 86400, 3600, 60, 1, 0.001)
_LEGACY_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_LEGACY_METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")

# Rule files of Prometheus-compatible rulers are Prometheus's format plus a few keys, which say
# which ruler the file is for: not errors (`namespace:` heads a mimirtool/cortextool file;
# Thanos adds partial_response_strategy, Mimir/Cortex source_tenants and evaluation options).
FILE_KEYS = {"groups", "namespace"}
GROUP_KEYS = {"name", "interval", "query_offset", "limit", "rules", "labels"}
CR_GROUP_KEYS = GROUP_KEYS | {"partial_response_strategy"}
RULER_GROUP_KEYS = CR_GROUP_KEYS | {"source_tenants", "evaluation_delay", "align_evaluation_time_on_interval"}
RULE_KEYS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
# Variables Prometheus defines before expanding a label or annotation template.
TEMPLATE_VARS = {"$", "$labels", "$externalLabels", "$externalURL", "$value"}


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
    match = _PROM_DURATION.fullmatch(text)
    if not text or match is None:
        return None
    return sum(int(n) * unit for n, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if n)


def _is_cr(groups: RuleGroups) -> bool:
    return groups.container is not groups.doc.root


def _label(entry: YMap) -> str:
    name = entry.get("alert") if "alert" in entry else entry.get("record")
    return f"rule {name!r}" if name is not None else "rule"


def _entry_anchor(entry: YMap) -> Span:
    for key in ("alert", "record"):
        if key in entry:
            return entry.value_span(key)
    return entry.start()


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


# ---------------------------------------------------------------- what Prometheus refuses


@rule("prometheus-invalid-field", "prometheus-rules")
def invalid_field(groups: RuleGroups, ctx) -> Iterator[Finding]:
    doc = groups.doc
    if doc.schema is not None and "prometheus-invalid-field" in doc.schema:
        yield from doc.schema["prometheus-invalid-field"]  # found before typos were corrected
        return
    for mapping, key, allowed, type_name in _unknown_keys(groups):
        yield doc_hit(
            doc, mapping.key_span(key), f"field {key} not found in type {type_name}{_hint(key, allowed)}"
        )


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


def _hint(key: object, allowed) -> str:
    """ " (did you mean 'labels'?)" for a likely misspelling (schema/validate.py's suggestion)."""
    from manifestlint.schema.validate import suggest

    meant = suggest(key, sorted(allowed)) if isinstance(key, str) else None
    return f" (did you mean '{meant}'?)" if meant else ""


def _names_valid(name: str, legacy: bool, metric: bool = False) -> bool:
    if legacy:
        return bool((_LEGACY_METRIC if metric else _LEGACY_NAME).match(name))
    return bool(name)


@rule("prometheus-invalid-rule", "prometheus-rules")
def invalid_rule(groups: RuleGroups, ctx) -> Iterator[Finding]:
    doc = groups.doc
    legacy = str(ctx.options.get("name-validation", "utf-8")).lower() == "legacy"
    container = groups.container
    if "groups" in container and not isinstance(groups.groups, (YList, type(None))):
        yield doc_hit(doc, container.where("groups"), "'groups' must be a list of rule groups")
        return
    for group in groups.groups or ():
        if not isinstance(group, YMap):
            yield doc_hit(doc, groups.anchor, "each rule group must be a mapping")
            continue
        name = group.get("name")
        if name is None or name == "":
            yield doc_hit(doc, group.start(), "Groupname must not be empty")
        elif isinstance(name, (YMap, YList)):
            yield doc_hit(doc, group.where("name"), "group name must be a string")
        limit = group.get("limit")
        if "limit" in group and (isinstance(limit, bool) or not isinstance(limit, (int, type(None)))):
            yield doc_hit(doc, group.value_span("limit"), f"limit must be an integer, not {limit!r}")
        elif isinstance(limit, int) and limit < 0:
            yield doc_hit(doc, group.value_span("limit"), f"limit must not be negative: {limit}")
        yield from _check_labels(doc, group, "labels", legacy, "label")
        rules = group.get("rules")
        if "rules" in group and not isinstance(rules, (YList, type(None))):
            yield doc_hit(doc, group.where("rules"), "'rules' must be a list of rules")
            continue
        for entry in rules or ():
            if not isinstance(entry, YMap):
                yield doc_hit(doc, group.key_span("rules"), "each rule must be a mapping")
                continue
            yield from _check_rule(doc, entry, legacy)


def _check_rule(doc: YamlDoc, entry: YMap, legacy: bool) -> Iterator[Finding]:
    has_record = entry.get("record") not in (None, "")
    has_alert = entry.get("alert") not in (None, "")
    if has_record and has_alert:
        yield doc_hit(doc, entry.key_span("alert"), "only one of 'record' and 'alert' must be set")
    elif not has_record and not has_alert:
        anchor = entry.key_span("expr") if "expr" in entry else entry.start()
        yield doc_hit(doc, anchor, "one of 'record' or 'alert' must be set")
    for key in ("record", "alert", "expr"):
        if isinstance(entry.get(key), (YMap, YList)):
            yield doc_hit(doc, entry.key_span(key), f"'{key}' must be a string")
    if entry.get("expr") in (None, ""):
        yield doc_hit(doc, _entry_anchor(entry), f"field 'expr' must be set in {_label(entry)}")
    if has_record and not has_alert:
        for key in ("for", "keep_firing_for", "annotations"):
            if key in entry:
                yield doc_hit(doc, entry.key_span(key), f"invalid field '{key}' in recording rule")
        record = entry["record"]
        if isinstance(record, str):
            if "{" in record or "}" in record:
                message = f"braces present in the recording rule name; should it be in expr?: {record}"
                yield doc_hit(doc, entry.value_span("record"), message)
            elif not _names_valid(record, legacy, metric=True):
                yield doc_hit(doc, entry.value_span("record"), f"invalid recording rule name: {record}")
    yield from _check_labels(doc, entry, "labels", legacy, "label")
    yield from _check_labels(doc, entry, "annotations", legacy, "annotation")


def _check_labels(doc: YamlDoc, holder: YMap, key: str, legacy: bool, what: str) -> Iterator[Finding]:
    labels = holder.get(key)
    if key not in holder or labels is None:
        return
    if not isinstance(labels, YMap):
        yield doc_hit(doc, holder.where(key), f"'{key}' must be a mapping of names to strings")
        return
    for name, value in labels.items():
        if not _names_valid(str(name), legacy) or (what == "label" and name == "__name__"):
            yield doc_hit(doc, labels.key_span(name), f"invalid {what} name: {name}")
        if isinstance(value, (YMap, YList)):
            yield doc_hit(doc, labels.key_span(name), f"{what} {name!r} must have a string value")


@rule("prometheus-invalid-duplicate-group", "prometheus-rules")
def duplicate_group(groups: RuleGroups, ctx) -> Iterator[Finding]:
    if not isinstance(groups.groups, YList):
        return
    seen: dict[str, int] = {}
    for group in groups.groups:
        if not isinstance(group, YMap) or not isinstance(group.get("name"), (str, int, float)):
            continue
        name = str(group["name"])
        if name in seen:
            yield doc_hit(
                groups.doc,
                group.value_span("name"),
                f'groupname: "{name}" is repeated in the same file (first at line {seen[name]})',
            )
        else:
            seen[name] = group.value_span("name").line


@rule("prometheus-invalid-duration", "prometheus-rules")
def invalid_duration(groups: RuleGroups, ctx) -> Iterator[Finding]:
    if not isinstance(groups.groups, YList):
        return
    for group in groups.groups:
        if not isinstance(group, YMap):
            continue
        yield from _durations(groups.doc, group, ("interval", "query_offset"))
    for _group, entry in iter_rules(groups):
        yield from _durations(groups.doc, entry, ("for", "keep_firing_for"))


def _durations(doc: YamlDoc, holder: YMap, keys: tuple[str, ...]) -> Iterator[Finding]:
    for key in keys:
        if key in holder and holder[key] is not None and duration_seconds(holder[key]) is None:
            value = holder[key]
            shown = value if not isinstance(value, (YMap, YList)) else type(value).__name__
            yield doc_hit(doc, holder.where(key), f"{key}: not a valid duration string: {shown!r}")


@rule("prometheus-invalid-expr", "prometheus-rules")
def invalid_expr(groups: RuleGroups, ctx) -> Iterator[Finding]:
    for _group, entry in iter_rules(groups):
        expr = entry.get("expr")
        if expr in (None, "") or isinstance(expr, (YMap, YList, bool)):
            continue
        error = promql.check(str(expr))
        if error is None:
            continue
        yield doc_hit(
            groups.doc,
            inside(groups.doc, entry, "expr", error.offset),
            f"{_label(entry)}: could not parse expression: {error.message}",
        )


# ---------------------------------------------------------------- Go templates in labels/annotations

_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)
_VAR = re.compile(r"\$[A-Za-z0-9_]*")
_DECL = re.compile(r"(\$[A-Za-z0-9_]*)\s*(?:,\s*(\$[A-Za-z0-9_]*)\s*)?:=")
_BLOCK_OPEN = re.compile(r"^\s*(if|range|with|define|block)\b")
_BLOCK_END = re.compile(r"^\s*end\s*$")
_STRINGS = re.compile(r'"(?:\\.|[^"\\])*"|`[^`]*`|\'(?:\\.|[^\'\\])*\'')


def template_error(text: str) -> tuple[str, int, int] | None:
    """(message, offset, width) of the first Go text/template parse error Prometheus would
    report for a label or annotation value, or None. Covers unclosed actions, unbalanced
    if/range/with … end, and undefined variables (`$label` for `$labels`)."""
    declared = set(TEMPLATE_VARS)
    for decl in _DECL.finditer(_STRINGS.sub('""', text)):
        declared.update(v for v in decl.groups() if v)
    depth: list[int] = []
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            break
        end = text.find("}}", start + 2)
        if end < 0:
            return "unclosed action", start, 2
        body = text[start + 2 : end].strip("-").strip()
        if body.startswith("/*"):
            pos = end + 2
            continue
        code = _STRINGS.sub('""', body)
        if _BLOCK_OPEN.match(code):
            depth.append(start)
        elif _BLOCK_END.match(code):
            if not depth:
                return "unexpected {{end}}", start, end + 2 - start
            depth.pop()
        offset_in = text.index(body, start) if body else start
        for var in _VAR.finditer(code):
            if var.group() not in declared:
                where = body.find(var.group())
                return f'undefined variable "{var.group()}"', offset_in + max(where, 0), len(var.group())
        pos = end + 2
    if depth:
        return "unexpected EOF (a block is not closed with {{end}})", depth[-1], 2
    return None


@rule("prometheus-invalid-template", "prometheus-rules")
def invalid_template(groups: RuleGroups, ctx) -> Iterator[Finding]:
    for _group, entry in iter_rules(groups):
        for key in ("labels", "annotations"):
            values = entry.get(key)
            if not isinstance(values, YMap):
                continue
            for name, value in values.items():
                if not isinstance(value, str) or "{{" not in value:
                    continue
                problem = template_error(value)
                if problem is None:
                    continue
                message, offset, width = problem
                what = "label" if key == "labels" else "annotation"
                yield doc_hit(
                    groups.doc,
                    inside(groups.doc, values, name, offset, width),
                    f"{_label(entry)}: {what} {name!r}: template: {message}",
                )


# ---------------------------------------------------------------- advice


@rule("prometheus-alert-missing-for", "prometheus-rules")
def alert_missing_for(groups: RuleGroups, ctx) -> Iterator[Finding]:
    from manifestlint.alerts.events import event_style

    for _group, entry in iter_alerts(groups):
        if _CONSTANT_EXPR.match(str(entry.get("expr", ""))):
            continue  # always-firing heartbeats (Watchdog) by design
        no_for = "for" not in entry or duration_seconds(entry["for"]) == 0
        if no_for and event_style(str(entry.get("expr"))):
            continue  # the window is in the expression (increase(), changes(), uptime < 60, absent())
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


def _labels_of(entry: YMap) -> YMap | None:
    labels = entry.get("labels")
    return labels if isinstance(labels, YMap) else None


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


def _annotation_rule(groups: RuleGroups, names: list[str], what: str) -> Iterator[Finding]:
    for _group, entry in iter_alerts(groups):
        annotations = entry.get("annotations")
        have = annotations if isinstance(annotations, YMap) else {}
        if any(have.get(name) not in (None, "") for name in names):
            continue
        anchor = entry.key_span("annotations") if "annotations" in entry else entry.value_span("alert")
        wanted = " or ".join(f"'{n}'" for n in names)
        yield doc_hit(groups.doc, anchor, f"alert {entry['alert']!r} has no {wanted} annotation: {what}")


@rule("prometheus-alert-missing-summary", "prometheus-rules")
def alert_missing_summary(groups: RuleGroups, ctx) -> Iterator[Finding]:
    names = list(ctx.options.get("annotations") or ["summary", "description", "message"])
    yield from _annotation_rule(groups, names, "the notification says nothing beyond the alert name")


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


@rule("prometheus-threshold-policy", "prometheus-rules")
def threshold_policy(groups: RuleGroups, ctx) -> Iterator[Finding]:
    label = str(ctx.options.get("label", "severity"))
    allowed = [str(s) for s in ctx.options.get("allowed-severities") or []]
    min_for = {str(k): v for k, v in (ctx.options.get("min-for") or {}).items()}
    max_for = {str(k): v for k, v in (ctx.options.get("max-for") or {}).items()}
    for _group, entry in iter_alerts(groups):
        labels = _labels_of(entry)
        if labels is None or label not in labels or not isinstance(labels[label], (str, int)):
            continue
        severity = str(labels[label])
        if "{{" in severity:
            continue
        if allowed and severity not in allowed:
            yield doc_hit(
                groups.doc,
                labels.value_span(label),
                f"alert {entry['alert']!r}: {label} {severity!r} is not one of the allowed values "
                f"({', '.join(allowed)})",
            )
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
