"""Instructions that are wrong or deprecated on their own: WORKDIR, stage names, MAINTAINER, EXPOSE."""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile, Stage, unquote
from manifestlint.registry import rule
from manifestlint.rules.docker.common import _stage_label
from manifestlint.templating import is_placeholder


@rule("docker-relative-workdir", "dockerfile")
def relative_workdir(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "WORKDIR":
            continue
        raw = instr.body.strip()
        path = unquote(raw)
        if not path or path.startswith(("/", "$")) or re.match(r"^[A-Za-z]:[\\/]|^\\", path):
            continue
        yield hit(
            df.path,
            instr.span_of(instr.body_start, len(raw)),
            f"WORKDIR {path!r} is relative to the previous WORKDIR; use an absolute path",
            _stage_label(df, instr),
        )


@rule("docker-duplicate-stage-name", "dockerfile")
def duplicate_stage_name(df: Dockerfile, ctx) -> Iterator[Finding]:
    seen: dict[str, Stage] = {}
    for stage in df.stages:
        if stage.name is None:
            continue
        if stage.name in seen:
            instr = stage.from_instr
            low = instr.args.lower()
            off = low.rfind(stage.name)
            yield hit(
                df.path,
                instr.span_of(off, len(stage.name)) if off >= 0 else instr.keyword_span,
                f"stage name {stage.name!r} is already used on line {seen[stage.name].from_instr.line}",
                stage.label,
            )
        else:
            seen[stage.name] = stage


@rule("docker-maintainer-deprecated", "dockerfile")
def maintainer_deprecated(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword == "MAINTAINER":
            yield hit(
                df.path,
                instr.keyword_span,
                'MAINTAINER is deprecated; use LABEL org.opencontainers.image.authors="…"',
                _stage_label(df, instr),
            )


_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(\w+))?$")


@rule("docker-expose-invalid-port", "dockerfile")
def expose_invalid_port(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "EXPOSE":
            continue
        for m in re.finditer(r"\S+", instr.body):
            word = m.group()
            if "$" in word or is_placeholder(word):
                continue  # a variable, or a sample's blank (`???`, `<port>`)
            pm = _PORT.match(word)
            ok = (
                bool(pm)
                and all(p is None or (len(p) <= 5 and int(p) <= 65535) for p in (pm.group(1), pm.group(2)))
                and (pm.group(3) or "tcp").lower() in ("tcp", "udp", "sctp")
            )
            if not ok:
                yield hit(
                    df.path,
                    instr.span_of(instr.body_start + m.start(), len(word)),
                    f"EXPOSE {word!r} is not a port (0-65535, optionally /tcp, /udp or /sctp)",
                    _stage_label(df, instr),
                )
