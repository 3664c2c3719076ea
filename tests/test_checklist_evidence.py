# ruff: noqa: E501  (YAML documents and expected messages are kept whole)
"""Issue 22: each status (verified, failing, no evidence, absent, not statically checkable)
and each kind of evidence (objects, effects on meshed pods, Istio field placement, alerts,
burn rates, Alertmanager configs that load, CI scanners, secrets, the objects rules checked),
numbered checklist items, and Markdown that fits where it is posted."""

from __future__ import annotations

import json
from pathlib import Path

from test_checklist import run

from manifestlint.checklist.items import parse_checklist

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: shop}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata:
      labels: {{app: api}}{annotations}
    spec:
      containers:
        - name: api
          image: registry.example/api:1.0
          env:
            - name: TOKEN
              valueFrom: {{secretKeyRef: {{name: api, key: token}}}}
"""
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {{{labels}}}\n"
STRICT = """apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: default, namespace: shop}
spec:
  mtls: {mode: STRICT}
"""


def _statuses(folder: Path, checklist: str, *paths: str) -> dict[str, dict]:
    (folder / "ours.md").write_text(checklist)
    code, out = run(*(paths or (".",)), "--checklist", "ours.md", "-f", "json", "--exit-zero", cwd=folder)
    assert code == 0
    return {i["text"]: i for i in json.loads(out)["items"]}


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def test_mtls_counts_only_for_pods_with_a_sidecar(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "app.yaml",
        DEPLOY.format(annotations="") + "---\n" + NAMESPACE.format(labels="") + "---\n" + STRICT,
    )
    items = _statuses(tmp_path, "- [x] mTLS authentication\n")
    assert items["mTLS authentication"]["status"] == "failing"
    assert items["mTLS authentication"]["evidence"] == [
        "PeerAuthentication shop/default applies to no pod: it selects 1 workload, none with a sidecar (app.yaml:26)"
    ]
    _write(tmp_path, "app.yaml", DEPLOY.format(annotations="") + "---\n"
           + NAMESPACE.format(labels="istio-injection: enabled") + "---\n" + STRICT)  # fmt: skip
    items = _statuses(tmp_path, "- [x] mTLS authentication\n")
    assert items["mTLS authentication"]["status"] == "verified"
    assert items["mTLS authentication"]["evidence"] == [
        "PeerAuthentication shop/default applies to 1 meshed workload (app.yaml:26)"
    ]
    # the pod asks for a sidecar itself; its Namespace is not in the files
    annotations = '\n      annotations: {sidecar.istio.io/inject: "true"}'
    _write(tmp_path, "app.yaml", DEPLOY.format(annotations=annotations) + "---\n" + STRICT)
    assert _statuses(tmp_path, "- [x] mTLS authentication\n")["mTLS authentication"]["status"] == "verified"
    # no Namespace in the files and no pod asking: not proven either way
    _write(tmp_path, "app.yaml", DEPLOY.format(annotations="") + "---\n" + STRICT)
    assert (
        _statuses(tmp_path, "- [x] mTLS authentication\n")["mTLS authentication"]["status"] == "no evidence"
    )


def test_circuit_breaker_only_where_istio_reads_it(tmp_path: Path) -> None:
    dr = """apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: api, namespace: shop}
spec:
  host: api
  trafficPolicy:
    connectionPool:
      http:
        http1MaxPendingRequests: 10
        consecutive5xxErrors: 5
"""
    _write(tmp_path, "dr.yaml", dr)
    item = _statuses(tmp_path, "- [x] Circuit breakers\n")["Circuit breakers"]
    assert item["status"] == "failing"
    assert item["what_was_checked"].startswith("1 DestinationRule, outlier detection in effect on 0")
    assert item["evidence"][0] == (
        "DestinationRule shop/api: outlier detection fields under trafficPolicy.connectionPool.http, where Istio "
        "does not read them (it reads outlierDetection), so they never take effect: `consecutive5xxErrors` (dr.yaml:10)"
    )
    _write(
        tmp_path,
        "dr.yaml",
        dr.replace("        consecutive5xxErrors: 5\n", "    outlierDetection: {consecutive5xxErrors: 5}\n"),
    )
    item = _statuses(tmp_path, "- [x] Circuit breakers\n")["Circuit breakers"]
    assert (item["status"], item["evidence"]) == (
        "verified",
        ["DestinationRule shop/api outlierDetection in trafficPolicy (dr.yaml:3)"],
    )


def test_scanning_needs_a_workflow_that_runs_a_scanner(tmp_path: Path) -> None:
    _write(tmp_path, "Dockerfile", "FROM python:3.12-slim\nUSER 10001\n")
    items = _statuses(tmp_path, "- [x] Security scanning integration\n")
    assert items["Security scanning integration"]["status"] == "no evidence"
    _write(
        tmp_path,
        ".github/workflows/ci.yml",
        "jobs:\n  scan:\n    steps:\n      - uses: aquasecurity/trivy-action@0.24.0\n",
    )
    item = _statuses(tmp_path, "- [x] Security scanning integration\n")["Security scanning integration"]
    assert item["status"] == "verified"
    assert item["evidence"] == [f"{tmp_path}/.github/workflows/ci.yml:4 runs trivy"]


RULES = """groups:
  - name: slo
    rules:
      - alert: ApiErrorBudgetBurn
        expr: >
          sum(rate(http_requests_total{code=~"5.."}[1h])) / sum(rate(http_requests_total[1h])) > (14.4 * (1 - 0.999))
          and sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > (14.4 * (1 - 0.999))
        for: 2m
        labels: {severity: critical}
        annotations: {summary: budget burn, runbook_url: "https://runbooks.example/api"}
      - alert: ApiDown
        expr: up{job="api"} == 0
