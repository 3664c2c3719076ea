"""Batch independence on a real repository: one full call vs one call per file (as pre-commit
names files), compared finding by finding.

usage: python scripts/batch_check.py MANIFESTLINT_EXECUTABLE REPO"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter


def _findings(exe: str, repo: str, args: list[str]) -> list[tuple]:
    out = subprocess.run([exe, "lint", "-f", "json", *args], cwd=repo, capture_output=True, text=True).stdout
    found = json.loads(out)["findings"] if out.strip() else []
    return [(f["path"], f["line"], f["column"], f["rule"], f["message"]) for f in found]


def main() -> None:
    exe, repo = sys.argv[1], sys.argv[2]
    listed = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True).stdout.split()
    files = [f for f in listed if f.endswith((".yaml", ".yml", ".rules")) or "Dockerfile" in f]
    full = Counter(_findings(exe, repo, ["."]))
    single: Counter = Counter()
    for name in files:
        single.update(_findings(exe, repo, [name]))
    only_full, only_single = full - single, single - full
    changed = {key[0] for key in only_full + only_single}
    print(
        f"{repo}: full {sum(full.values())}, one-file calls {sum(single.values())}; differing findings "
        f"{sum(only_full.values())}+{sum(only_single.values())} in {len(changed)} of {len(files)} files"
    )
    for key in list(only_full)[:8]:
        print("  only full  ", key[:4])
    for key in list(only_single)[:8]:
        print("  only single", key[:4])


if __name__ == "__main__":
    main()
