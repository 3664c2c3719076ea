"""`manifestlint checklist` through the CLI: every seed item in order with its exact text,
statuses backed by findings (path:line) and evidence, the alerts JSON, custom checklists
and exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from manifestlint.checklist.items import parse_checklist, seed_path
from manifestlint.cli import main

EXAMPLE = "examples/freeagentics"
ITEM_LINE = re.compile(r"^- \[([ x])\] (\S+) \*\*(.+)\*\* — (.+)$")


def run(*args: str, cwd: Path = ROOT) -> tuple[int, str]:
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, ["checklist", *args], catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def example_json() -> dict:
    code, out = run(EXAMPLE, "--format", "json")
    assert code == 1
    return json.loads(out)


def test_markdown_lists_every_seed_item_in_order_with_its_text() -> None:
    code, out = run(EXAMPLE)
    assert code == 1  # items fail at warning and above
    shown = [m.group(3) for m in map(ITEM_LINE.match, out.splitlines()) if m]
    seed = [item.text for item in parse_checklist(seed_path().read_text(encoding="utf-8"))]
    assert len(seed) == 218
    assert shown == seed
    assert "- [x] ❌ **Error rate monitoring** — failing" in out
    assert (
        "  - `examples/freeagentics/monitoring/rules/alerts.yml:52` prometheus-alert-threshold (warning): "
        "error-rate alert 'HighErrorRate' fires at > 5% after 2m; the policy is > 1% for 5m"
    ) in out


def _item(data: dict, text: str) -> dict:
    return next(i for i in data["items"] if i["text"] == text)


def test_statuses_of_the_example(example_json: dict) -> None:
    """Issue 22's acceptance: every verdict of the example backed by what the files do."""
    status = {i["text"]: i["status"] for i in example_json["items"]}
    assert status["Pod Disruption Budgets"] == "verified"
    assert status["JWT token implementation"] == "not statically checkable"
    assert status["Horizontal Pod Autoscaler (HPA)"] == "failing"  # monitoring Deployments have none
    assert status["Alert routing and escalation"] == "failing"
    # declared but without effect: no pod of the namespace gets a sidecar
    for text in (
        "mTLS authentication",
        "Authorization policies",
        "Rate limiting",
        "Service mesh (Istio) integration",
    ):
        assert status[text] == "failing", text
    mtls = _item(example_json, "mTLS authentication")
    assert mtls["evidence"] == [
        "PeerAuthentication freeagentics-prod/default applies to no pod: it selects 14 workloads, none "
        "with a sidecar (examples/freeagentics/k8s/istio-service-mesh.yaml:243)"
    ]
    breakers = _item(example_json, "Circuit breakers")
    assert breakers["status"] == "failing"
    assert breakers["what_was_checked"] == "4 DestinationRules, outlier detection in effect on 2"
    assert breakers["evidence"][0].startswith(
        "DestinationRule freeagentics-prod/backend-dr: outlier detection fields under "
        "trafficPolicy.connectionPool.http, where Istio does not read them (it reads outlierDetection), so "
        "they never take effect: `consecutiveGatewayErrors` "
        "(examples/freeagentics/k8s/istio-service-mesh.yaml:131), "
    )
    vpa = _item(example_json, "Vertical Pod Autoscaler (VPA)")
    assert vpa["status"] == "failing"
    assert {(f["line"], f["rule"]) for f in vpa["findings"]} == {
        (158, "k8s-hpa-vpa-conflict"),
        (188, "k8s-hpa-vpa-conflict"),
    }
    for text in (
        "SLO-based alerting",
        "Security scanning integration",
        "Runbook automation",
        "Log analysis and alerting",
    ):
        assert status[text] == "no evidence", text
    assert status["Alert grouping and inhibition"] == "failing"  # both Alertmanager configs are refused
    assert status["Incident response"] == "failing"
    errors = _item(example_json, "Error rate monitoring")
    assert [(f["path"], f["line"], f["rule"]) for f in errors["findings"]] == [
        ("examples/freeagentics/monitoring/rules/alerts.yml", 52, "prometheus-alert-threshold")
    ]
    # the CPU alert meets the policy; the memory alert does not: only the memory finding counts
    resources = _item(example_json, "Resource utilization monitoring")
    assert [f["line"] for f in resources["findings"]] == [9]
    # a misplaced DestinationRule field (schema-unknown-field) is not about probes or limits
    for text in ("Health checks implemented", "Resource limits configured"):
        assert not [f for f in _item(example_json, text)["findings"] if f["rule"] == "schema-unknown-field"]
    routing = _item(example_json, "Alert routing and escalation")
    assert ("examples/freeagentics/monitoring/alertmanager.yml", 29, "alertmanager-no-critical-route") in {
        (f["path"], f["line"], f["rule"]) for f in routing["findings"]
    }


