"""SARIF 2.1.0 as GitHub code scanning wants it (see research/sarif-precommit.md).

Written as plain dicts, keys in the order sarif-om's generated classes (and our walker over
them, which dropped values equal to SARIF's defaults but kept an explicit `level`) wrote
them: importing sarif-om and attrs cost a one-file call ~45 ms and the walk more. The tests
build the same log with sarif-om and compare (tests/test_sarif.py), and validate it against
both schemas in schemas/. Every rule that ran is listed, results carry an
explicit level, repo-relative `%SRCROOT%` uris, full regions and stable fingerprints, and
`run.artifacts` lists every analysed file. Columns count Unicode code points.

`automationDetails` is written only for an explicit category (otherwise the upload action's
own `category:` input applies), `security-severity` follows the configured severity
(runner.active_rules), cross-file findings carry the other objects as `relatedLocations`, and
`helpUri` appears only when the configuration says where the rule pages are published
(`docs-url`): there is no public home to link to otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from json.encoder import encode_basestring as _json_str  # the C encoder's string escape
from typing import Any
from urllib.parse import quote

from manifestlint import __version__
from manifestlint.engine import LintResult
from manifestlint.model import Severity, fix_of
from manifestlint.output import surrogate_bytes, unicode_safe
from manifestlint.registry import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


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


def help_uri(docs_url: str | None, rule_id: str) -> str | None:
    """The rule's page under the configured `docs-url` (`{rule}` replaced, or `/<id>.md`)."""
    if not docs_url:
        return None
    if "{rule}" in docs_url:
        return docs_url.replace("{rule}", rule_id)
    return f"{docs_url.rstrip('/')}/{rule_id}.md"


def automation_id(category: str) -> str:
    """GitHub's `category/` form: everything before the last `/` is the category, so a bare
    `infra` (read by GitHub as a run id with no category) becomes `infra/`."""
    return category if category.endswith("/") else category + "/"


def _descriptor(rule: Rule, docs_url: str | None = None) -> dict[str, Any]:
    """The rule's `reportingDescriptor` (SARIF's optional keys only when set)."""
    props: dict[str, Any] = {"tags": sorted({*rule.tags, rule.domain})[:10], "precision": rule.precision}
    if rule.security_severity is not None:
        props["security-severity"] = f"{rule.security_severity:.1f}"
    else:
        props["problem.severity"] = (
            "recommendation" if rule.severity is Severity.NOTE else rule.severity.label
        )
    out: dict[str, Any] = {
        "id": rule.id,
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "fullDescription": {"text": rule.rationale[:1000]},
        "help": {"text": f"{rule.rationale}\n\nFix: {rule.fix}", "markdown": rule_help_markdown(rule)},
    }
    uri = help_uri(docs_url, rule.id)
    if uri is not None:
        out["helpUri"] = uri
    out["name"] = "".join(part.capitalize() for part in rule.id.split("-"))
    out["properties"] = props
    out["shortDescription"] = {"text": rule.title}
    return out


