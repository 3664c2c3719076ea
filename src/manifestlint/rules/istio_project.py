"""Cross-object Istio rules: references between objects, conflicts and policy coverage.

Each rule runs once over the project index (every manifest under the project root) and
stays silent where the answer depends on objects the project does not hold: a rule that
needs workloads fires only where the project defines workloads for that namespace.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from manifestlint.index import Index
from manifestlint.k8s import containers, name_anchor, name_of, namespace_of, pod_template, selector_matches
from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio import (
    MESH_SUFFIX,
    destinations,
    fqdn,
    host_covers,
    hosts_overlap,
    is_istio,
    istio_spec,
    mode_of,
    sources,
    tls_settings,
)

ROOT_NAMESPACE = "istio-system"
_INJECTION_LABELS = ("istio-injection", "istio.io/rev", "istio.io/dataplane-mode")


@dataclass(slots=True)
class Workload:
    doc: YamlDoc
    namespace: str
    labels: dict


def workloads(index: Index) -> list[Workload]:
    out = []
    for doc in index.objects:
        template = pod_template(doc)
        if template is not None:
            out.append(Workload(doc, namespace_of(doc), template.labels))
    return out


def objects(index: Index, kind: str) -> Iterator[tuple[YamlDoc, YMap]]:
    """(doc, spec) for the Istio objects of `kind` in the project."""
    for doc in index.of_kind(kind):
        spec = istio_spec(doc, kind)
        if spec is not None:
            yield doc, spec


def root_ns(ctx) -> str:
    return str(ctx.options.get("root-namespace") or ROOT_NAMESPACE)


def match_labels(spec: YMap, key: str = "selector") -> dict | None:
    """A policy's workload selector labels; None when the policy has no selector."""
    selector = spec.get(key)
    if not isinstance(selector, dict):
        return None
    labels = selector.get("matchLabels")
    return labels if isinstance(labels, dict) and labels else None


def ns_from_fqdn(host: str) -> str | None:
    """`reviews.prod.svc.cluster.local` -> `prod`."""
    if not host.endswith(MESH_SUFFIX):
        return None
    parts = host[: -len(MESH_SUFFIX)].split(".")
    return parts[1] if len(parts) == 2 else None


def service_of(index: Index, host: str) -> YamlDoc | None:
    ns = ns_from_fqdn(host)
    if ns is None:
        return None
    return index.get("Service", ns, host.split(".", 1)[0])


def service_selector(service: YamlDoc | None) -> dict | None:
    if service is None:
        return None
    selector = service.root.path_get("spec", "selector")
    return selector if isinstance(selector, dict) and selector else None


# ------------------------------------------------------------------------------ mTLS posture


class MtlsPolicies:
    """PeerAuthentication lookups: workload (selector) > namespace > mesh (root namespace)."""

    def __init__(self, index: Index, root: str) -> None:
        self.root = root
        self.namespace: dict[str, tuple[str, YamlDoc]] = {}
        self.workload: dict[str, list[tuple[dict, str, YamlDoc]]] = defaultdict(list)
        for doc, spec in objects(index, "PeerAuthentication"):
            ns, mode = namespace_of(doc), mode_of(spec.get("mtls"))
            labels = match_labels(spec)
            if labels is None:
                if mode and mode != "UNSET":
                    self.namespace.setdefault(ns, (mode, doc))
            elif mode and mode != "UNSET":
                self.workload[ns].append((labels, mode, doc))

    def for_namespace(self, ns: str) -> tuple[str, YamlDoc | None]:
        """The explicit mode for a namespace's workloads without their own policy ('' if none)."""
        if ns in self.namespace:
            return self.namespace[ns]
        if self.root in self.namespace:
            return self.namespace[self.root]
        return "", None

    def for_labels(self, ns: str, labels: dict) -> tuple[str, YamlDoc | None]:
        for selector, mode, doc in self.workload.get(ns, ()):
            if selector_matches({"matchLabels": selector}, labels):
                return mode, doc
        return self.for_namespace(ns)


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


