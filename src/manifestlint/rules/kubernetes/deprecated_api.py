"""API versions the target Kubernetes version deprecates or no longer serves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

from manifestlint.model import Finding, Fix, YamlDoc, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.objects import (
    is_api_server_object,
)
from manifestlint.yaml_fix import replace_value

# From the Kubernetes deprecated API migration guide. Alpha versions are left out (off by
# default in clusters). Columns: deprecated in, removed in (- = not yet), apiVersion, kinds,
# replacement.
_API_TABLE = """
1.9  1.16  extensions/v1beta1 Deployment,DaemonSet,ReplicaSet apps/v1
1.9  1.16  apps/v1beta1 Deployment,StatefulSet,ControllerRevision apps/v1
1.9  1.16  apps/v1beta2 Deployment,StatefulSet,DaemonSet,ReplicaSet,ControllerRevision apps/v1
1.9  1.16  extensions/v1beta1 NetworkPolicy networking.k8s.io/v1
1.11 1.16  extensions/v1beta1 PodSecurityPolicy Pod Security Admission
1.14 1.22  extensions/v1beta1 Ingress networking.k8s.io/v1
1.19 1.22  networking.k8s.io/v1beta1 Ingress,IngressClass networking.k8s.io/v1
1.16 1.22  admissionregistration.k8s.io/v1beta1 MutatingWebhookConfiguration,ValidatingWebhookConfiguration \
           admissionregistration.k8s.io/v1
1.16 1.22  apiextensions.k8s.io/v1beta1 CustomResourceDefinition apiextensions.k8s.io/v1
1.19 1.22  apiregistration.k8s.io/v1beta1 APIService apiregistration.k8s.io/v1
1.19 1.22  authentication.k8s.io/v1beta1 TokenReview authentication.k8s.io/v1
1.19 1.22  authorization.k8s.io/v1beta1 SubjectAccessReview,LocalSubjectAccessReview,SelfSubjectAccessReview \
           authorization.k8s.io/v1
1.19 1.22  certificates.k8s.io/v1beta1 CertificateSigningRequest certificates.k8s.io/v1
1.19 1.22  coordination.k8s.io/v1beta1 Lease coordination.k8s.io/v1
1.17 1.22  rbac.authorization.k8s.io/v1beta1 ClusterRole,ClusterRoleBinding,Role,RoleBinding \
           rbac.authorization.k8s.io/v1
1.14 1.22  scheduling.k8s.io/v1beta1 PriorityClass scheduling.k8s.io/v1
1.19 1.22  storage.k8s.io/v1beta1 CSIDriver,CSINode,StorageClass,VolumeAttachment storage.k8s.io/v1
1.21 1.25  batch/v1beta1 CronJob batch/v1
1.21 1.25  discovery.k8s.io/v1beta1 EndpointSlice discovery.k8s.io/v1
1.19 1.25  events.k8s.io/v1beta1 Event events.k8s.io/v1
1.22 1.25  autoscaling/v2beta1 HorizontalPodAutoscaler autoscaling/v2
1.21 1.25  policy/v1beta1 PodDisruptionBudget policy/v1
1.21 1.25  policy/v1beta1 PodSecurityPolicy Pod Security Admission
1.20 1.25  node.k8s.io/v1beta1 RuntimeClass node.k8s.io/v1
1.23 1.26  autoscaling/v2beta2 HorizontalPodAutoscaler autoscaling/v2
1.23 1.26  flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema,PriorityLevelConfiguration \
           flowcontrol.apiserver.k8s.io/v1
1.24 1.27  storage.k8s.io/v1beta1 CSIStorageCapacity storage.k8s.io/v1
1.26 1.29  flowcontrol.apiserver.k8s.io/v1beta2 FlowSchema,PriorityLevelConfiguration \
           flowcontrol.apiserver.k8s.io/v1
1.29 1.32  flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema,PriorityLevelConfiguration \
           flowcontrol.apiserver.k8s.io/v1
