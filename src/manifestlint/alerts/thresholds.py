"""What an alert watches and at which level it fires, read from its PromQL AST.

`recognise(expr)` returns the alert's category (cpu, memory, disk, error-rate, latency)
and its threshold normalised to one scale: percent of usage for cpu/memory/disk and
error rate, seconds for latency. Ratios become percents (`> 0.8` is 80), complements
are undone (`1 - avail/total`, `100 - idle*100`), conditions on a free/idle/available
quantity are inverted (`avail/size < 0.1` fires above 90% usage) and latency units are
read from the metric's unit suffix (`_seconds`, `_milliseconds`).

Every step is a whitelist of shapes whose meaning is certain. Anything else (an unknown
metric, a comparison against another series, a ratio whose scale cannot be told, a
threshold outside the scale, two recognised conditions in one expression) returns None:
a linter that guesses a threshold reports a policy violation nobody committed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from manifestlint.alerts.categories import CATEGORIES, LABELS, format_value
from manifestlint.parse import promql
from manifestlint.parse.promql import Node


@dataclass(frozen=True, slots=True)
class Quantity:
    """What a sub-expression measures: a category, a scale and a direction."""

    category: str
    scale: str  # "ratio" (0..1), "percent" (0..100), "s" or "ms" (latency)
    free: bool = False  # available / idle / successful share: usage is its complement
    per_cpu: bool = False  # one series per CPU core (not yet averaged over the machine)


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


# ---------------------------------------------------------------- metric families

MEM_TOTAL = {"node_memory_MemTotal_bytes", "node_memory_MemTotal"}
MEM_FREE = {
    "node_memory_MemAvailable_bytes", "node_memory_MemAvailable", "node_memory_MemFree_bytes",
    "node_memory_MemFree", "node_memory_Cached_bytes", "node_memory_Cached", "node_memory_Buffers_bytes",
    "node_memory_Buffers",
}  # fmt: skip
CONTAINER_MEM_USED = {
    "container_memory_working_set_bytes",
    "container_memory_usage_bytes",
    "container_memory_rss",
}
MEM_LIMITS = {"container_spec_memory_limit_bytes", "kube_pod_container_resource_limits",
              "kube_pod_container_resource_limits_memory_bytes"}  # fmt: skip
WIN_MEM_FREE = {"windows_os_physical_memory_free_bytes", "windows_memory_available_bytes"}
WIN_MEM_TOTAL = {"windows_cs_physical_memory_bytes"}
FS_SIZE = {"node_filesystem_size_bytes", "node_filesystem_size"}
FS_FREE = {"node_filesystem_avail_bytes", "node_filesystem_avail", "node_filesystem_free_bytes",
           "node_filesystem_free"}  # fmt: skip
VOL_CAPACITY = {"kubelet_volume_stats_capacity_bytes"}
VOL_FREE = {"kubelet_volume_stats_available_bytes"}
VOL_USED = {"kubelet_volume_stats_used_bytes"}
WIN_DISK_FREE = {"windows_logical_disk_free_bytes"}
WIN_DISK_SIZE = {"windows_logical_disk_size_bytes"}
NODE_CPU = {"node_cpu_seconds_total", "node_cpu", "windows_cpu_time_total"}
CONTAINER_CPU = {"container_cpu_usage_seconds_total"}
CPU_LIMITS = {"container_spec_cpu_quota", "container_spec_cpu_period", "kube_pod_container_resource_limits",
              "kube_pod_container_resource_limits_cpu_cores"}  # fmt: skip
NETDATA_CPU = {"netdata_cpu_cpu_percentage_average"}
RATES = {"rate", "irate"}
PASS_AGGREGATES = {"avg", "max", "min", "sum", "quantile", "topk", "bottomk"}
PASS_OVER_TIME = {"avg_over_time", "max_over_time", "min_over_time", "quantile_over_time"}

CODE_LABELS = {"code", "status", "status_code", "response_code", "http_status", "grpc_code", "grpc_status"}
_ERROR_VALUES = ("500", "502", "503", "504", "5xx")
_OK_VALUES = ("200", "204", "2xx")
_GRPC_ERROR_VALUES = ("Internal", "Unavailable", "Unknown", "DeadlineExceeded")
_GRPC_OK_VALUES = ("OK",)
_REQUEST_COUNTER = re.compile(r"request|http|grpc_server_handled|rpc|calls|handled")
_LATENCY_NAME = re.compile(r"(duration|latency|response_time|request_time)")
_LATENCY_SUBJECT = re.compile(r"(request|response|http|grpc|rpc|server|handl)")
_UNIT = re.compile(r"_(seconds|milliseconds|ms)$")


def _strip(node: Node) -> Node:
    while node.kind == "paren":
        node = node.children[0]
    return node


def _selectors(node: Node) -> list[Node]:
    return [n for n in node.walk() if n.kind == "selector"]


def _names(node: Node) -> set[str]:
    return {n.name for n in _selectors(node)}


def _matchers(selector: Node) -> list[tuple[str, str, str]]:
    return list(selector.value or ())


def _only(node: Node, names: set[str], calls: frozenset[str] = frozenset()) -> bool:
    """`node` is a sum (`+`, aggregation, parentheses, `calls`) of selectors of `names` only."""
    node = _strip(node)
    if node.kind == "selector":
        return node.name in names
    if node.kind == "aggregate" and node.name in ("sum", "avg", "max", "min"):
        return _only(node.children[-1], names, calls)
    if node.kind == "binary" and node.name == "+":
        return all(_only(c, names, calls) for c in node.children)
    if node.kind == "binary" and node.name in promql.COMPARISONS and not node.bool_modifier:
        return _strip(node.children[1]).kind == "number" and _only(node.children[0], names, calls)
    if node.kind == "call" and node.name in calls and node.children:
        return _only(node.children[0], names, calls)
    if node.kind == "matrix":
        return _only(node.children[0], names, calls)
    return False


def _diff(node: Node, whole: set[str], part: set[str]) -> bool:
    """`node` is `whole - part` (e.g. MemTotal - MemAvailable)."""
    node = _strip(node)
    return (
        node.kind == "binary"
        and node.name == "-"
        and _only(node.children[0], whole)
        and _only(node.children[1], part)
    )


def _has_call(node: Node, names: set[str]) -> bool:
    return any(n.kind == "call" and n.name in names for n in node.walk())


def _label_ok(matchers: list[tuple[str, str, str]], label: str, value: str) -> bool:
    """Whether a series with `label=value` passes every matcher on `label` (Prometheus
    anchors regexes)."""
    for name, op, pattern in matchers:
        if name != label:
            continue
        if op in ("=", "!="):
            hit = pattern == value
        else:
            from manifestlint.userregex import full_match

            hit = full_match(pattern, value, "s")  # RE2: linear time, never Python's backtracking
            if hit is None:
                return False
        if hit != (op in ("=", "=~")):
            return False
    return True


def _code_filter(selector: Node) -> str | None:
    """'error' when the selector keeps error codes only, 'ok' for success codes only,
    '' when it does not filter on a status label, None when the filter is unclear."""
    matchers = [m for m in _matchers(selector) if m[0] in CODE_LABELS]
    if not matchers:
        return ""
    labels = {m[0] for m in matchers}
    if len(labels) != 1:
        return None
    label = next(iter(labels))
    grpc = label.startswith("grpc")
    errors = any(_label_ok(matchers, label, v) for v in (_GRPC_ERROR_VALUES if grpc else _ERROR_VALUES))
    oks = any(_label_ok(matchers, label, v) for v in (_GRPC_OK_VALUES if grpc else _OK_VALUES))
    if errors and not oks:
        return "error"
    if oks and not errors:
        return "ok"
    return None


def _latency_unit(name: str, suffix: str = "") -> str | None:
    """'s' or 'ms' when `name` (without `suffix`) is a request duration with a unit suffix."""
    if suffix:
        if not name.endswith(suffix):
            return None
        name = name[: -len(suffix)]
    if not (_LATENCY_NAME.search(name) and _LATENCY_SUBJECT.search(name)):
        return None
    unit = _UNIT.search(name)
    if unit is None:
        return None
    return "s" if unit.group(1) == "seconds" else "ms"


# ---------------------------------------------------------------- quantities


def quantity(node: Node) -> Quantity | None:
    """What `node` measures, or None when that is not certain."""
    node = _strip(node)
    if node.kind == "aggregate":
        return _aggregate(node)
    if node.kind == "call":
        return _call(node)
    if node.kind == "selector":
        return _selector(node)
    if node.kind in ("matrix", "subquery"):
        return quantity(node.children[0])
    if node.kind == "binary":
        if node.name == "/":
            return _division(node)
        if node.name == "*":
            return _scaled(node)
        if node.name == "-":
            return _complement(node)
        if node.name in ("and", "unless"):  # a filter beside the quantity (`... and up == 1`)
            return quantity(node.children[0])
    return None


def _aggregate(node: Node) -> Quantity | None:
    if node.name not in PASS_AGGREGATES:
        return None
    inner = quantity(node.children[-1])
    if inner is None or not inner.per_cpu:
        return inner
    grouping = node.value or []
    merges_cores = ("cpu" in grouping) if node.without else ("cpu" not in grouping)
    if not merges_cores:
        return inner if node.name in ("max", "min", "avg") else None
    if node.name == "avg":
        return replace(inner, per_cpu=False)
    if node.name in ("max", "min"):
        return inner  # the busiest core: still a per-core figure
    return None  # a sum over cores counts cores, not a share


def _call(node: Node) -> Quantity | None:
    if node.name in RATES and node.children:
        selector = _strip(node.children[0])
        if selector.kind == "matrix" and selector.name in NODE_CPU:
            matchers = _matchers(selector.children[0])
            if not any(m[0] == "mode" for m in matchers):
                return None
            idle = _label_ok(matchers, "mode", "idle")
            busy = _label_ok(matchers, "mode", "user") or _label_ok(matchers, "mode", "system")
            if idle and not busy:
                return Quantity("cpu", "ratio", free=True, per_cpu=True)
            if busy and not idle:
                return Quantity("cpu", "ratio", free=False, per_cpu=True)
        return None
    if node.name == "histogram_quantile" and len(node.children) == 2:
        buckets = [s.name for s in _selectors(node.children[1])]
        units = {_latency_unit(name, "_bucket") for name in buckets}
        if len(units) == 1 and None not in units:
            return Quantity("latency", units.pop())
        return None
    if node.name in PASS_OVER_TIME and node.children:
        return quantity(node.children[-1])
    if node.name in ("clamp_max", "clamp_min", "clamp") and node.children:
        return quantity(node.children[0])
    return None


_RECORDED = [
    ("cpu", re.compile(r"cpu")),
    ("memory", re.compile(r"mem(ory)?(?![a-z])|memory")),
    ("disk", re.compile(r"disk|filesystem|volume")),
]


def _selector(node: Node) -> Quantity | None:
    name = node.name
    matchers = _matchers(node)
    if name in NETDATA_CPU:
        dims = [m for m in matchers if m[0] == "dimension"]
        if dims == [("dimension", "=", "idle")]:
            return Quantity("cpu", "percent", free=True)
        return None
    if any(m[0] == "quantile" for m in matchers):  # a summary's quantile series
        unit = _latency_unit(name)
        return Quantity("latency", unit) if unit else None
    # Recording rules that say what they hold: `instance:node_cpu_utilisation:ratio`.
    lower = name.lower()
    if ":" not in name or "inode" in lower:
        return None
    scale = "ratio" if "ratio" in lower else "percent" if re.search(r"percent|pct", lower) else None
    usage = bool(re.search(r"usage|utili[sz]ation|used", lower))
    free = bool(re.search(r"avail|free|idle", lower))
    cats = [cat for cat, pattern in _RECORDED if pattern.search(lower)]
    if scale is None or usage == free or len(cats) != 1:
        return None
    return Quantity(cats[0], scale, free=free)


def _division(node: Node) -> Quantity | None:
    num, den = _strip(node.children[0]), _strip(node.children[1])
    if num.kind == "number" or den.kind == "number":
        inner = quantity(num) if den.kind == "number" else None
        if inner is not None and inner.scale == "ms" and den.value == 1000:
            return replace(inner, scale="s")
        return None
    pairs = [
        ("memory", MEM_TOTAL, MEM_FREE),
        ("memory", WIN_MEM_TOTAL, WIN_MEM_FREE),
        ("disk", FS_SIZE, FS_FREE),
        ("disk", WIN_DISK_SIZE, WIN_DISK_FREE),
        ("disk", VOL_CAPACITY, VOL_FREE),
    ]
    for category, whole, part in pairs:
        if _only(den, whole):
            if _only(num, part):
                return Quantity(category, "ratio", free=True)
            if _diff(num, whole, part):
                return Quantity(category, "ratio")
            if category == "disk" and whole == VOL_CAPACITY and _only(num, VOL_USED):
                return Quantity(category, "ratio")
            return None
    if _only(num, CONTAINER_MEM_USED) and _only(den, MEM_LIMITS) and _resource(den, "memory"):
        return Quantity("memory", "ratio")
    if _only(num, CONTAINER_CPU, frozenset(RATES)) and _has_call(num, RATES) and _cpu_limit(den):
        return Quantity("cpu", "ratio")
    return _latency_average(num, den) or _error_ratio(num, den)


def _resource(node: Node, resource: str) -> bool:
    """kube-state-metrics' generic limits metric must be filtered to the resource."""
    for sel in _selectors(node):
        if sel.name == "kube_pod_container_resource_limits" and ("resource", "=", resource) not in _matchers(
            sel
        ):
            return False
    return True


