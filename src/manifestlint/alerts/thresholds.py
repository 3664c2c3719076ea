"""What an alert watches and at which level it fires, read from its PromQL AST.

`understand(expr, ctx)` answers with a category (cpu, memory, disk, error-rate, latency),
the threshold normalised to one scale (percent of usage for cpu/memory/disk and error
rate, seconds for latency) when it has one, or the reason it was not understood.
`recognise(expr)` is its threshold alone.

What the compared quantity is comes from `alerts.quantities` (structure and metric-name
parts, the project's recording rules read through). Conditions are then judged in the
direction they fire:

- `usage > 90`, `free < 10` (usage above 90), `90 < usage` all fire *above* 90%;
- ranges (`x > 90 and x < 95`, `95 > x > 90` written as `90 < x < 95`) fire from their
  lower edge;
- `usage < 20` or `free > 80` fire on *low* usage: not an alert the policy's "above"
  figure applies to, so no threshold;
- a share compared with a number outside its scale, a latency gauge without a unit
  whose figure does not tell seconds from milliseconds, conditions on several categories
  or with different thresholds: no threshold, and the reason says why.

SLO burn-rate alerts (`alerts.slo`) are error-rate alerts whose threshold is a burn rate of
an error budget, not an error rate: they carry their objective instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from manifestlint.alerts.categories import CATEGORIES, LABELS, format_value
from manifestlint.alerts.quantities import Context, Q, measure, number, strip
from manifestlint.parse import promql
from manifestlint.parse.promql import Node

_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">="}


@dataclass(frozen=True, slots=True)
class Threshold:
    """A recognised alert condition, normalised (see the module docstring)."""

    category: str
    threshold: float  # percent of usage (cpu, memory, disk, error-rate) or seconds (latency)
    comparison: str  # ">" or ">=", after inversion of conditions on free quantities
    offset: int  # the threshold literal inside the expression
    width: int
    literal: str  # as written

    def shown(self) -> str:
        """`> 95%` or `> 500ms`: the normalised condition as a reader writes it."""
        return f"{self.comparison} {format_value(self.category, self.threshold)}"


@dataclass(frozen=True, slots=True)
class Understanding:
    """What was understood of one alert: a threshold, a category alone, or neither; the
    reason when there is no threshold; the SLO objective of a burn-rate alert."""

    threshold: Threshold | None = None
    category: str | None = None
    reason: str | None = None
    objective: float | None = None  # burn-rate alerts: the SLO objective, e.g. 0.999


@dataclass(frozen=True, slots=True)
class _Edge:
    category: str
    value: float  # usage percent or seconds
    fires_above: bool
    comparison: str
    literal: Node
    subject: str


# ---------------------------------------------------------------- conditions


def conditions(node: Node) -> list[tuple[Node, str, Node]]:
    """(subject, operator, literal) of every filtering comparison with a number, on both
    sides of `and`/`or` and the left of `unless`, with chains (`3 <= x < 20`) unrolled.
    The operator reads `subject OP literal`."""
    node = strip(node)
    if node.kind != "binary":
        return []
    if node.name in ("and", "or"):
        return conditions(node.children[0]) + conditions(node.children[1])
    if node.name == "unless":
        return conditions(node.children[0])
    if node.name not in promql.COMPARISONS or node.bool_modifier:
        return []
    left, right = strip(node.children[0]), strip(node.children[1])
    if number(right) is not None and number(left) is None:
        return [(left, node.name, right), *_chained(left)]
    if number(left) is not None and number(right) is None:
        return [(right, _FLIP.get(node.name, node.name), left), *_chained(right)]
    for this, other, op in ((left, right, node.name), (right, left, _FLIP.get(node.name, node.name))):
        scaled = _scaled_series(other)
        if scaled is not None:  # `used > 0.9 * limit` is `used / limit > 0.9`
            series, literal = scaled
            return [(Node("binary", this.type, this.pos, "/", [this, series]), op, literal)]
    return []


def _scaled_series(node: Node) -> tuple[Node, Node] | None:
    """(series, number) of `0.9 * series` or `series * 0.9` (a fraction of another series)."""
    node = strip(node)
    if node.kind != "binary" or node.name != "*":
        return None
    a, b = (strip(c) for c in node.children)
    for k, series in ((a, b), (b, a)):
        value = number(k)
        if value is not None and 0 < value <= 1 and number(series) is None and series.kind == "selector":
            return series, k
    return None


def _chained(node: Node) -> list[tuple[Node, str, Node]]:
    """`(3 <= x) < 20`: the inner comparison is a condition on the same subject."""
    if node.kind == "binary" and node.name in promql.COMPARISONS and not node.bool_modifier:
        return conditions(node)
    return []


def _subject_text(expr: str, node: Node) -> str:
    """The subject's text, for telling one subject's range from two subjects."""
    names = sorted(f"{n.name}{n.value}" for n in node.walk() if n.kind == "selector")
    calls = sorted(n.name for n in node.walk() if n.kind in ("call", "aggregate", "binary"))
    return f"{names}{calls}"


def _literal(text: str, node: Node) -> tuple[int, int, str]:
    match = promql._NUMBER.match(text, node.pos)
    if match is None:
        return node.pos, 1, text[node.pos : node.pos + 1]
    return node.pos, match.end() - node.pos, match.group()


# ---------------------------------------------------------------- judging one condition


def _share_percent(q: Q, value: float) -> tuple[float | None, str | None]:
    scale = q.scale
    if scale == "":
        if 0 < value < 1:
            scale = "ratio"
        elif 1 < value <= 100:
            scale = "percent"
        elif value > 100:
            return None, "an absolute figure, not a share of a whole"
        else:
            return None, f"a share compared with {value:g}: ratio or percent cannot be told"
    if scale == "ratio":
        if not 0 <= value <= 1:
            return None, f"a 0..1 ratio compared with {value:g}"
        return value * 100, None
    if not 0 <= value <= 100:
        return None, f"a percentage compared with {value:g}"
    return value, None


def _latency_seconds(q: Q, value: float) -> tuple[float | None, str | None]:
    unit = q.scale
    if unit == "":
        if 100 <= value <= 100000:
            unit = "ms"
        elif 0 < value <= 10:
            unit = "s"
        else:
            return None, f"a duration without a unit in its name compared with {value:g}: seconds or ms?"
    return round(value * {"s": 1, "ms": 0.001, "us": 0.000001}[unit], 9), None


def _judge(text: str, subject: Node, op: str, literal: Node, ctx: Context) -> tuple[object, str | None]:
    """An `_Edge`, a bare category (str), or None, with the reason when not an edge."""
    q = measure(subject, ctx)
    value = number(literal)
    if q is None or value is None:
        return None, "not a CPU, memory, disk, error-rate or latency quantity"
    above = op in (">", ">=")
    where = _subject_text(text, subject)
    if q.kind == "cores" and q.rated and not q.per_cpu:
        q = Q("share", "cpu", scale="ratio")  # a process's cores: a share of one core
    if above and value == 0 and q.kind != "share":
        return None, "guard"  # `size > 0`, `rate(requests[5m]) > 0`: keeps the ratio defined
    if q.kind == "amount" and q.category and (q.predicted or _usage_amount(q, op)):
        why = "a prediction of running out" if q.predicted else "an absolute figure, not a share of a whole"
        return q.category, why
    if op not in _FLIP and (q.category or q.kind == "latency"):
        return None, f"an equality ({op}) on the quantity, not a threshold"
    if q.kind == "share" and q.category:
        percent, why = _share_percent(q, value)
        if percent is None:
            return q.category, why
        usage, fires_above = (100 - percent, not above) if q.free else (percent, above)
        if q.per_cpu and fires_above:
            return "cpu", "one CPU core's figure, not the machine's"
        shown = op if not q.free else _FLIP[op]
        return _Edge(q.category, round(usage, 6), fires_above, shown, literal, where), None
    if q.kind == "latency" and q.rated:
        return None, "a rate of a duration, not a duration"
    if q.kind == "latency":
        seconds, why = _latency_seconds(q, value)
        if seconds is None:
            return "latency", why
        return _Edge("latency", seconds, above, op, literal, where), None
    return None, "not a CPU, memory, disk, error-rate or latency quantity"


def _usage_amount(q: Q, op: str) -> bool:
    """An absolute amount in use or free (`resident_memory_bytes > 4e9`, `memFree == 0`):
    about the resource, though not on the policy's scale. A size alone is not usage."""
    if q.role in ("used", "free"):
        return True
    return q.role == "" and q.category == "memory" and op in _FLIP


