"""Issue 18, class 3: the configuration is searched up to the repository root only, and never
taken from a folder or file another user owns (git's CVE-2022-24765 rule).

A shared parent folder (`/tmp`, a CI workspace holding several checkouts) may hold a
`.manifestlint.yaml` someone else wrote: it switched every check off (12 findings, exit 0) or
widened the project root to a neighbouring checkout, whose files became context and where the
cache was written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from untrusted import DEPLOY, run, tree

OFF = "ignore: [k8s, manifestlint]\n"


def test_a_configuration_above_the_repository_is_not_applied(tmp_path: Path) -> None:
    (tmp_path / ".manifestlint.yaml").write_text(OFF)
    (tmp_path / "pyproject.toml").write_text("[tool.manifestlint]\nignore = ['k8s']\n")
    root = tree(tmp_path, {"app/a.yaml": DEPLOY})
    result = run("-f", "json", "a.yaml", cwd=root / "app").check(writable=[root])
    assert "k8s-run-as-root" in result.rules()
    assert not (tmp_path / ".manifestlint_cache").exists()


def test_a_configuration_above_the_repository_never_widens_the_project(tmp_path: Path) -> None:
    """The neighbouring checkout's PDB must not cover this one's Deployment, and no cache is
    written beside them."""
    (tmp_path / ".manifestlint.yaml").write_text("{}\n")
    pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
    pdb += "spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}\n"
    neighbour = tmp_path / "neighbour"
    neighbour.mkdir()
    (neighbour / "pdb.yaml").write_text(pdb)
    root = tree(tmp_path, {"a.yaml": DEPLOY.replace("replicas: 1", "replicas: 3")})
    result = run("-f", "json", "a.yaml", cwd=root).check(forbidden=[neighbour], writable=[root])
    assert "k8s-missing-pdb" in result.rules()
    assert not (tmp_path / ".manifestlint_cache").exists()


def test_the_repositorys_own_configuration_still_applies_from_a_subfolder(tmp_path: Path) -> None:
    root = tree(tmp_path, {"app/a.yaml": DEPLOY, ".manifestlint.yaml": OFF})
    result = run("-f", "json", "a.yaml", cwd=root / "app").check(writable=[root])
    assert not result.rules()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown (root)")
@pytest.mark.parametrize("what", ["folder", "file"])
def test_a_configuration_another_user_owns_is_not_applied(tmp_path: Path, what: str) -> None:
    """Outside a repository, the search stops at a folder another user owns and skips a
    configuration file another user owns (here user 65534, nobody)."""
    shared = tmp_path / "shared"
    project = shared / "project"
    project.mkdir(parents=True)
    (shared / ".manifestlint.yaml").write_text(OFF)
    (project / "a.yaml").write_text(DEPLOY)
    os.chown(shared if what == "folder" else shared / ".manifestlint.yaml", 65534, 65534)
    result = run("-f", "json", "a.yaml", cwd=project).check()
    assert "k8s-run-as-root" in result.rules()
    os.chown(shared / ".manifestlint.yaml", 0, 0)
    os.chown(shared, 0, 0)
    assert not run("-f", "json", "a.yaml", cwd=project).check().rules()  # the control: ours applies
