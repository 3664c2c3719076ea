"""Dockerfile LABEL rules: keys Docker reserves or cannot read, values that do not match their
label's schema, and the labels a project requires or forbids.

A schema names a value type per label (`url`, `rfc3339`, `spdx`, `hash`, `semver`, `email`,
`text`). The OCI image-spec annotations are typed by default (`org.opencontainers.image.created`
is an RFC 3339 time, `...source` a URL, `...licenses` an SPDX expression...); the `schema`
option adds or overrides labels, as hadolint's `label-schema` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile, Instruction, Stage
from manifestlint.project.images import image_chain
from manifestlint.registry import rule

_KEY = re.compile(r"[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*", re.IGNORECASE)
_RESERVED = ("com.docker.", "io.docker.", "org.dockerproject.")

OCI_SCHEMA = {
    "org.opencontainers.image.created": "rfc3339",
    "org.opencontainers.image.url": "url",
    "org.opencontainers.image.source": "url",
    "org.opencontainers.image.documentation": "url",
    "org.opencontainers.image.licenses": "spdx",
    "org.opencontainers.image.authors": "text",
    "org.opencontainers.image.revision": "text",
    "org.opencontainers.image.version": "text",
    "org.opencontainers.image.title": "text",
    "org.opencontainers.image.description": "text",
    "org.opencontainers.image.vendor": "text",
}

_RFC3339 = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?"
    r"([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)"
)
_SEMVER = re.compile(
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
)
_HASH = re.compile(r"[0-9a-f]{7,40}|[0-9a-f]{64}")
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)  # linear: no nesting
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+[^\s]*")
_SPDX_ID = re.compile(r"(LicenseRef-|DocumentRef-[\w.-]+:LicenseRef-)?[A-Za-z0-9][\w.+-]*\+?")


def _spdx(value: str) -> bool:
    """An SPDX license expression: ids joined by AND/OR/WITH, with parentheses. Ids are checked
    for shape and against a short list of common ids; unknown ids pass when they look like one
    (the full list changes every release)."""
    tokens = re.findall(r"\(|\)|[^\s()]+", value)
    if not tokens:
        return False
    expect_id = True
    depth = 0
    for token in tokens:
        if token == "(":
            if not expect_id:
                return False
            depth += 1
        elif token == ")":
            depth -= 1
            if depth < 0 or expect_id:
                return False
        elif token.upper() in ("AND", "OR", "WITH"):
            if expect_id:
                return False
            expect_id = True
        else:
            if not expect_id or not _SPDX_ID.fullmatch(token) or not _known_license(token):
                return False
            expect_id = False
    return depth == 0 and not expect_id


_COMMON_LICENSES = re.compile(
    r"(Apache|MIT|BSD|GPL|LGPL|AGPL|MPL|EPL|ISC|Unlicense|CC0|CC-BY|Zlib|BSL|Artistic|PostgreSQL|OpenSSL|"
    r"Python|PSF|WTFPL|EUPL|CDDL|MS-|OFL|Ruby|PHP|Elastic|SSPL|BUSL|JSON|X11|Vim|curl|NCSA|UPL|Classpath|"
    r"LLVM|Autoconf|GCC|Bison|Font|Swift|Libtool|Qt|OpenJDK|LicenseRef|DocumentRef|0BSD|AFL|APSL|Beerware|"
    r"BlueOak|Boost|ECL|EFL|Entessa|FSF|HPND|ICU|IJG|Intel|IPA|LPL|LPPL|MirOS|Motosoto|MulanPSL|NASA|"
    r"Naumen|NGPL|Nokia|NPL|NTP|OCLC|ODbL|OGTSL|OLDAP|OSL|PDDL|QPL|RPL|RPSL|RSCPL|SimPL|Sleepycat|SPL|"
    r"TCL|Unicode|VSL|W3C|Watcom|Xnet|YPL|ZPL|Zimbra)",
    re.IGNORECASE,
)


def _known_license(token: str) -> bool:
    return bool(_COMMON_LICENSES.match(token))


CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "url": (lambda v: bool(_URL.fullmatch(v)), "a URL"),
    "rfc3339": (lambda v: bool(_RFC3339.fullmatch(v)), "an RFC 3339 time (2024-05-01T12:00:00Z)"),
    "spdx": (_spdx, "an SPDX license expression (Apache-2.0, MIT OR GPL-2.0-only)"),
    "hash": (lambda v: bool(_HASH.fullmatch(v)), "a git commit hash"),
    "semver": (lambda v: bool(_SEMVER.fullmatch(v)), "a semantic version (1.2.3)"),
    "email": (lambda v: bool(_EMAIL.fullmatch(v)), "an email address"),
    "text": (lambda v: True, "text"),
}


def _schema(ctx) -> dict[str, str]:
    schema = dict(OCI_SCHEMA) if ctx.options.get("oci-schema", True) else {}
    for key, kind in (ctx.options.get("schema") or {}).items():
        schema[str(key)] = str(kind).lower()
    return schema


def _labels(instr: Instruction) -> Iterator[tuple[str, str | None, int]]:
    target = instr.onbuild if instr.keyword == "ONBUILD" and instr.onbuild is not None else instr
    if target.keyword == "LABEL":
        yield from target.pairs


def _value_span(instr: Instruction, key: str, offset: int):
    start = offset + len(key) + 1
    rest = instr.args[start:]
    raw = rest.split(None, 1)[0] if rest.strip() and not rest[:1].isspace() else ""
    return instr.span_of(start, len(raw)) if raw else instr.span_of(offset, len(key))


@rule("docker-invalid-label", "dockerfile")
def invalid_label(df: Dockerfile, ctx) -> Iterator[Finding]:
    schema = _schema(ctx)
    for instr in df.instructions:
        label = df.stages[instr.stage].label if 0 <= instr.stage < len(df.stages) else ""
        for key, value, offset in _labels(instr):
            key_span = instr.span_of(offset, len(key))
            if "$" in key:
                continue
            bare = key.strip("\"'")
            if bare.startswith(_RESERVED):
                yield hit(df.path, key_span, f"label key {bare!r} is in a namespace Docker reserves", label)
                continue
            if not _KEY.fullmatch(bare):
                yield hit(
                    df.path,
                    key_span,
                    f"label key {bare!r} should be a letter, then letters and digits split by single . or -",
                    label,
                )
                continue
            kind = schema.get(bare)
            if kind is None or value is None or "$" in value:
                continue
            if not value.strip():
                yield hit(df.path, _value_span(instr, key, offset), f"label {bare!r} is empty", label)
                continue
            check, what = CHECKS.get(kind, CHECKS["text"])
            if not check(value.strip()):
                yield hit(
                    df.path,
                    _value_span(instr, key, offset),
                    f"label {bare!r} should be {what}, not {value!r}",
                    label,
                )


def _stage_labels(df: Dockerfile, stage: Stage) -> dict[str, Instruction]:
    out: dict[str, Instruction] = {}
    for instr in stage.instructions:
        for key, _, _ in _labels(instr):
            out[key.strip("\"'")] = instr
    return out


@rule("docker-label-policy", "dockerfile")
def label_policy(df: Dockerfile, ctx) -> Iterator[Finding]:
    required = [str(k) for k in ctx.options.get("required") or ()]
    strict = bool(ctx.options.get("strict"))
    if not required and not strict:
        return
    allowed = set(required) | set(str(k) for k in ctx.options.get("allowed") or ())
    final = df.final_stage
    if final is None:
        return
    chain = image_chain(df)
    present: dict[str, Instruction] = {}
    for stage in reversed(chain):
        present.update(_stage_labels(df, stage))
    missing = [k for k in required if k not in present]
    if missing:
        where = next((i for i in reversed(final.instructions) if i.keyword == "LABEL"), final.from_instr)
        yield hit(
            df.path,
            where.keyword_span,
            f"the image has no label {', '.join(repr(k) for k in missing)} (required by the configuration)",
            final.label,
        )
    if strict:
        for stage in reversed(chain):
            for instr in stage.instructions:
                for key, _, offset in _labels(instr):
                    if key.strip("\"'") not in allowed and "$" not in key:
                        yield hit(
                            df.path,
                            instr.span_of(offset, len(key)),
                            f"label {key.strip(chr(34))!r} is not among the labels the configuration allows",
                            stage.label,
                        )
