"""Pod Security: the namespace's admission labels seen from a one-file call, the admission
finding replacing the older rules' at the same field, the configured cluster default, and
levels per namespace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from manifestlint.cli import main

NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/{mode}: baseline
"""
POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: web
      image: ghcr.io/example/web:2.0.1
      securityContext:
        privileged: true
        procMount: Unmasked
"""


@pytest.fixture()
def work(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    return tmp_path


def lint(*args: str) -> list[tuple[int, str, str]]:
    result = CliRunner().invoke(main, ["lint", "-f", "json", *args])
    assert result.exit_code in (0, 1), result.output
    found = json.loads(result.stdout)["findings"]
    return sorted(
        (f["line"], f["rule"], f["severity"])
        for f in found
        if "privileged" in f["rule"] or "pod-sec" in f["rule"]
    )


def test_enforced_namespace_refuses_and_replaces_the_older_findings(work: Path) -> None:
    (work / "pod.yaml").write_text(POD)
    assert lint("pod.yaml") == [
        (9, "k8s-privileged-container", "error"),
        (10, "k8s-pod-security", "warning"),
    ]
    (work / "namespace.yaml").write_text(NAMESPACE.format(mode="enforce"))
    for cache in ((), ("--no-cache",)):
        assert lint(*cache, "pod.yaml") == [
            (9, "k8s-pod-security-admission", "error"),
            (10, "k8s-pod-security-admission", "error"),
        ], cache


def test_warn_and_audit_labels_give_warnings(work: Path) -> None:
    (work / "pod.yaml").write_text(POD)
    for mode in ("warn", "audit"):
        (work / "namespace.yaml").write_text(NAMESPACE.format(mode=mode))
        assert lint("pod.yaml") == [
            (9, "k8s-pod-security-admission", "warning"),
            (10, "k8s-pod-security-admission", "warning"),
        ], mode


def test_cluster_default_applies_to_namespaces_without_labels(work: Path) -> None:
    (work / "pod.yaml").write_text(POD)
    (work / ".manifestlint.yaml").write_text(
        "rules:\n  k8s-pod-security-admission:\n    options:\n      cluster-default: baseline\n"
    )
    assert [rule for _, rule, _ in lint("pod.yaml")] == ["k8s-pod-security-admission"] * 2
    (work / "namespace.yaml").write_text(NAMESPACE.format(mode="enforce").replace("baseline", "privileged"))
    assert [rule for _, rule, _ in lint("pod.yaml")] == ["k8s-privileged-container", "k8s-pod-security"]


def test_level_per_namespace(work: Path) -> None:
    restricted_only = POD.replace(
        "        privileged: true\n        procMount: Unmasked\n", "        runAsUser: 1000\n"
    )
    (work / "pod.yaml").write_text(restricted_only)
    assert lint("pod.yaml") == []
    (work / ".manifestlint.yaml").write_text(
        "rules:\n  k8s-pod-security:\n    options:\n      namespaces: {shop: restricted}\n"
    )
    assert lint("pod.yaml") == [(8, "k8s-pod-security", "warning")]  # runAsNonRoot not true
