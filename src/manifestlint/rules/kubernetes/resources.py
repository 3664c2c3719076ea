"""CPU and memory requests and limits of each container."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.model import Finding, YamlDoc, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.containers import _what, container_anchor
from manifestlint.rules.kubernetes.objects import (
    WORKLOAD_KINDS,
    container_label,
    containers,
    parse_quantity,
    pod_template,
)


@rule("k8s-missing-resource-limits", "kubernetes", kinds=WORKLOAD_KINDS)
def missing_limits(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    wanted = ["memory"] + (["cpu"] if ctx.options.get("require-cpu-limit") else [])
    for container, _field in containers(pod.spec):
        limits = container.path_get("resources", "limits")
        missing = [r for r in wanted if not (isinstance(limits, dict) and limits.get(r) not in (None, ""))]
        if missing:
            yield doc_hit(
                doc,
                container_anchor(container, "resources", "limits"),
                f"container {container_label(container)!r} has no {' or '.join(missing)} limit",
            )


@rule("k8s-missing-resource-requests", "kubernetes", kinds=WORKLOAD_KINDS)
def missing_requests(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec):
        requests = container.path_get("resources", "requests")
        limits = container.path_get("resources", "limits")
        missing = [
            res for res in ("cpu", "memory")
            # A limit without a request makes Kubernetes default the request to the limit.
            if not (isinstance(requests, dict) and requests.get(res) not in (None, ""))
            and not (isinstance(limits, dict) and limits.get(res) not in (None, ""))
        ]  # fmt: skip
        if missing:
            yield doc_hit(
                doc,
                container_anchor(container, "resources", "requests"),
                f"{_what(container, field)} has no {' or '.join(missing)} request",
            )


@rule("k8s-requests-exceed-limits", "kubernetes", kinds=WORKLOAD_KINDS)
def requests_exceed_limits(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec):
        requests = container.path_get("resources", "requests")
        limits = container.path_get("resources", "limits")
        if not isinstance(requests, YMap) or not isinstance(limits, dict):
            continue
        for res, wanted in requests.items():
            if res not in limits:
                continue
            request, limit = parse_quantity(wanted), parse_quantity(limits[res])
            if request is not None and limit is not None and request > limit:
                yield doc_hit(
                    doc,
                    requests.value_span(res),
                    f"{_what(container, field)}: {res} request {wanted} is greater than its limit "
                    f"{limits[res]}; the API server rejects the object",
                )
