"""Workload hygiene the peers check and a reviewer asks about: bare Pods, the deprecated
`serviceAccount` field, an autoscaler that cannot scale, and opt-in house rules (privileged
ports, exposed Service types, image pull policy, Job clean-up and CronJob deadlines).
"""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.objects import WORKLOAD_KINDS, containers, pod_template


@rule("k8s-naked-pod", "kubernetes", kinds=("Pod",))
def naked_pod(doc: YamlDoc, ctx) -> Iterator[Finding]:
    meta = doc.root.get("metadata")
    if isinstance(meta, YMap) and meta.get("ownerReferences"):
        return
    anchor = doc.root.value_span("kind") if "kind" in doc.root else doc.span
    yield doc_hit(doc, anchor, "a bare Pod: nothing recreates it when its node fails or it is evicted (use a "
                  "Deployment, StatefulSet, DaemonSet or Job)")  # fmt: skip


@rule("k8s-deprecated-service-account-field", "kubernetes", kinds=WORKLOAD_KINDS)
def deprecated_service_account_field(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None or "serviceAccount" not in pod.spec:
        return
    yield doc_hit(
        doc,
        pod.spec.key_span("serviceAccount"),
        "spec.serviceAccount is the deprecated alias of serviceAccountName"
        + (" (both are set)" if "serviceAccountName" in pod.spec else ": rename it"),
    )


@rule("k8s-hpa-fixed-replicas", "kubernetes", kinds=("HorizontalPodAutoscaler",))
def hpa_fixed_replicas(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = doc.root.get("spec")
    if not isinstance(spec, YMap):
        return
    low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
    if isinstance(high, int) and not isinstance(high, bool) and low == high:
        yield doc_hit(
            doc,
            spec.value_span("maxReplicas"),
            f"minReplicas and maxReplicas are both {high}: the autoscaler can never scale",
        )


# ---------------------------------------------------------------- house rules (off by default)


@rule("k8s-privileged-port", "kubernetes", kinds=WORKLOAD_KINDS)
def privileged_port(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, _ in containers(pod.spec):
        ports = container.get("ports")
        for port in ports if isinstance(ports, YList) else ():
            number = port.get("containerPort") if isinstance(port, YMap) else None
            if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 1024:
                yield doc_hit(doc, port.value_span("containerPort"), f"containerPort {number} is below 1024: "
                              "binding it needs root or NET_BIND_SERVICE")  # fmt: skip


@rule("k8s-service-exposed", "kubernetes", kinds=("Service",))
def service_exposed(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = doc.root.get("spec")
    kinds = set(ctx.options.get("types") or ("NodePort", "LoadBalancer"))
    if isinstance(spec, YMap) and spec.get("type") in kinds:
        yield doc_hit(
            doc, spec.value_span("type"), f"Service type {spec['type']} exposes it outside the cluster"
        )


@rule("k8s-image-pull-policy", "kubernetes", kinds=WORKLOAD_KINDS)
def image_pull_policy(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, _ in containers(pod.spec):
        policy = container.get("imagePullPolicy")
        if policy != "Always":
            where = (
                container.value_span("imagePullPolicy")
                if "imagePullPolicy" in container
                else container.start()
            )
            yield doc_hit(doc, where, f"container {str(container.get('name'))!r}: imagePullPolicy is "
                          f"{policy or 'unset'}, not Always")  # fmt: skip


@rule("k8s-job-ttl-missing", "kubernetes", kinds=("Job",))
def job_ttl_missing(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = doc.root.get("spec")
    meta = doc.root.get("metadata")
    if isinstance(meta, YMap) and meta.get("ownerReferences"):
        return  # a CronJob's Job: its history limits clean up
    if isinstance(spec, YMap) and "ttlSecondsAfterFinished" not in spec:
        yield doc_hit(doc, doc.root.key_span("spec"), "a Job without ttlSecondsAfterFinished stays (with its "
                      "pods) until someone deletes it")  # fmt: skip


@rule("k8s-cronjob-no-deadline", "kubernetes", kinds=("CronJob",))
def cronjob_no_deadline(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = doc.root.get("spec")
    if isinstance(spec, YMap) and "startingDeadlineSeconds" not in spec:
        yield doc_hit(doc, doc.root.key_span("spec"), "a CronJob without startingDeadlineSeconds: after 100 "
                      "missed runs (a controller outage) it stops scheduling")  # fmt: skip
