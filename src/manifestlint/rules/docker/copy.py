"""What enters the image through ADD and COPY: local files, remote URLs, other stages."""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile, Instruction, substitute, unquote
from manifestlint.registry import rule
from manifestlint.rules.docker.common import _stage_label

_ARCHIVE = re.compile(r"\.(tar|tgz|tbz2?|txz|tzst|gz|bz2|xz|zst|lz4|lzma)$", re.IGNORECASE)


_REMOTE = re.compile(r"^(https?|ftp)://|^git@|\.git(#.*)?$", re.IGNORECASE)


def _add_sources(instr: Instruction) -> list[tuple[str, int]]:
    """Source words of ADD/COPY (destination dropped), with offsets in args."""
    if instr.exec_form is not None:
        return [(s, instr.body_start) for s in instr.exec_form[:-1]]
    words = [(m.group(), m.start() + instr.body_start) for m in re.finditer(r"\S+", instr.body)]
    return [(unquote(w), off) for w, off in words[:-1] if not w.startswith("<<")]


@rule("docker-add-instead-of-copy", "dockerfile")
def add_instead_of_copy(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "ADD" or {"checksum", "keep-git-dir"} & set(instr.flags):
            continue
        sources = _add_sources(instr)
        if instr.heredocs or not sources:
            pass
        elif any(_REMOTE.search(s) or _ARCHIVE.search(s) or "$" in s for s, _ in sources):
            continue
        yield hit(
            df.path,
            instr.keyword_span,
            "ADD of local files: use COPY (ADD also fetches URLs and unpacks archives; "
            "COPY says plainly that it only copies)",
            _stage_label(df, instr),
        )


@rule("docker-add-remote-url", "dockerfile")
def add_remote_url(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "ADD" or "checksum" in instr.flags:
            continue
        for src, offset in _add_sources(instr):
            if re.match(r"^(https?|ftp)://", src, re.IGNORECASE) and not src.lower().split("#")[0].endswith(
                ".git"
            ):
                yield hit(
                    df.path,
                    instr.span_of(offset, len(src)),
                    "ADD downloads a remote file without verifying it; add --checksum=sha256:… "
                    "or download and verify it in a RUN",
                    _stage_label(df, instr),
                )


@rule("docker-copy-from-unknown-stage", "dockerfile")
def copy_from_unknown_stage(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword not in ("COPY", "ADD") or "from" not in instr.flags or instr.stage < 0:
            continue
        raw = instr.flags["from"][0]
        ref = substitute(raw, df.global_args)
        if not ref or "$" in ref or any(c in ref for c in "/:@"):
            continue
        where = instr.span_of(instr.flag_offsets["from"], len(raw))
        stage = df.stages[instr.stage]
        target = df.stage_by_ref(ref)
        if target is not None and target.index < stage.index:
            continue
        if target is not None and target.index == stage.index:
            msg = f"COPY --from={raw} names the stage it is in"
        elif target is not None:
            msg = f"COPY --from={raw} names a stage defined later; define it before this stage"
        elif ref.isdigit():
            msg = f"COPY --from={raw}: there is no earlier stage with index {ref}"
        else:
            msg = (
                f"COPY --from={raw} is not an earlier stage; Docker will pull the image '{ref}:latest' "
                "(write image:tag if that is intended)"
            )
        yield hit(df.path, where, msg, stage.label)
