"""Namespaces: objects left in `default`, and namespaces without a quota or Pod Security labels."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.index import Index
from manifestlint.model import Finding, YamlDoc, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.objects import (
    is_api_server_object,
    name_anchor,
    name_of,
)
from manifestlint.rules.kubernetes.pods import _ns, _reported

# Cluster-scoped kinds never have a namespace (only consulted by the `flag-missing` option).
CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "PriorityLevelConfiguration", "FlowSchema", "IngressClass",
    "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "PodSecurityPolicy", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "CertificateSigningRequest", "ComponentStatus", "ClusterIssuer", "ClusterSecretStore",
    "DeviceClass", "IPAddress", "ServiceCIDR", "VolumeAttributesClass",
})  # fmt: skip


# Objects that govern the namespace they are in: a Role or RoleBinding grants rights *in* it
# (letting Prometheus scrape it), a ResourceQuota or LimitRange limits it, a NetworkPolicy
# isolates its pods. In `default` naming the namespace is the point, not an accident.
_NAMESPACE_GRANTS = frozenset({"Role", "RoleBinding", "ResourceQuota", "LimitRange", "NetworkPolicy"})


@rule("k8s-default-namespace", "kubernetes")
def default_namespace(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    kind = root.get("kind")
    meta = root.get("metadata")
    if (not isinstance(kind, str) or kind in CLUSTER_SCOPED_KINDS or kind in _NAMESPACE_GRANTS
            or not isinstance(meta, YMap)):  # fmt: skip
        return
    namespace = meta.get("namespace")
    if is_api_server_object(doc):
        return  # default/kubernetes belongs to the API server (a cluster export, not a placement)
    if namespace == "default":
        yield doc_hit(
            doc,
            meta.value_span("namespace"),
            f"{kind} {meta.get('name')!r} is placed in the default namespace",
        )
    elif namespace in (None, "") and ctx.options.get("flag-missing"):
        yield doc_hit(
            doc,
            name_anchor(doc),
            f"{kind} {meta.get('name')!r} sets no namespace: it lands in whatever namespace "
            "kubectl is pointed at, usually default",
        )


SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})


POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")


@rule("k8s-namespace-missing-quota", "project")
def namespace_missing_quota(index: Index, ctx) -> Iterator[Finding]:
    covered = {_ns(d) for d in index.of_kind("ResourceQuota", "LimitRange")}
    for doc in _reported(index, "Namespace"):
        name = name_of(doc)
        if not name or name in SYSTEM_NAMESPACES or name in covered:
            continue
        yield doc_hit(
            doc,
            name_anchor(doc),
            f"namespace {name} has neither a ResourceQuota nor a LimitRange: one workload can take the "
            "cluster's capacity and pods without requests get no defaults",
        )


@rule("k8s-namespace-missing-pod-security", "kubernetes", kinds=("Namespace",))
def namespace_missing_pod_security(doc: YamlDoc, ctx) -> Iterator[Finding]:
    if doc.root.get("kind") != "Namespace":
        return
    meta = doc.root.get("metadata")
    if not isinstance(meta, YMap) or str(meta.get("name")) in SYSTEM_NAMESPACES:
        return
    labels = meta.get("labels")
    key = "pod-security.kubernetes.io/enforce"
    if isinstance(labels, YMap) and key in labels:
        value = labels[key]
        if str(value) not in POD_SECURITY_LEVELS:
            yield doc_hit(
                doc,
                labels.value_span(key),
                f"{key}: {value} is not a Pod Security level ({', '.join(POD_SECURITY_LEVELS)}): the "
                "admission controller rejects the namespace",
            )
        return
    where = meta.key_span("labels") if isinstance(labels, YMap) else name_anchor(doc)
    yield doc_hit(
        doc,
        where,
        f"namespace has no {key} label: Pod Security admission enforces nothing, so privileged pods "
        "are admitted (label it baseline or restricted)",
    )
