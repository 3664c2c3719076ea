"""YAML streams into plain values with positions, at the speed of the C parser.

Why this shape: ruamel.yaml's round-trip loader keeps positions but is ~13x slower than
libyaml. We read libyaml's parser events (through ruamel.yaml.clib's `CBaseLoader`) and
build `YMap` / `YList` / Python scalars from them directly, recording each value's marks
compactly; no node graph is composed. Plain scalars are resolved the way the consuming Go
programs do (YAML 1.1 as in go-yaml v2: `yes`/`on` are booleans, `0777` is octal), quoted
scalars stay strings, so a rule can tell `runAsNonRoot: "true"` from `runAsNonRoot: true`.

Nothing from the input is ever constructed into objects (tags are ignored), aliases are
built once and shared, an expansion budget stops billion-laughs documents, and nesting
deeper than MAX_NESTING is refused per document (the builder keeps its own stack, so no
depth can overflow Python's or C's). A syntax error in one document does not hide the
others: on failure the stream is split at document markers and each document is parsed on
its own.
"""

from __future__ import annotations

import re
import sys
import types
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from manifestlint.model import STYLE_BITS, Span, YamlDoc, YList, YMap


class _DeferredPackage(types.ModuleType):
    """`ruamel.yaml` before its `__init__` has run: its submodules import as usual, and the
    first attribute the package itself does not have yet (`YAML`, `__version__`...) runs the
    `__init__`, so `from ruamel.yaml import YAML` works as always, in this process too."""

    def __getattr__(self, name: str) -> Any:
        self.__class__ = types.ModuleType  # once: from now on a plain module
        self.__spec__.loader.exec_module(self)  # type: ignore[union-attr]
        return getattr(self, name)


def _defer_ruamel_package() -> None:
    """Import ruamel.yaml's submodules without its package `__init__`, which imports the
    whole library (the round-trip loader and dumper, the emitter, typing, glob: about a third
    of a one-file call's imports) when all we use is `_ruamel_yaml`'s C parser, the error and
    event classes it needs, and the composer's error class."""
    if "ruamel.yaml" in sys.modules:
        return
    import importlib.util

    try:
        spec = importlib.util.find_spec("ruamel.yaml")
    except (ImportError, ValueError):
        return
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        return
    package = importlib.util.module_from_spec(spec)
    package.__class__ = _DeferredPackage
    sys.modules["ruamel.yaml"] = package
    parent = sys.modules.get("ruamel")
    if parent is not None:
        parent.yaml = package  # type: ignore[attr-defined]  # what the import system does


_defer_ruamel_package()
from ruamel.yaml.composer import ComposerError  # noqa: E402  (after the package is deferred)

MAX_NESTING = 1000  # levels of collections a document may nest (deeper: refused, one finding)
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
    if _HEX.match(text):  # beyond 64 bits go-yaml keeps it a string (and Python could not print it)
        value = int(text.replace("_", ""), 16)
        return value if -(2**63) <= value < 2**64 else text
    if _FLOAT.match(text) and any(c.isdigit() for c in text):
        return float(text.replace("_", ""))
    return _SPECIAL_FLOATS.get(text, text)


# ---------------------------------------------------------------- parser events
#
# ruamel.yaml.clib's CParser turns each libyaml event into an instance of ruamel.yaml.events'
# classes, whose constructors are Python code three calls deep (ScalarEvent -> NodeEvent ->
# Event): that was ~40% of reading the events of 2,000 documents. The extension looks those
# class names up in its module at every event, so while we read a stream they name the
# classes below instead: exceptions (never raised) because BaseException's constructor is C
# and keeps its positional arguments as `args`, in the order the extension passes them:
#   ScalarEvent(anchor, tag, implicit, value, start_mark, end_mark, style)
#   SequenceStartEvent / MappingStartEvent(anchor, tag, implicit, start_mark, end_mark, flow_style)
#   AliasEvent(anchor, start_mark, end_mark)
#   the others (start_mark, end_mark, ...)
# ruamel's own classes are put back once the stream is read (dispose), and when an
# extension does not pick the names up (checked once: `_fast_events`), or for ruamel's pure
# parser, each event is copied into these classes instead (`_adapted`).


class _Event(BaseException):
    """A parser event: `args` as the C parser passes them (see above). Never raised."""

    __slots__ = ()


class StreamStartEvent(_Event):
    __slots__ = ()


class StreamEndEvent(_Event):
    __slots__ = ()


class DocumentStartEvent(_Event):
    __slots__ = ()


