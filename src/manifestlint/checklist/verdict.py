"""A status per checklist item, from rule findings and positive evidence.

- **verified**: positive evidence (objects, alerts, config entries cited as `path:line`,
  see `evidence.py`) and no finding of the rules mapped to the item (their `checklist:`
  metadata);
- **failing**: a mapped rule reported something (every finding as `path:line`), or what
  the item asks for is missing or declared without effect;
- **no evidence**: the item is checkable but nothing in the files shows it (a CI scanner,
  a burn-rate alert, a paging receiver...), and no rule found anything wrong;
- **absent**: nothing of the item's kind is in the named files (no Istio resources);
- **not statically checkable**: no rule or evidence maps to the item (JWT, MFA, pen tests).

Each verdict says what was checked ("4 DestinationRules, outlier detection in effect on 2").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from manifestlint.checklist import evidence_mesh, evidence_ops
from manifestlint.checklist.evidence import (
    GENERIC,
    ITEM_CATEGORIES,
    Evidence,
    Project,
    generic,
)  # fmt: skip
from manifestlint.checklist.evidence_ops import slo_findings
from manifestlint.checklist.items import Item, match_known
from manifestlint.classify import is_dockerfile_name
from manifestlint.engine import LintResult
from manifestlint.model import Finding, Severity
from manifestlint.registry import Registry, Rule

VERIFIED, FAILING, NO_EVIDENCE, ABSENT, UNCHECKABLE = (
    "verified", "failing", "no evidence", "absent", "not statically checkable",
)  # fmt: skip
STATUSES = (VERIFIED, FAILING, NO_EVIDENCE, ABSENT, UNCHECKABLE)


@dataclass(slots=True)
class Verdict:
    item: Item
    known: str | None  # the known item text it was matched to
    status: str
    rules: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    checked: str = ""  # what was looked at, in a few words
    missing: bool = False  # the item asks for an object that is not there (or has no effect)

    @property
    def severity(self) -> Severity | None:
        """The highest severity that makes the item fail (missing evidence counts as a warning)."""
        if self.status != FAILING:
            return None
        levels = [f.severity for f in self.findings]
        if not self.findings or self.missing:
            levels.append(Severity.WARNING)
        return max(levels)


def evidence_map() -> dict[str, Callable[[Project], Evidence]]:
    """Checklist item -> what judges it from the project (evidence_mesh and evidence_ops hold
    them; kept here so that those modules and evidence.py do not import each other)."""
    return {**evidence_mesh.EVIDENCE, **evidence_ops.EVIDENCE}


def item_rules(registry: Registry) -> dict[str, list[Rule]]:
    """Known item text -> rules whose metadata names it (the one item<->rule mapping)."""
    out: dict[str, list[Rule]] = {}
    for rule in registry:
        for text in rule.checklist:
            out.setdefault(text, []).append(rule)
    return out


def _subjects(result: LintResult, project: Project) -> dict:
    index = project.index
    objects = [d for d in index.objects if index.reported(d)]
    return {
        "dockerfile": any(is_dockerfile_name(p.rsplit("/", 1)[-1]) for p in result.artifacts),
        "kubernetes": bool(objects),
        "alertmanager": any(index.reported(d) for d in index.alertmanager),
        "prometheus-rules": any(index.reported(g.doc) for g in index.rule_groups),
        "prometheus-config": any(index.reported(d) for d in index.prometheus_configs),
        "istio": bool(project.istio()),
        "kinds": {str(d.root.get("kind")) for d in objects},
    }


def _ran_on_subject(rule: Rule, subjects: dict) -> bool:
    """Whether the rule had something of its kind to look at in the named files."""
    if rule.scope == "kubernetes":
        return bool(subjects["kinds"] & set(rule.kinds)) if rule.kinds else subjects["kubernetes"]
    if rule.scope in ("dockerfile", "alertmanager", "prometheus-rules", "prometheus-config"):
        return subjects[rule.scope]
    domain = {
        "k8s": "kubernetes",
        "docker": "dockerfile",
        "prometheus": "prometheus-rules",
        "schema": "kubernetes",
    }
    return bool(subjects.get(domain.get(rule.domain, rule.domain), subjects["kubernetes"]))


# Schema findings (unknown fields, wrong types) are mapped to items by topic: only those on
# fields of that topic concern the item (a misplaced DestinationRule field is not a probe).
SCHEMA_TOPICS = {
    "Health checks implemented": ("probe",),
    "Health checks": ("probe",),
    "Resource limits configured": ("resources", "limits", "requests"),
}


def _relevant(finding: Finding, text: str) -> bool:
    topics = SCHEMA_TOPICS.get(text)
    if topics and finding.rule.startswith("schema-"):
        return any(t in finding.message.lower() for t in topics)
    categories = ITEM_CATEGORIES.get(text)
    if categories is None or " alerts:" not in finding.obj:
        return True
    return finding.obj.rsplit(" alerts:", 1)[1] in categories


def _evidence(
    text: str, rules: list[Rule], present: bool, project: Project, dockerfiles: list[str]
) -> Evidence:
    function = evidence_map().get(text)
    if function is not None:
        return function(project)
    if text in GENERIC:
        return generic(project, rules, dockerfiles)
    if not present:
        return Evidence("absent", [], "nothing of the kinds these rules check")
    why = "the mapped rules found nothing wrong, but nothing in the files shows this item"
    return Evidence("none", [why], f"{len(rules)} rules ran")


def _status(findings: list[Finding], evidence: Evidence, present: bool) -> str:
    if findings or evidence.state == "missing":
        return FAILING
    if evidence.state == "ok":
        return VERIFIED
    if evidence.state == "absent" and not present:
        return ABSENT
    return NO_EVIDENCE


def judge(items: list[Item], result: LintResult, registry: Registry, project: Project) -> list[Verdict]:
    mapping = item_rules(registry)
    evidence = evidence_map()
    known = list(dict.fromkeys([*mapping, *evidence, *GENERIC]))
    ran = {r.id for r in result.rules}
    subjects = _subjects(result, project)
    dockerfiles = [p for p in result.artifacts if is_dockerfile_name(p.rsplit("/", 1)[-1])]
    by_rule: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    verdicts = []
    for item in items:
        text = match_known(item.text, known)
        rules = [r for r in mapping.get(text or "", []) if r.id in ran]
        if text is None or (not rules and text not in evidence):
            verdicts.append(Verdict(item, text, UNCHECKABLE))
            continue
        keep = slo_findings(project) if text == "SLO-based alerting" else (lambda _f: True)
        findings = sorted(
            (f for r in rules for f in by_rule.get(r.id, ()) if _relevant(f, text) and keep(f)),
            key=Finding.sort_key,
        )
        present = any(_ran_on_subject(r, subjects) for r in rules) or bool(findings)
        found = _evidence(text, rules, present, project, dockerfiles)
        status = _status(findings, found, present)
        checked = found.checked + (
            f"; {len(findings)} finding{'s' if len(findings) > 1 else ''}" if findings else ""
        )
        verdicts.append(
            Verdict(
                item,
                text,
                status,
                [r.id for r in rules],
                findings,
                found.notes,
                checked.strip("; "),
                missing=found.state == "missing",
            )
        )
    return verdicts
