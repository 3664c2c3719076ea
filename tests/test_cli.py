"""The command line as users and CI see it: exit codes, formats, config, selection."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from manifestlint import __version__
from manifestlint.cli import main

BAD_POD = FIXTURES / "rules" / "k8s-run-as-root" / "bad.yaml"
SHOWN = os.path.relpath(BAD_POD)  # paths are shown relative to the working directory
CLEAN = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"


def run(*args: str, cwd: Path | None = None, stdin: str | None = None):
    if args[:1] == ("lint",):  # the fixtures live below tests/: named, they are test data
        args = ("lint", "--force-include", *args[1:])
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args), input=stdin)
    with runner.isolated_filesystem(temp_dir=cwd):
        return runner.invoke(main, list(args), input=stdin)


def test_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(CLEAN)
    assert run("lint", str(tmp_path / "ok.yaml")).exit_code == 0
    assert run("lint", str(BAD_POD)).exit_code == 1
    assert run("lint", str(BAD_POD), "--exit-zero").exit_code == 0
    assert run("lint", str(BAD_POD), "--fail-on", "none").exit_code == 0
    only_warnings = FIXTURES / "rules" / "k8s-missing-liveness-probe" / "bad.yaml"
    assert run("lint", str(only_warnings), "--select", "k8s-missing-liveness-probe").exit_code == 1
    assert (
        run(
            "lint", str(only_warnings), "--select", "k8s-missing-liveness-probe", "--fail-on", "error"
        ).exit_code
        == 0
    )


def test_usage_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    for args in (
        ["lint", "no/such/file.yaml"],
        ["lint", str(BAD_POD), "--select", "k8s-no-such-rule"],
        ["lint", str(BAD_POD), "--kubernetes-version", "banana"],
        ["explain", "nope"],
    ):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("rules:\n  k8s-no-such-rule: off\n", "rules.k8s-no-such-rule: unknown rule id"),
        ("rules:\n  k8s-run-as-root: loud\n", "rules.k8s-run-as-root"),
        ("fail-on: sometimes\n", "fail-on"),
        ("colour: blue\n", "'colour' was unexpected"),
        ("rules:\n  k8s-missing-resource-limits:\n    options: {cpu: 1}\n", "options.cpu: unknown option"),
        ("rules: [\n", "invalid YAML"),
    ],
)
def test_bad_config_is_exit_2_naming_the_key(tmp_path: Path, config: str, message: str) -> None:
    cfg = tmp_path / ".manifestlint.yaml"
    cfg.write_text(config)
    result = run("lint", "--config", str(cfg), str(BAD_POD))
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output


def test_config_found_upward_and_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "pod.yaml").write_text(BAD_POD.read_text())
    (tmp_path / ".manifestlint.yaml").write_text("ignore: [k8s, schema]\n")
    runner = CliRunner()
    old = os.getcwd()
    try:
        os.chdir(tmp_path / "sub")
        assert runner.invoke(main, ["lint", "../pod.yaml"]).exit_code == 0
        (tmp_path / ".manifestlint.yaml").unlink()
        (tmp_path / "pyproject.toml").write_text('[tool.manifestlint]\nignore = ["k8s", "schema"]\n')
        assert runner.invoke(main, ["lint", "../pod.yaml"]).exit_code == 0
        (tmp_path / "pyproject.toml").write_text('[tool.manifestlint]\nfail-on = "error"\n')
        assert runner.invoke(main, ["lint", "../pod.yaml"]).exit_code == 1
    finally:
        os.chdir(old)


def test_severity_override_and_default_off_rules(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("rules:\n  k8s-run-as-root: note\n")
    result = run("lint", "-c", str(cfg), "--select", "k8s-run-as-root", "-f", "json", str(BAD_POD))
    findings = json.loads(result.output)["findings"]
    assert findings and {f["severity"] for f in findings} == {"note"}
    assert result.exit_code == 0  # notes are below the default fail-on (warning)


def test_text_format_is_path_line_col_severity_rule_message() -> None:
    result = run("lint", str(BAD_POD), "--select", "k8s-run-as-root", "-q")
    first = result.output.splitlines()[0]
    assert first == (
        f"{SHOWN}:14:11: error k8s-run-as-root container 'no-context' runs as root: "
        "set securityContext.runAsNonRoot: true or a non-zero runAsUser; "
        "its image nginx:1.27 runs as root (its configuration sets no USER)"
    )
    assert "\033[" not in result.output  # no colour when not a terminal


def test_json_and_github_formats_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = run("lint", str(BAD_POD), "--select", "k8s-run-as-root", "-f", "json", "-o", str(out))
    assert result.exit_code == 1 and result.output == ""
    data = json.loads(out.read_text())
    assert [(f["line"], f["column"]) for f in data["findings"]] == [
        (14, 11),
        (19, 24),
        (23, 27),
        (26, 11),
        (40, 27),
    ]
    assert data["files"] == [SHOWN]
    gh = run("lint", str(BAD_POD), "--select", "k8s-run-as-root", "-f", "github").output.splitlines()
    assert gh[0].startswith(
        f"::error file={SHOWN},line=14,col=11,endLine=14,endColumn=15,title=k8s-run-as-root::"
    )
    assert "%3A" not in gh[0].split("::", 2)[2]  # message data keeps ':' (only properties escape it)


def test_stdin_with_filename_and_type() -> None:
    result = run(
        "lint",
        "-",
        "--stdin-filename",
        "deploy/pod.yaml",
        "--select",
        "k8s-run-as-root",
        stdin=BAD_POD.read_text(),
    )
    assert result.exit_code == 1 and result.output.startswith("deploy/pod.yaml:14:11:")
    docker = run(
        "lint",
        "-",
        "--stdin-filename",
        "Dockerfile",
        "--select",
        "docker-root-user",
        stdin="FROM alpine:3.20\n",
    )
    assert "Dockerfile:1:1: error docker-root-user" in docker.output
    forced = run("lint", "-", "--type", "alertmanager", stdin="BAD\n")
    assert "alertmanager-invalid-yaml" in forced.output and forced.exit_code == 1


def test_rules_explain_version() -> None:
    table = run("rules").output
    assert "k8s-run-as-root" in table and "docker-root-user" in table
    page = run("explain", "k8s-run-as-root").output
    assert page.startswith("# k8s-run-as-root") and "## Why is this bad?" in page
    assert __version__ in run("--version").output
    listed = json.loads(run("rules", "--format", "json").output)
    assert {r["id"] for r in listed} >= {"k8s-run-as-root", "manifestlint-unknown-rule"}


def test_python_dash_m(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "ok.yaml").write_text(CLEAN)
    src = Path(__file__).resolve().parents[1] / "src"
    env = {"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "manifestlint", "lint", "ok.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "0 finding(s)" in proc.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_base_reports_only_changed_lines(tmp_path: Path, monkeypatch) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    (tmp_path / "old.yaml").write_text(BAD_POD.read_text())
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER app\n")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    git("checkout", "-q", "-b", "feature")
    text = BAD_POD.read_text().replace(
        "image: nginx:1.27\n        - name: explicit-root",
        "image: nginx:1.27\n        - name: added\n          image: a:1\n        - name: explicit-root",
    )
    (tmp_path / "old.yaml").write_text(text)
    (tmp_path / "new.yaml").write_text(BAD_POD.read_text())  # untracked: every line is new
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["lint", ".", "--diff-base", "main", "-f", "json", "--select", "k8s-run-as-root"]
    )
    found = sorted((f["path"], f["line"]) for f in json.loads(result.output)["findings"])
    assert found == [
        ("new.yaml", 14),
        ("new.yaml", 19),
        ("new.yaml", 23),
        ("new.yaml", 26),
        ("new.yaml", 40),
        ("old.yaml", 16),
    ]
    assert result.exit_code == 1
    bad = CliRunner().invoke(main, ["lint", ".", "--diff-base", "no-such-ref"])
    assert bad.exit_code == 2 and "--diff-base no-such-ref" in bad.output


def test_json_report_parses_when_empty_and_full(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(CLEAN)
    empty = json.loads(run("lint", str(tmp_path / "ok.yaml"), "-f", "json").output)
    assert empty["findings"] == [] and empty["tool"] == "manifestlint"
    full = json.loads(run("lint", str(BAD_POD), "-f", "json").output)
    assert len(full["findings"]) > 5 and all(f["fingerprint"] for f in full["findings"])


def test_baseline_hides_known_findings_and_shows_new_ones(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy.yaml").write_text(BAD_POD.read_text())
    written = run("lint", "deploy.yaml", "--write-baseline", "baseline.json")
    assert written.exit_code == 0 and "recorded" in written.stderr
    recorded = int(written.stderr.split("recorded ")[1].split()[0])
    assert recorded > 10
    assert run("lint", "deploy.yaml", "--baseline", "baseline.json").exit_code == 0
    # Unrelated edits move every finding down: still hidden.
    (tmp_path / "deploy.yaml").write_text("# moved\n\n" + BAD_POD.read_text())
    moved = run("lint", "deploy.yaml", "--baseline", "baseline.json", "-q")
    assert moved.stdout.strip() == "" and moved.exit_code == 0
    assert f"{recorded} finding(s) hidden by the baseline" in moved.stderr
    # A new problem (a new container) is reported, the known ones stay hidden.
    text = BAD_POD.read_text().replace(
        "        - name: explicit-root",
        "        - name: newcomer\n          image: x:1\n        - name: explicit-root",
    )
    (tmp_path / "deploy.yaml").write_text(text)
    result = run("lint", "deploy.yaml", "--baseline", "baseline.json", "-f", "json")
    findings = json.loads(result.stdout)["findings"]
    assert findings and all("newcomer" in f["message"] for f in findings)
    assert result.exit_code == 1
    (tmp_path / "bad.json").write_text("{}")
    bad = run("lint", "deploy.yaml", "--baseline", "bad.json")
    assert bad.exit_code == 2 and "not a manifestlint baseline" in bad.output


def test_kubernetes_version_as_kubectl_prints_it(tmp_path: Path) -> None:
    """`v1.29` and `1.29.3` mean the minor release 1.29, on the command line and in the config."""
    for given in ("1.29", "v1.29", "1.29.3", "v1.29.3"):
        result = run("lint", str(BAD_POD), "--kubernetes-version", given, "--select", "k8s-run-as-root")
        assert result.exit_code == 1, (given, result.output)
    (tmp_path / ".manifestlint.yaml").write_text("kubernetes-version: v1.29.3\n")
    (tmp_path / "pod.yaml").write_text(BAD_POD.read_text())
    from manifestlint.config import load_config
    from manifestlint.registry import load_registry

    assert load_config(None, tmp_path, load_registry()).kubernetes_version == "1.29"
    for wrong in ("2.0", "1.29.3.4", "v1", "latest"):
        refused = run("lint", str(BAD_POD), "--kubernetes-version", wrong)
        assert refused.exit_code == 2 and "1.29, v1.29 or 1.29.3" in refused.output, wrong


def test_output_named_like_a_format_is_a_usage_error(tmp_path: Path) -> None:
    """checkov's `-o sarif` habit wrote the text report into a file named `sarif`."""
    for fmt in ("sarif", "json", "junit"):
        result = run("lint", str(BAD_POD), "-o", fmt, cwd=tmp_path)
        assert result.exit_code == 2 and f"did you mean `-f {fmt}`?" in result.output
    assert not list(tmp_path.rglob("sarif"))
    # a format given, or a path that only ends in the name, is what the user meant
    explicit = run("lint", str(BAD_POD), "-f", "sarif", "-o", "sarif", cwd=tmp_path)
    assert explicit.exit_code == 1
    dotted = run("lint", str(BAD_POD), "-o", "./json", cwd=tmp_path)
    assert dotted.exit_code == 1


