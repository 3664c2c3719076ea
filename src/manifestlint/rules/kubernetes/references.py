"""References by name that point at nothing: a pod's ServiceAccount, ConfigMaps, Secrets and
claims; the Services a ServiceMonitor scrapes; the peers of a NetworkPolicy rule; the governing
Service of a StatefulSet.

kube-linter reports any name it does not find in the files it was given. Real repositories
create many of these objects elsewhere (a Helm chart of the platform team, `kubectl create
secret`, an operator, a sealed or external secret), so a missing name is reported only where
the project evidently manages that kind of object itself: it defines at least one object of the
kind in the namespace, no generator or custom resource of the project names it, and the whole
project lacks it too (project/crossfile.py confirms dangling references beyond the bundle).
`optional: true` references are never reported: the kubelet starts the pod without them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from manifestlint.index import Index
from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.objects import containers, name_of, selector_matches
from manifestlint.rules.kubernetes.pods import (
    _may_reach,
    _ns,
    _reported,
    _spec,
    _template,
    project,
)
from manifestlint.rules.kubernetes.rbac import BUILT_IN_ADMIN, Grant, rbac_of
from manifestlint.templating import is_placeholder

# A pod's references by name: (kind referred to, what breaks when it is missing).
_BREAKS = {
    "ServiceAccount": "the pods are never created (the ReplicaSet reports 'serviceaccount not found')",
    "ConfigMap": "the container does not start (CreateContainerConfigError) or the volume never mounts",
    "Secret": "the container does not start (CreateContainerConfigError) or the volume never mounts",
    "PersistentVolumeClaim": "the pods stay Pending (the claim is never bound)",
}

_GENERATORS = {"ConfigMap": "configMapGenerator", "Secret": "secretGenerator"}

# Objects the cluster itself puts in every namespace: Kubernetes' root CA bundle, Istio's root
# certificate (istiod), OpenShift's service CA bundle.
_BUILT_IN = {"ConfigMap": frozenset({"kube-root-ca.crt", "istio-ca-root-cert", "openshift-service-ca.crt"})}

# The RBAC resources and verbs that let a pod of the project create such objects at run time
# (Argo CD's redis initialises its own Secret; an operator writes its ConfigMaps, deploys its
# pods and Services), counted only when a binding of the project grants them.
_RESOURCES = {
    "ConfigMap": ("configmaps",),
    "Secret": ("secrets",),
    "PersistentVolumeClaim": ("persistentvolumeclaims",),
    "ServiceAccount": ("serviceaccounts",),
    "Service": ("services",),
    "Pod": ("pods", "deployments", "daemonsets", "statefulsets", "replicasets", "jobs", "cronjobs"),
}
_CREATE = frozenset({"create", "*"})


class _Known:
    """What the project defines, by kind: names per namespace, and the names its generators
    and custom resources mention (an operator or kustomize makes those objects)."""

    def __init__(self, index: Index) -> None:
        self.names: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.generated: dict[str, set[str]] = defaultdict(set)
        self._index = index
        self._mentioned: set[str] | None = None
        for kind in _BREAKS:
            for doc in index.of_kind(kind):
                self.names[kind][_ns(doc)].add(name_of(doc))
        self.created: set[tuple[str, str | None]] = set()  # (kind, namespace or None: any)
        graph = rbac_of(index)
        for binding in graph.bindings:
            scope = None if binding.root.get("kind") == "ClusterRoleBinding" else _ns(binding)
            role_kind, role_name, role = graph.role(binding)
            if role is None:
                if role_kind == "ClusterRole" and role_name in BUILT_IN_ADMIN:
                    self.created.update((kind, scope) for kind in _RESOURCES)
                continue
            for kind in _creatable(graph.effective(role)):
                self.created.add((kind, scope))
        for doc in index.objects:
            root = doc.root
            for kind, key in _GENERATORS.items():
                items = root.get(key) if isinstance(root, YMap) else None
                for item in items if isinstance(items, list) else ():
                    if isinstance(item, dict) and item.get("name"):
                        self.generated[kind].add(str(item["name"]))

    def manages(self, kind: str, ns: str) -> bool:
        """The project defines objects of this kind where the referrer lands."""
        spaces = self.names.get(kind, {})
        return any(_may_reach(ns, other) or _may_reach(other, ns) for other in spaces)

    def creates(self, kind: str, ns: str) -> bool:
        """A pod of the project may create objects of this kind in `ns` at run time (a Role
        there, or a ClusterRole, grants `create`): what it makes no file shows."""
        return (kind, None) in self.created or (kind, ns) in self.created

    def defines(self, kind: str, ns: str, name: str) -> bool:
        if name in _BUILT_IN.get(kind, ()) or self.creates(kind, ns):
            return True  # made by the cluster, or a pod of the project may create it
        spaces = self.names.get(kind, {})
        if any(name in names for other, names in spaces.items() if _may_reach(ns, other) or not other):
            return True
        if any(g == name or name.startswith(g + "-") for g in self.generated.get(kind, ())):
            return True  # kustomize appends a content hash to generated names
        return name in self.mentioned()

    def mentioned(self) -> set[str]:
        """Every string value in the project's custom resources (built on first need): an
        operator creates the Secret a Certificate's `secretName` or an ExternalSecret names."""
        if self._mentioned is None:
            found: set[str] = set()
            for doc in self._index.objects:
                if _made_by_operator(doc):
                    _strings(doc.root, found, 0)
                    found.add(name_of(doc))
            self._mentioned = found
        return self._mentioned