def _cpu_limit(den: Node) -> bool:
    """CPU cores allowed: kube-state-metrics limits, or CFS quota divided by its period."""
    if _only(den, {"kube_pod_container_resource_limits", "kube_pod_container_resource_limits_cpu_cores"}):
        return _resource(den, "cpu")
    den = _strip(den)
    while den.kind == "aggregate" and den.name in ("sum", "avg", "max", "min"):
        den = _strip(den.children[-1])
    if den.kind == "binary" and den.name == "/" and _only(den.children[0], {"container_spec_cpu_quota"}):
        period = _strip(den.children[1])
        return _only(period, {"container_spec_cpu_period"}) or (
            period.kind == "number" and period.value == 1e5
        )
    return False


def _latency_average(num: Node, den: Node) -> Quantity | None:
    """`rate(x_seconds_sum) / rate(x_seconds_count)`: the mean request duration."""
    a, b = _names(num), _names(den)
    if len(a) != 1 or len(b) != 1:
        return None
    top, bottom = next(iter(a)), next(iter(b))
    if not (top.endswith("_sum") and bottom.endswith("_count") and top[:-4] == bottom[:-6]):
        return None
    if not (
        _only(num, a, frozenset(RATES | {"increase"})) and _only(den, b, frozenset(RATES | {"increase"}))
    ):
        return None
    unit = _latency_unit(top, "_sum")
    return Quantity("latency", unit) if unit else None