def test_stdin_is_one_file_without_the_checkout_around_it(tmp_path: Path, monkeypatch) -> None:
    """`cat alerts.yml | manifestlint lint -` in a checkout was judged against the checkout's
    project (0 findings; 3 with --no-context): standard input has no project unless
    --stdin-filename places it in one."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "alertmanager.yml").write_text(
        "route: {receiver: pager, routes: [{receiver: pager, matchers: ['severity=\"critical\"']}]}\n"
        "receivers: [{name: pager}]\n"
    )
    alerts = (
        "groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n    labels: {severity: page}\n"
    )
    monkeypatch.chdir(tmp_path)
    alone = run("lint", "-", "-f", "json", stdin=alerts)
    without = run("lint", "-", "-f", "json", "--no-context", stdin=alerts)
    rules = lambda r: sorted(f["rule"] for f in json.loads(r.stdout)["findings"])  # noqa: E731
    assert rules(alone) == rules(without) and rules(alone)
    placed = run("lint", "-", "-f", "json", "--stdin-filename", "mon/alerts.yml", stdin=alerts)
    assert "alertmanager-unrouted-severity" in rules(placed)  # judged with the project's routes
    assert "alertmanager-unrouted-severity" not in rules(alone)


def test_baseline_says_what_was_accepted(tmp_path: Path, monkeypatch) -> None:
    """Beside each fingerprint: rule, path, line and message, one finding a line, sorted; a
    format-1 baseline (fingerprints alone) still hides what it recorded."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy.yaml").write_text(BAD_POD.read_text())
    assert run("lint", "deploy.yaml", "--write-baseline", "b.json").exit_code == 0
    text = (tmp_path / "b.json").read_text()
    data = json.loads(text)
    entries = data["findings"]
    report = json.loads(run("lint", "deploy.yaml", "-f", "json").stdout)["findings"]
    assert data["format"] == "manifestlint-baseline/2" and len(entries) == len(report) > 10
    assert {(e["rule"], e["path"], e["line"], e["message"]) for e in entries} == {
        (f["rule"], f["path"], f["line"], f["message"]) for f in report
    }
    rows = [(e["path"], e["line"], e["rule"], e["fingerprint"]) for e in entries]
    assert rows == sorted(rows)
    assert len(text.splitlines()) == len(entries) + 4  # one finding a line: diff-friendly
    assert run("lint", "deploy.yaml", "--write-baseline", "again.json").exit_code == 0
    assert (tmp_path / "again.json").read_text() == text  # stable
    old = {"format": "manifestlint-baseline/1", "fingerprints": [e["fingerprint"] for e in entries]}
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert run("lint", "deploy.yaml", "--baseline", "old.json").exit_code == 0


