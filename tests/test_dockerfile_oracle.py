"""dockerfile-parse as an independent oracle for our Dockerfile scanner.

Our parser replaces dockerfile-parse because it is wrong where BuildKit is subtle (heredoc bodies
and blank lines inside continuations become instructions, research/dockerfile.md §4). Where it is
right — all 89 corpus Dockerfiles without a heredoc — both agree on every instruction's keyword,
first line and last line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from manifestlint.parse.dockerfile import parse_dockerfile

dockerfile_parse = pytest.importorskip("dockerfile_parse", reason="dockerfile-parse is a test dependency")

CASES = [
    "FROM alpine:3.20\nRUN apk add --no-cache curl \\\n    git \\\n    make\nUSER app\n",
    'from alpine:3.20 as base\nrun echo hi\nonbuild run make\ncmd ["sh", "-c", "echo"]\n',
    "ARG V=1\nFROM alpine:${V}\n# comment\nENV A=1 \\\n  B=2\nHEALTHCHECK CMD true\n",
]


def structure(text: str) -> tuple[list, list]:
    theirs = dockerfile_parse.DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8"))).structure
    theirs = [
        (s["instruction"], s["startline"] + 1, s["endline"] + 1)
        for s in theirs
        if s["instruction"] != "COMMENT"
    ]
    ours = [
        (i.keyword, i.span.line, i.span.end_line) for i in parse_dockerfile(text, "Dockerfile").instructions
    ]
    return theirs, ours


@pytest.mark.parametrize("text", CASES)
def test_same_structure_on_plain_dockerfiles(text: str) -> None:
    theirs, ours = structure(text)
    assert ours == theirs


def test_same_structure_on_every_corpus_dockerfile_without_heredocs(corpus: Path) -> None:
    files = [
        p
        for p in corpus.rglob("*")
        if p.is_file() and (p.name.startswith("Dockerfile") or p.name.endswith(".Dockerfile"))
    ]
    compared = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        if "<<" in text:
            continue  # dockerfile-parse reads heredoc bodies as instructions: not an oracle there
        theirs, ours = structure(text)
        assert ours == theirs, path
        compared += 1
    assert compared >= 80  # most of the 117 corpus Dockerfiles have no heredoc


@pytest.mark.parametrize(
    "text",
    [
        "FROM alpine:3.20\nRUN <<EOF\napk add curl\nEOF\nUSER app\n",  # heredoc body
        "FROM alpine:3.20\nRUN apk add \\\n\n    make\nUSER app\n",  # blank line inside a continuation
    ],
)
def test_where_dockerfile_parse_is_wrong_we_follow_buildkit(text: str) -> None:
    theirs, ours = structure(text)
    assert [k for k, _, _ in ours] == ["FROM", "RUN", "USER"]
    assert [k for k, _, _ in theirs] != [k for k, _, _ in ours]  # it invents APK / EOF / MAKE instructions
