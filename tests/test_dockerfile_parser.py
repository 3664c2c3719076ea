"""The Dockerfile scanner against the tricky cases of research/dockerfile.md §4.

Every case asserts positions (line and column): exact spans are the point of the parser.
"""

from __future__ import annotations

import random

import pytest
from conftest import corpus_dir

from manifestlint.model import Span
from manifestlint.parse.dockerfile import parse_dockerfile


def parse(text: str):
    return parse_dockerfile(text, "Dockerfile")


def kinds(df) -> list[str]:
    return [i.keyword for i in df.instructions]


def test_escape_directive_backtick():  # case 1
    df = parse(
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "RUN dir `\n    c:\\\nCOPY testfile.txt c:\\\n"
    )
    assert df.escape == "`"
    assert df.directives["escape"] == ("`", Span(1, 10, 1, 11))
    assert kinds(df) == ["FROM", "RUN", "COPY"]
    run = df.instructions[1]
    assert run.args == " dir     c:\\"
    assert run.span == Span(3, 1, 4, 8)
    assert run.span_of("c:\\") == Span(4, 5, 4, 8)
    assert df.instructions[2].span == Span(5, 1, 5, 22)
    assert df.errors == []


def test_escape_after_syntax_directive_and_not_after_instruction():  # cases 1b, 1c
    df = parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM x:1\nRUN a `\n  b\n")
    assert df.escape == "`" and df.directives["syntax"][0] == "docker/dockerfile:1"
    assert df.instructions[1].span == Span(4, 1, 5, 4)
    late = parse("FROM x:1\n# escape=`\nRUN a `\n  b\n")
    assert late.escape == "\\" and "escape" not in late.directives
    assert kinds(late) == ["FROM", "RUN", "B"]
    assert late.errors == [(Span(4, 3, 4, 4), "unknown instruction 'b'")]


def test_check_directive():  # case 2
    df = parse("# syntax=docker/dockerfile:1.7\n# check=skip=JSONArgsRecommended\nFROM alpine:3.20\n")
    assert df.directives["check"] == ("skip=JSONArgsRecommended", Span(2, 9, 2, 33))


def test_continuation_with_comments_blank_and_whitespace_lines():  # cases 3, 11, 12
    text = (
        "FROM debian:12\n"
        "RUN apt-get update && \\\n"
        "    # install curl\n"
        "\n"
        "   \t \n"
        "    apt-get install -y curl && \\\n"
        "# col-0 comment\n"
        "    rm -rf /var/lib/apt/lists/*\n"
        "USER app\n"
    )
    df = parse(text)
    assert kinds(df) == ["FROM", "RUN", "USER"]
    run = df.instructions[1]
    assert run.args == " apt-get update &&     apt-get install -y curl &&     rm -rf /var/lib/apt/lists/*"
    assert run.span == Span(2, 1, 8, 32)
    assert run.span_of("apt-get install") == Span(6, 5, 6, 20)
    assert run.span_of("rm -rf") == Span(8, 5, 8, 11)
    assert run.locate(run.args.index("update")) == (2, 13)
    assert df.instructions[2].span.line == 9


def test_heredocs():  # case 4
    text = (
        "FROM alpine:3.20\n"
        "RUN <<EOT\n"
        "set -e\n"
        "apk add --no-cache curl\n"
        "EOT\n"
        "COPY <<EOT /etc/motd\n"
        "Hello FROM heredoc\n"
        "RUN not an instruction\n"
        "EOT\n"
        "USER app\n"
    )
    df = parse(text)
    assert kinds(df) == ["FROM", "RUN", "COPY", "USER"]
    run, copy = df.instructions[1], df.instructions[2]
    assert run.span == Span(2, 1, 5, 4)
    assert run.heredocs[0].name == "EOT" and run.heredocs[0].body == "set -e\napk add --no-cache curl"
    assert run.heredocs[0].span_of(run.heredocs[0].body.index("curl"), 4) == Span(4, 20, 4, 24)
    assert copy.heredocs[0].body == "Hello FROM heredoc\nRUN not an instruction"
    assert df.instructions[3].span == Span(10, 1, 10, 9)  # directly after the terminator
    assert df.errors == []