def test_every_verified_item_cites_evidence(example_json: dict) -> None:
    verified = [i for i in example_json["items"] if i["status"] == "verified"]
    assert sorted(i["text"] for i in verified) == [
        "API key management", "Encryption in transit", "Gateway configuration", "Pod Disruption Budgets",
        "Retry policies",
    ]  # fmt: skip
    for item in verified:
        assert item["evidence"] and item["what_was_checked"], item["text"]
        assert all(
            re.search(r"\S+:\d+", note) for note in item["evidence"] if not note.startswith("inside")
        ), item


def test_json_alerts_list_what_was_understood(example_json: dict) -> None:
    alerts = {a["alert"]: a for a in example_json["alerts"]}
    path = "examples/freeagentics/monitoring/rules/alerts.yml"
    assert alerts["HighMemoryUsage"] == {
        "alert": "HighMemoryUsage", "path": path, "line": 9, "category": "memory", "threshold": 90.0,
        "comparison": ">", "for_seconds": 300.0,
    }  # fmt: skip
    assert alerts["HighCPUUsage"]["category"] == "cpu" and alerts["HighCPUUsage"]["threshold"] == 80
    assert alerts["DiskSpaceLow"]["threshold"] == 90 and alerts["DiskSpaceLow"]["for_seconds"] == 120
    assert alerts["HighErrorRate"]["threshold"] == 5 and alerts["HighErrorRate"]["category"] == "error-rate"
    assert (
        alerts["SlowResponseTime"]["threshold"] == 5 and alerts["SlowResponseTime"]["category"] == "latency"
    )
    # seen and not understood: listed with the reason, never guessed
    assert alerts["PostgreSQLTooManyConnections"] == {
        "alert": "PostgreSQLTooManyConnections", "path": path, "line": 104, "category": None,
        "reason": "not a CPU, memory, disk, error-rate or latency quantity",
    }  # fmt: skip
    assert alerts["PostgreSQLSlowQueries"]["reason"] == "a rate of a duration, not a duration"


def test_absent_when_nothing_of_the_kind(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('FROM python:3.12-slim\nUSER 10001\nCMD ["python"]\n')
    code, out = run("Dockerfile", "--format", "json", "--fail-on", "none", cwd=tmp_path)
    assert code == 0
    status = {i["text"]: i["status"] for i in json.loads(out)["items"]}
    assert status["Gateway configuration"] == "absent"
    assert status["mTLS authentication"] == "absent"
    assert status["Error rate monitoring"] == "absent"
    assert status["Non-root user execution"] == "verified"


def test_custom_checklist_matched_by_text(tmp_path: Path) -> None:
    (tmp_path / "ours.md").write_text(
        "# Our checklist\n\n## Alerts\n- [x] error rate monitoring\n- [ ] Pod disruption budgets.\n"
        "- [x] Coffee machine serviced\n```\n- [x] not an item inside a fence\n```\n"
    )
    code, out = run(EXAMPLE, "--checklist", str(tmp_path / "ours.md"), "--format", "text")
    assert code == 1
    lines = [line.strip() for line in out.splitlines()]
    assert any(line.startswith("FAILING                    error rate monitoring  (") for line in lines)
    assert "VERIFIED                   Pod disruption budgets.  (2 PodDisruptionBudgets)" in lines
    assert "NOT STATICALLY CHECKABLE   Coffee machine serviced" in lines
    assert "not an item inside a fence" not in out


def test_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "ours.md").write_text("- [x] JWT token implementation\n- [x] Pod Disruption Budgets\n")
    assert run(EXAMPLE, "--checklist", str(tmp_path / "ours.md"))[0] == 0
    (tmp_path / "ours.md").write_text("- [x] Error rate monitoring\n")
    assert run(EXAMPLE, "--checklist", str(tmp_path / "ours.md"))[0] == 1
    assert run(EXAMPLE, "--checklist", str(tmp_path / "ours.md"), "--fail-on", "error")[0] == 0
    assert run(EXAMPLE, "--checklist", str(tmp_path / "ours.md"), "--exit-zero")[0] == 0
    (tmp_path / "empty.md").write_text("no items here\n")
    assert run(EXAMPLE, "--checklist", str(tmp_path / "empty.md"))[0] == 2
    assert run(EXAMPLE, "--checklist", str(tmp_path / "missing.md"))[0] == 2


def test_committed_report_is_current() -> None:
    """docs/checklist-freeagentics.md is the command's output (regenerate with
    `manifestlint checklist examples/freeagentics -o docs/checklist-freeagentics.md`)."""
    _code, out = run(EXAMPLE)
    assert (ROOT / "docs" / "checklist-freeagentics.md").read_text(encoding="utf-8") == out


def test_every_checklist_item_of_rule_metadata_is_a_seed_item(registry) -> None:
    """A typo (or an unquoted comma in a YAML flow list) would silently map a rule to nothing."""
    seed = {item.text for item in parse_checklist(seed_path().read_text(encoding="utf-8"))}
    unknown = sorted({(rule.id, text) for rule in registry for text in rule.checklist if text not in seed})
    assert unknown == []
