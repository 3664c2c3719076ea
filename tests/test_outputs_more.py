"""Outputs and habits from other tools, through the command line: `--statistics` (ruff),
`--color` with NO_COLOR / FORCE_COLOR, GitLab Code Quality JSON and JUnit XML checked against
their consumers' documented shapes, and `explain` with the docs page's examples (without the
tests' `# expect:` markers)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import FIXTURES, ROOT, run_file

from manifestlint.cli import main

BAD_POD = (FIXTURES / "rules" / "k8s-run-as-root" / "bad.yaml").read_text()

# GitLab's documented Code Quality report format (docs/ci/testing/code_quality.md,
# "Code Quality report format"): an array of objects with these required fields.
GITLAB_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "pattern": "^[^/]"},  # relative to the repository root
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def invoke(*args: str, env: dict[str, str] | None = None):
    base = {"NO_COLOR": "", "FORCE_COLOR": ""}
    return CliRunner().invoke(main, ["lint", *args], env={**base, **(env or {})})


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "pod.yaml").write_text(BAD_POD)
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN apk add curl\n")
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    monkeypatch.chdir(tmp_path / "deploy")  # paths in reports are the repository's, not the cwd's
    return tmp_path


def test_statistics_counts_per_rule(repo: Path) -> None:
    plain = json.loads(invoke("..", "-f", "json").stdout)["findings"]
    expected: dict[str, int] = {}
    for f in plain:
        expected[f["rule"]] = expected.get(f["rule"], 0) + 1
    result = invoke("..", "--statistics")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    rows = [line.split() for line in lines[:-1]]
    assert {row[1]: int(row[0]) for row in rows} == expected
    counts = [int(row[0]) for row in rows]
    assert counts == sorted(counts, reverse=True)
    assert lines[-1].startswith(f"{len(plain)} finding(s)")
    # other formats keep their report on stdout and say the statistics on stderr
    other = invoke("..", "--statistics", "-f", "json")
    assert len(json.loads(other.stdout)["findings"]) == len(plain)
    assert "k8s-run-as-root" in other.stderr


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ((), {}, False),  # not a terminal
        (("--color", "always"), {}, True),
        (("--color", "always"), {"NO_COLOR": "1"}, True),  # the explicit option wins
        ((), {"FORCE_COLOR": "1"}, True),
        ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ((), {"FORCE_COLOR": "0"}, False),
        (("--color", "never"), {"FORCE_COLOR": "1"}, False),
    ],
)
def test_color(repo: Path, args: tuple[str, ...], env: dict[str, str], coloured: bool) -> None:
    out = invoke("../Dockerfile", *args, env=env).stdout
    assert ("\033[31merror\033[0m" in out) is coloured
    assert "docker-root-user" in out


def test_gitlab_code_quality(repo: Path) -> None:
    result = invoke("..", "-f", "gitlab")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    jsonschema.validate(report, GITLAB_SCHEMA)
    assert len({issue["fingerprint"] for issue in report}) == len(report)  # unique, as GitLab needs
    paths = {issue["location"]["path"] for issue in report}
    assert paths == {"deploy/pod.yaml", "Dockerfile"}
    root = next(i for i in report if i["check_name"] == "k8s-run-as-root")
    assert root["severity"] == "critical" and root["location"]["lines"]["begin"] == 14
    assert {i["severity"] for i in report} >= {"critical", "minor", "info"}
    clean = invoke("../ok.yaml", "-f", "gitlab")
    assert clean.exit_code == 0 and json.loads(clean.stdout) == []


def _cases(stdout: str):
    root = ET.fromstring(stdout)
    (suite,) = root.findall("testsuite")
    return root, suite, suite.findall("testcase")


def test_junit(repo: Path) -> None:
    result = invoke("..", "-f", "junit")
    assert result.exit_code == 1
    root, suite, cases = _cases(result.stdout)
    assert root.tag == "testsuites"
    failures = [case for case in cases if case.find("failure") is not None]
    findings = json.loads(invoke("..", "-f", "json").stdout)["findings"]
    failing = [f for f in findings if f["severity"] in ("error", "warning")]  # the default --fail-on
    assert len(failing) < len(findings)  # the fixture has notes too
    # the attributes JUnit readers require, and counts that add up
    for element in (root, suite):
        assert int(element.get("tests")) == len(cases) and int(element.get("failures")) == len(failing)
    assert suite.get("name") and all(case.get("name") and case.get("classname") for case in cases)
    assert len(failures) == len(failing)
    # a note is a passing test case that says what was found
    notes = [c for c in cases if c.find("failure") is None and c.find("system-out") is not None]
    assert len(notes) == len(findings) - len(failing)
    assert all(" note " in c.find("system-out").text for c in notes)
    passing = [case for case in cases if case.find("failure") is None and case.find("system-out") is None]
    assert [case.get("classname") for case in passing] == ["ok.yaml"]
    first = next(c for c in failures if c.get("name").startswith("k8s-run-as-root deploy/pod.yaml:14:"))
    failure = first.find("failure")
    assert failure.get("type") == "error" and failure.get("message") and first.get("line") == "14"


def test_junit_failures_follow_fail_on(repo: Path) -> None:
    """Findings below --fail-on do not fail the report, as they do not fail the job."""
    findings = json.loads(invoke("..", "-f", "json").stdout)["findings"]
    errors = sum(f["severity"] == "error" for f in findings)
    for args, expected in ((("--fail-on", "error"), errors), (("--fail-on", "note"), len(findings)),
                           (("--exit-zero",), 0), (("--fail-on", "none"), 0)):  # fmt: skip
        root, _, cases = _cases(invoke("..", "-f", "junit", *args).stdout)
        assert int(root.get("failures")) == expected == sum(c.find("failure") is not None for c in cases)
        assert len(cases) == len(findings) + 1  # + ok.yaml, whatever fails


def test_junit_names_are_unique_where_gitlab_keys_them(tmp_path: Path) -> None:
    """GitLab keys test cases by (suite, classname, name): two findings of one rule at one
    position kept one (2 of 2,834 lost on a real repository). Names carry a digest of the
    message (stable from run to run), and an order number where even that is shared."""
    import dataclasses

    from manifestlint.output import junit

    (tmp_path / "pod.yaml").write_text(BAD_POD)
    result = run_file(tmp_path / "pod.yaml", use_context=False)
    one = result.findings[0]
    twin = dataclasses.replace(one, message=one.message + " (again)")
    result.findings[:] = [one, twin, one, *result.findings[1:]]
    report = junit.render(result)
    _, suite, cases = _cases(report)
    keys = [(suite.get("name"), c.get("classname"), c.get("name")) for c in cases]
    assert len(keys) == len(result.findings) and len(set(keys)) == len(keys)
    assert len({c.get("name").split(" #")[0] for c in cases[:3]}) == 1  # one rule, one position
    assert junit.render(result) == report  # stable


def test_explain_shows_the_examples_without_test_markers() -> None:
    result = CliRunner().invoke(main, ["explain", "k8s-run-as-root"])
    assert result.exit_code == 0
    assert "## Example (flagged)" in result.stdout and "## Use instead (not flagged)" in result.stdout
    assert "runAsUser: 0" in result.stdout  # the bad fixture's content
    assert "expect:" not in result.stdout
    assert result.stdout == (ROOT / "docs" / "rules" / "k8s-run-as-root.md").read_text()
    assert not [p.name for p in (ROOT / "docs" / "rules").glob("*.md") if "# expect:" in p.read_text()]
    typo = CliRunner().invoke(main, ["explain", "k8s-run-as-rot"])
    assert typo.exit_code == 2 and "did you mean 'k8s-run-as-root'" in typo.stderr
