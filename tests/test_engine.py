"""Engine behaviour that no single rule fixture shows: crashing rules, templates, context."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_file

from manifestlint import registry as reg
from manifestlint.config import Config
from manifestlint.engine import lint

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec: {containers: [{name: a, image: 'a:1'}]}\n"


def test_a_crashing_rule_is_a_finding_and_the_run_goes_on(tmp_path: Path, monkeypatch) -> None:
    registry = reg.load_registry()
    rule = registry.get("k8s-run-as-root")

    def boom(doc, ctx):
        raise KeyError("surprise")
        yield  # pragma: no cover

    monkeypatch.setitem(registry.rules, rule.id, rule.__class__(**{**_fields(rule), "func": boom}))
    (tmp_path / "pod.yaml").write_text(POD % "p")
    result = lint([str(tmp_path / "pod.yaml")], registry, Config(), tmp_path)
    internal = [f for f in result.findings if f.rule == "manifestlint-internal-error"]
    assert (
        len(internal) == 1 and "k8s-run-as-root" in internal[0].message and "surprise" in internal[0].message
    )
    assert any(f.rule == "k8s-missing-liveness-probe" for f in result.findings)  # other rules still ran


def _fields(rule) -> dict:
    return {name: getattr(rule, name) for name in rule.__dataclass_fields__}


def test_unrendered_templates_are_not_linted(tmp_path: Path) -> None:
    """A file holding a template is skipped whole, with one note at the placeholder."""
    path = tmp_path / "t.yaml"
    path.write_text(POD % '"{{cell}}-pod"' + "---\n" + POD % "real")
    found = [(f.span.line, f.rule) for f in run_file(path).findings]
    assert found == [(3, "manifestlint-unrendered-template")]


def test_list_items_are_objects_with_their_own_positions(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - apiVersion: v1\n    kind: Pod\n    metadata: {name: one}\n"
        "    spec:\n      containers:\n        - name: a\n          image: a:1\n"
    )
    found = [(f.span.line, f.span.col, f.obj) for f in run_file(path).findings if f.rule == "k8s-run-as-root"]
    assert found == [(9, 11, "Pod one")]


@pytest.mark.parametrize("use_context", [True, False])
def test_context_set_sees_other_files_but_reports_only_named_ones(tmp_path: Path, use_context: bool) -> None:
    from manifestlint.config import load_config

    (tmp_path / ".manifestlint.yaml").write_text("select: [k8s-missing-pdb]\n")
    (tmp_path / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n"
        "  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: a, image: 'a:1'}]}\n"
    )
    (tmp_path / "pdb.yaml").write_text(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
        "spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}\n"
    )
    (tmp_path / "other.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: lonely}\nspec:\n  replicas: 3\n"
        "  selector: {matchLabels: {app: lonely}}\n"
        "  template:\n    metadata: {labels: {app: lonely}}\n"
        "    spec: {containers: [{name: a, image: 'a:1'}]}\n"
    )
    registry = reg.load_registry()
    config = load_config(None, tmp_path, registry)
    result = lint(["deploy.yaml"], registry, config, tmp_path, use_context=use_context)
    missing = [(f.path, f.obj) for f in result.findings if f.rule == "k8s-missing-pdb"]
    # With context the PDB in another file counts; without it, the Deployment has none.
    assert missing == ([] if use_context else [("deploy.yaml", "Deployment web")])
    assert all(f.path == "deploy.yaml" for f in result.findings)  # other.yaml is context, never reported


def test_packs_load_on_demand(tmp_path: Path) -> None:
    """A Dockerfile-only run (the common pre-commit call) imports neither the YAML parser nor
    the Kubernetes, Istio or PromQL packs: start-up time is a feature."""
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER app\n")
    probe = (
        "import sys\nfrom manifestlint.cli import main\nsys.argv = ['manifestlint', 'lint', 'Dockerfile']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "prefixes = ('manifestlint.rules.', 'manifestlint.parse.', 'ruamel')\n"
        "print(sorted(m for m in sys.modules if m.startswith(prefixes)))"
    )
    src = Path(__file__).resolve().parents[1] / "src"
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
    )
    loaded = proc.stdout.strip().splitlines()[-1]
    assert "manifestlint.rules.docker" in loaded and "manifestlint.parse.dockerfile" in loaded
    for lazy in (
        "manifestlint.rules.istio",
        "manifestlint.rules.kubernetes.security_context",
        "manifestlint.parse.promql",
        "ruamel",
    ):
        assert lazy not in loaded, loaded


def test_test_data_is_never_context(tmp_path: Path) -> None:
    """A PDB under tests/fixtures must not satisfy a real Deployment's missing-PDB check."""
    from manifestlint.config import load_config

    (tmp_path / ".manifestlint.yaml").write_text("select: [k8s-missing-pdb]\n")
    (tmp_path / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n"
        "  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: a, image: 'a:1'}]}\n"
    )
    fixtures = tmp_path / "tests" / "fixtures"
    fixtures.mkdir(parents=True)
    (fixtures / "pdb.yaml").write_text(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
        "spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}\n"
    )
    registry = reg.load_registry()
    result = lint(["deploy.yaml"], registry, load_config(None, tmp_path, registry), tmp_path)
    assert [(f.path, f.rule) for f in result.findings] == [("deploy.yaml", "k8s-missing-pdb")]
