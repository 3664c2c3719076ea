"""What an expression does that its author did not mean (pint's offline PromQL checks): a raw
counter compared with a constant, alerts that flap by construction, queries that can never
return anything, and regular-expression matchers that are unneeded, anchored or smelly.

Each reads the parsed expression (parse/promql.py memoises it, so the other rules' parse is
shared) and reports inside it, at the offending selector, aggregation or matcher.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.classify import RuleGroups
from manifestlint.model import Finding, YMap, doc_hit
from manifestlint.parse import promql
from manifestlint.parse.promql import Node
from manifestlint.registry import rule
from manifestlint.rules.prometheus.common import inside, iter_alerts, iter_rules

COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "^", "atan2"})
# Aggregations whose value is still the counter's scale (sum of counters is a counter).
_PASS_AGG = frozenset({"sum", "min", "max", "avg", "quantile", "stddev", "stdvar"})
SAMPLING = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})
# Aggregations that drop every label but those of by(...).
_LABEL_DROPPING = frozenset({"sum", "min", "max", "avg", "count", "group", "stddev", "stdvar", "quantile",
                             "count_values"})  # fmt: skip


def _tree(entry: YMap, needs: str = "") -> Node | None:
    """The parsed expression; None when it does not parse, or when it does not contain `needs`
    (a substring every expression the caller reports on has: no parse for the others)."""
    expr = entry.get("expr")
    if not isinstance(expr, str) or not expr.strip() or needs not in expr:
        return None
    try:
        return promql.parse(expr)
    except (promql.PromQLError, RecursionError):
        return None


def _strip(node: Node) -> Node:
    while node.kind in ("paren", "unary") and node.children:
        node = node.children[0]
    return node


# ------------------------------------------------------------------ raw counters


# Words of gauges that exporters name `*_total` all the same (a total capacity, a current count):
# `container_fs_inodes_total`, `openstack_placement_resource_total`, `active_agents_total`.
_GAUGE_WORDS = re.compile(
    r"(active|current|inflight|in_flight|pending|queue|available|capacity|limit|free|used|offline|online|"
    r"size|bytes_total$|inodes|resource|members|nodes|managers|incidents|not_)"
)


def _divisors(tree: Node) -> set[str]:
    """Metrics the expression divides by: a `*_total` used as a denominator is a quantity (a
    capacity or a size), not a counter."""
    out: set[str] = set()
    for node in tree.walk():
        if node.kind == "binary" and node.name == "/" and len(node.children) == 2:
            out |= {n.name for n in node.children[1].walk() if n.kind == "selector"}
    return out


def _raw_counter(node: Node) -> Node | None:
    """The `*_total` selector a compared value is, read through parentheses, sums and scaling by
    a constant; None when a function (rate, increase...) or anything else is in between."""
    node = _strip(node)
    if node.kind == "selector":
        return node if node.name.endswith("_total") else None
    if node.kind == "aggregate" and node.name in _PASS_AGG and node.children:
        return _raw_counter(node.children[-1])
    if node.kind == "binary" and node.name in ("*", "/") and len(node.children) == 2:
        left, right = (_strip(c) for c in node.children)
        if right.kind == "number":
            return _raw_counter(left)
        if left.kind == "number" and node.name == "*":
            return _raw_counter(right)
    return None


def _exceeds(op: str, left: Node, right: Node) -> bool:
    """`counter > N` / `counter >= N` (N above 0, either side written first): the raw count
    exceeding a constant, the comparison that is wrong for a counter."""
    if right.kind == "number" and left.kind != "number":
        value, op = float(right.value), op  # type: ignore[arg-type]
    elif left.kind == "number" and right.kind != "number":
        value, op = float(left.value), {">": "<", ">=": "<=", "<": ">", "<=": ">="}.get(op, op)  # type: ignore[arg-type]
    else:
        return False
    return (op == ">" and value > 0) or (op == ">=" and value > 1)


@rule("prometheus-raw-counter-compared", "prometheus-rules")
def raw_counter_compared(groups: RuleGroups, ctx) -> Iterator[Finding]:
    """A counter only grows (and restarts from 0): its raw value compared with a constant says
    how much happened since the process started, not now."""
    for _group, entry in iter_alerts(groups):
        tree = _tree(entry, "_total")
        if tree is None:
            continue
        for node in tree.walk():
            if node.kind != "binary" or node.name not in COMPARISONS or node.bool_modifier:
                continue
            left, right = (_strip(c) for c in node.children)
            if not _exceeds(node.name, left, right):
                continue  # `< 60` (a restart), `> 0`/`== 0` (ever happened since start): deliberate
            side = left if right.kind == "number" else right
            counter = _raw_counter(side)
            if (
                counter is not None
                and counter.name not in _divisors(tree)
                and not _GAUGE_WORDS.search(counter.name)
            ):
                yield doc_hit(
                    groups.doc,
                    inside(groups.doc, entry, "expr", counter.pos, len(counter.name)),
                    f"alert {entry['alert']!r} compares the counter {counter.name} itself with a constant: "
                    "it counts since the process started (and drops to 0 on restart); compare "
                    f"rate({counter.name}[5m]) or increase({counter.name}[1h]) instead",
                )
                break


# ------------------------------------------------------------------ flapping alerts


def _metrics(node: Node) -> frozenset[str]:
    return frozenset(n.name for n in node.walk() if n.kind == "selector" and n.name)


def _under_aggregation(tree: Node, target: Node) -> bool:
    """Whether `target` sits below another aggregation (whose grouping decides the labels)."""
    stack: list[tuple[Node, bool]] = [(tree, False)]
    while stack:
        node, below = stack.pop()
        if node is target:
            return below
        nested = below or (node.kind == "aggregate" and node.name not in SAMPLING)
        stack.extend((child, nested) for child in node.children)
    return False


@rule("prometheus-fragile-alert", "prometheus-rules")
def fragile_alert(groups: RuleGroups, ctx) -> Iterator[Finding]:
    """topk()/bottomk() in an alert return different series from one evaluation to the next,
    and a ratio of two sums over different targets is wrong while Prometheus (re)starts."""
    for _group, entry in iter_alerts(groups):
        tree = _tree(entry)
        if tree is None:
            continue
        name = entry["alert"]
        for node in tree.walk():
            if (
                node.kind == "aggregate"
                and node.name in SAMPLING
                and not node.value  # `topk by (...) (1, ...)`: one series per group, a stable choice
                and not _under_aggregation(tree, node)
            ):
                yield doc_hit(
                    groups.doc,
                    inside(groups.doc, entry, "expr", node.pos, len(node.name)),
                    f"alert {name!r} uses {node.name}(): the series it keeps change between evaluations, "
                    "so alerts fire and resolve by turns; alert on the condition itself",
                )
                break
        if "for" in entry:
            continue  # a wait, or `for: 0s` written on purpose (issue 19, principle 10)
        for node in tree.walk():
            if node.kind != "binary" or node.name not in ARITHMETIC or len(node.children) != 2:
                continue
            if isinstance(node.value, tuple) and node.value[2]:
                continue  # `* on(...) group_left(label) info_metric`: a join adding labels, not a ratio
            left, right = (_strip(c) for c in node.children)
            if (
                left.kind == right.kind == "aggregate"
                and _metrics(left)
                and _metrics(left) != _metrics(right)
            ):
                yield doc_hit(
                    groups.doc,
                    inside(groups.doc, entry, "expr", node.pos, len(node.name)),
                    f"alert {name!r} has no 'for' and divides or combines two aggregations of different "
                    "metrics: while Prometheus (re)starts and has scraped only part of the targets the "
                    "result is wrong for an evaluation or two; add a 'for'",
                )
                break


# ------------------------------------------------------------------ impossible queries

_KEEPS = object()  # the labels of the series it reads: unknown here


def _labels(node: Node):
    """The labels every result series carries, when the expression says (a frozenset), else
    _KEEPS (a selector's series carry labels the files do not show)."""
    node = _strip(node)
    if node.kind == "aggregate":
        if node.name in _LABEL_DROPPING:
            if node.without:
                return _KEEPS
            return frozenset(node.value or ())
        return _labels(node.children[-1]) if node.children else _KEEPS
    if node.kind == "call":
        if node.name == "vector":
            return frozenset()
        if node.name in ("label_replace", "label_join", "absent", "absent_over_time", "scalar", "time"):
            return _KEEPS
        vectors = [c for c in node.children if c.type == promql.VECTOR]
        return _labels(vectors[0]) if len(vectors) == 1 else _KEEPS
    if node.kind == "binary":
        matching = node.value if isinstance(node.value, tuple) else None
        if matching is not None and matching[2]:  # group_left/group_right: labels joined in
            return _KEEPS
        left, right = node.children
        if left.type == promql.SCALAR:
            return _labels(right)
        return _labels(left)
    return _KEEPS


def _selector_labels(node: Node) -> set[str]:
    """Labels a selector's series surely carry (its equality matchers with a non-empty value)."""
    node = _strip(node)
    if node.kind != "selector":
        return set()
    return {label for label, op, value in node.value or () if op == "=" and value and label != "__name__"}


def impossible_problems(tree: Node) -> Iterator[tuple[Node, str]]:
    """(node, why) for each part of the expression that can never match or aggregate anything."""
    for node in tree.walk():
        if node.kind == "selector":
            equal: dict[str, str] = {}
            for label, op, value in node.value or ():
                if op == "=" and label in equal and equal[label] != value:
                    yield (
                        node,
                        f"{label}={equal[label]!r} and {label}={value!r} on one selector: no series has both",
                    )
                elif op == "=":
                    equal[label] = value
            for label, op, value in node.value or ():
                if op == "!=" and equal.get(label) == value:
                    yield node, f"{label}={value!r} and {label}!={value!r} on one selector: no series matches"
        elif node.kind == "aggregate" and node.value and not node.without and node.children:
            inner = _labels(node.children[-1])
            if inner is not _KEEPS:
                gone = [label for label in node.value if label not in inner]
                if gone:
                    yield (
                        node,
                        f"by({', '.join(gone)}) groups by a label the inner aggregation already removed",
                    )
        elif node.kind == "binary" and len(node.children) == 2:
            yield from _join_problems(node)


def _join_problems(node: Node) -> Iterator[tuple[Node, str]]:
    matching = node.value if isinstance(node.value, tuple) else None
    left, right = node.children
    if left.type != promql.VECTOR or right.type != promql.VECTOR:
        return
    sides = (_labels(left), _labels(right))
    if matching is not None and matching[0] == "on":
        for side, labels in zip(("left", "right"), sides, strict=True):
            if labels is not _KEEPS:
                gone = [label for label in matching[1] if label not in labels]
                if gone:
                    yield node, (f"on({', '.join(gone)}): the {side} side has no such label (its aggregation "
                                 "removed it), so nothing joins on it")  # fmt: skip
                    return
    if matching is None and node.name in ("and", "unless"):
        for labels, other in ((sides[0], right), (sides[1], left)):
            if labels == frozenset() and _selector_labels(other):
                shown = ", ".join(sorted(_selector_labels(other)))
                yield node, (f"'{node.name}' between series with labels ({shown}) and an aggregation "
                             "without labels: label sets never match")  # fmt: skip
                return


@rule("prometheus-impossible-query", "prometheus-rules")
def impossible_query(groups: RuleGroups, ctx) -> Iterator[Finding]:
    """An expression that can never return anything: the rule never fires or records nothing."""
    for _group, entry in iter_rules(groups):
        tree = _tree(entry)
        if tree is None:
            continue
        for node, why in impossible_problems(tree):
            yield doc_hit(groups.doc, inside(groups.doc, entry, "expr", node.pos, len(node.name) or 1), why)
            break


# ------------------------------------------------------------------ regular-expression matchers

_META = re.compile(r"[.^$*+?()\[\]{}|\\]")
_SMELLY = re.compile(r"[^.^$*+?()\[\]{}|\\]+\.[*+][^.^$*+?()\[\]{}|\\]+")


def regexp_problems(node: Node) -> Iterator[tuple[str, str]]:
    """(label, why) for each regular-expression matcher of a selector that is unneeded, anchored
    or smelly (pint's promql/regexp)."""
    for label, op, value in node.value or ():
        if op not in ("=~", "!~"):
            continue
        plain = "=" if op == "=~" else "!="
        if value and not _META.search(value):
            yield (
                label,
                f'{label}{op}"{value}" matches one literal value: {label}{plain}"{value}" says so, cheaper',
            )
        elif value.startswith("^") or (value.endswith("$") and not value.endswith("\\$")):
            yield label, (f'{label}{op}"{value}": Prometheus anchors every regular expression already; '
                          "drop the ^ and $")  # fmt: skip
        elif "|" not in value and _SMELLY.search(value):
            yield label, (f'{label}{op}"{value}" picks a part out of a composite label value: the parts '
                          "belong in labels of their own")  # fmt: skip


@rule("prometheus-regexp-matcher", "prometheus-rules")
def regexp_matcher(groups: RuleGroups, ctx) -> Iterator[Finding]:
    for _group, entry in iter_rules(groups):
        tree = _tree(entry, "~")
        if tree is None:
            continue
        expr = str(entry.get("expr"))
        for node in tree.walk():
            if node.kind != "selector" or not node.value:
                continue
            for label, why in regexp_problems(node):
                at = _matcher_offset(expr, node.pos, label)
                yield doc_hit(groups.doc, inside(groups.doc, entry, "expr", at, len(label)), why)


def _matcher_offset(expr: str, start: int, label: str) -> int:
    """Where the matcher `label=~...` of the selector at `start` is written (the selector's own
    offset when it cannot be found)."""
    match = re.compile(rf"\b{re.escape(label)}\s*[=!]~").search(expr, start)
    return match.start() if match else start


# ------------------------------------------------------------------ NaN in aggregations

_NAN_PROPAGATING = frozenset({"sum", "avg", "stddev", "stdvar", "quantile"})
_GUARDS = frozenset({"clamp_min", "clamp", "vector"})


def _unguarded_divisions(node: Node) -> Iterator[Node]:
    """Divisions and modulos by a vector in `node` (not inside a nested aggregation) whose
    divisor is not filtered (`b > 0`) or clamped: 0/0 is NaN, x/0 is ±Inf."""
    stack = [node]
    while stack:
        sub = stack.pop()
        if sub.kind == "aggregate":
            continue  # its own result: judged as an aggregation of its own
        if sub.kind == "binary" and sub.name in ("/", "%") and len(sub.children) == 2:
            divisor = _strip(sub.children[1])
            guarded = (
                divisor.type != promql.VECTOR
                or (divisor.kind == "binary" and divisor.name in COMPARISONS and not divisor.bool_modifier)
                or (divisor.kind == "call" and divisor.name in _GUARDS)
            )
            if not guarded:
                yield sub
        stack.extend(sub.children)


@rule("prometheus-nan-in-aggregation", "prometheus-rules")
def nan_in_aggregation(groups: RuleGroups, ctx) -> Iterator[Finding]:
    """One series dividing by zero makes a sum or average of all of them NaN or ±Inf."""
    for _group, entry in iter_rules(groups):
        tree = _tree(entry, "/") or _tree(entry, "%")
        if tree is None:
            continue
        for node in tree.walk():
            if node.kind != "aggregate" or node.name not in _NAN_PROPAGATING or not node.children:
                continue
            division = next(_unguarded_divisions(node.children[-1]), None)
            if division is not None:
                yield doc_hit(
                    groups.doc,
                    inside(groups.doc, entry, "expr", division.pos, 1),
                    f"{node.name}() over a division by a series that may be 0: one 0/0 (NaN) or x/0 (Inf) "
                    f"makes the whole {node.name} NaN or Inf; divide after aggregating "
                    "(`sum(a) / sum(b)`) or filter the divisor (`b > 0`)",
                )
                break
