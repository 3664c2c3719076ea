"""What a PromQL sub-expression measures, from its structure and its metrics' name parts.

`measure(node)` returns a `Q`:

- `share`: a part of a whole (usage or free share of CPU, memory or disk; error share of
  requests) on a `ratio` (0..1) or `percent` scale, or an unknown scale that the compared
  literal decides (`> 80` is a percent, `> 0.8` a ratio);
- `amount`: bytes or cores of a resource, with its role (`free`, `used`, `size`);
- `count`: events of an activity (requests, operations), with their kind (`errors`, `ok`,
  `client` errors, `all`);
- `latency`: a duration with its unit (`s`, `ms`, `us`, or unknown: the literal decides).

Structures turn one into the other: `used / size` and `free / (free + used)` are shares,
`errors / all` of one activity is an error share, `time_sum / count` a mean latency,
`rate(cpu_seconds_total) / cores` a CPU share, `100 * share` a percent, `1 - share` the
complement. Anything else is None: a linter that guesses reports violations nobody
committed. Recording rules of the project are read through (`Context.recorded`).
"""

from __future__ import annotations

from dataclasses import replace

from manifestlint.alerts import names
from manifestlint.alerts.leaves import MAX_DEPTH, Context, Q, number, recording_context, selector, strip
from manifestlint.parse import promql
from manifestlint.parse.promql import Node

__all__ = ["Context", "Q", "measure", "number", "ratio", "recording_context", "strip"]

RATES = frozenset({"rate", "irate", "increase", "xrate", "xincrease"})
PASS_OVER_TIME = frozenset({"avg_over_time", "max_over_time", "min_over_time", "quantile_over_time",
                            "last_over_time"})  # fmt: skip
PASS_CALLS = frozenset({"clamp_max", "clamp_min", "clamp", "round", "label_replace", "abs", "ceil", "floor"})
PASS_AGGREGATES = frozenset({"avg", "max", "min", "sum", "quantile", "topk", "bottomk"})


# ---------------------------------------------------------------- structure


def measure(node: Node, ctx: Context | None = None) -> Q | None:
    """What `node` measures, or None when that is not certain.

    Remembered in the context's memo per node (and recursion guard): the burn-rate reading,
    the threshold reading and the golden-signal coverage each measure the same subtrees of
    one parsed expression (parse trees are shared through promql.parse's table), and
    `mentions` measures every node of a tree, each again with its children (quadratic). The
    memo holds the node itself, so its id cannot be reused while the entry lives."""
    ctx = ctx or Context()
    key = ("measure", id(node), ctx.seen)
    known = ctx.memo.get(key)  # type: ignore[call-overload]
    if known is not None and known[0] is node:
        return known[1]
    found = _measure(node, ctx)
    ctx.memo[key] = (node, found)  # type: ignore[index]
    return found


def _measure(node: Node, ctx: Context) -> Q | None:
    node = strip(node)
    if node.kind == "selector":
        name = node.name
        if name in ctx.recorded and name not in ctx.seen and len(ctx.seen) < MAX_DEPTH:
            return _recorded(name, ctx)
        return selector(node, ctx)
    if node.kind in ("matrix", "subquery"):
        return measure(node.children[0], ctx)
    if node.kind == "call":
        return _call(node, ctx)
    if node.kind == "aggregate":
        return _aggregate(node, ctx)
    if node.kind == "binary":
        if node.name in ("*", "/"):
            return _product(node, ctx)
        if node.name == "-":
            return _minus(node, ctx)
        if node.name == "+":
            return _plus(node, ctx)
        if node.name in ("and", "unless"):  # a filter beside the quantity
            return measure(node.children[0], ctx)
        if (
            node.name in promql.COMPARISONS
            and not node.bool_modifier
            and number(node.children[1]) is not None
        ):
            return measure(node.children[0], ctx)  # `(limit > 0)`: a filter
    return None


def _recorded(name: str, ctx: Context) -> Q | None:
    """A series recorded by a rule of the project: what the rule's expression measures (the
    same for every rule recording it, else not certain); measured once per run (ctx.memo)."""
    if name in ctx.memo:
        return ctx.memo[name]  # type: ignore[return-value]
    found = set()
    inner = Context(ctx.recorded, (*ctx.seen, name), ctx.memo)
    for expr in ctx.recorded[name]:
        try:
            found.add(measure(promql.parse(expr), inner))
        except (promql.PromQLError, RecursionError):
            found.add(None)
    result = found.pop() if len(found) == 1 else None
    if not ctx.seen:  # a name read at the top (not inside a loop being followed) is final
        ctx.memo[name] = result
    return result


