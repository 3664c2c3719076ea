"""`lint --fix`, `--unsafe-fixes` and `--diff`: the fixes rules attach to their findings,
applied as minimal text edits (ruff's model).

A rule that knows the one right change for a finding attaches a `Fix` (model.py): text edits
of the finding's own file at positions the parser gave, each with the text it replaces. Nothing
is re-serialised, so comments, key order, quoting, indentation, line endings and every other
document of the file stay byte-identical. Whether --fix may apply a rule's fixes unasked is
the rule's metadata (`fixable: safe`; `unsafe` needs --unsafe-fixes).

A run is a few passes: lint, apply every applicable fix whose edits do not overlap another's
(two fixes adding keys to the same mapping: the second waits), lint again what the fixes made
(held in memory: load.PENDING), until nothing more applies. The last pass is the report, so
what is left is what --fix could not do, and a second --fix changes nothing. An edit whose
text is not what it expects (a position that does not fit the file) skips its fix with a note.
Then --fix writes each changed file atomically (a temporary file beside it, then os.replace)
unless it changed on disk since it was read, is a symbolic link, or lies behind a folder link
leading out of the repository; --diff prints a unified diff and writes nothing.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from manifestlint.model import Edit, Finding, Fix, fix_of, line_starts

MAX_PASSES = 8


@dataclass(slots=True)
class FixedFile:
    """One file the fixes touch: its bytes as read, and its text now."""

    shown: str  # display path
    abspath: str
    original: bytes
    bom: bool
    text: str
    fixed: dict[str, int] = field(default_factory=dict)  # rule id -> fixes applied


@dataclass(slots=True)
class Outcome:
    """What a fix run did: the files it changed, the fixes it applied per rule, the fixes it
    had to skip (with why), and what it refused to write."""

    files: dict[str, FixedFile] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    not_written: list[str] = field(default_factory=list)

    def changed(self) -> list[FixedFile]:
        return [f for f in self.files.values() if f.fixed and _encoded(f) != f.original]


# ------------------------------------------------------------------------ text edits


def _offset(starts: list[int], text: str, line: int, col: int) -> int | None:
    if not 1 <= line <= len(starts):
        return None
    begin = starts[line - 1]
    end = starts[line] if line < len(starts) else len(text) + 1
    offset = begin + col - 1
    return offset if begin <= offset < end else None


def _newline(text: str, at: int) -> str:
    """The line ending of the line holding offset `at` (CRLF files keep CRLF)."""
    end = text.find("\n", at)
    if end < 0:
        end = text.rfind("\n", 0, at)
    return "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"


def _resolve(text: str, starts: list[int], edit: Edit) -> tuple[int, int, str] | str:
    """(start, end, replacement) of an edit, or why it does not fit the text (the text
    with the file's own line endings)."""
    span = edit.span
    start = _offset(starts, text, span.line, span.col)
    end = _offset(starts, text, span.end_line, span.end_col)
    if start is None or end is None or end < start:
        return f"its position {span.line}:{span.col} is not in the file"
    if text[start:end] != edit.old:
        return f"the text at {span.line}:{span.col} is not {edit.old!r}"
    new = edit.text.replace("\n", _newline(text, start)) if "\n" in edit.text else edit.text
    return start, end, new


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Two edits that cannot both apply in one pass: intersecting regions, or two at the same
    place (their order would be a guess). The same edit twice is one edit."""
    if a == b:
        return False
    if a[0] == b[0]:
        return True
    return max(a[0], b[0]) < min(a[1], b[1]) or (
        (a[0] == a[1] or b[0] == b[1]) and max(a[0], b[0]) <= min(a[1], b[1])
    )


def _clashes(edit: tuple[int, int, str], taken: list[tuple[int, int, str]]) -> bool:
    """Whether `edit` overlaps one of `taken` (sorted, pairwise apart: only the neighbours
    of its place can overlap it)."""
    i = bisect_left(taken, edit)
    return any(_overlap(edit, other) for other in taken[max(i - 1, 0) : i + 2])


def apply(text: str, fixes: list[tuple[str, Fix]]) -> tuple[str, list[str], list[str]]:
    """`text` with every fix of (rule id, fix) that fits and overlaps no fix taken before it
    (in order of position): (new text, the rule ids applied, why each skipped fix did not
    fit). A fix that overlaps one taken waits for the next pass."""
    starts = line_starts(text)
    taken: list[tuple[int, int, str]] = []  # (start, end, new text), sorted
    inserts: dict[tuple[int, int], Edit] = {}  # key insertions taken, which others may join
    applied: list[str] = []
    skipped: list[str] = []
    ordered = sorted(fixes, key=lambda item: min((e.span[:2] for e in item[1].edits), default=(0, 0)))
    for rule, fix in ordered:
        resolved = [_resolve(text, starts, edit) for edit in fix.edits]
        problem = next((r for r in resolved if isinstance(r, str)), None)
        if problem is not None or not resolved:
            skipped.append(f"{rule}: {problem or fix.title}")
            continue
        edits = [r for r in resolved if not isinstance(r, str)]
        if _joined(text, fix, edits, taken, inserts):
            applied.append(rule)
            continue
        if any(_clashes(e, taken) for e in edits) or any(
            _overlap(a, b) for i, a in enumerate(edits) for b in edits[i + 1 :]
        ):
            continue
        for e in edits:
            i = bisect_left(taken, e)
            if i == len(taken) or taken[i] != e:
                taken.insert(i, e)
        for edit, done in zip(fix.edits, edits, strict=True):
            if edit.insert is not None:
                inserts[done[:2]] = edit
        applied.append(rule)
    pieces = []
    last = 0
    for start, end, new in taken:
        pieces += [text[last:start], new]
        last = end
    pieces.append(text[last:])
    return "".join(pieces), applied, skipped


def _joined(
    text: str, fix: Fix, edits: list, taken: list[tuple[int, int, str]], inserts: dict[tuple[int, int], Edit]
) -> bool:
    """A fix of one insertion where another fix inserts at the same place this pass: the two
    become one edit (`securityContext:` written once with both keys; `install -y
    --no-install-recommends`: options after one word, style "words"). False when they cannot
    merge (a key set twice to different values), or there is nothing to join."""
    if len(edits) != 1 or fix.edits[0].insert is None or edits[0][:2] not in inserts:
        return False
    from manifestlint.yaml_fix import render

    mine, other = fix.edits[0], inserts[edits[0][:2]]
    (style, indent, items), (style2, indent2, items2) = mine.insert, other.insert  # type: ignore[misc]
    if (style, indent) != (style2, indent2):
        return False
    both = (*items2, *(item for item in items if item not in items2))
    if style == "words":
        # short options, then long ones, then a command appended (`-y --no-install-recommends`)
        words = sorted((keys[0] for keys, _ in both), key=lambda w: (w.startswith("&&"), w.startswith("--")))
        joined: str | None = other.old + "".join(f" {word}" for word in words)
    else:
        merged = render(style, indent, both)
        joined = None if merged is None else merged + other.old
    if joined is None:
        return False
    start, end = edits[0][:2]
    edit = other._replace(text=joined, insert=(style, indent, both))
    new = joined.replace("\n", _newline(text, start))
    taken[bisect_left(taken, (start, end, ""))] = (start, end, new)
    inserts[(start, end)] = edit
    return True


# ------------------------------------------------------------------------ the passes


def applicable(finding: Finding, fixable: dict[str, str], unsafe: bool) -> bool:
    level = fixable.get(finding.rule, "")
    return finding.fix is not None and (level == "safe" or (unsafe and level == "unsafe"))


def run(
    lint_once: Callable[[], object],
    fixable: dict[str, str],
    unsafe: bool,
    cwd: Path,
):
    """Lint, fix and lint again until nothing more applies (at most MAX_PASSES rounds of
    fixes); (the last lint's result, Outcome). The texts changed stay in load.PENDING only
    while this runs."""
    import sys

    from manifestlint import load, report

    outcome = Outcome()
    seen_skips: set[str] = set()
    # every fixable finding in every pass (a file of 2,000 Pods has more than the report's 500 per
    # rule); the last pass is capped as the report always is
    limit, report.MAX_PER_RULE_AND_FILE = report.MAX_PER_RULE_AND_FILE, sys.maxsize
    try:
        for number in range(MAX_PASSES + 1):
            result = lint_once()
            if number == MAX_PASSES:
                break
            wanted: dict[str, list[tuple[str, Fix]]] = {}
            rendered = result.rendered  # type: ignore[attr-defined]  # `helm template` output: not fixed
            for finding in result.findings:  # type: ignore[attr-defined]
                if finding.path not in rendered and applicable(finding, fixable, unsafe):
                    fix = fix_of(finding)
                    if fix is not None:
                        wanted.setdefault(finding.path, []).append((finding.rule, fix))
            if not _fix_pass(wanted, cwd, outcome, seen_skips):
                break
            for fixed in outcome.files.values():
                load.PENDING[fixed.abspath] = _encoded(fixed)
    finally:
        load.PENDING.clear()
        report.MAX_PER_RULE_AND_FILE = limit
    result.findings = report.cap(result.findings)  # type: ignore[attr-defined]
    return result, outcome


def _fix_pass(
    wanted: dict[str, list[tuple[str, Fix]]], cwd: Path, outcome: Outcome, seen_skips: set[str]
) -> bool:
    """Apply one round of fixes to the files' current texts; True when a text changed."""
    changed = False
    for shown, fixes in sorted(wanted.items()):
        fixed = outcome.files.get(shown) or _open(shown, cwd, outcome)
        if fixed is None:
            continue
        outcome.files[shown] = fixed
        text, applied, skipped = apply(fixed.text, fixes)
        for reason in skipped:
            note = f"{shown}: fix of {reason}; skipped"
            if note not in seen_skips:
                seen_skips.add(note)
                outcome.skipped.append(note)
        if text != fixed.text:
            fixed.text = text
            changed = True
            for rule in applied:
                fixed.fixed[rule] = fixed.fixed.get(rule, 0) + 1
    return changed


def _open(shown: str, cwd: Path, outcome: Outcome) -> FixedFile | None:
    """The file a finding names, as bytes read now and text; None (with a note) when it
    cannot be rewritten faithfully (not UTF-8, unreadable)."""
    from manifestlint.load import decode
    from manifestlint.safeio import MAX_FILE_BYTES, Unreadable, read_regular

    abspath = os.path.abspath(os.path.join(cwd, shown))
    try:
        data = read_regular(abspath, MAX_FILE_BYTES)
    except Unreadable as exc:
        outcome.skipped.append(f"{shown}: {str(exc).removesuffix('; not linted')}; not fixed")
        return None
    text, _ = decode(data)
    bom = data.startswith(b"\xef\xbb\xbf")
    if text is None or (("\ufeff" if bom else "") + text).encode("utf-8") != data:
        outcome.skipped.append(f"{shown}: not UTF-8 text that can be written back unchanged; not fixed")
        return None
    return FixedFile(shown, abspath, data, bom, text)


def _encoded(fixed: FixedFile) -> bytes:
    return (("\ufeff" if fixed.bom else "") + fixed.text).encode("utf-8")


# ------------------------------------------------------------------------ writing, diffs


def write(outcome: Outcome) -> list[FixedFile]:
    """Write every changed file back; the files written (refusals in outcome.not_written)."""
    written = []
    for fixed in outcome.changed():
        reason = write_back(Path(fixed.abspath), fixed.original, _encoded(fixed))
        if reason:
            outcome.not_written.append(f"{fixed.shown}: {reason}; not written")
        else:
            written.append(fixed)
    return written


def write_back(path: Path, original: bytes, data: bytes) -> str:
    """Replace the file at `path` by `data` atomically, only when it still holds `original`;
    the reason when not (empty when written). Never through a symbolic link, never into a
    folder that leads out of the repository (atomic.in_tree_target), keeping its mode."""
    import stat

    from manifestlint.atomic import in_tree_target, write_atomic
    from manifestlint.safeio import MAX_FILE_BYTES, Unreadable, read_regular

    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return "a symbolic link (fixes are not written through links)"
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file"
        target = in_tree_target(path)
        if read_regular(target, MAX_FILE_BYTES) != original:
            return "it changed on disk since it was read"
        write_atomic(target, data)
    except Unreadable as exc:
        return str(exc).removesuffix("; not linted")
    except OSError as exc:
        return f"cannot write: {exc.strerror or exc}"
    return ""


def diff(outcome: Outcome) -> Iterable[str]:
    """A unified diff of every changed file (what --fix would write)."""
    import difflib

    for fixed in outcome.changed():
        before = fixed.original.decode("utf-8-sig").splitlines(keepends=True)
        after = fixed.text.splitlines(keepends=True)
        lines = difflib.unified_diff(before, after, f"a/{fixed.shown}", f"b/{fixed.shown}")
        for line in lines:
            yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
