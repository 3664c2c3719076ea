"""Objects that point at each other: a controller's selector and its template, Services and
the pods and ports they select, Ingress backends and their Services.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from manifestlint.index import Index
from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.objects import (
    PodTemplate,
    containers,
    name_of,
    selector_matches,
)
from manifestlint.rules.kubernetes.pods import (
    PodSource,
    Project,
    _int,
    _may_reach,
    _ns,
    _other_namespaces,
    _pods_text,
    _reported,
    _spec,
    _template,
    project,
)
from manifestlint.templating import is_placeholder

_SELECTOR_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "DeploymentConfig"}
)


_JOB_LABELS = ("job-name", "batch.kubernetes.io/job-name")


# API versions whose defaulting filled a missing selector from the template's labels.
_DEFAULTED_SELECTOR_APIS = frozenset({"extensions/v1beta1", "apps/v1beta1"})


def _job_selector(doc: YamlDoc) -> Iterator[Finding]:
    """Jobs (and CronJobs' job templates): without `manualSelector: true` Kubernetes generates
    the selector (controller-uid, job-name) and rejects any other ("`selector` not
    auto-generated"); with it, the selector is required and must match the template labels."""
    kind = doc.root.get("kind")
    spec = doc.root.path_get("spec", "jobTemplate", "spec") if kind == "CronJob" else _spec(doc)
    if not isinstance(spec, YMap):
        return
    labels = spec.path_get("template", "metadata", "labels")
    labels = labels if isinstance(labels, dict) else {}
    selector = spec.get("selector")
    if spec.get("manualSelector") is True:
        if not isinstance(selector, YMap) or not selector:
            where = spec.key_span("selector") if "selector" in spec else spec.key_span("manualSelector")
            yield doc_hit(
                doc, where, f"manualSelector: true without a spec.selector: the API server rejects the {kind}"
            )
        elif not selector_matches(selector, labels):
            shown = ", ".join(f"{k}={v}" for k, v in labels.items()) or "no labels"
            yield doc_hit(
                doc,
                _mismatch_anchor(spec, selector, labels),
                f"spec.selector does not match the pod template's labels ({shown}): the API server "
                f"rejects the {kind}",
            )
        return
    if not isinstance(selector, YMap) or not selector:
        return
    match = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), YMap) else YMap()
    generated = (
        kind == "Job"
        and not selector.get("matchExpressions")
        and all(key in _JOB_LABELS and str(value) == name_of(doc) for key, value in match.items())
    )
    if generated:
        return  # exactly what Kubernetes would generate (job-name of this Job)
    yield doc_hit(
        doc,
        spec.key_span("selector"),
        f"spec.selector is set without manualSelector: true: Kubernetes generates a {kind}'s selector "
        'and rejects any other ("`selector` not auto-generated"); remove it',
    )


def _mismatch_anchor(spec: YMap, selector: YMap, labels: dict) -> Span:
    """The first matchLabels value that the labels do not carry, else the selector key."""
    match = selector.get("matchLabels")
    if isinstance(match, YMap):
        for key, value in match.items():
            if key not in labels or str(labels[key]) != str(value):
                return match.value_span(key)
    return spec.key_span("selector")


@rule("k8s-selector-template-mismatch", "kubernetes", kinds=_SELECTOR_KINDS | {"Job", "CronJob"})
def selector_template_mismatch(doc: YamlDoc, ctx) -> Iterator[Finding]:
    kind = doc.root.get("kind")
    if kind in ("Job", "CronJob"):
        yield from _job_selector(doc)
        return
    if kind not in _SELECTOR_KINDS:
        return
    spec = _spec(doc)
    tpl = _template(doc)
    if spec is None or tpl is None:
        return
    labels = tpl.labels
    selector = spec.get("selector")
    plain_map = kind in ("ReplicationController", "DeploymentConfig")  # selector is a plain map there
    if selector is None or selector == {}:
        if plain_map or (selector is None and str(doc.root.get("apiVersion")) in _DEFAULTED_SELECTOR_APIS):
            return  # defaults to the template's labels (old API versions: k8s-removed-api reports them)
        where = spec.key_span("selector") if "selector" in spec else doc.root.key_span("spec")
        yield doc_hit(doc, where, f"{kind} has no (or an empty) spec.selector: the API server rejects it")
        return
    if not isinstance(selector, YMap):
        return
    if plain_map and ("matchLabels" not in selector and "matchExpressions" not in selector):
        match = selector
    else:
        match = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), YMap) else None
    if selector_matches(selector, labels):
        return
    where = (
        selector.key_span("matchLabels")
        if "matchLabels" in selector
        else doc.root.path_get("spec").key_span("selector")
    )
    if isinstance(match, YMap):
        for key, value in match.items():
            if key not in labels or str(labels[key]) != str(value):
                where = match.value_span(key)
                break
    shown = ", ".join(f"{k}={v}" for k, v in labels.items()) or "no labels"
    yield doc_hit(
        doc,
        where,
        f"spec.selector does not match the pod template's labels ({shown}): the API server rejects "
        "the object",
    )


