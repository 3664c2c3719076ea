"""What enters the image through ADD and COPY: local files, remote URLs, other stages."""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile, Instruction, Stage, split_words, substitute, unquote
from manifestlint.registry import rule
from manifestlint.rules.docker.common import _stage_label, calls, word_fix

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
        fix = None
        if set(instr.flags) <= _COPY_FLAGS:  # COPY takes every flag written
            fix = word_fix(
                df, instr.keyword_span, "use COPY", lambda old: "copy" if old.islower() else "COPY"
            )
        yield hit(
            df.path,
            instr.keyword_span,
            "ADD of local files: use COPY (ADD also fetches URLs and unpacks archives; "
            "COPY says plainly that it only copies)",
            _stage_label(df, instr),
            fix=fix,
        )


_COPY_FLAGS = frozenset({"chown", "chmod", "link", "exclude", "parents"})


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


def _copy_words(instr: Instruction) -> list[tuple[str, int, int]]:
    """(unquoted word, offset in args, raw length) of a COPY/ADD body (heredoc markers kept)."""
    if instr.exec_form is not None:
        return [(w, instr.body_start, len(instr.body)) for w in instr.exec_form]
    return [(unquote(w), off, len(w)) for w, off in split_words(instr.body, instr.body_start)]


def _windows_absolute(path: str) -> bool:
    return bool(re.match(r"^[A-Za-z]:[\\/]|^[A-Za-z]:$|^\\", path))


@rule("docker-copy-dest-not-directory", "dockerfile")
def copy_dest_not_directory(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword not in ("COPY", "ADD"):
            continue
        words = _copy_words(instr)
        sources = words[:-1]
        if len(sources) < 2 or not words:
            continue
        dest, offset, length = words[-1]
        if dest.endswith(("/", "\\")) or "$" in dest:
            continue
        yield hit(
            df.path,
            instr.span_of(offset, length),
            f"{instr.keyword} of {len(sources)} sources needs a folder as destination: end {dest!r} "
            "with `/` (docker build refuses it otherwise)",
            _stage_label(df, instr),
        )


def _workdir_set(df: Dockerfile, stage: Stage, before: Instruction) -> bool:
    """Whether a WORKDIR precedes `before` in its stage or a stage it is built FROM."""
    while True:
        for instr in stage.instructions:
            if instr is before:
                break
            if instr.keyword == "WORKDIR":
                return True
        if stage.parent_stage is None:
            return False
        stage = df.stages[stage.parent_stage]
        before = None  # type: ignore[assignment]


@rule("docker-copy-relative-dest", "dockerfile")
def copy_relative_dest(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "COPY" or instr.stage < 0:
            continue
        words = _copy_words(instr)
        if len(words) < 2:
            continue
        dest, offset, length = words[-1]
        if dest.startswith(("/", "$")) or _windows_absolute(dest) or dest.startswith("<<"):
            continue
        if _workdir_set(df, df.stages[instr.stage], instr):
            continue
        yield hit(
            df.path,
            instr.span_of(offset, length),
            f"COPY to the relative path {dest!r} with no WORKDIR set: it lands relative to whatever "
            "folder the base image left as working directory",
            _stage_label(df, instr),
        )


@rule("docker-copy-whole-filesystem", "dockerfile")
def copy_whole_filesystem(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "COPY" or "from" not in instr.flags or instr.stage < 0:
            continue
        ref = substitute(instr.flags["from"][0], df.global_args)
        if any(c in ref for c in "/:@") and df.stage_by_ref(ref, instr.stage) is None:
            continue  # an image made to be copied whole (a scratch image of binaries) is meant for it
        words = _copy_words(instr)
        if len(words) == 2 and words[0][0] == "/" and words[1][0] == "/":
            yield hit(
                df.path,
                instr.span_of(words[0][1], words[0][2]),
                f"COPY --from={instr.flags['from'][0]} / / copies a whole filesystem (with its package "
                "database, caches and users) over this one; copy only what the image needs",
                _stage_label(df, instr),
            )


def _basename(path: str) -> str:
    return re.split(r"[\\/]", path.rstrip("/\\"))[-1]


@rule("docker-add-to-extract", "dockerfile")
def add_to_extract(df: Dockerfile, ctx) -> Iterator[Finding]:
    tar_calls: dict[int, list] = {}
    for call in calls(df, "tar"):
        tar_calls.setdefault(id(call.instr), []).append(call)
    if not tar_calls:
        return
    for stage in df.stages:
        copied: dict[str, tuple[Instruction, int, int]] = {}  # archive name -> its COPY source
        for instr in stage.instructions:
            if instr.keyword == "COPY" and "from" not in instr.flags:
                words = _copy_words(instr)
                for src, offset, length in words[:-1]:
                    if _ARCHIVE.search(src) and "$" not in src:
                        copied[_basename(src)] = (instr, offset, length)
                        if len(words) == 2 and _ARCHIVE.search(words[-1][0]):
                            copied[_basename(words[-1][0])] = (instr, offset, length)
            for _, _, words, i, _, _ in tar_calls.get(id(instr), ()):
                if not any(re.fullmatch(r"-?[a-zA-Z]*x[a-zA-Z]*|--extract|--get", w[0])
                                            for w in words[i + 1 : i + 3]):  # fmt: skip
                    continue
                for word, _, _ in words[i + 1 :]:
                    source = copied.pop(_basename(word), None)
                    if source is not None:
                        copy, offset, length = source
                        yield hit(
                            df.path,
                            copy.span_of(offset, length),
                            f"this archive is copied and then unpacked by tar on line {instr.line}: "
                            "`ADD` unpacks a local archive in one layer instead of two",
                            stage.label,
                        )
