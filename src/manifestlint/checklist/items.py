"""Markdown checklists: `- [x] text` items under `#` headings, in their order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from manifestlint.registry import data_dir

SEED = "production-readiness-checklist.md"
MAX_CHECKLIST_BYTES = 1024 * 1024  # a checklist is a page of Markdown, not a data set
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+\[([ xX])\]\s+(.+?)\s*$")  # `- [x]` and `1. [x]`
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    checked: bool
    line: int
    headings: tuple[tuple[int, str], ...]  # (level, title) of the enclosing headings


def seed_path() -> Path:
    return data_dir("rules") / SEED


def parse_checklist(text: str) -> list[Item]:
    """Every `- [ ]` / `- [x]` (or numbered `1. [x]`) item outside code fences, with its
    heading trail."""
    items: list[Item] = []
    trail: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            trail = [h for h in trail if h[0] < level] + [(level, heading.group(2))]
            continue
        item = _ITEM.match(line)
        if item:
            items.append(Item(item.group(2), item.group(1) != " ", number, tuple(trail)))
    return items


def normalise(text: str) -> str:
    """What two item texts must share to be "the same item": case, spacing, markup and
    trailing punctuation do not count."""
    text = re.sub(r"[*_`]", "", text).lower()
    text = re.sub(r"\s+", " ", text).strip()
    return text.rstrip(".:;!")


def match_known(text: str, known: list[str]) -> str | None:
    """The known item text that `text` names, or None."""
    wanted = normalise(text)
    for candidate in known:
        if normalise(candidate) == wanted:
            return candidate
    return None
