"""Baselines: adopt the linter on an existing repository without fixing everything first.

`--write-baseline FILE` records the fingerprint of every current finding; `--baseline FILE`
hides those and shows only new ones. Fingerprints hash rule, root-relative file, object and
message — not the line — so unrelated edits that move a finding do not resurrect it, while a
changed message (a different container, a different value) is a new finding.
"""

from __future__ import annotations

import json
from pathlib import Path

from manifestlint.model import Finding
from manifestlint.safeio import Unreadable, read_regular

FORMAT = "manifestlint-baseline/1"


class BaselineError(Exception):
    """The baseline file cannot be used (exit 2)."""


def write(path: Path, fingerprints: list[str]) -> None:
    """Atomically (the previous baseline survives a failed write); raises OSError."""
    from manifestlint.atomic import write_atomic

    data = {"format": FORMAT, "fingerprints": sorted(set(fingerprints))}
    write_atomic(path, (json.dumps(data, indent=1) + "\n").encode("utf-8"))


def hide(path: Path, findings: list[Finding], fingerprints: list[str]) -> tuple[list[Finding], int]:
    """(findings not in the baseline, how many were hidden)."""
    try:
        data = json.loads(read_regular(path))
    except Unreadable as exc:
        reason = str(exc).removesuffix("; not linted").removesuffix("; not read")
        raise BaselineError(f"{path}: cannot read the baseline: {reason}") from None
    except (ValueError, RecursionError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("fingerprints"), list)
    ):
        raise BaselineError(f"{path}: not a manifestlint baseline (expected format {FORMAT!r})")
    if not all(isinstance(fp, str) for fp in data["fingerprints"]):
        raise BaselineError(f"{path}: not a manifestlint baseline (fingerprints must be strings)")
    known = set(data["fingerprints"])
    kept = [f for f, fp in zip(findings, fingerprints, strict=True) if fp not in known]
    return kept, len(findings) - len(kept)
