"""Who the image runs as: root, a name the kubelet cannot verify, sudo."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import partial

from manifestlint.model import Edit, Finding, Fix, Severity, Span, at_most, hit
from manifestlint.parse.dockerfile import Dockerfile, Instruction, Stage, substitute
from manifestlint.project import families
from manifestlint.project.images import (
    DEV,
    base_user,
    final_user,
    known_root_base,
)
from manifestlint.registry import rule
from manifestlint.rules.docker.common import (
    _ASSIGN,
    _WINDOWS_BASE,
    _chain,
    _chain_instructions,
    _commands,
    _role,
    _scripts,
    _stage_label,
    _word_span,
)


def _is_root(user: str) -> bool:
    name = user.split(":", 1)[0].strip()
    return name in ("root", "0") or name.lower() == "containeradministrator"


@rule("docker-root-user", "dockerfile")
def root_user(df: Dockerfile, ctx) -> Iterator[Finding]:
    role = _role(df, ctx)
    if role.name == DEV:  # a development environment: root is its user's choice, said as a note
        for found in _root_user(df, ctx):
            yield at_most(replace(found, message=f"{found.message} (a development image: {role.evidence})"),
                          Severity.NOTE)  # fmt: skip
    elif role.service:
        yield from _root_user(df, ctx)
    # a GitHub Docker action must run as root; test, CI and tool images may


_UID_OPTION = frozenset({"-u", "--uid"})
NOBODY = "65534"  # `nobody` in Debian's, Alpine's and busybox's /etc/passwd


def created_uid(df: Dockerfile, name: str) -> str | None:
    """The uid a RUN of the image gives the user `name` it creates (`useradd -u 10001 app`,
    `adduser -D -u 10001 app`): the last such command wins; None when none names it."""
    uid = None
    for instr in _chain_instructions(df):
        for text, _ in _scripts(instr):
            for _, words in _commands(text):
                names = [w[0] for w in words]
                if not names or names[-1] != name:
                    continue
                if not {"useradd", "adduser"} & {n.rsplit("/", 1)[-1] for n in names}:
                    continue
                for k, word in enumerate(names[:-1]):
                    if word in _UID_OPTION and names[k + 1].isdigit() and names[k + 1] != "0":
                        uid = names[k + 1]
    return uid


def _user_fix(df: Dockerfile, final: Stage) -> Fix | None:
    """`USER <uid>` after the final stage's last instruction (unsafe: files the process
    writes may belong to root): the uid a RUN of the image gives the user it creates
    (`useradd -u 10001 app`), else 65534 (nobody). A numeric id needs no passwd entry and
    lets Kubernetes verify runAsNonRoot."""
    uid = NOBODY
    for instr in _chain_instructions(df):
        for text, _ in _scripts(instr):
            for _, words in _commands(text):
                names = [w[0] for w in words]
                if not {"useradd", "adduser"} & {n.rsplit("/", 1)[-1] for n in names}:
                    continue
                for k, name in enumerate(names[:-1]):
                    if name in _UID_OPTION and names[k + 1].isdigit() and names[k + 1] != "0":
                        uid = names[k + 1]
    last = final.instructions[-1] if final.instructions else final.from_instr
    line = df.lines[last.span.end_line - 1] if last.span.end_line <= len(df.lines) else ""
    if not line:
        return None
    at = Span(last.span.end_line, len(line), last.span.end_line, len(line) + 1)
    return Fix(f"add USER {uid}", (Edit(at, f"{line[-1]}\nUSER {uid}", line[-1]),))


def _root_user(df: Dockerfile, ctx) -> Iterator[Finding]:
    final = df.final_stage
    if final is None:
        return
    project = getattr(ctx, "project", None)
    if project is not None and project.user_elsewhere(df):
        return  # it runs only under Kubernetes, and every pod sets a non-root runAsUser
    last_user: Instruction | None = None
    for instr in _chain_instructions(df):
        if instr.keyword == "USER":
            last_user = instr
    if last_user is None:
        base = _chain(df)[-1]
        if base.base_resolved.lower() == "scratch":
            return  # nothing in scratch has a user database; PID 1 runs as 0 — still root
        patterns = tuple(ctx.options.get("non-root-images") or ())
        if base_user(base.base_resolved, patterns) is not None:
            return  # the base image sets a non-root USER itself (project/known_images.py)
        finding = _inherited_user(df, ctx, base, patterns)
        if finding is not False:
            if finding is not None:
                yield finding
            return
        message = f"the final stage never sets USER, so the container runs as root (base {base.base!r})"
        found = hit(
            df.path, final.from_instr.keyword_span, message, final.label, fix=partial(_user_fix, df, final)
        )
        if not known_root_base(base.base_resolved):  # root only if the base sets no USER itself
            found = at_most(
                replace(
                    found,
                    message=f"the final stage never sets USER: the container runs as whatever the base "
                    f"image {base.base_resolved!r} sets, which manifestlint does not know (root unless it "
                    "sets a USER); set USER, or list the image in the non-root-images option",
                ),
                Severity.NOTE,
            )
        yield found
        return
    user = substitute(last_user.body.strip(), df.global_args)
    if _is_root(user):
        where = last_user.span_of(last_user.body_start, len(last_user.body.rstrip()))
        if last_user.stage != final.index:
            where = final.from_instr.keyword_span
        yield hit(
            df.path,
            where,
            f"the final stage runs as {user!r} (USER on line {last_user.line}); "
            "switch to an unprivileged user",
            final.label,
        )


def _inherited_user(df: Dockerfile, ctx, base: Stage, patterns: tuple[str, ...]) -> Finding | bool | None:
    """docker-root-user for an image built FROM another Dockerfile of the repository (issue 19,
    principle 6): the family's USER decides. False when the base is not built here; None when
    the family runs as a non-root user; else the finding, naming the Dockerfile that decided."""
    project = getattr(ctx, "project", None)
    if project is None or families.base_dockerfile(project, df) is None:
        return False
    final = df.final_stage
    user, where = families.family_user(project, df, patterns)
    if user.user is not None and not user.root:
        return None  # e.g. `USER app` in the base image's Dockerfile
    shown = project.display(where) if where else "its family"
    if user.root:
        source = (
            f"USER {user.instr.body.strip()} on line {user.instr.line} of {shown}"
            if user.instr is not None
            else f"{shown}, whose base runs as root"
        )
        message = f"the final stage never sets USER; it inherits root from the image family ({source})"
        return hit(df.path, final.from_instr.keyword_span, message, final.label)
    message = (
        f"the final stage never sets USER; its base {base.base_resolved!r} is built by "
        f"{shown} in this repository, and the family's user is not known: set USER"
    )
    return at_most(hit(df.path, final.from_instr.keyword_span, message, final.label), Severity.NOTE)


@rule("docker-sudo", "dockerfile")
def sudo(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        for text, span_fn in _scripts(instr):
            for _, words in _commands(text):
                for k, word in enumerate(words):
                    if _ASSIGN.match(word[0]):
                        continue
                    if word[0] == "sudo":
                        yield hit(
                            df.path,
                            _word_span(words, k, span_fn),
                            "sudo in a Dockerfile: RUN already runs as root; switch with USER, or use "
                            "gosu/su-exec in the entrypoint",
                            _stage_label(df, instr),
                        )
                    break


@rule("docker-non-numeric-user", "dockerfile")
def non_numeric_user(df: Dockerfile, ctx) -> Iterator[Finding]:
    final = df.final_stage
    if final is None or not _role(df, ctx).service:
        return
    if any(_WINDOWS_BASE.search(s.base_resolved) for s in _chain(df)):
        return  # Windows users (ContainerUser) are names by design
    user = final_user(df)
    if user.instr is None or user.user is None or user.root or user.numeric or not user.name:
        return
    instr = user.instr
    yield hit(
        df.path,
        instr.span_of(instr.body_start, len(instr.body.rstrip())),
        f"the final USER {user.user!r} is a name: Kubernetes cannot verify runAsNonRoot for it (the "
        "kubelet refuses the pod unless runAsUser is set); use the numeric id, e.g. USER 10001:10001",
        final.label,
    )
