"""The project's own alerting vocabulary (issue 19, principle 7).

Teams grade alerts in their own words: `page`/`task`/`email`, `P1`/`P2`, `high`/`medium`. What a
linter may call wrong is a word *nobody* uses — not one the project's Alertmanager routes on and
its rules use consistently. And a team's alerting asks for what the team runs: a paging route for
the severities its alerts actually carry, latency and error-rate alerts where it serves requests
(a monitoring-only stack serves none). The questions, answered from the project index:

- whether an Alertmanager route of the project matches `label=value` explicitly:
  rules/alertmanager/escalation.py `routed_patterns` / `routed`.
- `alert_values(index, label)`: how many alerts of the project carry each value.
- `serves_requests(index)`: evidence that the project serves requests, or None.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from manifestlint.model import YMap
from manifestlint.templating import is_placeholder

# Objects through which a project serves requests.
SERVING_KINDS = ("Service", "Ingress", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "Gateway",
                 "VirtualService", "Route", "IngressRoute", "HTTPProxy")  # fmt: skip
# Metric names of request traffic (in alert or recording expressions): a scrape of them means
# the project watches something that serves requests.
_REQUEST_METRIC = re.compile(
    r"\b\w*(http_requests?|http_server|request_duration|requests_total|request_latency|grpc_server_handled"
    r"|grpc_server_handling|nginx_ingress_controller_requests|istio_requests|envoy_cluster_upstream_rq)\w*",
    re.I,
)


def alert_values(index: Any, label: str) -> Counter[str]:
    """How many alerts of the project carry each value of `label` (templated values left out)."""
    from manifestlint.rules.prometheus.common import iter_alerts

    counts: Counter[str] = Counter()
    for groups in index.rule_groups:
        for _group, entry in iter_alerts(groups):
            labels = entry.get("labels")
            value = labels.get(label) if isinstance(labels, YMap) else None
            if isinstance(value, (str, int)) and not is_placeholder(str(value)):
                counts[str(value)] += 1
    return counts


def serves_requests(index: Any) -> str | None:
    """Why the project looks like it serves requests (a Service, an Ingress or route, or an
    expression over request metrics), or None for a monitoring-only stack."""
    for kind in SERVING_KINDS:
        found = index.of_kind(kind)
        if found:
            return f"{kind} {found[0].ident or ''}".strip()
    from manifestlint.rules.prometheus.common import iter_rules

    for groups in index.rule_groups:
        for _group, entry in iter_rules(groups):
            expr = entry.get("expr")
            match = _REQUEST_METRIC.search(expr) if isinstance(expr, str) else None
            if match:
                return f"an expression over the request metric {match.group(0)}"
    return None
