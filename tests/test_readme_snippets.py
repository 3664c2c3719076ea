"""Every snippet of the README works as written from this repository: no package, repository
or tag that does not exist; the YAML blocks parse; the workflow uses only inputs action.yml
declares; the pre-commit hooks exist; the configuration example loads; every `manifestlint`
command line runs; and the composite action's steps run without GitHub (in a temporary
repository: its `run:` steps executed by bash with the expressions GitHub would fill in)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, ROOT, load_plain_yaml_file
from test_sarif import validate

from manifestlint.cli import main
from manifestlint.config import load_config
from manifestlint.parse.yaml import load_plain_yaml
from manifestlint.registry import load_registry

README = (ROOT / "README.md").read_text(encoding="utf-8")
ACTION = load_plain_yaml_file(ROOT / "action.yml")
HOOKS = load_plain_yaml_file(ROOT / ".pre-commit-hooks.yaml")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_nothing_points_at_what_does_not_exist() -> None:
    assert "pip install manifestlint" not in README
    assert "github.com/manifestlint" not in README and "v0.1.0" not in README
    assert "pip install ." in README and "pipx install ." in README


def test_yaml_blocks_parse() -> None:
    assert len(blocks("yaml")) >= 5
    for block in blocks("yaml"):
        load_plain_yaml(block)


def test_workflow_example_uses_the_action_inputs() -> None:
    workflows = [load_plain_yaml(b) for b in blocks("yaml") if "jobs:" in b]
    assert workflows
    steps = [step for wf in workflows for job in wf["jobs"].values() for step in job["steps"]]
    ours = [step for step in steps if "manifestlint@" in step.get("uses", "")]
    assert ours and all(set(step.get("with", {})) <= set(ACTION["inputs"]) for step in ours)
    assert workflows[0]["permissions"]["security-events"] == "write"


def test_pre_commit_snippet_names_existing_hooks() -> None:
    configs = [load_plain_yaml(b) for b in blocks("yaml") if "repos:" in b]
    assert len(configs) == 1
    repo = configs[0]["repos"][0]
    assert {"repo", "rev", "hooks"} <= set(repo)
    assert {hook["id"] for hook in repo["hooks"]} <= {hook["id"] for hook in HOOKS}


def test_configuration_example_loads(tmp_path: Path) -> None:
    example = next(b for b in blocks("yaml") if b.startswith("rules:"))
    (tmp_path / ".manifestlint.yaml").write_text(example)
    config = load_config(None, tmp_path, load_registry())
    assert config.kubernetes_version and config.docs_url and config.other_tools_suppressions is True


def command_lines() -> list[str]:
    """`manifestlint lint ...` lines of the sh blocks and of run:/script: steps."""
    out = []
    for block in blocks("sh") + blocks("yaml"):
        for line in block.splitlines():
            line = re.sub(r"^\s*(- )?(run: )?", "", line).split("  #")[0].strip()
            if line.startswith("manifestlint lint") and not re.search(r"\b[A-Z]{3,}\b|\.\.\.", line):
                out.append(line)
    return out


@pytest.fixture()
def project(tmp_path: Path, monkeypatch) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "deploy").mkdir()
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text("FROM alpine:3.20\nUSER root\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER nobody\n")
    (tmp_path / "deploy" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    # what the Helm section's `helm template ... > rendered.yaml` step writes
    (tmp_path / "rendered.yaml").write_text((FIXTURES / "helm" / "rendered.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_command_line_runs(project: Path) -> None:
    lines = command_lines()
    assert len(lines) >= 5
    for line in lines:
        result = CliRunner().invoke(main, shlex.split(line)[1:], env={"GITHUB_STEP_SUMMARY": ""})
        assert result.exit_code in (0, 1), (line, result.output)
        argv = shlex.split(line)
        if "-o" in argv:
            assert (project / argv[argv.index("-o") + 1]).stat().st_size > 0, line
    validate(json.loads((project / "manifestlint.sarif").read_text()))


# ------------------------------------------------------------------ the action, without GitHub


def expression(text: str, context: dict[str, str]) -> str:
    """GitHub's `${{ a.b }}` and `${{ a.b == 'x' }}`, which is all action.yml uses."""

    def one(match: re.Match[str]) -> str:
        expr = match.group(1).strip()
        compare = re.fullmatch(r"([\w.-]+)\s*==\s*'([^']*)'", expr)
        if compare:
            return "true" if context.get(compare.group(1), "") == compare.group(2) else "false"
        return context.get(expr, "")

    return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))


