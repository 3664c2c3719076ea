"""File roles (issue 7, causes 1, 3 and 11): test data, Helm chart templates, unrendered
templates, look-alikes (Grafana provisioning) and `*.rules` files, through the pure role
functions, discovery, the engine and the CLI's verbose listing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, expectations

from manifestlint.cli import main
from manifestlint.config import Config, load_config
from manifestlint.discover import discover
from manifestlint.engine import lint
from manifestlint.listing import LINTED, SKIPPED, Entry, render, summary
from manifestlint.project.roles import (
    DEPLOYABLE,
    HELM_TEMPLATE,
    TEST_DATA,
    Role,
    helm_template,
    in_test_data,
    path_role,
)
from manifestlint.registry import load_registry

PROJECTS = FIXTURES / "projects"
DISCOVERY = PROJECTS / "discovery"
REALM = PROJECTS / "testdata-realm"


# ---------------------------------------------------------------------------- pure roles


@pytest.mark.parametrize(
    ("path", "role", "realm"),
    [
        ("k8s/deploy.yaml", DEPLOYABLE, ""),
        ("test/e2e/testdata/app.yaml", TEST_DATA, "test"),
        ("util/helm/testdata/redis/values.yaml", TEST_DATA, "util/helm/testdata"),
        ("pkg/__fixtures__/pod.yaml", TEST_DATA, "pkg/__fixtures__"),
        ("e2e/pod.yaml", TEST_DATA, "e2e"),
        ("Tests/pod.yaml", TEST_DATA, "Tests"),
        ("tests.yaml", DEPLOYABLE, ""),  # the file's own name says nothing
        ("overlays/test/kustomization.yaml", DEPLOYABLE, ""),  # an environment overlay
        ("clusters/test/apps.yaml", DEPLOYABLE, ""),
        ("deploy/overlays/e2e/patch.yaml", DEPLOYABLE, ""),
        ("testing/pod.yaml", DEPLOYABLE, ""),  # too ambiguous (an environment name) to skip
    ],
)
def test_test_data_role_from_the_path(path: str, role: str, realm: str) -> None:
    decided = path_role(PurePosixPath("/repo", path), PurePosixPath(path), lambda _: False)
    assert (decided.name, decided.realm) == (role, realm)
    assert decided.evidence


def test_helm_templates_at_any_depth_and_only_in_a_chart() -> None:
    charts = {PurePosixPath("/repo/charts/web"), PurePosixPath("charts/web")}

    def is_chart(folder: PurePosixPath) -> bool:
        return folder in charts

    hook = helm_template(PurePosixPath("/repo/charts/web/templates/hooks/job.yaml"), is_chart)
    assert hook == Role(HELM_TEMPLATE, "below the templates/ folder of the Helm chart /repo/charts/web/")
    relative = helm_template(PurePosixPath("charts/web/templates/a.yaml"), is_chart, None)
    assert relative is not None and relative.name == HELM_TEMPLATE
    assert helm_template(PurePosixPath("/repo/docs/templates/a.yaml"), is_chart) is None  # no Chart.yaml
    assert helm_template(PurePosixPath("/repo/charts/web/crds/crd.yaml"), is_chart) is None
    # A chart below a test-data folder is a chart template first.
    inside = path_role(
        PurePosixPath("/repo/charts/web/templates/x.yaml"), PurePosixPath("t/x.yaml"), is_chart
    )
    assert inside.name == HELM_TEMPLATE
    assert in_test_data(PurePosixPath("/abs/tests/x.yaml")) is not None  # callers pass relative paths


# ---------------------------------------------------------------------------- discovery


def _found(paths: list[str], cwd: Path, **kwargs) -> tuple[list[str], list[Entry]]:
    listing: list[Entry] = []
    sources = discover(paths, cwd, None, [], None, listing=listing, **kwargs)
    return sorted(s.path for s in sources), listing


def test_walks_skip_test_data_chart_templates_and_foreign_rules_files() -> None:
    found, listing = _found(["."], DISCOVERY)
    assert found == [
        ".manifestlint.yaml",
        "charts/web/Chart.yaml",
        "charts/web/values.yaml",
        "deploy/templated.yaml",
        "grafana/alerting/rules.yaml",
        "grafana/datasources/prometheus.yaml",
        "monitoring/alert.rules",  # found by its `groups:`; 99-usb.rules (udev) is not
    ]
    skipped = {(e.path, e.role.name) for e in listing if e.action == SKIPPED}
    assert skipped == {
        ("charts/web/templates/deployment.yaml", HELM_TEMPLATE),
        ("charts/web/templates/hooks/job.yaml", HELM_TEMPLATE),
        ("e2e/pod.yaml", TEST_DATA),
    }


def test_include_test_data_opts_back_in_and_named_files_are_linted() -> None:
    found, _ = _found(["."], DISCOVERY, include_test_data=True)
    assert "e2e/pod.yaml" in found
    named, _ = _found(["e2e/pod.yaml"], DISCOVERY, include_test_data=True)
    assert named == ["e2e/pod.yaml"]
    # A folder named explicitly is walked even when it is test data itself.
    walked, _ = _found(["e2e"], DISCOVERY)
    assert walked == ["e2e/pod.yaml"]


def test_chart_templates_are_never_linted_even_when_named() -> None:
    found, listing = _found(
        ["charts/web/templates/deployment.yaml", "charts/web/templates/hooks/job.yaml"], DISCOVERY
    )
    assert found == []
    assert [e.role.evidence for e in listing] == [
        "below the templates/ folder of the Helm chart charts/web/"
    ] * 2


def test_include_test_data_config_key(tmp_path: Path) -> None:
    (tmp_path / ".manifestlint.yaml").write_text("include-test-data: true\n")
    assert load_config(None, tmp_path, load_registry()).include_test_data is True
    (tmp_path / ".manifestlint.yaml").write_text("include-test-data: yes please\n")
    with pytest.raises(Exception, match="include-test-data"):
        load_config(None, tmp_path, load_registry())


# ---------------------------------------------------------------------------- engine


def _pairs(result, path: str | None = None) -> set[tuple[int, str]]:
    return {(f.span.line, f.rule) for f in result.findings if path is None or f.path == path}


def _expected(folder: Path, rel: str) -> set[tuple[int, str]]:
    return {(line, rule) for line, rule, _ in expectations(folder / rel)}


def test_discovery_fixture_findings_are_exact() -> None:
    """The whole fixture tree: one note on the template outside a chart, nothing on chart
    templates, Grafana provisioning, udev rules or test data; alert.rules is linted quietly."""
    config = load_config(None, DISCOVERY, load_registry())
    # The project-level coverage check (no latency/CPU/... alert in the project) is about the
    # rule set, not about discovery: alert.rules itself must be linted without findings.
    config.ignore.append("prometheus-missing-golden-alert")
    result = lint(["."], load_registry(), config, DISCOVERY)
    assert (
        _pairs(result)
        == _expected(DISCOVERY, "deploy/templated.yaml")
        == {(7, "manifestlint-unrendered-template")}
    )
    assert "monitoring/alert.rules" in result.artifacts
    assert "grafana/alerting/rules.yaml" not in result.artifacts


def test_grafana_alert_provisioning_named_is_not_a_rule_file() -> None:
    config = Config()
    config.force_include = True  # the fixture lives below tests/: named, it is test data
    result = lint(["grafana/alerting/rules.yaml"], load_registry(), config, DISCOVERY)
    assert result.findings == []
    [entry] = result.listing
    assert entry.action == SKIPPED and "Grafana alerting provisioning" in entry.role.evidence


def test_prometheus_compatible_rule_files_stay_rule_files(tmp_path: Path) -> None:
    """Loki/Thanos rule files are Prometheus's format: still linted (a missing `for` here)."""
    path = tmp_path / "loki-rules.yaml"
    path.write_text(
        "groups:\n  - name: logs\n    rules:\n      - alert: ManyErrors\n"
        '        expr: sum(rate({app="web"} |= "error" [5m])) > 10\n'
    )
    result = lint([str(path)], load_registry(), Config(), tmp_path)
    assert result.artifacts == ["loki-rules.yaml"]
    assert result.listing[0].file_type == "prometheus-rules"


