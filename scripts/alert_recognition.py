"""Measure alert recognition on real rule files: counts per category and every recognised
alert (category, normalised threshold, for), for a hand check.

    .venv/bin/python scripts/alert_recognition.py DIR... [--list]
"""

import collections
import sys
from pathlib import Path

from manifestlint.alerts.thresholds import recognise
from manifestlint.parse.yaml import load_plain_yaml

counts = collections.Counter()
total = 0
rows = []
for root in [a for a in sys.argv[1:] if not a.startswith("--")]:
    for p in sorted(Path(root).rglob("*.y*ml")):
        try:
            data = load_plain_yaml(p.read_text())
        except Exception:
            continue
        docs = data if isinstance(data, list) else [data]
        for d in docs:
            if not isinstance(d, dict):
                continue
            groups = (
                d.get("groups") or (d.get("spec") or {}).get("groups")
                if isinstance(d.get("spec") or {}, dict)
                else d.get("groups")
            )
            if not isinstance(groups, list):
                continue
            for g in groups:
                for r in (g or {}).get("rules") or []:
                    if not isinstance(r, dict) or "alert" not in r:
                        continue
                    total += 1
                    t = recognise(str(r.get("expr", "")))
                    if t:
                        counts[t.category] += 1
                        rows.append(
                            (
                                t.category,
                                t.shown(),
                                r.get("for"),
                                r["alert"],
                                str(p),
                                " ".join(str(r["expr"]).split()),
                            )
                        )
print(total, dict(counts))
if "--list" in sys.argv:
    for r in rows:
        print(*r, sep=" | ")