def _service_selector(doc: YamlDoc) -> dict | None:
    """A Service's selector; None when absent, empty, or not plain labels (a template)."""
    spec = _spec(doc)
    selector = spec.get("selector") if spec is not None else None
    if not isinstance(selector, dict) or not selector:
        return None
    if any(isinstance(v, (dict, list)) or v is None for v in selector.values()):
        return None  # `cell: {{cell}}`: an unrendered template, not a selector
    return selector


def _matched_pods(proj: Project, doc: YamlDoc, selector: dict) -> list[PodSource]:
    return [p for p in proj.matching(_ns(doc), selector) if p.labels]


@rule("k8s-service-selector-mismatch", "project")
def service_selector_mismatch(index: Index, ctx) -> Iterator[Finding]:
    proj = project(index)
    for doc in _reported(index, "Service"):
        selector = _service_selector(doc)
        if selector is None or _matched_pods(proj, doc, selector):
            continue  # no selector (endpoints managed by hand), or matched
        spec = doc.root["spec"]
        shown = ", ".join(f"{k}={v}" for k, v in selector.items())
        elsewhere = [p for p in proj.elsewhere(_ns(doc), selector) if p.labels]
        if elsewhere:
            yield doc_hit(
                doc,
                spec.key_span("selector"),
                f"selector ({shown}) matches pods only in {_other_namespaces(elsewhere)} "
                f"({_pods_text(elsewhere)}): a Service selects pods of its own namespace "
                f"({_ns(doc)}), so it has no endpoints",
                [p.doc for p in elsewhere],
            )
            continue
        if not proj.deploys_into(_ns(doc)) or proj.operator_made(_ns(doc), selector):
            continue  # the pods are deployed from elsewhere, or an operator creates them
        yield doc_hit(
            doc,
            spec.key_span("selector"),
            f"selector ({shown}) matches no pod template of the project"
            f"{' in namespace ' + _ns(doc) if _ns(doc) else ''}: the Service has no endpoints",
        )


def _container_ports(tpl: PodTemplate) -> tuple[set[int], set[str], bool]:
    """(numbers, names, every app container declares its ports)."""
    numbers: set[int] = set()
    names: set[str] = set()
    complete = True
    for container, fld in containers(tpl.spec):
        ports = container.get("ports")
        if not isinstance(ports, list) or not ports:
            if fld == "containers":
                complete = False
            continue
        for port in ports:
            if isinstance(port, dict):
                if _int(port.get("containerPort")) is not None:
                    numbers.add(port["containerPort"])
                if port.get("name"):
                    names.add(str(port["name"]))
    return numbers, names, complete


def _list(value: Any) -> list:
    """`value` when it is a list; empty for anything else a hostile file puts there."""
    return value if isinstance(value, list) else []


