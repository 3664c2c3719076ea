"""YAML streams into plain values with positions, at the speed of the C composer.

Why this shape: ruamel.yaml's round-trip loader keeps positions but is ~13x slower than
composing the node graph with the libyaml-based `CBaseLoader`, whose nodes carry marks.
We compose with C, then convert nodes once into `YMap` / `YList` / Python scalars while
recording spans. Plain scalars are resolved the way the consuming Go programs do (YAML 1.1
as in go-yaml v2: `yes`/`on` are booleans, `0777` is octal), quoted scalars stay strings,
so a rule can tell `runAsNonRoot: "true"` from `runAsNonRoot: true`.

Nothing from the input is ever constructed into objects (tags are ignored), aliases are
converted once and shared, and an expansion budget stops billion-laughs documents. A
syntax error in one document does not hide the others: on failure the stream is split at
document markers and each document is composed on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from manifestlint.model import Span, YamlDoc, YList, YMap, node_span

MAX_NESTING = 1000  # libyaml's recursive composer crashes the process far above this
MAX_EXPANSION = 1_000_000  # values a document may expand to through aliases

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"), False),
}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_OCT = re.compile(r"[-+]?0(?:o)?[0-7_]+\Z")
_HEX = re.compile(r"[-+]?0x[0-9a-fA-F_]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOATS = {
    ".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
    "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
    "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}  # fmt: skip
_NUMERIC_START = frozenset("-+.0123456789")
# go-yaml resolves a number beyond int64/uint64/float64 range as a string; far past that, Python
# could not even print such an int (its 4,300-digit int/str conversion limit).
_MAX_NUMBER_TEXT = 4000
# Lines opening with this many indentation/indicator/property tokens may nest deeply in block
# style (see _nesting_bound); libyaml breaks lines at LF, CR, NEL, LS and PS.
_BLOCK_GUARD = 100
_DEEP_PREFIX = re.compile(  # searched in "\n" + text: a literal first character is 2x faster
    r"[\n\r\x85\u2028\u2029](?:[ \t?:-]|[&!][^ \t\n\r\x85\u2028\u2029]*[ \t])"
    f"{{{_BLOCK_GUARD}}}"
)
_DOC_MARKER = re.compile(r"^(?:---|\.\.\.)(?:[ \t].*)?$", re.M)


def resolve_plain(text: str) -> Any:
    """Type of a plain (unquoted) scalar as go-yaml v2 reads it (YAML 1.1)."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if text[0] not in _NUMERIC_START or len(text) > _MAX_NUMBER_TEXT:
        return text
    if _INT.match(text):
        return int(text.replace("_", ""))
    if _OCT.match(text):
        sign = -1 if text[0] == "-" else 1
        digits = text.lstrip("+-")[1:].lstrip("o").replace("_", "")
        return sign * int(digits or "0", 8)
    if _HEX.match(text):
        return int(text.replace("_", ""), 16)
    if _FLOAT.match(text) and any(c.isdigit() for c in text):
        return float(text.replace("_", ""))
    return _SPECIAL_FLOATS.get(text, text)


@dataclass(slots=True)
class YamlError:
    """A document that could not be composed, or was refused (too deep, alias bomb)."""

    span: Span
    message: str
    chunk: str  # the text of the failing document, for classifying it
    refused: bool = False  # valid YAML we refuse to expand (too deep, alias bomb)


class _TooLarge(Exception):
    pass


