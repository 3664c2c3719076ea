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
from typing import TYPE_CHECKING

from manifestlint.project.roles import HELM_TEMPLATE, PLAIN, TEST_DATA, UNRECOGNISED, Role, example_role_of

if TYPE_CHECKING:
    from pathlib import Path

    from manifestlint.load import ParsedFile
    from manifestlint.project.images import ImageProject

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


_UNRECOGNISED = Role(UNRECOGNISED, "no Kubernetes object, rule groups or Alertmanager route in it")


def listing_role(pf: ParsedFile, role: Role, images: ImageProject, base: Path) -> Role:
    """The role the verbose listing shows for a parsed file: a Dockerfile's image role; for a
    deployable file, an example, tutorial or node agent when it is one (project/evidence.py
    lowers their findings)."""
    role = image_role(pf, role, images)
    if role.deployable:
        from manifestlint.project.agents import agent_role

        role = example_role_of(pf.source.abspath, base) or agent_role(pf) or role
    return role


def image_role(pf: ParsedFile, role: Role, images: ImageProject) -> Role:
    """A deployable Dockerfile's listing role is its image's role (project/images.py), with the
    evidence: `service image`, `dev image: its file name 'Dockerfile.tilt' says 'tilt'`."""
    if pf.dockerfile is None or not role.deployable:
        return role
    image = images.role(pf.dockerfile)
    return Role(f"{image.name} image", image.evidence, role.realm)


def listed(pf: ParsedFile, role: Role) -> Entry:
    """A parsed file's listing entry. A role decided from the content (`ParsedFile.role`: a
    template, a look-alike; the project model may set `kustomize-patch` there) wins over the
    path's role; a file with findings but no type was unreadable or broken."""
    if pf.file_type:
        return Entry(pf.source.path, LINTED, pf.role or role, pf.file_type)
    if pf.role is not None:
        return Entry(pf.source.path, SKIPPED, pf.role)
    if pf.findings:
        return Entry(pf.source.path, LINTED, role, "unreadable or broken input")
    return Entry(pf.source.path, SKIPPED, role if not role.deployable else _UNRECOGNISED)
