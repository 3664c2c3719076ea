"""SLO-based alerting: burn-rate alerts and error-budget recording rules.

A burn-rate alert (Google SRE workbook, chapter 5) compares an error ratio over a window
with the error budget `1 - objective` times a burn factor, usually over two windows so
that it fires fast and resets fast:

    job:http_errors:ratio_rate1h > (14.4 * (1 - 0.999))
      and job:http_errors:ratio_rate5m > (14.4 * (1 - 0.999))

Sloth writes `slo:sli_error:ratio_rate<window>` recording rules and alerts comparing them
with `(14.4 * 0.001)`; Pyrra writes `<metric>:burnrate<window>` rules and
`ErrorBudgetBurn` alerts. Recognised here: a comparison whose subject is an error ratio
(by its structure or its recording rule's name) and whose figure is a factor times an
error budget; the objective is `1 - budget`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from manifestlint.alerts.quantities import Context, measure, number, strip
from manifestlint.parse import promql
from manifestlint.parse.promql import Node

# Recording-rule names that hold an error ratio or a burn rate over a window.
BURN_NAME = re.compile(r"(burn_?rate|sli_error|error_ratio|errors?:ratio|error_rate|errorratio)", re.I)
BUDGET_NAME = re.compile(r"(error_budget|errorbudget|slo:objective|slo:sli|burn_?rate|sloth_|pyrra)", re.I)
WINDOW = re.compile(r"(?:rate|burnrate|_)(\d+[smhdw])\b")


@dataclass(frozen=True, slots=True)
class BurnRate:
    objective: float | None  # 0.999; None when the figure is written already multiplied out
    factor: float | None
    windows: tuple[str, ...]


def _budget(literal: Node) -> tuple[float | None, float | None]:
    """(factor, budget) of `14.4 * (1 - 0.999)` or `14.4 * 0.001`; (None, None) otherwise."""
    node = strip(literal)
    if node.kind != "binary" or node.name != "*":
        return None, None
    a, b = (strip(c) for c in node.children)
    for factor_node, budget_node in ((a, b), (b, a)):
        factor = number(factor_node)
        if factor is None or factor < 1:
            continue
        if budget_node.kind == "binary" and budget_node.name == "-" and number(budget_node.children[0]) == 1:
            objective = number(budget_node.children[1])
            if objective is not None and 0.5 <= objective < 1:
                return factor, 1 - objective
        budget = number(budget_node)
        if budget is not None and 0 < budget <= 0.5:
            return factor, budget
    return None, None


def _error_ratio(subject: Node, ctx: Context) -> tuple[bool, list[str]]:
    """Whether the subject is an error ratio, and the windows its names or ranges show."""
    names = [n.name for n in subject.walk() if n.kind == "selector"]
    windows = [m.group(1) for name in names for m in WINDOW.finditer(name)]
    windows += [_duration(n.value) for n in subject.walk() if n.kind == "matrix"]
    if any(BURN_NAME.search(name) for name in names):
        return True, windows
    q = measure(subject, ctx)
    return (q is not None and q.kind == "share" and q.category == "error-rate" and not q.free), windows


def _duration(seconds: object) -> str:
    value = int(float(seconds))  # type: ignore[arg-type]
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}s"


def burn_rate(tree: Node, ctx: Context | None = None) -> BurnRate | None:
    """The burn-rate reading of an alert expression, or None."""
    ctx = ctx or Context()
    objectives, factors, windows = set(), set(), []
    found = False
    for node in tree.walk():
        if node.kind != "binary" or node.name not in (">", ">=") or node.bool_modifier:
            continue
        subject, literal = strip(node.children[0]), strip(node.children[1])
        if number(literal) is None:
            continue
        factor, budget = _budget(literal)
        ratio, seen = _error_ratio(subject, ctx)
        if not ratio:
            continue
        if budget is None and not any(
            BURN_NAME.search(n.name) for n in subject.walk() if n.kind == "selector"
        ):
            continue
        found = True
        windows += seen
        if budget is not None:
            objectives.add(round(1 - budget, 6))
            factors.add(factor)
    if not found:
        return None
    objective = objectives.pop() if len(objectives) == 1 else None
    factor = max(factors) if factors else None
    return BurnRate(objective, factor, tuple(dict.fromkeys(windows)))


def is_budget_record(name: str) -> bool:
    """A recording rule that belongs to an SLO (Sloth, Pyrra, hand-written budgets)."""
    return bool(BUDGET_NAME.search(name) or BURN_NAME.search(name))


def parse_burn_rate(expr: str, ctx: Context | None = None) -> BurnRate | None:
    try:
        tree = promql.parse(expr)
    except (promql.PromQLError, RecursionError):
        return None
    return burn_rate(tree, ctx)