1.19 -     v1 ComponentStatus the API server's /livez and /readyz endpoints
1.33 -     v1 Endpoints discovery.k8s.io/v1 EndpointSlice
"""


_V = tuple[int, int]


def _parse_version(text: str) -> _V:
    major, minor = text.split(".")
    return int(major), int(minor)


def _load_api_table(text: str) -> dict[tuple[str, str], tuple[_V, _V | None, str]]:
    table: dict[tuple[str, str], tuple[_V, _V | None, str]] = {}
    for row in text.strip().splitlines():  # a backslash-newline continues a row
        deprecated, removed, api, kinds, replacement = row.split(None, 4)
        entry = (_parse_version(deprecated), None if removed == "-" else _parse_version(removed), replacement)
        for kind in kinds.split(","):
            table[(api, kind)] = entry
    return table


_DEPRECATED_APIS = _load_api_table(_API_TABLE)


_VERSION = re.compile(r"v?(\d+)\.(\d+)")


def target_version(ctx) -> _V:
    match = _VERSION.match(str(getattr(ctx.config, "kubernetes_version", "") or "").strip())
    return (int(match.group(1)), int(match.group(2))) if match else (1, 33)


def _api_status(doc: YamlDoc, ctx) -> tuple[str, str, _V, _V | None, str, _V] | None:
    root = doc.root
    api, kind = root.get("apiVersion"), root.get("kind")
    entry = _DEPRECATED_APIS.get((str(api), str(kind)))
    if entry is None or "apiVersion" not in root or is_api_server_object(doc):
        return None  # the API server writes its own Endpoints; nobody can migrate them
    return str(api), str(kind), *entry, target_version(ctx)


# Replacements whose objects mean the same as the deprecated version's, so `--fix` may only
# change apiVersion. Source: the Deprecated API Migration Guide,
# https://kubernetes.io/docs/reference/using-api/deprecation-guide/ ("No notable changes" in the
# section named), except policy/v1 PodDisruptionBudget (v1.25 section): an empty spec.selector
# selects every pod there and none in v1beta1, so only a PDB with a non-empty selector is fixed.
# Every other migration in _API_TABLE changes fields or defaults (Deployments, Ingress, CRDs,
# webhooks, HPA v2beta1, EndpointSlice, Event, CSR, SubjectAccessReview, flow control).
SAME_OBJECTS = {
    ("batch/v1beta1", "CronJob"): "batch/v1",  # v1.25 CronJob
    ("policy/v1beta1", "PodDisruptionBudget"): "policy/v1",  # v1.25 PodDisruptionBudget (selector)
    ("node.k8s.io/v1beta1", "RuntimeClass"): "node.k8s.io/v1",  # v1.25 RuntimeClass
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity"): "storage.k8s.io/v1",  # v1.27 CSIStorageCapacity
    ("apiregistration.k8s.io/v1beta1", "APIService"): "apiregistration.k8s.io/v1",  # v1.22 APIService
    ("authentication.k8s.io/v1beta1", "TokenReview"): "authentication.k8s.io/v1",  # v1.22 TokenReview
    ("coordination.k8s.io/v1beta1", "Lease"): "coordination.k8s.io/v1",  # v1.22 Lease
    ("networking.k8s.io/v1beta1", "IngressClass"): "networking.k8s.io/v1",  # v1.22 IngressClass
    ("scheduling.k8s.io/v1beta1", "PriorityClass"): "scheduling.k8s.io/v1",  # v1.22 PriorityClass
    **{("rbac.authorization.k8s.io/v1beta1", kind): "rbac.authorization.k8s.io/v1"  # v1.22 RBAC resources
       for kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")},
    **{("storage.k8s.io/v1beta1", kind): "storage.k8s.io/v1"  # v1.22 Storage resources
       for kind in ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment")},
}  # fmt: skip


def _migration(doc: YamlDoc, api: str, kind: str) -> Fix | None:
    """apiVersion rewritten where the objects are the same in the replacement (SAME_OBJECTS)."""
    new = SAME_OBJECTS.get((api, kind))
    if new is None:
        return None
    if kind == "PodDisruptionBudget":
        selector = doc.root.path_get("spec", "selector")
        if not isinstance(selector, dict) or not (
            selector.get("matchLabels") or selector.get("matchExpressions")
        ):
            return None  # an empty selector selects every pod in policy/v1
    return replace_value(doc, doc.root, "apiVersion", new, f"use {new}")


def _v(version: _V) -> str:
    return f"{version[0]}.{version[1]}"


@rule("k8s-removed-api", "kubernetes")
def removed_api(doc: YamlDoc, ctx) -> Iterator[Finding]:
    status = _api_status(doc, ctx)
    if status is None:
        return
    api, kind, _deprecated, removed, replacement, target = status
    if removed is not None and target >= removed:
        yield doc_hit(
            doc,
            doc.root.value_span("apiVersion"),
            f"{api} {kind} was removed in Kubernetes {_v(removed)} (target {_v(target)}): the API "
            f"server refuses it; use {replacement}",
            fix=partial(_migration, doc, api, kind),
        )


@rule("k8s-deprecated-api", "kubernetes")
def deprecated_api(doc: YamlDoc, ctx) -> Iterator[Finding]:
    status = _api_status(doc, ctx)
    if status is None:
        return
    api, kind, deprecated, removed, replacement, target = status
    if target >= deprecated and (removed is None or target < removed):
        until = f"is removed in {_v(removed)}" if removed else "will be removed in a later release"
        yield doc_hit(
            doc,
            doc.root.value_span("apiVersion"),
            f"{api} {kind} is deprecated since Kubernetes {_v(deprecated)} and {until}; use {replacement}",
            fix=partial(_migration, doc, api, kind),
        )