@rule("istio-authz-principals-without-mtls", "project")
def authz_principals_without_mtls(index: Index, ctx) -> Iterator[Finding]:
    root = root_ns(ctx)
    policies = MtlsPolicies(index, root)
    if not policies.namespace and not policies.workload:
        return
    works = workloads(index)
    for doc, spec in objects(index, "AuthorizationPolicy"):
        ns = namespace_of(doc)
        selector = match_labels(spec)
        targets = [w for w in works if (ns == root or w.namespace == ns)]
        if selector is not None:
            targets = [w for w in targets if selector_matches({"matchLabels": selector}, w.labels)]
        modes = [policies.for_labels(w.namespace, w.labels) for w in targets]
        if not targets:
            modes = [policies.for_namespace(ns)]
        weak = sorted(
            {(m, namespace_of(d), name_of(d)) for m, d in modes if d and m in ("PERMISSIVE", "DISABLE")}
        )
        if not weak:
            continue
        mode, pa_ns, pa_name = weak[0]
        action = str(spec.get("action") or "ALLOW")
        effect = (
            "plaintext callers carry no identity, so this DENY never matches them"
            if action == "DENY"
            else "plaintext callers carry no identity and are matched by no principal"
        )
        for source in sources(spec):
            for key in ("principals", "notPrincipals", "namespaces", "notNamespaces"):
                if key in source:
                    yield doc_hit(
                        doc,
                        source.key_span(key),
                        f"{key} needs mutual TLS, but PeerAuthentication {pa_ns}/{pa_name} is {mode}: "
                        f"{effect}",
                    )


# ------------------------------------------------------------------------------ selectors


@rule("istio-authz-selector-matches-nothing", "project")
def authz_selector_matches_nothing(index: Index, ctx) -> Iterator[Finding]:
    root = root_ns(ctx)
    works = workloads(index)
    for doc, spec in objects(index, "AuthorizationPolicy"):
        labels = match_labels(spec)
        if labels is None:
            continue
        ns = namespace_of(doc)
        scope = [w for w in works if ns == root or w.namespace == ns]
        if not scope:
            continue  # the project defines no workloads there: nothing to judge against
        if any(selector_matches({"matchLabels": labels}, w.labels) for w in scope):
            continue
        where = "any namespace" if ns == root else f"namespace {ns}"
        yield doc_hit(
            doc,
            spec["selector"].key_span("matchLabels"),
            f"selector matches no workload in {where}: the policy protects nothing",
        )


def _is_gateway_workload(work: Workload) -> bool:
    value = str(work.labels.get("istio", ""))
    if "gateway" in value or "gateway.istio.io/managed" in work.labels:
        return True
    template = pod_template(work.doc)
    for container, _ in containers(template.spec) if template else ():
        if "proxyv2" in str(container.get("image", "")) or container.get("name") == "istio-proxy":
            return True
    return False


@rule("istio-gateway-selector-matches-nothing", "project")
def gateway_selector_matches_nothing(index: Index, ctx) -> Iterator[Finding]:
    gateways = [w for w in workloads(index) if _is_gateway_workload(w)]
    if not gateways:
        return  # gateway deployments come from the Istio installation, outside the project
    for doc, spec in objects(index, "Gateway"):
        selector = spec.get("selector")
        if not isinstance(selector, dict) or not selector:
            continue
        if any(selector_matches(selector, w.labels) for w in workloads(index)):
            continue
        yield doc_hit(
            doc,
            spec.key_span("selector"),
            "selector matches none of the gateway workloads this project defines: "
            "no proxy serves this Gateway",
        )


# ------------------------------------------------------------------------------ virtual services


