"""The few facts about a file that the project model needs to group files into bundles.

The model (project/bundles.py) decides bundles from every file under the project root, but it
needs far less than the parsed documents: whether the file holds anything cross-file rules
use, whether it is a complete app, which objects it defines and which namespaces it names.
These facts are computed from the parsed documents (named files, context files parsed in this
run) or read back from the context cache (project/cache.py), so the model is built the same
way from either, and a one-file call does not parse the whole repository to build it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from manifestlint.model import YamlDoc
from manifestlint.rules.kubernetes.objects import name_of, namespace_of, pod_template

# Kinds without a namespace: a namespace transformer leaves them alone.
CLUSTER_KINDS = frozenset(
    {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
     "StorageClass", "PriorityClass", "IngressClass", "RuntimeClass", "APIService", "CSIDriver",
     "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
     "ValidatingAdmissionPolicyBinding", "ClusterIssuer", "GatewayClass", "Node", "VolumeSnapshotClass",
     "ClusterPolicy", "ClusterSecretStore", "Kustomization", "Component"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What the project model (and the engine's choice of rule packs) reads of one file."""

    relevant: bool = False  # holds a Kubernetes object, rule groups or an Alertmanager config
    app: bool = False  # something that runs pods, or alerting rules
    identities: tuple[tuple[str, str, str], ...] = ()  # (kind, name, namespace or '') it defines
    namespaces: frozenset[str] = frozenset()  # namespaces its namespaced objects name explicitly
    kinds: frozenset[str] = frozenset()  # kinds of its Kubernetes objects
    istio: bool = False  # an object of an istio.io API group
    partial: bool = False  # a workload without a selector, or a container without an image


NO_FACTS = FileFacts()
# Labels that put a namespace or a pod in (or out of) Istio's mesh.
MESH_LABELS = ("istio-injection", "istio.io/rev", "istio.io/dataplane-mode", "sidecar.istio.io/inject")


def istio_signal(doc: YamlDoc) -> bool:
    """The object configures Istio: an istio.io API group, a Namespace labelled for the mesh, or
    a pod template with an istio-proxy container (the Istio rules that judge plain Kubernetes
    objects then run)."""
    root = doc.root
    if "istio.io" in str(root.get("apiVersion")):
        return True
    if root.get("kind") != "Namespace":
        template = pod_template(doc)
        spec = template.spec if template is not None else None
        items = spec.get("containers") if spec is not None else None
        return isinstance(items, list) and any(
            isinstance(c, dict) and c.get("name") == "istio-proxy" for c in items
        )
    labels = root.path_get("metadata", "labels") if hasattr(root, "path_get") else None
    return isinstance(labels, dict) and any(key in labels for key in MESH_LABELS)


def facts_of(docs: Iterable[YamlDoc]) -> FileFacts:
    """The facts of a file's documents (as parsed: views and context docs alike)."""
    from manifestlint.classify import rule_groups

    relevant = app = istio = partial = False
    identities: list[tuple[str, str, str]] = []
    namespaces: set[str] = set()
    kinds: set[str] = set()
    for doc in docs:
        if doc.kind:
            relevant = True
        if doc.kind == "kubernetes" and not app and pod_template(doc) is not None:
            app = True
        if not app and rule_groups(doc) is not None:
            app = True
        if doc.kind != "kubernetes" or not isinstance(doc.root, dict):
            continue
        kinds.add(str(doc.root.get("kind")))
        if not partial:
            partial = _partial(doc)
        if not istio and istio_signal(doc):
            istio = True
        kind = str(doc.root.get("kind"))
        name = name_of(doc)
        if name and kind not in ("Namespace", "Kustomization", "Component"):
            identities.append((kind, name, namespace_of(doc, "")))
        meta = doc.root.get("metadata")
        ns = meta.get("namespace") if isinstance(meta, dict) else None
        if isinstance(ns, str) and ns and doc.root.get("kind") not in CLUSTER_KINDS:
            namespaces.add(ns)
    return FileFacts(
        relevant, app, tuple(identities), frozenset(namespaces), frozenset(kinds), istio, partial
    )


_SELECTED = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})


def _partial(doc: YamlDoc) -> bool:
    """A fragment of a workload, as a strategic-merge patch is: no selector (required of these
    kinds), or a container without an image."""
    template = pod_template(doc)
    if template is None:
        return False
    if doc.root.get("kind") in _SELECTED and doc.root.path_get("spec", "selector") is None:
        return True
    items = template.spec.get("containers")
    return isinstance(items, list) and any(isinstance(c, dict) and "image" not in c for c in items)


__all__ = ["CLUSTER_KINDS", "NO_FACTS", "FileFacts", "facts_of"]
