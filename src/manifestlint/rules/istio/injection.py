"""Sidecar injection across objects: namespaces and their injection labels, pods opting out,
`image: auto` that nothing will replace, and applications running as the proxy's UID
(istioctl's IST0102, IST0123, IST0144, IST0146/IST0147).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from manifestlint.index import Index
from manifestlint.model import Finding, Severity, YamlDoc, YMap, at_most, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.mesh import root_ns
from manifestlint.rules.kubernetes.objects import (
    WORKLOAD_KINDS,
    containers,
    name_anchor,
    name_of,
    namespace_of,
    pod_template,
)

INJECTION_LABEL = "istio-injection"
REVISION_LABEL = "istio.io/rev"
POD_LABEL = "sidecar.istio.io/inject"
AMBIENT_LABEL = "istio.io/dataplane-mode"
PROXY_UID = 1337
SYSTEM_NAMESPACES = {"kube-system", "kube-public", "kube-node-lease", "local-path-storage", "istio-system"}
# Istio resources whose presence in a namespace says its workloads are meant to be in the mesh
MESH_KINDS = (
    "PeerAuthentication",
    "AuthorizationPolicy",
    "Sidecar",
    "DestinationRule",
    "RequestAuthentication",
)


def _labels(meta: Any) -> dict:
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels if isinstance(labels, dict) else {}


def namespace_injection(doc: YamlDoc) -> str:
    """'on', 'off', 'ambient' or '' (no label) for a Namespace object."""
    labels = _labels(doc.root.get("metadata"))
    if REVISION_LABEL in labels:
        return "on"
    value = str(labels.get(INJECTION_LABEL, ""))
    if value == "enabled":
        return "on"
    if value:
        return "off"
    if str(labels.get("istio.io/dataplane-mode", "")) == "ambient":
        return "ambient"
    return ""


def pod_choice(meta: Any) -> str:
    """The pod's own injection choice: 'true', 'false' or '' (the label wins over the annotation)."""
    value = _labels(meta).get(POD_LABEL)
    if value is None and isinstance(meta, dict) and isinstance(meta.get("annotations"), dict):
        value = meta["annotations"].get(POD_LABEL)
    return str(value).lower() if value is not None else ""


def _namespaces(index: Index) -> dict[str, YamlDoc]:
    return {name_of(doc): doc for doc in index.of_kind("Namespace") if doc.root.get("apiVersion") == "v1"}


def _modes(labels: dict) -> list[str]:
    """The labels that each put the namespace's pods in the mesh, in label order; none counts
    when istio-injection says disabled."""
    if str(labels.get(INJECTION_LABEL, "enabled")) != "enabled":
        return []
    on = {
        INJECTION_LABEL: True,
        REVISION_LABEL: True,
        AMBIENT_LABEL: str(labels.get(AMBIENT_LABEL)) == "ambient",
    }
    return [str(key) for key in labels if on.get(str(key))]