class _Converter:
    """Converts one composed node graph into YMap / YList / scalars.

    Hot path: ~70 nodes per Kubernetes object, so scalars are resolved inline and shared
    (aliased) nodes are memoised only when the text has anchors at all."""

    __slots__ = ("budget", "duplicates", "line0", "memo")

    def __init__(self, line0: int, anchors: bool) -> None:
        self.line0 = line0
        self.memo: dict[int, tuple[Any, int]] | None = {} if anchors else None
        self.budget = MAX_EXPANSION
        self.duplicates: list[tuple[Span, str]] = []

    def convert(self, node: Any) -> Any:
        """The value of `node`. Raises _TooLarge past the expansion budget."""
        kind = type(node)
        if kind is ScalarNode:
            self.budget -= 1
            value = node.value
            return (resolve_plain(value) if value else None) if not node.style else value
        memo = self.memo
        if memo is not None:
            seen = memo.get(id(node))
            if seen is not None:
                self.budget -= seen[1]
                if self.budget < 0:
                    raise _TooLarge
                return seen[0]
            before = self.budget
        result = self._mapping(node) if kind is MappingNode else self._sequence(node)
        if self.budget < 0:
            raise _TooLarge
        if memo is not None:
            memo[id(node)] = (result, before - self.budget)
        return result

    def _sequence(self, node: Any) -> YList:
        items = YList(self.convert(child) for child in node.value)
        items.nodes = node.value
        items.node = node
        items.line0 = self.line0
        self.budget -= 1
        return items

    def _mapping(self, node: Any) -> YMap:
        out = YMap()
        knodes: dict[Any, Any] = {}
        vnodes: dict[Any, Any] = {}
        merges = None
        convert = self.convert
        for knode, vnode in node.value:
            if type(knode) is ScalarNode:
                key = knode.value
                if key == "<<" and not knode.style:
                    if merges is None:
                        merges = []
                    merges.append(vnode)  # 100k `<<:` keys: concatenation was quadratic
                    continue
            else:
                key = f"<complex key at line {knode.start_mark.line + self.line0 + 1}>"
            if type(vnode) is ScalarNode:
                self.budget -= 1
                value = vnode.value
                if not vnode.style:
                    value = resolve_plain(value) if value else None
            else:
                value = convert(vnode)
            if key in knodes:
                self.duplicates.append((node_span(knode, self.line0), f"duplicate key {key!r}"))
            out[key] = value
            knodes[key] = knode
            vnodes[key] = vnode
        for merge in merges or ():  # YAML 1.1 merge keys: explicit keys win
            for src in merge.value if type(merge) is SequenceNode else [merge]:
                if type(src) is not MappingNode:
                    continue
                merged = convert(src)
                for key, value in merged.items():
                    if key not in knodes:
                        out[key] = value
                        knodes[key] = merged.knodes[key]
                        vnodes[key] = merged.vnodes[key]
        out.knodes = knodes
        out.vnodes = vnodes
        out.node = node
        out.line0 = self.line0
        self.budget -= 1
        return out


def _nesting_bound(text: str) -> int:
    """A cheap, sound upper bound on the nesting depth libyaml's composer would reach.

    Flow collections nest only through `[` and `{`, so their count bounds flow depth (quotes
    are not trusted: a `]` inside a string must never lower the estimate). Block nesting
    needs, per level, either an indicator (`- `, `? `, `: `) on the deepest line or a column
    of indentation, and at most two levels share a column (a sequence as a mapping's value),
    so twice the longest run of indentation, indicators, anchors and tags opening a line
    bounds it. Line breaks are libyaml's: CR, NEL and the Unicode separators count too."""
    flow = text.count("[") + text.count("{")
    if flow > MAX_NESTING or _DEEP_PREFIX.search("\n" + text) is not None:
        return MAX_NESTING + 1  # no cheap bound: the event parser measures
    return flow + 2 * _BLOCK_GUARD + 2


def _event_depth(text: str, limit: int) -> int:
    """The real nesting depth from libyaml's event parser (which keeps its own stack and never
    recurses), stopping as soon as it passes `limit`. Slower than composing, so it runs only
    when the cheap bound cannot rule a crash out. Syntax errors end the count: the composer
    stops at the same event."""
    from ruamel.yaml.cyaml import CBaseLoader
    from ruamel.yaml.events import (
        MappingEndEvent,
        MappingStartEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
    )

    loader = CBaseLoader(text)
    depth = deepest = 0
    try:
        while True:
            kind = type(loader.get_event())
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                depth += 1
                if depth > deepest:
                    deepest = depth
                    if deepest > limit:
                        break
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                depth -= 1
            elif kind is StreamEndEvent:
                break
    except Exception:  # a syntax error: the composer never gets deeper than this either
        pass
    finally:
        loader.dispose()
    return deepest


def too_deep(text: str) -> bool:
    """True when composing `text` would nest deeper than MAX_NESTING (and could overflow
    libyaml's recursive composer, killing the process with SIGSEGV)."""
    return _nesting_bound(text) > MAX_NESTING and _event_depth(text, MAX_NESTING) > MAX_NESTING


# libyaml (as bundled with ruamel.yaml.clib) refuses `[host:8080/path]`: a `:` inside a flow
# plain scalar. go-yaml v2 (what kubectl and the API server read with) and YAML 1.2 accept
# it, so a document libyaml refuses for this reason alone is composed again by ruamel's pure
# Python composer (same node types and marks; slower, but only for these rare documents).
_LIBYAML_ONLY_ERROR = "found unexpected ':'"


def _nodes(text: str, pure: bool) -> Iterator[Any]:
    """The composed documents of `text`: libyaml's C composer, or ruamel's pure one."""
    if pure:
        from ruamel.yaml import YAML

        yield from YAML(typ="base", pure=True).compose_all(text)
        return
    from ruamel.yaml.cyaml import CBaseLoader

    loader = CBaseLoader(text)
    try:
        while loader.check_node():
            yield loader.get_node()
    finally:
        loader.dispose()


