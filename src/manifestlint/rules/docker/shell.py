"""How RUN scripts behave as shell: pipes that hide failures, curl | sh, cd, chmod."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import replace

from manifestlint.model import Finding, Fix, hit
from manifestlint.parse.dockerfile import Dockerfile, Instruction, Stage
from manifestlint.registry import rule
from manifestlint.rules.docker.common import (
    _SHELLS,
    _WINDOWS_BASE,
    _commands,
    _invocations,
    _prog_name,
    _program,
    _scripts,
    _stage_label,
    _word_span,
    word_fix,
)


@rule("docker-curl-pipe-shell", "dockerfile")
def curl_pipe_shell(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        for text, span_fn in _scripts(instr):
            commands = _commands(text)
            for (_, left), (op, right) in itertools.pairwise(commands):
                li, ri = _program(left), _program(right)
                if op != "|" or _prog_name(left, li) not in ("curl", "wget"):
                    continue
                shell = _prog_name(right, ri)
                if shell in _SHELLS or re.fullmatch(r"python[0-9.]*|perl|ruby|node", shell):
                    start = left[li][1]
                    end = right[ri][1] + right[ri][2]
                    yield hit(
                        df.path,
                        span_fn(start, end - start),
                        f"a downloaded script is piped into {shell} without verification; download, "
                        "check a checksum or signature, then run it",
                        _stage_label(df, instr),
                    )


_WORLD_WRITABLE = re.compile(r"^0*[0-7]?[0-7][0-7][2367]$")


_SYMBOLIC_WORLD = re.compile(r"^(a|o|ugo|oug|uog|go|og)?\+[rxX]*w[rxX]*$")


def _bad_mode(mode: str) -> bool:
    if _WORLD_WRITABLE.match(mode):
        return not (len(mode) == 4 and mode[0] in "13")  # 1777/3777: sticky /tmp-style directory
    return any(_SYMBOLIC_WORLD.match(part) and not part.startswith(("u", "g+")) for part in mode.split(","))


@rule("docker-chmod-777", "dockerfile")
def chmod_777(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        label = _stage_label(df, instr)
        for mode in instr.flags.get("chmod", []):
            if _bad_mode(mode):
                off = instr.flag_offsets["chmod"]
                yield hit(df.path, instr.span_of(off, len(mode)), f"--chmod={mode} is world-writable", label)
        for prog, words, i, span_fn, text in _invocations(instr):
            if prog != "chmod":
                continue
            for k in range(i + 1, len(words)):
                mode = words[k][0]
                if mode.startswith("-"):
                    continue
                target = words[k + 1][0] if k + 1 < len(words) else ""
                removed = r"\brm\s+-\w*[rR]\w*\s+[^;&|]*" + re.escape(target)
                if target and re.search(removed, text[words[k][1] :]):
                    break  # a scratch directory deleted again in the same RUN never ships
                if _bad_mode(mode):
                    yield hit(
                        df.path,
                        _word_span(words, k, span_fn),
                        f"chmod {mode} makes files world-writable; grant only the owner what it needs",
                        label,
                    )
                break


@rule("docker-cd-in-run", "dockerfile")
def cd_in_run(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        scripts = _scripts(instr)
        if not scripts:
            continue
        text, span_fn = scripts[0]
        commands = _commands(text)
        if not commands:
            continue
        words = commands[0][1]
        i = _program(words)
        if _prog_name(words, i) != "cd":
            continue
        only = len(commands) == 1 and len(scripts) == 1
        yield hit(
            df.path,
            _word_span(words, i, span_fn, min(i + 1, len(words) - 1)),
            "this RUN only changes directory, which has no effect on later instructions: use WORKDIR"
            if only
            else "RUN starts with cd: set the directory with WORKDIR instead",
            _stage_label(df, instr),
        )


_NON_POSIX_SHELL = re.compile(r"(pwsh|powershell|cmd)(\.exe)?$", re.IGNORECASE)


_PIPEFAIL_SET = re.compile(r"\bset\b[^;&|\n]*\bpipefail\b|-o\s+pipefail\b")


_CANNOT_FAIL = frozenset({"echo", "printf", "yes", "true"})


@rule("docker-pipefail", "dockerfile")
def pipefail(df: Dockerfile, ctx) -> Iterator[Finding]:
    if df.directives.get("escape", ("\\",))[0] == "`":
        return  # a Windows Dockerfile: cmd / PowerShell
    # Per stage: does RUN's shell fail on a failed pipe stage (SHELL with -o pipefail), or is
    # it no POSIX shell at all (PowerShell, cmd)? A stage built FROM another inherits its SHELL.
    guarded: dict[int, bool] = {}
    shells: dict[int, Instruction | None] = {}  # the SHELL in force at the end of each stage
    for stage in df.stages:
        if stage.parent_stage is not None:
            ok, shell = guarded.get(stage.parent_stage, False), shells.get(stage.parent_stage)
        else:
            ok, shell = bool(_WINDOWS_BASE.search(stage.base_resolved)), None
        fix: Fix | bool | None = False  # the stage's one fix, made at its first unguarded pipe
        for instr in stage.instructions:
            if instr.keyword == "SHELL" and instr.exec_form:
                argv = instr.exec_form
                ok = "pipefail" in argv or bool(_NON_POSIX_SHELL.search(argv[0].rsplit("\\", 1)[-1]))
                shell, fix = instr, False
            elif not ok:
                for found in _unguarded_pipe(df, stage, instr):
                    if fix is False:
                        fix = _pipefail_fix(df, stage, instr, shell)
                    yield replace(found, fix=fix or None)
        guarded[stage.index], shells[stage.index] = ok, shell


_BASH_PIPEFAIL = 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]'
_DEBIAN = re.compile(r"^(docker\.io/)?(library/)?(debian|ubuntu|buildpack-deps)([:@]|$)", re.IGNORECASE)


def _pipefail_fix(df: Dockerfile, stage: Stage, instr: Instruction, shell: Instruction | None) -> Fix | None:
    """pipefail where bash is the shell: `"-o", "pipefail"` added to a bash SHELL, or, with no
    SHELL, a bash SHELL with pipefail before the stage's first unguarded RUN when the image is
    Debian or Ubuntu (bash is an essential package there). None when a later RUN could start
    failing for it (a pipe into `head` or `grep -q`, whose early exit kills the writer) or
    reads differently in bash (`echo` with a backslash: dash expands it, bash does not)."""
    start = shell if shell is not None else instr
    if _risky_under_bash([i for i in df.instructions if i.line >= start.line]):
        return None
    if shell is not None:
        argv = shell.exec_form or []
        at = shell.args.rfind('"-c"')
        if not argv or argv[0].rsplit("/", 1)[-1] != "bash" or at < shell.body_start:
            return None
        return word_fix(
            df, shell.span_of(at, 4), "add -o pipefail to the SHELL", lambda old: f'"-o", "pipefail", {old}'
        )
    if instr.keyword != "RUN" or not _debian_family(df, stage):
        return None
    indent = df.lines[instr.line - 1][: instr.keyword_span.col - 1]
    if indent.strip():
        return None
    return word_fix(
        df,
        instr.keyword_span,
        "add a bash SHELL with pipefail",
        lambda old: f"{_BASH_PIPEFAIL}\n{indent}{old}",
    )


def _debian_family(df: Dockerfile, stage: Stage) -> bool:
    """The stage's image is Debian or Ubuntu: its root base says so, or it (or a stage it is
    built FROM) runs apt-get or dpkg."""
    seen = set()
    current: Stage | None = stage
    while current is not None and current.index not in seen:
        seen.add(current.index)
        if any(
            prog in ("apt-get", "apt", "dpkg") for i in current.instructions for prog, *_ in _invocations(i)
        ):
            return True
        if current.parent_stage is None:
            return bool(_DEBIAN.match(current.base_resolved))
        current = df.stages[current.parent_stage]
    return False


_EARLY_EXIT = frozenset({"-q", "--quiet", "--silent", "-m", "--max-count", "-l", "--files-with-matches"})
_BUNDLED_EARLY_EXIT = re.compile(r"-[A-Za-z]*[qml][A-Za-z]*")


def _exits_early(prog: str, args: list) -> bool:
    """A pipe reader that may stop reading before the writer is done (the writer then dies
    of SIGPIPE, which pipefail turns into a failed build)."""
    if prog == "head":
        return True
    if prog not in ("grep", "egrep", "fgrep"):
        return False
    return any(w[0].split("=", 1)[0] in _EARLY_EXIT or _BUNDLED_EARLY_EXIT.fullmatch(w[0]) for w in args)


def _risky_under_bash(instructions: list[Instruction]) -> bool:
    """Would one of these RUNs behave differently under bash with pipefail than under sh?"""
    for instr in instructions:
        for text, _ in _scripts(instr):
            for k, (op, words) in enumerate(_commands(text)):
                i = _program(words)
                prog = _prog_name(words, i)
                if prog == "echo" and any("\\" in w[0] for w in words[i + 1 :]):
                    return True
                if op == "|" and k > 0 and _exits_early(prog, words[i + 1 :]):
                    return True
    return False


def _unguarded_pipe(df: Dockerfile, stage: Stage, instr: Instruction) -> Iterator[Finding]:
    for text, span_fn in _scripts(instr):
        commands = _commands(text)
        for k, ((_, left), (op, right)) in enumerate(itertools.pairwise(commands)):
            if op != "|" or not left or not right:
                continue
            if (k + 2 < len(commands) and commands[k + 2][0] == ")") or any(w[0] == "case" for w in left):
                continue  # `case $x in a|b)`: alternatives of a case pattern, not a pipe
            li, ri = _program(left), _program(right)
            if li >= len(left) or ri >= len(right) or _prog_name(left, li) in _CANNOT_FAIL:
                continue
            if _PIPEFAIL_SET.search(text, 0, left[li][1]):
                break  # `set -o pipefail` earlier in the same script
            start, end = left[li][1], right[ri][1] + right[ri][2]
            yield hit(
                df.path,
                span_fn(start, end - start),
                f"`{_prog_name(left, li)} | {_prog_name(right, ri)}`: without pipefail a failure of "
                f"{_prog_name(left, li)} is ignored and the build goes on; add "
                'SHELL ["/bin/bash", "-o", "pipefail", "-c"] (or `set -o pipefail` in this RUN)',
                stage.label,
            )
            return  # one finding per RUN
