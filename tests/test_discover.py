"""Discovery: recursion, skipped folders, .gitignore inside a git work tree, file types."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from manifestlint.classify import file_type_by_name
from manifestlint.discover import PathNotFound, discover

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: a:1}]}\n"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Dockerfile", "dockerfile"),
        ("Containerfile", "dockerfile"),
        ("api.Dockerfile", "dockerfile"),
        ("Dockerfile.prod", "dockerfile"),
        ("dockerfile", "dockerfile"),
        ("a.yaml", "yaml"),
        ("b.yml", "yaml"),
        ("c.json", "yaml"),
        ("README.md", None),
        ("main.py", None),
        ("Dockerfile.md", None),
        ("Dockerfile.prod.bak", None),
        # source code and templates named after Dockerfiles: never by name (content decides
        # for the code suffixes, see below)
        ("dockerfile.py", None),
        ("pkg/dockerfile.go", None),
        ("Dockerfile.j2", None),
        ("Dockerfile.template", None),
        ("Dockerfile.yaml", "yaml"),
    ],
)
def test_file_types_by_name(name: str, kind: str | None) -> None:
    assert file_type_by_name(name) == kind


def _tree(root: Path) -> None:
    for rel in (
        "app/pod.yaml",
        "app/Dockerfile",
        "node_modules/x/pod.yaml",
        "vendor/pod.yaml",
        "ignored/pod.yaml",
        "notes.txt",
        "chart/templates/deploy.yaml",
    ):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(POD if rel.endswith(".yaml") else "FROM alpine:3.20\n")
    (root / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: chart\nversion: 0.1.0\n")
    (root / ".gitignore").write_text("ignored/\n")


def test_walk_skips_vendored_folders_and_helm_templates(tmp_path: Path) -> None:
    _tree(tmp_path)
    found = sorted(s.path for s in discover(["."], tmp_path, None, [], None))
    assert found == ["app/Dockerfile", "app/pod.yaml", "chart/Chart.yaml", "ignored/pod.yaml"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_gitignore_is_honoured_in_a_git_work_tree(tmp_path: Path) -> None:
    _tree(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    found = sorted(s.path for s in discover(["."], tmp_path, None, [], None))
    assert found == ["app/Dockerfile", "app/pod.yaml", "chart/Chart.yaml"]
    named = discover(["ignored/pod.yaml"], tmp_path, None, [], None)  # named explicitly: always linted
    assert [s.path for s in named] == ["ignored/pod.yaml"]


def test_excludes_and_forced_type(tmp_path: Path) -> None:
    _tree(tmp_path)
    found = sorted(s.path for s in discover(["."], tmp_path, None, ["app/*", "ignored"], tmp_path))
    assert found == ["chart/Chart.yaml"]
    forced = discover(["notes.txt"], tmp_path, "dockerfile", [], None)
    assert [(s.path, s.file_type) for s in forced] == [("notes.txt", "dockerfile")]


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PathNotFound):
        discover(["nope.yaml"], tmp_path, None, [], None)


def test_source_code_and_templates_named_after_dockerfiles(tmp_path: Path) -> None:
    """`tools/dockerfile.py` gave 507 docker-syntax-error findings in this repository, and a
    pre-commit hook failed on it: a Dockerfile-like name with a code suffix is a Dockerfile only
    when its text starts as one (`Dockerfile.go` building a Go service does); templates never."""
    files = {
        "tools/dockerfile.py": '"""Dockerfile helpers."""\nimport os\n',
        "pkg/dockerfile.go": "package pkg\n",
        "Dockerfile.j2": "FROM {{ base }}\n",
        "Dockerfile.template": "FROM alpine:3.20\n",
        "svc/Dockerfile.go": "# build the Go service\nFROM golang:1.22\n",
        "svc/Dockerfile": "FROM alpine:3.20\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    walked = {(s.path, s.file_type) for s in discover(["."], tmp_path, None, [], None)}
    assert walked == {("svc/Dockerfile.go", "dockerfile"), ("svc/Dockerfile", "dockerfile")}
    listing: list = []
    named = discover(sorted(files), tmp_path, None, [], None, listing=listing)
    assert {(s.path, s.file_type) for s in named} == walked
    assert {e.path: e.role.name for e in listing} == {
        "tools/dockerfile.py": "unrecognised",
        "pkg/dockerfile.go": "unrecognised",
        "Dockerfile.j2": "template",
        "Dockerfile.template": "template",
    }
    # what the user forces is what they get
    forced = discover(["tools/dockerfile.py"], tmp_path, "dockerfile", [], None)
    assert [s.file_type for s in forced] == ["dockerfile"]
