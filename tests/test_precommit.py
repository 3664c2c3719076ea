"""pre-commit: the hooks run serially (one process, one project context, one summary), every
Dockerfile name is linted by exactly one hook (a Containerfile was linted twice), and a
Dockerfile piped to `manifestlint lint -` is recognised by its content."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import ROOT, load_plain_yaml_file

from manifestlint.cli import main

HOOKS = load_plain_yaml_file(ROOT / ".pre-commit-hooks.yaml")

NAMES = {
    # name -> hook ids that must pass it to manifestlint (which then decides by content)
    "Dockerfile": ["manifestlint"],
    "Containerfile": ["manifestlint"],
    "Containerfile.prod": ["manifestlint"],
    "docker/Dockerfile.dev": ["manifestlint"],
    "app.dockerfile": ["manifestlint"],
    "build/x.containerfile": ["manifestlint"],
    "deploy/app.yaml": ["manifestlint"],
    "deploy/app.json": ["manifestlint"],
    "mon/alert.rules": ["manifestlint"],
    "README.md": [],
    "dockerfile.md": [],
    "src/main.py": [],
}


def selected(hook: dict, path: str, tags: set[str]) -> bool:
    """pre-commit's own file selection (pre_commit/commands/run.py: filter_by_include_exclude
    and filter_by_types): `files`/`exclude` regexes searched in the path, then `types` (all),
    `types_or` (any) and `exclude_types` (none) against identify's tags."""
    if not re.search(hook.get("files", ""), path) or re.search(hook.get("exclude", "^$"), path):
        return False
    types, types_or = set(hook.get("types", ["file"])), set(hook.get("types_or", []))
    exclude_types = set(hook.get("exclude_types", []))
    return types <= tags and (not types_or or bool(types_or & tags)) and not (exclude_types & tags)


def test_every_hook_runs_serially() -> None:
    assert HOOKS and all(hook.get("require_serial") is True for hook in HOOKS)


@pytest.mark.parametrize("path", sorted(NAMES))
def test_each_file_is_linted_by_exactly_the_right_hook(path: str) -> None:
    identify = pytest.importorskip("identify.identify")  # pre-commit's tagger (a test dependency)
    tags = identify.tags_from_filename(path) | {"file", "text"}
    lint_hooks = [hook for hook in HOOKS if hook["id"] != "manifestlint-fix"]  # the fixing one: instead
    assert [hook["id"] for hook in lint_hooks if selected(hook, path, tags)] == NAMES[path]


def test_the_fix_hook_takes_what_the_lint_hook_takes() -> None:
    """`manifestlint-fix` is the `manifestlint` hook with --fix: the same files, serially."""
    by_id = {hook["id"]: hook for hook in HOOKS}
    lint_hook, fix_hook = by_id["manifestlint"], by_id["manifestlint-fix"]
    assert fix_hook["entry"] == lint_hook["entry"] + " --fix"
    for key in ("files", "exclude", "types", "language", "require_serial"):
        assert fix_hook[key] == lint_hook[key], key


def test_no_hook_forces_a_file_type() -> None:
    """`--type dockerfile` in a hook linted `tools/dockerfile.py` as a Dockerfile (507 errors):
    the names a hook passes are judged by manifestlint's own name-and-content decision."""
    assert all("--type" not in hook["entry"] for hook in HOOKS)


# Each kind of file the README says is recognised, and look-alikes that are not ours.
_POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n"
_RULES = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n"
_AM = "route: {receiver: r}\nreceivers: [{name: r}]\n"
REAL_TREE = {
    "deploy/app.yaml": (_POD, "linted"),
    "deploy/app.json": ('{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}\n', "linted"),
    "mon/alert.rules": (_RULES, "linted"),
    "mon/alertmanager.yml": (_AM, "linted"),
    "Dockerfile": ("FROM alpine:3.20\n", "linted"),
    "Containerfile.prod": ("FROM alpine:3.20\n", "linted"),
    "app.dockerfile": ("FROM alpine:3.20\n", "linted"),
    "build/x.containerfile": ("FROM alpine:3.20\n", "linted"),
    "docker/Dockerfile.go": ("FROM golang:1.22\nRUN go build ./...\n", "linted"),
    "tools/dockerfile.py": ('"""Reads Dockerfiles."""\nimport os\n', "skipped"),
    "templates/Dockerfile.j2": ("FROM {{ base }}\n", "skipped"),
    "README.md": ("# FROM here\n", None),
}


def test_real_pre_commit_passes_every_kind_to_the_hook(tmp_path) -> None:
    """pre-commit itself (not a re-implementation of its filters) selects the files: a local
    repository whose hooks are ours, with `language: system` so nothing is installed."""
    import os
    import shutil
    import subprocess
    import sys

    beside = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    pre_commit = beside or shutil.which("pre-commit")
    if pre_commit is None or shutil.which("git") is None:
        pytest.skip("pre-commit (a test dependency) or git is not installed")
    for rel, (text, _) in REAL_TREE.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    local = []
    for hook in HOOKS:
        if hook["id"] == "manifestlint-fix":
            continue  # it changes files (pre-commit then fails the run); it selects what the lint hook does
        entry = f"{sys.executable} -m manifestlint {hook['entry'].removeprefix('manifestlint ')}"
        local.append({**hook, "language": "system", "entry": entry, "verbose": True,
                      "args": ["-v", "--exit-zero", "--no-context"]})  # fmt: skip
    import json

    config = {"repos": [{"repo": "local", "hooks": local}]}
    (tmp_path / ".pre-commit-config.yaml").write_text(json.dumps(config))
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / ".pre-commit-home"), "SKIP": ""}
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    run = subprocess.run([pre_commit, "run", "--all-files"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    for rel, (_, verdict) in REAL_TREE.items():
        said = {line.split(" ", 2)[1] for line in out.splitlines()
                if line.startswith("manifestlint: ") and f" {rel}:" in line}  # fmt: skip
        assert said == ({verdict} if verdict else set()), (rel, said, out)


def lint_stdin(text: str, *args: str):
    return CliRunner().invoke(main, ["lint", "-", *args], input=text)


def test_dockerfile_on_stdin_is_recognised_by_content() -> None:
    result = lint_stdin("FROM alpine:3.20\nRUN apk add curl\n")
    assert result.exit_code == 1
    assert "stdin:1:1: error docker-root-user" in result.stdout
    with_arg = lint_stdin("# syntax=docker/dockerfile:1\n\nARG VERSION=3.20\nFROM alpine:${VERSION}\n")
    assert "stdin:4:1: error docker-root-user" in with_arg.stdout


def test_yaml_on_stdin_stays_yaml() -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n"
    result = lint_stdin(pod, "--select", "k8s-image-latest-tag")
    assert result.stdout.startswith("stdin.yaml:4:")
    # an explicit name still decides
    named = lint_stdin(
        "FROM alpine:3.20\n", "--stdin-filename", "Containerfile", "--select", "docker-root-user"
    )
    assert named.stdout.startswith("Containerfile:1:1: error docker-root-user")
    # ARG without a FROM is not a Dockerfile
    assert "docker-" not in lint_stdin("ARG: 1\n").stdout