def _gateway_refs(spec: YMap) -> Iterator[tuple[YList, int, str]]:
    """(list, index, name) for every gateway a VirtualService (or one of its matches) names."""
    lists = [spec.get("gateways")]
    for section in ("http", "tcp", "tls"):
        for route in spec.get(section) or () if isinstance(spec.get(section), YList) else ():
            for match in route.get("match") or () if isinstance(route, YMap) else ():
                if isinstance(match, YMap):
                    lists.append(match.get("gateways"))
    for items in lists:
        if isinstance(items, YList):
            for i, name in enumerate(items):
                yield items, i, str(name)


def gateway_key(ref: str, namespace: str) -> tuple[str, str]:
    """(namespace, name) of a gateway reference: `ns/name`, `name`, or `name.ns.svc.cluster.local`."""
    if "/" in ref:
        ns, name = ref.split("/", 1)
        return ns, name
    if "." in ref:
        parts = ref.split(".")
        return parts[1], parts[0]
    return namespace, ref


@rule("istio-vs-unknown-gateway", "project")
def vs_unknown_gateway(index: Index, ctx) -> Iterator[Finding]:
    for doc, spec in objects(index, "VirtualService"):
        for items, i, ref in _gateway_refs(spec):
            if ref == "mesh":
                continue
            ns, name = gateway_key(ref, namespace_of(doc))
            if index.get("Gateway", ns, name) is not None:
                continue
            yield doc_hit(doc, items.item_span(i), f"no Gateway {ns}/{name} is defined in the project")


def _server_hosts(gateway: YMap) -> list[tuple[str, str]]:
    """(namespace filter, host) of every server of an Istio Gateway."""
    out = []
    for server in gateway.get("servers") or () if isinstance(gateway.get("servers"), YList) else ():
        hosts = server.get("hosts") if isinstance(server, YMap) else None
        for host in hosts if isinstance(hosts, YList) else ():
            ns, _, name = str(host).rpartition("/")
            out.append((ns or "*", name))
    return out


@rule("istio-vs-host-not-in-gateway", "project")
def vs_host_not_in_gateway(index: Index, ctx) -> Iterator[Finding]:
    """A bound Gateway that serves none of the VirtualService's hosts (istioctl's IST0132), and,
    without `mesh`, a host that none of the bound Gateways serves (routed nowhere)."""
    for doc, spec in objects(index, "VirtualService"):
        hosts, refs = spec.get("hosts"), spec.get("gateways")
        if not isinstance(hosts, YList) or not isinstance(refs, YList):
            continue
        vs_ns = namespace_of(doc)
        offered: list[str] = []
        judged = True
        for i, ref in enumerate(refs):
            if str(ref) == "mesh":
                continue
            gw_ns, gw_name = gateway_key(str(ref), vs_ns)
            gateway = index.get("Gateway", gw_ns, gw_name)
            gw_spec = gateway.root.get("spec") if gateway is not None else None
            if gateway is None or not is_istio(gateway, "Gateway") or not isinstance(gw_spec, YMap):
                judged = False  # unknown (istio-vs-unknown-gateway's) or a Gateway API gateway
                continue
            served = [
                name
                for ns, name in _server_hosts(gw_spec)
                if ns in ("*", vs_ns) or (ns == "." and vs_ns == gw_ns)
            ]
            offered.extend(served)
            if not any(hosts_overlap(str(h), name) for h in hosts for name in served):
                yield doc_hit(
                    doc,
                    refs.item_span(i),
                    f"Gateway {gw_ns}/{gw_name} serves none of this VirtualService's hosts: "
                    "the binding routes nothing",
                    [gateway],
                )
        if not judged or "mesh" in [str(r) for r in refs]:
            continue
        for i, host in enumerate(hosts):
            if not any(hosts_overlap(str(host), name) for name in offered):
                yield doc_hit(
                    doc,
                    hosts.item_span(i),
                    f"host {host} is served by none of the bound Gateways: its routes apply nowhere",
                )


