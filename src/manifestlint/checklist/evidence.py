"""Positive evidence for checklist items: what in the files *implements* an item.

A rule can only say what is wrong with objects that exist; "Horizontal Pod Autoscaler
(HPA)" is not verified by the absence of HPA findings in a project that has no HPA, nor
"Security scanning integration" by the absence of `curl | sh`. Each evidence function
looks at the named files and answers with an `Evidence`:

- `ok`:      the objects, alerts or config entries that implement the item, each cited as
             `path:line` (the item can be verified);
- `missing`: the item's subject exists but what it asks for does not, or is declared
             without effect (a STRICT PeerAuthentication that applies to no pod): failing;
- `none`:    nothing in the files shows the item (no evidence);
- `absent`:  nothing the item is about exists (no Istio objects, no workloads).

`checked` says in a few words what was looked at ("4 DestinationRules, outlier detection
effective on 2"). Items whose mapped rules check a property of every object of a kind
(probes, limits, users) get `generic` evidence: the objects those rules checked.
Kubernetes and Istio evidence is in `evidence_mesh.py`; alerting, CI and the rest in
`evidence_ops.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from manifestlint.index import Index
from manifestlint.model import Finding, YamlDoc, YMap
from manifestlint.rules.kubernetes.objects import name_anchor, name_of, namespace_of

SCALABLE = ("Deployment", "StatefulSet")
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet")
ISTIO_KINDS = (
    "Gateway", "VirtualService", "DestinationRule", "PeerAuthentication", "AuthorizationPolicy",
    "ServiceEntry", "Sidecar", "EnvoyFilter", "RequestAuthentication", "Telemetry",
)  # fmt: skip
MAX_NOTES = 12  # citations per item; the count says how many more


@dataclass(slots=True)
class Evidence:
    state: str  # ok | missing | none | absent
    notes: list[str] = field(default_factory=list)
    checked: str = ""


@dataclass(slots=True)
class Project:
    """What evidence functions read: the named files' objects, the alerts as understood,
    the lint findings (a config the loader refuses takes no effect) and the named paths
    (CI workflows are evidence for scanning)."""

    index: Index
    policy: object  # alerts.policy.Policy
    alerts: list = field(default_factory=list)  # rules.prometheus.thresholds.Alert
    understood: list = field(default_factory=list)  # (RuleGroups, entry YMap, Understanding)
    findings: list[Finding] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)  # the named files and folders
    artifacts: list[str] = field(default_factory=list)  # display paths of the linted files

    def objects(self, *kinds: str) -> list[YamlDoc]:
        return [d for d in self.index.of_kind(*kinds) if self.index.reported(d)]

    def istio(self) -> list[YamlDoc]:
        return [d for d in self.objects(*ISTIO_KINDS) if "istio.io" in str(d.root.get("apiVersion"))]

    def refused(self, doc: YamlDoc) -> list[Finding]:
        """Error findings of the Alertmanager rules on `doc`: the loader refuses it."""
        return [
            f
            for f in self.findings
            if f.path == doc.path
            and f.severity.label == "error"
            and f.rule.startswith("alertmanager-")
            and (f.doc in (-1, doc.index))
        ]


def where(doc: YamlDoc) -> str:
    return f"{doc.path}:{name_anchor(doc).line}"


def ident(doc: YamlDoc) -> str:
    return f"{doc.root.get('kind')} {namespace_of(doc)}/{name_of(doc)}"


def cite(doc: YamlDoc, what: str = "") -> str:
    return f"{ident(doc)}{' ' + what if what else ''} ({where(doc)})"


def capped(notes: list[str]) -> list[str]:
    if len(notes) <= MAX_NOTES:
        return notes
    return [*notes[:MAX_NOTES], f"… and {len(notes) - MAX_NOTES} more"]


def plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    if word.endswith("y") and not word.endswith(("ey", "ay")):
        return f"{n} {word[:-1]}ies"
    return f"{n} {word}s"


def spec(doc: YamlDoc) -> YMap:
    value = doc.root.get("spec")
    return value if isinstance(value, YMap) else YMap()


# ---------------------------------------------------------------- generic evidence


def _final_from(path: str) -> int:
    """The line of a Dockerfile's last FROM (the image that ships)."""
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 1
    found = [n for n, line in enumerate(lines, 1) if line.lstrip().upper().startswith("FROM ")]
    return found[-1] if found else 1


def generic(project: Project, rules: list, dockerfiles: list[str]) -> Evidence:
    """The objects the item's rules checked (each passed them when there is no finding)."""
    kinds: set[str] = set()
    docker = False
    configs = [d for d in project.index.alertmanager if project.index.reported(d)]
    if any(rule.scope == "alertmanager" for rule in rules) and configs:
        notes = [f"Alertmanager configuration {d.path}:{d.span.line}" for d in configs]
        return Evidence("ok", notes, f"{plural(len(configs), 'Alertmanager configuration')} checked")
    for rule in rules:
        if rule.scope == "dockerfile" or rule.domain == "docker":
            docker = True
        elif rule.kinds:
            kinds.update(rule.kinds)
        elif rule.scope in ("kubernetes", "project") or rule.domain in ("k8s", "schema"):
            kinds.update(WORKLOADS)
    docs = project.objects(*sorted(kinds)) if kinds else []
    notes = [cite(d) for d in docs]
    notes += [f"Dockerfile {p}:{_final_from(p)}" for p in dockerfiles if docker]
    parts = []
    if docs:
        parts.append(plural(len(docs), "object"))
    if docker and dockerfiles:
        parts.append(plural(len(dockerfiles), "Dockerfile"))
    if not notes:
        return Evidence("absent", [], "nothing of the kinds these rules check")
    return Evidence("ok", capped(notes), f"{' and '.join(parts)} checked by {plural(len(rules), 'rule')}")


# Items whose rules check a property of every object of a kind: no finding on an object
# means the object has the property.
GENERIC = frozenset({
    "Non-root user execution", "Read-only root filesystem", "Health checks implemented", "Health checks",
    "Resource limits configured", "Resource quotas and limits", "Capacity planning done",
    "Pod security policies", "Minimal base images", "Load balancing", "Namespace isolation",
    "AlertManager configuration", "Multi-stage production Dockerfile with security hardening",
})  # fmt: skip


# Findings of the per-category alert rules (obj "... alerts:<category>") count only for the
# items about that category.
ITEM_CATEGORIES = {
    "Error rate monitoring": {"error-rate"},
    "Response time monitoring": {"latency"},
    "Resource utilization monitoring": {"cpu", "memory", "disk"},
}
