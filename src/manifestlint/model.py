"""The few value types every part of manifestlint shares.

A `Span` is a 1-based, end-exclusive region (SARIF's convention, so output needs no
arithmetic). A `Finding` is the one result type: rules create it with an empty rule id
and the engine stamps the id and the configured severity, so a rule never knows its own
severity. YAML values arrive as plain Python values; mappings and sequences are `YMap` /
`YList` (dict / list subclasses) that also remember where each key and value stood.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
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

    def sort_key(self) -> tuple:
        return (self.path, self.span.line, self.span.col, self.rule, self.message)


# ---------------------------------------------------------------- YAML values with positions
# Collections keep references to the composed nodes (which carry libyaml's marks) and turn
# them into a `Span` only when a rule asks: building spans eagerly cost more than parsing.


def node_span(node: Any, line0: int = 0) -> Span:
    """Span of a composed YAML node; `line0` offsets documents parsed on their own."""
    start, end = node.start_mark, node.end_mark
    return Span(start.line + line0 + 1, start.column + 1, end.line + line0 + 1, end.column + 1)


class YMap(dict):
    """A YAML mapping: a dict whose keys and values remember where they stand."""

    __slots__ = ("knodes", "line0", "node", "vnodes")

    def key_span(self, key: Any) -> Span:
        """Span of `key` itself (the 'missing field' and 'offending key' anchor)."""
        return node_span(self.knodes[key], self.line0)

    def value_span(self, key: Any) -> Span:
        """Span of the value stored under `key` (the 'bad value' anchor)."""
        return node_span(self.vnodes[key], self.line0)

    def where(self, key: Any) -> Span:
        """Value span for scalars, key span for nested collections (what a reader wants
        highlighted: `image: nginx` -> the value; `securityContext:` -> the key)."""
        if isinstance(self.get(key), (YMap, YList)):
            return self.key_span(key)
        return self.value_span(key)

    @property
    def span(self) -> Span:
        return node_span(self.node, self.line0)

    def start(self) -> Span:
        """The first key of the mapping (anchor for findings about the whole mapping)."""
        for key in self.knodes:
            return self.key_span(key)
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


class YList(list):
    """A YAML sequence: a list whose items remember where they stand."""

    __slots__ = ("line0", "node", "nodes")

    def item_span(self, index: int) -> Span:
        return node_span(self.nodes[index], self.line0)

    @property
    def span(self) -> Span:
        return node_span(self.node, self.line0)


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


def hit(path: str, span: Span, message: str, obj: str = "", doc: int = -1) -> Finding:
    """What a rule yields: a finding without rule id and severity (the engine stamps both)."""
    return Finding("", Severity.WARNING, path, span, message, obj, doc)


def doc_hit(doc: YamlDoc, span: Span, message: str, related: Iterable[YamlDoc] = ()) -> Finding:
    """A finding inside a YAML document, carrying the document's identity; `related`: the
    other objects it is about (each pointed at by its name)."""
    others = tuple(related_to(other) for other in related)
    return Finding("", Severity.WARNING, doc.path, span, message, doc.ident, doc.index, others)


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
