"""The few value types every part of manifestlint shares.

A `Span` is a 1-based, end-exclusive region (SARIF's convention, so output needs no
arithmetic). A `Finding` is the one result type: rules create it with an empty rule id
and the engine stamps the id and the configured severity, so a rule never knows its own
severity. YAML values arrive as plain Python values; mappings and sequences are `YMap` /
`YList` (dict / list subclasses) that also remember where each key and value stood.
"""

from __future__ import annotations

import enum
import struct
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple


class Span(NamedTuple):
    """1-based line/column region; `end_col` is the column after the last character."""

    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, line: int, col: int = 1, width: int = 1) -> Span:
        return cls(line, col, line, col + max(width, 1))


FILE_START = Span(1, 1, 1, 2)


class Severity(enum.IntEnum):
    """Ordered so `finding.severity >= threshold` reads naturally."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


class Related(NamedTuple):
    """Another place a finding is about (SARIF `relatedLocations`): the workload a Service
    fails to select, the DestinationRule a VirtualService names. `message` says what it is."""

    path: str
    span: Span
    message: str


class Edit(NamedTuple):
    """One text change: the characters of `span` (1-based, end-exclusive; an empty span is an
    insertion) replaced by `text`. `old` is what the span must hold for the edit to apply: a
    fix computed from positions is checked against the bytes it rewrites, so a position that
    does not fit the file (a view's object, a moved line) skips the fix instead of damaging
    it. A newline in `text` is written as the file's own line ending at that line (CRLF stays
    CRLF)."""

    span: Span
    text: str
    old: str = ""
    # keys set in a mapping, written in front of its first key (yaml_fix.set_key): (style,
    # indent, ((key path, value), ...)); two such edits at one place merge into one
    insert: tuple | None = None


class Fix(NamedTuple):
    """What `--fix` does about one finding: minimal text edits of the finding's own file,
    computed from the positions the parser gave (never by re-serialising the document).
    Whether it is safe is the rule's metadata (`fixable: safe|unsafe`); `title` says what it
    does (shown by --diff and SARIF)."""

    title: str
    edits: tuple[Edit, ...]


def line_starts(text: str) -> list[int]:
    """Offset of each line's first character (lines end at LF; a CR before it belongs to the
    line's text, which is where both parsers put it: they count columns within a line)."""
    starts = [0]
    find = text.find
    at = find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = find("\n", at + 1)
    return starts


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at one place. `obj` names the logical object (for fingerprints and
    annotation suppression): e.g. ``Deployment prod/web`` or ``stage builder``. `related`
    holds the other objects a cross-file finding is about (never part of its fingerprint)."""

    rule: str
    severity: Severity
    path: str
    span: Span
    message: str
    obj: str = ""
    doc: int = -1  # index of the YAML document in its file; -1 for Dockerfiles / whole file
    related: tuple[Related, ...] = ()
    # minimal text edits of `path` that resolve it (manifestlint/fixes.py), or a function making
    # them: a fix that takes work to compute is computed only when --fix, --diff or SARIF asks
    fix: Fix | Callable[[], Fix | None] | None = field(default=None, compare=False)

    def sort_key(self) -> tuple:
        return (self.path, self.span.line, self.span.col, self.rule, self.message)


# ---------------------------------------------------------------- YAML values with positions
# Positions are kept compactly, not as the parser's node graph (which cost ~300 bytes per value
# and kept every document's nodes alive): each collection holds one `bytes` of libyaml's
# 0-based marks as native uint32 — its own span, then per key the key's and the value's span
# (per item the item's span) — and builds a `Span` only when a rule asks (`bytes`, not
# `array('I')`: 33 bytes of header instead of 64, on ~20 collections per Kubernetes object).
# A value's scalar style (plain, quoted, literal, folded) rides in the top bits of its end
# line: a file under the size limit has far fewer than 2**29 lines.

_STYLE_SHIFT = 29
_LINE_MASK = (1 << _STYLE_SHIFT) - 1
_STYLES = ("", "'", '"', "|", ">")
STYLE_BITS = {style: code << _STYLE_SHIFT for code, style in enumerate(_STYLES) if style}
_INDEXED = 16  # mappings with more keys than this look a key's slot up in a dict, built once


_QUAD = struct.Struct("=4I")
_ONE = struct.Struct("=I")


def _span_at(spans: bytes, j: int) -> Span:
    """The span stored at mark `j` (4 marks per span)."""
    line, col, end_line, end_col = _QUAD.unpack_from(spans, 4 * j)
    return Span(line + 1, col + 1, (end_line & _LINE_MASK) + 1, end_col + 1)


def packed(marks: Iterable[int]) -> bytes:
    """The stored form of a run of marks (uint32, native order)."""
    return array("I", marks).tobytes()


def _unpacked(spans: bytes) -> array:
    marks = array("I")
    marks.frombytes(spans)
    return marks


def _marks(span: Span, style: str = "") -> tuple[int, int, int, int]:
    """The 0-based marks of a 1-based span (the stored form), with a value's style bits."""
    return span.line - 1, span.col - 1, (span.end_line - 1) | STYLE_BITS.get(style, 0), span.end_col - 1


