"""`--diff-base REF`: lint what a pull request changed, report what it touched.

The files are those changed between the merge base of REF and HEAD and the working tree
(committed, staged and unstaged changes; deleted files dropped). Findings are kept only on
lines the change added or modified — what GitHub itself shows on a pull request. Cross-file
rules still see the whole project, so a changed Deployment is judged with its unchanged PDB.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.M)


class DiffError(Exception):
    """git could not answer (not a repository, unknown ref)."""


def _git(cwd: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise DiffError(f"git failed: {exc}") from None
    if proc.returncode != 0:
        raise DiffError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "git failed")
    return proc.stdout


def changed_lines(base: str, cwd: Path) -> dict[Path, set[int]]:
    """Absolute path -> line numbers (1-based, new side) added or modified since `base`."""
    root = Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
    merge_base = _git(cwd, "merge-base", base, "HEAD").strip()
    diff = _git(root, "diff", "-U0", "--no-color", "--no-ext-diff", "--diff-filter=AMR", merge_base, "--")
    out: dict[Path, set[int]] = {}
    current: set[int] | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            current = None if name == "/dev/null" else out.setdefault(root / name.removeprefix("b/"), set())
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            if match:
                start, count = int(match.group(1)), int(match.group(2) or "1")
                current.update(range(start, start + count))
    for name in _git(root, "ls-files", "--others", "--exclude-standard").splitlines():
        path = root / name  # new, untracked files: every line is new
        try:
            out[path] = set(range(1, path.read_bytes().count(b"\n") + 2))
        except OSError:
            continue
    return {path: lines for path, lines in out.items() if lines and path.is_file()}