"""


def test_slo_and_runbook_evidence_from_alerts(tmp_path: Path) -> None:
    _write(tmp_path, "rules.yaml", RULES)
    items = _statuses(tmp_path, "- [x] SLO-based alerting\n- [x] Runbook automation\n")
    assert items["SLO-based alerting"]["status"] == "verified"  # ApiDown's missing `for` is not about SLOs
    assert items["SLO-based alerting"]["findings"] == []
    assert items["SLO-based alerting"]["evidence"] == [
        "ApiErrorBudgetBurn: burn-rate alert, objective 99.9% (rules.yaml:4)"
    ]
    assert items["Runbook automation"]["evidence"] == ["ApiErrorBudgetBurn (rules.yaml:4)"]
    _write(
        tmp_path,
        "rules.yaml",
        RULES.replace("(14.4 * (1 - 0.999))", "0.05").replace(
            ', runbook_url: "https://runbooks.example/api"', ""
        ),
    )
    items = _statuses(tmp_path, "- [x] SLO-based alerting\n- [x] Runbook automation\n")
    assert items["SLO-based alerting"]["status"] == "no evidence"
    assert items["Runbook automation"]["status"] == "no evidence"


AM = """route:
  receiver: pager
  group_by: [alertname]
receivers:
  - name: pager
    pagerduty_configs:
      - routing_key: abc
