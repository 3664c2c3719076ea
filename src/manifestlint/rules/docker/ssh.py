"""A Dockerfile that exposes SSH (port 22): a second way into the container."""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile
from manifestlint.registry import rule

_SSH = re.compile(r"22(?:/tcp)?\Z", re.IGNORECASE)


@rule("docker-expose-ssh", "dockerfile")
def expose_ssh(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "EXPOSE":
            continue
        for m in re.finditer(r"\S+", instr.body):
            if _SSH.match(m.group()):
                yield hit(
                    df.path,
                    instr.span_of(instr.body_start + m.start(), len(m.group())),
                    "EXPOSE 22: the image offers SSH, a second way in beside the orchestrator's exec "
                    "(its keys or passwords live in the image)",
                )
