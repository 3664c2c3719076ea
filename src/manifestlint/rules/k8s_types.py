"""Values of the wrong type in well-known Kubernetes fields: the API server rejects the object.

`replicas: "3"`, `containerPort: "8080"` or `privileged: "true"` look right to a reviewer but
fail `kubectl apply` (the strict JSON decoder wants an integer or a boolean). A table of the
fields production manifests use most, checked against values typed the way sigs.k8s.io/yaml
reads them (plain `yes` is a boolean there, a quoted "true" is a string). Fields another rule
already judges by value (runAsNonRoot, readOnlyRootFilesystem, allowPrivilegeEscalation, probe
ports) are left to that rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from manifestlint.k8s import WORKLOAD_KINDS, container_label, containers, pod_template
from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule

BOOL, INT = "a boolean", "an integer"

POD_FIELDS = {
    "hostNetwork": BOOL, "hostPID": BOOL, "hostIPC": BOOL, "automountServiceAccountToken": BOOL,
    "terminationGracePeriodSeconds": INT, "activeDeadlineSeconds": INT, "priority": INT,
}  # fmt: skip
POD_SECURITY_FIELDS = {"runAsUser": INT, "runAsGroup": INT, "fsGroup": INT}
CONTAINER_SECURITY_FIELDS = {"privileged": BOOL, "runAsUser": INT, "runAsGroup": INT}
PROBE_FIELDS = {
    "initialDelaySeconds": INT, "periodSeconds": INT, "timeoutSeconds": INT,
    "failureThreshold": INT, "successThreshold": INT, "terminationGracePeriodSeconds": INT,
}  # fmt: skip
PORT_FIELDS = {"containerPort": INT, "hostPort": INT}
REPLICATED_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout"})
SERVICE_PORT_FIELDS = {"port": INT, "nodePort": INT}


def _wrong(value: Any, expected: str) -> bool:
    if value is None:
        return False  # null means "not set" to the API server
    if expected == BOOL:
        return not isinstance(value, bool)
    return isinstance(value, bool) or not isinstance(value, int)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (YMap, YList)):
        return "a mapping" if isinstance(value, YMap) else "a list"
    return f"the number {value!r}"


def _check(doc: YamlDoc, holder: Any, fields: dict[str, str], where: str) -> Iterator[Finding]:
    if not isinstance(holder, YMap):
        return
    for name, expected in fields.items():
        if name in holder and _wrong(holder[name], expected):
            yield doc_hit(
                doc,
                holder.value_span(name),
                f"{where}{name} is {_describe(holder[name])}, not {expected}: "
                "the API server rejects the object",
            )


_PORT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def _valid_port_name(value: Any) -> bool:
    """IANA_SVC_NAME, as Kubernetes validates port names: at most 15 lowercase letters, digits
    and inner dashes, with at least one letter (so a quoted number is not a name)."""
    return (
        isinstance(value, str) and len(value) <= 15 and _PORT_NAME.fullmatch(value) is not None
        and "--" not in value and any(c.isalpha() for c in value)
    )  # fmt: skip


def _port_numbers(doc: YamlDoc, port: Any, fields: tuple[str, ...]) -> Iterator[Finding]:
    """Port numbers of the right type must also lie in 1-65535."""
    for name in fields:
        value = port.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= 65535:
            yield doc_hit(
                doc, port.value_span(name), f"{name} {value} is outside 1-65535: the API server rejects it"
            )


def _target_port(doc: YamlDoc, port: Any) -> Iterator[Finding]:
    """targetPort is a number or a port name; a quoted number is neither."""
    if not isinstance(port, YMap) or "targetPort" not in port:
        return
    value = port["targetPort"]
    if isinstance(value, int) and not isinstance(value, bool):
        yield from _port_numbers(doc, port, ("targetPort",))
    elif not _valid_port_name(value):
        yield doc_hit(
            doc,
            port.value_span("targetPort"),
            f"targetPort is {_describe(value)}: neither a port number nor a valid port name (lowercase "
            "letters, digits and '-', at least one letter, at most 15 characters); the API server rejects it",
        )


@rule("k8s-invalid-value-type", "kubernetes", kinds=WORKLOAD_KINDS | {"Service"})
def invalid_value_type(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    kind = root.get("kind")
    if kind == "Service":
        ports = root.path_get("spec", "ports")
        for port in ports if isinstance(ports, YList) else ():
            yield from _check(doc, port, SERVICE_PORT_FIELDS, "")
            if isinstance(port, YMap):
                yield from _port_numbers(doc, port, ("port", "nodePort"))
            yield from _target_port(doc, port)
        return
    if kind in REPLICATED_KINDS:
        yield from _check(doc, root.get("spec"), {"replicas": INT}, "spec.")
    pod = pod_template(doc)
    if pod is None:
        return
    yield from _check(doc, pod.spec, POD_FIELDS, "")
    yield from _check(doc, pod.spec.get("securityContext"), POD_SECURITY_FIELDS, "securityContext.")
    for container, _field in containers(pod.spec, ephemeral=True):
        where = f"container {container_label(container)!r}: "
        yield from _check(doc, container.get("securityContext"), CONTAINER_SECURITY_FIELDS, where)
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            yield from _check(doc, container.get(probe), PROBE_FIELDS, f"{where}{probe}.")
        ports = container.get("ports")
        for port in ports if isinstance(ports, YList) else ():
            yield from _check(doc, port, PORT_FIELDS, where)
            if not isinstance(port, YMap):
                continue
            yield from _port_numbers(doc, port, ("containerPort", "hostPort"))
            if "name" in port and not _valid_port_name(port["name"]):
                yield doc_hit(
                    doc,
                    port.value_span("name"),
                    f"{where}port name {str(port['name'])!r} is not a valid port name (lowercase "
                    "letters, digits and '-', at least one letter, at most 15 characters)",
                )
