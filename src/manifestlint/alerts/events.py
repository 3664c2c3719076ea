"""Event-style alerts: conditions that describe something that *happened* in a window.

`increase(errors_total[5m]) > 0`, `changes(process_start_time_seconds[15m]) > 2`,
`absent(up{job="x"})` or `mysql_global_status_uptime < 60` already carry their own time
window (or describe a moment: a restart is only "young" for a minute). A `for:` duration
on them is not a debounce: it delays the notification, and for restart detectors it makes
the alert never fire (uptime stays below 60 for less than the `for: 5m` it would need).
`prometheus-alert-missing-for` therefore leaves them alone.

Slow and windowed values need no `for` either (issue 19, principle 10): a `*_over_time()` or
`predict_linear()` is already a judgement over its range, and a certificate's remaining
lifetime or a backup's age (`x509_cert_not_after - time() < 86400 * 7`, `time() -
backup_last_success_timestamp_seconds > 86400`) moves slowly and one way: once true it stays
true, so a `for` only delays the notification. `absent(up{...})` is not an event: a target
that vanished stays vanished, and one failed scrape should not page, so it still needs a `for`.

Only whole conditions count: `increase(x[5m]) > 0 and queue_depth > 100` still has a level
condition (`queue_depth > 100`) that a `for` would debounce.
"""

from __future__ import annotations

import re

from manifestlint.parse import promql
from manifestlint.parse.promql import Node

WINDOWED = {"changes", "resets", "increase", "delta", "idelta", "count_over_time", "predict_linear", "deriv"}
ABSENT = {"absent", "absent_over_time"}
_UPTIME = re.compile(r"uptime", re.I)
_START = re.compile(r"(start_time|boot_time)", re.I)
# Timestamps of slow, one-way quantities: certificate expiry, last successful backup or run.
_SLOW_TIMESTAMP = re.compile(
    r"expir|not_?after|cert.*(valid|until)|last_?(success|successful|backup|run|completion)|backup.*time",
    re.I,
)
_AGGREGATES = {"sum", "max", "min", "avg", "count", "group"}


def _strip(node: Node) -> Node:
    """Parentheses, aggregations and scalar arithmetic around the quantity."""
    while True:
        if node.kind == "paren" or (node.kind == "aggregate" and node.name in _AGGREGATES):
            node = node.children[-1]
        elif node.kind == "binary" and node.name in ("*", "/") and _number(node.children[1]):
            node = node.children[0]
        else:
            return node


def _number(node: Node) -> bool:
    while node.kind == "paren":
        node = node.children[0]
    return node.kind == "number" or (node.kind == "binary" and all(_number(c) for c in node.children))


def _conditions(node: Node) -> list[Node] | None:
    """Filtering parts of the expression; None when a part is neither a comparison nor a
    set operation of comparisons (then the expression is not judged event-style)."""
    while node.kind == "paren":
        node = node.children[0]
    if node.kind == "binary" and node.name in ("and", "or", "unless"):
        parts = [_conditions(c) for c in (node.children if node.name != "unless" else node.children[:1])]
        if any(p is None for p in parts):
            return None
        return [c for p in parts for c in p]  # type: ignore[union-attr]
    if node.kind == "binary" and node.name in promql.COMPARISONS and not node.bool_modifier:
        return [node]
    if node.kind == "call" and node.name in ABSENT:
        return [node]
    return None


def _windowed(name: str) -> bool:
    return name in WINDOWED or (name.endswith("_over_time") and name not in ABSENT)


def _absent_up(call: Node) -> bool:
    """`absent(up{job="x"})`: a target that stays gone, not an event."""
    return call.name == "absent" and any(n.kind == "selector" and n.name == "up" for n in call.walk())


SLOW = "slow value (expiry or age against time())"


def _slow_age(subject: Node) -> str | None:
    """A certificate's remaining lifetime or a backup's age: `X - time()` / `time() - X` with a
    timestamp of a slow, one-way quantity."""
    if not (subject.kind == "binary" and subject.name == "-"):
        return None
    if not any(n.kind == "call" and n.name == "time" for n in subject.children):
        return None
    names = [n.name for n in subject.walk() if n.kind == "selector"]
    if any(_SLOW_TIMESTAMP.search(name) for name in names):
        return SLOW
    return None


def _event_reason(cond: Node) -> str | None:
    if cond.kind == "call":
        return None if _absent_up(cond) else f"{cond.name}()"
    left, right = cond.children
    subject, literal, op = (left, right, cond.name)
    if _number(left) and not _number(right):
        subject, literal = right, left
        op = {">": "<", "<": ">", ">=": "<=", "<=": ">="}.get(op, op)
    if not _number(literal):
        return None
    subject = _strip(subject)
    if subject.kind == "call" and _windowed(subject.name):
        return f"{subject.name}()"
    slow = _slow_age(subject)
    if slow:
        return slow
    if op in ("<", "<="):
        names = {n.name for n in subject.walk() if n.kind == "selector"}
        if any(_UPTIME.search(name) for name in names):
            return "restart detector (uptime)"
        if subject.kind == "binary" and subject.name == "-" and any(_START.search(n) for n in names):
            return "restart detector (time since start)"
    return None


def event_style(expr: str) -> str | None:
    """Why the alert is event-style (e.g. "increase()"), or None."""
    try:
        tree = promql.parse(expr)
    except (promql.PromQLError, RecursionError):
        return None
    conditions = _conditions(tree)
    if not conditions:
        return None
    reasons = [_event_reason(c) for c in conditions]
    if any(r is None for r in reasons):
        return None
    return reasons[0]
