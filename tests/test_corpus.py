"""The real-world corpus (~1,000 files) lints without a traceback, every recognisable file
is analysed, and the deliberately broken files are reported as findings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from manifestlint.cli import main
from manifestlint.config import Config
from manifestlint.engine import lint
from manifestlint.registry import load_registry

RECOGNISABLE = {"alertmanager", "dockerfile", "istio", "k8s", "prometheus-operator-crd", "prometheus-rules"}


@pytest.fixture(scope="module")
def corpus_result(corpus: Path):
    # The corpus is mostly peers' test suites (testdata/, tests/): walked with test data in.
    return lint([str(corpus)], load_registry(), Config(include_test_data=True), corpus)


def test_no_internal_errors(corpus_result) -> None:
    internal = [f for f in corpus_result.findings if f.rule == "manifestlint-internal-error"]
    assert internal == []


def test_every_recognisable_file_is_analysed(corpus: Path, corpus_result) -> None:
    rows = [line.split("\t") for line in (corpus / "INDEX.tsv").read_text().splitlines()[1:]]
    expected = {path for path, kind, _ in rows if kind in RECOGNISABLE and not _template(corpus / path)}
    # Needs --type: a bare 'BAD' in a file whose name gives no hint (checked below).
    expected.discard("alertmanager/cli/testdata/conf.bad.yml")
    missing = expected - set(corpus_result.artifacts)
    assert missing == set()


def _template(path: Path) -> bool:
    """Unrendered templates (vitess' `{{cell}}` files) are deliberately not linted."""
    return re.search(r"^\s*name:.*\{\{", path.read_text(encoding="utf-8", errors="replace"), re.M) is not None


def test_broken_files_are_findings(corpus: Path, corpus_result) -> None:
    by_path = {}
    for f in corpus_result.findings:
        by_path.setdefault(f.path, set()).add(f.rule)
    assert "manifestlint-yaml-syntax" in by_path["kube-linter/pkg/command/lint/testdata/invalid.yaml"]
    assert (
        "alertmanager-invalid-yaml"
        in by_path["kube-prometheus/examples/alertmanager-config-with-template.yaml"]
    )
    assert "k8s-syntax-error" in by_path["kube-linter/tests/checks/cel.yml"]  # duplicate keys


def test_forced_type_reports_non_config(corpus: Path) -> None:
    result = CliRunner().invoke(main, ["lint", "--type", "alertmanager", "-f", "json",
                                       str(corpus / "alertmanager/cli/testdata/conf.bad.yml")])  # fmt: skip
    findings = json.loads(result.output)["findings"]
    assert [(f["line"], f["rule"]) for f in findings] == [(1, "alertmanager-invalid-yaml")]


def test_freeagentics_sarif_positions(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    """The issue's acceptance run: SARIF over FreeAgentics, each result at the offending spot."""
    from test_sarif import validate

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.sarif"
    result = CliRunner().invoke(main, ["lint", "--format", "sarif", "--output", str(out),
                                       str(corpus / "freeagentics")])  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    log = json.loads(out.read_text())
    validate(log)
    results = log["runs"][0]["results"]
    assert results
    root = Path(log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"].removeprefix("file://"))
    for res in results:
        loc = res["locations"][0]["physicalLocation"]
        lines = (root / loc["artifactLocation"]["uri"]).read_text().splitlines()
        region = loc["region"]
        assert 1 <= region["startLine"] <= len(lines)
        line = lines[region["startLine"] - 1]
        assert region["startColumn"] <= len(line) + 1
        if res["ruleId"] == "k8s-run-as-root" and "container" in res["message"]["text"]:
            assert line[region["startColumn"] - 1 :].strip()  # points at a key or value, not blank space
