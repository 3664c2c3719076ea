"""The verbose listing (`manifestlint lint -v`): every file linted or skipped, and why.

One `Entry` per file: what happened to it and its role (project/roles.py) with the evidence
that decided it (a test-data folder, a chart, a template value, a look-alike's keys), plus the
file type it was linted as. Any stage may add entries or roles (discovery, loading, the
project model, image roles); rendering collapses long runs of files skipped for the same
reason (a test-data folder of 400 files is one line).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from manifestlint.project.roles import HELM_TEMPLATE, PLAIN, TEST_DATA, Role

LINTED, SKIPPED = "linted", "skipped"
FOLDER_ROLES = frozenset({TEST_DATA, HELM_TEMPLATE})  # their evidence names the folder
COLLAPSE_OVER = 3  # more files than this skipped for one reason in one folder: one line


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # display path
    action: str  # LINTED or SKIPPED
    role: Role = PLAIN
    file_type: str = ""  # what it was linted as: 'kubernetes', 'dockerfile', ...

    def why(self) -> str:
        role = f"{self.role.name}: {self.role.evidence}"
        if self.action == LINTED:
            return self.file_type + ("" if self.role.deployable else f" ({role})")
        return role


def _group_key(entry: Entry) -> tuple[str, ...]:
    """Entries sharing this key may share a line: the same verdict, and the same folder
    unless the evidence already names one (a test-data folder, a chart)."""
    folder = "" if entry.role.name in FOLDER_ROLES else os.path.dirname(entry.path)
    return (entry.action, entry.role.name, entry.role.evidence, entry.file_type, folder)


def render(entries: list[Entry]) -> list[str]:
    """Lines for stderr, in path order; runs of same-reason skips share one line."""
    ordered = sorted(entries, key=lambda e: e.path)
    lines: list[str] = []
    i = 0
    while i < len(ordered):
        entry = ordered[i]
        j = i + 1
        while j < len(ordered) and _group_key(ordered[j]) == _group_key(entry):
            j += 1
        if entry.action == SKIPPED and j - i > COLLAPSE_OVER:
            folder = os.path.commonpath([e.path for e in ordered[i:j]]) or "."
            lines.append(f"skipped {folder}/ ({j - i} files): {entry.why()}")
        else:
            lines.extend(f"{e.action} {e.path}: {e.why()}" for e in ordered[i:j])
        i = j
    return lines


def summary(entries: list[Entry]) -> str:
    """'3 linted, 412 skipped (410 test-data, 2 helm-template)'."""
    linted = sum(1 for e in entries if e.action == LINTED)
    skipped: dict[str, int] = {}
    for e in entries:
        if e.action == SKIPPED:
            skipped[e.role.name] = skipped.get(e.role.name, 0) + 1
    detail = ", ".join(f"{n} {k}" for k, n in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])))
    total = sum(skipped.values())
    return f"{linted} linted, {total} skipped" + (f" ({detail})" if detail else "")