@pytest.fixture(scope="module")
def action_python(tmp_path_factory) -> Path:
    """What `actions/setup-python` gives the action: a fresh Python (a venv here) whose `pip`
    the install step uses. Our dependencies are visible through a .pth file, so the install
    step (told not to fetch dependencies) needs nothing from the network."""
    import site
    import venv

    env = tmp_path_factory.mktemp("setup-python") / "py"
    venv.EnvBuilder(with_pip=True).create(env)
    site_packages = next(env.glob("lib/python*/site-packages"))
    (site_packages / "our-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return env


@pytest.mark.parametrize("fork", [False, True], ids=["same-repository", "pull-request-from-fork"])
def test_action_steps_run_without_github(project: Path, action_python: Path, fork: bool) -> None:
    assert ACTION["runs"]["using"] == "composite"
    inputs = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    inputs["inputs.paths"] = "deploy docker"
    output_file, summary = project / "gh-output", project / "gh-summary"
    for leftover in (output_file, summary):
        leftover.unlink(missing_ok=True)
    context = {**inputs, "github.action_path": str(ROOT), "github.repository": "me/app"}
    if fork:
        context["github.event.pull_request.head.repo.full_name"] = "someone/app"
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PIP_QUIET": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PATH": f"{action_python / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    uploaded, codes = [], []
    for step in ACTION["runs"]["steps"]:
        if "if" in step and expression(step["if"], context) != "true":
            continue
        uses = step.get("uses", "")
        if uses.startswith("actions/setup-python@"):
            assert expression(step["with"]["python-version"], context)
            continue  # this interpreter is the set-up Python
        if uses.startswith("github/codeql-action/upload-sarif@"):
            uploaded.append({k: expression(v, context) for k, v in step["with"].items()})
            continue
        assert not uses, f"unexpected step {uses}"
        step_env = {**env, **{k: expression(v, context) for k, v in step.get("env", {}).items()}}
        proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]], cwd=project, env=step_env, capture_output=True, text=True
        )
        if "Install" in step.get("name", "") and proc.returncode != 0:
            pytest.skip(f"cannot build and install here (no build backend reachable?): {proc.stderr[-300:]}")
        codes.append((step.get("name"), proc.returncode, proc.stdout + proc.stderr))
        if step.get("id") and output_file.exists():
            for line in output_file.read_text().splitlines():
                key, _, value = line.partition("=")
                context[f"steps.{step['id']}.outputs.{key}"] = value
    # installed from the action's own checkout (not this editable install), as its own command
    installed = subprocess.run(
        [str(action_python / "bin" / "python"), "-c", "import manifestlint; print(manifestlint.__file__)"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert str(action_python) in installed and (action_python / "bin" / "manifestlint").exists()
    assert [(name, code) for name, code, _ in codes] == [
        ("Install manifestlint", 0),
        ("Lint", 0),  # findings do not stop the job before the upload
        ("Decide the upload", 0),
        ("Fail on findings", 1),  # docker-root-user is an error: the CLI's default fail-on fails the job
    ], codes
    assert context["steps.lint.outputs.exit-code"] == "1"
    if fork:  # a fork's token cannot upload: skipped with a notice, not a failed job
        assert uploaded == []
        notice = next(out for name, _, out in codes if name == "Decide the upload")
        assert "::notice" in notice and "fork" in notice
    else:
        assert uploaded == [{"sarif_file": "manifestlint.sarif", "category": "manifestlint"}]
    log = json.loads((project / "manifestlint.sarif").read_text())
    validate(log)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]
    }
    assert uris == {"docker/Dockerfile"}
    assert "automationDetails" not in log["runs"][0]  # the upload's category applies
    assert "docker-root-user" in summary.read_text()  # the same lint pass wrote the job summary
    lint_step = next(step["run"] for step in ACTION["runs"]["steps"] if step.get("id") == "lint")
    assert lint_step.count("manifestlint lint") == 1


def test_action_never_expands_inputs_inside_scripts() -> None:
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")
