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
        if is_placeholder(path):  # `WORKDIR ???`: an exercise's blank
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


_REF = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")


@rule("docker-env-self-reference", "dockerfile")
def env_self_reference(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "ENV" or len(instr.pairs) < 2:
            continue
        defined: set[str] = set()
        for key, value, offset in instr.pairs:
            raw = instr.args[offset + len(key) + 1 :].split(None, 1)[0] if value is not None else ""
            for m in _REF.finditer(raw):
                name = m.group(1) or m.group(2)
                if name in defined:
                    start = offset + len(key) + 1 + m.start()
                    yield hit(
                        df.path,
                        instr.span_of(start, len(m.group())),
                        f"{key} refers to {name}, set earlier in the same ENV: the reference still sees "
                        f"the value {name} had before this instruction",
                        _stage_label(df, instr),
                    )
            defined.add(key)


_RESERVED_STAGES = frozenset({"scratch", "context"})


@rule("docker-reserved-stage-name", "dockerfile")
def reserved_stage_name(df: Dockerfile, ctx) -> Iterator[Finding]:
    for stage in df.stages:
        if stage.name in _RESERVED_STAGES:
            instr = stage.from_instr
            off = instr.args.lower().rfind(stage.name)
            yield hit(
                df.path,
                instr.span_of(off, len(stage.name)),
                f"{stage.name!r} is a reserved name (FROM {stage.name} / --from={stage.name} already mean "
                "something else); rename the stage",
                stage.label,
            )


@rule("docker-from-platform", "dockerfile")
def from_platform(df: Dockerfile, ctx) -> Iterator[Finding]:
    for stage in df.stages:
        instr = stage.from_instr
        values = instr.flags.get("platform")
        if not values:
            continue
        value = values[0]
        where = instr.span_of(instr.flag_offsets["platform"], max(len(value), 1))
        if re.fullmatch(r"\$\{?TARGETPLATFORM\}?", value):
            yield hit(
                df.path,
                where,
                "--platform=$TARGETPLATFORM is what FROM uses anyway: drop the flag",
                stage.label,
            )
        elif "$" not in value:
            yield hit(
                df.path,
                where,
                f"--platform={value} pins the stage to one platform: a multi-platform build gets the "
                f"same {value} layers for every target; use $BUILDPLATFORM or $TARGETPLATFORM",
                stage.label,
            )


_SYSTEM_DIRS = frozenset(
    {"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys",
     "/usr", "/usr/bin", "/usr/lib", "/usr/sbin", "/var"}
)  # fmt: skip


# Folders the kernel, the boot loader or fsck own: nothing of an application belongs below them.
_KERNEL_DIRS = ("/proc/", "/sys/", "/dev/", "/boot/", "/initrd/", "/lost+found/")


@rule("docker-workdir-system-dir", "dockerfile")
def workdir_system_dir(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "WORKDIR":
            continue
        raw = instr.body.strip()
        path = unquote(raw)
        norm = "/" + path.strip("/") if path.startswith("/") else path
        if (norm in _SYSTEM_DIRS and norm != "/") or norm.startswith(_KERNEL_DIRS):
            yield hit(
                df.path,
                instr.span_of(instr.body_start, len(raw)),
                f"WORKDIR {path}: the application's files end up among the system's; use a folder of "
                "its own such as /app",
                _stage_label(df, instr),
            )