def _call(node: Node, ctx: Context) -> Q | None:
    name, args = node.name, node.children
    if not args:
        return None
    if name in RATES:
        inner = measure(args[0], ctx)
        if inner is None or inner.rated or inner.kind in ("share", "amount"):
            return None
        if inner.kind == "cores" and inner.per_cpu:  # each core's busy or idle share
            return Q(
                "share", "cpu", scale="ratio", free=inner.role == "free", per_cpu=True, words=inner.words
            )
        return replace(inner, rated=True)
    if name == "histogram_quantile" and len(args) == 2:
        inner = measure(args[1], ctx)
        buckets = [n.name for n in args[1].walk() if n.kind == "selector"]
        if inner is None or inner.kind != "latency" or not all(b.endswith("_bucket") for b in buckets):
            return None
        return replace(inner, rated=False)
    if name == "predict_linear":
        inner = measure(args[0], ctx)
        return replace(inner, predicted=True) if inner is not None and inner.kind == "amount" else None
    if name in PASS_OVER_TIME or name in PASS_CALLS:
        return measure(args[-1] if name in PASS_OVER_TIME else args[0], ctx)
    return None


def _aggregate(node: Node, ctx: Context) -> Q | None:
    inner = measure(node.children[-1], ctx)
    if inner is None:
        return None
    grouping = node.value or []
    merges_cores = ("cpu" in grouping) if node.without else ("cpu" not in grouping)  # type: ignore[operator]
    if node.name == "count":
        if inner.kind == "cores" and inner.per_cpu and merges_cores:
            return Q("amount", "cpu", role="size")  # the number of cores
        return None
    if node.name not in PASS_AGGREGATES:
        return None
    if inner.kind == "share" and inner.per_cpu:
        if not merges_cores:
            return inner if node.name in ("max", "min", "avg") else None
        if node.name == "avg":
            return replace(inner, per_cpu=False)
        return inner if node.name in ("max", "min") else None
    if inner.kind == "cores" and inner.per_cpu and merges_cores:
        return None if node.name == "sum" else replace(inner, per_cpu=False) if node.name == "avg" else inner
    return inner


# ---------------------------------------------------------------- arithmetic


def _factors(node: Node, sign: int = 1, out=None) -> tuple[float, list[tuple[Node, int]]] | None:
    """A product/quotient as (numeric factor, [(operand, +1 or -1)]), through parentheses
    and aggregations of a scaled operand (`sum(rate(x) * 100)`)."""
    factor, terms = 1.0, out if out is not None else []
    node = strip(node)
    value = number(node)
    if value is not None:
        return (value if sign > 0 else (1 / value if value else float("nan"))), terms
    if node.kind == "binary" and node.name in ("*", "/"):
        left = _factors(node.children[0], sign, terms)
        right = _factors(node.children[1], sign if node.name == "*" else -sign, terms)
        if left is None or right is None:
            return None
        return left[0] * right[0], terms
    if node.kind == "aggregate" and node.name in ("sum", "avg", "max", "min"):
        body = strip(node.children[-1])
        if (
            body.kind == "binary"
            and body.name in ("*", "/")
            and any(number(c) is not None for c in body.children)
        ):
            inner = _factors(body, 1, [])
            if inner is None or len(inner[1]) != 1:
                return None
            k, [(operand, exp)] = inner
            wrapped = Node("aggregate", node.type, node.pos, node.name, [*node.children[:-1], operand])
            wrapped.value, wrapped.without = node.value, node.without
            terms.append((wrapped, exp * sign))
            return (k if sign > 0 else 1 / k), terms
    terms.append((node, sign))
    return factor, terms


def _product(node: Node, ctx: Context) -> Q | None:
    found = _factors(node)
    if found is None:
        return None
    factor, terms = found
    ups = [t for t, s in terms if s > 0]
    downs = [t for t, s in terms if s < 0]
    if len(ups) == 1 and not downs:
        base = measure(ups[0], ctx)
    elif len(ups) == 1 and len(downs) == 1:
        base = ratio(measure(ups[0], ctx), measure(downs[0], ctx))
    else:
        return None
    return _rescale(base, factor) if base is not None else None


def _rescale(q: Q, factor: float) -> Q | None:
    if factor == 1:
        return q
    if q.kind == "share":
        if q.scale == "ratio" and factor == 100:
            return replace(q, scale="percent")
        if q.scale == "percent" and factor == 0.01:
            return replace(q, scale="ratio")
        return q if q.scale == "" and factor in (100, 0.01) else None
    if q.kind == "cores" and not q.per_cpu and factor == 100:  # a process's CPU in percent of a core
        return Q("share", "cpu", scale="percent", words=q.words)
    if q.kind == "latency":
        conversions = {("s", 1000): "ms", ("ms", 0.001): "s", ("us", 0.001): "ms", ("ms", 1000): "us"}
        unit = conversions.get((q.scale, factor))
        if unit:
            return replace(q, scale=unit)
        return q if q.scale == "" and factor in (1000, 0.001) else None
    if q.kind == "amount" and (q.predicted or q.role not in ("quota", "period")):
        return q if q.predicted or factor in (1024, 1 / 1024, 1e3, 1e-3, 1e6, 1e-6, 1e9, 1e-9) else None
    if q.kind == "amount" and q.role == "quota" and factor == 1e-5:
        return Q("amount", "cpu", role="size")  # the default CFS period is 100000 us
    return None


