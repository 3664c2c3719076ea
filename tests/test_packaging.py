"""The wheel ships the top-level rules/ and schemas/ data, and works from another directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, load_plain_yaml_file


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot build a wheel here (no build backend reachable?): {proc.stderr.strip()[-300:]}")
    return next(out.glob("manifestlint-*.whl"))


def test_wheel_contains_rules_and_schemas(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for meta in (ROOT / "rules").rglob("*.yaml"):
        assert f"manifestlint/_data/rules/{meta.relative_to(ROOT / 'rules').as_posix()}" in names
    for schema in ("config.schema.json", "sarif-schema-2.1.0.json", "github-sarif-schema-2.1.0.json"):
        assert f"manifestlint/_data/schemas/{schema}" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_wheel_runs_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "Dockerfile").write_text("FROM alpine:3.20\nUSER root\n")
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run(
        [sys.executable, "-m", "manifestlint", "lint", "Dockerfile", "-f", "json"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr
    assert '"rule": "docker-root-user"' in proc.stdout
    probe = "import manifestlint.registry as r; print(r.data_dir('rules'))"
    where = subprocess.run([sys.executable, "-c", probe], cwd=work, env=env, capture_output=True, text=True)
    assert where.stdout.strip().startswith(str(target))


def test_pre_commit_hooks_manifest() -> None:
    hooks = load_plain_yaml_file(ROOT / ".pre-commit-hooks.yaml")
    assert [h["id"] for h in hooks] == ["manifestlint", "manifestlint-fix", "manifestlint-dockerfile-names"]
    for hook in hooks:
        fixing = hook["id"] == "manifestlint-fix"
        assert hook["language"] == "python" and hook["entry"] == "manifestlint lint" + (
            " --fix" if fixing else ""
        )
        assert {"id", "name", "entry", "language"} <= set(hook)
