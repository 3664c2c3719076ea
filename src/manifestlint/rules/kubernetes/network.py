"""Network isolation: NetworkPolicies that are missing or select nothing, Ingress without TLS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from manifestlint.index import Index
from manifestlint.model import Finding, YamlDoc, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.netpol import (
    POLICY_KINDS,
    IngressPolicy,
    ingress_policies,
    is_cluster_wide,
    is_kubernetes_policy,
    is_policy,
)
from manifestlint.rules.kubernetes.objects import (
    SelectorIndex,
    name_anchor,
)
from manifestlint.rules.kubernetes.pods import (
    PodSource,
    _describe,
    _ns,
    _ns_compatible,
    _other_namespaces,
    _pods_text,
    _reported,
    _spec,
    project,
)

# Annotations that mean TLS is terminated by the load balancer the Ingress controller creates.
LB_TLS_ANNOTATIONS = (
    "alb.ingress.kubernetes.io/certificate-arn",
    "ingress.gcp.kubernetes.io/pre-shared-cert",
    "networking.gke.io/managed-certificates",
    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
    "kubernetes.io/ingress.allow-http",  # GCE: "false" means HTTPS only (checked below)
)


def _policy_selector(policy: YamlDoc) -> Any:
    spec = _spec(policy)
    if spec is None:
        return {}
    value = spec.get("podSelector")
    return value if isinstance(value, dict) else {}  # missing or null: all pods of the namespace


def _network_policies(index: Index) -> list[YamlDoc]:
    """The network policies of the index, of any of the three APIs, in either direction."""
    return [p for p in index.of_kind(*POLICY_KINDS) if isinstance(p.root, YMap) and is_policy(p)]


def _isolation(every: list[YamlDoc], direction: str) -> Callable[[PodSource], bool]:
    """Whether some policy of `every` isolates a pod source in `direction` ("Ingress" or
    "Egress"), through an index of the policies by a label their selector requires."""
    found: SelectorIndex[IngressPolicy] = SelectorIndex()
    for policy in ingress_policies(every, direction):
        found.add_selector(None if policy.cluster_wide else policy.namespace, policy.selector, policy)

    def isolated(source: PodSource) -> bool:
        candidates = found.candidates(source.ns, source.labels)
        return any(p.applies_to(source.labels, source.ns, _ns_compatible) for p in candidates)

    return isolated


@rule("k8s-missing-network-policy", "project")
def missing_network_policy(index: Index, ctx) -> Iterator[Finding]:
    mode = str(ctx.options.get("when", "project"))
    every = _network_policies(index)
    if mode == "project" and not every:
        return  # the project manages no network policy (of any API, in any direction)
    isolated = _isolation(every, "Ingress")
    cluster_wide = any(is_cluster_wide(p) for p in every)
    spaces = {_ns(p) for p in every}
    proj = project(index)
    for source in proj.pods:
        doc = source.doc
        if not index.reported(doc) or source.template is None:
            continue
        if mode == "namespace" and not (cluster_wide or any(_ns_compatible(ns, source.ns) for ns in spaces)):
            continue
        if isolated(source):
            continue
        where = f" of namespace {source.ns}" if source.ns else ""
        yield doc_hit(
            doc,
            name_anchor(doc),
            f"no NetworkPolicy{where} isolates the pods of {_describe(doc)} for ingress (egress-only "
            "policies do not): they accept traffic from every pod in the cluster",
        )


@rule("k8s-missing-egress-policy", "project")
def missing_egress_policy(index: Index, ctx) -> Iterator[Finding]:
    """Pods the project isolates for ingress but not for egress: the policy author protected
    them from the cluster, yet a compromised pod may still reach every pod, the cloud metadata
    endpoint and the internet. Pods isolated for neither are k8s-missing-network-policy's."""
    every = _network_policies(index)
    if not every:
        return
    ingress, egress = _isolation(every, "Ingress"), _isolation(every, "Egress")
    for source in project(index).pods:
        doc = source.doc
        if not index.reported(doc) or source.template is None:
            continue
        if ingress(source) and not egress(source):
            yield doc_hit(
                doc,
                name_anchor(doc),
                f"the pods of {_describe(doc)} are isolated for ingress but no NetworkPolicy limits "
                "their egress: a compromised pod can reach every pod, the cloud metadata endpoint "
                "and the internet",
            )


@rule("k8s-network-policy-selects-nothing", "project")
def network_policy_selects_nothing(index: Index, ctx) -> Iterator[Finding]:
    proj = project(index)
    for doc in _reported(index, "NetworkPolicy"):
        spec = _spec(doc)
        selector = _policy_selector(doc)
        if spec is None or not (selector.get("matchLabels") or selector.get("matchExpressions")):
            continue  # an empty podSelector selects every pod of the namespace
        if not is_kubernetes_policy(doc) or proj.matching(_ns(doc), selector):
            continue  # Calico's NetworkPolicy has no podSelector; or it selects pods
        elsewhere = proj.elsewhere(_ns(doc), selector)
        if elsewhere:
            yield doc_hit(
                doc,
                spec.key_span("podSelector"),
                f"podSelector matches pods only in {_other_namespaces(elsewhere)} "
                f"({_pods_text(elsewhere)}): a NetworkPolicy selects pods of its own namespace "
                f"({_ns(doc)}), so it protects nothing",
            )
            continue
        if not proj.deploys_into(_ns(doc)) or proj.operator_made(_ns(doc), selector):
            continue  # the namespace's pods are deployed from elsewhere (a policy-only repository)
        yield doc_hit(
            doc,
            spec.key_span("podSelector"),
            f"podSelector matches no pods of the project{' in namespace ' + _ns(doc) if _ns(doc) else ''}: "
            "the policy protects nothing (a typo in a label?)",
        )


@rule("k8s-ingress-without-tls", "kubernetes", kinds=("Ingress",))
def ingress_without_tls(doc: YamlDoc, ctx) -> Iterator[Finding]:
    if doc.root.get("kind") != "Ingress":
        return
    spec = _spec(doc)
    if spec is None or spec.get("tls"):
        return
    annotations = doc.root.path_get("metadata", "annotations")
    if isinstance(annotations, dict):
        if any(annotations.get(a) for a in LB_TLS_ANNOTATIONS[:-1]):
            return
        if str(annotations.get("kubernetes.io/ingress.allow-http")).lower() == "false":
            return
    where = spec.key_span("tls") if "tls" in spec else doc.root.key_span("spec")
    yield doc_hit(
        doc,
        where,
        "Ingress has no tls section: traffic from clients reaches it as plain HTTP (add tls with a "
        "certificate Secret, e.g. from cert-manager)",
    )
