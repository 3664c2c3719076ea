"""`path:line:col: severity rule-id message`, the grep- and editor-friendly default.

The CLI decides colour (`--color`, NO_COLOR, FORCE_COLOR, a terminal). File names and
messages are escaped (output.printable): a manifest cannot write terminal escapes or CI
commands. `statistics`: counts per rule instead of the findings (as ruff --statistics)."""

from __future__ import annotations

from manifestlint.engine import LintResult
from manifestlint.model import Severity
from manifestlint.output import printable

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.NOTE: "\033[36m"}


def _path(path: str) -> str:
    """A file name that cannot start a CI log command (`::error`, `##[...]`) or move the
    cursor: escaped, and behind `./` unless it starts like an ordinary path."""
    shown = printable(path)
    return shown if shown[:1].isalnum() or shown[:1] in "./_-~" else f"./{shown}"


def statistics(result: LintResult, colour: bool = False) -> list[str]:
    """`count  rule-id  severity  title`, most frequent first (ties by rule id)."""
    counts: dict[str, int] = {}
    for f in result.findings:
        counts[f.rule] = counts.get(f.rule, 0) + 1
    rules = {r.id: r for r in result.rules}
    severity = {f.rule: f.severity for f in result.findings}
    width = max((len(rule) for rule in counts), default=0)
    lines = []
    for rule, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        label = severity[rule].label.ljust(7)
        if colour:
            label = f"{_COLOURS[severity[rule]]}{label}\033[0m"
        title = rules[rule].title if rule in rules else ""
        lines.append(f"{count:>5}  {rule.ljust(width)}  {label}  {title}".rstrip())
    return lines


def render(result: LintResult, colour: bool = False, summary: bool = True, stats: bool = False) -> str:
    lines = statistics(result, colour) if stats else []
    for f in [] if stats else result.findings:
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
