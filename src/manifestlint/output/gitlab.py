"""GitLab Code Quality report (`artifacts: reports: codequality:`): a JSON array of issues,
each with `description`, `check_name`, `fingerprint` (unique in the report), `severity` (one of
info, minor, major, critical, blocker) and `location.path` + `location.lines.begin`, the path
relative to the repository root — the fields GitLab's documentation lists as required."""

from __future__ import annotations

import json

from manifestlint.engine import LintResult
from manifestlint.model import Finding, Severity
from manifestlint.output import unicode_safe

_SEVERITY = {Severity.NOTE: "info", Severity.WARNING: "minor", Severity.ERROR: "major"}


def severity(finding: Finding, security: dict[str, float]) -> str:
    """note -> info, warning -> minor, error -> major; an error of a security rule that GitHub
    would rank High or Critical (security-severity 7.0 or more) -> critical."""
    if finding.severity is Severity.ERROR and security.get(finding.rule, 0.0) >= 7.0:
        return "critical"
    return _SEVERITY[finding.severity]


def render(result: LintResult) -> str:
    security = {r.id: r.security_severity for r in result.rules if r.security_severity is not None}
    issues = [
        {
            "type": "issue",
            "description": unicode_safe(f"{f.message} ({f.rule})"),
            "check_name": f.rule,
            "fingerprint": fp,
            "severity": severity(f, security),
            "categories": ["Security" if f.rule in security else "Bug Risk"],
            "location": {
                "path": unicode_safe(result.relative(f.path)),
                "lines": {"begin": f.span.line, "end": f.span.end_line},
            },
        }
        for f, fp in zip(result.findings, result.fingerprints(), strict=True)
    ]
    return json.dumps(issues, ensure_ascii=False, indent=1) + "\n"
