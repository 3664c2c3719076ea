"""What GitHub code scanning reads from our SARIF, through the command line: the category
only when asked (in `category/` form), `security-severity` from the configured severity,
cross-file findings with `relatedLocations`, suppressed and baselined findings with
`suppressions` behind --show-suppressed, and `helpUri` only with a configured `docs-url`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES
from test_sarif import validate

from manifestlint.cli import main

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: example/web:1.0.0
          ports:
            - {name: web, containerPort: 8080}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - name: http
      port: 80
      targetPort: http
"""


def run_sarif(cwd: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["lint", "-f", "sarif", "-o", "out.sarif", *args])
    assert result.exit_code in (0, 1), result.output
    log = json.loads((cwd / "out.sarif").read_text())
    validate(log)
    return result.exit_code, log


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_category_only_when_given_and_in_github_form(repo: Path) -> None:
    (repo / "Dockerfile").write_text("FROM alpine:3.20\n")
    _, log = run_sarif(repo, ".")
    assert "automationDetails" not in log["runs"][0]
    _, log = run_sarif(repo, ".", "--sarif-category", "infra")
    assert log["runs"][0]["automationDetails"] == {"id": "infra/"}  # category 'infra', no run id
    _, log = run_sarif(repo, ".", "--sarif-category", "manifestlint/k8s/")
    assert log["runs"][0]["automationDetails"] == {"id": "manifestlint/k8s/"}


def _rule(log: dict, rule_id: str) -> dict:
    return next(r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == rule_id)


def test_security_severity_follows_the_configured_severity(repo: Path) -> None:
    (repo / "pod.yaml").write_text((FIXTURES / "rules" / "k8s-run-as-root" / "bad.yaml").read_text())
    _, log = run_sarif(repo, "pod.yaml")
    default = float(_rule(log, "k8s-run-as-root")["properties"]["security-severity"])
    assert default >= 7.0  # High by default
    (repo / ".manifestlint.yaml").write_text("rules:\n  k8s-run-as-root: note\n")
    _, log = run_sarif(repo, "pod.yaml")
    rule = _rule(log, "k8s-run-as-root")
    assert rule["defaultConfiguration"]["level"] == "note"
    assert float(rule["properties"]["security-severity"]) < 4.0  # Low, not High
    results = [r for r in log["runs"][0]["results"] if r["ruleId"] == "k8s-run-as-root"]
    assert results and all(r["level"] == "note" for r in results)
    assert all(float(r["properties"]["security-severity"]) < 4.0 for r in results)
    # and a rule turned up to error is ranked High at least
    (repo / ".manifestlint.yaml").write_text("rules:\n  k8s-run-as-root: error\n")
    _, log = run_sarif(repo, "pod.yaml")
    assert float(_rule(log, "k8s-run-as-root")["properties"]["security-severity"]) >= 7.0


def test_cross_file_findings_carry_related_locations(repo: Path) -> None:
    (repo / "deploy.yaml").write_text(DEPLOYMENT)
    (repo / "service.yaml").write_text(SERVICE)
    _, log = run_sarif(repo, ".")
    result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "k8s-service-target-port-mismatch")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "service.yaml"
    assert result["relatedLocations"] == [
        {
            "id": 1,
            "message": {"text": "Deployment web"},
            "physicalLocation": {
                "artifactLocation": {"uri": "deploy.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"endColumn": 12, "endLine": 4, "startColumn": 9, "startLine": 4},
            },
        }
    ]


def test_pdb_and_virtual_service_findings_point_at_the_other_object(repo: Path) -> None:
    (repo / "deploy.yaml").write_text(DEPLOYMENT)
    (repo / "pdb.yaml").write_text(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
        "spec:\n  minAvailable: 2\n  selector: {matchLabels: {app: web}}\n"
    )
    (repo / "dr.yaml").write_text(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: web}\n"
        "spec:\n  host: web\n  subsets:\n    - name: v1\n      labels: {app: web}\n"
    )
    (repo / "vs.yaml").write_text(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web}\n"
        "spec:\n  hosts: [web]\n  http:\n    - route:\n        - destination: {host: web, subset: v2}\n"
    )
    _, log = run_sarif(repo, ".")
    by_rule = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    pdb = by_rule["k8s-pdb-blocks-eviction"]["relatedLocations"]
    assert [(r["physicalLocation"]["artifactLocation"]["uri"], r["message"]["text"]) for r in pdb] == [
        ("deploy.yaml", "Deployment web")
    ]
    vs = by_rule["istio-vs-unknown-subset"]["relatedLocations"]
    assert [(r["physicalLocation"]["artifactLocation"]["uri"], r["message"]["text"]) for r in vs] == [
        ("dr.yaml", "DestinationRule web")
    ]


