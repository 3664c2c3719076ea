"""`path:line:col: severity rule-id message`, the grep- and editor-friendly default.

Colour only when writing to a terminal (and NO_COLOR is unset)."""

from __future__ import annotations

import os

from manifestlint.engine import LintResult
from manifestlint.model import Severity

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.NOTE: "\033[36m"}


def render(result: LintResult, colour: bool = False, summary: bool = True) -> str:
    colour = colour and "NO_COLOR" not in os.environ
    lines = []
    for f in result.findings:
        label = f.severity.label
        if colour:
            label = f"{_COLOURS[f.severity]}{label}\033[0m"
        lines.append(f"{f.path}:{f.span.line}:{f.span.col}: {label} {f.rule} {f.message}")
    if summary:
        counts = {s: sum(1 for f in result.findings if f.severity is s) for s in Severity}
        errors, warnings, notes = counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.NOTE]
        lines.append(
            f"{len(result.findings)} finding(s): {errors} error, {warnings} warning, {notes} note "
            f"in {len(result.artifacts)} file(s) ({len(result.rules)} rules)"
        )
    return "\n".join(lines) + ("\n" if lines else "")
