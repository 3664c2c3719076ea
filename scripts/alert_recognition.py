"""Measure alert recognition on real rule files: counts per category, every alert with
what was understood (category, normalised threshold, reason), and recall/precision
against hand labels.

    .venv/bin/python scripts/alert_recognition.py DIR... [--list] [--labels FILE.tsv]

A labels file has one line per alert a reviewer puts in a category:
`path-under-DIR<TAB>alert<TAB>category<TAB>threshold` (threshold: usage percent or
seconds; `abs` or `predict` when the alert has no figure on the policy's scale).
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

from manifestlint.alerts.quantities import Context
from manifestlint.alerts.thresholds import understand
from manifestlint.parse.yaml import load_plain_yaml


def rules_of(path: Path) -> list[dict]:
    try:
        data = load_plain_yaml(path.read_text())
    except Exception:
        return []
    out = []
    for doc in data if isinstance(data, list) else [data]:
        if not isinstance(doc, dict):
            continue
        spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
        groups = doc.get("groups") or spec.get("groups")
        for group in groups if isinstance(groups, list) else []:
            out += [r for r in (group or {}).get("rules") or [] if isinstance(r, dict)]
    return out


def main(argv: list[str]) -> None:
    roots = [a for a in argv if not a.startswith("--") and not a.endswith(".tsv")]
    labels_file = next((a for a in argv if a.endswith(".tsv")), None)
    rows = []
    for root in roots:
        files = sorted(Path(root).rglob("*.y*ml"))
        rules = {p: rules_of(p) for p in files}
        recorded: dict[str, list[str]] = {}
        for entries in rules.values():
            for r in entries:
                if "record" in r and isinstance(r.get("expr"), str):
                    recorded.setdefault(str(r["record"]), []).append(r["expr"])
        ctx = Context(recorded)
        for p, entries in rules.items():
            for r in entries:
                if "alert" in r:
                    u = understand(str(r.get("expr", "")), ctx)
                    rows.append((str(p.relative_to(root)), str(r["alert"]), u))
    counts = collections.Counter(u.threshold.category for _p, _a, u in rows if u.threshold)
    bare = collections.Counter(u.category for _p, _a, u in rows if u.category and not u.threshold)
    print(f"{len(rows)} alerts; with a threshold: {dict(counts)} = {sum(counts.values())}; "
          f"category only: {dict(bare)} = {sum(bare.values())}")  # fmt: skip
    if "--list" in argv:
        for path, alert, u in rows:
            if u.category:
                shown = u.threshold.shown() if u.threshold else f"({u.reason})"
                print(f"{u.category:10} {shown:28} {alert} ({path})")
    if labels_file:
        score(rows, labels_file)


def score(rows: list, labels_file: str) -> None:
    labels = {}
    for line in Path(labels_file).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            path, alert, category, threshold = line.split("\t")
            labels[(path, alert)] = (category, threshold)
    seen = {(p, a): u for p, a, u in rows}
    hits, wrong, misses = [], [], []
    for key, u in seen.items():
        label = labels.get(key)
        if u.category is None:
            if label:
                misses.append((key, label, "not recognised"))
            continue
        if label is None or label[0] != u.category:
            wrong.append((key, label, u))
            continue
        if (
            u.threshold
            and label[1] not in ("abs", "predict")
            and abs(float(label[1]) - u.threshold.threshold) > 1e-6
        ):
            wrong.append((key, label, u))
            continue
        hits.append(key)
    comparable = {k for k, v in labels.items() if v[1] not in ("abs", "predict")}
    with_threshold = [k for k in hits if seen[k].threshold and k in comparable]
    recognised = len(hits) + len(wrong)
    print(f"labelled {len(labels)} ({len(comparable)} with a figure on the policy's scale)")
    print(
        f"category recall {len(hits)}/{len(labels)} = {len(hits) / len(labels):.1%}; "
        f"precision {len(hits)}/{recognised} = {len(hits) / max(recognised, 1):.1%}"
    )
    share = len(with_threshold) / len(comparable)
    print(f"threshold recall {len(with_threshold)}/{len(comparable)} = {share:.1%}")
    for key, label, why in misses:
        print(f"MISS  {key[1]} ({key[0]}): labelled {label[0]} {label[1]}: {why}")
    for key in sorted(comparable - set(with_threshold)):
        label, u = labels[key], seen[key]
        if u.category == label[0] and not u.threshold:
            print(f"NOFIG {key[1]} ({key[0]}): labelled {label[0]} {label[1]}: {u.reason}")
    for key, label, u in wrong:
        got = u.threshold.shown() if u.threshold else u.reason
        print(f"WRONG {key[1]} ({key[0]}): labelled {label}, got {u.category} {got}")


if __name__ == "__main__":
    main(sys.argv[1:])
