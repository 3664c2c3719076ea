"""`-f github` as GitHub Actions reads it: annotations most severe first, a stderr line saying
how many GitHub will not show (10 per type per step, 50 per job), every finding in
`$GITHUB_STEP_SUMMARY`, and `file=` relative to `$GITHUB_WORKSPACE` (not the step's cwd)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from manifestlint.cli import main

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p{n}
  namespace: default
spec:
  containers:
    - name: c
      image: nginx
"""


def lint(cwd: Path, *args: str, env: dict[str, str] | None = None):
    runner = CliRunner()
    base = {"GITHUB_STEP_SUMMARY": "", "GITHUB_WORKSPACE": ""}
    result = runner.invoke(main, ["lint", "-f", "github", *args], env={**base, **(env or {})})
    assert result.exit_code in (0, 1), result.output
    return result


def annotations(stdout: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for line in stdout.splitlines():
        match = re.match(r"::(error|warning|notice) ([^:]*)::", line)
        assert match, line
        props = dict(p.split("=", 1) for p in match.group(2).split(","))
        out.append((match.group(1), props))
    return out


def test_severity_order_limits_and_step_summary(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "pods.yaml").write_text("---\n".join(POD.format(n=n) for n in range(12)))
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = lint(tmp_path, "pods.yaml", env={"GITHUB_STEP_SUMMARY": str(summary)})
    found = annotations(result.stdout)
    levels = [level for level, _ in found]
    rank = {"error": 0, "warning": 1, "notice": 2}
    assert levels == sorted(levels, key=rank.__getitem__)  # most severe first
    counts = {level: levels.count(level) for level in rank}
    assert counts["error"] > 10 and counts["warning"] > 10  # enough to hit GitHub's limits
    # what GitHub drops: beyond 10 of a type in the step (3 types: the job's 50 is not reached)
    hidden = len(found) - sum(min(count, 10) for count in counts.values())
    assert f"{hidden} of {len(found)} will not be shown" in result.stderr
    assert "step summary" in result.stderr
    text = summary.read_text()
    assert text.startswith("earlier step\n## manifestlint\n")  # appended, not overwritten
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == len(found)  # every finding, not just the shown ones
    assert rows[0].startswith("| error |") and rows[-1].startswith(
        f"| {'note' if counts['notice'] else 'warning'} |"
    )


def test_no_warning_when_everything_is_shown(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    result = lint(tmp_path, "Dockerfile")
    assert annotations(result.stdout) and result.stderr == ""


def test_file_is_relative_to_the_workspace_not_the_cwd(tmp_path: Path, monkeypatch) -> None:
    app = tmp_path / "services" / "api"
    app.mkdir(parents=True)
    (app / "Dockerfile").write_text("FROM alpine:3.20\n")
    monkeypatch.chdir(app)  # `working-directory: services/api`
    result = lint(app, "Dockerfile", env={"GITHUB_WORKSPACE": str(tmp_path)})
    files = {props["file"] for _, props in annotations(result.stdout)}
    assert files == {"services/api/Dockerfile"}
    result = lint(app, "Dockerfile")  # outside Actions: as given
    assert {props["file"] for _, props in annotations(result.stdout)} == {"Dockerfile"}


def test_summary_escapes_markdown(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a|b").mkdir()
    (tmp_path / "a|b" / "Dockerfile").write_text("FROM alpine:3.20\n")
    summary = tmp_path / "summary.md"
    lint(tmp_path, "a|b/Dockerfile", env={"GITHUB_STEP_SUMMARY": str(summary)})
    rows = [line for line in summary.read_text().splitlines() if "Dockerfile" in line]
    assert rows and all("a\\|b/Dockerfile:1:1" in row for row in rows)
    assert all(row.count(" | ") == 3 for row in rows)  # four cells, the pipe in the name escaped


def test_step_summary_with_any_format(tmp_path, monkeypatch) -> None:
    """--step-summary: one pass writes the SARIF and the job summary (the Action linted twice)."""
    import json as json_mod

    from click.testing import CliRunner

    from manifestlint.cli import main

    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    summary = tmp_path / "summary.md"
    monkeypatch.chdir(tmp_path)
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    result = CliRunner().invoke(main, ["lint", "-f", "sarif", "--step-summary", "Dockerfile"], env=env)
    assert result.exit_code == 1 and json_mod.loads(result.stdout)["version"] == "2.1.0"
    assert "docker-root-user" in summary.read_text()
    plain = CliRunner().invoke(
        main, ["lint", "-f", "sarif", "Dockerfile"], env={"GITHUB_STEP_SUMMARY": str(tmp_path / "none.md")}
    )
    assert plain.exit_code == 1 and not (tmp_path / "none.md").exists()  # only when asked
    once = tmp_path / "once.md"
    CliRunner().invoke(
        main, ["lint", "-f", "github", "--step-summary", "Dockerfile"], env={"GITHUB_STEP_SUMMARY": str(once)}
    )
    assert once.read_text().count("docker-root-user") == summary.read_text().count("docker-root-user")