@rule("istio-namespace-injection-labels", "kubernetes", kinds=("Namespace",))
def namespace_injection_labels(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Two ways into the mesh on one namespace (istio-injection, istio.io/rev, ambient): the
    injector obeys one of them, so a canary upgrade or the ambient mode silently does not apply."""
    meta = doc.root.get("metadata")
    modes = _modes(_labels(meta))
    if len(modes) > 1:
        yield doc_hit(
            doc,
            meta["labels"].key_span(modes[1]),
            f"namespace has both {modes[0]} and {modes[1]}: only one of them decides how its pods join "
            "the mesh",
        )


def _expects_injection(index: Index, namespaces: dict[str, YamlDoc]) -> bool:
    """Some namespace of the project is labelled for injection, and the injector's config of the
    project (if any) does not inject every namespace by default."""
    if not any(namespace_injection(doc) == "on" for doc in namespaces.values()):
        return False
    for doc in index.of_kind("ConfigMap"):
        values = doc.root.path_get("data", "values")
        injector = name_of(doc).startswith("istio-sidecar-injector") and isinstance(values, str)
        if injector and re.search(r'"?enableNamespacesByDefault"?\s*:\s*true', values):
            return False
    return True


@rule("istio-namespace-not-injected", "project")
def namespace_not_injected(index: Index, ctx) -> Iterator[Finding]:
    """Where the project labels its namespaces for injection, a namespace with workloads and
    no label runs them without a sidecar: no mTLS, no policy, no telemetry."""
    namespaces = _namespaces(index)
    if not _expects_injection(index, namespaces):
        return
    root = root_ns(ctx)
    pods: dict[str, list[YamlDoc]] = {}
    for doc in index.objects:
        template = pod_template(doc)
        if template is not None and pod_choice(template.metadata) != "true":
            pods.setdefault(namespace_of(doc), []).append(doc)
    for ns, doc in namespaces.items():
        if ns in SYSTEM_NAMESPACES or ns == root or namespace_injection(doc):
            continue
        count = len(pods.get(ns, ()))
        finding = doc_hit(
            doc,
            name_anchor(doc),
            f"namespace {ns} has no {INJECTION_LABEL} or {REVISION_LABEL} label, unlike the project's other "
            + (
                f"namespaces: its {count} workload(s) run without the Istio sidecar"
                if count
                else "namespaces: workloads deployed there will run without the Istio sidecar"
            ),
        )
        yield finding if count else at_most(finding, Severity.NOTE)


@rule("istio-pod-injection-opt-out", "project")
def pod_injection_opt_out(index: Index, ctx) -> Iterator[Finding]:
    """A workload that opts out of injection in an injected namespace is outside the mesh: its
    calls carry no identity, and STRICT mTLS peers refuse them."""
    namespaces = _namespaces(index)
    for doc in index.objects:
        template = pod_template(doc)
        if template is None or pod_choice(template.metadata) != "false":
            continue
        ns_doc = namespaces.get(namespace_of(doc))
        if ns_doc is None or namespace_injection(ns_doc) != "on":
            continue
        meta = template.metadata
        holder = meta["labels"] if POD_LABEL in _labels(meta) else meta["annotations"]
        yield doc_hit(
            doc,
            holder.value_span(POD_LABEL),
            f"{POD_LABEL}: false in namespace {namespace_of(doc)}, which is labelled for injection: this "
            "workload runs outside the mesh (no mTLS identity, no policy)",
            [ns_doc],
        )


def _injected(doc: YamlDoc, meta: YMap, namespaces: dict[str, YamlDoc]) -> bool | None:
    """Whether the injector will process this pod: True/False, None when its namespace is not
    in the project."""
    choice = pod_choice(meta)
    if choice in ("true", "false"):
        return choice == "true"
    ns_doc = namespaces.get(namespace_of(doc))
    return None if ns_doc is None else namespace_injection(ns_doc) == "on"


@rule("istio-image-auto-without-injection", "project")
def image_auto_without_injection(index: Index, ctx) -> Iterator[Finding]:
    """`image: auto` is a placeholder the injector replaces; without injection the pod pulls an
    image called 'auto' and never starts."""
    namespaces = _namespaces(index)
    for doc in index.objects:
        template = pod_template(doc)
        if template is None:
            continue
        for container, _ in containers(template.spec, init=False):
            if container.get("name") != "istio-proxy" or str(container.get("image")) != "auto":
                continue
            injected = _injected(doc, template.metadata, namespaces)
            if injected:
                continue
            finding = doc_hit(
                doc,
                container.value_span("image"),
                "image: auto is replaced only by the sidecar injector, and "
                + (
                    f"namespace {namespace_of(doc)} is not in the project (its injection label is unknown)"
                    if injected is None
                    else "this pod is not injected: the container cannot start"
                ),
            )
            yield at_most(finding, Severity.NOTE) if injected is None else finding


def _uid(holder: Any) -> tuple[Any, YMap] | None:
    context = holder.get("securityContext") if isinstance(holder, YMap) else None
    if isinstance(context, YMap) and "runAsUser" in context:
        return context.get("runAsUser"), context
    return None


@rule("istio-app-uid-1337", "kubernetes", kinds=WORKLOAD_KINDS)
def app_uid_1337(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Istio's iptables rules let UID 1337 (the proxy's) bypass the sidecar: an application
    running as 1337 skips the mesh for its outbound traffic."""
    template = pod_template(doc)
    if template is None:
        return
    found = _uid(template.spec)
    if found is not None and str(found[0]) == str(PROXY_UID):
        yield doc_hit(doc, found[1].value_span("runAsUser"), "runAsUser 1337 is the Istio proxy's UID: "
                      "the application's traffic bypasses the sidecar")  # fmt: skip
    for container, _ in containers(template.spec):
        if container.get("name") == "istio-proxy":
            continue
        found = _uid(container)
        if found is not None and str(found[0]) == str(PROXY_UID):
            yield doc_hit(
                doc,
                found[1].value_span("runAsUser"),
                f"container {container.get('name')}: runAsUser 1337 is the Istio proxy's UID: its traffic "
                "bypasses the sidecar",
            )