class DocumentEndEvent(_Event):
    __slots__ = ()


class AliasEvent(_Event):
    __slots__ = ()


class ScalarEvent(_Event):
    __slots__ = ()


class SequenceStartEvent(_Event):
    __slots__ = ()


class MappingStartEvent(_Event):
    __slots__ = ()


class SequenceEndEvent(_Event):
    __slots__ = ()


class MappingEndEvent(_Event):
    __slots__ = ()


# Our class per ruamel class name, with the attributes (in `args` order) a ruamel event is
# copied from when it cannot be built as ours directly.
_OURS: dict[str, tuple[type[_Event], tuple[str, ...]]] = {
    "StreamStartEvent": (StreamStartEvent, ("start_mark", "end_mark")),
    "StreamEndEvent": (StreamEndEvent, ("start_mark", "end_mark")),
    "DocumentStartEvent": (DocumentStartEvent, ("start_mark", "end_mark")),
    "DocumentEndEvent": (DocumentEndEvent, ("start_mark", "end_mark")),
    "AliasEvent": (AliasEvent, ("anchor", "start_mark", "end_mark")),
    "ScalarEvent": (
        ScalarEvent,
        ("anchor", "tag", "implicit", "value", "start_mark", "end_mark", "style"),
    ),
    "SequenceStartEvent": (
        SequenceStartEvent,
        ("anchor", "tag", "implicit", "start_mark", "end_mark", "flow_style"),
    ),
    "MappingStartEvent": (
        MappingStartEvent,
        ("anchor", "tag", "implicit", "start_mark", "end_mark", "flow_style"),
    ),
    "SequenceEndEvent": (SequenceEndEvent, ("start_mark", "end_mark")),
    "MappingEndEvent": (MappingEndEvent, ("start_mark", "end_mark")),
}


def _adapted(next_event: Callable[[], Any]) -> Callable[[], _Event]:
    """`next_event` of ruamel's event objects, as events of ours (slower: a copy each)."""
    ours = _OURS

    def adapted() -> _Event:
        event = next_event()
        cls, fields = ours[type(event).__name__]
        return cls(*(getattr(event, name, None) for name in fields))

    return adapted


_CLASSES = {name: cls for name, (cls, _) in _OURS.items()}


def _swap(module: Any, classes: dict[str, Any]) -> dict[str, Any]:
    """Set the event class names of the C extension `module`; returns what they were."""
    saved = {name: getattr(module, name, None) for name in classes}
    for name, cls in classes.items():
        setattr(module, name, cls)
    return saved


_FAST: bool | None = None  # does the C extension build our event classes? (checked once)


def _fast_events(module: Any) -> bool:
    """Whether `module.CParser` builds events from the class names in its module at call
    time (ruamel.yaml.clib does): checked once on a one-line stream."""
    global _FAST
    if _FAST is None:
        saved = _swap(module, _CLASSES)
        try:
            _FAST = type(module.CParser("a").get_event()) is StreamStartEvent
        except Exception:
            _FAST = False
        finally:
            _swap(module, saved)
    return _FAST


@dataclass(slots=True)
class YamlError:
    """A document that could not be composed, or was refused (too deep, alias bomb)."""

    span: Span
    message: str
    chunk: str  # the text of the failing document, for classifying it
    refused: bool = False  # valid YAML we refuse to expand (too deep, alias bomb)


class _TooLarge(Exception):
    pass


class _TooDeep(Exception):
    pass


_NO_KEY = object()  # a mapping waiting for its next key
# Scalars' strings seen so far, shared: libyaml gives every scalar a new string, and keys
# (`name`, `image`, label keys) and common values repeat thousands of times (-25% memory on
# the 20,000-document mix). A plain scalar's resolved value is kept beside its string, so
# `resolve_plain` runs once per distinct text. Bounded in count and length, and kept across
# files: a crafted file with a million distinct strings only stops the sharing.
_MEMO: dict[str, tuple[str, Any]] = {}  # text -> (the shared string, its value when plain)
_UNRESOLVED = object()  # the value slot of a text seen only quoted so far
_MEMO_MAX = 1 << 16
_MEMO_LONGEST = 64  # characters: a literal block is never kept past its file


