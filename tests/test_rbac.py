"""The RBAC family: severities on evidence (a role nobody binds is a note), the graph from a
workload to the rules its service account holds, seen from a one-file call too, and the
graph's path in SARIF related locations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from manifestlint.cli import main

ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["list"]
"""
BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: reader
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects:
  - {kind: ServiceAccount, name: app, namespace: shop}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: shop}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      serviceAccountName: app
      containers: [{name: app, image: "ghcr.io/example/app:1.0.0"}]
"""


@pytest.fixture()
def work(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # the project root
    return tmp_path


def lint(*args: str) -> list[dict]:
    result = CliRunner().invoke(main, ["lint", "-f", "json", "--select", "k8s-rbac,k8s-workload-rbac", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


def test_a_role_nobody_binds_is_a_note_and_a_bound_one_a_warning(work: Path) -> None:
    (work / "role.yaml").write_text(ROLE)
    assert [(f["rule"], f["severity"]) for f in lint("role.yaml")] == [
        ("k8s-rbac-dangerous-permission", "note")
    ]
    (work / "binding.yaml").write_text(BINDING)
    found = [(f["rule"], f["severity"]) for f in lint("role.yaml")]
    assert found == [("k8s-rbac-dangerous-permission", "warning")]  # the binding is in another file


def test_a_one_file_call_follows_the_graph_through_other_files(work: Path) -> None:
    (work / "role.yaml").write_text(ROLE)
    (work / "binding.yaml").write_text(BINDING)
    (work / "deploy.yaml").write_text(DEPLOYMENT)
    for cache in ((), ("--no-cache",)):
        found = [(f["rule"], f["line"]) for f in lint(*cache, "deploy.yaml")]
        assert found == [("k8s-workload-rbac", 9)], cache
    (work / "binding.yaml").write_text(BINDING.replace("name: app", "name: other"))
    assert lint("deploy.yaml") == []


def test_the_path_is_in_sarif_related_locations(work: Path) -> None:
    (work / "all.yaml").write_text("---\n".join((DEPLOYMENT, BINDING, ROLE)))
    result = CliRunner().invoke(main, ["lint", "-f", "sarif", "--select", "k8s-workload-rbac", "all.yaml"])
    (res,) = json.loads(result.stdout)["runs"][0]["results"]
    assert "can read Secrets cluster-wide through ClusterRoleBinding 'reader'" in res["message"]["text"]
    related = [
        (r["physicalLocation"]["region"]["startLine"], r["message"]["text"]) for r in res["relatedLocations"]
    ]
    assert related == [(15, "binding ClusterRoleBinding reader"), (25, "rule of ClusterRole 'reader'")]


def test_wildcards_are_reported_once_not_again_as_dangerous_permissions(work: Path) -> None:
    (work / "role.yaml").write_text(ROLE.replace('verbs: ["list"]', 'verbs: ["*"]'))
    assert [f["rule"] for f in lint("role.yaml")] == ["k8s-rbac-wildcard"]


def test_presets_are_options(work: Path) -> None:
    (work / "role.yaml").write_text(
        ROLE + "  - apiGroups: ['']\n    resources: [configmaps]\n    verbs: [update]\n"
    )
    assert [f["line"] for f in lint("role.yaml")] == [7]
    (work / ".manifestlint.yaml").write_text(
        "rules:\n  k8s-rbac-dangerous-permission:\n    options:\n      presets: [modify-configmaps]\n"
    )
    assert [f["line"] for f in lint("role.yaml")] == [10]


def test_a_wildcard_over_custom_resources_only_is_a_note(work: Path) -> None:
    (work / "role.yaml").write_text(
        ROLE.replace('apiGroups: [""]', "apiGroups: [backup.example.com]").replace(
            'resources: ["secrets"]', 'resources: ["*"]'
        )
        + BINDING.replace("apiVersion", "---\napiVersion", 1)
    )
    assert [(f["rule"], f["severity"]) for f in lint("role.yaml")] == [("k8s-rbac-wildcard", "note")]
    (work / "role.yaml").write_text((work / "role.yaml").read_text().replace("backup.example.com", "apps"))
    assert [(f["rule"], f["severity"]) for f in lint("role.yaml")] == [("k8s-rbac-wildcard", "warning")]
