"""GitHub Actions workflow commands: one `::error file=…,line=…::message` per finding.

Data is escaped as the runner expects (`%`, CR, LF; plus `:` and `,` in properties), after
every control character (ESC, CR, LF...) was written as a visible escape: a file name or value
can neither end the line nor colour the log.

GitHub shows at most 10 annotations of each type (error, warning, notice) per step and 50 per
job, and drops the rest silently: annotations come out most severe first, `not_shown` says how
many GitHub will drop, and `step_summary` writes every finding as a Markdown table for
`$GITHUB_STEP_SUMMARY`. `file=` is relative to the repository root (`$GITHUB_WORKSPACE`), which
is what GitHub resolves it against, not to the working directory of the step.
"""

from __future__ import annotations

import os
from pathlib import Path

from manifestlint.engine import LintResult
from manifestlint.model import Finding, Severity
from manifestlint.output import code_span, printable

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
PER_TYPE_PER_STEP = 10
PER_JOB = 50
SUMMARY_MAX_BYTES = 1024 * 1024  # GitHub refuses a larger step summary (1 MiB per step)


def _data(text: str) -> str:
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def ordered(findings: list[Finding]) -> list[Finding]:
    """Most severe first (what GitHub shows before its limits cut in), then by place."""
    return sorted(findings, key=lambda f: (-f.severity, f.sort_key()))


def annotation_path(path: str, cwd: Path, workspace: str | None) -> str:
    """`path` relative to the repository root GitHub resolves `file=` against; unchanged
    when no workspace is known or the file lies outside it."""
    if not workspace:
        return path
    absolute = os.path.abspath(cwd / path)
    root = os.path.abspath(workspace)
    try:
        relative = os.path.relpath(absolute, root)
    except ValueError:  # another drive (Windows)
        return path
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return path
    return Path(relative).as_posix()


def render(result: LintResult, workspace: str | None = None) -> str:
    lines = []
    for f in ordered(result.findings):
        s = f.span
        path = annotation_path(f.path, result.cwd, workspace)
        props = (
            f"file={_prop(path)},line={s.line},col={s.col},endLine={s.end_line},endColumn={s.end_col},"
            f"title={_prop(f.rule)}"
        )
        lines.append(f"::{_LEVEL[f.severity]} {props}::{_data(f.message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def not_shown(findings: list[Finding]) -> dict[str, int]:
    """Annotations GitHub will not display, by type: over 10 of a type in this step, or
    beyond the 50 of the job (counted in the order `render` writes them)."""
    per_type: dict[str, int] = {}
    shown = 0
    hidden: dict[str, int] = {}
    for f in ordered(findings):
        kind = _LEVEL[f.severity]
        per_type[kind] = per_type.get(kind, 0) + 1
        if per_type[kind] > PER_TYPE_PER_STEP or shown >= PER_JOB:
            hidden[kind] = hidden.get(kind, 0) + 1
        else:
            shown += 1
    return hidden


def limits_warning(findings: list[Finding], summary_written: bool) -> str | None:
    hidden = not_shown(findings)
    if not hidden:
        return None
    total = sum(hidden.values())
    parts = ", ".join(f"{count} {kind}" for kind, count in hidden.items())
    where = (
        "every finding is in the job's step summary"
        if summary_written
        else "run with GITHUB_STEP_SUMMARY set (as in GitHub Actions) or use -f sarif to see them all"
    )
    return (
        f"GitHub shows {PER_TYPE_PER_STEP} annotations of each type per step and {PER_JOB} per job: "
        f"{total} of {len(findings)} will not be shown ({parts}); {where}"
    )


def step_summary(result: LintResult, workspace: str | None = None) -> str:
    """Every finding as a Markdown table, most severe first (cut with a note at GitHub's
    1 MiB limit for a step summary)."""
    findings = ordered(result.findings)
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    head = [
        "## manifestlint",
        "",
        f"{len(findings)} finding(s): {counts[Severity.ERROR]} error, {counts[Severity.WARNING]} warning, "
        f"{counts[Severity.NOTE]} note in {len(result.artifacts)} file(s)",
        "",
    ]
    if not findings:
        return "\n".join(head)
    head += ["| severity | rule | location | message |", "|---|---|---|---|"]
    out, size = list(head), sum(len(line) + 1 for line in head)
    for i, f in enumerate(findings):
        path = annotation_path(f.path, result.cwd, workspace)
        where = code_span(f"{path}:{f.span.line}:{f.span.col}", table=True)  # untrusted: no markup
        row = f"| {f.severity.label} | `{f.rule}` | {where} | {code_span(f.message, table=True)} |"
        size += len(row.encode("utf-8", "backslashreplace")) + 1
        if size > SUMMARY_MAX_BYTES - 200:
            out += [
                "",
                f"... and {len(findings) - i} more (GitHub limits a step summary to 1 MiB; use -f sarif)",
            ]
            break
        out.append(row)
    return "\n".join(out) + "\n"