def test_heredoc_chomp_quoted_and_several_on_one_line():
    text = 'FROM alpine:3.20\nRUN <<-A cat > /x && <<"B" sh\n\tone\n\tA\necho $HOME\nB\nUSER app\n'
    df = parse(text)
    run = df.instructions[1]
    assert [(h.name, h.chomp, h.quoted, h.body) for h in run.heredocs] == [
        ("A", True, False, "one"),
        ("B", False, True, "echo $HOME"),
    ]
    assert run.span == Span(2, 1, 6, 2)
    assert df.instructions[2].keyword == "USER" and df.instructions[2].line == 7


def test_unterminated_heredoc_is_an_error():
    df = parse("FROM alpine:3.20\nRUN <<EOF\necho hi\n")
    assert df.errors == [(Span(2, 1, 2, 4), "heredoc <<EOF is never terminated")]
    assert df.instructions[1].span.end_line == 3


def test_here_string_and_quoted_marker_are_not_heredocs():
    df = parse('FROM alpine:3.20\nRUN cat <<<"x" && echo "a <<EOF b"\nUSER app\n')
    assert df.instructions[1].heredocs == [] and kinds(df) == ["FROM", "RUN", "USER"]


def test_json_and_shell_form():  # case 5
    df = parse(
        'FROM alpine:3.20\nCMD ["echo","hello world"]\nENTRYPOINT echo hi\n'
        'CMD [ "broken json"\nRUN [ -f /x ] && echo\n'
    )
    cmd, ep, broken, run = df.instructions[1:]
    assert cmd.exec_form == ["echo", "hello world"]
    assert ep.exec_form is None and ep.body == "echo hi"
    assert broken.exec_form is None
    assert run.exec_form is None
    assert df.errors == [
        (
            Span(4, 5, 4, 20),
            "CMD argument is not a valid JSON array of strings (Docker would run it as a shell command)",
        )
    ]


def test_global_args_resolve_from():  # case 6
    df = parse("ARG VERSION=3.19\nARG REG=docker.io\nFROM ${REG}/alpine:${VERSION} AS base\n")
    assert df.global_args == {"VERSION": "3.19", "REG": "docker.io"}
    stage = df.stages[0]
    assert stage.base == "${REG}/alpine:${VERSION}" and stage.base_resolved == "docker.io/alpine:3.19"
    assert stage.base_span() == Span(3, 6, 3, 30)
    assert df.instructions[0].stage == -1 and stage.name == "base"


def test_from_platform_and_stage_names():  # case 7
    df = parse("FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\nRUN go build\nfrom build as final\n")
    build, final = df.stages
    assert build.platform == "$BUILDPLATFORM" and build.name == "build" and build.base == "golang:1.22"
    assert build.base_span() == Span(1, 32, 1, 43)
    assert final.parent_stage == 0 and final.base == "build" and final.name == "final"
    assert df.final_stage is final
    assert [i.keyword for i in build.instructions] == ["RUN"]


def test_copy_flags():  # case 8
    df = parse(
        "FROM golang:1.22 AS Build\nFROM alpine:3.20\n"
        "COPY --from=Build --chown=65532:65532 --chmod=755 /out/app /app\n"
        "COPY --from=0 /a /b\nCOPY --from=nginx:1.25 /etc/nginx /etc/nginx\n"
    )
    copy = df.instructions[2]
    assert copy.flags == {"from": ["Build"], "chown": ["65532:65532"], "chmod": ["755"]}
    assert copy.span_of(copy.flag_offsets["from"], 5) == Span(3, 13, 3, 18)
    assert copy.body == "/out/app /app"
    assert df.stage_by_ref("build").index == 0 and df.stage_by_ref("0").index == 0
    assert df.stage_by_ref("nginx:1.25") is None


def test_run_mount_across_continuations():  # case 9
    df = parse(
        "FROM golang:1.22\n"
        "RUN --mount=type=cache,target=/root/.cache/go-build \\\n"
        "    --mount=type=secret,id=npmrc,target=/root/.npmrc \\\n"
        "    go build ./...\n"
    )
    run = df.instructions[1]
    assert run.flags["mount"] == [
        "type=cache,target=/root/.cache/go-build",
        "type=secret,id=npmrc,target=/root/.npmrc",
    ]
    assert run.body == "go build ./..."
    assert run.span_of(run.body_start, 2) == Span(4, 5, 4, 7)


def test_onbuild():  # case 10
    df = parse("FROM node:20\nONBUILD RUN npm ci \\\n  && npm test\nONBUILD ONBUILD RUN x\n")
    trigger = df.instructions[1].onbuild
    assert trigger.keyword == "RUN" and trigger.keyword_span == Span(2, 9, 2, 12)
    assert trigger.span_of("npm test") == Span(3, 6, 3, 14)
    assert df.errors == [(Span(4, 9, 4, 16), "ONBUILD is not allowed as an ONBUILD trigger")]


