"""Mutual TLS: PeerAuthentication and DestinationRule TLS modes, and namespaces left without STRICT mTLS."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from manifestlint.index import Index
from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.common import MESH_SUFFIX, fqdn, istio_spec, mode_of
from manifestlint.rules.istio.mesh import (
    MtlsPolicies,
    Workload,
    ns_from_fqdn,
    objects,
    root_ns,
    service_of,
    service_selector,
    workloads,
)
from manifestlint.rules.kubernetes.objects import (
    name_anchor,
    name_of,
    namespace_of,
    pod_template,
)


def is_mesh_host(host: str) -> bool:
    """Whether a resolved host names a Kubernetes service (in-mesh) rather than an external one."""
    return host.endswith((MESH_SUFFIX, ".svc")) and not host.startswith("*")


def tls_settings(spec: YMap) -> Iterator[tuple[YMap, str]]:
    """(tls mapping, where) for a DestinationRule: top level, port level, subsets."""
    policies: list[tuple[Any, str]] = [(spec.get("trafficPolicy"), "")]
    subsets = spec.get("subsets")
    if isinstance(subsets, YList):
        for subset in subsets:
            if isinstance(subset, YMap):
                policies.append((subset.get("trafficPolicy"), f" (subset {subset.get('name')})"))
    for policy, where in policies:
        if not isinstance(policy, YMap):
            continue
        if isinstance(policy.get("tls"), YMap):
            yield policy["tls"], where
        ports = policy.get("portLevelSettings")
        if isinstance(ports, YList):
            for setting in ports:
                if isinstance(setting, YMap) and isinstance(setting.get("tls"), YMap):
                    port = setting.path_get("port", "number")
                    yield setting["tls"], f"{where} on port {port}"


@rule("istio-mtls-permissive", "kubernetes", kinds=("PeerAuthentication",))
def mtls_permissive(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "PeerAuthentication")
    if spec is None:
        return
    mtls = spec.get("mtls")
    if mode_of(mtls) == "PERMISSIVE":
        yield doc_hit(doc, mtls.value_span("mode"), "mTLS mode PERMISSIVE accepts plaintext traffic")
    ports = spec.get("portLevelMtls")
    if isinstance(ports, YMap):
        for port, setting in ports.items():
            if mode_of(setting) == "PERMISSIVE":
                yield doc_hit(
                    doc,
                    setting.value_span("mode"),
                    f"mTLS mode PERMISSIVE on port {port} accepts plaintext traffic",
                )


@rule("istio-mtls-disabled", "kubernetes", kinds=("DestinationRule", "PeerAuthentication"))
def mtls_disabled(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "PeerAuthentication")
    if spec is not None:
        mtls = spec.get("mtls")
        if mode_of(mtls) == "DISABLE":
            yield doc_hit(
                doc, mtls.value_span("mode"), "mTLS is disabled: the workloads accept only plaintext"
            )
        ports = spec.get("portLevelMtls")
        if isinstance(ports, YMap):
            for port, setting in ports.items():
                if mode_of(setting) == "DISABLE":
                    yield doc_hit(
                        doc, setting.value_span("mode"), f"mTLS is disabled on port {port}: plaintext only"
                    )
        return
    spec = istio_spec(doc, "DestinationRule")
    if spec is None or "host" not in spec:
        return
    host = fqdn(spec["host"], namespace_of(doc))
    if not is_mesh_host(host):
        return  # DISABLE toward an external host only means "no TLS origination by the proxy"
    for tls, where in tls_settings(spec):
        if mode_of(tls) == "DISABLE":
            yield doc_hit(
                doc,
                tls.value_span("mode"),
                f"TLS disabled toward in-mesh host {spec['host']}{where}: clients send plaintext",
            )


@rule("istio-dr-tls-no-server-verification", "kubernetes", kinds=("DestinationRule",))
def dr_tls_no_verification(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "DestinationRule")
    if spec is None:
        return
    selected = isinstance(spec.get("workloadSelector"), YMap)
    for tls, where in tls_settings(spec):
        if mode_of(tls) not in ("SIMPLE", "MUTUAL"):
            continue
        skip = tls.get("insecureSkipVerify")
        if skip is True or str(skip).lower() == "true":
            yield doc_hit(
                doc,
                tls.value_span("insecureSkipVerify"),
                f"insecureSkipVerify turns off server certificate verification{where}",
            )
            continue
        if tls.get("caCertificates") or (tls.get("credentialName") and selected):
            continue
        yield doc_hit(
            doc,
            tls.value_span("mode"),
            f"TLS mode {tls['mode']}{where} without caCertificates: the server certificate is "
            "checked only against the proxy's default trust store, or not at all before Istio 1.20",
        )


_INJECTION_LABELS = ("istio-injection", "istio.io/rev", "istio.io/dataplane-mode")


def _is_istio_project(index: Index) -> bool:
    return any(
        str(doc.root.get("apiVersion") or "").split("/")[0].endswith("istio.io") for doc in index.objects
    )


def _meshed(index: Index, ns: str, works: list[Workload], istio_spaces: set[str]) -> bool:
    """Whether a namespace is in the mesh, by evidence in the project: its Namespace carries an
    injection label (and not `istio-injection: disabled`); or, undeclared, it holds an Istio
    object (routing, policy) or a workload asking for a sidecar. An Istio Gateway in one
    namespace says nothing about the others (aks-store-demo's nginx-routed sample in `default`
    beside an Istio gateway in `pets`)."""
    namespace = index.get("Namespace", "default", ns) or index.get("Namespace", ns, ns)
    if namespace is not None:
        labels = namespace.root.path_get("metadata", "labels")
        labels = labels if isinstance(labels, dict) else {}
        if str(labels.get("istio-injection", "")) == "disabled":
            return False
        if any(key in labels for key in _INJECTION_LABELS):
            return True
    return ns in istio_spaces or any(_asks_for_sidecar(work) for work in works)


def _asks_for_sidecar(work: Workload) -> bool:
    """`sidecar.istio.io/inject: "true"` (label or annotation) or an `istio.io/rev` label on
    the pod template."""
    template = pod_template(work.doc)
    meta = template.metadata if template is not None else None
    if not isinstance(meta, dict):
        return False
    for field in ("labels", "annotations"):
        values = meta.get(field)
        if isinstance(values, dict) and (
            str(values.get("sidecar.istio.io/inject", "")).lower() == "true" or "istio.io/rev" in values
        ):
            return True
    return False


@rule("istio-missing-strict-mtls", "project")
def missing_strict_mtls(index: Index, ctx) -> Iterator[Finding]:
    if not _is_istio_project(index):
        return
    root = root_ns(ctx)
    policies = MtlsPolicies(index, root)
    by_ns: dict[str, list[Workload]] = defaultdict(list)
    for work in workloads(index):
        by_ns[work.namespace].append(work)
    istio_spaces = {
        namespace_of(doc)
        for doc in index.objects
        if str(doc.root.get("apiVersion") or "").split("/")[0].endswith("istio.io")
    }
    for ns, works in by_ns.items():
        if ns in (root, "kube-system") or not _meshed(index, ns, works, istio_spaces):
            continue
        mode, _ = policies.for_namespace(ns)
        if mode == "STRICT" or mode in ("PERMISSIVE", "DISABLE"):
            continue  # explicit non-STRICT policies are reported by istio-mtls-permissive/-disabled
        namespace = index.get("Namespace", "default", ns) or index.get("Namespace", ns, ns)
        # One stable anchor per namespace, whatever files were named: the Namespace object,
        # else the namespace's first workload in the bundle's (path-sorted) order. Shown only
        # when that file is in the report set, so batches never each get their own copy.
        anchor_doc = namespace if namespace is not None else works[0].doc
        if not index.reported(anchor_doc):
            continue
        yield doc_hit(
            anchor_doc,
            name_anchor(anchor_doc),
            f"no STRICT PeerAuthentication covers namespace {ns} (namespace-wide, or mesh-wide in "
            f"{root}): Istio's default accepts plaintext. If the mesh-wide policy lives outside this "
            "repository, set this rule's root-namespace option or suppress it",
        )


@rule("istio-destination-rule-tls-conflict", "project")
def dr_tls_conflict(index: Index, ctx) -> Iterator[Finding]:
    policies = MtlsPolicies(index, root_ns(ctx))
    if not policies.namespace and not policies.workload:
        return
    for doc, spec in objects(index, "DestinationRule"):
        if "host" not in spec:
            continue
        host = fqdn(spec["host"], namespace_of(doc))
        ns = ns_from_fqdn(host)
        if ns is None:
            continue
        selector = service_selector(service_of(index, host))
        mode, pa = policies.for_labels(ns, selector) if selector else policies.for_namespace(ns)
        if mode != "STRICT" or pa is None:
            continue
        for tls, where in tls_settings(spec):
            client = mode_of(tls)
            if client in ("DISABLE", "SIMPLE"):
                yield doc_hit(
                    doc,
                    tls.value_span("mode"),
                    f"tls mode {client}{where} toward {spec['host']}, whose workloads require mutual TLS "
                    f"(PeerAuthentication {namespace_of(pa)}/{name_of(pa)} is STRICT): connections fail",
                    [pa],
                )