class YMap(dict):
    """A YAML mapping: a dict whose keys and values remember where they stand.

    Keys are looked up in `_keys` (the keys in slot order; a dict key -> slot for big
    mappings), not in the dict itself, so a key added or renamed without a position is a
    KeyError rather than someone else's position. Positions are never changed in place
    (`put` and `rename` build new bytes), so copies may share them."""

    __slots__ = ("_keys", "_spans")

    @classmethod
    def build(
        cls,
        items: Iterable[tuple[Any, Any]],
        key_spans: Iterable[Span],
        value_spans: Iterable[Span],
        span: Span,
        styles: Iterable[str] | None = None,
    ) -> YMap:
        """A mapping from plain values and 1-based spans (e.g. rebuilt from a cache); `styles`
        (per value: '', "'", '"', '|' or '>') matters only to positions inside scalars."""
        marks = list(_marks(span))
        for key_span, value_span, style in zip(key_spans, value_spans, styles or _plain(), strict=False):
            marks += _marks(key_span)
            marks += _marks(value_span, style)
        return cls.from_marks(items, marks, styled=True)

    @classmethod
    def from_marks(cls, items: Iterable[tuple[Any, Any]], marks: Sequence[int], styled: bool = False) -> YMap:
        """A mapping from plain values and the stored form of its positions: a flat run of
        0-based ints, the mapping's own (line, col, end_line, end_col), then per key the
        key's and the value's. ValueError when they do not fit (a key given twice, a value
        out of range), so a damaged cache cannot produce someone else's positions."""
        out = cls(items)
        if len(marks) != 4 + 8 * len(out) or not _in_range(marks, styled):
            raise ValueError("positions do not fit the mapping")
        out._keys = tuple(out)
        out._spans = packed(marks)
        return out

    def stored_marks(self) -> Sequence[int] | None:
        """The stored form of its positions (what from_marks takes with styled=True) when it
        follows the mapping's own key order, else None (a key added or renamed since): the
        context cache copies them in one go instead of a Span per key."""
        keys = self._keys
        if (tuple(keys) if type(keys) is dict else keys) != tuple(self):
            return None
        return _unpacked(self._spans)

    def _slot(self, key: Any) -> int:
        keys = self._keys
        if type(keys) is dict:
            return keys[key]
        if len(keys) > _INDEXED:
            self._keys = {k: i for i, k in enumerate(keys)}
            return self._keys[key]
        try:
            return keys.index(key)
        except ValueError:
            raise KeyError(key) from None

    def key_span(self, key: Any) -> Span:
        """Span of `key` itself (the 'missing field' and 'offending key' anchor)."""
        return _span_at(self._spans, 4 + 8 * self._slot(key))

    def value_span(self, key: Any) -> Span:
        """Span of the value stored under `key` (the 'bad value' anchor)."""
        return _span_at(self._spans, 8 + 8 * self._slot(key))

    def value_style(self, key: Any) -> str:
        """How the scalar under `key` was written: '' (plain, or not a scalar), "'", '"',
        '|' or '>' — what positions inside a scalar depend on."""
        return _STYLES[_ONE.unpack_from(self._spans, 40 + 32 * self._slot(key))[0] >> _STYLE_SHIFT]

    def has_position(self, key: Any) -> bool:
        try:
            self._slot(key)
        except KeyError:
            return False
        return True

    def where(self, key: Any) -> Span:
        """Value span for scalars, key span for nested collections (what a reader wants
        highlighted: `image: nginx` -> the value; `securityContext:` -> the key)."""
        if isinstance(self.get(key), (YMap, YList)):
            return self.key_span(key)
        return self.value_span(key)

    @property
    def span(self) -> Span:
        return _span_at(self._spans, 0)

    def start(self) -> Span:
        """The first key of the mapping (anchor for findings about the whole mapping)."""
        if len(self._spans) > 16:
            return _span_at(self._spans, 4)
        return self.span

    def path_get(self, *keys: Any) -> Any:
        """Follow keys / list indices; None when any step is missing or of the wrong type."""
        node: Any = self
        for key in keys:
            if isinstance(key, int):
                if not isinstance(node, list) or key >= len(node):
                    return None
                node = node[key]
            elif isinstance(node, dict):
                node = node.get(key)
            else:
                return None
        return node

    # -------------------------------------------------------- changes (views, typo fixes)

    def clone(self) -> YMap:
        """A shallow copy with the same positions."""
        new = YMap(self)
        new._keys, new._spans = self._keys, self._spans
        return new

    def put(self, key: Any, value: Any, span: Span | None = None) -> None:
        """Set `key`; a key new to the mapping stands at `span` (default: the mapping's own
        span), key and value alike: it has no text of its own."""
        self[key] = value
        if self.has_position(key):
            return
        marks = _marks(span or self.span)
        keys = self._keys
        keys = {**keys, key: len(keys)} if type(keys) is dict else (*keys, key)
        self._keys, self._spans = keys, self._spans + packed(marks + marks)

    def rename(self, key: Any, new: Any) -> None:
        """`key` becomes `new` (moved to the end, as `self[new] = self.pop(key)` moves it); its
        positions stay the old key's."""
        slot = self._slot(key)
        self[new] = self.pop(key)
        spans = self._spans
        j = 16 + 32 * slot  # bytes
        keys = [k for k in self._keys if k != key] + [new]
        self._keys = tuple(keys)
        self._spans = spans[:j] + spans[j + 32 :] + spans[j : j + 32]


