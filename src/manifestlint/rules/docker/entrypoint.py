"""How the container starts: ENTRYPOINT/CMD form and repeats that have no effect."""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile, Instruction, Stage
from manifestlint.registry import rule
from manifestlint.rules.docker.common import _ASSIGN, _SHELLS, _chain_instructions, _commands


@rule("docker-shell-form-entrypoint", "dockerfile")
def shell_form_entrypoint(df: Dockerfile, ctx) -> Iterator[Finding]:
    final = df.final_stage
    if final is None:
        return
    last: dict[str, Instruction] = {}
    for instr in _chain_instructions(df):
        if instr.keyword in ("CMD", "ENTRYPOINT"):
            last[instr.keyword] = instr
    if "ENTRYPOINT" in last and last["ENTRYPOINT"].exec_form is None:
        last.pop("CMD", None)  # a shell-form ENTRYPOINT ignores CMD altogether
    for kw in ("ENTRYPOINT", "CMD"):
        instr = last.get(kw)
        if instr is not None and instr.exec_form is not None:
            yield from _shell_wrapper(df, instr, final)
            continue
        if instr is None or not instr.body.strip():
            continue
        if instr.body.lstrip().startswith(("exec ", "[")):  # `[`: reported as docker-syntax-error
            continue  # `sh -c 'exec app'` replaces the shell, so the app is PID 1
        yield hit(
            df.path,
            instr.span_of(instr.body_start, len(instr.body.rstrip())),
            f"shell-form {kw} runs under /bin/sh -c: the app is not PID 1 and never receives SIGTERM; "
            'use the JSON form ["app", "arg"]',
            final.label,
        )


def _shell_wrapper(df: Dockerfile, instr: Instruction, final: Stage) -> Iterator[Finding]:
    """`["sh", "-c", "app --flag"]` is the shell form written as JSON: the shell is PID 1
    unless the script `exec`s the app."""
    argv = instr.exec_form or []
    if len(argv) < 3 or argv[0].rsplit("/", 1)[-1] not in _SHELLS:
        return
    flag = next((k for k in range(1, len(argv) - 1) if re.fullmatch(r"-[a-z]*c[a-z]*", argv[k])), None)
    if flag is None:
        return
    script = argv[flag + 1]
    if len(_commands(script)) < 2:
        return  # bash, dash and ash exec a lone simple command of `-c` themselves
    for _, words in _commands(script):
        first = next((w[0] for w in words if not _ASSIGN.match(w[0])), "")
        if first == "exec":
            return  # the shell replaces itself with the app
    at = instr.args.find(json_quote(script))
    where = instr.span_of(at, len(json_quote(script))) if at >= 0 else instr.keyword_span
    yield hit(
        df.path,
        where,
        f"{instr.keyword} runs its command through {argv[0]} -c: the shell is PID 1 and does not forward "
        "SIGTERM; start the script's last command with `exec`, or list the program and its arguments",
        final.label,
    )


def json_quote(text: str) -> str:
    import json

    return json.dumps(text)


def _repeated(keyword: str):
    def check(df: Dockerfile, ctx) -> Iterator[Finding]:
        for stage in df.stages:
            found = [i for i in stage.instructions if i.keyword == keyword]
            for instr in found[:-1]:
                yield hit(
                    df.path,
                    instr.keyword_span,
                    f"this {keyword} has no effect: a later {keyword} on line {found[-1].line} replaces it",
                    stage.label,
                )

    return check


multiple_cmd = rule("docker-multiple-cmd", "dockerfile")(_repeated("CMD"))


multiple_entrypoint = rule("docker-multiple-entrypoint", "dockerfile")(_repeated("ENTRYPOINT"))
