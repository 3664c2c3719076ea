"""Per-object Kubernetes rules: security context, resources, probes (one object at a time)."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.k8s import BATCH_KINDS, container_label, containers, effective, pod_template
from manifestlint.model import Finding, Span, YamlDoc, YMap, doc_hit
from manifestlint.registry import rule


def container_anchor(container: YMap, *keys: str) -> Span:
    """Where a 'missing field' finding points: the deepest of `keys` present, else the entry."""
    node = container
    anchor = container.start()
    for key in keys:
        if not isinstance(node, YMap) or key not in node:
            break
        anchor = node.key_span(key)
        node = node[key]
    return anchor


@rule("k8s-run-as-root", "kubernetes")
def run_as_root(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, _field in containers(pod.spec):
        name = container_label(container)
        user, user_holder = effective(container, pod.spec, "runAsUser")
        non_root, nr_holder = effective(container, pod.spec, "runAsNonRoot")
        if user == 0 and user_holder is not None:
            yield doc_hit(doc, user_holder.value_span("runAsUser"),
                          f"container {name!r} runs as root: runAsUser is 0")
        elif isinstance(non_root, str) and nr_holder is not None:
            yield doc_hit(doc, nr_holder.value_span("runAsNonRoot"),
                          f"container {name!r}: runAsNonRoot is the string {non_root!r}, not a boolean; "
                          "the API server rejects it")
        elif non_root is False and nr_holder is not None and not (isinstance(user, int) and user > 0):
            yield doc_hit(doc, nr_holder.value_span("runAsNonRoot"),
                          f"container {name!r} may run as root: runAsNonRoot is false")
        elif non_root is not True and not (isinstance(user, int) and not isinstance(user, bool) and user > 0):
            yield doc_hit(doc, container_anchor(container, "securityContext"),
                          f"container {name!r} may run as root: set securityContext.runAsNonRoot: true "
                          "or a non-zero runAsUser")


@rule("k8s-missing-resource-limits", "kubernetes")
def missing_limits(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    wanted = ["memory"] + (["cpu"] if ctx.options.get("require-cpu-limit") else [])
    for container, _field in containers(pod.spec):
        limits = container.path_get("resources", "limits")
        missing = [r for r in wanted if not (isinstance(limits, dict) and limits.get(r) not in (None, ""))]
        if missing:
            yield doc_hit(doc, container_anchor(container, "resources", "limits"),
                          f"container {container_label(container)!r} has no {' or '.join(missing)} limit")


def _missing_probe(doc: YamlDoc, probe: str) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None or pod.kind in BATCH_KINDS:
        return
    for container, _field in containers(pod.spec, init=False):
        if not isinstance(container.get(probe), YMap):
            yield doc_hit(doc, container.start(), f"container {container_label(container)!r} has no {probe}")


@rule("k8s-missing-liveness-probe", "kubernetes")
def missing_liveness(doc: YamlDoc, ctx) -> Iterator[Finding]:
    yield from _missing_probe(doc, "livenessProbe")


@rule("k8s-missing-readiness-probe", "kubernetes")
def missing_readiness(doc: YamlDoc, ctx) -> Iterator[Finding]:
    yield from _missing_probe(doc, "readinessProbe")