def _creatable(found: list[Grant]) -> Iterator[str]:
    """The kinds of `_RESOURCES` a bound role's rules let its subjects create."""
    for grant in found:
        if not _CREATE & set(grant.verbs):
            continue
        if not {"", "*", "apps", "batch"} & set(grant.groups):
            continue  # a custom API group's resources of the same name are other objects
        for kind, resources_of_kind in _RESOURCES.items():
            if "*" in grant.resources or set(grant.resources).intersection(resources_of_kind):
                yield kind


def _operator_domains(index: Index) -> set[str]:
    """API groups the project's operators own (CRDs' `spec.group`, custom resources'
    apiVersion groups): labels under such a domain (`longhorn.io/component`) are put on pods the
    operator creates, which no manifest shows."""
    groups: set[str] = set()
    for doc in index.objects:
        root = doc.root
        if root.get("kind") == "CustomResourceDefinition":
            group = root.path_get("spec", "group")
            if isinstance(group, str):
                groups.add(group)
        elif _made_by_operator(doc):
            groups.add(str(root.get("apiVersion")).rpartition("/")[0])
    return groups


def _operator_labelled(selector: dict, domains: set[str]) -> bool:
    match = selector.get("matchLabels")
    keys = [str(k) for k in match] if isinstance(match, dict) else []
    exprs = selector.get("matchExpressions")
    for expr in exprs if isinstance(exprs, list) else ():
        if isinstance(expr, dict):
            keys.append(str(expr.get("key")))
    for key in keys:
        prefix = key.rpartition("/")[0]
        if prefix and any(
            prefix == g or g.endswith("." + prefix) or prefix.endswith("." + g) for g in domains
        ):
            return True
    return False


def _made_by_operator(doc: YamlDoc) -> bool:
    """An object of a custom API group (cert-manager, external-secrets, sealed-secrets, an
    operator's own): the controller behind it may create the objects its fields name."""
    group = str(doc.root.get("apiVersion") or "").rpartition("/")[0]
    return "." in group and not group.endswith("k8s.io")