def _compose(
    text: str, line0: int, docs: list, errors: list[YamlError], duplicates: list, pure: bool = False
) -> bool:
    """Compose every document of `text`; False when the composer raised (docs so far kept)."""
    anchors = "&" in text
    kept = len(docs), len(errors), len(duplicates)
    try:
        for node in _nodes(text, pure):
            if node is None:
                continue
            conv = _Converter(line0, anchors)
            try:
                value = conv.convert(node)
            except _TooLarge:
                errors.append(
                    YamlError(
                        node_span(node, line0)._replace(
                            end_line=node.start_mark.line + line0 + 1, end_col=node.start_mark.column + 2
                        ),
                        "document expands beyond 1,000,000 values through aliases (alias bomb?); not linted",
                        "",
                        refused=True,
                    )
                )
                continue
            except RecursionError:
                span = node_span(node, line0)
                errors.append(
                    YamlError(
                        Span(span.line, span.col, span.line, span.col + 1),
                        "nesting too deep; not linted",
                        "",
                        refused=True,
                    )
                )
                continue
            docs.append((value, node_span(node, line0)))
            duplicates.extend(conv.duplicates)
        return True
    except Exception as exc:  # libyaml's scanner/parser/composer errors
        if not pure and _LIBYAML_ONLY_ERROR in str(exc):
            del docs[kept[0] :], errors[kept[1] :], duplicates[kept[2] :]
            return _compose(text, line0, docs, errors, duplicates, pure=True)
        problem_mark = getattr(exc, "problem_mark", None)
        context_mark = getattr(exc, "context_mark", None)
        context = getattr(exc, "context", None) or ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        # An unterminated construct is best shown where it opens (the `[` or the quote);
        # libyaml notices it only where parsing gives up, often lines later.
        opens = context_mark is not None and any(w in context for w in ("flow", "quoted", "block scalar"))
        mark = context_mark if opens else problem_mark or context_mark
        line = mark.line if mark is not None else 0
        col = mark.column if mark is not None else 0
        if "flow" in context and problem_mark is not None:
            line, col = _unclosed_bracket(text, problem_mark.line, problem_mark.column) or (line, col)
        line, col = line + line0 + 1, col + 1
        message = f"{context} {problem}" if context.startswith("while") else str(problem)
        if opens and problem_mark is not None:
            message += f" (noticed at line {problem_mark.line + line0 + 1})"
        errors.append(YamlError(Span(line, col, line, col + 1), f"YAML syntax error: {message}", text))
        return False


def _unclosed_bracket(text: str, line: int, col: int) -> tuple[int, int] | None:
    """(line, column), 0-based, of the innermost `[` or `{` still open at (line, col).

    libyaml reports an unterminated flow collection where it gives up (often the next
    document marker); the reader needs the bracket that was never closed. Quotes and
    comments are skipped approximately, which is enough to point at the right bracket."""
    stack: list[tuple[int, int]] = []
    for number, row in enumerate(text.split("\n")[: line + 1]):
        quote = ""
        limit = col if number == line else len(row)
        for index, char in enumerate(row[:limit]):
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "#" and (index == 0 or row[index - 1] in " \t"):
                break
            elif char in "[{":
                stack.append((number, index))
            elif char in "]}" and stack:
                stack.pop()
    return stack[-1] if stack else None


def parse_stream(text: str, path: str) -> tuple[list[YamlDoc], list[YamlError], list[tuple[Span, str]]]:
    """All documents of a YAML stream with positions, the errors, and duplicate keys.

    Errors never stop the run: a broken document is reported at its position and the
    documents after it are still returned."""
    docs: list[YamlDoc] = []
    errors: list[YamlError] = []
    duplicates: list[tuple[Span, str]] = []
    if too_deep(text):
        errors.append(
            YamlError(
                Span(1, 1, 1, 2), f"nesting deeper than {MAX_NESTING} levels; not parsed", "", refused=True
            )
        )
        return docs, errors, duplicates
    values: list[tuple[Any, Span]] = []
    if not _compose(text, 0, values, errors, duplicates):
        # Retry document by document so one bad document hides nothing else.
        values, errors, duplicates = [], [], []
        starts = [0] + [m.start() for m in _DOC_MARKER.finditer(text) if m.start() > 0]
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(text)
            chunk = text[start:end]
            _compose(chunk, text.count("\n", 0, start), values, errors, duplicates)
    for index, (value, span) in enumerate(values):
        docs.append(YamlDoc(path=path, index=index, root=value, span=span, text=text))
    return docs, errors, duplicates


def load_plain_yaml(text: str) -> Any:
    """Plain Python values (no positions) for our own trusted files: config, rule metadata."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=False).load(text)
