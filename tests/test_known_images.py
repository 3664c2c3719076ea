"""The shared table of well-known images (project/known_images.py) and the severity cap a rule
may put on one finding (model.at_most): issue 19, principles 1 and 6."""

from __future__ import annotations

from pathlib import Path

import pytest

from manifestlint import registry as reg
from manifestlint.config import Config
from manifestlint.engine import lint
from manifestlint.model import Severity, at_most
from manifestlint.project.known_images import cli_image, image_user, known_root_image


@pytest.mark.parametrize(
    ("ref", "user"),
    [
        ("ghcr.io/stefanprodan/podinfo:6.5.0", "app"),
        ("registry.k8s.io/git-sync/git-sync:v4.2.1", "65533"),
        ("gcr.io/distroless/static:nonroot", "65532"),
        ("gcr.io/distroless/static-debian12:nonroot-amd64", "65532"),
        ("grafana/grafana:10.4.0", "472"),
        ("docker.io/grafana/k6:0.50.0", "12345"),
        ("prom/prometheus:v2.51.0", "nobody"),
        ("quay.io/prometheus/node-exporter:v1.7.0", "nobody"),
        ("jupyter/scipy-notebook:2024-01-15", "1000"),
        ("quay.io/jupyter/base-notebook", "1000"),
        ("bitnami/redis:7.2", "1001"),
        ("docker.io/bitnami/postgresql:16@sha256:" + "0" * 64, "1001"),
        ("gcr.io/kubebuilder/kube-rbac-proxy:v0.8.0", "65532"),
        ("quay.io/brancz/kube-rbac-proxy:v0.13.1", "65532"),
        ("jaegertracing/all-in-one:1.57", "10001"),
        ("jaegertracing/all-in-one", "10001"),
        ("grafana/grafana:latest", "472"),
    ],
)
def test_known_non_root_images(ref: str, user: str) -> None:
    assert image_user(ref) == user
    assert not known_root_image(ref)


@pytest.mark.parametrize(
    "ref",
    ["python:3.12-slim", "docker.io/library/ubuntu:24.04", "golang", "gcr.io/distroless/static:latest",
     "nvidia/cuda:12.3.1-runtime-ubuntu22.04", "registry.access.redhat.com/ubi9/ubi-minimal:9.3",
     "nginx:1.25", "gcr.io/kubebuilder/kube-rbac-proxy:v0.4.0", "quay.io/brancz/kube-rbac-proxy:v0.6.0",
     "jaegertracing/all-in-one:1.23", "grafana/grafana:4.6.3"],
)  # fmt: skip
def test_known_root_images(ref: str) -> None:
    assert image_user(ref) is None
    assert known_root_image(ref)


@pytest.mark.parametrize("ref", ["bitnami/minideb:bookworm", "cgr.dev/chainguard/wolfi-base"])
def test_root_exceptions_of_non_root_families(ref: str) -> None:
    assert image_user(ref) is None


@pytest.mark.parametrize("ref", ["postgres:16", "example.com/team/api:1.2", "${BASE_IMAGE}", "minio/minio"])
def test_unknown_images_are_neither(ref: str) -> None:
    assert image_user(ref) is None and not known_root_image(ref)


def test_configured_patterns_say_only_non_root() -> None:
    assert image_user("example.com/team/base:nonroot", ("*:nonroot",)) == "nonroot"
    assert image_user("example.com/team/base:1", ("*:nonroot",)) is None


def test_cli_images() -> None:
    assert cli_image("grafana/k6:0.50.0") == "k6"
    assert cli_image("artilleryio/artillery:2.0.0") == "artillery"
    assert cli_image("cfssl/cfssl") == "cfssl"
    assert cli_image("grafana/grafana:10") is None


def test_a_cap_lowers_a_finding_but_never_raises_it(tmp_path: Path, monkeypatch) -> None:
    """A rule's `at_most(finding, NOTE)` is stamped note; an uncapped finding keeps the
    configured severity; a cap above the configured severity changes nothing."""
    registry = reg.load_registry()
    rule = registry.get("k8s-run-as-root")
    inner = registry.function(rule)

    def capped(doc, ctx):
        for i, f in enumerate(inner(doc, ctx)):
            yield at_most(f, (Severity.NOTE, Severity.ERROR)[i % 2])

    fields = {name: getattr(rule, name) for name in rule.__dataclass_fields__}
    monkeypatch.setitem(registry.rules, rule.id, rule.__class__(**{**fields, "func": capped}))
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: "
    pod += "[{name: a, image: 'python:3.12'}, {name: b, image: 'python:3.12'}]\n"
    (tmp_path / "pod.yaml").write_text(pod)
    result = lint([str(tmp_path / "pod.yaml")], registry, Config(), tmp_path)
    levels = [f.severity for f in result.findings if f.rule == "k8s-run-as-root"]
    assert levels == [Severity.NOTE, rule.severity]