def _combine(text: str, edges: list[_Edge], categories: set[str], reasons: list[str]) -> Understanding:
    cats = {e.category for e in edges} | categories
    if len(cats) > 1:
        return Understanding(reason=f"conditions on several categories ({', '.join(sorted(cats))})")
    if not edges:
        category = cats.pop() if cats else None
        reason = next((r for r in reasons if r != "guard"), None) or "no comparison with a number"
        return Understanding(category=category, reason=reason)
    category = edges[0].category
    lower = [e for e in edges if e.fires_above]
    if not lower:
        return Understanding(reason=f"fires on low {LABELS[category]} usage, not above a level")
    if len({e.value for e in lower}) > 1:
        return Understanding(category=category, reason="several thresholds: which one decides is not certain")
    upper = [e for e in edges if not e.fires_above]
    if upper and any(u.subject != lower[0].subject for u in upper):
        return Understanding(category=category, reason="conditions on different quantities")
    edge = lower[0]
    offset, width, raw = _literal(text, edge.literal)
    comparison = edge.comparison if edge.comparison in (">", ">=") else _FLIP.get(edge.comparison, ">")
    found = Threshold(category, edge.value, comparison, offset, width, raw)
    return Understanding(threshold=found, category=category)


_UNDERSTOOD: dict[str, Understanding] = {}  # without a project context (bounded)