# Why events and not composed nodes: a node graph costs ~300 bytes per value (a node and two
# marks) and libyaml's composer holds a whole document's graph at once — 730 MB for a 10 MB
# list — and recurses per level. Here each collection keeps its values and one run of packed
# marks (model.YMap/YList), the parser's objects die as they come, and the nesting is an
# explicit stack: depth is bounded by MAX_NESTING, not by Python's or C's stack. Scalars are
# resolved inline and anchors remembered by name (aliases share the value, charged again
# against the expansion budget per use). One loop with local variables: this runs once per
# parser event, so only what is rare (aliases, anchors, merges, duplicates) or once per
# collection (closing it) is a call.


def _build(next_event: Callable[[], Any], strict: bool, duplicates: list) -> tuple[Any, Span]:
    """The value and span of one document from parser events (after its DocumentStartEvent, up to
    its root's last event); duplicate keys go to `duplicates`, an anchor defined twice is refused
    when `strict`. Raises _TooLarge past the expansion budget, _TooDeep past MAX_NESTING."""
    budget = MAX_EXPANSION
    anchors: dict[str, tuple] = {}
    stack: list[tuple] = []
    cur: Any = None  # the open collection (YMap or YList), None at the root
    marks: list[int] = []  # its marks: own span first, then per key / item (packed when it closes)
    packed: array | None = None  # a long collection's earlier marks, moved out of `marks`
    key: Any = _NO_KEY  # a mapping's pending key and its marks
    kl = kc = kel = kec = 0
    merging, merges = False, None  # a `<<:` key pending, the mapping's merge values
    anchor, opened = None, 0  # the open collection's anchor and budget when it opened
    style_bits = STYLE_BITS
    resolve = resolve_plain
    root = Span(1, 1, 1, 2)  # where the root collection opens: the alias bomb's anchor
    memo = _MEMO
    remember = len(memo) < _MEMO_MAX
    while True:
        event = next_event()
        kind = type(event)
        if kind is ScalarEvent:
            budget -= 1
            event_anchor, _, _, raw, start, end, style = event.args
            hit = memo.get(raw)  # keys and common values: one string object each, resolved once
            if hit is None:
                hit = (raw, _UNRESOLVED if style else resolve(raw) if raw else None)
                if remember and len(raw) <= _MEMO_LONGEST:
                    memo[raw] = hit
                    remember = len(memo) < _MEMO_MAX
            raw = hit[0]
            if style:
                value = raw
                code = style_bits.get(style, 0)
            else:
                value = hit[1]
                if value is _UNRESOLVED:  # seen quoted first
                    value = resolve(raw) if raw else None
                    if memo.get(raw) is hit:
                        memo[raw] = (raw, value)
                code = 0
            sl, sc, el, ec = start.line, start.column, end.line, end.column
            if event_anchor is not None:
                _anchor(anchors, event_anchor, strict, start, (value, 1, sl, sc, el, ec, raw, style, code))
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            event_anchor, _, _, start, _, _ = event.args
            if len(stack) >= MAX_NESTING:
                raise _TooDeep(Span(start.line + 1, start.column + 1, start.line + 1, start.column + 2))
            if event_anchor is not None and strict and event_anchor in anchors:
                _duplicate_anchor(anchors[event_anchor], start)
            if cur is None:
                root = Span(start.line + 1, start.column + 1, start.line + 1, start.column + 2)
            stack.append((cur, marks, packed, key, kl, kc, kel, kec, merging, merges, anchor, opened))
            cur = YMap() if kind is MappingStartEvent else YList()
            marks, packed = [start.line, start.column, 0, 0], None
            key, merging, merges, anchor, opened = _NO_KEY, False, None, event_anchor, budget
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value, sl, sc, el, ec = _close(cur, marks, packed, merges, event.args[1], kind is MappingEndEvent)
            budget -= 1
            if budget < 0:
                raise _TooLarge(root)
            if anchor is not None:
                anchors[anchor] = (value, opened - budget, sl, sc, el, ec, None, None, 0)
            cur, marks, packed, key, kl, kc, kel, kec, merging, merges, anchor, opened = stack.pop()
            raw = style = None
            code = 0
        elif kind is AliasEvent:
            value, cost, sl, sc, el, ec, raw, style, code = _alias(anchors, event)
            budget -= cost
            if budget < 0:
                raise _TooLarge(root)
        else:
            raise ComposerError(None, None, f"unexpected {kind.__name__}", event.args[0])
        if cur is None:  # else the value just built goes into the open collection
            return value, Span(sl + 1, sc + 1, el + 1, ec + 1)
        if type(cur) is YList:
            cur.append(value)
            marks += (sl, sc, el | code, ec)
            if len(marks) > _SPILL:
                packed = _spill(marks, packed)
        elif key is _NO_KEY:
            key = raw if raw is not None else f"<complex key at line {sl + 1}>"
            kl, kc, kel, kec = sl, sc, el, ec
            merging = raw == "<<" and not style
        elif merging:
            merges = _merged(merges, value)
            key = _NO_KEY
        else:
            new = (kl, kc, kel, kec, sl, sc, el | code, ec)
            if key in cur:
                marks, packed = _duplicate(cur, marks, packed, key, new, duplicates)
            else:
                marks += new
                if len(marks) > _SPILL:
                    packed = _spill(marks, packed)
            cur[key] = value
            key = _NO_KEY


