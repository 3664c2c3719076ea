"""Configuration mistakes are exit 2 with one line that says what is valid: option values of
the wrong type, "did you mean" for rule ids, options and keys, the valid values instead of
jsonschema's "is not valid under any of the given schemas"; `kubernetes-version: 1.30`
unquoted is 1.30; `--config x.toml` is TOML."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from manifestlint.cli import main
from manifestlint.config import load_config
from manifestlint.registry import load_registry


@pytest.fixture()
def work(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    return tmp_path


def config_error(work: Path, text: str, name: str = ".manifestlint.yaml", *args: str) -> str:
    (work / name).write_text(text)
    result = CliRunner().invoke(main, ["lint", "Dockerfile", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'rules:\n  k8s-missing-resource-limits:\n    options: {require-cpu-limit: "no"}\n',
            "rules.k8s-missing-resource-limits.options.require-cpu-limit: expected true or false "
            "(default: false), got 'no'",
        ),
        (
            "rules:\n  k8s-single-replica:\n    options: {min-replicas: two}\n",
            "options.min-replicas: expected an integer (default: 2), got 'two'",
        ),
        (
            "rules:\n  k8s-run-as-rot: off\n",
            "rules.k8s-run-as-rot: unknown rule id (did you mean 'k8s-run-as-root'?)",
        ),
        (
            "rules:\n  k8s-missing-resource-limits:\n    options: {require-cpu-limits: true}\n",
            "unknown option (did you mean 'require-cpu-limit'?); valid options: require-cpu-limit",
        ),
        (
            "kubernets-version: '1.30'\n",
            "kubernets-version: unknown key (did you mean 'kubernetes-version'?)",
        ),
        (
            "select: [k8s-run-as-rot]\n",
            "unknown rule id or prefix 'k8s-run-as-rot' (did you mean 'k8s-run-as-root'?)",
        ),
        (
            "rules:\n  k8s-run-as-root: high\n",
            "rules.k8s-run-as-root: got 'high'; expected 'off', 'error', 'warning', 'note' or a mapping of "
            "enabled, severity, options",
        ),
        (
            "rules:\n  k8s-run-as-root: {severity: high}\n",
            "got 'high'; expected one of 'error', 'warning', 'note'",
        ),
        ("rules:\n  k8s-run-as-root: {sevrity: note}\n", "unknown key 'sevrity' (did you mean 'severity'?)"),
        ("fail-on: warn\n", "fail-on: got 'warn'; expected one of 'error', 'warning', 'note', 'none'"),
    ],
)
def test_one_line_that_says_what_is_valid(work: Path, text: str, expected: str) -> None:
    message = config_error(work, text)
    assert expected in message
    assert "is not valid under any of the given schemas" not in message


def test_unquoted_kubernetes_version_is_read_as_written(work: Path) -> None:
    registry = load_registry()
    (work / ".manifestlint.yaml").write_text("kubernetes-version: 1.30  # the target cluster\n")
    assert load_config(None, work, registry).kubernetes_version == "1.30"
    (work / ".manifestlint.yaml").write_text("kubernetes-version: 1.3\n")
    assert load_config(None, work, registry).kubernetes_version == "1.3"
    (work / "pyproject.toml").write_text("[tool.manifestlint]\nkubernetes-version = 1.30\n")
    (work / ".manifestlint.yaml").unlink()
    assert load_config(None, work, registry).kubernetes_version == "1.30"


def test_config_toml_is_read_as_toml(work: Path) -> None:
    (work / "lint.toml").write_text('fail-on = "error"\n\n[rules]\ndocker-missing-healthcheck = "off"\n')
    result = CliRunner().invoke(main, ["lint", "Dockerfile", "--config", "lint.toml", "-f", "json"])
    assert result.exit_code == 1  # docker-root-user is an error
    assert '"docker-missing-healthcheck"' not in result.stdout and '"docker-root-user"' in result.stdout
    (work / "tool.toml").write_text('[tool.manifestlint]\nfail-on = "none"\n')
    assert CliRunner().invoke(main, ["lint", "Dockerfile", "--config", "tool.toml"]).exit_code == 0
    (work / "bad.toml").write_text("fail-on = \n")
    result = CliRunner().invoke(main, ["lint", "Dockerfile", "--config", "bad.toml"])
    assert result.exit_code == 2 and "invalid TOML" in result.stderr


SERVICE = 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: "80"}]\n'


@pytest.mark.parametrize(
    "config, args, comment",
    [
        ("rules:\n  k8s-invalid-value-type: off\n", [], ""),
        ("", ["--ignore", "k8s-invalid-value-type"], ""),
        ("ignore: [k8s-invalid-value-type]\n", [], ""),
        ("", [], "  # manifestlint: disable=k8s-invalid-value-type\n"),
    ],
)
def test_a_folded_rule_id_keeps_working(work: Path, config: str, args: list[str], comment: str) -> None:
    """k8s-invalid-value-type became schema-invalid-type/-value: configurations, options and
    comments written for it still switch the same check off (a line on stderr says so)."""
    (work / "svc.yaml").write_text(SERVICE)
    plain = CliRunner().invoke(main, ["lint", "svc.yaml", "--select", "schema", "-f", "json"])
    assert '"schema-invalid-type"' in plain.stdout  # the check fires without the old id
    (work / ".manifestlint.yaml").write_text(config)
    lines = SERVICE.splitlines(keepends=True)
    (work / "svc.yaml").write_text("".join(lines[:4]) + comment + lines[4])
    result = CliRunner().invoke(main, ["lint", "svc.yaml", "--select", "schema", *args])
    assert result.exit_code == 0, result.output
    assert "schema-invalid-type" not in result.stdout
    assert comment or "k8s-invalid-value-type is now schema-invalid-type" in result.stderr