def _error_ratio(num: Node, den: Node) -> Quantity | None:
    """errors / requests of one request counter, both as rates: an error ratio. The
    successful share (`code!~"5.."` over all) is its complement."""
    counting = frozenset(RATES | {"increase"})
    names = _names(num)
    if len(names) != 1 or _names(den) != names:
        return None
    metric = next(iter(names))
    if not _REQUEST_COUNTER.search(metric) or not (
        _only(num, names, counting) and _only(den, names, counting)
    ):
        return None
    if not (_has_call(num, counting) and _has_call(den, counting)):
        return None
    tops = {_code_filter(s) for s in _selectors(num)}
    bottoms = {_code_filter(s) for s in _selectors(den)}
    if bottoms != {""} or len(tops) != 1:
        return None
    kind = tops.pop()
    if kind == "error":
        return Quantity("error-rate", "ratio")
    if kind == "ok":
        return Quantity("error-rate", "ratio", free=True)
    return None


def _scaled(node: Node) -> Quantity | None:
    left, right = _strip(node.children[0]), _strip(node.children[1])
    factor, other = (left, right) if left.kind == "number" else (right, left)
    if factor.kind != "number":
        return None
    inner = quantity(other)
    if inner is None:
        return None
    if factor.value == 100 and inner.scale == "ratio":
        return replace(inner, scale="percent")
    if factor.value == 1000 and inner.scale == "s":
        return replace(inner, scale="ms")
    return None