def _subsets_by_host(index: Index) -> list[tuple[str, set[str], YamlDoc]]:
    out = []
    for doc, spec in objects(index, "DestinationRule"):
        if "host" not in spec:
            continue
        subsets = spec.get("subsets")
        names = {
            str(s.get("name")) for s in (subsets if isinstance(subsets, YList) else ()) if isinstance(s, YMap)
        }
        out.append((fqdn(spec["host"], namespace_of(doc)), names, doc))
    return out


@rule("istio-vs-unknown-subset", "project")
def vs_unknown_subset(index: Index, ctx) -> Iterator[Finding]:
    rules = _subsets_by_host(index)
    for doc, spec in objects(index, "VirtualService"):
        for dest in destinations(spec):
            if "subset" not in dest or "host" not in dest:
                continue
            host = fqdn(dest["host"], namespace_of(doc))
            covering = [(names, rule_doc) for pattern, names, rule_doc in rules if host_covers(pattern, host)]
            defined = set().union(*(names for names, _ in covering))
            if str(dest["subset"]) not in defined:
                found = (
                    "no DestinationRule for this host"
                    if not covering
                    else f"DestinationRules for {dest['host']} define {', '.join(sorted(defined)) or 'none'}"
                )
                yield doc_hit(
                    doc,
                    dest.value_span("subset"),
                    f"subset {dest['subset']} of {dest['host']} is not defined ({found}): "
                    "requests fail with 503",
                    [rule_doc for _, rule_doc in covering],
                )


def _service_entry_hosts(index: Index) -> list[tuple[str, set[str] | None]]:
    """(host, namespaces it is exported to or None for all) of every ServiceEntry."""
    out = []
    for doc, spec in objects(index, "ServiceEntry"):
        hosts = spec.get("hosts")
        seen = _visible_in(spec, namespace_of(doc))
        out.extend((fqdn(h, namespace_of(doc)), seen) for h in hosts if isinstance(hosts, YList))
    return out


def _unknown_mesh_host(index: Index, host: str, entries: list[str], root: str) -> str | None:
    """The namespace of an in-mesh host the project should define but does not; None if fine.

    The root namespace is exempt: istiod and the gateways' Services come from the installation."""
    ns = ns_from_fqdn(host)
    if ns is None or ns == root or not index.of_kind("Service"):
        return None
    if not any(namespace_of(s) == ns for s in index.of_kind("Service")):
        return None  # the project defines no Service there: it cannot tell
    if service_of(index, host) is not None or any(host_covers(e, host) for e in entries):
        return None
    return ns


@rule("istio-vs-unknown-host", "project")
def vs_unknown_host(index: Index, ctx) -> Iterator[Finding]:
    entries = _service_entry_hosts(index)
    for doc, spec in objects(index, "VirtualService"):
        for dest in destinations(spec):
            if "host" not in dest:
                continue
            vs_ns = namespace_of(doc)
            host = fqdn(dest["host"], vs_ns)
            visible = [h for h, seen in entries if seen is None or vs_ns in seen]
            ns = _unknown_mesh_host(index, host, visible, root_ns(ctx))
            if ns is not None:
                yield doc_hit(
                    doc,
                    dest.value_span("host"),
                    f"no Service {host.split('.', 1)[0]} in namespace {ns} (nor a ServiceEntry): "
                    "requests fail",
                )


def _mesh_bound(spec: YMap) -> bool:
    gateways = spec.get("gateways")
    return not isinstance(gateways, YList) or not gateways or "mesh" in [str(g) for g in gateways]


def _visible_in(spec: YMap, ns: str) -> set[str] | None:
    """Namespaces an object is exported to; None for everywhere."""
    export = spec.get("exportTo")
    if not isinstance(export, YList) or not export:
        return None
    out = set()
    for item in export:
        text = str(item)
        if text == "*":
            return None
        out.add(ns if text == "." else text)
    return out


