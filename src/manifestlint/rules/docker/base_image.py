"""The FROM images: pinned by tag and digest, and small enough for production."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile, Instruction, Stage, substitute
from manifestlint.registry import rule
from manifestlint.rules.docker.common import _chain, _role, _stage_label
from manifestlint.templating import is_placeholder


def _split_image(ref: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference; the tag sits only in the last path part."""
    name, _, digest = ref.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest or None


def _external(df: Dockerfile, stage: Stage) -> bool:
    """The stage's base is a real image we can judge (not scratch, a stage or a variable)."""
    base = stage.base_resolved
    return bool(base) and stage.parent_stage is None and base.lower() != "scratch" and "$" not in base


@rule("docker-unpinned-base-image", "dockerfile")
def unpinned_base_image(df: Dockerfile, ctx) -> Iterator[Finding]:
    for stage in df.stages:
        if not _external(df, stage):
            continue
        _, tag, digest = _split_image(stage.base_resolved)
        if digest or is_placeholder(stage.base_resolved):
            continue  # `FROM ???`, `FROM <base-image>`: a blank to fill in, no image yet
        instr = stage.from_instr
        if tag is None:
            yield hit(
                df.path,
                stage.base_span(),
                f"base image {stage.base_resolved!r} has no tag, which means ':latest'; pin a release tag",
                stage.label,
            )
        elif tag == "latest":
            at = stage.base.rfind(":latest")
            where = instr.span_of(stage.base_offset + at, len(":latest")) if at >= 0 else stage.base_span()
            yield hit(
                df.path,
                where,
                f"base image {stage.base_resolved!r} uses ':latest'; pin a release tag",
                stage.label,
            )

    for instr in df.instructions:
        if instr.keyword not in ("COPY", "ADD") or "from" not in instr.flags or instr.stage < 0:
            continue
        raw = instr.flags["from"][0]
        ref = substitute(raw, df.global_args)
        if not ref or "$" in ref or not any(c in ref for c in "/:@") or df.stage_by_ref(ref) is not None:
            continue  # a bare name is a stage or a typo of one: docker-copy-from-unknown-stage
        _, tag, digest = _split_image(ref)
        if digest or (tag is not None and tag != "latest"):
            continue
        yield hit(
            df.path,
            instr.span_of(instr.flag_offsets["from"], len(raw)),
            f"{instr.keyword} --from image {ref!r} "
            + ("uses ':latest'" if tag else "has no tag, which means ':latest'")
            + "; pin a release tag",
            _stage_label(df, instr),
        )


@rule("docker-base-image-not-digest-pinned", "dockerfile")
def base_image_not_digest_pinned(df: Dockerfile, ctx) -> Iterator[Finding]:
    for stage in df.stages:
        if _external(df, stage) and "@sha256:" not in stage.base_resolved:
            yield hit(
                df.path,
                stage.base_span(),
                f"base image {stage.base_resolved!r} is not pinned by digest (@sha256:…)",
                stage.label,
            )


_MINIMAL_TAG = re.compile(r"slim|alpine|minimal|distroless|busybox|nanoserver|micro|jre|runtime|nonroot")


_FULL_IMAGES = {
    "ubuntu": "debian:<ver>-slim or a distroless image",
    "debian": "debian:<ver>-slim",
    "centos": "a ubi-minimal / ubi-micro image",
    "fedora": "fedora-minimal",
    "rockylinux": "rockylinux:<ver>-minimal",
    "almalinux": "almalinux:<ver>-minimal",
    "python": "python:<ver>-slim (or a distroless image)",
    "node": "node:<ver>-slim / -alpine",
    "ruby": "ruby:<ver>-slim",
    "perl": "perl:<ver>-slim",
    "php": "php:<ver>-fpm-alpine",
    "golang": "a runtime-only image (distroless/static, alpine) holding the built binary",
    "rust": "a runtime-only image (distroless/cc, debian-slim) holding the built binary",
    "openjdk": "an eclipse-temurin *-jre image",
    "maven": "an eclipse-temurin *-jre image holding the built jar",
    "gradle": "an eclipse-temurin *-jre image holding the built jar",
    "buildpack-deps": "debian:<ver>-slim",
}


@rule("docker-non-minimal-base", "dockerfile")
def non_minimal_base(df: Dockerfile, ctx) -> Iterator[Finding]:
    chain = _chain(df)
    if not chain or not _role(df, ctx).service:
        return
    base = chain[-1]
    if not _external(df, base):
        return
    name, tag, _ = _split_image(base.base_resolved)
    short = name.lower()
    for prefix in ("docker.io/", "index.docker.io/", "library/"):
        short = short.removeprefix(prefix)
    if short not in _FULL_IMAGES or (tag and _MINIMAL_TAG.search(tag.lower())):
        return
    yield hit(
        df.path,
        base.base_span(),
        f"the final image is built on the full {short!r} image; consider {_FULL_IMAGES[short]}",
        df.final_stage.label,
    )


def _registry(image: str) -> str:
    """The registry host of an image reference (`docker.io` when none is written)."""
    first, slash, _ = image.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return "docker.io"


def _allowed(registry: str, patterns: list[str]) -> bool:
    aliases = {registry}
    if registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        aliases |= {"docker.io", "index.docker.io", "registry-1.docker.io", "hub.docker.com"}
    return any(fnmatch.fnmatch(alias, p.lower()) for alias in aliases for p in patterns)


def _images(df: Dockerfile) -> Iterator[tuple[str, Instruction, int, int]]:
    """(resolved image, instruction, offset, length) of every image a build pulls."""
    for stage in df.stages:
        if stage.parent_stage is None and stage.base_resolved.lower() != "scratch":
            yield stage.base_resolved, stage.from_instr, stage.base_offset, len(stage.base)
    for instr in df.instructions:
        if instr.keyword in ("COPY", "ADD") and "from" in instr.flags:
            raw = instr.flags["from"][0]
            ref = substitute(raw, df.global_args)
            if any(c in ref for c in "/:@") and df.stage_by_ref(ref) is None:
                yield ref, instr, instr.flag_offsets["from"], len(raw)
        if instr.keyword == "RUN":
            for spec in instr.flags.get("mount", []):
                fields = dict(part.partition("=")[::2] for part in spec.split(","))
                ref = fields.get("from", "")
                if ref and any(c in ref for c in "/:@") and df.stage_by_ref(ref) is None:
                    yield ref, instr, instr.flag_offsets["mount"], len(spec)


@rule("docker-untrusted-registry", "dockerfile")
def untrusted_registry(df: Dockerfile, ctx) -> Iterator[Finding]:
    patterns = [str(p) for p in ctx.options.get("trusted-registries") or ()]
    if not patterns:
        return
    for image, instr, offset, length in _images(df):
        if "$" in image:
            continue
        registry = _registry(image)
        if not _allowed(registry, patterns):
            yield hit(
                df.path,
                instr.span_of(offset, length),
                f"image {image!r} comes from {registry}, which is not among the trusted registries "
                f"({', '.join(patterns)})",
                _stage_label(df, instr),
            )
