"""The checklist verdict as Markdown (GitHub step summary, PR comment), text or JSON."""

from __future__ import annotations

import json
from collections import Counter

from manifestlint.checklist.verdict import ABSENT, FAILING, UNCHECKABLE, VERIFIED, Verdict

ORDER = (VERIFIED, FAILING, ABSENT, UNCHECKABLE)
MARK = {VERIFIED: "✅", FAILING: "❌", ABSENT: "⚪", UNCHECKABLE: "❔"}


def summary(verdicts: list[Verdict]) -> str:
    counts = Counter(v.status for v in verdicts)
    ticked = [v for v in verdicts if v.item.checked]
    ticked_failing = sum(1 for v in ticked if v.status == FAILING)
    parts = ", ".join(f"{counts.get(s, 0)} {s}" for s in ORDER)
    return f"{len(verdicts)} items: {parts}. {ticked_failing} of the {len(ticked)} ticked items fail."


def _finding_line(f, markdown: bool) -> str:
    where = f"{f.path}:{f.span.line}"
    if markdown:
        return f"`{where}` {f.rule} ({f.severity.label}): {_md(f.message)}"
    return f"{where}: {f.severity.label} {f.rule}: {f.message}"


def _md(text: str) -> str:
    """Inline Markdown: messages quote YAML and PromQL; keep them from becoming markup."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("*", "\\*")


def markdown(verdicts: list[Verdict], title: str) -> str:
    out = [f"# {title}", "", summary(verdicts), ""]
    out.append(f"{MARK[VERIFIED]} verified · {MARK[FAILING]} failing · {MARK[ABSENT]} absent from the "
               f"named files · {MARK[UNCHECKABLE]} not statically checkable")  # fmt: skip
    shown: tuple = ()
    for v in verdicts:
        trail = tuple(h for h in v.item.headings if h[0] > 1)
        if trail != shown:
            common = 0
            while common < min(len(trail), len(shown)) and trail[common] == shown[common]:
                common += 1
            for level, title_ in trail[common:]:
                if out[-1] != "":
                    out.append("")
                out += [f"{'#' * level} {title_}", ""]
            shown = trail
        box = "x" if v.item.checked else " "
        out.append(f"- [{box}] {MARK[v.status]} **{_md(v.item.text)}** — {v.status}")
        for f in v.findings:
            out.append(f"  - {_finding_line(f, True)}")
        for note in v.evidence:
            out.append(f"  - {_md(note)}")
    return "\n".join(out) + "\n"


def text(verdicts: list[Verdict], title: str) -> str:
    out = [title, summary(verdicts), ""]
    shown: tuple = ()
    for v in verdicts:
        trail = tuple(h for h in v.item.headings if h[0] > 1)
        if trail != shown and trail:
            out.append(" / ".join(t for _l, t in trail[-2:]))
            shown = trail
        out.append(f"  {v.status.upper():<26} {v.item.text}")
        for f in v.findings:
            out.append(f"      {_finding_line(f, False)}")
        for note in v.evidence:
            out.append(f"      {note}")
    return "\n".join(out) + "\n"


def as_json(verdicts: list[Verdict], title: str, alerts: list) -> str:
    items = [
        {
            "text": v.item.text,
            "matched": v.known,
            "section": [t for _l, t in v.item.headings if _l > 1],
            "checked": v.item.checked,
            "line": v.item.line,
            "status": v.status,
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
    data = {
        "checklist": title,
        "summary": {s: counts.get(s, 0) for s in ORDER},
        "items": items,
        "alerts": [
            {
                "alert": a.name,
                "path": a.path,
                "line": a.line,
                "category": a.threshold.category,
                "threshold": a.threshold.threshold,
                "comparison": a.threshold.comparison,
                "for_seconds": a.for_seconds,
            }
            for a in alerts
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
