"""Cross-object Kubernetes rules see the whole project, but report only on the named files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from manifestlint.cli import main
from manifestlint.config import Config, RuleSetting
from manifestlint.engine import lint
from manifestlint.registry import load_registry

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway,
           labelSelector: {matchLabels: {app: web}}}
      containers:
        - name: web
          image: nginx:1.27
          ports: [{name: http, containerPort: 8080}]
"""

POLICIES = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: web}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
    - {port: 80, targetPort: http}
---
apiVersion: v1
kind: Service
metadata:
  name: typo
  namespace: shop
spec:
  selector: {app: wbe}
  ports:
    - {port: 80}
"""

# The cross-object Kubernetes rules (those of rules/kubernetes-project.yaml before the topic split).
PROJECT_RULES = [
    r.id
    for r in load_registry()
    if r.pack in ("kubernetes/availability", "kubernetes/network", "kubernetes/wiring")
    or r.id in ("k8s-namespace-missing-quota", "k8s-namespace-missing-pod-security")
]


def _project(tmp_path: Path) -> Path:
    (tmp_path / ".manifestlint.yaml").write_text("{}\n")  # marks the project root
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "deployment.yaml").write_text(DEPLOYMENT)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "policies.yaml").write_text(POLICIES)
    (tmp_path / "app" / "service.yaml").write_text(SERVICE)
    return tmp_path


def _lint(paths: list[str], cwd: Path, use_context: bool = True, **options):
    config = Config(path=cwd / ".manifestlint.yaml")  # the project root is the config's folder
    for rule_id in PROJECT_RULES:
        config.rules[rule_id] = RuleSetting(enabled=True, options=options.get(rule_id, {}))
    return lint(paths, load_registry(), config, cwd, use_context=use_context)


def test_objects_in_other_files_count(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = _lint(["app/deployment.yaml"], root)
    project = [f for f in result.findings if f.rule in PROJECT_RULES]
    assert project == [], project  # the PDB and NetworkPolicy live in policies/policies.yaml


def test_without_context_the_pdb_is_missing(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = _lint(["app/deployment.yaml"], root, use_context=False)
    assert {f.rule for f in result.findings} >= {"k8s-missing-pdb"}


def test_findings_only_for_named_files(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = _lint(["app/service.yaml"], root)
    found = {(f.path, f.rule, f.span.line) for f in result.findings if f.rule in PROJECT_RULES}
    # the web Service resolves its named targetPort against the Deployment in another file;
    # the typo Service is dangling; nothing is reported for deployment.yaml or policies.yaml
    assert found == {("app/service.yaml", "k8s-service-selector-mismatch", 17)}


def test_cli_lints_one_file_of_a_project(tmp_path: Path, monkeypatch) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root)
    args = ["lint", "--format", "json", "--fail-on", "none", "--select", ",".join(PROJECT_RULES)]
    result = CliRunner().invoke(main, [*args, "app/deployment.yaml"])
    assert result.exit_code == 0, result.output
    assert '"findings": []' in result.output


def test_network_policy_modes(tmp_path: Path) -> None:
    (tmp_path / "deployment.yaml").write_text(DEPLOYMENT)
    quiet = _lint(["deployment.yaml"], tmp_path)  # `project`: no NetworkPolicy anywhere -> managed elsewhere
    assert not [f for f in quiet.findings if f.rule == "k8s-missing-network-policy"]
    loud = _lint(["deployment.yaml"], tmp_path, **{"k8s-missing-network-policy": {"when": "always"}})
    hits = [f for f in loud.findings if f.rule == "k8s-missing-network-policy"]
    assert [(f.span.line, f.span.col) for f in hits] == [(4, 9)]  # metadata.name of the Deployment


def test_unset_namespace_is_compatible(tmp_path: Path) -> None:
    """An object without metadata.namespace goes wherever `kubectl -n` puts it: no false alarm."""
    text = DEPLOYMENT.replace("  namespace: shop\n", "", 1) + "---\n" + POLICIES
    (tmp_path / "all.yaml").write_text(text)
    result = _lint(["all.yaml"], tmp_path)
    assert not [f for f in result.findings if f.rule in ("k8s-missing-pdb", "k8s-missing-network-policy")]
