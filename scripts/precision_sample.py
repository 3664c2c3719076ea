"""A fixed-seed sample of findings with their source line, for judging precision by hand.

usage: python scripts/precision_sample.py REPO REPORT.json [N]
REPORT is `manifestlint lint -f json .` run at REPO's root; the same seed gives the same
indexes, so a before/after pair of reports can be judged side by side."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path


def main() -> None:
    repo, report = Path(sys.argv[1]), sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    findings = json.loads(Path(report).read_text())["findings"]
    random.seed(7)
    for i in sorted(random.sample(range(len(findings)), min(count, len(findings)))):
        f = findings[i]
        try:
            line = (repo / f["path"]).read_text(errors="replace").splitlines()[f["line"] - 1].strip()
        except (OSError, IndexError):
            line = "?"
        where = f"{f['path']}:{f['line']}:{f['column']}"
        print(f"[{i}] {f['severity'][0].upper()} {f['rule']} {where} | {f['message'][:150]} || {line[:100]}")


if __name__ == "__main__":
    main()
