"""Bad input gets a clear finding and the run goes on: never a traceback, never a hang."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from conftest import run_file

from manifestlint.cli import main

POD = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: a:1\n"
)


def _rules(result) -> list[tuple[int, str]]:
    return [(f.span.line, f.rule) for f in result.findings]


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "blob.yaml"
    path.write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    result = run_file(path)
    assert _rules(result) == [(1, "manifestlint-unreadable-file")]
    assert "binary" in result.findings[0].message


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("kind: Pod\nname: caf\xe9\n".encode("latin-1"))
    result = run_file(path)
    assert _rules(result) == [(1, "manifestlint-unreadable-file")]
    assert "0xe9" in result.findings[0].message


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_bytes(POD.encode("utf-16"))
    assert "k8s-run-as-root" in {f.rule for f in run_file(path).findings}


def test_empty_and_comment_only_files(tmp_path: Path) -> None:
    for name, text in (("empty.yaml", ""), ("comments.yaml", "# nothing\n"), ("Dockerfile", "")):
        path = tmp_path / name
        path.write_text(text)
        result = run_file(path)
        if name == "Dockerfile":
            assert {f.rule for f in result.findings} == {"docker-syntax-error"}  # no FROM: a build fails
        else:
            assert result.findings == []


def test_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("a: b\n" * 2_200_000)
    result = run_file(path)
    assert _rules(result) == [(1, "manifestlint-unreadable-file")]


def test_alias_bomb_and_deep_nesting(tmp_path: Path) -> None:
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb) + "\n---\n" + POD)
    result = run_file(tmp_path / "bomb.yaml")
    rules = _rules(result)
    assert (1, "manifestlint-unreadable-file") in rules
    assert (6 + 11, "k8s-run-as-root") in rules  # the next document is still linted
    (tmp_path / "deep.yaml").write_text("[" * 200_000)
    assert _rules(run_file(tmp_path / "deep.yaml")) == [(1, "manifestlint-unreadable-file")]


def test_odd_dockerfiles_never_raise(tmp_path: Path) -> None:
    cases = [
        "FROM",
        "FROM a\nRUN \\",
        "FROM a\nRUN <<EOF\nunterminated",
        "\\\n\\\n",
        "FROM a\n\x00\x01",
        "FROM a AS",
        "RUN apt-get update && apt-get install -y curl\n",  # instructions before any FROM (found by fuzzing)
    ]
    for i, text in enumerate(cases):
        path = tmp_path / f"case{i}.Dockerfile"
        path.write_text(text)
        result = run_file(path)
        assert all(f.rule != "manifestlint-internal-error" for f in result.findings)


def test_unreadable_file_does_not_stop_the_run(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes(b"\xff\xfe\xfd")
    (tmp_path / "pod.yaml").write_text(POD)
    runner = CliRunner()
    result = runner.invoke(main, ["lint", str(tmp_path), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert "manifestlint-unreadable-file" in result.output and "k8s-run-as-root" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
