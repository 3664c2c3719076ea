"""Secrets baked into the image's configuration (ENV/ARG), visible to anyone who pulls it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile
from manifestlint.registry import rule
from manifestlint.rules.docker.common import _stage_label

_SECRET_NAME = re.compile(
    r"passw(or)?d|passwd|(^|_)pwd($|_)|secret|token|api_?key|private_?key|access_?key|"
    r"credential|auth_?key|signing_?key|encryption_?key",
    re.IGNORECASE,
)


_NOT_SECRET_SUFFIX = re.compile(
    r"_(file|path|dir|url|uri|host|port|user|username|name|length|len|ttl|expiry|expires|timeout|"
    r"header|enabled|type|endpoint|env|var|id)$",
    re.IGNORECASE,
)


_NOT_SECRET_VALUE = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null"})


# Half of a credential pair despite the `_id` suffix: AWS_ACCESS_KEY_ID and the like.
_SECRET_ID = re.compile(r"access_?key_?id$", re.IGNORECASE)


def _secret_name(key: str) -> bool:
    name = key.replace("-", "_")
    if _SECRET_ID.search(name):
        return True
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_SUFFIX.search(name)


@rule("docker-secret-in-env", "dockerfile")
def secret_in_env(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword not in ("ENV", "ARG"):
            continue
        for key, value, offset in instr.pairs:
            if not _secret_name(key):
                continue
            if instr.keyword == "ARG" and (value is None or not value.strip()):
                yield hit(
                    df.path,
                    instr.span_of(offset, len(key)),
                    f"ARG {key} takes a secret with --build-arg: its value is recorded in the image "
                    "history of every RUN that follows (use RUN --mount=type=secret,id=...)",
                    _stage_label(df, instr, "global"),
                )
                continue
            if value is None or not value.strip() or value.lower() in _NOT_SECRET_VALUE:
                continue
            if re.fullmatch(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(:?-)?\}?", value.strip()):
                continue  # only a reference to another variable
            stage = _stage_label(df, instr, "global")
            yield hit(
                df.path,
                instr.span_of(offset, len(key)),
                f"{instr.keyword} {key} holds a literal secret-like value; it stays in the image "
                "metadata and history (use RUN --mount=type=secret or runtime configuration)",
                stage,
            )
