"""What a metric's name (and its selector's label filters) says it measures.

Exporters name their metrics after the same few words: `node_memory_MemAvailable_bytes`,
`elasticsearch_filesystem_data_available_bytes`, `zfs_pool_free_bytes`,
`flink_taskmanager_Status_JVM_Memory_Heap_Used`. Recognition reads those words instead of
a list of known metrics: a name is split into lower-case parts (at `_`, `:` and camelCase
boundaries) and each part is looked up in a few small vocabularies:

- the resource: CPU (`cpu`, `processor`), memory (`mem…`, `heap`, `rss`, `working_set`),
  disk (`disk`, `filesystem`, `…fs`, `volume`, `storage`, `space`, `pool`);
- the role of an amount: free (`free`, `avail`, `idle`), used (`used`, `usage`, `alloc`),
  size (`size`, `total`, `capacity`, `max`, `limit`);
- errors (`error`, `fail…`, `timeout`, `5xx`) and request totals;
- latency (`latency`, `duration`, `response_time`) and its unit (`seconds`, `ms`).

Only the vocabulary is fixed; which metric pairs form a ratio is decided by the
expression's structure (see `alerts.quantities`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

CPU_WORDS = frozenset({"cpu", "cpus", "vcpu", "vcpus", "processor", "processors", "cpuutilization"})
MEMORY_WORDS = frozenset({"mem", "memory", "memstats", "heap", "nonheap", "rss", "ram", "swap", "resident",
                          "buffer", "buffers"})  # fmt: skip
DISK_WORDS = frozenset({"disk", "disks", "filesystem", "filesystems", "fs", "volume", "volumes", "storage",
                        "tablespace", "inodes"})  # fmt: skip
DISK_WEAK = frozenset({"space", "pool", "capacity", "drive"})
WEAK_COMPANIONS = frozenset({"bytes", "gb", "mb", "gib", "mib", "tb", "percent", "ratio", "free", "used",
                             "usage", "avail", "available"})  # fmt: skip
FREE_WORDS = frozenset({"free", "avail", "available", "idle", "unused", "remaining", "unallocated"})
RECLAIMABLE = frozenset({"cached", "cache", "buffers", "buffer"})
USED_WORDS = frozenset({"used", "usage", "use", "utilization", "utilisation", "util", "busy", "inuse",
                        "alloc", "allocated", "consumed", "occupied", "resident", "rss"})  # fmt: skip
SIZE_WORDS = frozenset({"size", "total", "capacity", "max", "limit", "limits", "allocatable", "physical"})
QUOTA_WORDS = frozenset({"quota", "quotas", "limits"})
SHARE_PERCENT = frozenset({"percent", "percentage", "pct"})
SHARE_RATIO = frozenset({"ratio", "fraction"})
# Parts that make a CPU or disk figure something else than usage or space.
NOT_USAGE = frozenset({"throttled", "throttling", "cfs", "steal", "iowait", "wait", "pressure", "guest",
                       "io", "read", "reads", "write", "writes", "ops", "iops", "latency", "time",
                       "spill", "spilled", "temperature", "errors", "error", "fragmentation", "objects",
                       "slots", "finalization", "areas"})  # fmt: skip
# Parts that make a name about something else than a resource (connection pools, requests
# to a storage service, a cache's hit counters).
NOT_RESOURCE = frozenset({"connection", "connections", "conn", "conns", "thread", "threads", "worker",
                          "workers", "session", "sessions", "task", "tasks", "slot",
                          "ip", "ips", "ipam", "queue", "executor", "request", "requests", "rq", "duration",
                          "latency", "operations", "operation", "ops", "hits", "misses", "evictions",
                          "items", "commands", "messages", "queries", "query"})  # fmt: skip

ERROR_WORDS = frozenset({"error", "errors", "err", "errs", "fail", "failed", "failure", "failures",
                         "failing", "exception", "exceptions", "timeout", "timeouts", "5xx", "panic",
                         "panics"})  # fmt: skip
TOTAL_WORDS = frozenset({"requests", "request", "rq", "total", "count", "received", "completed", "started",
                         "handled", "calls", "invocations", "operations", "ops", "queries", "lookups",
                         "pushes", "submitted", "attempts", "runs", "responses", "all", "packets",
                         "pkts", "evaluations", "refreshes", "tasks", "replications", "logins",
                         "compactions", "metric", "sum"})  # fmt: skip
ERROR_LABEL_VALUES = ("error", "err", "failed", "failure", "fail", "5xx", "500", "502", "503", "504")
OK_LABEL_VALUES = ("ok", "success", "succeeded", "successful", "200", "204", "2xx", "No Error", "NOERROR")
GRPC_ERROR_VALUES = ("Internal", "Unavailable", "Unknown", "DeadlineExceeded", "DataLoss",
                     "ResourceExhausted", "Aborted", "Unimplemented")  # fmt: skip
GRPC_OK_VALUES = ("OK",)
CLIENT_ERROR_VALUES = ("400", "404", "429", "4xx")
ROLE_LABELS = frozenset({"mode", "state", "type", "dimension", "area", "memtype", "kind", "resource",
                         "condition", "id", "item", "mountpoint_type"})  # fmt: skip

LATENCY_WORDS = frozenset({"latency", "latencies", "duration", "durations", "rtt", "handling"})
# With a unit, these name a request's time (`http_server_requests_seconds`, Micrometer's).
REQUEST_WORDS = frozenset({"request", "requests", "response", "responses", "http", "grpc", "rpc", "call",
                           "calls", "query", "queries", "handler", "api"})  # fmt: skip
LATENCY_PAIRS = (("response", "time"), ("request", "time"), ("total", "time"), ("query", "time"),
                 ("index", "time"), ("round", "trip"))  # fmt: skip
# Durations that are not the time to answer a request: background work, waiting, ages.
NOT_RESPONSE = frozenset({"gc", "fsync", "wal", "commit", "compaction", "compactions", "checkpoint",
                          "scrape", "collection", "collect", "evaluation", "eval", "rule", "job", "jobs",
                          "queue", "lag", "wait", "gate", "backup", "replication", "replicate", "run",
                          "pipeline", "creation", "expiration", "expiry", "expire", "cert", "certificate",
                          "age", "uptime", "start", "boot", "disk", "interval", "delay", "behind", "sync",
                          "flush", "compile", "compilation", "ttl", "timestamp", "left", "remaining",
                          "since", "battery", "throttled", "stall", "pause"})  # fmt: skip
UNITS = {"seconds": "s", "second": "s", "milliseconds": "ms", "millisecond": "ms", "ms": "ms",
         "millis": "ms", "microseconds": "us", "us": "us", "micros": "us"}  # fmt: skip


_PARTS: dict[str, tuple[str, ...]] = {}  # name -> its parts (bounded): names recur across alerts


def parts(name: str) -> list[str]:
    """`node_memory_MemAvailable_bytes` -> [node, memory, mem, available, bytes]."""
    found = _PARTS.get(name)
    if found is None:
        found = tuple(_parts(name))
        if len(_PARTS) >= 8192:
            _PARTS.clear()
        _PARTS[name] = found
    return list(found)


def _parts(name: str) -> list[str]:
    out: list[str] = []
    for chunk in re.split(r"[_:.\-/]+", name):
        if not chunk:
            continue
        pieces = _CAMEL.findall(chunk)
        out.extend(p.lower() for p in pieces)
        if len(pieces) > 1:  # `5xx`, `MemTotal`: the whole chunk as well
            out.append(chunk.lower())
    for a, b in list(itertools.pairwise(out)):  # `httpcode_elb_5_xx`
        if a in ("2", "4", "5") and b == "xx":
            out.append(a + "xx")
    return out


def category(words: list[str] | set[str]) -> str | None:
    """cpu, memory or disk when the parts name exactly one resource (weak disk words such
    as `pool` or `space` only when nothing else is named)."""
    words = set(words)
    if words & NOT_RESOURCE:
        return None
    found = set()
    if words & CPU_WORDS or any(w.startswith("cpu") or re.fullmatch(r"load\d+", w) for w in words):
        found.add("cpu")
    if words & MEMORY_WORDS or any(
        (w.startswith("mem") and not w.startswith("member")) or w.endswith("memory") for w in words
    ):
        found.add("memory")
    if words & DISK_WORDS or any(w.endswith("fs") and len(w) <= 6 for w in words):
        found.add("disk")
    if not found and words & DISK_WEAK and words & WEAK_COMPANIONS:
        found.add("disk")
    return found.pop() if len(found) == 1 else None


def role(words: list[str], counter: bool = False) -> str:
    """free, used, size or '' from a name's parts. A trailing `total` is a counter's suffix
    inside rate()/increase() and a size otherwise (`container_fs_inodes_total`)."""
    if counter and words and words[-1] == "total":
        words = words[:-1]
    found = set()
    if set(words) & FREE_WORDS:
        found.add("free")
    if set(words) & USED_WORDS or ("working" in words and "set" in words):
        found.add("used")
    if set(words) & SIZE_WORDS:
        found.add("size")
    if "actual" in words:  # `volume_actual_size_bytes`: what is used of the capacity
        return "used"
    if not found and any(w.startswith(("max", "total")) and len(w) > 5 for w in words):
        return "size"  # `redis_maxmemory`
    if found == {"used", "size"}:  # `memory_used_max`? `limits_memory_used`: used wins only if last
        last = [w for w in words if w in USED_WORDS or w in SIZE_WORDS][-1]
        return "used" if last in USED_WORDS else "size"
    if found == {"free", "size"}:  # `capacity_raw_free_bytes`, `pool_capacity_free_gb`
        return "free"
    return found.pop() if len(found) == 1 else ""


@dataclass(frozen=True, slots=True)
class Latency:
    unit: str  # "s", "ms", "us", or "" when the name does not say


def latency(words: list[str]) -> Latency | None:
    """A request latency, when the parts say so and nothing says it is background work."""
    present = set(words)
    if present & NOT_RESPONSE:
        return None
    named = bool(present & LATENCY_WORDS) or any(
        a in present and b in present and words.index(a) < words.index(b) for a, b in LATENCY_PAIRS
    )
    units = {UNITS[w] for w in words if w in UNITS}
    if not named and not (units and present & REQUEST_WORDS):
        return None
    if len(units) > 1:
        return None
    return Latency(units.pop() if units else "")


def error_words(words: list[str]) -> bool:
    """`errors`, `failed`, and run-together names (`failedproducerequests`)."""
    return bool(set(words) & ERROR_WORDS) or any(w.startswith(("failed", "error")) for w in words)


def stem(words: list[str]) -> list[str]:
    """The parts that name the activity (`http`, `requests`) without error or total words,
    units and counter suffixes: two metrics of one activity share a stem prefix."""
    drop = ERROR_WORDS | TOTAL_WORDS | {"bytes", "seconds", "value", "average"}
    return [w for w in words if w not in drop]
