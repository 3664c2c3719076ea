"""Walk a YAML object together with its compiled schema: problems at the offending key or value.

Why not `jsonschema` at run time: validating 2,000 objects with it costs seconds, and its
error paths still have to be mapped back to positions. Here the compact schema (see
scripts/gen_schemas.py) is compiled once per kind into `Node` objects whose checks are plain
attribute reads: a field costs one dict lookup and one type test, and only the values that
carry an enum, pattern, format or bound pay for more. `jsonschema` stays the reference:
tests/test_schema_differential.py checks that both find the same problems on corpus objects.

Values are typed as the consuming Go program reads them (parse/yaml.py): a quoted "3" is a
string, plain `yes` a boolean. A null value means "not set" to the API server and is never a
problem. Strings still to be substituted (`{{ }}`, `${VAR}`, `$(VAR)`, `@VAR@`, SOPS `ENC[...]`:
templating.py) are placeholders of a templating step: not judged.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from manifestlint.model import YList, YMap
from manifestlint.templating import is_placeholder

UNKNOWN, TYPE, VALUE, REQUIRED = "unknown-field", "invalid-type", "invalid-value", "missing-required"
SOURCE = "\x00"  # where the caller names the schema in an unknown-field message

_PYTYPES: dict[str, frozenset[type]] = {
    "object": frozenset({YMap}),
    "array": frozenset({YList}),
    "string": frozenset({str}),
    "integer": frozenset({int}),
    "number": frozenset({int, float}),
    "boolean": frozenset({bool}),
    "int-or-string": frozenset({int, str}),
    "quantity": frozenset({int, float, str}),
}
TYPE_WORDS = {
    "object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
    "number": "a number", "boolean": "a boolean", "int-or-string": "an integer or a string",
    "quantity": "a quantity (a number or a string such as 500m or 128Mi)",
}  # fmt: skip


class Node:
    """One compiled schema node. `props` maps a field to its Node; `extra` is the Node of
    additionalProperties values, True for "anything", None for "unknown fields are dropped"."""

    __slots__ = ("checks", "enum", "extra", "fmt", "good", "hi", "items", "keep", "lo", "pattern", "props",
                 "pytypes", "required", "type")  # fmt: skip

    def __init__(self) -> None:
        self.type = ""
        self.pytypes: frozenset[type] | None = None
        self.props: dict[str, Node] | None = None
        self.extra: Node | bool | None = None
        self.keep = False
        self.required: tuple[str, ...] = ()
        self.items: Node | None = None
        self.enum: list | None = None
        self.fmt = ""
        self.pattern: Any = None  # an RE2 program
        self.lo: float | None = None
        self.hi: float | None = None
        self.checks = False  # any scalar check besides the type
        self.good: set = set()  # values that passed the checks (a cache, never a verdict)


def _pattern(text: str) -> Any:
    """The CRD's pattern compiled by RE2 (what the API server's Go regexp reads, in linear
    time: a CRD's `^(a|aa)*c$` took Python's backtracking `re` minutes on a 60-character
    value), or None when RE2 refuses it (not guessed)."""
    from manifestlint.userregex import compile_re2

    return compile_re2(text)[0] if len(text) <= MAX_PATTERN else None


MAX_PATTERN = 10_000  # characters of a CRD pattern compiled


class Compiler:
    """Compiles compact nodes on first use; named types (Kubernetes definitions) once each,
    so a cycle (JSONSchemaProps) or a shared type (Container) costs one compilation."""

    def __init__(self, types: dict[str, Any]) -> None:
        self.types = types
        self.named: dict[str, Node] = {}

    def compile(self, raw: Any) -> Node:
        if isinstance(raw, str):
            node = self.named.get(raw)
            if node is None:
                node = self.named[raw] = Node()
                self._fill(node, self.types.get(raw, {}))
            return node
        node = Node()
        self._fill(node, raw if isinstance(raw, dict) else {})
        return node

    def _fill(self, node: Node, raw: dict) -> None:
        node.type = raw.get("t", "")
        node.pytypes = _PYTYPES.get(node.type)
        if "p" in raw:
            node.props = {key: self.compile(sub) for key, sub in raw["p"].items()}
        extra = raw.get("a")
        node.extra = True if extra is True else self.compile(extra) if extra is not None else None
        node.keep = bool(raw.get("u"))
        node.required = tuple(raw.get("r", ()))
        if "i" in raw:
            node.items = self.compile(raw["i"])
        node.enum = raw.get("e")
        node.fmt = raw.get("f", "")
        node.pattern = _pattern(raw["x"]) if isinstance(raw.get("x"), str) else None
        node.lo, node.hi = raw.get("lo"), raw.get("hi")
        node.checks = bool(node.enum is not None or node.fmt or node.pattern or node.lo is not None
                           or node.hi is not None)  # fmt: skip


# ------------------------------------------------------------------ formats

_QUANTITY = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?\Z")
_PORT_NAME = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?\Z")
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _port_name_ok(value: str) -> bool:
    """IANA_SVC_NAME as Kubernetes validates it: <= 15 lowercase letters, digits and inner
    dashes (no `--`), at least one letter."""
    return (
        len(value) <= 15 and _PORT_NAME.match(value) is not None and "--" not in value
        and any(c.isalpha() for c in value)
    )  # fmt: skip


def _format_problem(fmt: str, value: Any) -> str | None:
    """Why `value` does not have format `fmt` (None when it does or cannot be judged)."""
    is_int = type(value) is int
    if fmt in _INT_RANGES:
        low, high = _INT_RANGES[fmt]
        return None if not is_int or low <= value <= high else f"{value} does not fit in {fmt}"
    if fmt == "quantity":
        if type(value) is str and not _QUANTITY.match(value.strip()):
            return f"{value!r} is not a quantity (e.g. 500m, 1.5, 128Mi, 2Gi)"
        return None
    if fmt in ("port", "port-or-zero"):
        low = 0 if fmt == "port-or-zero" else 1
        return None if not is_int or low <= value <= 65535 else f"{value} is outside {low}-65535"
    if fmt == "port-name":
        return None if type(value) is not str or _port_name_ok(value) else _bad_port_name(value)
    if fmt == "port-or-name":
        if is_int:
            return None if 1 <= value <= 65535 else f"{value} is outside 1-65535"
        return None if type(value) is not str or _port_name_ok(value) else _bad_port_name(value)
    if fmt == "byte" and type(value) is str:
        try:
            base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
        except (binascii.Error, ValueError):
            return "it is not base64 (the field holds base64-encoded bytes, e.g. `base64 -w0 FILE`)"
    return None


def _bad_port_name(value: str) -> str:
    return (
        f"{value!r} is neither a port number nor a valid port name (lowercase letters, digits and "
        "'-', at least one letter, at most 15 characters)"
    )


def _placeholder(value: Any) -> bool:
    """A value left for a templating step (`${VAR}`, `$(VAR)`, `@VAR@`, `{{ .x }}`, a SOPS
    `ENC[...]`: templating.placeholder), or a plain `{{x}}` that YAML
    read as a flow mapping with a mapping for its key."""
    if type(value) is str:
        return is_placeholder(value)  # templating.py: the one predicate of value rules
    return type(value) is YMap and len(value) == 1 and str(next(iter(value))).startswith("<complex key")


def describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 40 else "a string"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, YMap):
        return "a mapping"
    if isinstance(value, YList):
        return "a list"
    return f"the number {value!r}"


def _no_match(program: Any, value: str) -> bool:
    try:
        return program.search(value) is None
    except (ValueError, TypeError):  # unencodable text (lone surrogates): no verdict
        return False


# ------------------------------------------------------------------ suggestions


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours counts once), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


MAX_SUGGEST_KEY = 100  # characters of a key worth a did-you-mean (a 6,000-character key is no typo)
MAX_SUGGEST_CANDIDATES = 2_000  # fields compared by edit distance (a schema of 20,000 properties)


def suggest(key: str, candidates: Any) -> str | None:
    """The field `key` most likely misspells: a case-insensitive match first, else the one
    closest by edit distance (at most 1 for short names, 2 from 5 characters), if unique.
    Bounded: long keys and huge schemas get the case-insensitive match only (a CRD of 20,000
    properties and an object of 5,000 unknown keys were 100 million comparisons)."""
    if len(key) > MAX_SUGGEST_KEY:
        return None
    lower = key.lower()
    folded = _folded(candidates)
    if lower in folded:
        return folded[lower]
    if len(folded) > MAX_SUGGEST_CANDIDATES:
        return None
    limit = 2 if len(key) >= 5 else 1
    best: list[str] = []
    best_distance = limit + 1
    for name in candidates:
        d = _distance(lower, name.lower(), limit)
        if d < best_distance:
            best, best_distance = [name], d
        elif d == best_distance and d <= limit:
            best.append(name)
    return best[0] if len(best) == 1 and best_distance <= limit else None


_FOLDED: dict[int, tuple[Any, dict[str, str]]] = {}


def _folded(candidates: Any) -> dict[str, str]:
    """Lower-cased name -> name (the first), once per candidate collection (a schema's
    properties are the same object for every value they validate)."""
    found = _FOLDED.get(id(candidates))
    if found is None or found[0] is not candidates:
        folded: dict[str, str] = {}
        for name in candidates:
            folded.setdefault(str(name).lower(), name)
        if len(_FOLDED) > 10_000:
            _FOLDED.clear()
        found = _FOLDED[id(candidates)] = (candidates, folded)
    return found[1]


# ------------------------------------------------------------------ the walk


class Walker:
    """Collects (problem, holder, key, message, path) for one object; `holder[key]` is the
    value (key None: the holder itself), `path` the linked path of the offending field.
    `typos` are (mapping, key, meant) for confident misspellings."""

    __slots__ = ("problems", "typos")

    def __init__(self) -> None:
        self.problems: list[tuple[str, Any, Any, str]] = []
        self.typos: list[tuple[YMap, str, str]] = []

    def mapping(self, value: YMap, node: Node, path: tuple, holder: Any = None, at: Any = None) -> None:
        """Check one mapping; `holder[at]` is where it stands (None for the object itself),
        the anchor of a missing required field."""
        props = node.props
        extra = node.extra
        check_unknown = extra is None and not node.keep and (props is not None or node.type == "object")
        misspelt: set[str] | None = None
        for key, sub in value.items():
            child = props.get(key) if props is not None else None
            if child is None:
                if extra is not None:
                    if extra is not True and sub is not None:
                        self.value(sub, extra, value, key, (path, key))
                elif check_unknown:
                    meant = self.unknown(value, key, props or {}, path)
                    if meant is not None:
                        misspelt = misspelt or set()
                        misspelt.add(meant)
                continue
            if sub is None:
                continue
            kind = type(sub)  # the hot path: a scalar of the right type, known to be fine
            if (
                kind is YMap or kind is YList or (child.pytypes is not None and kind not in child.pytypes)
                or (child.checks and sub not in child.good)
            ):  # fmt: skip
                self.value(sub, child, value, key, (path, key))
        for name in node.required:
            if value.get(name) is None and not (misspelt and name in misspelt):
                message = f"{render(path)}: required field `{name}` is missing"
                if name in value:  # written, but null
                    self.problems.append((REQUIRED, value, name, message, (path, name)))
                else:
                    anchor = at if holder is not None else value
                    self.problems.append((REQUIRED, holder, anchor, message, (path, name)))

    def unknown(self, value: YMap, key: Any, props: dict, path: tuple) -> str | None:
        where = render(path)
        meant = suggest(key, props) if isinstance(key, str) else None
        if meant is not None and meant not in value:
            self.typos.append((value, key, meant))
            message = f"unknown field `{key}` in {where}{SOURCE}: did you mean `{meant}`?"
        else:
            message = f"unknown field `{key}` in {where}{SOURCE}"
            meant = None
        self.problems.append((UNKNOWN, value, key, message, (path, key)))
        return meant

    def value(self, sub: Any, node: Node, holder: Any, key: Any, path: tuple) -> None:
        kind = type(sub)
        pytypes = node.pytypes
        if pytypes is not None and kind not in pytypes:
            if not _placeholder(sub):
                message = f"{render(path)} is {describe(sub)}, not {TYPE_WORDS[node.type]}"
                self.problems.append((TYPE, holder, key, message, path))
            return
        if kind is YMap:
            self.mapping(sub, node, path, holder, key)
        elif kind is YList:
            items = node.items
            if items is not None:
                for index, item in enumerate(sub):
                    if item is not None:
                        self.value(item, items, sub, index, (path, index))
        elif node.checks and sub not in node.good and not _placeholder(sub):
            problem = scalar_problem(sub, node)
            if problem:
                where = render(path)
                if node.fmt == "byte" and where.startswith("data."):  # a Secret's data
                    problem += "; plain text goes under `stringData` instead"
                self.problems.append((VALUE, holder, key, f"{where}: {problem}", path))
            elif len(node.good) < 256:
                node.good.add(sub)  # 2,000 objects repeat the same few quantities and ports


def scalar_problem(value: Any, node: Node) -> str | None:
    if node.enum is not None and value not in node.enum:
        allowed = ", ".join(str(v) for v in node.enum[:12]) + (", ..." if len(node.enum) > 12 else "")
        return f"{value!r} is not one of {allowed}"
    if node.fmt:
        problem = _format_problem(node.fmt, value)
        if problem:
            return problem
    if node.pattern is not None and type(value) is str and _no_match(node.pattern, value):
        return f"{value!r} does not match the pattern {node.pattern.pattern}"
    number = type(value) in (int, float)
    if number and node.lo is not None and value < node.lo:
        return f"{value} is below the minimum {node.lo}"
    if number and node.hi is not None and value > node.hi:
        return f"{value} is above the maximum {node.hi}"
    return None


def render(path: tuple) -> str:
    """`((((), 'spec'), 'containers'), 0)` -> `spec.containers[0]`."""
    parts: list[Any] = []
    while path:
        path, step = path
        parts.append(step)
    out = ""
    for step in reversed(parts):
        out += f"[{step}]" if isinstance(step, int) else f".{step}" if out else str(step)
    return out or "the object"


def validate(root: YMap, node: Node) -> Walker:
    walker = Walker()
    walker.mapping(root, node, ())
    return walker
