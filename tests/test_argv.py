"""The click-free reading of everyday `lint` command lines (manifestlint.argv) gives the lint
command exactly the parameters click gives it, and leaves every other line to click."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from manifestlint import cli, commands
from manifestlint.argv import read_lint_argv

ROOT = Path(__file__).resolve().parents[1]


def click_params(argv: list[str], monkeypatch) -> dict:
    """The parameters click's lint command hands to run_lint for `argv`."""
    seen: list[dict] = []

    def capture(*args: object, **kwargs: object) -> None:
        seen.append(dict(inspect.signature(cli.run_lint).bind(*args, **kwargs).arguments))

    monkeypatch.setattr(commands, "run_lint", capture)
    commands.main.main(argv, standalone_mode=False)
    assert len(seen) == 1
    return seen[0]


READ = [
    ["lint", "a.yaml"],
    ["lint", "a.yaml", "b/", "-"],
    ["lint", "-f", "sarif", "--exit-zero", "a.yaml"],
    ["lint", "--format=json", "--no-context", "--no-cache", "a.yaml", "--fail-on", "error"],
    ["lint", "a.yaml", "--select", "k8s", "--select=schema,docker", "--ignore", "k8s-missing-pdb"],
    ["lint", "--exclude", "vendor/*", "--exclude", "*.json", "-c", "cfg.yaml", "a.yaml"],
    ["lint", "--type", "kubernetes", "--stdin-filename", "x.yaml", "-", "-q", "-v", "--statistics"],
    ["lint", "--kubernetes-version", "1.30", "--sarif-category", "infra", "--show-suppressed", "a"],
    ["lint", "--diff-base", "origin/main", "--color", "never", "--baseline", "nonexistent.json", "."],
    ["lint", "--write-baseline", "new.json", "-o", "report.sarif", "--exit-zero", "--exit-zero", "a"],
    ["lint", "--output=out.txt", "--config=", ""],
    ["lint", "--fix", "--unsafe-fixes", "a.yaml"],
    ["lint", "--diff", "Dockerfile"],
]


@pytest.mark.parametrize("argv", READ, ids=lambda a: " ".join(a[1:]))
def test_everyday_lines_read_as_click_reads_them(argv: list[str], monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    ours = read_lint_argv(argv)
    assert ours is not None
    assert ours == click_params(argv, monkeypatch)


LEFT_TO_CLICK = [
    [],
    ["rules"],
    ["--version"],
    ["lint"],  # no path
    ["lint", "--help", "a.yaml"],
    ["lint", "-h", "a.yaml"],
    ["lint", "-fjson", "a.yaml"],  # attached short value
    ["lint", "-qv", "a.yaml"],  # bundled flags
    ["lint", "--", "a.yaml"],
    ["lint", "-f=json", "a.yaml"],
    ["lint", "-f", "JSON", "a.yaml"],  # not a choice
    ["lint", "--fail-on", "fatal", "a.yaml"],
    ["lint", "--format", "json", "--format", "text", "a.yaml"],  # given twice
    ["lint", "a.yaml", "-f"],  # no value
    ["lint", "-c", "-weird.yaml", "a.yaml"],  # a value that looks like an option
    ["lint", "--exit-zero=yes", "a.yaml"],
    ["lint", "--no-such-option", "a.yaml"],
    ["lint", "--form", "json", "a.yaml"],  # click takes no abbreviations either
    ["lint", "-o", ".", "a.yaml"],  # a folder: click explains
    ["lint", "--baseline", ".", "a.yaml"],
]


@pytest.mark.parametrize("argv", LEFT_TO_CLICK, ids=lambda a: " ".join(a) or "(empty)")
def test_other_lines_are_left_to_click(argv: list[str]) -> None:
    assert read_lint_argv(argv) is None


def test_shell_completion_is_left_to_click(monkeypatch) -> None:
    monkeypatch.setenv("_MANIFESTLINT_COMPLETE", "bash_source")
    assert read_lint_argv(["lint", "a.yaml"]) is None


def test_an_everyday_call_does_not_import_click(tmp_path: Path) -> None:
    """`python -m manifestlint lint FILE`: the report and exit code as before, without click
    in the process (its import was about a third of a one-file call's start-up)."""
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n")
    probe = (
        "import sys, runpy, os\n"
        "os._exit = lambda code: (print('click' in sys.modules, code, file=sys.stderr), sys.exit(code))\n"
        "sys.argv = ['manifestlint', 'lint', '-f', 'json', 'pod.yaml']\n"
        "runpy.run_module('manifestlint', run_name='__main__')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60
    )
    assert done.stderr.strip().splitlines()[-1] == "False 1"
    assert '"findings"' in done.stdout
