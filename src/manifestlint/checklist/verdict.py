"""A status per checklist item, from rule findings and presence evidence.

- **verified**: the rules mapped to the item (their `checklist:` metadata) ran on objects
  of the relevant kind and found nothing, and the positive evidence exists where the item
  asks for presence;
- **failing**: a mapped rule reported something (every finding as `path:line`), or the
  asked-for object is missing;
- **absent**: nothing of the item's kind is in the named files (e.g. no Istio resources);
- **not statically checkable**: no rule or evidence maps to the item (JWT, MFA, pen tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from manifestlint.checklist.evidence import EVIDENCE, ITEM_CATEGORIES, Project
from manifestlint.checklist.items import Item, match_known
from manifestlint.classify import is_dockerfile_name
from manifestlint.engine import LintResult
from manifestlint.model import Finding, Severity
from manifestlint.registry import Registry, Rule

VERIFIED, FAILING, ABSENT, UNCHECKABLE = "verified", "failing", "absent", "not statically checkable"


@dataclass(slots=True)
class Verdict:
    item: Item
    known: str | None  # the known item text it was matched to
    status: str
    rules: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    missing: bool = False  # the item asks for an object that is not there

    @property
    def severity(self) -> Severity | None:
        """The highest severity that makes the item fail (missing evidence counts as a warning)."""
        if self.status != FAILING:
            return None
        levels = [f.severity for f in self.findings]
        if not self.findings or self.missing:
            levels.append(Severity.WARNING)
        return max(levels)


def item_rules(registry: Registry) -> dict[str, list[Rule]]:
    """Known item text -> rules whose metadata names it (the one item<->rule mapping)."""
    out: dict[str, list[Rule]] = {}
    for rule in registry:
        for text in rule.checklist:
            out.setdefault(text, []).append(rule)
    return out


def _subjects(result: LintResult, project: Project) -> dict[str, bool]:
    index = project.index
    objects = [d for d in index.objects if index.reported(d)]
    kinds = {str(d.root.get("kind")) for d in objects}
    istio = bool(project.istio())
    return {
        "dockerfile": any(is_dockerfile_name(p.rsplit("/", 1)[-1]) for p in result.artifacts),
        "kubernetes": bool(objects),
        "alertmanager": any(index.reported(d) for d in index.alertmanager),
        "prometheus-rules": any(index.reported(g.doc) for g in index.rule_groups),
        "istio": istio,
        "kinds": kinds,  # type: ignore[dict-item]
    }


def _ran_on_subject(rule: Rule, subjects: dict) -> bool:
    """Whether the rule had something of its kind to look at in the named files."""
    if rule.scope == "kubernetes":
        return bool(subjects["kinds"] & set(rule.kinds)) if rule.kinds else subjects["kubernetes"]
    if rule.scope in ("dockerfile", "alertmanager", "prometheus-rules"):
        return subjects[rule.scope]
    domain = {
        "k8s": "kubernetes",
        "docker": "dockerfile",
        "prometheus": "prometheus-rules",
        "schema": "kubernetes",
    }
    return bool(subjects.get(domain.get(rule.domain, rule.domain), subjects["kubernetes"]))


def _relevant(finding: Finding, text: str) -> bool:
    categories = ITEM_CATEGORIES.get(text)
    if categories is None or " alerts:" not in finding.obj:
        return True
    return finding.obj.rsplit(" alerts:", 1)[1] in categories


def judge(items: list[Item], result: LintResult, registry: Registry, project: Project) -> list[Verdict]:
    mapping = item_rules(registry)
    known = list(dict.fromkeys([*mapping, *EVIDENCE]))
    ran = {r.id for r in result.rules}
    subjects = _subjects(result, project)
    by_rule: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    verdicts = []
    for item in items:
        text = match_known(item.text, known)
        if text is None:
            verdicts.append(Verdict(item, None, UNCHECKABLE))
            continue
        rules = [r for r in mapping.get(text, []) if r.id in ran]
        evidence_fn = EVIDENCE.get(text)
        if not rules and evidence_fn is None:
            verdicts.append(Verdict(item, text, UNCHECKABLE))
            continue
        findings = sorted(
            (f for r in rules for f in by_rule.get(r.id, ()) if _relevant(f, text)), key=Finding.sort_key
        )
        present = any(_ran_on_subject(r, subjects) for r in rules) or bool(findings)
        state, notes = evidence_fn(project) if evidence_fn else ("ok" if present else "absent", [])
        verdict = Verdict(item, text, VERIFIED, [r.id for r in rules], findings)
        if state == "absent" and not present:
            verdict.status, verdict.evidence = ABSENT, notes
        elif findings or state == "missing":
            verdict.status, verdict.evidence, verdict.missing = FAILING, notes, state == "missing"
        else:
            verdict.evidence = notes
        verdicts.append(verdict)
    return verdicts
