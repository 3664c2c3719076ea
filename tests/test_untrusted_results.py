"""Issue 18, class 5: silent wrong results. A finding stays reported where the input only
pretends to suppress it (a directive inside a value or a heredoc is text, not a comment)."""

from __future__ import annotations

from pathlib import Path

import pytest
from untrusted import DEPLOY, run, tree

SCRIPT = """apiVersion: v1
kind: ConfigMap
metadata: {name: scripts}
data:
  run.sh: |
    #!/bin/sh
    # manifestlint: disable-file=k8s-run-as-root
    # checkov:skip=CKV_K8S_23
    exec app
  inline: "x # manifestlint: disable-file=k8s-run-as-root"
---
"""
ANNOTATED = DEPLOY.replace(
    "metadata:\n  name: web\n",
    "metadata:\n  name: web\n  annotations:\n"
    "    note: 'see # checkov:skip=CKV_K8S_23 # manifestlint: disable=all'\n",
)


@pytest.mark.parametrize("case", ["block-scalar", "annotation-value"])
def test_a_directive_inside_a_yaml_value_suppresses_nothing(tmp_path: Path, case: str) -> None:
    text = SCRIPT + DEPLOY if case == "block-scalar" else ANNOTATED
    root = tree(tmp_path, {"a.yaml": text})
    assert "k8s-run-as-root" in run("-f", "json", "a.yaml", cwd=root).check().rules()


def test_a_real_comment_still_suppresses(tmp_path: Path) -> None:
    """The control: the same directives as comments hide the finding."""
    root = tree(tmp_path, {"a.yaml": "# manifestlint: disable-file=k8s-run-as-root\n" + DEPLOY})
    assert "k8s-run-as-root" not in run("-f", "json", "a.yaml", cwd=root).check().rules()
    (tmp_path / "b").mkdir()
    skip = DEPLOY.replace("spec:\n  replicas", "# checkov:skip=CKV_K8S_23\nspec:\n  replicas")
    root = tree(tmp_path / "b", {"a.yaml": skip})
    assert "k8s-run-as-root" not in run("-f", "json", "a.yaml", cwd=root).check().rules()


@pytest.mark.parametrize(
    "directive", ["# hadolint global ignore=DL3019", "# manifestlint: disable-file=docker-apk-no-cache"]
)
def test_a_directive_inside_a_heredoc_suppresses_nothing(tmp_path: Path, directive: str) -> None:
    dockerfile = f'FROM alpine:3.19\nRUN <<EOF\n{directive}\napk add curl\nEOF\nUSER 1000\nCMD ["sh"]\n'
    root = tree(tmp_path, {"Dockerfile": dockerfile})
    assert "docker-apk-no-cache" in run("-f", "json", "Dockerfile", cwd=root).check().rules()
    control = dockerfile.replace(f"RUN <<EOF\n{directive}\n", f"{directive}\nRUN <<EOF\n")
    (root / "Dockerfile").write_text(control)
    assert "docker-apk-no-cache" not in run("-f", "json", "Dockerfile", cwd=root).check().rules()


def test_an_empty_chart_yaml_does_not_hide_a_plain_manifest(tmp_path: Path) -> None:
    """A Chart.yaml without a name and version is no chart: the plain manifest below its
    templates/ folder is linted when named (it was skipped as a Helm template: 0 findings)."""
    root = tree(tmp_path, {"app/Chart.yaml": "", "app/templates/deploy.yaml": DEPLOY})
    result = run("-f", "json", "app/templates/deploy.yaml", cwd=root).check()
    assert "k8s-run-as-root" in result.rules()
    (root / "app" / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    assert not run("-f", "json", "app/templates/deploy.yaml", cwd=root).check().rules()  # a real chart


def test_a_decoy_kustomization_in_docs_does_not_hide_a_bases_findings(tmp_path: Path) -> None:
    """`docs/examples/kustomization.yaml` patching the real base (the only tree deploying it)
    settled the base's findings: a tree rooted in an example folder speaks for examples only."""
    patch = "  patch: |-\n    - {op: add, path: /spec/template/spec/securityContext, "
    patch += "value: {runAsNonRoot: true}}\n"
    files = {
        ".manifestlint.yaml": "{}\n",
        "base/deploy.yaml": DEPLOY,
        "base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "docs/examples/kustomization.yaml": "resources: [../../base]\npatches:\n"
        "- target: {kind: Deployment, name: web}\n" + patch,
    }
    root = tree(tmp_path, files)
    assert "k8s-run-as-root" in run("-f", "json", "base/deploy.yaml", cwd=root).check().rules()
    (root / "docs" / "examples" / "kustomization.yaml").rename(root / "kustomization.yaml")
    (root / "kustomization.yaml").write_text(
        files["docs/examples/kustomization.yaml"].replace("../../base", "base")
    )
    assert (
        "k8s-run-as-root" not in run("-f", "json", "base/deploy.yaml", cwd=root).check().rules()
    )  # a real one


def test_an_edit_keeping_size_and_mtime_is_not_served_from_the_cache(tmp_path: Path) -> None:
    """The PDB is edited to select other pods, the same size, its mtime put back: the cached
    entry (trusted on size and mtime) still said it covered the Deployment. Its ctime changed:
    the content is checked by its hash."""
    import os
    import time

    pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
    pdb += "spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}\n"
    files = {
        ".manifestlint.yaml": "{}\n",
        "a.yaml": DEPLOY.replace("replicas: 1", "replicas: 3"),
        "pdb.yaml": pdb,
    }
    root = tree(tmp_path, files)
    then = time.time() - 3600  # past the cache's racy window
    for name in ("a.yaml", "pdb.yaml"):
        os.utime(root / name, (then, then))
    assert "k8s-missing-pdb" not in run("-f", "json", "a.yaml", cwd=root).check(writable=[root]).rules()
    assert "k8s-missing-pdb" not in run("-f", "json", "a.yaml", cwd=root).check(writable=[root]).rules()
    (root / "pdb.yaml").write_text(pdb.replace("{app: web}", "{app: wxb}"))
    os.utime(root / "pdb.yaml", (then, then))
    result = run("-f", "json", "a.yaml", cwd=root).check(writable=[root])
    assert "k8s-missing-pdb" in result.rules()
    assert result.rules() == run("-f", "json", "--no-cache", "a.yaml", cwd=root).check().rules()