def test_explain_answers_peer_check_ids() -> None:
    """A user switching from hadolint or checkov asks for the ids they know."""
    from manifestlint.registry import load_registry

    registry = load_registry()
    for query in ("DL3002", "dl3002", "hadolint DL3002", "hadolint:DL3002"):
        result = run("explain", query)
        assert result.exit_code == 0, query
        assert "manifestlint covers it with:" in result.output and "docker-root-user" in result.output
        assert "# docker-root-user" in result.output  # one rule: its page follows
    # every reference of every rule answers with that rule
    for rule in registry:
        for ref in rule.references:
            peer_id = ref.split()[1] if len(ref.split()) > 1 else ref
            assert rule.id in run("explain", peer_id).output, (rule.id, ref)
    unknown = run("explain", "DL9999")
    assert unknown.exit_code == 2


def test_rules_json_for_tooling() -> None:
    rules = json.loads(run("rules", "--format", "json").output)
    root = next(r for r in rules if r["id"] == "docker-root-user")
    assert "hadolint DL3002" in root["references"] and root["docs"] == "docs/rules/docker-root-user.md"
    assert all(
        {"id", "severity", "enabled", "title", "tags", "checklist", "references"} <= set(r) for r in rules
    )


def test_two_configuration_files_in_one_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / ".manifestlint.yaml").write_text("fail-on: error\n")
    (tmp_path / ".manifestlint.yml").write_text("fail-on: note\n")
    (tmp_path / "ok.yaml").write_text(CLEAN)
    result = run("lint", "ok.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert ".manifestlint.yaml and .manifestlint.yml" in result.output


def test_verbose_names_the_configuration(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.yaml").write_text(CLEAN)
    (tmp_path / ".git").mkdir()
    assert "configuration: none found (defaults)" in run("lint", "-v", "ok.yaml").stderr
    (tmp_path / ".manifestlint.yml").write_text("fail-on: error\n")
    said = run("lint", "-v", "ok.yaml").stderr
    assert f"configuration: {tmp_path.resolve() / '.manifestlint.yml'}" in said
