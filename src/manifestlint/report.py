"""The report's findings: what is kept when rules repeat each other, how many of one rule
in one file are shown, and the fingerprints that identify a finding across edits (json,
SARIF, baselines); and the result of a run, `LintResult`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from manifestlint.model import Finding

if TYPE_CHECKING:
    from manifestlint.index import Index
    from manifestlint.listing import Entry
    from manifestlint.load import ParsedFile
    from manifestlint.project.bundles import ProjectModel
    from manifestlint.registry import Rule
    from manifestlint.suppress import Suppressed

INTERNAL_ERROR = "manifestlint-internal-error"  # a rule's crash, reported whatever is enabled


@dataclass(slots=True)
class LintResult:
    findings: list[Finding]
    artifacts: list[str]  # every analysed file (display paths)
    rules: list[Rule]  # every rule that ran
    root: Path  # what SARIF uris are relative to
    cwd: Path  # what display paths are relative to
    listing: list[Entry] = field(default_factory=list)  # every file linted or skipped, and why
    model: ProjectModel | None = None  # bundles and roles (manifestlint.project)
    index: Index | None = None  # the deployable files' index (context included): `checklist` reads it
    # findings hidden by an inline directive ("inSource") or the baseline ("external"), with
    # what hid them: SARIF --show-suppressed reports them as suppressed results
    suppressed: list[Suppressed] = field(default_factory=list)
    # `helm template` streams among the linted files (display path -> text and documents):
    # project/rendered.py moves their findings into the chart
    rendered: dict[str, tuple[str, list]] = field(default_factory=dict)

    def relative(self, path: str) -> str:
        """A display path as a root-relative POSIX path (SARIF uris, fingerprints, baselines)."""
        absolute = Path(os.path.abspath(self.cwd / path))
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            try:
                return absolute.resolve().relative_to(self.root).as_posix()
            except ValueError:
                return Path(path).as_posix()

    def describe(self, path: str) -> list[str]:
        """What the project model says about a file: its role and its bundles (for a verbose
        listing); empty when the file plays no part in it (a Dockerfile, a skipped file)."""
        if self.model is None:
            return []
        from manifestlint.project.context import real

        return self.model.describe(real(self.cwd / path))

    def fingerprints(self) -> list[str]:
        paths = {path: self.relative(path) for path in {f.path for f in self.findings}}  # once per file
        return fingerprints(self.findings, paths.__getitem__)


MAX_PER_RULE_AND_FILE = 500  # output stays bounded whatever the input (see runner.MAX_MESSAGE)


def cap(findings: list[Finding]) -> list[Finding]:
    """At most MAX_PER_RULE_AND_FILE findings of one rule in one file (sorted input), then one
    finding saying how many more there are, where the first of them is."""
    counts: dict[tuple[str, str], int] = {}
    for f in findings:
        key = (f.rule, f.path)
        counts[key] = counts.get(key, 0) + 1
    if all(n <= MAX_PER_RULE_AND_FILE for n in counts.values()):
        return findings
    out: list[Finding] = []
    seen: dict[tuple[str, str], int] = {}
    for f in findings:
        key = (f.rule, f.path)
        n = seen[key] = seen.get(key, 0) + 1
        if n <= MAX_PER_RULE_AND_FILE:
            out.append(f)
        elif n == MAX_PER_RULE_AND_FILE + 1:
            more = counts[key] - MAX_PER_RULE_AND_FILE
            out.append(
                replace(
                    f,
                    message=f"{more:,} more {f.rule} finding(s) in this file from here on are not shown "
                    f"(at most {MAX_PER_RULE_AND_FILE:,} per rule and file); fix these first or "
                    "narrow the run with --select / --ignore",
                    obj="",
                    doc=-1,
                )
            )
    return out


_REQUIRED_FIELD = re.compile(r"required field `([^`]+)`")


# A finding of the key rule hides, on the same line of the same object, the findings of the
# rules it lists: a namespace's Pod Security admission refuses the field the older rule reports
# as advice (privileged, hostPath, ...), and one condition gives one finding, the stronger.
SUPERSEDES = {
    "k8s-pod-security-admission": frozenset({
        "k8s-pod-security", "k8s-host-namespace", "k8s-privileged-container", "k8s-dangerous-capabilities",
        "k8s-host-path-mount", "k8s-host-port", "k8s-seccomp-unconfined", "k8s-privilege-escalation-allowed",
        "k8s-run-as-root", "k8s-seccomp-profile-missing", "k8s-capabilities-not-dropped",
    }),
}  # fmt: skip


def superseded(findings: list[Finding]) -> list[Finding]:
    """Without the findings a stronger rule's finding on the same line supersedes (SUPERSEDES)."""
    places = {(f.rule, f.path, f.doc, f.span.line) for f in findings if f.rule in SUPERSEDES}
    if not places:
        return findings
    hidden = {(member, path, doc, line) for rule, path, doc, line in places for member in SUPERSEDES[rule]}
    return [f for f in findings if (f.rule, f.path, f.doc, f.span.line) not in hidden]


