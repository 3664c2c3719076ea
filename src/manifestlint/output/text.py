"""`path:line:col: severity rule-id message`, the grep- and editor-friendly default.

Colour only when writing to a terminal (and NO_COLOR is unset). File names and messages are
escaped (output.printable): a manifest cannot write terminal escapes or CI commands."""

from __future__ import annotations

import os

from manifestlint.engine import LintResult
from manifestlint.model import Severity
from manifestlint.output import printable

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.NOTE: "\033[36m"}


def _path(path: str) -> str:
    """A file name that cannot start a CI log command (`::error`, `##[...]`) or move the
    cursor: escaped, and behind `./` unless it starts like an ordinary path."""
    shown = printable(path)
    return shown if shown[:1].isalnum() or shown[:1] in "./_-~" else f"./{shown}"


def render(result: LintResult, colour: bool = False, summary: bool = True) -> str:
    colour = colour and "NO_COLOR" not in os.environ
    lines = []
    for f in result.findings:
        label = f.severity.label
        if colour:
            label = f"{_COLOURS[f.severity]}{label}\033[0m"
        lines.append(f"{_path(f.path)}:{f.span.line}:{f.span.col}: {label} {f.rule} {printable(f.message)}")
    if summary:
        counts = {s: sum(1 for f in result.findings if f.severity is s) for s in Severity}
        errors, warnings, notes = counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.NOTE]
        lines.append(
            f"{len(result.findings)} finding(s): {errors} error, {warnings} warning, {notes} note "
            f"in {len(result.artifacts)} file(s) ({len(result.rules)} rules)"
        )
    return "\n".join(lines) + ("\n" if lines else "")
