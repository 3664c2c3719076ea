"""House rules the peers ship that are policy choices, not defects: all off by default (enable
the ones your organisation follows). Each reports at the field that breaks the policy, or at
the mapping that should hold it.
"""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.model import Finding, YamlDoc, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.objects import WORKLOAD_KINDS, containers, parse_quantity, pod_template


def _spec_key(pod) -> object:
    return pod.holder.key_span("spec")


@rule("k8s-default-service-account", "kubernetes", kinds=WORKLOAD_KINDS)
def default_service_account(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    name = pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount")
    if name in (None, "", "default"):
        where = (
            pod.spec.value_span("serviceAccountName") if "serviceAccountName" in pod.spec else _spec_key(pod)
        )
        yield doc_hit(
            doc, where, "the pods run as the namespace's default ServiceAccount: give them their own"
        )


@rule("k8s-recreate-strategy", "kubernetes", kinds=("Deployment",))
def recreate_strategy(doc: YamlDoc, ctx) -> Iterator[Finding]:
    strategy = doc.root.path_get("spec", "strategy")
    if isinstance(strategy, YMap) and strategy.get("type") == "Recreate":
        yield doc_hit(
            doc,
            strategy.value_span("type"),
            "strategy Recreate stops every pod before starting new ones: each rollout is an outage",
        )


@rule("k8s-missing-priority-class", "kubernetes", kinds=WORKLOAD_KINDS)
def missing_priority_class(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    allowed = [str(name) for name in ctx.options.get("allowed") or ()]
    name = pod.spec.get("priorityClassName")
    if not name:
        yield doc_hit(
            doc,
            _spec_key(pod),
            "the pods set no priorityClassName: under pressure they are evicted like any other",
        )
    elif allowed and str(name) not in allowed:
        yield doc_hit(
            doc,
            pod.spec.value_span("priorityClassName"),
            f"priorityClassName {name} is not one of {', '.join(allowed)}",
        )


@rule("k8s-required-metadata", "kubernetes", kinds=WORKLOAD_KINDS)
def required_metadata(doc: YamlDoc, ctx) -> Iterator[Finding]:
    meta = doc.root.get("metadata")
    if not isinstance(meta, YMap):
        return
    for field, wanted in (
        ("labels", ctx.options.get("labels")),
        ("annotations", ctx.options.get("annotations")),
    ):
        present = meta.get(field)
        missing = [str(k) for k in wanted or () if not (isinstance(present, dict) and str(k) in present)]
        if missing:
            where = (
                meta.key_span(field)
                if field in meta
                else meta.key_span("name")
                if "name" in meta
                else doc.span
            )
            yield doc_hit(doc, where, f"metadata.{field} lacks {', '.join(missing)}")


def _resources(container: YMap) -> tuple[dict, dict]:
    res = container.get("resources")
    requests = res.get("requests") if isinstance(res, YMap) else None
    limits = res.get("limits") if isinstance(res, YMap) else None
    return (requests if isinstance(requests, YMap) else {}), (limits if isinstance(limits, YMap) else {})


@rule("k8s-requests-not-equal-limits", "kubernetes", kinds=WORKLOAD_KINDS)
def requests_not_equal_limits(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, _ in containers(pod.spec):
        requests, limits = _resources(container)
        for name in ctx.options.get("resources") or ():
            request, limit = parse_quantity(requests.get(name)), parse_quantity(limits.get(name))
            if request is None or limit is None or request != limit:
                where = container.get("resources")
                span = (
                    where.key_span("limits")
                    if isinstance(where, YMap) and "limits" in where
                    else container.start()
                )
                yield doc_hit(
                    doc,
                    span,
                    f"container {str(container.get('name'))!r}: {name} request and limit are not "
                    "set equal (Guaranteed QoS needs both, equal)",
                )


@rule("k8s-missing-ephemeral-storage", "kubernetes", kinds=WORKLOAD_KINDS)
def missing_ephemeral_storage(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, _ in containers(pod.spec):
        requests, limits = _resources(container)
        if "ephemeral-storage" not in requests or "ephemeral-storage" not in limits:
            yield doc_hit(
                doc,
                container.key_span("resources") if "resources" in container else container.start(),
                f"container {str(container.get('name'))!r} sets no ephemeral-storage request and limit: "
                "its logs and scratch files can fill the node's disk",
            )


@rule("k8s-missing-node-affinity", "kubernetes", kinds=WORKLOAD_KINDS)
def missing_node_affinity(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None or pod.spec.path_get("affinity", "nodeAffinity") or pod.spec.get("nodeSelector"):
        return
    yield doc_hit(
        doc, _spec_key(pod), "the pods have no node affinity or nodeSelector: they land on any node"
    )


@rule("k8s-dns-ndots", "kubernetes", kinds=WORKLOAD_KINDS)
def dns_ndots(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    options = pod.spec.path_get("dnsConfig", "options")
    if isinstance(options, list) and any(isinstance(o, dict) and o.get("name") == "ndots" for o in options):
        return
    yield doc_hit(
        doc,
        _spec_key(pod),
        "no dnsConfig ndots option: with the default ndots 5, every external name "
        "is first tried against each search domain",
    )
