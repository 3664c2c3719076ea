"""Inline suppression: comments in YAML and Dockerfiles, annotations on Kubernetes objects.

Forms:
- ``# manifestlint: disable=RULE[,RULE]`` on its own line: the next line and, when that line
  opens a block (a key with nested content, a list item, a document's first key), the whole
  block; at the end of a line: that line (and its block).
- ``# manifestlint: disable-file=RULE[,RULE]``: the whole file.
- annotation ``manifestlint.io/ignore: "RULE,RULE"`` on an object's metadata: that object.
Unknown rule ids in any form are reported (`manifestlint-unknown-rule`), so a typo never
silently suppresses nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from manifestlint.model import Finding, Span, YamlDoc, YMap, hit

DIRECTIVE = re.compile(
    r"#\s*manifestlint:\s*(disable-file|disable)\s*=\s*([A-Za-z0-9_\-]+(?:\s*,\s*[A-Za-z0-9_\-]+)*)"
)
ANNOTATION = "manifestlint.io/ignore"


@dataclass(slots=True)
class Suppressions:
    file_rules: set[str] = field(default_factory=set)
    # (first, last line covered, rules, line of the directive)
    ranges: list[tuple[int, int, frozenset[str], int]] = field(default_factory=list)
    objects: dict[int, frozenset[str]] = field(default_factory=dict)  # doc index -> rules
    problems: list[Finding] = field(default_factory=list)

    def hides(self, finding: Finding) -> str | None:
        """What hides `finding` (a justification for SARIF), or None."""
        rule = finding.rule
        if rule in self.file_rules:
            return "disable-file comment"
        if finding.doc in self.objects and rule in self.objects[finding.doc]:
            return f"{ANNOTATION} annotation"
        line = finding.span.line
        for first, last, rules, where in self.ranges:
            if first <= line <= last and rule in rules:
                return f"disable comment on line {where}"
        return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _yaml_block_end(lines: list[str], start: int, doc_ends: dict[int, int]) -> int:
    """Last line (1-based) of the block opened at line `start` (1-based)."""
    if start in doc_ends:  # the first line of a document: the whole object
        return doc_ends[start]
    base = _indent(lines[start - 1])  # a list item's siblings start at the same indent
    last = start
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        if _is_blank_or_comment(line):
            continue
        if line.startswith(("---", "...")) or _indent(line) <= base:
            break
        last = number
    return last


def _parse_ids(text: str, line: int, col: int, path: str, known: Callable[[str], bool], out: Suppressions):
    ids = frozenset(part.strip() for part in text.split(",") if part.strip())
    for rule_id in sorted(ids):
        if not known(rule_id):
            out.problems.append(
                hit(
                    path,
                    Span(line, col, line, col + 1),
                    f"unknown rule id {rule_id!r} in a suppression comment",
                )
            )
    return ids


def scan_comments(
    path: str,
    lines: list[str],
    known: Callable[[str], bool],
    block_end: Callable[[int], int],
) -> Suppressions:
    """Suppressions from comment directives; `block_end(line)` gives the object a line opens."""
    out = Suppressions()
    for number, line in enumerate(lines, start=1):
        if "manifestlint:" not in line:
            continue
        match = DIRECTIVE.search(line)
        if match is None:
            continue
        col = match.start() + 1
        ids = _parse_ids(match.group(2), number, col, path, known, out)
        if match.group(1) == "disable-file":
            out.file_rules |= ids
            continue
        if line[: match.start()].strip():  # trailing comment: this line
            target = number
        else:
            target = next(
                (n for n in range(number + 1, len(lines) + 1) if not _is_blank_or_comment(lines[n - 1])), 0
            )
            if not target:
                continue
        out.ranges.append((target, block_end(target), ids, number))
    return out


def yaml_suppressions(path: str, lines: list[str], docs: Iterable[YamlDoc], known: Callable[[str], bool]):
    doc_list = list(docs)
    doc_ends = {doc.span.line: doc.span.end_line for doc in doc_list}
    out = scan_comments(path, lines, known, lambda start: _yaml_block_end(lines, start, doc_ends))
    for doc in doc_list:
        meta = doc.root.get("metadata") if isinstance(doc.root, YMap) else None
        annotations = meta.get("annotations") if isinstance(meta, YMap) else None
        if isinstance(annotations, YMap) and isinstance(annotations.get(ANNOTATION), str):
            span = annotations.value_span(ANNOTATION)
            out.objects[doc.index] = _parse_ids(
                annotations[ANNOTATION], span.line, span.col, path, known, out
            )
    return out


def dockerfile_suppressions(path: str, lines: list[str], instruction_spans: list[Span], known):
    ends = {span.line: span.end_line for span in instruction_spans}
    return scan_comments(path, lines, known, lambda start: ends.get(start, start))