def _complement(node: Node) -> Quantity | None:
    left, right = _strip(node.children[0]), _strip(node.children[1])
    if left.kind != "number":
        return None
    inner = quantity(right)
    if inner is None or inner.per_cpu:
        return None
    if (left.value == 1 and inner.scale == "ratio") or (left.value == 100 and inner.scale == "percent"):
        return replace(inner, free=not inner.free)
    return None


# ---------------------------------------------------------------- conditions

_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">="}


def _conditions(node: Node) -> list[Node]:
    """The filtering comparisons of an alert expression (both sides of `and`/`or`)."""
    node = _strip(node)
    if node.kind != "binary":
        return []
    if node.name in promql.COMPARISONS:
        return [] if node.bool_modifier else [node]
    if node.name in ("and", "or"):
        return _conditions(node.children[0]) + _conditions(node.children[1])
    if node.name == "unless":
        return _conditions(node.children[0])
    return []


def _literal(text: str, node: Node) -> tuple[int, int, str]:
    match = promql._NUMBER.match(text, node.pos)
    if match is None:
        return node.pos, 1, text[node.pos : node.pos + 1]
    return node.pos, match.end() - node.pos, match.group()


def _judge(text: str, cmp: Node) -> Threshold | None:
    left, right = _strip(cmp.children[0]), _strip(cmp.children[1])
    op = cmp.name
    if right.kind == "number" and left.kind != "number":
        subject, literal = left, right
    elif left.kind == "number" and right.kind != "number":
        subject, literal, op = right, left, _FLIP.get(op, op)
    else:
        return None
    if op not in _FLIP:
        return None
    q = quantity(subject)
    if q is None or q.per_cpu:
        return None
    value = float(literal.value)
    offset, width, raw = _literal(text, literal)
    if q.category == "latency":
        if op not in (">", ">=") or value < 0:
            return None
        seconds = value if q.scale == "s" else value / 1000
        return Threshold("latency", round(seconds, 9), op, offset, width, raw)
    if q.scale == "ratio":
        if not 0 <= value <= 1:
            return None  # `> 80` on a 0..1 ratio: the author's scale is not ours to guess
        percent = value * 100
    elif q.scale == "percent":
        if not 0 <= value <= 100:
            return None
        percent = value
    else:
        return None
    if q.free:
        if op not in ("<", "<="):
            return None  # alerting on *plenty* of free space is not a usage alert
        return Threshold(q.category, round(100 - percent, 6), _FLIP[op], offset, width, raw)
    if op not in (">", ">="):
        return None
    return Threshold(q.category, round(percent, 6), op, offset, width, raw)