def understand(expr: str, ctx: Context | None = None) -> Understanding:
    """What the alert expression watches and at which level it fires (see the module).

    Remembered per expression for the run (in the context's memo, or here without one): the
    threshold, golden-signal and checklist rules each ask about every alert, and the answer
    cost ~0.35 ms an alert (1.3 s of a corpus run of 4 s, computed 3 to 4 times over)."""
    memo: dict = ctx.memo if ctx is not None else _UNDERSTOOD  # type: ignore[assignment]
    key = ("understand", expr) if ctx is not None else expr
    found = memo.get(key)
    if found is None:
        found = _understand(expr, ctx)
        if ctx is not None or len(_UNDERSTOOD) < 4096:
            memo[key] = found
    return found


def _understand(expr: str, ctx: Context | None) -> Understanding:
    try:
        tree = promql.parse(expr)
    except (promql.PromQLError, RecursionError):
        return Understanding(reason="the expression does not parse")
    ctx = ctx or Context()
    from manifestlint.alerts.slo import burn_rate

    slo = burn_rate(tree, ctx)
    if slo is not None:
        return Understanding(category="error-rate", reason="SLO burn-rate alert", objective=slo.objective)
    found = conditions(tree)
    if not found:
        return Understanding(reason="no comparison with a number")
    edges: list[_Edge] = []
    bare: set[str] = set()
    reasons: list[str] = []
    for subject, op, literal in found:
        result, why = _judge(expr, subject, op, literal, ctx)
        if isinstance(result, _Edge):
            edges.append(result)
        elif isinstance(result, str):
            bare.add(result)
        if why:
            reasons.append(why)
    if edges:
        bare -= {e.category for e in edges}  # a guard on the same resource (`size > 0`)
    return _combine(expr, edges, bare, reasons)


def recognise(expr: str, ctx: Context | None = None) -> Threshold | None:
    """The category and normalised threshold of an alert expression, or None."""
    return understand(expr, ctx).threshold


_MENTIONS = [
    ("cpu", re.compile(r"cpu", re.I)),
    ("memory", re.compile(r"mem(ory)?(_|:|$)|MemAvailable|MemFree|MemTotal|oom", re.I)),
    (
        "disk",
        re.compile(r"filesystem_(avail|free|size)|volume_stats_(available|used|capacity)|disk_(free|size)"),
    ),
]


def mentions(expr: str, ctx: Context | None = None) -> set[str]:
    """Categories an alert is plainly *about*, even when its threshold cannot be read:
    the coverage check counts these as watched, so an unusual but real CPU alert never
    makes the project "miss" CPU alerting."""
    found = understand(expr, ctx)
    if found.category:
        return {found.category}
    try:
        tree = promql.parse(expr)
    except (promql.PromQLError, RecursionError):
        return set()
    out: set[str] = set()
    ctx = ctx or Context()
    for node in tree.walk():
        if node.kind in ("selector", "call", "binary", "aggregate"):
            q = measure(node, ctx)
            if q is not None and q.category and q.kind in ("share", "amount", "latency", "cores"):
                out.add(q.category)
        if node.kind == "selector":
            out.update(category for category, pattern in _MENTIONS if pattern.search(node.name))
    return out


__all__ = ["CATEGORIES", "LABELS", "Threshold", "Understanding", "format_value", "mentions", "recognise",
           "understand"]  # fmt: skip


def understood_alerts(index) -> list:
    """(RuleGroups, alert entry, Understanding) of every alerting rule in the named files,
    in file order, the project's recording rules read through."""
    from manifestlint.alerts.leaves import recording_context
    from manifestlint.model import YList, YMap

    ctx = recording_context(index)
    out = []
    for groups in index.rule_groups:
        if not index.reported(groups.doc):
            continue
        for group in groups.groups if isinstance(groups.groups, YList) else ():
            rules = group.get("rules") if isinstance(group, YMap) else None
            for entry in rules if isinstance(rules, YList) else ():
                if isinstance(entry, YMap) and "alert" in entry and "record" not in entry:
                    expr = entry.get("expr")
                    out.append((groups, entry, understand(expr if isinstance(expr, str) else "", ctx)))
    return out
