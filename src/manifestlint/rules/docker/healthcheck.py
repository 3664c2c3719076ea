"""Whether the image tells its runtime how to check it is healthy."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile
from manifestlint.project import families
from manifestlint.registry import rule
from manifestlint.rules.docker.common import _chain_instructions, _role
from manifestlint.rules.docker.entrypoint import _repeated


@rule("docker-missing-healthcheck", "dockerfile")
def missing_healthcheck(df: Dockerfile, ctx) -> Iterator[Finding]:
    final = df.final_stage
    if final is None or not _role(df, ctx).service:
        return  # tool, CI, test and dev images are not long-running services
    if any(i.keyword == "HEALTHCHECK" for i in _chain_instructions(df)):
        return  # `HEALTHCHECK NONE` is an explicit, respected choice
    if families.cli_evidence(df) or families.job_evidence(df):
        return  # a command-line program, load generator or one-shot job: it runs and exits
    project = getattr(ctx, "project", None)
    if project is not None and (project.health_elsewhere(df) or families.family_healthcheck(project, df)):
        return  # probes or a Compose healthcheck watch it, or its base image in the repo has a HEALTHCHECK
    yield hit(
        df.path,
        final.from_instr.keyword_span,
        "the final stage has no HEALTHCHECK: nothing tells Docker/Compose when the service is unhealthy",
        final.label,
    )


multiple_healthcheck = rule("docker-multiple-healthcheck", "dockerfile")(_repeated("HEALTHCHECK"))