def _run(
    rules: list[Rule], artifacts: list[str], uris: dict[str, str], root_uri: str, category: str | None,
    docs_url: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The run without its results (`results` holds the placeholder they replace)."""
    driver: dict[str, Any] = {"name": "manifestlint"}
    if docs_url and "{rule}" not in docs_url:
        driver["informationUri"] = docs_url
    driver["rules"] = [_descriptor(r, docs_url) for r in rules]
    driver["semanticVersion"] = __version__
    driver["version"] = __version__
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "artifacts": [{"location": {"uri": uris[p], "uriBaseId": "%SRCROOT%"}} for p in artifacts],
    }
    if category:
        run["automationDetails"] = {"id": automation_id(category)}
    run["columnKind"] = "unicodeCodePoints"
    run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": root_uri}}
    run["results"] = _RESULTS
    return run


def render(
    result: LintResult,
    category: str | None = None,
    docs_url: str | None = None,
    show_suppressed: bool = False,
) -> str:
    """The SARIF log. `show_suppressed`: findings hidden by a directive or the baseline are
    results too, with `suppressions` (SARIF wants the property on every result of the run
    then: `[]` on the others)."""
    return "".join(render_pieces(result, category, docs_url, show_suppressed))


def render_pieces(
    result: LintResult,
    category: str | None = None,
    docs_url: str | None = None,
    show_suppressed: bool = False,
) -> Iterator[str]:
    """The SARIF log in pieces, in order (the CLI writes them as they come)."""
    rules = sorted(result.rules, key=lambda r: r.id)
    rule_index = {r.id: i for i, r in enumerate(rules)}
    hidden = result.suppressed if show_suppressed else []
    shown = [*result.findings, *(h.finding for h in hidden)]
    uris = {
        path: quote(surrogate_bytes(result.relative(path)))
        for path in {*result.artifacts, *(f.path for f in shown), *(r.path for f in shown for r in f.related)}
    }
    rule_of = rule_index.get
    run = _run(rules, result.artifacts, uris, result.root.as_uri() + "/", category, docs_url)
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    # Compact JSON through the C encoder (`indent` falls back to the pure-Python one: 59% of
    # the render on 2,000 documents); one result per line keeps the log greppable and diffable.
    head, tail = json.dumps(log, ensure_ascii=False).split(json.dumps(_RESULTS))
    # Results are serialised one at a time, each written out by the CLI as soon as it is built:
    # building sarif-om objects for each and converting them afterwards took 1.5 GB for 1 MB of
    # Pods; holding every dict, then the whole text, then its bytes still ~150 MB (33,000
    # results). Most are written from a text template (_result_text); those with related
    # locations or suppressions as dicts through the C encoder.
    scores = {r.id: r.security_severity for r in rules if r.security_severity is not None}
    encode = json.JSONEncoder(ensure_ascii=False).encode
    yield head
    separator = "[\n"
    quoted = {path: _json_str(uri) for path, uri in uris.items()}
    props = {
        rule: f', "properties": {{"security-severity": "{score:.1f}"}}' for rule, score in scores.items()
    }
    fixable = {r.id for r in rules if r.fixable}
    for f, fp in zip(result.findings, result.fingerprints(), strict=True):
        fix = fix_of(f) if f.rule in fixable and f.fix is not None else None
        fix = fix if fix is not None and fix.edits else None
        if f.related or show_suppressed or not _int_span(f.span) or fix is not None:
            item = _result(f, fp, uris, rule_of, scores, fix)
            if show_suppressed:
                item["suppressions"] = []
            yield separator + encode(item)
        else:
            yield separator + _result_text(f, fp, quoted, rule_of, props)
        separator = ",\n"
    if show_suppressed:
        from manifestlint.report import fingerprints

        hidden_fps = fingerprints([h.finding for h in hidden], result.relative)
        for h, fp in zip(hidden, hidden_fps, strict=True):
            item = _result(h.finding, fp, uris, rule_of, scores)
            item["suppressions"] = [{"kind": h.kind, "justification": unicode_safe(h.justification)}]
            yield separator + encode(item)
            separator = ",\n"
    yield ("[]" if separator == "[\n" else "\n]") + tail + "\n"


_RESULTS = "\u0000results\u0000"  # placeholder for the results list in the run's JSON


def _region(span: Any) -> dict[str, int]:
    return {
        "endColumn": span.end_col,
        "endLine": span.end_line,
        "startColumn": span.col,
        "startLine": span.line,
    }


def _int_span(span: Any) -> bool:
    """Whether a span holds plain ints (always, from the parser): what the template writes."""
    line, col, end_line, end_col = span
    return type(line) is int and type(col) is int and type(end_line) is int and type(end_col) is int


def _result_text(
    finding: Any, fingerprint: str, quoted: dict[str, str], rule_of: Any, props: dict[str, str]
) -> str:
    """The JSON text of `_result` for a finding without related locations, written from a
    template: the C encoder's output byte for byte (compact separators, its string escapes
    through the same C function), without building the result's dozen dicts and lists and
    walking them again (tests/test_sarif.py checks the two agree). `quoted`: each path's uri
    as a JSON string; `props`: the properties member of each rule with a security severity."""
    line, col, end_line, end_col = finding.span
    where = (
        f'"logicalLocations": [{{"fullyQualifiedName": {_json_str(unicode_safe(finding.obj))}, '
        '"kind": "object"}], '
        if finding.obj
        else ""
    )
    return (
        f'{{"message": {{"text": {_json_str(unicode_safe(finding.message))}}}, '
        f'"level": "{_LEVEL[finding.severity]}", "locations": [{{{where}"physicalLocation": '
        f'{{"artifactLocation": {{"uri": {quoted[finding.path]}, "uriBaseId": "%SRCROOT%"}}, '
        f'"region": {{"endColumn": {end_col}, "endLine": {end_line}, "startColumn": {col}, '
        f'"startLine": {line}}}}}}}], '
        f'"partialFingerprints": {{"manifestlint/v1": {_json_str(fingerprint)}}}, '
        f'"ruleId": {_json_str(finding.rule)}, "ruleIndex": {rule_of(finding.rule, -1)}'
        f"{props.get(finding.rule, '')}}}"
    )


def _result(
    finding: Any,
    fingerprint: str,
    uris: dict[str, str],
    rule_of: Any,
    scores: dict[str, float],
    fix: Any = None,
) -> dict[str, Any]:
    """One SARIF result as sarif-om's classes would write it (same keys, same order)."""
    s = finding.span
    location: dict[str, Any] = {}
    if finding.obj:
        location["logicalLocations"] = [{"fullyQualifiedName": unicode_safe(finding.obj), "kind": "object"}]
    location["physicalLocation"] = {
        "artifactLocation": {"uri": uris[finding.path], "uriBaseId": "%SRCROOT%"},
        "region": _region(s),
    }
    out: dict[str, Any] = {
        "message": {"text": unicode_safe(finding.message)},
        "level": _LEVEL[finding.severity],
        "locations": [location],
        "partialFingerprints": {"manifestlint/v1": fingerprint},
        "ruleId": finding.rule,
        "ruleIndex": rule_of(finding.rule, -1),
    }
    if finding.related:
        out["relatedLocations"] = [
            {
                "id": number,
                "message": {"text": unicode_safe(other.message)},
                "physicalLocation": {
                    "artifactLocation": {"uri": uris[other.path], "uriBaseId": "%SRCROOT%"},
                    "region": _region(other.span),
                },
            }
            for number, other in enumerate(finding.related[:MAX_RELATED], start=1)
        ]
    if fix is not None:  # what `lint --fix` would do, for viewers that offer it (SARIF 3.55)
        out["fixes"] = [_fix(fix, uris[finding.path])]
    if finding.rule in scores:  # GitHub ranks by the rule's; kept on the result for other readers
        out["properties"] = {"security-severity": f"{scores[finding.rule]:.1f}"}
    return out


def _fix(fix: Any, uri: str) -> dict[str, Any]:
    """A SARIF `fix`: the edits as replacements of the finding's file (an empty deleted
    region is an insertion; inserted newlines are LF whatever the file uses)."""
    return {
        "description": {"text": unicode_safe(fix.title)},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                "replacements": [
                    {
                        "deletedRegion": _region(edit.span),
                        "insertedContent": {"text": unicode_safe(edit.text)},
                    }
                    for edit in fix.edits
                ],
            }
        ],
    }


MAX_RELATED = 20  # GitHub shows few; a Service selecting 500 Deployments needs no 500 links
