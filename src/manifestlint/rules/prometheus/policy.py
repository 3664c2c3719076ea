"""The team's own conventions for rules, by configuration (pint's rule/name, rule/label,
rule/reject, alerts/annotation, promql/aggregate, promql/selector and rule/owner): nothing
is asked until the configuration says what to ask.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from manifestlint.classify import RuleGroups
from manifestlint.model import Finding, Span, YMap, doc_hit
from manifestlint.parse import promql
from manifestlint.registry import rule
from manifestlint.rules.prometheus.common import _labels_of, inside, iter_rules
from manifestlint.userregex import full_match

_OWNER = re.compile(r"#\s*pint\s+(?:file|rule)/owner\s+\S")


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _pairs(entry: YMap, key: str) -> YMap | None:
    value = entry.get(key)
    return value if isinstance(value, YMap) else None


@rule("prometheus-rule-policy", "prometheus-rules")
def rule_policy(groups: RuleGroups, ctx) -> Iterator[Finding]:
    """Each configured convention a rule breaks, at the offending name, label or selector."""
    options = ctx.options
    if not any(options.get(name) for name in options):
        return  # no convention configured: nothing to ask (the default)
    doc = groups.doc
    owner = bool(options.get("require-owner")) and _OWNER.search(doc.text or "") is None
    for group, entry in iter_rules(groups):
        if ("alert" in entry) == ("record" in entry):
            continue  # neither or both: prometheus-invalid-rule's finding
        alert = "alert" in entry
        kind, name = ("alert", entry.get("alert")) if alert else ("record", entry.get("record"))
        pattern = str(options.get(f"{kind}-name") or "")
        if pattern and isinstance(name, str) and full_match(pattern, name) is False:
            yield doc_hit(doc, entry.value_span(kind), f"{kind} name {name!r} does not match {pattern!r}")
        yield from _label_rules(doc, group, entry, options, alert)
        yield from _query_rules(doc, entry, options)
        if owner:
            yield doc_hit(
                doc, entry.key_span(kind), f"{kind} {name!r} has no '# pint rule/owner <team>' comment"
            )
            owner = False  # once per file: the file-level comment fixes all


def _label_rules(doc, group: YMap, entry: YMap, options: dict, alert: bool) -> Iterator[Finding]:
    labels = _labels_of(entry)
    group_labels = _labels_of(group) or {}
    title = f"{'alert' if alert else 'record'} {entry.get('alert') if alert else entry.get('record')!r}"
    anchor = entry.key_span("alert" if alert else "record")
    if alert:
        for label in _strings(options.get("required-labels")):
            if label not in (labels or {}) and label not in group_labels:
                where = entry.key_span("labels") if labels is not None else anchor
                yield doc_hit(doc, where, f"{title} has no {label!r} label (required by the configuration)")
        annotations = _pairs(entry, "annotations")
        for name in _strings(options.get("required-annotations")):
            if name not in (annotations or {}):
                where = entry.key_span("annotations") if annotations is not None else anchor
                yield doc_hit(
                    doc, where, f"{title} has no {name!r} annotation (required by the configuration)"
                )
        yield from _values(doc, annotations, _mapping(options.get("annotation-values")), title, "annotation")
    yield from _values(doc, labels, _mapping(options.get("label-values")), title, "label")
    rejected = _strings(options.get("rejected-keys"))
    rejected_values = _strings(options.get("rejected-values"))
    for where in (labels, _pairs(entry, "annotations") if alert else None):
        for key, value in (where or {}).items():
            hit = next((p for p in rejected if full_match(p, str(key))), None)
            if hit is not None:
                yield doc_hit(doc, where.key_span(key), f"{title}: {key!r} matches the rejected {hit!r}")
                continue
            hit = next((p for p in rejected_values if full_match(p, str(value))), None)
            if hit is not None:
                yield doc_hit(
                    doc, where.value_span(key), f"{title}: the value of {key!r} matches the rejected {hit!r}"
                )


def _values(doc, mapping: YMap | None, wanted: dict[str, str], title: str, what: str) -> Iterator[Finding]:
    for key, pattern in wanted.items():
        if mapping is not None and key in mapping and full_match(pattern, str(mapping.get(key))) is False:
            message = f"{title}: {what} {key}={mapping.get(key)!r} does not match {pattern!r}"
            yield doc_hit(doc, mapping.value_span(key), message)


def _query_rules(doc, entry: YMap, options: dict) -> Iterator[Finding]:
    keep = _strings(options.get("aggregate-keep-labels"))
    required = _strings(options.get("selector-required-labels"))
    if not keep and not required:
        return
    expr = entry.get("expr")
    try:
        tree = promql.parse(expr) if isinstance(expr, str) and expr.strip() else None
    except (promql.PromQLError, RecursionError):
        tree = None
    for node in tree.walk() if tree is not None else ():
        if (
            node.kind == "aggregate"
            and keep
            and node.name not in ("topk", "bottomk", "limitk", "limit_ratio")
        ):
            grouping = set(node.value or ())
            lost = [label for label in keep if (label in grouping) == node.without]
            if lost:
                message = (
                    f"{node.name}() removes the {', '.join(lost)} label (the configuration asks to keep it)"
                )
                yield doc_hit(doc, _at(doc, entry, node), message)
        elif node.kind == "selector" and required:
            present = {label for label, _op, _value in node.value or ()}
            missing = [label for label in required if label not in present]
            if missing:
                yield doc_hit(doc, _at(doc, entry, node), f"{node.name or 'the selector'} has no "
                              f"{', '.join(missing)} matcher (required by the configuration)")  # fmt: skip


def _at(doc, entry: YMap, node: promql.Node) -> Span:
    return inside(doc, entry, "expr", node.pos, len(node.name) or 1)
