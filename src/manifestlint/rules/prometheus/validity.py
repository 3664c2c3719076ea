"""What Prometheus refuses to load: unknown fields, invalid names and labels, durations, PromQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.classify import RuleGroups
from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.parse import promql
from manifestlint.registry import rule
from manifestlint.rules.prometheus.common import _label, _unknown_keys, duration_seconds, inside, iter_rules
from manifestlint.templating import is_placeholder

_LEGACY_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")


_LEGACY_METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")


def _entry_anchor(entry: YMap) -> Span:
    for key in ("alert", "record"):
        if key in entry:
            return entry.value_span(key)
    return entry.start()


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
        value = holder.get(key)
        if value is not None and duration_seconds(value) is None and not is_placeholder(value):
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
