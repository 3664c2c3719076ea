"""SARIF output validates against the OASIS schema and GitHub's copy, and is what code
scanning needs: every rule that ran, explicit levels, full regions, %SRCROOT% uris,
artifacts, and fingerprints that survive unrelated edits."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import FIXTURES, ROOT

from manifestlint.config import Config
from manifestlint.engine import lint
from manifestlint.output import sarif
from manifestlint.registry import load_registry

SCHEMAS = ["sarif-schema-2.1.0.json", "github-sarif-schema-2.1.0.json"]


def validate(log: dict) -> None:
    for name in SCHEMAS:
        schema = json.loads((ROOT / "schemas" / name).read_text())
        validator = jsonschema.validators.validator_for(schema)(
            schema, format_checker=jsonschema.FormatChecker()
        )
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(log)]
        assert errors == [], f"{name}: {errors[:5]}"


def sarif_for(paths: list[str], cwd: Path) -> dict:
    result = lint(paths, load_registry(), Config(), cwd, use_context=False)
    return json.loads(sarif.render(result))


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the repository root that uris are relative to
    (tmp_path / "deploy dir").mkdir()
    (tmp_path / "deploy dir" / "pod.yaml").write_text(
        (FIXTURES / "rules" / "k8s-run-as-root" / "bad.yaml").read_text()
    )
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN apk add curl\n")
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    return tmp_path


def test_valid_against_both_schemas(project: Path) -> None:
    log = sarif_for([str(project)], project)
    validate(log)
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    assert run["tool"]["driver"]["name"] == "manifestlint"
    assert "automationDetails" not in run  # the upload action's `category:` input applies
    assert run["columnKind"] == "unicodeCodePoints"


def test_rules_results_and_artifacts(project: Path) -> None:
    run = sarif_for([str(project)], project)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and len(ids) == len([r for r in load_registry() if r.enabled])
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        assert rule["help"]["markdown"] and "helpUri" not in rule  # no docs-url configured
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert 0 < len(rule["properties"]["tags"]) <= 10
        if "security-severity" in rule["properties"]:
            assert 0 < float(rule["properties"]["security-severity"]) <= 10
            assert isinstance(rule["properties"]["security-severity"], str)
    results = run["results"]
    assert results
    for res in results:
        assert res["level"] in ("error", "warning", "note")
        assert ids[res["ruleIndex"]] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert set(loc["region"]) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert res["partialFingerprints"]["manifestlint/v1"]
    uris = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in results}
    assert uris == {"deploy%20dir/pod.yaml", "Dockerfile"}  # repo-relative and percent-encoded
    artifacts = {a["location"]["uri"] for a in run["artifacts"]}
    assert artifacts == {"deploy%20dir/pod.yaml", "Dockerfile", "ok.yaml"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    first = next(r for r in results if r["ruleId"] == "k8s-run-as-root")
    assert first["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 14, "startColumn": 11, "endLine": 14, "endColumn": 15,
    }  # fmt: skip


def test_clean_run_still_has_results_array(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    log = sarif_for([str(tmp_path)], tmp_path)
    validate(log)
    assert log["runs"][0]["results"] == []


def test_parse_failures_are_results(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: Service\nspec: {ports: [80\n")
    log = sarif_for([str(tmp_path)], tmp_path)
    validate(log)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["k8s-syntax-error"]


def test_fingerprints_survive_unrelated_edits(project: Path) -> None:
    before = sarif_for([str(project)], project)["runs"][0]["results"]
    pod = project / "deploy dir" / "pod.yaml"
    pod.write_text("# a comment added above everything\n\n" + pod.read_text())
    after = sarif_for([str(project)], project)["runs"][0]["results"]
    key = lambda r: r["partialFingerprints"]["manifestlint/v1"]  # noqa: E731
    assert sorted(map(key, before)) == sorted(map(key, after))
    assert len(set(map(key, after))) == len(after)  # unique within the run
    moved = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after} - {
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in before
    }
    assert moved  # the lines did move


def test_cli_writes_sarif_file(project: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from manifestlint.cli import main

    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["lint", ".", "--format", "sarif", "--output", "out.sarif",
                                       "--sarif-category", "manifestlint/k8s"])  # fmt: skip
    assert result.exit_code == 1
    log = json.loads((project / "out.sarif").read_text())
    validate(log)
    assert log["runs"][0]["automationDetails"]["id"] == "manifestlint/k8s/"


def test_uris_are_relative_outside_a_repository(tmp_path: Path, monkeypatch) -> None:
    """Linting a folder elsewhere (no git, no config): uris are relative to that folder."""
    project = tmp_path / "elsewhere" / "app"
    (project / "k8s").mkdir(parents=True)
    (project / "k8s" / "pod.yaml").write_text(
        (FIXTURES / "rules" / "k8s-run-as-root" / "bad.yaml").read_text()
    )
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    log = sarif_for([str(project)], work)
    validate(log)
    run = log["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"k8s/pod.yaml"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"


def test_github_limits_are_announced() -> None:
    assert sarif.limits_warning(4_999) is None
    assert "displays only the 5,000" in sarif.limits_warning(6_182)
    assert "rejects runs over 25,000" in sarif.limits_warning(25_001)


def _om_plain(value: object) -> object:
    """sarif-om's objects as plain values, as the writer once serialised them: SARIF's
    defaults dropped, an explicit `level` kept. The reference the plain-dict writer matches."""
    import attr

    if attr.has(type(value)):
        out = {}
        for fld in attr.fields(type(value)):
            item = getattr(value, fld.name)
            if item is None:
                continue
            default = fld.default
            if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if item == default and fld.name != "level":
                continue
            out[fld.metadata.get("schema_property_name", fld.name)] = _om_plain(item)
        return out
    if isinstance(value, dict):
        return {k: _om_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_om_plain(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("category", "docs_url"),
    [(None, None), ("infra", "https://example.com/rules/{rule}.html"), ("ci/", "https://example.com/docs")],
)
def test_plain_writer_matches_sarif_om(project: Path, category: str | None, docs_url: str | None) -> None:
    """The run's header written as plain dicts is what sarif-om's classes give, key for key
    and in the same order, with and without a category and a docs url."""
    from urllib.parse import quote

    import sarif_om as om

    from manifestlint import __version__
    from manifestlint.model import Severity
    from manifestlint.output import surrogate_bytes

    result = lint([str(project)], load_registry(), Config(), project, use_context=False)
    rules = sorted(result.rules, key=lambda r: r.id)
    assert any(r.security_severity is not None for r in rules)
    assert any(r.security_severity is None for r in rules)
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}

    def descriptor(rule) -> om.ReportingDescriptor:
        props: dict = {"tags": sorted({*rule.tags, rule.domain})[:10], "precision": rule.precision}
        if rule.security_severity is not None:
            props["security-severity"] = f"{rule.security_severity:.1f}"
        else:
            props["problem.severity"] = (
                "recommendation" if rule.severity is Severity.NOTE else rule.severity.label
            )
        return om.ReportingDescriptor(
            id=rule.id,
            name="".join(part.capitalize() for part in rule.id.split("-")),
            short_description=om.MultiformatMessageString(text=rule.title),
            full_description=om.MultiformatMessageString(text=rule.rationale[:1000]),
            help=om.MultiformatMessageString(
                text=f"{rule.rationale}\n\nFix: {rule.fix}", markdown=sarif.rule_help_markdown(rule)
            ),
            help_uri=sarif.help_uri(docs_url, rule.id),
            default_configuration=om.ReportingConfiguration(level=level[rule.severity]),
            properties=props,
        )

    uris = {p: quote(surrogate_bytes(result.relative(p))) for p in result.artifacts}
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="manifestlint",
                version=__version__,
                semantic_version=__version__,
                information_uri=docs_url if docs_url and "{rule}" not in docs_url else None,
                rules=[descriptor(r) for r in rules],
            )
        ),
        automation_details=om.RunAutomationDetails(id=sarif.automation_id(category)) if category else None,
        original_uri_base_ids={"%SRCROOT%": om.ArtifactLocation(uri=result.root.as_uri() + "/")},
        artifacts=[
            om.Artifact(location=om.ArtifactLocation(uri=uris[p], uri_base_id="%SRCROOT%"))
            for p in result.artifacts
        ],
        column_kind="unicodeCodePoints",
        results=[],
    )
    expected = _om_plain(run)
    written = json.loads(sarif.render(result, category, docs_url))["runs"][0]
    assert written["results"]
    written["results"] = []
    assert json.dumps(written) == json.dumps(expected)  # same keys in the same order


def test_result_template_writes_what_the_encoder_writes() -> None:
    """Results without related locations are written from a text template: byte for byte
    what the C encoder writes for the same result as a dict, whatever the message, object or
    path holds (quotes, backslashes, controls, non-ASCII, lone surrogates from file names)."""
    from manifestlint.model import Finding, Severity, Span

    odd = [
        "plain",
        'quote " and \\ backslash',
        "tab\tnewline\n\x00\x1b[31m",
        "ünïcødé ✓ 漢字",
        "bad \udcff byte",
        "",
    ]
    uris = {p: sarif.quote(sarif.surrogate_bytes(p)) for p in ("a.yaml", "dir/ü b.yaml", "x\udcfe.yaml")}
    quoted = {p: sarif._json_str(u) for p, u in uris.items()}
    scores = {"k8s-run-as-root": 7.5}
    props = {r: f', "properties": {{"security-severity": "{n:.1f}"}}' for r, n in scores.items()}
    rule_of = {"k8s-run-as-root": 3, "k8s-missing-pdb": 0}.get
    encode = json.JSONEncoder(ensure_ascii=False).encode
    checked = 0
    for i, text in enumerate(odd):
        for path in uris:
            for rule in ("k8s-run-as-root", "k8s-missing-pdb", "unknown-rule"):
                for obj in ("", f"Deployment ns/{text}"):
                    for severity in Severity:
                        f = Finding(rule, severity, path, Span(i + 1, 2, i + 3, 40), text or "m", obj)
                        expected = encode(sarif._result(f, f"{i:032x}:1", uris, rule_of, scores))
                        assert sarif._result_text(f, f"{i:032x}:1", quoted, rule_of, props) == expected
                        checked += 1
    assert checked == len(odd) * 3 * 3 * 2 * 3


def test_fixable_findings_carry_their_fix(project: Path) -> None:
    """A finding `lint --fix` can fix carries it as a SARIF fix (artifactChanges with
    replacements), valid against both schemas; others carry none."""
    log = sarif_for([str(project)], project)
    validate(log)
    results = log["runs"][0]["results"]
    apk = next(r for r in results if r["ruleId"] == "docker-apk-no-cache")
    assert apk["fixes"] == [
        {
            "description": {"text": "add --no-cache"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {
                                "endColumn": 12,
                                "endLine": 2,
                                "startColumn": 9,
                                "startLine": 2,
                            },
                            "insertedContent": {"text": "add --no-cache"},
                        }
                    ],
                }
            ],
        }
    ]
    assert all("fixes" not in r for r in results if r["ruleId"] == "k8s-run-as-root")
