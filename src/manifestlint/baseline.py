"""Baselines: adopt the linter on an existing repository without fixing everything first.

`--write-baseline FILE` records the fingerprint of every current finding; `--baseline FILE`
hides those and shows only new ones. Fingerprints hash rule, root-relative file, object and
message — not the line — so unrelated edits that move a finding do not resurrect it, while a
changed message (a different container, a different value) is a new finding.

The file says what was accepted: each fingerprint sits beside its rule, path, line and message,
one finding per line, sorted by path, line and rule, so a reviewer reads a baseline change in a
pull request as a list of findings (the fingerprint alone was an opaque hash). Matching stays by
fingerprint; the line is information only. Baselines of format 1 (fingerprints alone) are read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from manifestlint.model import Finding
from manifestlint.safeio import Unreadable, read_regular

FORMAT = "manifestlint-baseline/2"
FORMATS = ("manifestlint-baseline/1", FORMAT)


class BaselineError(Exception):
    """The baseline file cannot be used (exit 2)."""


def render(findings: list[Finding], fingerprints: list[str], relative: Callable[[str], str]) -> str:
    """The baseline's text: stable (sorted, one finding a line) so that it diffs well."""
    rows = sorted(
        (relative(f.path), f.span.line, f.rule, fp, f.message)
        for f, fp in zip(findings, fingerprints, strict=True)
    )
    lines = [
        json.dumps({"fingerprint": fp, "rule": rule, "path": path, "line": line, "message": message})
        for path, line, rule, fp, message in rows
    ]
    if not lines:
        return f'{{"format": "{FORMAT}",\n "findings": []\n}}\n'
    body = ",\n  ".join(lines)
    return f'{{"format": "{FORMAT}",\n "findings": [\n  {body}\n ]\n}}\n'


def write(
    path: Path, findings: list[Finding], fingerprints: list[str], relative: Callable[[str], str]
) -> None:
    """Atomically (the previous baseline survives a failed write); raises OSError."""
    from manifestlint.atomic import write_atomic

    write_atomic(path, render(findings, fingerprints, relative).encode("utf-8", "surrogatepass"))


def _recorded(data: object) -> list[str] | None:
    """The fingerprints a baseline of either format records; None when it is not one."""
    if not isinstance(data, dict) or data.get("format") not in FORMATS:
        return None
    if data["format"] == FORMATS[0]:
        found = data.get("fingerprints")
        return found if isinstance(found, list) and all(isinstance(fp, str) for fp in found) else None
    entries = data.get("findings")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return None
    found = [e.get("fingerprint") for e in entries]
    return found if all(isinstance(fp, str) for fp in found) else None


def hide(path: Path, findings: list[Finding], fingerprints: list[str]) -> tuple[list[Finding], int]:
    """(findings not in the baseline, how many were hidden)."""
    try:
        data = json.loads(read_regular(path))
    except Unreadable as exc:
        reason = str(exc).removesuffix("; not linted").removesuffix("; not read")
        raise BaselineError(f"{path}: cannot read the baseline: {reason}") from None
    except (ValueError, RecursionError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from None
    recorded = _recorded(data)
    if recorded is None:
        raise BaselineError(f"{path}: not a manifestlint baseline (expected format {FORMAT!r})")
    known = set(recorded)
    kept = [f for f, fp in zip(findings, fingerprints, strict=True) if fp not in known]
    return kept, len(findings) - len(kept)