def one_per_problem(findings: list[Finding]) -> list[Finding]:
    """A problem a specific rule already reports is not reported again by a schema rule:
    `runAsNonRoot: "true"` is k8s-run-as-root's, an unknown field of a rule file is
    prometheus-invalid-field's, a rule without `expr` prometheus-invalid-rule's (these agree
    with promtool and amtool). Same place for values and keys; for a missing field, a finding
    on the same line that names the field."""
    schema = [f for f in findings if f.rule.startswith("schema-") and f.rule != "schema-unknown-kind"]
    if not schema:
        return findings
    at = {(f.path, f.span.line, f.span.col) for f in findings if not f.rule.startswith("schema-")}
    refusals = {
        (f.path, f.span.line, f.span.col): f.message.lower()
        for f in findings
        if "-invalid-" in f.rule and not f.rule.startswith("schema-")
    }
    on_line: dict[tuple[str, int], list[str]] = {}
    for f in findings:
        if not f.rule.startswith("schema-"):
            on_line.setdefault((f.path, f.span.line), []).append(f.message)
    drop = set()
    for f in schema:
        if f.rule == "schema-missing-required":
            match = _REQUIRED_FIELD.search(f.message)
            word = re.compile(rf"\b{re.escape(match.group(1))}\b") if match else None
            if word and any(word.search(m) for m in on_line.get((f.path, f.span.line), ())):
                drop.add(id(f))
            elif match and match.group(1).lower() in refusals.get((f.path, f.span.line, f.span.col), ""):
                drop.add(id(f))  # prometheus-invalid-rule's "Groupname must not be empty"
        elif f.rule == "schema-unknown-field":  # a key: often also the anchor of "container has no …"
            if "not found in type" in refusals.get((f.path, f.span.line, f.span.col), ""):
                drop.add(id(f))  # alertmanager-/prometheus-invalid-field, worded as amtool/promtool
        elif (f.path, f.span.line, f.span.col) in at:
            drop.add(id(f))
    return [f for f in findings if id(f) not in drop] if drop else findings


def finish(
    findings: list[Finding],
    hidden: list[Suppressed],
    rules: list[Rule],
    parsed: list[ParsedFile],
    listing: list[Entry],
    root: Path,
    cwd: Path,
    model: ProjectModel | None,
    index: Index | None,
) -> LintResult:
    """The report: findings of the rules that ran (problems with suppression comments of rules
    that are off dropped; internal errors always kept) in path and position order, capped per
    rule and file."""
    enabled_ids = {r.id for r in rules}
    findings = [f for f in findings if f.rule in enabled_ids or f.rule == INTERNAL_ERROR]  # never hidden
    hidden = sorted((h for h in hidden if h.finding.rule in enabled_ids), key=lambda h: h.finding.sort_key())
    findings.sort(key=Finding.sort_key)
    findings = cap(findings)
    artifacts = sorted(pf.source.path for pf in parsed if pf.file_type or pf.findings)
    rendered = {
        pf.source.path: (pf.text, pf.docs)
        for pf in parsed
        if pf.dockerfile is None and "# Source: " in pf.text[:4096]
    }
    return LintResult(findings, artifacts, rules, root, cwd, listing, model, index, hidden, rendered)


def fingerprint(finding: Finding, path: str | None = None) -> str:
    """Stable under unrelated edits: rule, file (root-relative when given), object identity and
    message — not the line, so a comment added above a finding keeps its fingerprint."""
    import hashlib  # only the json and sarif formats and baselines need fingerprints

    key = "|".join((finding.rule, finding.path if path is None else path, finding.obj, finding.message))
    # surrogatepass: a non-UTF-8 file name (lone surrogates) hashes instead of raising; valid
    # text hashes exactly as before
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def fingerprints(findings: Iterable[Finding], relative: Callable[[str], str] | None = None) -> list[str]:
    """One fingerprint per finding; repeated identical keys get an occurrence suffix."""
    seen: dict[str, int] = {}
    out = []
    for finding in findings:
        base = fingerprint(finding, relative(finding.path) if relative else None)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.append(base if count == 0 else f"{base}:{count}")
    return out
