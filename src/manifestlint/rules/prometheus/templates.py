"""Go templates in labels and annotations that Prometheus refuses to parse."""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.classify import RuleGroups
from manifestlint.model import Finding, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.prometheus.common import _label, inside, iter_rules

# Variables Prometheus defines before expanding a label or annotation template.
TEMPLATE_VARS = {"$", "$labels", "$externalLabels", "$externalURL", "$value"}


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
