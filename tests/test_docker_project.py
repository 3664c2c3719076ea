"""Dockerfile rules that need more than one stage or more than one file.

- "The image" is the final stage and every stage it is built FROM: each rule that judges the
  image sees instructions inherited from a parent stage, and none sees a build-only stage.
- Image roles (project/images.py): tool, CI, test and dev images are not judged as services;
  the evidence is kept and the configuration's `roles:` overrides it.
- Image links: HEALTHCHECK is not demanded of images that Kubernetes probes or a Compose
  healthcheck watch; `k8s-run-as-non-root-image-user` finds pods the kubelet will refuse.

Every case asserts exact (line, rule) pairs, the quiet ones included.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from manifestlint.config import Config, RuleSetting, load_config
from manifestlint.engine import lint
from manifestlint.parse.dockerfile import parse_dockerfile
from manifestlint.project.images import ImageProject, base_user, final_user, name_role
from manifestlint.registry import load_registry


def findings(folder: Path, paths: list[str], rules: set[str], config: Config | None = None) -> set:
    registry = load_registry()
    config = config or Config()
    for rule_id in rules:
        config.rules.setdefault(rule_id, RuleSetting(enabled=True))
    config.select = sorted(rules)
    result = lint(paths, registry, config, folder)
    return {(f.path, f.span.line, f.rule) for f in result.findings if f.rule in rules}


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# ------------------------------------------------------------------ the image is the FROM chain

# (rule, the Dockerfile, the line it must be reported on). The offending instruction sits in
# a stage the final stage is built FROM; the final stage itself is clean.
INHERITED = [
    (
        "docker-build-tools-in-final-stage",
        "FROM debian:12-slim AS base\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends gcc"
        " && rm -rf /var/lib/apt/lists/*\n"
        'FROM base\nUSER 10001\nHEALTHCHECK CMD ["/app"]\nCMD ["/app"]\n',
        2,
    ),
    (
        "docker-apt-lists-not-cleaned",
        'FROM debian:12-slim AS base\nRUN apt-get update\nFROM base\nUSER 10001\nHEALTHCHECK CMD ["/app"]\n',
        2,
    ),
    (
        "docker-pip-no-cache-dir",
        'FROM python:3.12-slim AS base\nRUN pip install flask\nFROM base\nUSER 1\nHEALTHCHECK CMD ["/a"]\n',
        2,
    ),
    (
        "docker-apk-no-cache",
        'FROM alpine:3.20 AS base\nRUN apk add curl\nFROM base\nUSER 10001\nHEALTHCHECK CMD ["/app"]\n',
        2,
    ),
    (
        "docker-dnf-clean",
        'FROM fedora:40 AS base\nRUN dnf in -y git\nFROM base\nUSER 10001\nHEALTHCHECK CMD ["/app"]\n',
        2,
    ),
    (
        "docker-yum-clean",
        'FROM centos:7 AS base\nRUN yum install -y git\nFROM base\nUSER 10001\nHEALTHCHECK CMD ["/app"]\n',
        2,
    ),
    (
        "docker-root-user",
        'FROM alpine:3.20 AS base\nUSER root\nFROM base\nHEALTHCHECK CMD ["/app"]\nCMD ["/app"]\n',
        3,
    ),
    (
        "docker-shell-form-entrypoint",
        'FROM alpine:3.20 AS base\nCMD /app --serve\nFROM base\nUSER 10001\nHEALTHCHECK CMD ["/app"]\n',
        2,
    ),
    (
        "docker-non-minimal-base",
        'FROM python:3.12 AS base\nFROM base\nUSER 10001\nHEALTHCHECK CMD ["/app"]\nCMD ["/app"]\n',
        1,
    ),
    (
        "docker-non-numeric-user",
        'FROM alpine:3.20 AS base\nUSER app\nFROM base\nHEALTHCHECK CMD ["/app"]\nCMD ["/app"]\n',
        2,
    ),
]


@pytest.mark.parametrize("rule_id,text,line", INHERITED, ids=[c[0] for c in INHERITED])
def test_image_rules_see_inherited_instructions(tmp_path: Path, rule_id: str, text: str, line: int) -> None:
    write(tmp_path, {"Dockerfile": text})
    assert findings(tmp_path, ["Dockerfile"], {rule_id}) == {("Dockerfile", line, rule_id)}
    # The same first stage as a build-only stage: it never ships, nothing is reported (the
    # root-user and non-minimal cases are about the final image's own base, so they differ).
    alone = text.replace("FROM base\n", "FROM alpine:3.20-slim AS final\n", 1)
    if rule_id not in ("docker-root-user", "docker-non-minimal-base", "docker-non-numeric-user"):
        write(tmp_path, {"Dockerfile": alone})
        assert findings(tmp_path, ["Dockerfile"], {rule_id}) == set()


def test_healthcheck_inherited_from_a_parent_stage_counts(tmp_path: Path) -> None:
    write(
        tmp_path, {"Dockerfile": 'FROM alpine:3.20 AS base\nHEALTHCHECK CMD ["/a"]\nFROM base\nCMD ["/a"]\n'}
    )
    assert findings(tmp_path, ["Dockerfile"], {"docker-missing-healthcheck"}) == set()
    write(tmp_path, {"Dockerfile": 'FROM alpine:3.20 AS base\nHEALTHCHECK CMD ["/a"]\nFROM alpine:3.20\n'})
    assert findings(tmp_path, ["Dockerfile"], {"docker-missing-healthcheck"}) == {
        ("Dockerfile", 3, "docker-missing-healthcheck")
    }


def test_freeagentics_production_image_ships_its_compilers() -> None:
    """examples/freeagentics/Dockerfile.production: the final stage is `FROM system-base`."""
    example = Path(__file__).resolve().parents[1] / "examples" / "freeagentics"
    got = findings(example, ["Dockerfile.production"], {"docker-build-tools-in-final-stage"})
    assert got == {("Dockerfile.production", 28, "docker-build-tools-in-final-stage")}


# ------------------------------------------------------------------------------ image roles

SERVICE_RULES = {"docker-root-user", "docker-missing-healthcheck", "docker-build-tools-in-final-stage"}
BARE = "FROM debian:12-slim\nRUN apt-get install -y --no-install-recommends build-essential\n"


def test_roles_from_evidence(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "services/api/Dockerfile": BARE,  # a service: all three rules
            "actions/publish/Dockerfile": BARE,
            "actions/publish/action.yml": "name: publish\nruns:\n  using: docker\n  image: Dockerfile\n",
            "hack/Dockerfile": BARE,
            ".devcontainer/Dockerfile": BARE,
            "web/Dockerfile.cypress": BARE,
            "Dockerfile.debug": BARE,
            "api/Dockerfile.hot": BARE,
            "Tiltfile": "docker_build('api', 'api', dockerfile='api/Dockerfile.hot')\nk8s_yaml('k8s.yaml')\n",
        },
    )
    (tmp_path / ".git").mkdir()  # the project root
    got = findings(tmp_path, ["."], SERVICE_RULES, Config())
    assert got == {
        ("services/api/Dockerfile", 1, "docker-root-user"),
        ("services/api/Dockerfile", 1, "docker-missing-healthcheck"),
        ("services/api/Dockerfile", 2, "docker-build-tools-in-final-stage"),
    }
    project = ImageProject(tmp_path, tmp_path, files=lambda root: sorted(root.rglob("*")))
    roles = {
        name: project.role(parse_dockerfile(BARE, name))
        for name in (
            "actions/publish/Dockerfile",
            "hack/Dockerfile",
            ".devcontainer/Dockerfile",
            "web/Dockerfile.cypress",
            "Dockerfile.debug",
            "api/Dockerfile.hot",
            "services/api/Dockerfile",
        )
    }
    assert {name: role.name for name, role in roles.items()} == {
        "actions/publish/Dockerfile": "ci",
        "hack/Dockerfile": "tool",
        ".devcontainer/Dockerfile": "dev",
        "web/Dockerfile.cypress": "test",
        "Dockerfile.debug": "dev",
        "api/Dockerfile.hot": "dev",
        "services/api/Dockerfile": "service",
    }
    assert "runs.using: docker" in roles["actions/publish/Dockerfile"].evidence
    assert "Tilt" in roles["api/Dockerfile.hot"].evidence
    assert "hack/" in roles["hack/Dockerfile"].evidence


def test_config_roles_override_the_evidence(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "hack/Dockerfile": BARE,
            "workers/batch/Dockerfile": BARE,
            ".manifestlint.yaml": "roles:\n  hack/*: service\n  workers/**: tool\n",
        },
    )
    config = load_config(None, tmp_path, load_registry())
    assert config.roles == {"hack/*": "service", "workers/**": "tool"}
    got = findings(tmp_path, ["hack/Dockerfile", "workers/batch/Dockerfile"], SERVICE_RULES, config)
    assert got == {
        ("hack/Dockerfile", 1, "docker-root-user"),
        ("hack/Dockerfile", 1, "docker-missing-healthcheck"),
        ("hack/Dockerfile", 2, "docker-build-tools-in-final-stage"),
    }


def test_name_words() -> None:
    assert name_role("Dockerfile.dev-tools").name == "dev"
    assert name_role("test.Dockerfile").name == "test"
    assert name_role("Dockerfile.ui.tilt").name == "dev"
    assert name_role("Dockerfile_ci").name == "ci"
    assert name_role("Dockerfile") is None
    assert name_role("Dockerfile.production") is None
    assert name_role("Dockerfile.multiarch") is None


# ------------------------------------------------------------------------------ base images


@pytest.mark.parametrize(
    "base,user",
    [
        ("nginxinc/nginx-unprivileged:1.27-alpine", "101"),
        ("gcr.io/distroless/static-debian12:nonroot", "65532"),
        ("cgr.dev/chainguard/python:latest", "65532"),
        ("cgr.dev/chainguard/wolfi-base:latest", None),
        ("bitnami/nginx:1.27", "1001"),
        ("bitnami/minideb:bookworm", None),
        ("docker.io/bitnami/redis:7.4", "1001"),
        ("prom/prometheus:v2.54.1", "nobody"),
        ("mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled", "1654"),
        ("python:3.12-slim", None),
        ("gcr.io/distroless/static-debian12", None),
    ],
)
def test_non_root_base_table(base: str, user: str | None) -> None:
    assert base_user(base) == user


def test_final_user_resolves_variables_and_bases() -> None:
    df = parse_dockerfile("ARG UID=10001\nFROM alpine:3.20\nUSER ${UID}:${UID}\n", "Dockerfile")
    assert final_user(df).user == "10001:10001" and final_user(df).numeric
    df = parse_dockerfile("FROM alpine:3.20\nENV APP=web\nUSER $APP\n", "Dockerfile")
    assert final_user(df).name == "web" and final_user(df).instr.line == 3
    assert final_user(parse_dockerfile("FROM python:3.12\n", "D")).root
    assert final_user(parse_dockerfile("FROM ghcr.io/acme/base:1\n", "D")).user is None
    assert final_user(parse_dockerfile("FROM prom/prometheus:v2\n", "D")).user == "nobody"
