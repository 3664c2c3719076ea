"""Reading one selector: what a metric (and its label filters) measures, as a `Q`.

The vocabulary is in `alerts.names`; this module turns a selector into a share, an amount,
a count or a latency (see `alerts.quantities` for how structures combine them, and how a
recorded series is read through the rule that records it: `Context.recorded`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from manifestlint.alerts import names
from manifestlint.parse.promql import Node

CODE_LABEL_PARTS = ("code", "status", "result", "outcome", "classification", "rcode", "class")
MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Q:
    kind: str  # share | amount | count | latency | cores
    category: str | None = None  # cpu, memory, disk, error-rate
    role: str = ""  # amount: free/used/size/''; count: errors/ok/client/all
    scale: str = ""  # share: ratio/percent/''; latency: s/ms/us/''
    free: bool = False  # a share of what is free, idle or successful
    per_cpu: bool = False  # one series per CPU core of a machine
    stem: tuple[str, ...] = ()
    rated: bool = False
    predicted: bool = False
    words: frozenset[str] = frozenset()


@dataclass(slots=True)
class Context:
    """Recording rules of the project (name -> expressions), the guard against loops, and
    what each recorded name was read as (every alert of a run shares it)."""

    recorded: dict[str, list[str]] = field(default_factory=dict)
    seen: tuple[str, ...] = ()
    memo: dict[str, object] = field(default_factory=dict)


def strip(node: Node) -> Node:
    while node.kind == "paren":
        node = node.children[0]
    return node


def number(node: Node) -> float | None:
    """The value of a constant expression (`2^16-1`, `86400 * 7`), or None."""
    node = strip(node)
    if node.kind == "number":
        return float(node.value)  # type: ignore[arg-type]
    if node.kind == "binary" and node.name in ("+", "-", "*", "/", "^"):
        a, b = number(node.children[0]), number(node.children[1])
        if a is None or b is None:
            return None
        ops = {
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a / b,
            "^": lambda: a**b,
        }
        try:
            return float(ops[node.name]())
        except (OverflowError, ZeroDivisionError):
            return None
    return None


# ---------------------------------------------------------------- selectors


def _admits(matchers: list[tuple[str, str, str]], label: str, value: str) -> bool | None:
    from manifestlint.userregex import full_match

    for name, op, pattern in matchers:
        if name != label:
            continue
        hit = pattern == value if op in ("=", "!=") else full_match(pattern, value, "s")
        if hit is None:
            return None
        if hit != (op in ("=", "=~")):
            return False
    return True


def _kind_of_codes(matchers: list[tuple[str, str, str]]) -> str:
    """'errors', 'ok', 'client' (4xx only), '' (no status filter) or '?' (unclear). A label
    filtered only negatively (`code!~"2.."`, `rcode!="No Error"`) keeps what it rejects not."""
    labels = {m[0] for m in matchers if any(p in m[0].lower() for p in CODE_LABEL_PARTS)}
    kinds = set()
    for label in labels:
        low = label.lower()
        if low.startswith("grpc"):
            errors, oks, client = names.GRPC_ERROR_VALUES, names.GRPC_OK_VALUES, ("InvalidArgument",)
        elif low.endswith("class"):  # envoy_response_code_class="5"
            errors, oks, client = ("5",), ("2",), ("4",)
        else:
            errors, oks, client = names.ERROR_LABEL_VALUES, names.OK_LABEL_VALUES, names.CLIENT_ERROR_VALUES
        mine = [m for m in matchers if m[0] == label]
        if all(op in ("!=", "!~") for _l, op, _v in mine):
            no_ok = any(_admits(mine, label, v) is False for v in oks)
            no_err = any(_admits(mine, label, v) is False for v in errors)
            kinds.add("errors" if no_ok and not no_err else "ok" if no_err and not no_ok else "")
            continue
        if any(_admits(mine, label, v) for v in ("dropped", "skipped", "rejected")):
            kinds.add("?")  # `result=~"dropped|err"`: errors and something else
            continue
        e = any(_admits(mine, label, v) for v in errors)
        o = any(_admits(mine, label, v) for v in oks)
        c = any(_admits(mine, label, v) for v in client)
        if not (e or o or c):
            kinds.add("")  # `status="true"`: not a result code
        else:
            kinds.add(
                "errors"
                if e and not o
                else "ok"
                if o and not e and not c
                else "client"
                if c and not o and not e
                else "?"
            )
    kinds.discard("")
    return kinds.pop() if len(kinds) == 1 else ("?" if kinds else "")


def _label_words(matchers: list[tuple[str, str, str]]) -> list[str]:
    """Words a selector's filters add: `{area="heap"}` heap, `{mode="idle"}` idle,
    `{dimension=~"free|cached"}` free, `{resource="memory"}` memory."""
    out: list[str] = []
    for label, op, value in matchers:
        if label not in names.ROLE_LABELS:
            continue
        if op == "=":
            out += names.parts(value)
        elif op == "=~":
            probes = ("free", "available", "avail", "idle", "cached", "used", "busy", "user", "system")
            admitted = [p for p in probes if _admits([(label, op, value)], label, p)]
            kinds = {names.role([p]) or "free" for p in admitted}  # cached/buffers count as free
            if len(kinds) == 1:
                out.append(next(iter(kinds)))
    return out


_SELECTORS: dict[tuple, Q | None] = {}  # (name, matchers) -> what it measures (bounded)


def selector(node: Node, ctx: Context) -> Q | None:
    """What a selector's metric measures by its name and label filters (a series recorded by a
    rule of the project is read through that rule first: quantities.measure).

    A pure function of the name and the filters, remembered for the run: the threshold,
    golden-signal and SLO readings measure the same selectors again and again (10,000 calls
    for 1,229 alerts of the corpus, a third of the alert rules' time)."""
    key = (node.name, tuple(node.value or ()))  # type: ignore[arg-type]
    try:
        return _SELECTORS[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable filter: read it every time
        return _selector(node.name, list(node.value or ()))  # type: ignore[arg-type]
    found = _selector(key[0], list(key[1]))
    if len(_SELECTORS) >= 8192:
        _SELECTORS.clear()
    _SELECTORS[key] = found
    return found


def _selector(name: str, matchers: list) -> Q | None:
    words = names.parts(name)
    extra = _label_words(matchers)
    everything = words + extra
    present = frozenset(everything)
    if any(m[0] == "quantile" for m in matchers):  # a summary's quantile series
        lat = names.latency(words)
        return Q("latency", "latency", scale=lat.unit, words=present) if lat else None
    category = names.category(everything)
    codes = _kind_of_codes(matchers)
    if category == "cpu" and present & {"seconds", "time"} and not present & names.NOT_USAGE - {"time"}:
        return _cpu_time(matchers, everything, present)
    if category and not codes and not present & names.NOT_USAGE:
        return _resource(category, words, everything, present)
    lat = names.latency(words) if words[-1:] != ["count"] else None
    if lat is not None and not codes:
        return Q("latency", "latency", scale=lat.unit, words=present, stem=tuple(names.stem(words)))
    kind = {"errors": "errors", "ok": "ok", "client": "client", "?": "?"}.get(codes, "")
    if not kind:
        kind = "errors" if names.error_words(words) else "all"
    if kind == "?":
        return None
    return Q("count", role=kind, stem=tuple(names.stem(words)), words=present)


SHARE_USAGE = frozenset({"usage", "utilization", "utilisation", "util"})
AMOUNT_UNITS = frozenset({"bytes", "byte", "gb", "mb", "mib", "gib", "kb", "kib", "sectors", "files", "cores",
                          "count", "inodes", "vcpus", "cpus"})  # fmt: skip


def _resource(category: str, words: list[str], everything: list[str], present: frozenset[str]) -> Q | None:
    """A CPU, memory or disk gauge: a share when its name says so (`_percent`, `_ratio`,
    `_usage` without a unit; a bare CPU gauge), otherwise an amount with its role."""
    if category == "cpu" and any(w.startswith("load") for w in words):
        return Q("amount", "cpu", role="load", words=present)  # a share only per core
    if present & names.QUOTA_WORDS and present & names.USED_WORDS:
        return None  # a quota's usage is not the resource's
    if category == "cpu" and present & {"quota", "period"}:
        return Q("amount", "cpu", role="quota" if "quota" in present else "period", words=present)
    scale = "percent" if present & names.SHARE_PERCENT else "ratio" if present & names.SHARE_RATIO else ""
    role = names.role(everything)
    if not role and any(w.endswith("utilization") for w in words):
        role = "used"
    counted = present & AMOUNT_UNITS
    usage = bool(present & SHARE_USAGE) or any(w.endswith("utilization") for w in words)
    bare_cpu = category == "cpu" and role in ("", "used") and _ends_with_cpu(words)
    if scale and role == "size":  # `used_pool_capacity_percent`: a percent of the capacity
        role = "used"
    if scale or (not counted and ((role == "used" and usage) or bare_cpu)):
        return (
            None if role == "size" else Q("share", category, scale=scale, free=role == "free", words=present)
        )
    return Q("amount", category, role=role, words=present)


def _ends_with_cpu(words: list[str]) -> bool:
    """`gnatsd_varz_cpu`, `pve_cpu_usage`: the name ends on what it measures (not
    `my_app_cpu_thing`, not `instance:node_cpu:rate5m`)."""
    tail = {"average", "avg", "value", "current", "usage", "used", "utilization", "util", "percent", "pct"}
    meaningful = [w for w in words if w not in tail]
    return bool(meaningful) and (meaningful[-1] in names.CPU_WORDS or meaningful[-1].startswith("cpu"))


def _cpu_time(matchers: list, everything: list[str], present: frozenset[str]) -> Q | None:
    """CPU seconds counters: per-core node/windows series with a `mode` (idle or busy),
    or a process's or container's usage in cores."""
    modes = [m for m in matchers if m[0] == "mode"]
    if modes:
        idle = _admits(modes, "mode", "idle")
        busy = _admits(modes, "mode", "user") or _admits(modes, "mode", "system")
        for other in ("iowait", "steal"):
            if _admits(modes, "mode", other) and not busy:
                return None
        if idle and not busy:
            return Q("cores", "cpu", role="free", per_cpu=True, words=present)
        if busy and not idle:
            return Q("cores", "cpu", role="used", per_cpu=True, words=present)
        return None
    if present & {"node", "windows"} and not present & {"usage", "used", "process"}:
        return None  # every mode of every core: not usage
    return Q("cores", "cpu", role="used", words=present)


_LAST: list = [None, -1, None]  # (index, its rule-group count, Context): one run shares its records


def recording_context(index) -> Context:
    """The recording rules of every rule file of the project (`record` -> its expressions),
    so that alerts on `instance:node_cpu_utilisation:ratio` are read through the rule that
    records it. Remembered for the last index (rules of one run ask for it many times)."""
    if _LAST[0] is index and _LAST[1] == len(index.rule_groups):
        return _LAST[2]
    from manifestlint.model import YList, YMap

    recorded: dict[str, list[str]] = {}
    for groups in index.rule_groups:
        for group in groups.groups if isinstance(groups.groups, YList) else ():
            rules = group.get("rules") if isinstance(group, YMap) else None
            for entry in rules if isinstance(rules, YList) else ():
                if isinstance(entry, YMap) and isinstance(entry.get("record"), str):
                    expr = entry.get("expr")
                    if isinstance(expr, str):
                        recorded.setdefault(entry["record"], []).append(expr)
    ctx = Context(recorded)
    _LAST[:] = [index, len(index.rule_groups), ctx]
    return ctx