def recognise(expr: str) -> Threshold | None:
    """The category and normalised threshold of an alert expression, or None."""
    try:
        tree = promql.parse(expr)
    except (promql.PromQLError, RecursionError):
        return None
    found = [t for t in (_judge(expr, c) for c in _conditions(tree)) if t is not None]
    if len(found) != 1:
        return None  # nothing, or several conditions: which one decides is not certain
    return found[0]


_MENTIONS = [
    ("cpu", re.compile(r"cpu", re.I)),
    ("memory", re.compile(r"mem(ory)?(_|:|$)|MemAvailable|MemFree|MemTotal|oom", re.I)),
    (
        "disk",
        re.compile(r"filesystem_(avail|free|size)|volume_stats_(available|used|capacity)|disk_(free|size)"),
    ),
]


def mentions(expr: str) -> set[str]:
    """Categories an alert is plainly *about*, even when its threshold cannot be read:
    the coverage check counts these as watched, so an unusual but real CPU alert never
    makes the project "miss" CPU alerting."""
    try:
        tree = promql.parse(expr)
    except (promql.PromQLError, RecursionError):
        return set()
    out: set[str] = set()
    for sel in _selectors(tree):
        for category, pattern in _MENTIONS:
            if pattern.search(sel.name):
                out.add(category)
        if _code_filter(sel) in ("error", "ok") and _REQUEST_COUNTER.search(sel.name):
            out.add("error-rate")
        if (
            _latency_unit(sel.name, "_bucket")
            or _latency_unit(sel.name, "_sum")
            or (any(m[0] == "quantile" for m in _matchers(sel)) and _latency_unit(sel.name))
        ):
            out.add("latency")
    return out


__all__ = [
    "CATEGORIES",
    "LABELS",
    "Quantity",
    "Threshold",
    "format_value",
    "mentions",
    "quantity",
    "recognise",
]
