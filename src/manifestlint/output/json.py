"""Machine-readable findings: one object per finding, plus the files analysed."""

from __future__ import annotations

import json
from collections.abc import Iterator

from manifestlint import __version__
from manifestlint.engine import LintResult
from manifestlint.output import unicode_safe


def _related(finding, item: dict) -> dict:
    """Cross-file findings name the other objects they are about (SARIF's relatedLocations)."""
    if finding.related:
        item["related"] = [
            {
                "path": unicode_safe(r.path),
                "line": r.span.line,
                "column": r.span.col,
                "object": unicode_safe(r.message),
            }
            for r in finding.related
        ]
    return item


def render(result: LintResult) -> str:
    return "".join(render_pieces(result))


def render_pieces(result: LintResult) -> Iterator[str]:
    """The report in pieces, in order (the CLI writes them as they come)."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    findings = (
        _related(
            f,
            {
                "rule": f.rule,
                "severity": f.severity.label,
                "path": unicode_safe(f.path),
                "line": f.span.line,
                "column": f.span.col,
                "endLine": f.span.end_line,
                "endColumn": f.span.end_col,
                "message": unicode_safe(f.message),
                "object": unicode_safe(f.obj),
                "fingerprint": fp,
            },
        )
        for f, fp in zip(result.findings, result.fingerprints(), strict=True)
    )
    # One compact document through the C encoder: `indent=` switches json to its pure-Python
    # encoder, and one dumps call per finding rebuilt an encoder each time (pipe to `jq` to read).
    # Byte for byte `json.dumps` of the whole document, but each finding is encoded by one
    # encoder as soon as its dict is built and written out by the CLI: holding 33,000
    # findings as dicts, then the whole text, then its bytes cost ~100 MB more.
    doc = {"tool": "manifestlint", "version": __version__, "findings": _PLACEHOLDER,
           "files": [unicode_safe(p) for p in result.artifacts]}  # fmt: skip
    head, tail = json.dumps(doc, ensure_ascii=False).split(json.dumps(_PLACEHOLDER))
    yield head
    separator = "["
    for item in findings:
        yield separator + encode(item)
        separator = ", "
    yield ("[]" if separator == "[" else "]") + tail + "\n"


_PLACEHOLDER = "\u0000findings\u0000"