"""


def test_alertmanager_evidence_only_from_a_config_that_loads(tmp_path: Path) -> None:
    _write(tmp_path, "alertmanager.yml", AM)
    items = _statuses(tmp_path, "- [x] Incident response\n- [x] Alert grouping and inhibition\n")
    assert items["Incident response"]["status"] == "verified"
    assert items["Incident response"]["evidence"] == [
        "receiver pager pages through pagerduty (alertmanager.yml:6)"
    ]
    assert items["Alert grouping and inhibition"]["evidence"] == [
        "route.group_by ['alertname'] (alertmanager.yml:3)"
    ]
    _write(
        tmp_path,
        "alertmanager.yml",
        AM + "    slack_configs:\n      - api_url: not-a-url\n        channel: x\n",
    )
    item = _statuses(tmp_path, "- [x] Alert grouping and inhibition\n")["Alert grouping and inhibition"]
    assert item["status"] == "failing"
    assert item["evidence"][0].startswith(
        "Alertmanager refuses to load alertmanager.yml (1 error, first at alertmanager.yml:9)"
    )


def test_each_status_and_generic_evidence(tmp_path: Path) -> None:
    _write(tmp_path, "app.yaml", DEPLOY.format(annotations=""))
    checklist = (
        "- [x] API key management\n- [x] Gateway configuration\n- [x] JWT token implementation\n"
        "- [x] Pod Disruption Budgets\n- [x] Read-only root filesystem\n"
    )
    items = _statuses(tmp_path, checklist)
    assert {t: i["status"] for t, i in items.items()} == {
        "API key management": "verified",  # a Secret reference
        "Gateway configuration": "absent",  # no Istio objects
        "JWT token implementation": "not statically checkable",
        "Pod Disruption Budgets": "failing",  # a Deployment without one
        "Read-only root filesystem": "failing",  # the container's root filesystem is writable
    }
    assert items["API key management"]["evidence"] == [
        "Deployment shop/api reads credentials from a Secret (app.yaml:3)"
    ]
    assert items["Pod Disruption Budgets"]["evidence"] == ["no PodDisruptionBudget in the named files"]
    _write(tmp_path, "app.yaml", DEPLOY.format(annotations="").replace(
        "          env:", "          securityContext: {readOnlyRootFilesystem: true}\n          env:"))  # fmt: skip
    item = _statuses(tmp_path, "- [x] Read-only root filesystem\n")["Read-only root filesystem"]
    assert (item["status"], item["evidence"]) == ("verified", ["Deployment shop/api (app.yaml:3)"])
    assert item["what_was_checked"] == "1 object checked by 2 rules"


def test_numbered_items_read_like_dashes() -> None:
    items = parse_checklist(
        "## Ops\n1. [x] Pod Disruption Budgets\n2) [ ] Network policies\n10. [X] x\n3. not an item\n"
    )
    assert [(i.text, i.checked, i.line) for i in items] == [
        ("Pod Disruption Budgets", True, 2), ("Network policies", False, 3), ("x", True, 4),
    ]  # fmt: skip


def test_headings_carry_our_counts_not_the_seeds_marks() -> None:
    code, out = run("examples/freeagentics")
    assert code == 1
    assert "### 1. Infrastructure Readiness — " in out
    assert "### 1. Infrastructure Readiness ✅" not in out
    assert "| ❌ failing | " in out


def _big_project(folder: Path, count: int) -> None:
    docs = []
    for n in range(count // 4):
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app{n}, namespace: default}}\nspec:\n"
            f"  replicas: 1\n  selector: {{matchLabels: {{app: a{n}}}}}\n  template:\n    metadata: {{labels: {{app: a{n}}}}}\n"
            f"    spec:\n      containers:\n        - name: c\n          image: example/app:latest\n"
        )
    _write(folder, "many.yaml", "---\n".join(docs))


def test_compact_markdown_fits_a_pr_comment(tmp_path: Path) -> None:
    """A generated project of 500 Deployments (over 2,000 failing findings) stays under
    60,000 characters by default; --full lists more and stays under 1 MiB."""
    _big_project(tmp_path, 2000)
    _code, data = run("many.yaml", "-f", "json", "--exit-zero", cwd=tmp_path)
    findings = sum(len(i["findings"]) for i in json.loads(data)["items"])
    assert findings > 2000
    _code, compact = run("many.yaml", "--exit-zero", cwd=tmp_path)
    assert len(compact) < 60_000
    assert "more (`--full` lists them)" in compact
    _code, full = run("many.yaml", "--full", "--exit-zero", cwd=tmp_path)
    assert len(compact) < len(full) and len(full.encode("utf-8")) <= 1_000_000


def test_log_alerts_rbac_and_zones(tmp_path: Path) -> None:
    _write(tmp_path, "loki-rules.yaml", (
        "groups:\n  - name: logs\n    rules:\n      - alert: ApiPanics\n"
        '        expr: sum(count_over_time({app="api"} |= "panic" [5m])) > 0\n        for: 1m\n'
        "        annotations: {summary: the API panics}\n"
    ))  # fmt: skip
    spread = (
        "      topologySpreadConstraints:\n        - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, "
        "whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: api}}}\n"
    )
    _write(tmp_path, "app.yaml", DEPLOY.format(annotations="").replace("      containers:", spread + "      containers:")
           + "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop}\n")  # fmt: skip
    checklist = "- [x] Log analysis and alerting\n- [x] Multi-zone deployment\n- [x] Role-based access control (RBAC)\n"
    items = _statuses(tmp_path, checklist)
    assert items["Log analysis and alerting"]["evidence"] == ["ApiPanics (loki-rules.yaml:4)"]
    assert items["Multi-zone deployment"]["evidence"] == [
        "Deployment shop/api spreads over zones (app.yaml:3)"
    ]
    assert items["Role-based access control (RBAC)"]["evidence"] == ["ServiceAccount shop/api (app.yaml:22)"]
    assert items["Log analysis and alerting"]["status"] == "verified"


def test_sloth_and_pyrra_alerts_by_their_labels(tmp_path: Path) -> None:
    """Generated alerts count by their labels even in a shape the expression reader does not know."""
    _write(tmp_path, "slo.yaml", (
        "groups:\n  - name: sloth-slo-sli-recordings-api\n    rules:\n"
        "      - alert: ApiAvailability\n        expr: absent(slo:objective:ratio{sloth_id=\"api\"})\n"
        "        labels: {sloth_severity: page, sloth_slo: availability}\n"
        "        annotations: {summary: burn}\n"
        "      - alert: ErrorBudgetBurn\n        expr: vector(1) > 0\n        for: 2m\n"
        "        labels: {slo: api-errors, long: 1h, short: 5m}\n        annotations: {summary: burn}\n"
    ))  # fmt: skip
    item = _statuses(tmp_path, "- [x] SLO-based alerting\n")["SLO-based alerting"]
    assert item["evidence"] == [
        "ApiAvailability: generated by Sloth (slo.yaml:4)",
        "ErrorBudgetBurn: generated by Pyrra (slo.yaml:8)",
    ]
