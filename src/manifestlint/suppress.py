"""Inline suppression: comments in YAML and Dockerfiles, annotations on Kubernetes objects.

Our forms:
- ``# manifestlint: disable=RULE[,RULE]`` on its own line: the next line and, when that line
  opens a block (a key with nested content, a list item, a document's first key), the whole
  block; at the end of a line: that line (and its block).
- ``# manifestlint: disable-file=RULE[,RULE]``: the whole file.
- annotation ``manifestlint.io/ignore: "RULE,RULE"`` on an object's metadata: that object.
RULE is a rule id, an id prefix as `--select` takes it (`k8s-missing`), or `all`.

Problems are findings: an unknown id (`manifestlint-unknown-rule`), a directive we cannot read
(`manifestlint-invalid-suppression`: no ids, a missing colon, `ignore=`, `disable-next-line=`),
and, when enabled (off by default, as ruff's RUF100), a directive that hid nothing
(`manifestlint-unused-suppression`) — so a typo never silently suppresses nothing.

Other tools' suppressions are honoured where our rule is the same check (the rule metadata's
`references`, e.g. `hadolint DL3008`, `kube-linter run-as-non-root`, `checkov CKV_K8S_23`,
`polaris runAsRootAllowed`): `# hadolint ignore=DL3008,DL3009` (the next instruction),
`# hadolint global ignore=...` (the file), `ignore-check.kube-linter.io/<check>` and
`kube-linter.io/ignore-all` annotations, `checkov:skip=CKV_...` comments (a Dockerfile: the file;
YAML: the object they stand in) and `checkov.io/skipN: CKV_...` annotations, Polaris
`polaris.fairwinds.com/<check>-exempt: "true"` and `polaris.fairwinds.com/exempt: "true"`.
The configuration key `other-tools-suppressions: false` turns them off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from manifestlint.config import selector_matches
from manifestlint.model import FILE_START, Finding, Span, YamlDoc, YList, YMap, hit

if TYPE_CHECKING:
    from manifestlint.config import Config
    from manifestlint.load import ParsedFile
    from manifestlint.registry import Registry, Rule

IDS = r"[A-Za-z0-9_\-]+(?:\s*,\s*[A-Za-z0-9_\-]+)*"
DIRECTIVE = re.compile(r"#\s*manifestlint:\s*(disable-file|disable)\s*=\s*(" + IDS + ")")
# Anything that starts like one of ours: `# manifestlint` followed by a colon, a verb or `=`.
ATTEMPT = re.compile(r"#\s*manifestlint(?![.\w/-])\s*(:?)\s*([A-Za-z][\w-]*)?\s*(=?)\s*(\S*)")
VERBS = ("disable", "enable", "ignore", "skip", "noqa", "nolint", "off", "suppress")
ANNOTATION = "manifestlint.io/ignore"

HADOLINT = re.compile(r"^\s*#\s*hadolint\s+(global\s+)?ignore\s*=\s*(" + IDS + ")")
CHECKOV_COMMENT = re.compile(r"#.*?checkov:skip=([A-Za-z0-9_]+)")
KUBE_LINTER_PREFIX = "ignore-check.kube-linter.io/"
KUBE_LINTER_ALL = "kube-linter.io/ignore-all"
POLARIS_PREFIX = "polaris.fairwinds.com/"
CHECKOV_ANNOTATION = re.compile(r"checkov\.io/skip\d*$")
OTHER_TOOLS = ("hadolint", "kube-linter", "checkov", "polaris", "pint")
# pint's comments (cloudflare/pint docs, "ignoring" and "disabling checks"): `# pint disable
# CHECK` inside a rule (or just above it), `# pint file/disable CHECK`, `# pint snooze DATE CHECK`
# and `# pint file/snooze DATE CHECK` (until that day), `# pint ignore/line`, `ignore/next-line`,
# `ignore/begin` ... `ignore/end` and `ignore/file` (every check). A check may carry parameters:
# `promql/series(my_metric)`.
PINT = re.compile(
    r"^(?P<code>.*?)#\s*pint\s+(?P<verb>file/disable|disable|file/snooze|snooze|ignore/line|"
    r"ignore/next-line|ignore/begin|ignore/end|ignore/file)\b\s*(?P<rest>.*)$"
)

INVALID = "manifestlint-invalid-suppression"
UNKNOWN = "manifestlint-unknown-rule"
UNUSED = "manifestlint-unused-suppression"


def _matches(selector: str, rule_id: str) -> bool:
    """As `--select`: `all`, a full id, or a prefix ending at a dash boundary."""
    if selector.lower() == "all":
        return True
    sel = selector.rstrip("-")
    return rule_id == sel or rule_id.startswith(sel + "-")


@dataclass(slots=True)
class Directive:
    """One suppression: what it covers (`scope`: lines first..last, the file, or object
    `doc`), which rules (`selectors`), and what said so (`source`, the SARIF justification)."""

    selectors: tuple[str, ...]
    scope: str  # "lines" | "file" | "object"
    source: str
    span: Span = FILE_START
    first: int = 0
    last: int = 0
    doc: int = -1
    own: bool = True  # ours (reported when unused) or another tool's
    used: set[str] = field(default_factory=set)

    def match(self, finding: Finding) -> str | None:
        if self.scope == "object" and finding.doc != self.doc:
            return None
        if self.scope == "lines" and not self.first <= finding.span.line <= self.last:
            return None
        return next((s for s in self.selectors if _matches(s, finding.rule)), None)


@dataclass(slots=True)
class Suppressions:
    directives: list[Directive] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)  # rule id set; severity stamped by the engine

    # Which directives can hide a finding, built on first use: file-wide ones, object ones by
    # document, line ones by line. Checking every directive against every finding of a file
    # cost 21 s on 20,000 documents with comments.
    _index: _DirectiveIndex | None = None

    def hides(self, finding: Finding) -> str | None:
        """What hides `finding` (a justification for SARIF), or None; marks the directive used.
        The first directive (in file order) that matches wins, as in a scan of all of them."""
        if self._index is None or self._index.size != len(self.directives):
            self._index = _DirectiveIndex(self.directives)
        for position in self._index.candidates(finding):
            directive = self.directives[position]
            selector = directive.match(finding)
            if selector is not None:
                directive.used.add(selector)
                return directive.source
        return None

    def unused(self, path: str, ran: Callable[[str], bool]) -> list[Finding]:
        """Our selectors that hid nothing, for rules that ran (one that did not cannot hide)."""
        out = []
        for d in self.directives:
            if not d.own:
                continue
            for selector in d.selectors:
                if selector not in d.used and ran(selector):
                    message = f"suppression of {selector!r} hides no finding ({d.source}): remove it"
                    out.append(_problem(UNUSED, path, d.span, message))
        return out


# Line directives are filed under every line they cover; when that would exceed this many
# entries (thousands of directives in front of one huge block), the index lists them all.
MAX_LINE_ENTRIES = 2_000_000


class _DirectiveIndex:
    """Positions of the directives that may hide a finding: a superset of those whose scope
    covers it (each is still checked with `Directive.match`), in file order."""

    def __init__(self, directives: list[Directive]) -> None:
        self.size = len(directives)
        self.always: list[int] = []
        self.by_doc: dict[int, list[int]] = {}
        self.by_line: dict[int, list[int]] = {}
        entries = sum(max(0, d.last - d.first + 1) for d in directives if d.scope == "lines")
        for position, d in enumerate(directives):
            if d.scope == "object":
                self.by_doc.setdefault(d.doc, []).append(position)
            elif d.scope == "lines" and entries <= MAX_LINE_ENTRIES:
                for line in range(d.first, d.last + 1):
                    self.by_line.setdefault(line, []).append(position)
            else:  # the file, or too many line entries: checked for every finding
                self.always.append(position)

    def candidates(self, finding: Finding) -> list[int]:
        found = [*self.always, *self.by_doc.get(finding.doc, ()), *self.by_line.get(finding.span.line, ())]
        return sorted(found) if len(found) > 1 else found


def _problem(rule: str, path: str, span: Span, message: str) -> Finding:
    f = hit(path, span, message)
    return Finding(rule, f.severity, f.path, f.span, f.message)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _opens_mapping_value(line: str) -> bool:
    """`containers:` (a key whose value follows on the next lines), comments aside."""
    text = line.split(" #", 1)[0].rstrip()
    return text.endswith(":") and not text.lstrip().startswith("#")


def _yaml_block_end(lines: list[str], start: int, doc_ends: dict[int, int]) -> int:
    """Last line (1-based) of the block opened at line `start` (1-based). Under a key, list
    items may sit at the key's own indentation (kubectl's style): they are its value."""
    if start in doc_ends:  # the first line of a document: the whole object
        return doc_ends[start]
    base = _indent(lines[start - 1])  # a list item's siblings start at the same indent
    key_opens = _opens_mapping_value(lines[start - 1])
    last = start
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        if _is_blank_or_comment(line):
            continue
        if line.startswith(("---", "...")):
            break
        indent = _indent(line)
        if indent < base or (indent == base and not (key_opens and line.lstrip().startswith("- "))):
            break
        last = number
    return last


def _selectors(text: str, span: Span, path: str, known: Callable[[str], bool], out: Suppressions):
    from manifestlint.config import RENAMED_RULES  # a comment naming a folded id keeps working

    parts = {part.strip() for part in text.split(",") if part.strip()}
    ids = tuple(sorted({new for part in parts for new in RENAMED_RULES.get(part, (part,))}))
    for rule_id in ids:
        if not known(rule_id):
            out.problems.append(
                _problem(UNKNOWN, path, span, f"unknown rule id {rule_id!r} in a suppression comment")
            )
    return tuple(i for i in ids if known(i))


def _invalid(line: str) -> tuple[int, str] | None:
    """(column, what is wrong) for a comment that tries to be a directive but is not one."""
    match = ATTEMPT.search(line)
    if match is None:
        return None
    colon, verb, equals, rest = match.groups()
    verb = verb or ""
    if not (colon or equals or verb.lower().startswith(VERBS)):
        return None  # prose mentioning manifestlint
    form = "`# manifestlint: disable=RULE[,RULE]` or `# manifestlint: disable-file=RULE[,RULE]`"
    col = match.start() + 1
    if verb not in ("disable", "disable-file"):
        shown = verb or "(nothing)"
        return col, f"unknown suppression directive {shown!r}: write {form}"
    if not colon:
        return col, f"missing ':' after 'manifestlint': write {form}"
    if not equals or not rest:
        return col, f"'{verb}' names no rule: write {form} (`all` for every rule)"
    return col, f"unreadable rule list {rest!r}: write {form}"


def scan_comments(
    path: str,
    lines: list[str],
    known: Callable[[str], bool],
    block_end: Callable[[int], int],
    text_at: Callable[[int, int], bool] = lambda line, col: False,
) -> Suppressions:
    """Suppressions from our comment directives; `block_end(line)` gives the block a line opens,
    `text_at(line, col)` whether a position (1-based) lies inside a value rather than a comment
    (a block scalar's script, a quoted string, a heredoc): a directive there is text, never a
    suppression."""
    out = Suppressions()
    for number, line in enumerate(lines, start=1):
        if "manifestlint" not in line:
            continue
        hash_at = line.find("#")
        if hash_at >= 0 and text_at(number, hash_at + 1) and _all_text(line, number, text_at):
            continue
        match = DIRECTIVE.search(line)
        if match is None:
            problem = _invalid(line)
            if problem is not None:
                col, message = problem
                out.problems.append(
                    _problem(INVALID, path, Span(number, col, number, len(line) + 1), message)
                )
            continue
        col = match.start() + 1
        if text_at(number, col):
            continue
        span = Span(number, col, number, match.end() + 1)
        ids = _selectors(match.group(2), span, path, known, out)
        if not ids:
            continue
        source = f"`# manifestlint: {match.group(1)}` on line {number}"
        if match.group(1) == "disable-file":
            out.directives.append(Directive(ids, "file", source, span))
            continue
        if line[: match.start()].strip():  # trailing comment: this line
            target = number
        else:
            target = next(
                (n for n in range(number + 1, len(lines) + 1) if not _is_blank_or_comment(lines[n - 1])), 0
            )
            if not target:
                continue
        out.directives.append(Directive(ids, "lines", source, span, target, block_end(target)))
    return out


def _all_text(line: str, number: int, text_at: Callable[[int, int], bool]) -> bool:
    """Whether every `#` of the line lies inside a value (no comment on it at all)."""
    return all(text_at(number, i + 1) for i, char in enumerate(line) if char == "#")


def yaml_text_positions(docs: list[YamlDoc], wanted: set[int]) -> Callable[[int, int], bool]:
    """`text_at(line, col)` for a YAML file: whether the position lies inside a scalar value
    (a quoted string, a block scalar's lines) instead of a comment. Kubernetes, checkov and
    every YAML reader see a `# ...` there as part of the value: a ConfigMap script line or an
    annotation value is never a suppression. Only the `wanted` lines (those holding a
    directive) are asked about: only the documents holding one are walked, and only scalars
    reaching one are kept."""
    inner: set[int] = set()  # wanted lines wholly inside a multi-line scalar
    spans: dict[int, list[tuple[int, int, int, int]]] = {}
    ordered = sorted(wanted)
    stack: list[Any] = [
        doc.root for doc in docs if _between(ordered, doc.span.line - 1, doc.span.end_line + 1)
    ]
    while stack:
        node = stack.pop()
        if isinstance(node, YMap):
            for key, value in node.items():
                if isinstance(value, (YMap, YList)):
                    stack.append(value)
                elif isinstance(value, str):
                    _note(node.value_span(key), inner, spans, ordered)
        elif isinstance(node, YList):
            for index, value in enumerate(node):
                if isinstance(value, (YMap, YList)):
                    stack.append(value)
                elif isinstance(value, str):
                    _note(node.item_span(index), inner, spans, ordered)

    def text_at(line: int, col: int) -> bool:
        if line in inner:
            return True
        return any(
            (line, col) > (start_line, start_col) and (line, col) < (end_line, end_col)
            for start_line, start_col, end_line, end_col in spans.get(line, ())
        )

    return text_at


def _between(ordered: list[int], low: int, high: int) -> list[int]:
    """The wanted lines strictly between `low` and `high` (a sorted list, by bisection)."""
    import bisect

    return ordered[bisect.bisect_right(ordered, low) : bisect.bisect_left(ordered, high)]


def _note(
    span: Span, inner: set[int], spans: dict[int, list[tuple[int, int, int, int]]], ordered: list[int]
) -> None:
    line, col, end_line, end_col = span.line, span.col, span.end_line, span.end_col
    touched = _between(ordered, line - 1, end_line + 1)
    if not touched:
        return
    inner.update(n for n in touched if line < n < end_line)
    for at in {line, end_line}.intersection(touched):
        spans.setdefault(at, []).append((line, col, end_line, end_col))


# ------------------------------------------------------------------------ other tools' forms


def other_tools_map(rules: Iterable) -> dict[tuple[str, str], tuple[str, ...]]:
    """(tool, check) -> our rule ids, from each rule's `references` ("hadolint DL3008").

    A reference marked `superset:` is not used: our rule reports more than the peer's check,
    so the peer's suppression would hide findings it never accepted. `partial:` ones are: all
    our rule reports is within the peer's condition, which the suppression accepts."""
    from manifestlint.registry import peer_reference

    out: dict[tuple[str, str], list[str]] = {}
    for rule in rules:
        for ref in rule.references:
            cited = peer_reference(ref)
            if cited and cited[0] in OTHER_TOOLS and cited[2] != "superset":
                out.setdefault(cited[:2], []).append(rule.id)
    return {key: tuple(sorted(ids)) for key, ids in out.items()}


def _tool_ids(
    mapping: dict[tuple[str, str], tuple[str, ...]], tool: str, checks: Iterable[str]
) -> tuple[str, ...]:
    ids: set[str] = set()
    for check in checks:
        ids.update(mapping.get((tool, check.strip()), ()))
    return tuple(sorted(ids))


def _all_of(mapping: dict[tuple[str, str], tuple[str, ...]], tool: str) -> tuple[str, ...]:
    return tuple(sorted({i for (t, _), ids in mapping.items() if t == tool for i in ids}))


def _foreign(ids: tuple[str, ...], scope: str, source: str, **where) -> Directive | None:
    return Directive(ids, scope, source, own=False, **where) if ids else None


def dockerfile_other_tools(
    lines: list[str],
    ends: dict[int, int],
    mapping,
    inside: set[int] = frozenset(),  # type: ignore[assignment]
) -> list[Directive]:
    """`# hadolint ignore=` (next instruction), `# hadolint global ignore=`, `checkov:skip=`;
    never on a line `inside` an instruction (a heredoc's body is the script's, not hadolint's)."""
    out: list[Directive | None] = []
    for number, line in enumerate(lines, start=1):
        if number in inside:
            continue
        if "hadolint" in line:
            match = HADOLINT.match(line)
            if match is not None:
                ids = _tool_ids(mapping, "hadolint", match.group(2).split(","))
                source = f"`# hadolint {'global ' if match.group(1) else ''}ignore` on line {number}"
                if match.group(1):
                    out.append(_foreign(ids, "file", source))
                else:
                    target = next(
                        (
                            n
                            for n in range(number + 1, len(lines) + 1)
                            if not _is_blank_or_comment(lines[n - 1])
                        ),
                        0,
                    )
                    if target:
                        out.append(
                            _foreign(ids, "lines", source, first=target, last=ends.get(target, target))
                        )
        if "checkov:skip" in line:
            for match in CHECKOV_COMMENT.finditer(line):
                ids = _tool_ids(mapping, "checkov", [match.group(1)])
                out.append(_foreign(ids, "file", f"`checkov:skip={match.group(1)}` on line {number}"))
    return [d for d in out if d is not None]


def yaml_other_tools(
    lines: list[str], docs: list[YamlDoc], mapping, text_at: Callable[[int, int], bool] = lambda a, b: False
) -> list[Directive]:
    """kube-linter, Polaris and checkov annotations; `checkov:skip=` comments (their object),
    never text inside a value (`text_at`)."""
    import bisect

    out: list[Directive | None] = []
    ends = [d.span.end_line for d in docs]  # in file order: the first document ending at or after a line
    for number, line in enumerate(lines, start=1):
        if "checkov:skip" not in line:
            continue
        at = bisect.bisect_left(ends, number)
        if at == len(docs):
            continue
        doc = docs[at]
        for match in CHECKOV_COMMENT.finditer(line):
            if text_at(number, match.start() + 1):
                continue
            ids = _tool_ids(mapping, "checkov", [match.group(1)])
            out.append(
                _foreign(ids, "object", f"`checkov:skip={match.group(1)}` on line {number}", doc=doc.index)
            )
    for doc in docs:
        annotations = _annotations(doc)
        if annotations is None:
            continue
        for key, value in annotations.items():
            key = str(key)
            line = annotations.key_span(key).line
            ids: tuple[str, ...] = ()
            if key.startswith(KUBE_LINTER_PREFIX):
                ids = _tool_ids(mapping, "kube-linter", [key[len(KUBE_LINTER_PREFIX) :]])
            elif key == KUBE_LINTER_ALL:
                ids = _all_of(mapping, "kube-linter")
            elif key.startswith(POLARIS_PREFIX) and str(value).lower() == "true":
                check = key[len(POLARIS_PREFIX) :]
                if check == "exempt":
                    ids = _all_of(mapping, "polaris")
                elif check.endswith("-exempt"):
                    ids = _tool_ids(mapping, "polaris", [check.removesuffix("-exempt")])
            elif CHECKOV_ANNOTATION.match(key) and isinstance(value, str):
                ids = _tool_ids(mapping, "checkov", [value.split("=", 1)[0]])
            out.append(_foreign(ids, "object", f"annotation {key} on line {line}", doc=doc.index))
    return [d for d in out if d is not None]


def pint_directives(
    lines: list[str], mapping, block_end: Callable[[int], int], today: str
) -> list[Directive]:
    """pint's comments in a rule file or PrometheusRule, for the rules that cite pint's checks
    (`today`: ISO date, for `snooze`)."""
    every = _all_of(mapping, "pint")
    if not every:
        return []
    out: list[Directive | None] = []
    begin = 0
    for number, line in enumerate(lines, start=1):
        if "pint" not in line:
            continue
        match = PINT.match(line)
        if match is None or "'" in match.group("code") or '"' in match.group("code"):
            continue  # not a comment (inside a quoted string)
        verb, rest, trailing = (
            match.group("verb"),
            match.group("rest").split(),
            bool(match.group("code").strip()),
        )
        source = f"`# pint {verb}` on line {number}"
        if verb in ("snooze", "file/snooze"):
            if len(rest) < 2 or rest[0][:10] < today:  # an expired or malformed snooze hides nothing
                continue
            rest = rest[1:]
        checks = [word.split("(", 1)[0] for word in rest[:1]]
        if verb == "ignore/file":
            out.append(_foreign(every, "file", source))
        elif verb == "ignore/line":
            out.append(_foreign(every, "lines", source, first=number, last=number))
        elif verb == "ignore/next-line":
            target = next((n for n in range(number + 1, len(lines) + 1) if lines[n - 1].strip()), 0)
            if target:
                out.append(_foreign(every, "lines", source, first=target, last=target))
        elif verb == "ignore/begin":
            begin = number
        elif verb == "ignore/end" and begin:
            out.append(
                _foreign(every, "lines", f"`# pint ignore/begin` on line {begin}", first=begin, last=number)
            )
            begin = 0
        elif verb.startswith("file/"):
            out.append(_foreign(_tool_ids(mapping, "pint", checks), "file", source))
        else:  # disable/snooze: the rule the comment stands in, or the one below it
            first = _rule_entry(lines, number, trailing)
            if first:
                ids = _tool_ids(mapping, "pint", checks)
                out.append(_foreign(ids, "lines", source, first=first, last=block_end(first)))
    return [d for d in out if d is not None]


def _rule_entry(lines: list[str], number: int, trailing: bool) -> int:
    """The first line of the rule entry (`- alert:`/`- record:` item) a pint comment belongs
    to: the item it stands in, else (an own-line comment above it) the next item."""
    if not trailing:
        below = next(
            (n for n in range(number + 1, len(lines) + 1) if not _is_blank_or_comment(lines[n - 1])), 0
        )
        if below and lines[below - 1].lstrip().startswith("- "):
            return below
    indent = _indent(lines[number - 1])
    for n in range(number if trailing else number - 1, 0, -1):
        text = lines[n - 1]
        if not _is_blank_or_comment(text) and text.lstrip().startswith("- ") and _indent(text) <= indent:
            return n
    return 0


def _annotations(doc: YamlDoc) -> YMap | None:
    meta = doc.root.get("metadata") if isinstance(doc.root, YMap) else None
    annotations = meta.get("annotations") if isinstance(meta, YMap) else None
    return annotations if isinstance(annotations, YMap) else None


# ------------------------------------------------------------------------------- per file


def yaml_suppressions(
    path: str, lines: list[str], docs: Iterable[YamlDoc], known: Callable[[str], bool], mapping=None
) -> Suppressions:
    doc_list = list(docs)
    doc_ends = {doc.span.line: doc.span.end_line for doc in doc_list}
    markers = ("manifestlint", "checkov:skip")
    text_at = yaml_text_positions(
        doc_list, {n for n, line in enumerate(lines, 1) if any(m in line for m in markers)}
    )
    out = scan_comments(path, lines, known, lambda start: _yaml_block_end(lines, start, doc_ends), text_at)
    for doc in doc_list:
        annotations = _annotations(doc)
        if annotations is not None and isinstance(annotations.get(ANNOTATION), str):
            span = annotations.value_span(ANNOTATION)
            ids = _selectors(annotations[ANNOTATION], span, path, known, out)
            if ids:
                source = f"annotation {ANNOTATION} on line {span.line}"
                out.directives.append(Directive(ids, "object", source, span, doc=doc.index))
    if mapping:
        out.directives += yaml_other_tools(lines, doc_list, mapping, text_at)
        if any(doc.kind == "prometheus-rules" or _is_prometheus_rule(doc) for doc in doc_list):
            import datetime

            today = datetime.date.today().isoformat()
            block = lambda start: _yaml_block_end(lines, start, doc_ends)  # noqa: E731
            out.directives += pint_directives(lines, mapping, block, today)
    return out


def _is_prometheus_rule(doc: YamlDoc) -> bool:
    return isinstance(doc.root, YMap) and doc.root.get("kind") == "PrometheusRule"


def dockerfile_suppressions(
    path: str, lines: list[str], instruction_spans: list[Span], known, mapping=None
) -> Suppressions:
    ends = {span.line: span.end_line for span in instruction_spans}
    inside = {n for span in instruction_spans for n in range(span.line + 1, span.end_line + 1)}

    def text_at(line: int, col: int) -> bool:  # a heredoc's body, a continued RUN: not a comment
        return line in inside

    out = scan_comments(path, lines, known, lambda start: ends.get(start, start), text_at)
    if mapping:
        out.directives += dockerfile_other_tools(lines, ends, mapping, inside)
    return out


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A finding that a suppression hid: `kind` is SARIF's (inSource / external)."""

    finding: Finding
    kind: str
    justification: str


def apply(
    findings: list[Finding], parsed: list[ParsedFile], registry: Registry, config: Config, rules: list[Rule]
) -> tuple[list[Finding], list[Suppressed]]:
    """(findings kept plus problems with the directives, findings hidden by a directive).
    Problems (unknown ids, unreadable directives, unused ones) are findings of their own rules;
    the caller drops those of rules that are off."""
    known = _known_selector(registry)
    mapping = other_tools_map(registry) if config.other_tools_suppressions else {}
    markers = ("manifestlint", *OTHER_TOOLS) if mapping else ("manifestlint",)
    by_path: dict[str, Any] = {}
    reported = {f.path for f in findings}
    for pf in parsed:
        if not pf.text or not any(marker in pf.text for marker in markers):
            continue
        if pf.dockerfile is None and pf.source.path not in reported and not any(d.kind for d in pf.docs):
            # a file that is none of ours (rule metadata quoting a directive, a JSON file, which
            # has no comments at all): its text is no suppression, and nothing to suppress
            continue
        lines = pf.text.splitlines()
        if pf.dockerfile is not None:
            spans = [ins.span for ins in pf.dockerfile.instructions]
            sup = dockerfile_suppressions(pf.source.path, lines, spans, known, mapping)
        else:
            sup = yaml_suppressions(pf.source.path, lines, pf.docs, known, mapping)
        if sup.directives or sup.problems:
            by_path[pf.source.path] = sup
    if not by_path:
        return findings, []
    kept, hidden = [], []
    for f in findings:
        sup = by_path.get(f.path)
        reason = sup.hides(f) if sup is not None else None
        if reason:
            hidden.append(Suppressed(f, "inSource", reason))
        else:
            kept.append(f)
    ran = {r.id for r in rules}

    def selector_ran(selector: str) -> bool:
        return any(selector.lower() == "all" or selector_matches(selector, rule_id) for rule_id in ran)

    for path, sup in by_path.items():
        for problem in [*sup.problems, *sup.unused(path, selector_ran)]:
            kept.append(replace(problem, severity=registry.get(problem.rule).severity))
    return kept, hidden


def _known_selector(registry: Registry) -> Callable[[str], bool]:
    """A suppression names a rule id, an id prefix as `--select` takes it, or `all`."""

    ids = [r.id for r in registry]

    def known(selector: str) -> bool:
        return (
            selector in registry
            or selector.lower() == "all"
            or any(selector_matches(selector, i) for i in ids)
        )

    return known
