"""`helm template` output linted and reported in the chart (issue 24): each document's
`# Source:` comment leads to its template; a finding lands where the offending key is written,
in values.yaml when the value comes straight from `.Values`, and on the rendered stream (naming
the template) when the chart is not in the project. Expected places are `# expect:` comments in
the chart's own files (tests/fixtures/helm)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, expectations

from manifestlint.cli import main

HELM = FIXTURES / "helm"
RULES = ("k8s-run-as-root", "k8s-privileged-container", "k8s-image-latest-tag", "k8s-single-replica",
         "k8s-missing-liveness-probe")  # fmt: skip
CHART_FILES = (
    "chart/web/values.yaml",
    "chart/web/templates/deployment.yaml",
    "chart/web/templates/service.yaml",
)


@pytest.fixture()
def project(tmp_path: Path, monkeypatch) -> Path:
    shutil.copytree(HELM / "chart", tmp_path / "chart")
    (tmp_path / ".git").mkdir()
    (tmp_path / "out").mkdir()
    shutil.copy(HELM / "rendered.yaml", tmp_path / "out" / "rendered.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(*args: str, stdin: str | None = None) -> list[dict]:
    result = CliRunner().invoke(main, ["lint", "-f", "json", "--select", ",".join(RULES), *args], input=stdin)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


def expected(project: Path) -> set[tuple[str, int, str]]:
    return {(rel, line, rule) for rel in CHART_FILES for line, rule, _ in expectations(project / rel)}


def test_findings_land_in_the_chart(project: Path) -> None:
    found = lint("out/rendered.yaml")
    assert {(f["path"], f["line"], f["rule"]) for f in found} == expected(project)
    # the value straight from values.yaml, with the template line beside it
    root = next(f for f in found if f["path"] == "chart/web/values.yaml" and f["rule"] == "k8s-run-as-root")
    assert root["column"] == 14 and "via chart/web/templates/deployment.yaml:21" in root["message"]


def test_standard_input_lands_in_the_chart_too(project: Path) -> None:
    text = (project / "out" / "rendered.yaml").read_text()
    found = lint("-", stdin=text)
    assert {(f["path"], f["line"], f["rule"]) for f in found} == expected(project)


def test_without_the_chart_findings_stay_on_the_stream_naming_the_template(
    tmp_path: Path, monkeypatch
) -> None:
    shutil.copy(HELM / "rendered.yaml", tmp_path / "rendered.yaml")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    found = lint("rendered.yaml")
    assert found and all(f["path"] == "rendered.yaml" for f in found)
    assert all("[from web/templates/deployment.yaml]" in f["message"] for f in found)


def test_sarif_points_into_the_chart_with_the_rendered_document_related(project: Path) -> None:
    result = CliRunner().invoke(
        main, ["lint", "-f", "sarif", "--select", ",".join(RULES), "out/rendered.yaml"]
    )
    run = json.loads(result.stdout)["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"chart/web/values.yaml", "chart/web/templates/deployment.yaml"}
    artifacts = {a["location"]["uri"] for a in run["artifacts"]}
    assert uris <= artifacts
    privileged = next(r for r in run["results"] if r["ruleId"] == "k8s-privileged-container")
    related = privileged["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "out/rendered.yaml"


def test_source_paths_never_leave_the_project(project: Path) -> None:
    """A `# Source:` comment is input: `..` or an absolute path is not followed."""
    text = (project / "out" / "rendered.yaml").read_text()
    for evil in ("../../etc/templates/passwd", "/etc/templates/x.yaml", "web/../../../x/templates/y.yaml"):
        forged = text.replace("# Source: web/templates/deployment.yaml", f"# Source: {evil}")
        (project / "out" / "forged.yaml").write_text(forged)
        found = lint("out/forged.yaml")
        assert {f["path"] for f in found} <= {"out/forged.yaml", "chart/web/values.yaml"}, evil


def test_plain_manifests_are_untouched(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = (HELM / "rendered.yaml").read_text().replace("# Source:", "# source of")
    (tmp_path / "plain.yaml").write_text(text)
    found = lint("plain.yaml")
    assert found and {f["path"] for f in found} == {"plain.yaml"}
    assert not any("[from" in f["message"] for f in found)
