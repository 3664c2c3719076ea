"""The checklist verdict as Markdown (GitHub step summary, PR comment), text or JSON.

Markdown must fit where it is posted whatever the project's size: a PR comment holds
65,536 characters, `$GITHUB_STEP_SUMMARY` 1 MiB. The default is compact (the status
table; each item on one line with what was checked; failing items with their first
findings and a count, the rest folded in `<details>`; cut with "N more" within
`COMPACT_LIMIT`); `full=True` lists every finding and citation within `FULL_LIMIT` bytes.
Section headings carry our own status counts, not the checklist's own marks.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from manifestlint.checklist.verdict import (
    ABSENT,
    FAILING,
    NO_EVIDENCE,
    STATUSES,
    UNCHECKABLE,
    VERIFIED,
    Verdict,
)
from manifestlint.output import code_span, log_line, markdown_text

MARK = {VERIFIED: "✅", FAILING: "❌", NO_EVIDENCE: "⚠️", ABSENT: "⚪", UNCHECKABLE: "❔"}
COMPACT_LIMIT = 60_000  # characters; a PR comment holds 65,536
FULL_LIMIT = 1_000_000  # bytes; $GITHUB_STEP_SUMMARY holds 1 MiB
FIRST_FINDINGS = 3
FOLDED = 10  # findings and citations inside an item's <details> in the compact report
_SEED_MARKS = re.compile(r"\s*(✅|✔️|✔|☑️|❌|⚠️|⚠|🚧|⏳)+\s*$")


def summary(verdicts: list[Verdict]) -> str:
    counts = Counter(v.status for v in verdicts)
    ticked = [v for v in verdicts if v.item.checked]
    ticked_failing = sum(1 for v in ticked if v.status == FAILING)
    ticked_unproven = sum(1 for v in ticked if v.status == NO_EVIDENCE)
    parts = ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
    return (
        f"{len(verdicts)} items: {parts}. Of the {len(ticked)} ticked items, {ticked_failing} fail and "
        f"{ticked_unproven} have no evidence in the files."
    )


def _finding_line(f, markdown: bool) -> str:
    where = f"{f.path}:{f.span.line}"
    if markdown:
        return f"{code_span(where)} {f.rule} ({f.severity.label}): {_md(f.message)}"
    return f"{where}: {f.severity.label} {f.rule}: {f.message}"


def _md(text: str) -> str:
    """Text from the input (YAML values, checklist lines) in Markdown meant for PR comments
    and the step summary: escaped (output.markdown_text), so that it can write no heading,
    link, image, HTML or @mention. File names go in code spans."""
    return markdown_text(text)


def _title(text: str) -> str:
    return _SEED_MARKS.sub("", text)


def _counts(verdicts: list[Verdict]) -> str:
    counts = Counter(v.status for v in verdicts)
    return " ".join(f"{MARK[s]} {counts[s]}" for s in STATUSES if counts.get(s))


def _table(verdicts: list[Verdict]) -> list[str]:
    counts = Counter(v.status for v in verdicts)
    ticked = Counter(v.status for v in verdicts if v.item.checked)
    out = ["| status | items | ticked |", "|---|---:|---:|"]
    out += [f"| {MARK[s]} {s} | {counts.get(s, 0)} | {ticked.get(s, 0)} |" for s in STATUSES]
    return out


def _item_block(v: Verdict, full: bool) -> tuple[list[str], list[str]]:
    """(lines always shown, lines folded in <details> in the compact report)."""
    box = "x" if v.item.checked else " "
    head = f"- [{box}] {MARK[v.status]} **{_md(v.item.text)}** — {v.status}"
    if v.checked:
        head += f" ({_md(v.checked)})"
    findings = [f"  - {_finding_line(f, True)}" for f in v.findings]
    notes = [f"  - {_md(n)}" for n in v.evidence]
    if full:
        return [head, *findings, *notes], []
    if v.status == FAILING and findings:
        shown, rest = findings[:FIRST_FINDINGS], findings[FIRST_FINDINGS:] + notes
    else:  # the evidence first: what verifies it, what is missing, why there is none
        inline = FIRST_FINDINGS if v.status in (VERIFIED, FAILING) else 1
        shown, rest = notes[:inline], notes[inline:]
    if len(rest) > FOLDED:
        rest = [*rest[:FOLDED], f"  - … and {len(rest) - FOLDED} more (`--full` lists them)"]
    return [head, *shown], rest


def _fold(lines: list[str], count: int) -> list[str]:
    if not lines:
        return []
    return ["  <details><summary>" + f"{count} more findings and citations</summary>", "", *lines, "",
            "  </details>"]  # fmt: skip


def _sections(verdicts: list[Verdict]) -> list[tuple[tuple, list[Verdict]]]:
    """Consecutive items under the same heading trail (headings below the title)."""
    out: list[tuple[tuple, list[Verdict]]] = []
    for v in verdicts:
        trail = tuple(h for h in v.item.headings if h[0] > 1)
        if out and out[-1][0] == trail:
            out[-1][1].append(v)
        else:
            out.append((trail, [v]))
    return out


def _blocks(verdicts: list[Verdict], full: bool) -> list[tuple[list[str], list[str], list[str], int]]:
    """(heading and item lines, folded lines, the short "N more" line instead of the folded
    ones, items in it) in document order."""
    out = []
    shown: tuple = ()
    for trail, members in _sections(verdicts):
        common = 0
        while common < min(len(trail), len(shown)) and trail[common] == shown[common]:
            common += 1
        for depth, (level, title) in enumerate(trail[common:], start=common):
            below = [v for t, vs in _sections(verdicts) if t[: depth + 1] == trail[: depth + 1] for v in vs]
            out.append(([f"{'#' * level} {_md(_title(title))} — {_counts(below)}", ""], [], [], 0))
        shown = trail
        for v in members:
            head, folded = _item_block(v, full)
            more = len(v.findings) + len(v.evidence) - (len(head) - 1)
            short = [f"  - … and {more} more (`--full` lists them)"] if folded else []
            out.append((head, _fold(folded, more), short, 1))
        out.append(([""], [], [], 0))
    return out


def markdown(verdicts: list[Verdict], title: str, full: bool = False) -> str:
    legend = " · ".join(f"{MARK[s]} {s}" for s in STATUSES)
    head = [f"# {_md(title)}", "", summary(verdicts), "", *_table(verdicts), "", legend, ""]
    blocks = _blocks(verdicts, full)
    limit = FULL_LIMIT if full else COMPACT_LIMIT
    size = (lambda text: len(text.encode("utf-8"))) if full else len
    reserve = 200
    body = "\n".join(head) + "\n"
    chunks = [
        ("\n".join(lines + fold) + "\n", "\n".join(lines + short) + "\n", n)
        for lines, fold, short, n in blocks
    ]
    after = [0] * (len(chunks) + 1)  # size of the short forms of the blocks after each one
    for i in range(len(chunks) - 1, -1, -1):
        after[i] = after[i + 1] + size(chunks[i][1])
    out = [body]
    used = size(body)
    remaining = sum(n for _l, _f, _s, n in blocks)
    for i, (folded, short, n) in enumerate(chunks):
        chunk = folded if used + size(folded) + after[i + 1] <= limit - reserve else short
        if used + size(chunk) > limit - reserve:
            where = "the step summary" if full else "a PR comment"
            cut = f"the report is cut to fit {where} (`--full` lists everything)"
            out.append(f"\n… {remaining} more items not shown: {cut}.\n")
            break
        out.append(chunk)
        used += size(chunk)
        remaining -= n
    return "".join(out).rstrip("\n") + "\n"


def text(verdicts: list[Verdict], title: str) -> str:
    out = [title, summary(verdicts), ""]
    shown: tuple = ()
    for v in verdicts:
        trail = tuple(h for h in v.item.headings if h[0] > 1)
        if trail != shown and trail:
            out.append(" / ".join(_title(t) for _l, t in trail[-2:]))
            shown = trail
        out.append(f"  {v.status.upper():<26} {v.item.text}" + (f"  ({v.checked})" if v.checked else ""))
        for f in v.findings:
            out.append(f"      {_finding_line(f, False)}")
        for note in v.evidence:
            out.append(f"      {note}")
    return "\n".join(map(log_line, out)) + "\n"  # no terminal escape, no workflow command


def _alert(groups, entry, understood, recognised: dict) -> dict:
    found = recognised.get(id(entry))
    line = found.line if found else entry.key_span("alert").line
    out = {"alert": str(entry.get("alert")), "path": groups.doc.path, "line": line,
           "category": understood.category}  # fmt: skip
    if found is not None:
        out.update(threshold=found.threshold.threshold, comparison=found.threshold.comparison,
                   for_seconds=found.for_seconds)  # fmt: skip
    else:
        out["reason"] = understood.reason
    if understood.objective is not None:
        out["objective"] = understood.objective
    return out


def as_json(verdicts: list[Verdict], title: str, alerts: list, understood: list | None = None) -> str:
    items = [
        {
            "text": v.item.text,
            "matched": v.known,
            "section": [_title(t) for _l, t in v.item.headings if _l > 1],
            "checked": v.item.checked,
            "line": v.item.line,
            "status": v.status,
            "what_was_checked": v.checked,
            "rules": v.rules,
            "findings": [
                {"rule": f.rule, "severity": f.severity.label, "path": f.path, "line": f.span.line,
                 "column": f.span.col, "message": f.message}
                for f in v.findings
            ],
            "evidence": v.evidence,
        }
        for v in verdicts
    ]  # fmt: skip
    counts = Counter(v.status for v in verdicts)
    recognised = {id(a.entry): a for a in alerts}
    listed = [_alert(g, e, u, recognised) for g, e, u in understood or []]
    data = {"checklist": title, "summary": {s: counts.get(s, 0) for s in STATUSES}, "items": items,
            "alerts": listed}  # fmt: skip
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


__all__ = ["ABSENT", "UNCHECKABLE", "as_json", "markdown", "summary", "text"]
