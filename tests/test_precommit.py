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
    # name -> hook ids that must lint it
    "Dockerfile": ["manifestlint"],
    "Containerfile": ["manifestlint"],
    "Containerfile.prod": ["manifestlint"],
    "docker/Dockerfile.dev": ["manifestlint"],
    "app.dockerfile": ["manifestlint-dockerfile-names"],
    "build/x.containerfile": ["manifestlint-dockerfile-names"],
    "deploy/app.yaml": ["manifestlint"],
    "README.md": [],
    "dockerfile.md": [],
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
    assert [hook["id"] for hook in HOOKS if selected(hook, path, tags)] == NAMES[path]


def test_the_by_name_hook_covers_what_identify_leaves_untagged() -> None:
    """Whatever identify version: a Dockerfile name without the `dockerfile` tag goes to the
    second hook, and one with it never does (so no file is linted twice)."""
    names_hook = next(h for h in HOOKS if h["id"] == "manifestlint-dockerfile-names")
    for path in ("Containerfile", "Containerfile.prod", "app.dockerfile", "dockerfile"):
        assert selected(names_hook, path, {"file", "text"})
        assert not selected(names_hook, path, {"file", "text", "dockerfile"})


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