def _strings(node: Any, out: set[str], depth: int) -> None:
    if depth > 40:
        return
    if isinstance(node, dict):
        for value in node.values():
            _strings(value, out, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _strings(value, out, depth + 1)
    elif isinstance(node, str):
        out.add(node)


def _ref(holder: Any, key: str) -> tuple[str, Span] | None:
    """A name written at `holder[key]`, unless the reference is optional or templated."""
    if not isinstance(holder, YMap) or holder.get("optional") is True:
        return None
    name = holder.get(key)
    if not isinstance(name, str) or not name or is_placeholder(name):
        return None
    return name, holder.value_span(key)


def _pod_refs(spec: YMap) -> Iterator[tuple[str, str, Span]]:
    """(kind, name, where) for every by-name reference of a pod spec."""
    found = _ref(spec, "serviceAccountName")
    if found is not None and found[0] != "default":
        yield "ServiceAccount", *found
    for container, _ in containers(spec):
        for env in container.get("env") if isinstance(container.get("env"), YList) else ():
            source = env.get("valueFrom") if isinstance(env, YMap) else None
            if isinstance(source, YMap):
                for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                    found = _ref(source.get(key), "name")
                    if found is not None:
                        yield kind, *found
        for item in container.get("envFrom") if isinstance(container.get("envFrom"), YList) else ():
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                found = _ref(item.get(key) if isinstance(item, YMap) else None, "name")
                if found is not None:
                    yield kind, *found
    for volume in spec.get("volumes") if isinstance(spec.get("volumes"), YList) else ():
        if not isinstance(volume, YMap):
            continue
        for key, kind, name_key in (
            ("configMap", "ConfigMap", "name"),
            ("secret", "Secret", "secretName"),
            ("persistentVolumeClaim", "PersistentVolumeClaim", "claimName"),
        ):
            found = _ref(volume.get(key), name_key)
            if found is not None:
                yield kind, *found
        sources = volume.path_get("projected", "sources")
        for source in sources if isinstance(sources, YList) else ():
            for key, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                found = _ref(source.get(key) if isinstance(source, YMap) else None, "name")
                if found is not None:
                    yield kind, *found


def _claim_templates(doc: YamlDoc) -> set[str]:
    """A StatefulSet's volumeClaimTemplates: its pods' claims are made from them."""
    items = doc.root.path_get("spec", "volumeClaimTemplates")
    names = set()
    for item in items if isinstance(items, list) else ():
        meta = item.get("metadata") if isinstance(item, dict) else None
        if isinstance(meta, dict) and meta.get("name"):
            names.add(str(meta["name"]))
    return names


def _pod_reference_findings(index: Index, known: _Known) -> Iterator[Finding]:
    for doc in index.objects:
        if not index.reported(doc) or not isinstance(doc.root, YMap):
            continue
        tpl = _template(doc)
        if tpl is None:
            continue
        ns, claims = _ns(doc), _claim_templates(doc)
        if is_placeholder(ns):
            continue
        for kind, name, where in _pod_refs(tpl.spec):
            if kind == "PersistentVolumeClaim" and name in claims:
                continue
            if not known.manages(kind, ns) or known.defines(kind, ns, name):
                continue
            place = f" in namespace {ns}" if ns else ""
            yield doc_hit(
                doc,
                where,
                f"{kind} {name} is not defined in the project{place}, which defines its other "
                f"{kind}s: {_BREAKS[kind]}",
            )


def _service_monitor_findings(index: Index, known: _Known) -> Iterator[Finding]:
    """A ServiceMonitor whose selector matches no Service of the namespaces it looks in, where
    the project defines Services there: Prometheus scrapes nothing and no alert says so."""
    services: dict[str, list[YamlDoc]] = defaultdict(list)
    for svc in index.of_kind("Service"):
        services[_ns(svc)].append(svc)
    for doc in _reported(index, "ServiceMonitor"):
        spec = _spec(doc)
        selector = spec.get("selector") if spec is not None else None
        if not isinstance(selector, YMap) or not (
            selector.get("matchLabels") or selector.get("matchExpressions")
        ):
            continue
        if any(is_placeholder(v) for v in (selector.get("matchLabels") or {}).values()):
            continue
        scope = spec.get("namespaceSelector")
        if isinstance(scope, dict) and scope.get("any") is True:
            spaces = list(services)
        elif isinstance(scope, dict) and isinstance(scope.get("matchNames"), list):
            spaces = [str(n) for n in scope["matchNames"]]
        else:
            spaces = [_ns(doc)]
        candidates = [s for ns in spaces for s in services.get(ns, ())]
        if any(known.creates("Service", ns) for ns in spaces):
            continue  # a pod of the project makes Services there at run time
        if not candidates or project(index).operator_made(_ns(doc), selector):
            continue  # the Services live elsewhere (an exporter chart, the platform)
        labels = (s.root.path_get("metadata", "labels") for s in candidates)
        if any(selector_matches(selector, lab if isinstance(lab, dict) else {}) for lab in labels):
            continue
        yield doc_hit(
            doc,
            spec.key_span("selector"),
            f"selector matches no Service in {', '.join(sorted(spaces)) or 'its namespace'} "
            "(the project defines Services there): Prometheus scrapes nothing for this monitor",
        )


def _peers(spec: YMap) -> Iterator[tuple[str, YMap, Any]]:
    """(direction, peer, the peer written before it) of a NetworkPolicy's rules."""
    for direction, key in (("ingress", "from"), ("egress", "to")):
        for item in spec.get(direction) if isinstance(spec.get(direction), YList) else ():
            peers = item.get(key) if isinstance(item, YMap) else None
            previous: Any = None
            for peer in peers if isinstance(peers, YList) else ():
                if isinstance(peer, YMap):
                    yield direction, peer, previous
                previous = peer


def _peer_findings(index: Index, known: _Known) -> Iterator[Finding]:
    """A NetworkPolicy peer `podSelector` (without a namespaceSelector: the policy's own
    namespace) that matches no pod the project runs there."""
    proj = project(index)
    domains: set[str] | None = None
    for doc in _reported(index, "NetworkPolicy"):
        spec = _spec(doc)
        if spec is None or "networking.k8s.io" not in str(doc.root.get("apiVersion")):
            continue
        ns = _ns(doc)
        if is_placeholder(ns) or known.creates("Pod", ns):
            continue  # a template, or a pod of the project makes pods there at run time
        for direction, peer, before in _peers(spec):
            selector = peer.get("podSelector")
            if "namespaceSelector" in peer or not isinstance(selector, dict):
                continue
            if not (selector.get("matchLabels") or selector.get("matchExpressions")):
                continue
            if proj.matching(ns, selector) or not proj.deploys_into(ns) or proj.operator_made(ns, selector):
                continue
            domains = _operator_domains(index) if domains is None else domains
            if _operator_labelled(selector, domains):
                continue  # pods an operator of the project makes (longhorn.io/component)
            hint = ""
            if isinstance(before, YMap) and set(before) == {"namespaceSelector"}:
                hint = (
                    "; the namespaceSelector above is a separate peer: for pods of that namespace "
                    "write one peer with both selectors (drop this item's '-')"
                )
            yield doc_hit(
                doc,
                peer.key_span("podSelector"),
                f"{direction} peer podSelector matches no pod of the project"
                f"{' in namespace ' + ns if ns else ''} (without a namespaceSelector a peer "
                f"selects pods of the policy's own namespace): it allows nothing{hint}",
            )


@rule("k8s-dangling-reference", "project")
def dangling_reference(index: Index, ctx) -> Iterator[Finding]:
    known = _Known(index)
    yield from _pod_reference_findings(index, known)
    yield from _service_monitor_findings(index, known)
    yield from _peer_findings(index, known)


@rule("k8s-statefulset-service", "project")
def statefulset_service(index: Index, ctx) -> Iterator[Finding]:
    """A StatefulSet's `serviceName` is the governing Service that gives each pod its stable
    DNS name (`<pod>.<service>`): it must exist, be headless and select the pods."""
    services: dict[str, list[YamlDoc]] = defaultdict(list)
    for svc in index.of_kind("Service"):
        services[name_of(svc)].append(svc)
    spaces = {_ns(s) for group in services.values() for s in group}
    for doc in _reported(index, "StatefulSet"):
        spec = _spec(doc)
        if (
            spec is None
            or not isinstance(spec.get("serviceName"), str)
            or is_placeholder(spec["serviceName"])
        ):
            continue
        name, ns = spec["serviceName"], _ns(doc)
        if not name:
            continue
        found = [s for s in services.get(name, ()) if _may_reach(ns, _ns(s))]
        if not found:
            if any(_may_reach(ns, other) for other in spaces):  # the project defines Services there
                yield doc_hit(
                    doc,
                    spec.value_span("serviceName"),
                    f"serviceName {name}: no such Service in the project"
                    f"{' in namespace ' + ns if ns else ''}: the pods get no stable DNS names",
                )
            continue
        svc = found[0]
        if svc.root.path_get("spec", "clusterIP") != "None":
            yield doc_hit(
                doc,
                spec.value_span("serviceName"),
                f"Service {name} is not headless (clusterIP: None): the StatefulSet's pods get no "
                "per-pod DNS names (`<pod>.<service>`)",
                [svc],
            )
            continue
        selector = svc.root.path_get("spec", "selector")
        tpl = _template(doc)
        if (
            isinstance(selector, dict)
            and selector
            and tpl is not None
            and not selector_matches({"matchLabels": selector}, tpl.labels)
        ):
            yield doc_hit(
                doc,
                spec.value_span("serviceName"),
                f"Service {name} does not select this StatefulSet's pods: they get no DNS records",
                [svc],
            )