def test_windows_paths_with_backtick():  # case 13
    df = parse(
        "# escape=`\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
        'WORKDIR C:\\app\nENV PATH="C:\\tools;${PATH}"\n'
    )
    assert df.instructions[1].body == "C:\\app"
    assert df.instructions[2].pairs == [("PATH", "C:\\tools;${PATH}", 1)]
    assert df.errors == []


def test_lowercase_legacy_env_and_bad_env():  # case 14
    df = parse('from alpine:3.19\nrun echo\nENV LEGACY value with spaces\nEXPOSE 80/tcp\nENV A=1 B="x y" C\n')
    assert kinds(df) == ["FROM", "RUN", "ENV", "EXPOSE", "ENV"]
    assert df.instructions[2].pairs == [("LEGACY", "value with spaces", 1)]
    assert df.instructions[4].pairs[:2] == [("A", "1", 1), ("B", "x y", 5)]
    assert df.errors == [(Span(5, 17, 5, 18), "ENV: expected name=value, found 'C'")]


def test_crlf_gives_the_same_columns():  # case 15
    lf = "FROM alpine:3.20\nRUN echo a \\\n    && echo b\nUSER app\n"
    a, b = parse(lf), parse(lf.replace("\n", "\r\n"))
    assert [(i.keyword, i.args, i.span) for i in a.instructions] == [
        (i.keyword, i.args, i.span) for i in b.instructions
    ]
    assert b.instructions[1].span == Span(2, 1, 3, 14)


def test_instruction_before_from_and_no_from():  # case 16
    df = parse("RUN echo before from\nFROM alpine\n")
    assert df.errors == [(Span(1, 1, 1, 4), "RUN before the first FROM (only ARG may come first)")]
    assert parse("ARG X=1\n").errors == [(Span(1, 1, 1, 4), "no FROM instruction: nothing to build")]
    assert parse("").errors[0][1] == "empty Dockerfile: no instructions"


def test_digest_pinned_from():  # case 17
    df = parse("FROM alpine@sha256:" + "a" * 64 + "\n")
    assert df.stages[0].base_resolved.endswith("a" * 64) and df.errors == []


def test_tabs_count_as_one_column():
    df = parse("FROM alpine:3.20\n\tRUN\techo hi\n")
    run = df.instructions[1]
    assert run.keyword_span == Span(2, 2, 2, 5) and run.span_of("echo") == Span(2, 6, 2, 10)


def test_fuzz_never_raises():
    rng = random.Random(20240601)
    pieces = [
        "FROM a\n",
        "RUN <<EOF\n",
        "EOF\n",
        "\\\n",
        "`\n",
        "# escape=`\n",
        "ONBUILD ",
        '["',
        "--mount=",
        "COPY --from=",
        "\r\n",
        "\t",
        " ",
        "ARG X=${Y:-z}\n",
        "<<-",
        'ENV A="b\n',
        "\x00",
        "é",
    ]
    for _ in range(400):
        if rng.random() < 0.5:
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        else:
            text = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300))).decode("utf-8", "replace")
        for cut in (len(text), len(text) // 2):
            df = parse(text[:cut])
            for instr in df.instructions:
                instr.span_of(0, len(instr.args) + 5)
                instr.locate(len(instr.args) + 3)
    huge = parse("FROM a:1\nRUN " + "x" * 200_000 + " \\\n" * 3)
    assert huge.instructions[1].span.line == 2
    assert parse("\\").errors and parse("\\\n\\\n").errors


def test_corpus_dockerfiles_parse_cleanly():
    root = corpus_dir()
    if root is None:
        pytest.skip("no corpus: set MANIFESTLINT_CORPUS or place it at <repo>/../shared/corpus")
    files = [
        p
        for p in root.rglob("*")
        if p.is_file() and (p.name.startswith("Dockerfile") or p.name.endswith(".Dockerfile"))
    ]
    assert files
    for path in files:
        df = parse_dockerfile(path.read_text(encoding="utf-8", errors="replace"), str(path))
        assert df.errors == [], path
        assert df.stages, path
        for instr in df.instructions:
            line, col = instr.locate(0)
            assert 1 <= line <= len(df.lines) and col >= 1
