"""kube-linter's labelled fixtures for the checks our cross-object rules cover.

Each case lints one kube-linter fixture alone and asserts we flag the same objects
(kind + name) that kube-linter's e2e test expects (corpus/kube-linter/EXPECTED.tsv gives the
report counts; the objects were read from the fixtures). Deliberate differences are asserted
as our behaviour, with the reason next to them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from manifestlint.config import Config, RuleSetting
from manifestlint.engine import lint
from manifestlint.registry import load_registry

# (fixture, kube-linter check, our rule, our options, objects we flag, objects kube-linter flags)
CASES = [
    ("dangling-hpa.yml", "dangling-horizontalpodautoscaler", "k8s-hpa-target-missing", {},
     {("HorizontalPodAutoscaler", "hpa1")}, None),
    ("dangling-ingress.yml", "dangling-ingress", "k8s-ingress-backend-missing", {},
     {("Ingress", "missing-service"), ("Ingress", "bad-port")}, None),
    ("dangling-service.yml", "dangling-service", "k8s-service-selector-mismatch", {},
     {("Service", "app1"), ("Service", "app2")}, None),
    ("hpa-minimum-three-replicas.yml", "hpa-minimum-three-replicas", "k8s-hpa-min-replicas",
     {"min-replicas": 3}, {("HorizontalPodAutoscaler", "app")}, None),
    ("minimum-three-replicas.yml", "minimum-three-replicas", "k8s-single-replica", {"min-replicas": 3},
     {("Deployment", "app"), ("DeploymentConfig", "app")}, None),
    ("mismatching-selector.yml", "mismatching-selector", "k8s-selector-template-mismatch", {},
     {("Deployment", "app1"), ("DeploymentConfig", "app2")}, None),
    ("no-anti-affinity.yml", "no-anti-affinity", "k8s-missing-anti-affinity", {},
     {("Deployment", "app1"), ("DeploymentConfig", "app2"),
      ("Deployment", "fire-namespaced-with-namespaces-selector-not-matching")}, None),
    ("non-isolated-pod.yml", "non-isolated-pod", "k8s-missing-network-policy", {},
     {("Deployment", "app1"), ("DeploymentConfig", "app2")}, None),
    ("pdb-max-unavailable.yaml", "pdb-max-unavailable", "k8s-pdb-blocks-eviction", {},
     {("PodDisruptionBudget", "foo")}, None),
    # kube-linter matches the PDB against the Deployment's selector (foo has no template labels);
    # we fall back to the selector's matchLabels when the template has none, and count an HPA's
    # (baz2) or KEDA ScaledObject's (baz3) minimum as the replicas.
    ("pdb-min-available.yaml", "pdb-min-available", "k8s-pdb-blocks-eviction", {},
     {("PodDisruptionBudget", "baz"), ("PodDisruptionBudget", "baz2"), ("PodDisruptionBudget", "baz3")},
     None),
    # Deliberate difference: the fixture holds only the NetworkPolicy. We do not call a policy
    # dangling in a namespace where the project runs no pods at all (a policy-only repository;
    # the pods are deployed from elsewhere), so we report nothing here.
    ("dangling-networkpolicy.yml", "dangling-networkpolicy", "k8s-network-policy-selects-nothing", {},
     set(), {("NetworkPolicy", "app")}),
]  # fmt: skip


def _expected_counts(corpus: Path) -> dict[str, str]:
    with (corpus / "kube-linter" / "EXPECTED.tsv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    header = rows[0]
    return {r[header.index("fixture")].rsplit("/", 1)[-1]: r[header.index("report_count")] for r in rows[1:]}


def _flagged(path: Path, rule_id: str, options: dict) -> set[tuple[str, str]]:
    config = Config()
    # kube-linter's test files mix OpenShift DeploymentConfigs with Deployments; it judges every
    # object as plain Kubernetes, and so do we here (docs/precision.md, principle 3).
    config.platform = "kubernetes"
    config.rules[rule_id] = RuleSetting(enabled=True, options=dict(options))
    result = lint([str(path)], load_registry(), config, path.parent, use_context=False)
    out = set()
    for finding in result.findings:
        if finding.rule == rule_id:
            kind, _, rest = finding.obj.partition(" ")
            out.add((kind, rest.rsplit("/", 1)[-1]))
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[1])
def test_same_objects_as_kube_linter(case, corpus: Path) -> None:
    fixture, check, rule_id, options, ours, theirs = case
    path = corpus / "kube-linter" / "tests" / "checks" / fixture
    if not path.exists():
        pytest.skip(f"{fixture} is not in this corpus")
    assert _flagged(path, rule_id, options) == ours
    count = _expected_counts(corpus).get(fixture, "")
    if count:  # kube-linter's own report count for the fixture (one report per object here)
        assert len(theirs if theirs is not None else ours) == int(count), check