# Marks are collected as a list while a collection is open (extending a list is cheaper than an
# array), and moved into a packed array every _SPILL of them: a 666,000-item list would
# otherwise hold two int objects per item until it closes (~50 MB more at its peak).
_SPILL = 8192


def _spill(marks: list[int], packed: array | None) -> array:
    """Move `marks` to the end of `packed` (the collection's marks so far, own span first;
    created on the first spill) and empty the list."""
    if packed is None:
        packed = array("I", marks)
    else:
        packed.fromlist(marks)
    marks.clear()
    return packed


def _close(
    value: Any, marks: list, packed: array | None, merges: list | None, end: Any, mapping: bool
) -> tuple:
    """Close a collection: merge keys applied (a mapping), its marks packed into `_spans`
    with its end; returns it and its span (0-based line, column, end line, end column)."""
    if mapping:
        if merges is not None:
            _merge(value, marks, merges)
        value._keys = tuple(value)
    if packed is not None:  # a long collection: its first marks are packed already
        packed.fromlist(marks)
        marks = packed  # type: ignore[assignment]
    el, ec = end.line, end.column
    marks[2] = el
    marks[3] = ec
    value._spans = (array("I", marks) if packed is None else packed).tobytes()
    return value, marks[0], marks[1], el, ec


def _anchor(anchors: dict, name: str, strict: bool, start: Any, entry: tuple) -> None:
    """Remember a scalar's anchor (libyaml's composer refuses one defined twice)."""
    if strict and name in anchors:
        _duplicate_anchor(anchors[name], start)
    anchors[name] = entry


def _alias(anchors: dict, event: Any) -> tuple:
    """What an alias stands for: the anchored value, its cost and its positions."""
    seen = anchors.get(event.args[0])
    if seen is None:
        raise ComposerError(None, None, "found undefined alias", event.args[1])
    return seen


def _merged(merges: list | None, value: Any) -> list:
    """One more `<<:` value (100k `<<:` keys: concatenating them was quadratic)."""
    if merges is None:
        return [value]
    merges.append(value)
    return merges


def _duplicate(
    mapping: YMap, marks: list, packed: array | None, key: Any, new: tuple[int, ...], duplicates: list
) -> tuple[list, None]:
    """A key seen twice: the later value and its positions win (as the loaders read it), in
    the first one's place; the duplicate is reported at the later key. Returns the marks in
    one run (the first one's slot may have been packed)."""
    if packed is not None:
        marks = packed.tolist() + marks
    slot = list(mapping).index(key)
    marks[4 + 8 * slot : 12 + 8 * slot] = new
    duplicates.append((Span(new[0] + 1, new[1] + 1, new[2] + 1, new[3] + 1), f"duplicate key {key!r}"))
    return marks, None


def _merge(mapping: YMap, marks: list, merges: list) -> None:
    """YAML 1.1 merge keys (`<<: *base`, `<<: [*a, *b]`): keys written in the mapping win,
    then the first source that has the key; merged keys keep the positions they have in
    their source."""
    for merge in merges:
        for src in merge if type(merge) is YList else (merge,):
            if type(src) is not YMap:
                continue
            spans = src._spans
            for slot, key in enumerate(src._keys):
                if key not in mapping:
                    mapping[key] = src[key]
                    marks.extend(array("I", spans[16 + 32 * slot : 48 + 32 * slot]))


def _duplicate_anchor(first: tuple, second: Any) -> None:
    """libyaml's composer refuses an anchor defined twice in one document: so do we
    (`second`: the start mark of the second definition)."""
    from ruamel.yaml.error import StringMark

    mark = StringMark("", 0, first[2], first[3], "", 0)
    raise ComposerError("found duplicate anchor; first occurrence", mark, "second occurrence", second)


def _skip_document(next_event: Callable[[], Any]) -> None:
    """Consume the rest of a refused document's events."""
    while type(next_event()) is not DocumentEndEvent:
        pass


