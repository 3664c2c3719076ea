"""prometheus.yml (issue 21 item 5): found by content and nothing else, linted where it is
embedded, the files around it judged only where the project can answer, and promtool's
verdicts on our fixtures."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES

from manifestlint.classify import document_kind
from manifestlint.config import Config, RuleSetting
from manifestlint.engine import lint
from manifestlint.parse.yaml import parse_stream
from manifestlint.registry import load_registry


def _kind(text: str) -> str:
    docs, errors, _ = parse_stream(text, "x.yaml")
    assert not errors
    return document_kind(docs[0].root)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: a\n", "prometheus-config"),
        ("rule_files:\nscrape_configs: []\n", "prometheus-config"),  # rule_files with only comments
        ("global: {}\nremote_write:\n  - url: http://x\n", "prometheus-config"),  # an agent's config
        ("scrape_config:\n  - job_name: a\nrule_files: [a.yml]\n", "prometheus-config"),  # a misspelt key
        # Helm values with a scrape_configs key beside the chart's own keys: not a configuration
        ("image: prom/prometheus\nreplicas: 2\nscrape_configs:\n  - job_name: a\n", ""),
        ("serverFiles:\n  prometheus.yml:\n    scrape_configs:\n      - job_name: a\n", ""),
        ("prometheus:\n  prometheusSpec:\n    additionalScrapeConfigs:\n      - job_name: a\n", ""),
        # kube-prometheus' Prometheus object and an Alertmanager configuration
        ("apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nspec:\n  ruleSelector: {}\n", "kubernetes"),
        ("global:\n  resolve_timeout: 5m\nroute:\n  receiver: a\nreceivers:\n  - name: a\n", "alertmanager"),
        ("global:\n  scrape_interval: 15s\n", ""),  # a global section alone says nothing
        ("alerting: true\nscrape_configs: 3\n", ""),
    ],
)
def test_found_by_content(text: str, kind: str) -> None:
    assert _kind(text) == kind


def _lint(paths: list[Path], cwd: Path, enable: tuple[str, ...] = (), use_context: bool = True):
    config = Config()
    config.force_include = True  # below tests/ (and pytest's tmp_path): named on purpose
    for rule_id in enable:
        config.rules[rule_id] = RuleSetting(enabled=True)
    return lint([str(p) for p in paths], load_registry(), config, cwd, use_context=use_context)


def test_embedded_in_a_configmap(tmp_path: Path) -> None:
    """A ConfigMap's prometheus.yml is validated at its own lines; its relative paths name the
    container's mount, so the file rules leave it alone."""
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: prometheus\ndata:\n  prometheus.yml: |\n"
        "    rule_files:\n      - rules/*.yml\n    scrape_configs:\n      - job_name: a\n"
        "        scrape_intervall: 30s\n        tls_config:\n          ca_file: ca.crt\n"
    )
    result = _lint([tmp_path / "cm.yaml"], tmp_path)
    found = {(f.rule, f.span.line, f.span.col) for f in result.findings if f.rule.startswith("prometheus-")}
    assert found == {("prometheus-invalid-config-field", 11, 9)}


def test_rule_files_of_the_project(tmp_path: Path) -> None:
    """A rule file beside prometheus.yml that no rule_files loads is reported; one loaded by a
    relative glob or by an absolute entry's file name is not; one in another folder tree is
    none of this configuration's business."""
    mon = tmp_path / "monitoring"
    (mon / "rules").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    rules = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5m\n"
    (mon / "prometheus.yml").write_text(
        "rule_files:\n  - rules/*.yml\n  - /etc/prometheus/extra/*.rules.yaml\n"
        "scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [a:1]\n"
    )
    for name in ("rules/a.yml", "old-alerts.yml", "rules/b.yaml", "x.rules.yaml"):
        (mon / name).write_text(rules)
    (tmp_path / "other" / "alerts.yml").write_text(rules)
    (mon / "k8s" / "overlay").mkdir(parents=True)
    (mon / "k8s" / "overlay" / "rules.yml").write_text(rules)  # two folders down: another deployment's
    (tmp_path / ".git").mkdir()
    named = [mon / "rules/a.yml", mon / "old-alerts.yml", mon / "rules/b.yaml", mon / "x.rules.yaml"]
    result = _lint([*named, tmp_path / "other/alerts.yml", mon / "k8s/overlay/rules.yml"], tmp_path)
    found = {(f.path, f.span.line) for f in result.findings if f.rule == "prometheus-rule-file-not-loaded"}
    assert found == {("monitoring/old-alerts.yml", 1), ("monitoring/rules/b.yaml", 1)}


PROMTOOL = shutil.which("promtool")
VALIDITY = ("prometheus-invalid-config", "prometheus-invalid-config-field")


# Debian's promtool is built without most service discoveries (kubernetes_sd_configs, ec2...):
# it refuses them as unknown fields, which Prometheus' own build accepts.
DEBIAN_SD = re.compile(r"line \d+: field \w+_sd_configs not found in type config\.\w+")


def _promtool_valid(path: Path) -> bool:
    proc = subprocess.run(
        [PROMTOOL, "check", "config", "--syntax-only", str(path)], capture_output=True, text=True, check=False
    )
    output = (proc.stdout + proc.stderr).splitlines()
    errors = [line.strip() for line in output if re.match(r"\s+line \d+:", line)]
    if proc.returncode != 0 and errors and all(DEBIAN_SD.fullmatch(e) for e in errors):
        return True
    return proc.returncode == 0


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (apt-get install prometheus)")
@pytest.mark.parametrize("rule_id", VALIDITY)
def test_promtool_agrees_on_the_fixtures(rule_id: str) -> None:
    """promtool refuses every bad fixture of the validity rules and accepts every good one
    (`--syntax-only`: the files they name are the file rules' business)."""
    for path in sorted((FIXTURES / "rules" / rule_id).glob("*.yaml")):
        assert _promtool_valid(path) == path.name.startswith("good"), path.name
        ours = _lint([path], path.parent, enable=VALIDITY, use_context=False)
        assert any(f.rule in VALIDITY for f in ours.findings) == path.name.startswith("bad"), path.name