def _minus(node: Node, ctx: Context) -> Q | None:
    left, right = strip(node.children[0]), strip(node.children[1])
    value = number(left)
    if value is not None:
        inner = measure(right, ctx)
        if inner is None or inner.kind != "share" or inner.per_cpu:
            return None
        if (value == 1 and inner.scale == "ratio") or (value == 100 and inner.scale == "percent"):
            return replace(inner, free=not inner.free)
        return None
    a, b = measure(left, ctx), measure(right, ctx)
    if a is None or b is None or a.kind != "amount" or b.kind != "amount" or not _same(a, b):
        return None
    if a.role in ("size", "") and b.role == "free":
        return replace(a, role="used", category=a.category or b.category)
    if a.role in ("size", "") and b.role == "used":
        return replace(a, role="free", category=a.category or b.category)
    return None


def _plus(node: Node, ctx: Context) -> Q | None:
    a, b = measure(node.children[0], ctx), measure(node.children[1], ctx)
    if a is None or b is None or a.kind != b.kind:
        return None
    if a.kind == "amount" and _same(a, b):
        roles = {a.role, b.role}
        cat = a.category or b.category
        if roles <= {"free"} or (roles == {"free", ""} and names.RECLAIMABLE & (a.words | b.words)):
            return replace(a, role="free", category=cat)
        if roles == {"free", "used"}:
            return replace(a, role="size", category=cat)
        if roles == {"used"}:
            return replace(a, category=cat)
        return None
    if a.kind == "count" and a.rated == b.rated:
        roles = {a.role, b.role}
        if roles == {"errors", "all"} or roles == {"errors", "ok"} or roles == {"all"}:
            return replace(a, role="all" if len(roles) > 1 or a.role == "all" else a.role)
        if roles == {"errors"}:
            return a
    return None


def _same(a: Q, b: Q) -> bool:
    return a.category == b.category or a.category is None or b.category is None


def related(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two counters of one activity: their stems share a first part (`etcd_http_failed`
    and `etcd_http_received`, `aws_lambda_errors` and `aws_lambda_invocations`)."""
    return bool(a) and bool(b) and a[0] == b[0]


def ratio(num: Q | None, den: Q | None) -> Q | None:
    """`num / den` when it is a share or a mean latency."""
    if num is None or den is None:
        return None
    if (num.role, den.role) == ("quota", "period"):
        return Q("amount", "cpu", role="size")  # CFS quota / period: cores allowed
    if num.kind == "share" and num.scale == "" and den.kind == "amount" and den.role in ("size", ""):
        num = Q("amount", num.category, role="free" if num.free else "used", words=num.words)
    if num.role == "load" and den.kind == "amount" and den.category == "cpu" and den.role == "size":
        return Q("share", "cpu", scale="ratio")  # load per core
    if num.kind == "amount" and den.kind == "amount" and _same(num, den):
        cat = num.category or den.category
        if cat is None or den.role == "used" or num.predicted or den.predicted:
            return None
        if num.role == "used" and den.role == "free":
            # `used / available`: OpenStack and Azure call the capacity "available"
            return Q("share", cat, scale="ratio") if "available" in den.words else None
        if num.role in ("used", "") and den.role in ("size", ""):
            return Q("share", cat, scale="ratio") if num.role or den.role else None
        if num.role == "free" and den.role in ("size", ""):
            return Q("share", cat, scale="ratio", free=True)
        return None
    if num.kind == "cores" and den.kind == "amount" and den.category == "cpu" and den.role in ("size", ""):
        if not num.rated or num.per_cpu:
            return None
        return Q("share", "cpu", scale="ratio", free=num.role == "free")
    if num.kind == "count" and den.kind == "count" and num.rated == den.rated:
        if den.role != "all" or (not related(num.stem, den.stem) and num.words != den.words):
            return None
        if num.role == "errors":
            return Q("share", "error-rate", scale="ratio")
        if num.role == "ok":
            return Q("share", "error-rate", scale="ratio", free=True)
        return None
    if num.kind == "latency" and den.kind in ("count", "latency") and num.rated == den.rated:
        return _mean(num, den)
    return None


def _mean(num: Q, den: Q) -> Q | None:
    """`x_seconds_sum / x_seconds_count`, `query_time_seconds / query_total`."""
    top = num.stem
    bottom = den.stem
    if not top or not bottom or top[0] != bottom[0]:
        return None
    if den.kind == "latency" and "count" not in den.words:
        return None
    if "sum" not in num.words and not num.words & {"time", "total"}:
        return None
    return Q("latency", "latency", scale=num.scale)
