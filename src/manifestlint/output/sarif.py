"""SARIF 2.1.0 as GitHub code scanning wants it (see research/sarif-precommit.md).

Built with sarif-om's generated classes so field names cannot be misspelt; serialised by
our own small walker because jschema-to-python drops values equal to their defaults (an
explicit `level: warning` would vanish). Every rule that ran is listed, results carry an
explicit level, repo-relative `%SRCROOT%` uris, full regions and stable fingerprints, and
`run.artifacts` lists every analysed file. Columns count Unicode code points.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import attr
import sarif_om as om

from manifestlint import __version__
from manifestlint.engine import LintResult
from manifestlint.model import Severity
from manifestlint.output import surrogate_bytes, unicode_safe
from manifestlint.registry import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/manifestlint/manifestlint"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
_EXPLICIT = frozenset({"level"})  # always written, even when equal to SARIF's default


def _to_plain(value: Any) -> Any:
    if attr.has(type(value)):
        out = {}
        for fld in attr.fields(type(value)):
            item = getattr(value, fld.name)
            if item is None:
                continue
            default = fld.default
            if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if item == default and fld.name not in _EXPLICIT:
                continue
            out[fld.metadata.get("schema_property_name", fld.name)] = _to_plain(item)
        return out
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    return value


GITHUB_SHOWN, GITHUB_MAX = 5_000, 25_000  # results per run code scanning displays / accepts


def limits_warning(results: int) -> str | None:
    """What GitHub code scanning will do with a run this large, when it is not 'show it all'."""
    if results > GITHUB_MAX:
        return (f"{results:,} results: GitHub code scanning rejects runs over {GITHUB_MAX:,}; "
                "narrow with --select / --ignore or --fail-on")  # fmt: skip
    if results > GITHUB_SHOWN:
        return f"{results:,} results: GitHub code scanning displays only the {GITHUB_SHOWN:,} most severe"
    return None


def rule_help_markdown(rule: Rule) -> str:
    lines = [
        f"**{rule.title}**",
        "",
        "**Why is this bad?**",
        "",
        rule.rationale,
        "",
        "**How to fix**",
        "",
        rule.fix,
    ]
    if rule.checklist:
        lines += ["", "**Checklist item(s) verified:** " + "; ".join(rule.checklist)]
    lines += ["", f"Full documentation: `manifestlint explain {rule.id}`"]
    return "\n".join(lines)


def _descriptor(rule: Rule) -> om.ReportingDescriptor:
    props: dict[str, Any] = {"tags": sorted({*rule.tags, rule.domain})[:10], "precision": rule.precision}
    if rule.security_severity is not None:
        props["security-severity"] = f"{rule.security_severity:.1f}"
    else:
        props["problem.severity"] = (
            "recommendation" if rule.severity is Severity.NOTE else rule.severity.label
        )
    return om.ReportingDescriptor(
        id=rule.id,
        name="".join(part.capitalize() for part in rule.id.split("-")),
        short_description=om.MultiformatMessageString(text=rule.title),
        full_description=om.MultiformatMessageString(text=rule.rationale[:1000]),
        help=om.MultiformatMessageString(
            text=f"{rule.rationale}\n\nFix: {rule.fix}", markdown=rule_help_markdown(rule)
        ),
        help_uri=f"{INFO_URI}/blob/main/docs/rules/{rule.id}.md",
        default_configuration=om.ReportingConfiguration(level=_LEVEL[rule.severity]),
        properties=props,
    )


def render(result: LintResult, category: str = "manifestlint/") -> str:
    rules = sorted(result.rules, key=lambda r: r.id)
    rule_index = {r.id: i for i, r in enumerate(rules)}
    uris = {
        path: quote(surrogate_bytes(result.relative(path)))
        for path in {*result.artifacts, *(f.path for f in result.findings)}
    }
    rule_of = rule_index.get
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="manifestlint",
                version=__version__,
                semantic_version=__version__,
                information_uri=INFO_URI,
                rules=[_descriptor(r) for r in rules],
            )
        ),
        automation_details=om.RunAutomationDetails(id=category),
        original_uri_base_ids={"%SRCROOT%": om.ArtifactLocation(uri=result.root.as_uri() + "/")},
        artifacts=[
            om.Artifact(location=om.ArtifactLocation(uri=uris[p], uri_base_id="%SRCROOT%"))
            for p in result.artifacts
        ],
        column_kind="unicodeCodePoints",
        results=[],
    )
    plain = _to_plain(run)
    plain["results"] = _RESULTS
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [plain]}
    head, tail = json.dumps(log, indent=2, ensure_ascii=False).split(json.dumps(_RESULTS))
    # Results are serialised one at a time as plain dicts (the same text json.dumps would write
    # for the whole list): building sarif-om objects for each and converting them afterwards
    # took 1.5 GB for 1 MB of Pods.
    pad = "\n" + " " * 8
    items = [
        pad + json.dumps(_result(finding, fp, uris, rule_of), indent=2, ensure_ascii=False).replace("\n", pad)
        for finding, fp in zip(result.findings, result.fingerprints(), strict=True)
    ]
    body = "[" + ",".join(items) + "\n" + " " * 6 + "]" if items else "[]"
    return head + body + tail + "\n"


_RESULTS = "\u0000results\u0000"  # placeholder for the results list in the run's JSON


def _result(finding: Any, fingerprint: str, uris: dict[str, str], rule_of: Any) -> dict[str, Any]:
    """One SARIF result as sarif-om + _to_plain would write it (same keys, same order)."""
    s = finding.span
    location: dict[str, Any] = {}
    if finding.obj:
        location["logicalLocations"] = [{"fullyQualifiedName": unicode_safe(finding.obj), "kind": "object"}]
    location["physicalLocation"] = {
        "artifactLocation": {"uri": uris[finding.path], "uriBaseId": "%SRCROOT%"},
        "region": {"endColumn": s.end_col, "endLine": s.end_line, "startColumn": s.col, "startLine": s.line},
    }
    return {
        "message": {"text": unicode_safe(finding.message)},
        "level": _LEVEL[finding.severity],
        "locations": [location],
        "partialFingerprints": {"manifestlint/v1": fingerprint},
        "ruleId": finding.rule,
        "ruleIndex": rule_of(finding.rule, -1),
    }