def test_named_test_data_neither_satisfies_nor_contradicts_real_files() -> None:
    """testdata/hpa.yaml would hide k8s-single-replica on the real Deployment (and claim 5
    replicas for k8s-missing-pdb); testdata/netpol.yaml would put the project under
    NetworkPolicies. Named together with the real file, they change nothing on it."""
    registry = load_registry()
    config = load_config(None, REALM, registry)
    config.force_include = True  # named test data is linted only on request (principle 11)
    alone = lint(["app/deploy.yaml"], registry, config, REALM)
    together = lint(["app/deploy.yaml", "testdata/hpa.yaml", "testdata/netpol.yaml"], registry, config, REALM)
    walked = lint(["."], registry, config, REALM)
    expected = _expected(REALM, "app/deploy.yaml")
    assert expected == {(7, "k8s-single-replica")}
    assert _pairs(alone) == _pairs(together, "app/deploy.yaml") == _pairs(walked) == expected
    # The test data is judged on its own: its HPA targets nothing within its own folder.
    assert _pairs(together, "testdata/hpa.yaml") == {(8, "k8s-hpa-target-missing")}


def test_test_data_is_judged_within_its_own_folder_when_included(tmp_path: Path) -> None:
    """With include-test-data the fixtures are linted, each test folder apart from the rest."""
    registry = load_registry()
    config = load_config(None, REALM, registry)
    config.include_test_data = True
    result = lint(["."], registry, config, REALM)
    assert _pairs(result, "app/deploy.yaml") == {(7, "k8s-single-replica")}
    assert (8, "k8s-hpa-target-missing") in _pairs(result, "testdata/hpa.yaml")


