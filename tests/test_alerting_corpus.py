"""Every labelled case of the Prometheus and Alertmanager corpora (EXPECTED.tsv, written
from the upstream tests) as a parametrised case: `invalid` rows need at least one
`*-invalid-*` finding (of the mapped rule where one applies), `valid` rows none."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from conftest import corpus_dir, run_file

from manifestlint.config import Config, RuleSetting

CORPUS = corpus_dir()

# error substring (from rulefmt_test.go) -> the rule that reports it
PROM_RULE_FOR = {
    "parse error": "prometheus-invalid-expr",
    "field annotation not found": "prometheus-invalid-field",
    "is repeated in the same file": "prometheus-invalid-duplicate-group",
    "invalid label name": "prometheus-invalid-rule",
    "braces present in the recording rule name": "prometheus-invalid-rule",
    "invalid annotation name": "prometheus-invalid-rule",
    "one of 'record' or 'alert' must be set": "prometheus-invalid-rule",
    "field 'expr' must be set in rule": "prometheus-invalid-rule",
    "only one of 'record' and 'alert' must be set": "prometheus-invalid-rule",
    "invalid field 'for' in recording rule": "prometheus-invalid-rule",
    "invalid field 'keep_firing_for' in recording rule": "prometheus-invalid-rule",
}
# Rows whose label depends on a setting: upstream runs them with legacy name validation.
LEGACY_ROWS = {"model/rulefmt/testdata/legacy_validation_annotation.bad.yaml"}


def _rows(domain: str) -> list:
    if CORPUS is None:
        return [pytest.param(None, None, None, marks=pytest.mark.skip(reason="shared corpus absent"))]
    table = CORPUS / domain / "EXPECTED.tsv"
    rows = []
    with table.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    for row in csv.DictReader(lines, delimiter="\t"):
        message = row.get("error_substring", row.get("error_message", "")) or ""
        rows.append(pytest.param(row["file"], row["expected"], message, id=row["file"]))
    return rows


def _invalid(findings, domain: str) -> list:
    return [
        f
        for f in findings
        if f.rule.startswith(f"{domain}-invalid-") or f.rule == "alertmanager-undefined-receiver"
    ]


@pytest.mark.parametrize(("file", "expected", "message"), _rows("prometheus"))
def test_prometheus_corpus(corpus: Path, file: str, expected: str, message: str) -> None:
    config = Config()
    if file in LEGACY_ROWS:
        config.rules["prometheus-invalid-rule"] = RuleSetting(options={"name-validation": "legacy"})
    result = run_file(
        corpus / "prometheus" / file, config=config, use_context=False, forced_type="prometheus-rules"
    )
    invalid = _invalid(result.findings, "prometheus")
    if expected == "valid":
        assert invalid == []
        return
    assert invalid, f"expected a prometheus-invalid-* finding ({message})"
    wanted = next((rule for key, rule in PROM_RULE_FOR.items() if key in message.replace('\\"', '"')), None)
    if wanted:
        assert wanted in {f.rule for f in invalid}
        key = message.split(":")[0].replace('\\"', '"')
        assert any(
            key.split(" is repeated")[0] in f.message or wanted == "prometheus-invalid-expr" for f in invalid
        )


@pytest.mark.parametrize(("file", "expected", "message"), _rows("alertmanager"))
def test_alertmanager_corpus(corpus: Path, file: str, expected: str, message: str) -> None:
    result = run_file(corpus / "alertmanager" / file, use_context=False, forced_type="alertmanager")
    invalid = _invalid(result.findings, "alertmanager")
    if expected == "valid":
        assert invalid == []
        return
    assert invalid, f"expected an alertmanager-invalid-* finding ({message})"
    if message and not message.startswith("("):
        key = re.sub(r"^yaml: unmarshal errors: line \d+: ", "", message).split(" set")[0]
        assert any(key in f.message for f in invalid), [f.message for f in invalid]


def _all(domain: str, pattern: str) -> list[Path]:
    return sorted((CORPUS / domain).rglob(pattern)) if CORPUS else []


@pytest.mark.parametrize(
    "path",
    [p for p in _all("", "*.y*ml") if any(s in p.as_posix() for s in ("prometheus", "alertmanager", "alert"))]
    or [pytest.param(None, marks=pytest.mark.skip(reason="shared corpus absent"))],
    ids=lambda p: p.relative_to(CORPUS).as_posix() if isinstance(p, Path) and CORPUS else "none",
)
def test_corpus_lints_without_internal_error(path: Path) -> None:
    result = run_file(path, use_context=False)
    assert not [f for f in result.findings if f.rule == "manifestlint-internal-error"]
