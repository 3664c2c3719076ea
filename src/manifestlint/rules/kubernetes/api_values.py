"""Values the API server refuses that the OpenAPI schemas do not describe (reported as
schema-invalid-value, at the value): the checks of k8s.io/kubernetes pkg/apis/*/validation that
a schema cannot express. Each one is a refusal on apply, so each is proof.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.rules.kubernetes.objects import containers, pod_template
from manifestlint.templating import placeholder

_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\Z")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_WHEN = ("DoNotSchedule", "ScheduleAnyway")
_JOB_KINDS = frozenset({"Job", "CronJob"})
_ALWAYS_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"})


def refused_values(doc: YamlDoc) -> Iterator[Finding]:
    """Every value of `doc` the API server refuses for a reason its schema does not state."""
    root = doc.root
    if not isinstance(root, YMap) or doc.kind != "kubernetes":
        return
    meta = root.get("metadata")
    if isinstance(meta, YMap):
        yield from _labels(doc, meta.get("labels"), "metadata.labels")
    pod = pod_template(doc)
    if pod is None:
        return
    if pod.holder is not root:
        yield from _labels(doc, pod.metadata.get("labels"), "the pod template's labels")
    if root.get("kind") in _JOB_KINDS:
        job = root.path_get("spec", "jobTemplate") if root.get("kind") == "CronJob" else root
        yield from _job_restart(doc, job if isinstance(job, YMap) else pod.holder, pod.spec)
    elif root.get("kind") in _ALWAYS_KINDS and pod.spec.get("restartPolicy") not in (None, "Always"):
        yield doc_hit(
            doc,
            pod.spec.value_span("restartPolicy"),
            f"a {root.get('kind')}'s pods must restart Always: restartPolicy "
            f"{pod.spec['restartPolicy']} is refused",
        )
    yield from _spread(doc, pod.spec.get("topologySpreadConstraints"))
    yield from _port_names(doc, pod.spec)
    yield from _escalation(doc, pod.spec)


def _templated(text: str) -> bool:
    """Text still to be substituted (templating.placeholder: `${VAR}`, `{{ }}`, a sample's
    `<app-name>` blank): not the label the API server will see (issue 19, principle 4)."""
    return placeholder(text) is not None


def label_key_problem(key: str) -> str | None:
    """Why the API server refuses a label key, or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "its prefix is empty"
    if slash:
        if len(prefix) > 253:
            return "its prefix is longer than 253 characters"
        if not all(_DNS_LABEL.match(part) for part in prefix.split(".")):
            return "its prefix is not a DNS subdomain (lowercase letters, digits, '-' and '.')"
    if not name:
        return "its name is empty"
    if len(name) > 63:
        return f"its name is {len(name)} characters long (at most 63)"
    if not _NAME.match(name):
        return "its name must start and end with a letter or digit, with only letters, digits, '-', '_', '.'"
    return None


def label_value_problem(value: str) -> str | None:
    if len(value) > 63:
        return f"it is {len(value)} characters long (at most 63)"
    if value and not _NAME.match(value):
        return "it must be empty, or start and end with a letter or digit (only letters, digits, -_. inside)"
    return None


def _labels(doc: YamlDoc, labels: Any, where: str) -> Iterator[Finding]:
    if not isinstance(labels, YMap):
        return
    for key, value in labels.items():
        if not isinstance(key, str) or _templated(key):
            continue
        problem = label_key_problem(key)
        if problem:
            yield doc_hit(doc, labels.key_span(key), f"label key {key!r} in {where} is refused: {problem}")
        if isinstance(value, str) and not _templated(value):
            problem = label_value_problem(value)
            if problem:
                yield doc_hit(
                    doc, labels.value_span(key), f"label value {value!r} of {key} is refused: {problem}"
                )


def _job_restart(doc: YamlDoc, job: YMap, spec: YMap) -> Iterator[Finding]:
    """A missing restartPolicy is reported at the Job's `spec` (the pod template's own `spec`
    key is where the per-container rules point)."""
    value = spec.get("restartPolicy")
    if value in ("OnFailure", "Never"):
        return
    if "restartPolicy" in spec:
        where, shown = spec.value_span("restartPolicy"), f"restartPolicy {value}"
    else:
        where, shown = job.key_span("spec"), "no restartPolicy (the default is Always)"
    yield doc_hit(
        doc, where, f"a Job's pod template has {shown}: the API server accepts only OnFailure or Never"
    )


def _spread(doc: YamlDoc, constraints: Any) -> Iterator[Finding]:
    for item in constraints if isinstance(constraints, YList) else ():
        if not isinstance(item, YMap):
            continue
        skew = item.get("maxSkew")
        if isinstance(skew, int) and not isinstance(skew, bool) and skew < 1:
            yield doc_hit(
                doc, item.value_span("maxSkew"), f"maxSkew {skew} is refused: it must be at least 1"
            )
        when = item.get("whenUnsatisfiable")
        if "whenUnsatisfiable" in item and when not in _WHEN:
            yield doc_hit(
                doc,
                item.value_span("whenUnsatisfiable"),
                f"whenUnsatisfiable {when!r} is refused: it must be DoNotSchedule or ScheduleAnyway",
            )
        if "topologyKey" in item and item.get("topologyKey") in ("", None):
            yield doc_hit(doc, item.value_span("topologyKey"), "an empty topologyKey is refused")


def _port_names(doc: YamlDoc, spec: YMap) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for container, _ in containers(spec):
        ports = container.get("ports")
        for port in ports if isinstance(ports, YList) else ():
            name = port.get("name") if isinstance(port, YMap) else None
            if not isinstance(name, str) or not name:
                continue
            owner = str(container.get("name"))
            if name in seen:
                yield doc_hit(
                    doc,
                    port.value_span("name"),
                    f"port name {name!r} is refused: container {seen[name]!r} already names a port so "
                    "(port names are unique within a pod)",
                )
            else:
                seen[name] = owner


def _escalation(doc: YamlDoc, spec: YMap) -> Iterator[Finding]:
    for container, _ in containers(spec, ephemeral=True):
        sc = container.get("securityContext")
        if not isinstance(sc, YMap) or sc.get("allowPrivilegeEscalation") is not False:
            continue
        added = sc.path_get("capabilities", "add")
        if sc.get("privileged") is True:
            implied = "privileged: true"
        elif isinstance(added, list) and "CAP_SYS_ADMIN" in [str(c) for c in added]:
            implied = "capability CAP_SYS_ADMIN"
        else:
            continue
        yield doc_hit(
            doc,
            sc.value_span("allowPrivilegeEscalation"),
            f"container {str(container.get('name'))!r}: allowPrivilegeEscalation: false contradicts "
            f"{implied}, which implies it; the API server refuses the container",
        )