def test_suppressed_and_baselined_findings_with_show_suppressed(repo: Path) -> None:
    (repo / "Dockerfile").write_text(
        "# manifestlint: disable=docker-root-user\nFROM alpine:3.20\nRUN apk add --no-cache curl\n"
    )
    _, log = run_sarif(repo, ".")
    plain = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert "suppressions" not in json.dumps(log)
    runner = CliRunner()
    assert runner.invoke(main, ["lint", ".", "--write-baseline", "base.json"]).exit_code == 0
    (repo / "k8s.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n")
    _, log = run_sarif(repo, ".", "--baseline", "base.json")
    assert {r["ruleId"] for r in log["runs"][0]["results"]}.isdisjoint(plain)  # baselined: gone
    _, log = run_sarif(repo, ".", "--baseline", "base.json", "--show-suppressed")
    results = log["runs"][0]["results"]
    assert all("suppressions" in r for r in results)  # SARIF: on every result or on none
    by_kind: dict[str, set[str]] = {}
    for r in results:
        for s in r["suppressions"]:
            by_kind.setdefault(s["kind"], set()).add(r["ruleId"])
            assert s["justification"]
    assert by_kind["inSource"] == {"docker-root-user"}
    assert by_kind["external"] == plain  # everything the baseline recorded
    open_results = [r for r in results if not r["suppressions"]]
    assert open_results and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "k8s.yaml"
                                for r in open_results)  # fmt: skip


def test_suppressed_findings_do_not_change_the_exit_code(repo: Path) -> None:
    (repo / "Dockerfile").write_text(
        "# manifestlint: disable-file=docker-root-user,docker-missing-healthcheck\nFROM alpine:3.20\n"
    )
    code, log = run_sarif(repo, "Dockerfile", "--show-suppressed", "--fail-on", "note")
    results = log["runs"][0]["results"]
    assert results and all(r["suppressions"] for r in results)
    assert code == 0


def test_help_uri_only_with_docs_url(repo: Path) -> None:
    (repo / "Dockerfile").write_text("FROM alpine:3.20\n")
    _, log = run_sarif(repo, ".")
    assert "helpUri" not in json.dumps(log) and "informationUri" not in json.dumps(log)
    assert "manifestlint explain" in _rule(log, "docker-root-user")["help"]["markdown"]
    (repo / ".manifestlint.yaml").write_text("docs-url: https://docs.example.com/manifestlint/rules/\n")
    _, log = run_sarif(repo, ".")
    assert _rule(log, "docker-root-user")["helpUri"] == (
        "https://docs.example.com/manifestlint/rules/docker-root-user.md"
    )
    (repo / ".manifestlint.yaml").write_text("docs-url: https://example.com/r?id={rule}\n")
    _, log = run_sarif(repo, ".")
    assert _rule(log, "docker-root-user")["helpUri"] == "https://example.com/r?id=docker-root-user"


def test_json_names_the_related_objects_too(repo: Path) -> None:
    (repo / "deploy.yaml").write_text(DEPLOYMENT)
    (repo / "service.yaml").write_text(SERVICE)
    result = CliRunner().invoke(main, ["lint", ".", "-f", "json"])
    findings = json.loads(result.stdout)["findings"]
    finding = next(f for f in findings if f["rule"] == "k8s-service-target-port-mismatch")
    assert finding["related"] == [{"path": "deploy.yaml", "line": 4, "column": 9, "object": "Deployment web"}]
    assert all("related" not in f for f in findings if f is not finding)