# ---------------------------------------------------------------------------- listing and CLI


def test_listing_collapses_long_runs_and_summarises() -> None:
    role = Role(TEST_DATA, "inside the test-data folder t/", realm="t")
    entries = [Entry(f"t/{i}.yaml", SKIPPED, role) for i in range(5)]
    entries.append(Entry("k8s/a.yaml", LINTED, file_type="kubernetes"))
    assert render(entries) == [
        "linted k8s/a.yaml: kubernetes",
        "skipped t/ (5 files): test-data: inside the test-data folder t/",
    ]
    assert summary(entries) == "1 linted, 5 skipped (5 test-data)"


def test_cli_verbose_lists_every_file_and_why(monkeypatch) -> None:
    monkeypatch.chdir(DISCOVERY)
    result = CliRunner().invoke(main, ["lint", "-v", "."])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert "manifestlint: linted monitoring/alert.rules: prometheus-rules" in lines
    assert "manifestlint: skipped e2e/pod.yaml: test-data: inside the test-data folder e2e/" in lines
    assert (
        "manifestlint: skipped charts/web/templates/deployment.yaml: helm-template: "
        "below the templates/ folder of the Helm chart charts/web/"
    ) in lines
    assert any(
        line.startswith("manifestlint: skipped grafana/alerting/rules.yaml: look-alike: Grafana")
        for line in lines
    )
    assert (
        "manifestlint: skipped deploy/templated.yaml: template: "
        "unrendered template syntax '{{ .Values.replicas }}' at line 7"
    ) in lines
    assert (
        lines[-1] == "manifestlint: 1 linted, 9 skipped "
        "(3 unrecognised, 2 helm-template, 2 look-alike, 1 template, 1 test-data)"
    )
    assert result.stdout.splitlines()[0].startswith(
        "deploy/templated.yaml:7:13: note manifestlint-unrendered-template"
    )


def test_cli_hints_when_nothing_was_linted(monkeypatch) -> None:
    monkeypatch.chdir(DISCOVERY)
    result = CliRunner().invoke(main, ["lint", "e2e/../charts/web/templates"])
    assert result.exit_code == 0
    assert (
        "no file was linted: 0 linted, 2 skipped (2 helm-template); rerun with -v to see why" in result.stderr
    )
    test_only = CliRunner().invoke(main, ["lint", "-q", "."], catch_exceptions=False)
    assert test_only.stderr == ""  # something was linted: no hint
    monkeypatch.chdir(REALM)
    result = CliRunner().invoke(main, ["lint", "--exclude", "app", "."])
    assert "include-test-data: true" in result.stderr


