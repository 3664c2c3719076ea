"""Machine-readable findings: one object per finding, plus the files analysed."""

from __future__ import annotations

import json

from manifestlint import __version__
from manifestlint.engine import LintResult, fingerprints


def render(result: LintResult) -> str:
    findings = [
        {
            "rule": f.rule,
            "severity": f.severity.label,
            "path": f.path,
            "line": f.span.line,
            "column": f.span.col,
            "endLine": f.span.end_line,
            "endColumn": f.span.end_col,
            "message": f.message,
            "object": f.obj,
            "fingerprint": fp,
        }
        for f, fp in zip(result.findings, fingerprints(result.findings), strict=True)
    ]
    # One finding per line: readable and diffable, and each line goes through the C encoder
    # (indent= switches json to its pure-Python encoder, 3x slower on large reports).
    rows = ",\n    ".join(json.dumps(f, ensure_ascii=False) for f in findings)
    body = "\n    " + rows + "\n  " if rows else ""
    version = json.dumps(__version__)
    files = json.dumps(result.artifacts, ensure_ascii=False)
    head = f'{{\n  "tool": "manifestlint",\n  "version": {version},\n'
    return f'{head}  "findings": [{body}],\n  "files": {files}\n}}\n'