@rule("k8s-service-target-port-mismatch", "project")
def service_target_port_mismatch(index: Index, ctx) -> Iterator[Finding]:
    numeric = bool(ctx.options.get("numeric", False))
    proj = project(index)
    for doc in _reported(index, "Service"):
        selector = _service_selector(doc)
        ports = doc.root.path_get("spec", "ports")
        if selector is None or not isinstance(ports, YList):
            continue
        pods = _matched_pods(proj, doc, selector)
        if not pods or any(p.template is None for p in pods):
            continue  # dangling (another rule) or made by an operator: containers unknown
        exposed = [_container_ports(p.template) for p in pods]
        for entry in ports:
            if not isinstance(entry, YMap):
                continue
            if "targetPort" in entry:
                target, where = entry["targetPort"], entry.value_span("targetPort")
            elif "port" in entry:
                target, where = entry["port"], entry.value_span("port")
            else:
                continue
            if isinstance(target, str) and target.isdigit() and len(target) <= 10:
                target = int(target)  # (a port has at most 5 digits; 5,000 must not reach int())
            if _int(target) is not None:
                if not numeric or not all(complete for _, _, complete in exposed):
                    continue  # containerPort is informational; undeclared ports may still listen
                if any(target in numbers for numbers, _, _ in exposed):
                    continue
                implicit = "" if "targetPort" in entry else " (targetPort defaults to port)"
                yield doc_hit(
                    doc,
                    where,
                    f"targetPort {target}{implicit} is not a containerPort of the selected pods "
                    f"({_pods_text(pods)}): connections are refused",
                    [p.doc for p in pods],
                )
            elif isinstance(target, str) and target:
                if any(target in names for _, names, _ in exposed):
                    continue
                yield doc_hit(
                    doc,
                    where,
                    f"targetPort {target!r} names no container port of the selected pods "
                    f"({_pods_text(pods)}): the Service gets no endpoints for this port",
                    [p.doc for p in pods],
                )


def _ingress_backends(doc: YamlDoc) -> Iterator[YMap]:
    spec = _spec(doc)
    if spec is None:
        return
    for key in ("defaultBackend", "backend"):
        if isinstance(spec.get(key), YMap):
            yield spec[key]
    rules = spec.get("rules")
    for item in rules if isinstance(rules, list) else ():
        paths = item.path_get("http", "paths") if isinstance(item, YMap) else None
        for path in paths if isinstance(paths, list) else ():
            if isinstance(path, YMap) and isinstance(path.get("backend"), YMap):
                yield path["backend"]


@rule("k8s-ingress-backend-missing", "project")
def ingress_backend_missing(index: Index, ctx) -> Iterator[Finding]:
    services: dict[str, list[YamlDoc]] = defaultdict(list)
    for svc in index.of_kind("Service"):
        services[name_of(svc)].append(svc)
    for doc in _reported(index, "Ingress"):
        ns = _ns(doc)
        for backend in _ingress_backends(doc):
            service = backend.get("service")
            if isinstance(service, YMap):  # networking.k8s.io/v1
                name, name_at = service.get("name"), service
                port_map = service.get("port")
                port, port_at, port_key = None, None, ""
                if isinstance(port_map, YMap):
                    for port_key in ("number", "name"):
                        if port_key in port_map:
                            port, port_at = port_map[port_key], port_map
                            break
            elif "serviceName" in backend:  # extensions/v1beta1, networking.k8s.io/v1beta1
                name, name_at = backend.get("serviceName"), backend
                port, port_at, port_key = backend.get("servicePort"), backend, "servicePort"
            else:
                continue  # a resource backend
            if not name:
                continue
            name_key = "name" if name_at is service else "serviceName"
            found = [s for s in services.get(str(name), ()) if _may_reach(ns, _ns(s))]
            if not found:
                yield doc_hit(
                    doc,
                    name_at.value_span(name_key),
                    f"backend Service {name} is not defined in the project"
                    f"{' in namespace ' + ns if ns else ''}: requests get 503",
                )
                continue
            if port is None or port_at is None:
                continue
            if isinstance(port, str) and port.isdigit() and len(port) <= 10:
                port = int(port)
            declared = [
                p for s in found for p in _list(s.root.path_get("spec", "ports")) if isinstance(p, dict)
            ]
            if is_placeholder(port) or any(is_placeholder(p.get("port")) for p in declared):
                continue  # a port still to be substituted is not a value (templating.py)
            if _int(port) is not None:
                ok = any(_int(p.get("port")) == port for p in declared)
            else:
                ok = any(str(p.get("name")) == str(port) for p in declared if p.get("name"))
            if not ok:
                yield doc_hit(
                    doc,
                    port_at.value_span(port_key),
                    f"Service {name} has no port {port!r}"
                    f" (it has: {', '.join(_port_text(p) for p in declared) or 'none'}): requests get 503",
                )


def _port_text(port: dict) -> str:
    return f"{port.get('name')}/{port.get('port')}" if port.get("name") else str(port.get("port"))