def test_cli_named_chart_templates_pass_a_pre_commit_batch(monkeypatch) -> None:
    """pre-commit names files one by one: chart templates give no finding, exit 0."""
    monkeypatch.chdir(DISCOVERY)
    files = [
        "charts/web/templates/deployment.yaml",
        "charts/web/templates/hooks/job.yaml",
        "deploy/templated.yaml",
    ]
    result = CliRunner().invoke(main, ["lint", "-f", "json", *files])
    assert result.exit_code == 0, result.output
    found = [(f["path"], f["line"], f["rule"]) for f in json.loads(result.stdout)["findings"]]
    assert found == [("deploy/templated.yaml", 7, "manifestlint-unrendered-template")]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_base_walks_like_a_folder_walk(tmp_path: Path, monkeypatch) -> None:
    """--diff-base below a folder: changed test data is skipped (unless include-test-data),
    a changed `alert.rules` is found by its content, a changed chart template never linted."""

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=tmp_path, check=True, capture_output=True)  # fmt: skip

    git("init", "-q", "-b", "main")
    git("commit", "-q", "--allow-empty", "-m", "base")
    for rel in ("e2e/pod.yaml", "charts/web/templates/deployment.yaml", "monitoring/alert.rules"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text((DISCOVERY / rel).read_text())
    (tmp_path / "charts/web/Chart.yaml").write_text((DISCOVERY / "charts/web/Chart.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["lint", "-v", "--exit-zero", ".", "--diff-base", "main"])
    assert result.exit_code == 0, result.output
    assert "manifestlint: linted monitoring/alert.rules: prometheus-rules" in result.stderr.splitlines()
    assert "e2e/pod.yaml" not in result.stderr + result.stdout
    (tmp_path / ".manifestlint.yaml").write_text("include-test-data: true\n")
    included = CliRunner().invoke(main, ["lint", ".", "--diff-base", "main", "-f", "json"])
    paths = {f["path"] for f in json.loads(included.stdout)["findings"]}
    assert "e2e/pod.yaml" in paths and not any(p.startswith("charts/") for p in paths)


def test_an_unquoted_template_in_a_rule_file_is_one_note_and_the_rest_is_linted(tmp_path: Path) -> None:
    """A second document of a rule file breaks on `{{ }}`: one note there (Prometheus refuses
    the file), and the first document is still linted (its missing `for` is reported)."""
    path = tmp_path / "rules.yaml"
    path.write_text(
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up == 0\n"
        "        labels: {severity: critical}\n"
        "        annotations: {summary: A is down, description: A has been down.}\n"
        "---\n"
        "groups:\n  - name: b\n    rules:\n      - alert: B\n        expr: up == 0\n"
        "        annotations:\n          summary: {{ $labels.instance }} is down\n"
    )
    config = Config()
    config.select = ["manifestlint", "prometheus-alert-missing-for"]
    result = lint([str(path)], load_registry(), config, tmp_path)
    assert _pairs(result) == {(4, "prometheus-alert-missing-for"), (15, "manifestlint-unrendered-template")}
    note = next(f for f in result.findings if f.rule == "manifestlint-unrendered-template")
    assert note.span.col == 20 and "quote the value" in note.message


# ---------------------------------------------------------------------------- CI and pre-commit agree

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: 'a:1'}]\n"


def test_named_test_data_is_skipped_as_a_walk_skips_it(tmp_path: Path) -> None:
    """Issue 19, principle 11: pre-commit names files one by one, CI walks the tree; a file the
    walk skips is skipped when named too, unless --force-include (or force-include: true)."""
    (tmp_path / ".manifestlint.yaml").write_text("{}\n")
    for rel in ("app/pod.yaml", "tests/fixtures/pod.yaml", "hack/kind/pod.yaml", "overlays/test/pod.yaml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(POD)
    registry = load_registry()
    config = load_config(None, tmp_path, registry)
    walked = {f.path for f in lint(["."], registry, config, tmp_path).findings}
    assert walked == {"app/pod.yaml", "overlays/test/pod.yaml"}
    for rel in ("tests/fixtures/pod.yaml", "hack/kind/pod.yaml"):
        named = lint([rel], registry, config, tmp_path)
        assert named.findings == [] and named.listing[0].role.name == "test-data"
    config.force_include = True
    assert {f.path for f in lint(["hack/kind/pod.yaml"], registry, config, tmp_path).findings} == {
        "hack/kind/pod.yaml"
    }


def test_force_include_flag_and_config_key(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / ".manifestlint.yaml").write_text("{}\n")
    (tmp_path / "testdata").mkdir()
    (tmp_path / "testdata" / "pod.yaml").write_text(POD)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["lint", "testdata/pod.yaml"]).exit_code == 0
    assert runner.invoke(main, ["lint", "--force-include", "testdata/pod.yaml"]).exit_code == 1
    (tmp_path / ".manifestlint.yaml").write_text("force-include: true\n")
    assert runner.invoke(main, ["lint", "testdata/pod.yaml"]).exit_code == 1


def test_every_file_a_corpus_walk_skips_gets_nothing_when_named_alone(corpus: Path) -> None:
    """What CI (a walk of the tree) never shows, pre-commit (naming each file) never reports."""
    listing: list[Entry] = []
    discover(["."], corpus, None, [], None, listing=listing)
    skipped = [e.path for e in listing if e.action == SKIPPED and e.role.name == "test-data"]
    assert len(skipped) > 50  # istio's analyzer testdata, alertmanager's config testdata, ...
    registry = load_registry()
    for path in skipped:
        result = lint([path], registry, Config(), corpus, use_context=False)
        assert result.findings == [], path
        assert [e.role.name for e in result.listing] == ["test-data"], path