@rule("istio-vs-conflicting", "project")
def vs_conflicting(index: Index, ctx) -> Iterator[Finding]:
    entries = []  # (doc, hosts list, item index, resolved host, visibility)
    for doc, spec in objects(index, "VirtualService"):
        hosts = spec.get("hosts")
        if not _mesh_bound(spec) or not isinstance(hosts, YList):
            continue
        ns = namespace_of(doc)
        for i, host in enumerate(hosts):
            entries.append((doc, hosts, i, fqdn(host, ns), _visible_in(spec, ns)))
    for doc, hosts, i, host, seen in entries:
        others = []
        for other, _, _, other_host, other_seen in entries:
            if other is doc or not hosts_overlap(host, other_host):
                continue
            if seen is not None and other_seen is not None and not (seen & other_seen):
                continue
            others.append(other)
        if others:
            names = sorted({f"{namespace_of(other)}/{name_of(other)}" for other in others})
            yield doc_hit(
                doc,
                hosts.item_span(i),
                f"host {hosts[i]} is also routed for the mesh by VirtualService "
                f"{', '.join(names)}: "
                "only one of them takes effect",
                list({id(other): other for other in others}.values()),
            )


# ------------------------------------------------------------------------------ destination rules

_TOPOLOGY = ("topology.kubernetes.io/", "topology.istio.io/", "kubernetes.io/hostname")


@rule("istio-dr-subset-no-pods", "project")
def dr_subset_no_pods(index: Index, ctx) -> Iterator[Finding]:
    works = workloads(index)
    for doc, spec in objects(index, "DestinationRule"):
        subsets = spec.get("subsets")
        if "host" not in spec or not isinstance(subsets, YList):
            continue
        host = fqdn(spec["host"], namespace_of(doc))
        selector = service_selector(service_of(index, host))
        if selector is None:
            continue
        backing = [
            w for w in works if w.namespace == ns_from_fqdn(host) and selector_matches(selector, w.labels)
        ]
        if not backing:
            continue  # the Service's workloads are not in the project
        for subset in subsets:
            labels = subset.get("labels") if isinstance(subset, YMap) else None
            if not isinstance(labels, YMap):
                continue
            wanted = {k: v for k, v in labels.items() if not str(k).startswith(_TOPOLOGY)}
            if wanted and not any(selector_matches(wanted, w.labels) for w in backing):
                yield doc_hit(
                    doc,
                    subset.key_span("labels"),
                    f"subset {subset.get('name')}: no workload behind Service {spec['host']} has labels "
                    f"{', '.join(f'{k}={v}' for k, v in wanted.items())}: requests to it fail with 503",
                )


def _listed(value: object) -> list:
    """A sequence field's items; nothing when the file holds a scalar or mapping there."""
    return value if isinstance(value, list) else []


@rule("istio-dr-duplicate-host", "project")
def dr_duplicate_host(index: Index, ctx) -> Iterator[Finding]:
    first: dict[tuple[str, str], tuple[YamlDoc, YMap]] = {}
    for doc, spec in objects(index, "DestinationRule"):
        if "host" not in spec or "workloadSelector" in spec:
            continue
        key = (namespace_of(doc), fqdn(spec["host"], namespace_of(doc)))
        if key not in first:
            first[key] = (doc, spec)
            continue
        prev_doc, prev = first[key]
        what = []
        if spec.get("trafficPolicy") and prev.get("trafficPolicy"):
            what.append("its trafficPolicy is ignored")
        names = {str(s.get("name")) for s in _listed(prev.get("subsets")) if isinstance(s, YMap)}
        dup = [
            str(s.get("name"))
            for s in _listed(spec.get("subsets"))
            if isinstance(s, YMap) and str(s.get("name")) in names
        ]
        if dup:
            what.append(f"subsets {', '.join(dup)} are ignored")
        if what:
            yield doc_hit(
                doc,
                spec.value_span("host"),
                f"DestinationRule {namespace_of(prev_doc)}/{name_of(prev_doc)} already configures "
                f"{spec['host']}: "
                f"Istio merges them and {' and '.join(what)}",
            )