def _events(text: str, pure: bool) -> tuple[Callable[[], Any], Callable[[], None]]:
    """(next event, dispose) over `text`: libyaml's C parser, or ruamel's pure one."""
    if pure:
        from ruamel.yaml import YAML

        events = YAML(typ="base", pure=True).parse(text)
        return _adapted(events.__next__), events.close
    import _ruamel_yaml  # its CParser, not cyaml.CBaseLoader: that one references itself, and
    # the cycle kept each file's parser and its UTF-8 copy of the text alive (GC is paused)

    if not _fast_events(_ruamel_yaml):
        parser = _ruamel_yaml.CParser(text)
        return _adapted(parser.get_event), parser.dispose
    saved = _swap(_ruamel_yaml, _CLASSES)
    try:
        parser = _ruamel_yaml.CParser(text)
    except BaseException:
        _swap(_ruamel_yaml, saved)
        raise

    def dispose() -> None:
        _swap(_ruamel_yaml, saved)
        parser.dispose()

    return parser.get_event, dispose


# libyaml (as bundled with ruamel.yaml.clib) refuses `[host:8080/path]`: a `:` inside a flow
# plain scalar. go-yaml v2 (what kubectl and the API server read with) and YAML 1.2 accept
# it, so a document libyaml refuses for this reason alone is parsed again by ruamel's pure
# Python parser (same events and marks; slower, but only for these rare documents).
_LIBYAML_ONLY_ERROR = "found unexpected ':'"


def _compose(
    text: str, docs: list[YamlDoc], errors: list[YamlError], duplicates: list, chunk: str, pure: bool = False
) -> bool:
    """Build every document of `text` into `docs` (path, index and source still to be set);
    False when the parser raised (docs so far kept). `chunk` is the text errors are
    classified by (`text` may be padded with line breaks so that its marks are the file's)."""
    kept = len(docs), len(errors), len(duplicates)
    next_event, dispose = _events(text, pure)
    try:
        while True:
            kind = type(next_event())
            if kind is StreamEndEvent:
                return True
            if kind is not DocumentStartEvent:
                continue
            found: list[tuple[Span, str]] = []
            try:
                root, span = _build(next_event, not pure, found)
                docs.append(YamlDoc("", 0, root, span))
            except _TooLarge as large:
                errors.append(
                    YamlError(
                        large.args[0],
                        "document expands beyond 1,000,000 values through aliases (alias bomb?); not linted",
                        "",
                        refused=True,
                    )
                )
                try:
                    _skip_document(next_event)
                except Exception:
                    return True  # the refusal is the document's one finding
                continue
            except _TooDeep as deep:
                message = f"nesting deeper than {MAX_NESTING} levels; not parsed"
                errors.append(YamlError(deep.args[0], message, "", refused=True))
                # The rest of the stream is not read: libyaml's scanner is quadratic in flow
                # depth (100,000 `[` take 50 s), and a file this deep is not a manifest.
                return True
            duplicates.extend(found)
    except Exception as exc:  # libyaml's scanner/parser errors, undefined or duplicate anchors
        if not pure and _LIBYAML_ONLY_ERROR in str(exc):
            del docs[kept[0] :], errors[kept[1] :], duplicates[kept[2] :]
            return _compose(text, docs, errors, duplicates, chunk, pure=True)
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
        line, col = line + 1, col + 1
        message = f"{context} {problem}" if context.startswith("while") else str(problem)
        if opens and problem_mark is not None:
            message += f" (noticed at line {problem_mark.line + 1})"
        errors.append(YamlError(Span(line, col, line, col + 1), f"YAML syntax error: {message}", chunk))
        return False
    finally:
        dispose()


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
    if not _compose(text, docs, errors, duplicates, text):
        # Retry document by document so one bad document hides nothing else; each chunk is
        # padded with the line breaks before it, so its marks are already the file's.
        docs, errors, duplicates = [], [], []
        starts = [0] + [m.start() for m in _DOC_MARKER.finditer(text) if m.start() > 0]
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(text)
            chunk = text[start:end]
            _compose("\n" * text.count("\n", 0, start) + chunk, docs, errors, duplicates, chunk)
    for index, doc in enumerate(docs):
        doc.path, doc.index, doc.text = path, index, text
    return docs, errors, duplicates


def load_plain_yaml(text: str) -> Any:
    """Plain Python values (no positions) for our own trusted files: config, rule metadata."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=False).load(text)
