"""What RUN executes beyond package managers: commands that do nothing useful in a build,
download tools, user creation, password setting, the /bin/sh link, and RUN layering.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile, Instruction
from manifestlint.registry import rule
from manifestlint.rules.docker.common import (
    Word,
    _commands,
    _stage_label,
    _word_span,
    calls,
    program_index,
)

_POINTLESS = {
    "ssh": "an image build has no one to log in as; copy files in with COPY",
    "vim": "an editor has no one to type in a build; write files with COPY or sed",
    "vi": "an editor has no one to type in a build; write files with COPY or sed",
    "nano": "an editor has no one to type in a build; write files with COPY or sed",
    "shutdown": "there is no machine to shut down in a build step",
    "reboot": "there is no machine to reboot in a build step",
    "service": "services started in a RUN stop when the step ends; start them in the entrypoint",
    "systemctl": "there is no init system in a build step; start services in the entrypoint",
    "ps": "a RUN shows no process but its own; its output helps no one",
    "free": "the memory of the build machine says nothing about where the image runs",
    "top": "an interactive monitor has no one to watch it in a build",
    "kill": "no process of an earlier step survives to be killed",
    "mount": "mounts made in a RUN vanish when it ends; use RUN --mount or volumes",
    "ifconfig": "the build's network says nothing about where the image runs",
}


@rule("docker-pointless-command", "dockerfile")
def pointless_command(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr, prog, words, i, span_fn, _ in calls(df, *(p for p in program_index(df) if p in _POINTLESS)):
        why = _POINTLESS[prog]
        if prog == "kill" and any(w[0] in ("-0", "-l") for w in words):
            continue
        if prog == "systemctl" and i + 1 < len(words) and words[i + 1][0] in ("enable", "disable", "mask"):
            continue  # configuring units for an image that boots systemd is meaningful
        yield hit(
            df.path, _word_span(words, i, span_fn), f"`{prog}` in a RUN: {why}", _stage_label(df, instr)
        )


_WGET_QUIET = re.compile(
    r"--progress(=.*)?|-q|--quiet|-nv|--no-verbose|-o|--output-file(=.*)?|-a|--append-output(=.*)?"
)


@rule("docker-wget-progress", "dockerfile")
def wget_progress(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr, _, words, i, span_fn, _ in calls(df, "wget"):
        if any(_WGET_QUIET.fullmatch(w[0]) or re.fullmatch(r"-[a-zA-Z]*q\S*", w[0]) for w in words):
            continue
        yield hit(
            df.path,
            _word_span(words, i, span_fn),
            "wget without --progress=dot:giga (or -q / -nv) fills the build log with a progress bar "
            "redrawn for every kilobyte",
            _stage_label(df, instr),
        )


@rule("docker-wget-and-curl", "dockerfile")
def wget_and_curl(df: Dockerfile, ctx) -> Iterator[Finding]:
    for stage in df.stages:
        first: dict[str, tuple[Instruction, list[Word], int, object]] = {}
        for instr, prog, words, i, span_fn, _ in calls(df, "wget", "curl"):
            if instr.stage == stage.index and prog not in first:
                first[prog] = (instr, words, i, span_fn)
        if len(first) < 2:
            continue
        instr, words, i, span_fn = max(first.values(), key=lambda v: (v[0].line, v[1][v[2]][1]))
        other = "curl" if words[i][0].endswith("wget") else "wget"
        yield hit(
            df.path,
            _word_span(words, i, span_fn),
            f"this stage uses both wget and curl (first {other} on line {first[other][0].line}); "
            "one download tool is enough",
            stage.label,
        )


_UID_LIMIT = 65535  # lastlog and faillog are sparse files sized by the highest UID


@rule("docker-useradd-high-uid", "dockerfile")
def useradd_high_uid(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr, _, words, i, span_fn, _ in calls(df, "useradd"):
        opts = [w[0] for w in words[i + 1 :]]
        if any(o in ("-l", "--no-log-init") or re.fullmatch(r"-[a-zA-Z]*l[a-zA-Z]*", o) for o in opts):
            continue
        for k in range(i + 1, len(words) - 1):
            word = words[k][0]
            value = words[k + 1][0] if word in ("-u", "--uid") else ""
            if word.startswith("--uid="):
                value = word.split("=", 1)[1]
            if value.isdigit() and (len(value) > 10 or int(value) > _UID_LIMIT):
                yield hit(
                    df.path,
                    _word_span(words, k + (0 if "=" in word else 1), span_fn),
                    f"useradd with UID {value} and without -l (--no-log-init) writes a sparse "
                    "/var/log/lastlog that grows the image by gigabytes on some storage drivers",
                    _stage_label(df, instr),
                )


@rule("docker-shell-symlink", "dockerfile")
def shell_symlink(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr, _, words, i, span_fn, _ in calls(df, "ln"):
        if not any((w[0].startswith("-") and "s" in w[0].lstrip("-")[:4]) or
                                   w[0] == "--symbolic" for w in words[i + 1 :]):  # fmt: skip
            continue
        args = [k for k in range(i + 1, len(words)) if not words[k][0].startswith("-")]
        if len(args) >= 2 and words[args[-1]][0] == "/bin/sh":
            yield hit(
                df.path,
                _word_span(words, args[-1], span_fn),
                "replacing /bin/sh with a link changes the shell of every later RUN behind the reader's "
                'back; say it with SHELL ["/bin/bash", "-c"]',
                _stage_label(df, instr),
            )


@rule("docker-chpasswd", "dockerfile")
def chpasswd(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr, prog, words, i, span_fn, _ in calls(df, "chpasswd", "passwd"):
        if prog == "chpasswd" or (prog == "passwd" and any(w[0] == "--stdin" for w in words)):
            yield hit(
                df.path,
                _word_span(words, i, span_fn),
                f"{prog} writes a password into the image: anyone who pulls it can read the hash, "
                "and the plain text sits in the build history",
                _stage_label(df, instr),
            )


def _simple(instr: Instruction) -> bool:
    """A RUN of one command (no `&&`, `;`, heredoc): the kind hadolint suggests joining."""
    if instr.keyword != "RUN" or instr.heredocs or instr.exec_form is not None:
        return False
    return len(_commands(instr.body)) == 1


@rule("docker-consecutive-run", "dockerfile")
def consecutive_run(df: Dockerfile, ctx) -> Iterator[Finding]:
    for stage in df.stages:
        for prev, instr in itertools.pairwise(stage.instructions):
            if not (_simple(prev) and _simple(instr)) or prev.flags != instr.flags:
                continue
            yield hit(
                df.path,
                instr.keyword_span,
                f"RUN right after the RUN on line {prev.line}: each adds a layer; join them with `&&` "
                "unless the split is there for caching",
                stage.label,
            )
