"""GitHub Actions workflow commands: one `::error file=…,line=…::message` per finding.

Data is escaped as the runner expects (`%`, CR, LF; plus `:` and `,` in properties), after
every control character (ESC, CR, LF...) was written as a visible escape: a file name or value
can neither end the line nor colour the log."""

from __future__ import annotations

from manifestlint.engine import LintResult
from manifestlint.model import Severity
from manifestlint.output import printable

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def _data(text: str) -> str:
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: LintResult) -> str:
    lines = []
    for f in result.findings:
        s = f.span
        props = (
            f"file={_prop(f.path)},line={s.line},col={s.col},endLine={s.end_line},endColumn={s.end_col},"
            f"title={_prop(f.rule)}"
        )
        lines.append(f"::{_LEVEL[f.severity]} {props}::{_data(f.message)}")
    return "\n".join(lines) + ("\n" if lines else "")
