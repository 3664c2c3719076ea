"""The platform decides admission (issue 19, principle 3): OpenShift by evidence.

Under OpenShift every pod is admitted through a SecurityContextConstraints (SCC). Without a
grant, a ServiceAccount's pods get `restricted` (`restricted-v2`): a random non-root UID from
the namespace's range, all capabilities dropped, no privilege escalation, the runtime's default
seccomp profile — whatever the manifest leaves unset. So "may run as root", "keeps the default
capabilities", "allows privilege escalation", "sets no seccompProfile" are not true there, and a
Namespace's Pod Security labels are not what enforces anything. Those findings stand only for a
ServiceAccount granted an SCC that lets pods run as root (`anyuid`, `privileged`,
`hostmount-anyuid`, or an SCC of the project with `runAsUser.type: RunAsAny`): by a
RoleBinding/ClusterRoleBinding to `system:openshift:scc:<name>` (or to a role that may `use`
it), or by the SCC's own `users:`/`groups:`.

OpenShift is detected from the files (`platform: auto`): an `*.openshift.io` apiVersion, a
Route, DeploymentConfig, ImageStream, BuildConfig, Template or SecurityContextConstraints, or an
`openshift.io/` annotation; `platform: openshift` / `kubernetes` in the config decide instead.
The evidence counts for the deploy unit that holds it (the bundles of the project model: a
kustomize tree, a folder of files applied together), not for the whole repository: one SCC
"for OpenShift compatibility" beside plain Kubernetes packages says nothing about how those
packages are admitted. A file judged under OpenShift is one whose every deploy unit holds
evidence (a base that a Kubernetes overlay deploys too keeps its findings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from manifestlint.model import Finding, YamlDoc

OPENSHIFT_KINDS = frozenset(
    {"Route", "DeploymentConfig", "ImageStream", "ImageStreamTag", "BuildConfig", "Template",
     "SecurityContextConstraints", "Project"}
)  # fmt: skip
ROOT_SCCS = frozenset({"anyuid", "privileged", "hostmount-anyuid"})
# What the restricted SCC supplies when the manifest leaves it unset.
SCC_DEFAULTED = frozenset(
    {"k8s-run-as-root", "k8s-privilege-escalation-allowed", "k8s-capabilities-not-dropped",
     "k8s-seccomp-profile-missing", "k8s-namespace-missing-pod-security"}
)  # fmt: skip
_SCC_ROLE = "system:openshift:scc:"


def openshift_evidence(objects: Iterable[YamlDoc]) -> str | None:
    """The first evidence that the manifests are for OpenShift, as a phrase; None if none."""
    return next(filter(None, map(_evidence, objects)), None)


def _evidence(doc: YamlDoc) -> str | None:
    root = doc.root
    if not isinstance(root, dict):
        return None
    api, kind = str(root.get("apiVersion") or ""), str(root.get("kind") or "")
    if "openshift.io" in api.split("/")[0] or kind in OPENSHIFT_KINDS:
        return f"{kind} in {doc.path}"
    meta = root.get("metadata")
    notes = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(notes, dict) and any("openshift.io/" in str(k) for k in notes):
        return f"an openshift.io/ annotation in {doc.path}"
    return None


def openshift_units(
    objects: Iterable[YamlDoc], units_of: Callable[[str], tuple[str, ...]]
) -> Callable[[str], bool]:
    """Whether a file (by display path) is deployed on OpenShift only: every deploy unit it
    belongs to (`units_of`, the project model's bundles) holds OpenShift evidence."""
    marked = {unit for doc in objects if _evidence(doc) for unit in units_of(doc.path)}
    if not marked:
        return lambda path: False
    return lambda path: (units := units_of(path)) != () and all(u in marked for u in units)


@dataclass(slots=True)
class Grants:
    """Who may run pods as root: service accounts, whole namespaces, everyone."""

    accounts: set[tuple[str, str]] = field(default_factory=set)  # (namespace, name)
    namespaces: set[str] = field(default_factory=set)
    everyone: bool = False

    def allow(self, namespace: str, account: str) -> bool:
        """Whether pods of `account` in `namespace` may run as root; an object without a
        namespace of its own lands wherever it is applied: any grant to that account counts."""
        if self.everyone or namespace in self.namespaces or (namespace, account) in self.accounts:
            return True
        return not namespace and (bool(self.namespaces) or any(a == account for _, a in self.accounts))

    def add_user(self, text: str) -> None:
        parts = text.split(":")
        if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
            self.accounts.add((parts[2], parts[3]))

    def add_group(self, text: str) -> None:
        if text in ("system:serviceaccounts", "system:authenticated"):
            self.everyone = True
        elif text.startswith("system:serviceaccounts:"):
            self.namespaces.add(text.removeprefix("system:serviceaccounts:"))


def _ns(doc: YamlDoc) -> str:
    meta = doc.root.get("metadata") if isinstance(doc.root, dict) else None
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    return str(ns) if ns else "default"


def _name(doc: YamlDoc) -> str:
    meta = doc.root.get("metadata") if isinstance(doc.root, dict) else None
    return str(meta.get("name") or "") if isinstance(meta, dict) else ""


def _root_sccs(objects: list[YamlDoc]) -> set[str]:
    """SCC names that let pods run as root: the built-in ones and the project's RunAsAny SCCs."""
    out = set(ROOT_SCCS)
    for doc in objects:
        if doc.root.get("kind") == "SecurityContextConstraints":
            run_as = doc.root.get("runAsUser")
            if isinstance(run_as, dict) and run_as.get("type") == "RunAsAny":
                out.add(_name(doc))
    return out


def _scc_roles(objects: list[YamlDoc], sccs: set[str]) -> set[str]:
    """Roles and ClusterRoles that grant `use` of a root SCC."""
    out = {_SCC_ROLE + name for name in sccs}
    for doc in objects:
        if doc.root.get("kind") not in ("Role", "ClusterRole"):
            continue
        rules = doc.root.get("rules")
        for item in rules if isinstance(rules, list) else ():
            if not isinstance(item, dict):
                continue
            resources, verbs, names = (item.get(k) or [] for k in ("resources", "verbs", "resourceNames"))
            if not all(isinstance(v, list) for v in (resources, verbs, names)):
                continue
            usable = "securitycontextconstraints" in resources and ("use" in verbs or "*" in verbs)
            if usable and (not names or sccs.intersection(str(n) for n in names)):
                out.add(_name(doc))
    return out


def root_grants(objects: list[YamlDoc]) -> Grants:
    """Who the project grants an SCC that runs pods as root (see the module docstring)."""
    grants = Grants()
    sccs = _root_sccs(objects)
    roles = _scc_roles(objects, sccs)
    for doc in objects:
        kind = doc.root.get("kind")
        if kind == "SecurityContextConstraints" and _name(doc) in sccs:
            for user in doc.root.get("users") or ():
                grants.add_user(str(user))
            for group in doc.root.get("groups") or ():
                grants.add_group(str(group))
        elif kind in ("RoleBinding", "ClusterRoleBinding"):
            ref = doc.root.get("roleRef")
            if not isinstance(ref, dict) or str(ref.get("name")) not in roles:
                continue
            for subject in doc.root.get("subjects") or ():
                if not isinstance(subject, dict):
                    continue
                what, name = subject.get("kind"), str(subject.get("name") or "")
                if what == "ServiceAccount":
                    grants.accounts.add((str(subject.get("namespace") or _ns(doc)), name))
                elif what == "Group":
                    grants.add_group(name)
                elif what == "User":
                    grants.add_user(name)
    return grants


def _defaulted(f: Finding) -> bool:
    """Whether the finding is about a field the manifest leaves unset (which the SCC then
    sets), not a value it writes (`runAsUser: 0`, `allowPrivilegeEscalation: true`,
    `privileged: true`: the restricted SCC refuses those, they stay reported)."""
    if f.rule not in SCC_DEFAULTED:
        return False
    if f.rule == "k8s-run-as-root":
        return "runAsUser is 0" not in f.message and "not a boolean" not in f.message
    if f.rule == "k8s-privilege-escalation-allowed":
        return "setuid binaries can gain root" in f.message
    return True


def admitted(
    findings: list[Finding],
    doc_at: Callable[[str, int], YamlDoc | None],
    account_of: Callable[[YamlDoc], tuple[str, str] | None],
    grants: Grants,
    on_openshift: Callable[[str], bool] = lambda path: True,
) -> list[Finding]:
    """`findings` without those the restricted SCC makes untrue: SCC_DEFAULTED findings on pods
    whose ServiceAccount has no root grant, and Pod Security label findings, in the files
    deployed on OpenShift (`on_openshift`). A container that asks for uid 0 itself
    (`runAsUser: 0`) or a refused value stays reported."""
    out = []
    for f in findings:
        if not _defaulted(f) or not on_openshift(f.path):
            out.append(f)
            continue
        if f.rule == "k8s-namespace-missing-pod-security":
            continue  # SCCs, not Pod Security labels, decide admission on OpenShift
        doc = doc_at(f.path, f.doc) if f.doc >= 0 else None
        account = account_of(doc) if doc is not None else None
        if account is None or grants.allow(*account):
            out.append(f)
    return out


__all__ = [
    "OPENSHIFT_KINDS", "ROOT_SCCS", "SCC_DEFAULTED", "Grants",
    "admitted", "openshift_evidence", "openshift_units", "root_grants",
]  # fmt: skip
