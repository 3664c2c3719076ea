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

FORMAT = "manifestlint-baseline/1"


class BaselineError(Exception):
    """The baseline file cannot be used (exit 2)."""


def write(path: Path, fingerprints: list[str]) -> None:
    data = {"format": FORMAT, "fingerprints": sorted(set(fingerprints))}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def hide(path: Path, findings: list[Finding], fingerprints: list[str]) -> tuple[list[Finding], int]:
    """(findings not in the baseline, how many were hidden)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("fingerprints"), list)
    ):
        raise BaselineError(f"{path}: not a manifestlint baseline (expected format {FORMAT!r})")
    known = set(data["fingerprints"])
    kept = [f for f, fp in zip(findings, fingerprints, strict=True) if fp not in known]
    return kept, len(findings) - len(kept)