def _in_range(marks: Sequence[int], styled: bool) -> bool:
    if not marks:
        return True
    top = (len(_STYLES) << _STYLE_SHIFT) if styled else (1 << _STYLE_SHIFT)
    return min(marks) >= 0 and max(marks) < top


def _plain() -> Iterator[str]:
    while True:
        yield ""


class YList(list):
    """A YAML sequence: a list whose items remember where they stand."""

    __slots__ = ("_spans",)

    @classmethod
    def build(cls, items: Iterable[Any], item_spans: Iterable[Span], span: Span) -> YList:
        """A sequence from plain values and 1-based spans (e.g. rebuilt from a cache)."""
        marks = list(_marks(span))
        for item_span in item_spans:
            marks += _marks(item_span)
        return cls.from_marks(items, marks)

    @classmethod
    def from_marks(cls, items: Iterable[Any], marks: Sequence[int]) -> YList:
        """A sequence from plain values and a flat run of 0-based ints: its own (line, col,
        end_line, end_col), then each item's. ValueError when they do not fit."""
        out = cls(items)
        if len(marks) != 4 + 4 * len(out) or not _in_range(marks, False):
            raise ValueError("positions do not fit the sequence")
        out._spans = packed(marks)
        return out

    def stored_marks(self) -> Sequence[int]:
        """The stored form of its positions (what from_marks takes)."""
        return _unpacked(self._spans)

    def item_span(self, index: int) -> Span:
        spans = self._spans
        count = (len(spans) >> 4) - 1
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(index)
        return _span_at(spans, 4 + 4 * index)

    @property
    def span(self) -> Span:
        return _span_at(self._spans, 0)


@dataclass(slots=True)
class YamlDoc:
    """One YAML document of a stream, as its consuming program would read it."""

    path: str
    index: int  # position in the stream (0-based)
    root: Any  # YMap / YList / scalar
    span: Span
    kind: str = ""  # 'kubernetes', 'alertmanager', 'prometheus-rules' or '' (unrecognised)
    text: str = ""  # the whole source (shared, not copied): for positions inside scalars
    schema: dict[str, list[Finding]] | None = None  # schema findings by rule id (schema/check.py)

    @property
    def ident(self) -> str:
        """Kind namespace/name for Kubernetes objects; the file type otherwise."""
        root = self.root
        if isinstance(root, dict) and self.kind == "kubernetes":
            meta = root.get("metadata")
            name = ns = ""
            if isinstance(meta, dict):
                name = str(meta.get("name") or "")
                ns = str(meta.get("namespace") or "")
            return f"{root.get('kind')} {ns + '/' if ns else ''}{name}"
        return self.kind


# A finding a rule yields carries no severity of its own: its `severity` is a cap, and the
# engine stamps min(configured severity, cap). UNCAPPED leaves the configured severity; a rule
# lowers one finding on evidence with `at_most` (issue 19: error only on proof, a note when the
# evidence says it is probably fine), and says which evidence in its `severity-evidence` metadata.
UNCAPPED = Severity.ERROR


def at_most(finding: Finding, severity: Severity) -> Finding:
    """`finding` reported at `severity` at most, whatever the rule's configured severity."""
    return replace(finding, severity=min(finding.severity, severity))


def fix_of(finding: Finding) -> Fix | None:
    """The finding's fix, computed now if the rule left it to be computed on demand."""
    fix = finding.fix
    return fix() if callable(fix) else fix


Fixing = Fix | Callable[[], Fix | None] | None


def hit(path: str, span: Span, message: str, obj: str = "", doc: int = -1, fix: Fixing = None) -> Finding:
    """What a rule yields: a finding without rule id (the engine stamps it and the configured
    severity; see `at_most`); `fix`, when the rule knows the one right change."""
    return Finding("", UNCAPPED, path, span, message, obj, doc, (), fix)


def doc_hit(
    doc: YamlDoc, span: Span, message: str, related: Iterable[YamlDoc] = (), fix: Fixing = None
) -> Finding:
    """A finding inside a YAML document, carrying the document's identity; `related`: the
    other objects it is about (each pointed at by its name)."""
    others = tuple(related_to(other) for other in related)
    return Finding("", UNCAPPED, doc.path, span, message, doc.ident, doc.index, others, fix)


def related_to(doc: YamlDoc) -> Related:
    """Another object as a related location: its `metadata.name` (else `kind`, else the
    document), described by its kind and name."""
    root = doc.root
    span = doc.span
    if isinstance(root, YMap):
        meta = root.get("metadata")
        if isinstance(meta, YMap) and "name" in meta:
            span = meta.value_span("name")
        elif "kind" in root:
            span = root.value_span("kind")
    return Related(doc.path, span, doc.ident or doc.kind or "object")
