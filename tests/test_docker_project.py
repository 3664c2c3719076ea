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
        # dev images: running as root is a note there (docs/precision.md, principle 5)
        (".devcontainer/Dockerfile", 1, "docker-root-user"),
        ("Dockerfile.debug", 1, "docker-root-user"),
        ("api/Dockerfile.hot", 1, "docker-root-user"),
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
    config.force_include = True  # hack/ is skipped by walks, and so when named, unless asked for
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


# ------------------------------------------------------------------------------ image links

SERVICE_DOCKERFILE = 'FROM python:3.12-slim\nUSER 10001\nCMD ["app"]\n'  # no HEALTHCHECK: line 1
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: {name}
          image: {image}
{probe}"""
PROBE = "          readinessProbe:\n            httpGet: {path: /healthz, port: 8080}\n"
HEALTH = "docker-missing-healthcheck"
NON_ROOT = "k8s-run-as-non-root-image-user"


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    write(tmp_path, files)
    (tmp_path / ".git").mkdir(exist_ok=True)
    return tmp_path


def test_compose_healthcheck_and_env_interpolation(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            ".env": "API_DOCKERFILE=Dockerfile.api\n",
            "compose.yaml": (
                "services:\n"
                "  api:\n"
                "    image: acme/api:${TAG:-dev}\n"
                "    build:\n      context: ./api\n      dockerfile: ${API_DOCKERFILE}\n"
                "    healthcheck: {test: [CMD, /app, health]}\n"
                "  worker:\n"
                "    build: ./worker\n"
            ),
            "api/Dockerfile.api": SERVICE_DOCKERFILE,
            "worker/Dockerfile": SERVICE_DOCKERFILE,
        },
    )
    assert findings(tmp_path, ["."], {HEALTH}) == {("worker/Dockerfile", 1, HEALTH)}


def test_kubernetes_probes_through_skaffold_tilt_and_folder_names(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "skaffold.yaml": (
                "apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n"
                "    - image: cart\n      context: src/cart\n"
                "    - image: checkout\n      context: src/checkout\n"
            ),
            "Tiltfile": "docker_build('registry.local/acme/web', 'web')\n",
            "k8s/cart.yaml": DEPLOYMENT.format(name="cart", image="cart", probe=PROBE),
            "k8s/checkout.yaml": DEPLOYMENT.format(name="checkout", image="checkout", probe=""),
            "k8s/web.yaml": DEPLOYMENT.format(name="web", image="registry.local/acme/web:1", probe=PROBE),
            "k8s/billing.yaml": DEPLOYMENT.format(
                name="billing", image="ghcr.io/acme/billing:1.0", probe=PROBE
            ),
            "k8s/redis.yaml": DEPLOYMENT.format(name="redis", image="redis:7.4", probe=PROBE),
            "src/cart/Dockerfile": SERVICE_DOCKERFILE,
            "src/checkout/Dockerfile": SERVICE_DOCKERFILE,
            "web/Dockerfile": SERVICE_DOCKERFILE,
            "services/billing/Dockerfile": SERVICE_DOCKERFILE,
            "redis/Dockerfile": SERVICE_DOCKERFILE,  # `redis:7.4` is Docker Hub's image, not this one
        },
    )
    expected = {("src/checkout/Dockerfile", 1, HEALTH), ("redis/Dockerfile", 1, HEALTH)}
    assert findings(tmp_path, ["."], {HEALTH}) == expected
    # A Dockerfile named alone (pre-commit) reads the manifests it needs: the same answer.
    alone = findings(tmp_path, ["src/cart/Dockerfile", "src/checkout/Dockerfile"], {HEALTH})
    assert alone == {("src/checkout/Dockerfile", 1, HEALTH)}
    # Without context (--no-context) nothing links, so the HEALTHCHECK is asked for.
    registry, config = load_registry(), Config(select=[HEALTH])
    result = lint(["src/cart/Dockerfile"], registry, config, tmp_path, use_context=False)
    assert [(f.path, f.span.line) for f in result.findings] == [("src/cart/Dockerfile", 1)]


NAMED = 'FROM python:3.12-slim\nRUN useradd -u 10001 app\nUSER app\nCMD ["app"]\n'


def test_run_as_non_root_with_a_named_user_through_compose(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n"
                "  api: {image: ghcr.io/acme/api, build: ./api}\n"
                "  dev: {image: ghcr.io/acme/dev, build: {context: ./dev, target: debug}}\n"
            ),
            "api/Dockerfile": NAMED,
            "dev/Dockerfile": "FROM python:3.12 AS debug\nUSER app\nFROM python:3.12-slim\nUSER app\n",
            "k8s/api.yaml": DEPLOYMENT.format(name="api", image="ghcr.io/acme/api:1.2", probe=""),
            "k8s/dev.yaml": DEPLOYMENT.format(name="dev", image="ghcr.io/acme/dev:1.2", probe=""),
        },
    )
    got = findings(tmp_path, ["."], {NON_ROOT})
    assert got == {("k8s/api.yaml", 13, NON_ROOT)}  # dev: built with --target, another stage
    # Reported on the manifest only: naming the Dockerfile alone reports nothing, naming the
    # manifest alone finds the Dockerfile.
    assert findings(tmp_path, ["api/Dockerfile"], {NON_ROOT}) == set()
    assert findings(tmp_path, ["k8s/api.yaml"], {NON_ROOT}) == {("k8s/api.yaml", 13, NON_ROOT)}
    registry = load_registry()
    result = lint(["k8s/api.yaml"], registry, Config(select=[NON_ROOT]), tmp_path)
    message = result.findings[0].message
    assert "USER app on line 3 of api/Dockerfile" in message and "non-numeric" in message


def test_ambiguous_links_stay_quiet(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "a/api/Dockerfile": NAMED,
            "b/api/Dockerfile": NAMED,
            "k8s/api.yaml": DEPLOYMENT.format(name="api", image="ghcr.io/acme/api:1.2", probe=""),
        },
    )
    assert findings(tmp_path, ["."], {NON_ROOT}) == set()


def test_a_dev_dockerfile_for_the_same_image_is_not_the_image(tmp_path: Path) -> None:
    """argo-cd: Tilt builds quay.io/argoproj/argocd from Dockerfile.tilt (root) for its dev
    loop; production runs the image built from another Dockerfile."""
    project(
        tmp_path,
        {
            "Tiltfile": "docker_build('quay.io/acme/app:latest', '.', dockerfile='Dockerfile.tilt')\n",
            "Dockerfile.tilt": "FROM golang:1.22\nCMD ['app']\n",
            "k8s/app.yaml": DEPLOYMENT.format(name="app", image="quay.io/acme/app:v1", probe=""),
        },
    )
    assert findings(tmp_path, ["."], {NON_ROOT}) == set()


def test_root_user_quiet_when_every_pod_sets_run_as_user(tmp_path: Path) -> None:
    with_uid = DEPLOYMENT.replace("runAsNonRoot: true", "runAsUser: 1000")
    root_dockerfile = 'FROM python:3.12-slim\nHEALTHCHECK CMD ["/a"]\nCMD ["app"]\n'
    project(
        tmp_path,
        {
            "skaffold.yaml": (
                "apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n"
                "    - image: api\n      context: api\n    - image: jobs\n      context: jobs\n"
            ),
            "api/Dockerfile": root_dockerfile,
            "jobs/Dockerfile": root_dockerfile,
            "k8s/api.yaml": with_uid.format(name="api", image="api", probe=""),
            "k8s/jobs.yaml": with_uid.format(name="jobs", image="jobs", probe=""),
            "extras/jobs.yaml": DEPLOYMENT.format(name="jobs", image="jobs", probe=""),  # no runAsUser
        },
    )
    assert findings(tmp_path, ["."], {"docker-root-user"}) == {("jobs/Dockerfile", 1, "docker-root-user")}
