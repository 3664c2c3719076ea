"""RBAC: what Roles and ClusterRoles grant, whom bindings grant it to, and what each workload
can do through its service account.

One table drives every permission check (kube-linter's `access-to-resources` template as
data): a *preset* names verbs x resources x API groups and says in words what they let a
holder do. Users add their own presets in the rule's options. Rules of a role are matched
one by one; a rule with `*` verbs or resources is reported once, by k8s-rbac-wildcard (which
names the presets it implies), never again by k8s-rbac-dangerous-permission: one condition,
one finding.

A role no binding of its bundle grants (directly, through an aggregating ClusterRole, or by
aggregation into the built-in admin/edit/view roles) is reported as a note: it grants nothing
until someone binds it. k8s-workload-rbac follows the graph workload -> ServiceAccount ->
(Cluster)RoleBinding -> role -> rule and reports at the workload what it can do, with the
binding and the rule as related locations (SARIF relatedLocations).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from manifestlint.model import (
    Finding,
    Related,
    Severity,
    Span,
    YamlDoc,
    YList,
    YMap,
    at_most,
    doc_hit,
    related_to,
)
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.objects import (
    WORKLOAD_KINDS,
    name_of,
    namespace_of,
    pod_template,
    selector_matches,
)

ROLE_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
RBAC_GROUP = "rbac.authorization.k8s.io"
# Built-in ClusterRoles (kube-apiserver's bootstrap policy) a binding may name without the
# project defining them, and what they grant.
BUILT_IN_ADMIN = {
    "cluster-admin": "do anything to any resource (cluster-admin)",
    "admin": "do what the built-in 'admin' role allows (read Secrets, exec into pods, run workloads, "
    "manage RBAC)",
    "edit": "do what the built-in 'edit' role allows (read Secrets, exec into pods, run workloads)",
}
# Labels that aggregate a ClusterRole into the built-in user-facing roles (bound in most clusters).
AGGREGATE_LABELS = {
    f"{RBAC_GROUP}/aggregate-to-{name}": name for name in ("admin", "edit", "view", "cluster-reader")
}


@dataclass(frozen=True, slots=True)
class Preset:
    """A dangerous permission: any of `verbs` on any of `resources` in any of `groups`."""

    name: str
    verbs: frozenset[str]  # {"*"}: any verb
    resources: frozenset[str]
    groups: frozenset[str]
    says: str  # "read Secrets": what a holder can do


WORKLOADS = "pods deployments daemonsets statefulsets replicasets jobs cronjobs replicationcontrollers"
# name | verbs (* = any) | resources | API groups ("core" = "") | what a holder can do. The last
# three are off by default (routine for controllers): listed in the `presets` option to enable.
_TABLE = """\
read-secrets | get list watch | secrets | core | read Secrets
exec | * | pods/exec pods/attach | core | run commands in pods (pods/exec, pods/attach)
port-forward | * | pods/portforward | core | port-forward into pods
create-workloads | create update patch | WORKLOADS | core apps batch | create or change pods and \
workload controllers (and so run any image as any service account of the namespace)
escalate | bind escalate | roles clusterroles | rbac.authorization.k8s.io | grant permissions it \
does not hold (bind, escalate)
impersonate | impersonate | users groups serviceaccounts uids userextras/* | core \
authentication.k8s.io | impersonate users, groups or service accounts
manage-rbac | create update patch | roles clusterroles rolebindings clusterrolebindings | \
rbac.authorization.k8s.io | create or change roles and bindings
nodes-proxy | * | nodes/proxy | core | reach every kubelet's API through nodes/proxy (exec into \
any pod of a node)
approve-csr | update patch approve | certificatesigningrequests/approval signers | \
certificates.k8s.io | approve certificate signing requests (mint client certificates)
admission-webhooks | create update patch delete | validatingwebhookconfigurations \
mutatingwebhookconfigurations | admissionregistration.k8s.io | change admission webhooks \
(intercept, or switch off the checks on, every API write)
create-persistentvolumes | create | persistentvolumes | core | create PersistentVolumes (any \
hostPath of a node)
serviceaccount-tokens | create | serviceaccounts/token | core | mint tokens of service accounts
service-status | update patch | services/status | core | set a Service's status (load-balancer \
IPs: CVE-2020-8554 traffic capture)
modify-configmaps | create update patch delete | configmaps | core | change ConfigMaps (coredns, \
aws-auth)
delete-workloads | delete deletecollection | WORKLOADS events pods/log | core apps batch \
events.k8s.io | delete workloads, events or pod logs
manage-networking | create update patch delete | services networkpolicies ingresses | core \
networking.k8s.io extensions | change Services, NetworkPolicies or Ingresses
"""


def _presets(table: str) -> dict[str, Preset]:
    """Presets from table rows (`name | verbs | resources | groups | says`); a row without
    five cells, verbs or resources is skipped."""
    out = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) != 5 or not all(cells[:3]):
            continue
        name, verbs, resources, groups, says = cells
        resources = resources.replace("WORKLOADS", WORKLOADS)
        groups_set = frozenset("" if g == "core" else g for g in (groups or "core").split())
        out[name] = Preset(name, frozenset(verbs.split()), frozenset(resources.split()), groups_set, says)
    return out


PRESETS = _presets(_TABLE)


def presets(options: dict[str, Any]) -> list[Preset]:
    """The enabled presets: the `presets` option's names, then the user's `custom` rows
    (`{name: "verbs | resources | API groups | what a holder can do"}`, the table's syntax)."""
    out = [PRESETS[name] for name in options.get("presets") or () if name in PRESETS]
    custom = options.get("custom") or {}
    rows = "\n".join(f"{name} | {row}" for name, row in custom.items() if "\n" not in f"{name}{row}")
    return out + list(_presets(rows).values())


# ---------------------------------------------------------------- reading roles


@dataclass(frozen=True, slots=True)
class Grant:
    """One rule of a role: where it stands, what it lists (lower-cased is wrong: RBAC is case
    sensitive, so values are kept as written)."""

    doc: YamlDoc
    entry: YMap
    verbs: tuple[str, ...]
    resources: tuple[str, ...]
    groups: tuple[str, ...]
    names: bool  # restricted to resourceNames

    def value_span(self, key: str, value: str) -> Span:
        """The list item `value` of `key` (else the key, else the rule entry)."""
        items = self.entry.get(key)
        if isinstance(items, YList):
            for i, item in enumerate(items):
                if str(item) == value:
                    return items.item_span(i)
        return self.entry.key_span(key) if key in self.entry else self.entry.start()


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value if isinstance(v, (str, int))) if isinstance(value, list) else ()


def grants(doc: YamlDoc) -> list[Grant]:
    rules = doc.root.get("rules")
    out = []
    for entry in rules if isinstance(rules, YList) else ():
        if isinstance(entry, YMap):
            out.append(
                Grant(
                    doc,
                    entry,
                    _strs(entry.get("verbs")),
                    _strs(entry.get("resources")),
                    _strs(entry.get("apiGroups")),
                    bool(entry.get("resourceNames")),
                )
            )
    return out


def _resource_matches(granted: str, wanted: str) -> bool:
    if granted == wanted:
        return True
    base, _, sub = wanted.partition("/")
    return bool(sub) and granted == f"{base}/*"


def matches(grant: Grant, preset: Preset) -> str | None:
    """The first resource of `preset` the grant gives (verbs and group matching), or None.
    Wildcard resources are k8s-rbac-wildcard's; a grant limited to resourceNames is the least
    privilege RBAC allows and is not reported (except for verbs that ignore names)."""
    if not grant.verbs or not (set(grant.groups) & preset.groups or "*" in grant.groups):
        return None
    if "*" not in preset.verbs and "*" not in grant.verbs and not set(grant.verbs) & preset.verbs:
        return None
    if grant.names and not set(grant.verbs) & {"create", "list", "watch", "deletecollection"}:
        return None
    for resource in grant.resources:
        if resource != "*" and any(_resource_matches(resource, wanted) for wanted in preset.resources):
            return resource
    return None


def is_wildcard(grant: Grant) -> bool:
    return "*" in grant.verbs or "*" in grant.resources


# ---------------------------------------------------------------- the graph


@dataclass(slots=True)
class Rbac:
    """The bundle's roles and bindings, looked up by name."""

    roles: dict[tuple[str, str, str], YamlDoc]  # (kind, namespace or "", name)
    bindings: list[YamlDoc]
    bound: set[tuple[str, str, str]]  # keys of the roles some binding grants (or aggregation)

    def role(self, binding: YamlDoc) -> tuple[str, str, YamlDoc | None]:
        """(kind, name, document or None) of the role a binding names."""
        ref = binding.root.get("roleRef")
        if not isinstance(ref, dict):
            return "", "", None
        kind, name = str(ref.get("kind") or ""), str(ref.get("name") or "")
        ns = namespace_of(binding, "") if kind == "Role" else ""
        return (
            kind,
            name,
            self.roles.get((kind, ns, name))
            or (self.roles.get((kind, "", name)) if kind == "Role" else None),
        )

    def pieces(self, role: YamlDoc) -> list[YamlDoc]:
        """An aggregating ClusterRole's pieces: the ClusterRoles its selectors match."""
        rule_of = role.root.get("aggregationRule")
        selectors = rule_of.get("clusterRoleSelectors") if isinstance(rule_of, dict) else None
        if not isinstance(selectors, list):
            return []
        out = []
        for (kind, _, _), other in self.roles.items():
            labels = other.root.path_get("metadata", "labels") if isinstance(other.root, YMap) else None
            if kind != "ClusterRole" or other is role or not isinstance(labels, dict):
                continue
            if any(isinstance(s, dict) and s and selector_matches(s, labels) for s in selectors):
                out.append(other)
        return out

    def effective(self, role: YamlDoc) -> list[Grant]:
        found = grants(role)
        for piece in self.pieces(role):
            found += grants(piece)
        return found


def rbac_of(index) -> Rbac:
    roles: dict[tuple[str, str, str], YamlDoc] = {}
    for doc in index.of_kind(*ROLE_KINDS):
        if isinstance(doc.root, YMap):
            roles.setdefault(role_key(doc), doc)
    bindings = [doc for doc in index.of_kind(*BINDING_KINDS) if isinstance(doc.root, YMap)]
    graph = Rbac(roles, bindings, set())
    for binding in bindings:
        _, _, role = graph.role(binding)
        if role is not None:
            graph.bound.add(role_key(role))
            graph.bound.update(role_key(piece) for piece in graph.pieces(role))
    for doc in roles.values():
        labels = doc.root.path_get("metadata", "labels")
        if isinstance(labels, dict) and any(str(labels.get(k)).lower() == "true" for k in AGGREGATE_LABELS):
            graph.bound.add(role_key(doc))
    return graph


def _aggregated_into(doc: YamlDoc) -> str:
    labels = doc.root.path_get("metadata", "labels")
    if not isinstance(labels, dict):
        return ""
    names = [name for key, name in AGGREGATE_LABELS.items() if str(labels.get(key)).lower() == "true"]
    return f" (aggregated into the built-in {'/'.join(names)} role)" if names else ""


def role_key(doc: YamlDoc) -> tuple[str, str, str]:
    """(kind, namespace or "", name): several files may define the same role (rendered installs
    side by side); a binding grants each of them."""
    kind = str(doc.root.get("kind"))
    return kind, namespace_of(doc, "") if kind == "Role" else "", name_of(doc)


def _unbound(finding: Finding, graph: Rbac, doc: YamlDoc) -> Finding:
    if role_key(doc) in graph.bound:
        return finding
    return at_most(finding, Severity.NOTE)


def _role_word(doc: YamlDoc) -> str:
    return f"{doc.root.get('kind')} {name_of(doc)!r}"


def _reported_roles(index) -> Iterator[YamlDoc]:
    for doc in index.of_kind(*ROLE_KINDS):
        if isinstance(doc.root, YMap) and index.reported(doc):
            yield doc


# ---------------------------------------------------------------- role rules


@rule("k8s-rbac-wildcard", "project")
def rbac_wildcard(index, ctx) -> Iterator[Finding]:
    graph = rbac_of(index)
    for doc in _reported_roles(index):
        for grant in grants(doc):
            if not is_wildcard(grant):
                continue
            key = "resources" if "*" in grant.resources else "verbs"
            what = _wildcard_words(grant)
            unbound = "" if role_key(doc) in graph.bound else "; no binding of the project grants this role"
            own = _custom_groups_only(grant)
            finding = doc_hit(
                doc,
                grant.value_span(key, "*"),
                f"{_role_word(doc)} grants {what}{_aggregated_into(doc)}{unbound}"
                + ("; only custom resources' API groups (a note)" if own else ""),
            )
            finding = at_most(finding, Severity.NOTE) if own else finding
            yield _unbound(finding, graph, doc)


_BUILT_IN_GROUPS = frozenset({"", "apps", "batch", "policy", "autoscaling", "extensions", "*"})


def _custom_groups_only(grant: Grant) -> bool:
    """Whether every API group of the grant is a custom resources' group (`source.toolkit.fluxcd.io`):
    an operator's wildcard over its own objects, not over Kubernetes' (`*.k8s.io`, core, apps...)."""
    return bool(grant.groups) and not any(
        g in _BUILT_IN_GROUPS or g.endswith(".k8s.io") for g in grant.groups
    )


def _wildcard_words(grant: Grant, future: bool = True) -> str:
    verbs = "every verb" if "*" in grant.verbs else "/".join(grant.verbs)
    if not grant.resources:  # a nonResourceURLs rule (/metrics, /healthz, or "*")
        urls = grant.entry.get("nonResourceURLs")
        shown = ", ".join(str(u) for u in urls) if isinstance(urls, list) else "no resource"
        return f"{verbs} on the non-resource URLs {shown}"
    resources = "every resource" if "*" in grant.resources else ", ".join(grant.resources)
    groups = (
        "every API group"
        if "*" in grant.groups
        else "API group " + (", ".join(repr(g) if g else "core" for g in grant.groups) or "core")
    )
    return f"{verbs} on {resources} of {groups}" + (
        ", including whatever future versions add" if future else ""
    )


@rule("k8s-rbac-dangerous-permission", "project")
def rbac_dangerous_permission(index, ctx) -> Iterator[Finding]:
    graph = rbac_of(index)
    enabled = presets(ctx.options)
    for doc in _reported_roles(index):
        for grant in grants(doc):
            if is_wildcard(grant):
                continue  # k8s-rbac-wildcard's
            for preset in enabled:
                resource = matches(grant, preset)
                if resource is None:
                    continue
                unbound = (
                    "" if role_key(doc) in graph.bound else "; no binding of the project grants this role"
                )
                finding = doc_hit(
                    doc,
                    grant.value_span("resources", resource),
                    f"{_role_word(doc)} lets its holders {preset.says} (preset {preset.name})"
                    f"{_aggregated_into(doc)}{unbound}",
                )
                yield _unbound(finding, graph, doc)


# ---------------------------------------------------------------- binding rules

RISKY_GROUPS = {
    "system:anonymous": "every unauthenticated request",
    "system:unauthenticated": "every unauthenticated request",
    "system:authenticated": "every authenticated user and service account of the cluster",
    "system:masters": "system:masters (a group that bypasses RBAC: binding it is a sign of confusion)",
}


@rule("k8s-rbac-admin-binding", "project")
def rbac_admin_binding(index, ctx) -> Iterator[Finding]:
    for doc in index.of_kind(*BINDING_KINDS):
        if not isinstance(doc.root, YMap) or not index.reported(doc):
            continue
        ref = doc.root.get("roleRef")
        if not isinstance(ref, YMap) or ref.get("kind") != "ClusterRole":
            continue
        name = str(ref.get("name") or "")
        cluster_wide = doc.root.get("kind") == "ClusterRoleBinding"
        if name == "cluster-admin" or (name in BUILT_IN_ADMIN and cluster_wide):
            where = "in every namespace" if cluster_wide else f"in namespace {namespace_of(doc)!r}"
            yield doc_hit(
                doc,
                ref.value_span("name") if "name" in ref else ref.start(),
                f"{doc.root.get('kind')} {name_of(doc)!r} lets {_subjects_words(doc)} "
                f"{BUILT_IN_ADMIN[name]} {where}",
            )


def _subjects_words(doc: YamlDoc) -> str:
    subjects = doc.root.get("subjects")
    listed = subjects if isinstance(subjects, list) else []
    names = [f"{s.get('kind')} {s.get('name')}" for s in listed if isinstance(s, dict)]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "") or "no subject"


@rule("k8s-rbac-risky-subject", "project")
def rbac_risky_subject(index, ctx) -> Iterator[Finding]:
    for doc in index.of_kind(*BINDING_KINDS):
        if not isinstance(doc.root, YMap) or not index.reported(doc):
            continue
        subjects = doc.root.get("subjects")
        ref = doc.root.get("roleRef")
        role = f"{ref.get('kind')} {ref.get('name')!r}" if isinstance(ref, dict) else "its role"
        for subject in subjects if isinstance(subjects, YList) else ():
            if not isinstance(subject, YMap):
                continue
            kind, name = subject.get("kind"), str(subject.get("name") or "")
            span = subject.value_span("name") if "name" in subject else subject.start()
            if kind in ("Group", "User") and name in RISKY_GROUPS:
                yield doc_hit(
                    doc,
                    span,
                    f"{doc.root.get('kind')} {name_of(doc)!r} grants {role} to {RISKY_GROUPS[name]}",
                )
            elif kind == "ServiceAccount" and name == "default":
                ns = str(subject.get("namespace") or namespace_of(doc))
                yield doc_hit(
                    doc,
                    span,
                    f"{doc.root.get('kind')} {name_of(doc)!r} grants {role} to the default ServiceAccount of "
                    f"namespace {ns!r}, which every pod there that names no account runs as",
                )


# ---------------------------------------------------------------- workloads (the graph)


def _account(doc: YamlDoc) -> tuple[str, Span] | None:
    pod = pod_template(doc)
    if pod is None:
        return None
    for key in ("serviceAccountName", "serviceAccount"):
        if pod.spec.get(key):
            return str(pod.spec[key]), pod.spec.value_span(key)
    return "default", pod.holder.key_span("spec")


def _binds(binding: YamlDoc, ns: str, account: str) -> bool:
    own = namespace_of(binding, "")
    subjects = binding.root.get("subjects")
    for subject in subjects if isinstance(subjects, list) else ():
        if not isinstance(subject, dict):
            continue
        kind, name = subject.get("kind"), str(subject.get("name") or "")
        if kind == "ServiceAccount" and name == account:
            bound_ns = str(subject.get("namespace") or own)
        elif (kind, name) in {
            ("User", f"system:serviceaccount:{ns}:{account}"),
            ("Group", "system:serviceaccounts"),
            ("Group", "system:authenticated"),
            ("Group", f"system:serviceaccounts:{ns}"),
        }:
            bound_ns = ns
        else:
            continue
        if not bound_ns or not ns or bound_ns == ns:
            return True
    return False


def _powers(graph: Rbac, binding: YamlDoc, enabled: list[Preset]) -> Iterator[tuple[str, Related | None]]:
    """What a binding's role lets its subjects do: (words, the role rule as a related location)."""
    kind, name, role = graph.role(binding)
    if role is None:
        if kind == "ClusterRole" and name in BUILT_IN_ADMIN:
            yield BUILT_IN_ADMIN[name], None
        return
    for grant in graph.effective(role):
        if is_wildcard(grant):
            yield "use " + _wildcard_words(grant, future=False), _rule_related(grant)
            continue
        for preset in enabled:
            if matches(grant, preset) is not None:
                yield preset.says, _rule_related(grant)


def _rule_related(grant: Grant) -> Related:
    return Related(grant.doc.path, grant.entry.start(), f"rule of {_role_word(grant.doc)}")


@rule("k8s-workload-rbac", "project")
def workload_rbac(index, ctx) -> Iterator[Finding]:
    graph: Rbac | None = None
    enabled = presets(ctx.options)
    for doc in index.of_kind(*WORKLOAD_KINDS):
        if not isinstance(doc.root, YMap) or not index.reported(doc):
            continue
        found = _account(doc)
        if found is None:
            continue
        if graph is None:
            graph = rbac_of(index)
            if not graph.bindings:
                return
        account, span = found
        ns = namespace_of(doc, "")
        powers: dict[str, str] = {}
        related: list[Related] = []
        for binding in graph.bindings:
            if not _binds(binding, ns, account):
                continue
            if binding.root.get("kind") == "ClusterRoleBinding":
                where = "cluster-wide"
            else:
                own = namespace_of(binding, "")
                where = f"in namespace {own!r}" if own else "in its namespace"
            through = f"{binding.root.get('kind')} {name_of(binding)!r}"
            new = False
            for says, rule_at in _powers(graph, binding, enabled):
                if says not in powers:
                    powers[says] = f"{says} {where} through {through}"
                    new = True
                    if rule_at is not None and rule_at not in related:
                        related.append(rule_at)
            if new:
                related.insert(0, _binding_related(binding))
        if powers:
            listed = list(powers.values())
            shown = "; ".join(listed[:3]) + (f"; and {len(listed) - 3} more" if len(listed) > 3 else "")
            finding = doc_hit(
                doc,
                span,
                f"{doc.root.get('kind')} {name_of(doc)!r} (service account {account!r}) can {shown}",
            )
            yield _with_related(finding, related)


def _binding_related(binding: YamlDoc) -> Related:
    found = related_to(binding)
    return Related(found.path, found.span, f"binding {found.message}")


def _with_related(finding: Finding, related: Iterable[Related]) -> Finding:
    from dataclasses import replace

    return replace(finding, related=tuple(related))
