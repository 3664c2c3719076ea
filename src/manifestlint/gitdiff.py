"""`--diff-base REF`: lint what a pull request changed, report what it touched.

The files are those changed between the merge base of REF and HEAD and the working tree
(committed, staged and unstaged changes; deleted files dropped). Findings are kept only on
lines the change added or modified — what GitHub itself shows on a pull request. Cross-file
rules still see the whole project, so a changed Deployment is judged with its unchanged PDB.

git runs through manifestlint.git (nothing configured in the tree can run) with every output
option fixed: `--text` (a committed `*.yaml -diff` must not hide the hunks), explicit `a/` and
`b/` prefixes (a user's `diff.mnemonicPrefix` or `diff.noprefix`), no colour, NUL-separated
name lists and C-quoted patch headers decoded exactly (spaces, tabs, quotes, backslashes,
non-ASCII names).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from manifestlint.git import GitError, Repository, find_root, repository

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.M)
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}
_SHALLOW = "this is a shallow clone without that history: fetch it (actions/checkout: `fetch-depth: 0`)"


class DiffError(Exception):
    """git could not answer (not a repository, unknown ref, shallow clone): exit 2."""


def unquote(name: bytes) -> bytes:
    """A path as git prints it in a patch header (C-quoted when unusual) back to its bytes."""
    if not (name.startswith(b'"') and name.endswith(b'"') and len(name) >= 2):
        return name
    out = bytearray()
    body, i = name[1:-1], 0
    while i < len(body):
        char = body[i : i + 1]
        if char != b"\\":
            out += char
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif re.fullmatch(rb"[0-7]{3}", body[i + 1 : i + 4]):
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
        else:  # not something git writes: keep it as it stands
            out += char
            i += 1
    return bytes(out)


def _header_name(line: bytes) -> bytes | None:
    """The new-side path of a `+++ ` line, without its `b/` prefix; None for /dev/null."""
    name = line[4:]
    if name == b"/dev/null":
        return None
    if not name.startswith(b'"') and name.endswith(b"\t"):
        name = name[:-1]  # git appends a tab to unquoted names holding a space
    name = unquote(name)
    return name[2:] if name.startswith(b"b/") else name


def _base_commit(repo: Repository, base: str) -> str:
    def shallow() -> bool:
        try:
            return repo.run("rev-parse", "--is-shallow-repository").strip() == b"true"
        except GitError:
            return False

    try:
        repo.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{base}^{{commit}}")
    except GitError:
        if shallow():
            raise DiffError(f"{base!r} is not in this repository: {_SHALLOW}") from None
        raise DiffError(f"unknown revision {base!r}") from None
    try:
        return repo.run("merge-base", "--end-of-options", base, "HEAD").decode().strip()
    except GitError:
        if shallow():
            raise DiffError(f"no merge base with {base!r}: {_SHALLOW}") from None
        raise DiffError(f"no common history with {base!r}") from None


def changed_lines(base: str, cwd: Path) -> dict[Path, set[int]]:
    """Absolute path -> line numbers (1-based, new side) added or modified since `base`."""
    from manifestlint.safeio import Unreadable, read_inside

    root = find_root(cwd.resolve())
    if root is None:
        raise DiffError("not inside a git work tree")
    try:
        repo = repository(root)
        merge_base = _base_commit(repo, base)
        names = repo.run("diff", "-z", "--name-only", "--no-renames", "--diff-filter=AM", merge_base, "--")
        diff = repo.run(
            "diff", "-U0", "--inter-hunk-context=0", "--text", "--no-textconv", "--no-ext-diff",
            "--no-color", "--no-relative", "--src-prefix=a/", "--dst-prefix=b/", "--find-renames",
            "--ignore-submodules=all", "--diff-filter=AMR", merge_base, "--",
        )  # fmt: skip
        untracked = repo.run("ls-files", "-z", "--others", "--exclude-standard")
    except GitError as exc:
        raise DiffError(str(exc)) from None

    def path_of(raw: bytes) -> Path:
        return root / raw.decode("utf-8", "surrogateescape")

    out: dict[Path, set[int]] = {path_of(n): set() for n in names.split(b"\0") if n}
    current: set[int] | None = None
    in_header = False  # an added line `++ x` reads `+++ x`: only headers name files
    for line in diff.split(b"\n"):
        if line.startswith(b"diff --git "):
            in_header, current = True, None
        elif in_header and line.startswith(b"+++ "):
            name = _header_name(line)
            current = None if name is None else out.setdefault(path_of(name), set())
        elif line.startswith(b"@@") and current is not None:
            in_header = False
            match = _HUNK.match(line)
            if match:
                start, count = int(match.group(1)), int(match.group(2) or b"1")
                current.update(range(start, start + count))
    for raw in untracked.split(b"\0"):
        if not raw:
            continue
        path = path_of(raw)  # new, untracked files: every line is new
        try:
            out[path] = set(range(1, read_inside(path, root).count(b"\n") + 2))  # never through a link out
        except Unreadable:
            out[path] = {1}  # reported as unreadable at line 1
    return {path: lines for path, lines in out.items() if lines and os.path.lexists(path)}
