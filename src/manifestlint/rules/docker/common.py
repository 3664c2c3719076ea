"""What the Dockerfile rules share: RUN scripts read as simple commands (words with their
offsets, split at `&&`, `||`, `;`, `|`, `&` and newlines: enough to see `apt-get install` as a
command rather than a substring, without a full shell parser), and the stages that make the
image (the final stage and its parent chain: builder stages never ship).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from manifestlint.model import Edit, Fix, Span
from manifestlint.parse.dockerfile import Dockerfile, Instruction, unquote
from manifestlint.project.images import (
    SERVICE,
    ImageRole,
    image_chain,
    name_role,
)

# Runs of plain characters (and of a quoted string's characters) are taken whole, not one per
# repetition: Python's `re` keeps a backtracking state per repetition of a group, and a
# 9.9 MB single-line RUN took 1.7 GB that way.
_TOKEN = re.compile(
    r"""(?P<op>&&|\|\||[;|&\n()])|(?P<word>(?:>&|[^\s"';&|()]+|"(?:\\.|[^"\\]+)*"?|'[^']*'?)+)"""
)


_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


_WRAPPERS = frozenset({"sudo", "env", "exec", "command", "nohup", "time", "nice", "doas"})


_SHELL_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{"})


_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})


Word = tuple[str, int, int]  # (unquoted text, offset, raw length)


SpanFn = Callable[[int, int], Span]


def _scripts(instr: Instruction) -> list[tuple[str, SpanFn]]:
    """Shell text a RUN executes: its shell-form body and any heredoc fed to a shell. An
    `ONBUILD RUN` trigger is judged like a RUN: it runs in every image built FROM this one."""
    if instr.keyword == "ONBUILD" and instr.onbuild is not None and instr.onbuild.keyword == "RUN":
        return _scripts(instr.onbuild)
    if instr.keyword != "RUN" or instr.exec_form is not None:
        return []
    base = instr.body_start
    out: list[tuple[str, SpanFn]] = [(instr.body, lambda off, n, i=instr, b=base: i.span_of(off + b, n))]
    if instr.heredocs:
        lead = re.sub(r"\d*<<-?\S+", " ", instr.body).split()
        while lead and _ASSIGN.match(lead[0]):
            lead.pop(0)
        if not lead or lead[0].rsplit("/", 1)[-1] in _SHELLS:
            for doc in instr.heredocs:
                out.append((doc.body, doc.span_of))
    return out


_COMMANDS: dict[str, list[tuple[str, list[Word]]]] = {}


def _commands(text: str) -> list[tuple[str, list[Word]]]:
    """Simple commands of a shell snippet: (operator before it, words).

    Memoised: some twenty rules read the same RUN scripts, and tokenizing dominated the pack's
    time. Callers only read the result."""
    cached = _COMMANDS.get(text)
    if cached is None:
        if len(_COMMANDS) >= 4096:
            _COMMANDS.clear()
        cached = _COMMANDS[text] = _tokenize_commands(text)
    return cached


def _tokenize_commands(text: str) -> list[tuple[str, list[Word]]]:
    result: list[tuple[str, list[Word]]] = []
    words: list[Word] = []
    op = ""
    for m in _TOKEN.finditer(text):
        if m.group("op") is not None:
            if words:
                result.append((op, words))
                words = []
            op = m.group("op")
        else:
            raw = m.group("word")
            words.append((unquote(raw), m.start(), len(raw)))
    if words:
        result.append((op, words))
    return result


def _program(words: list[Word]) -> int:
    """Index of the program word: skips `VAR=x` prefixes and wrappers such as sudo / env."""
    i = 0
    while i < len(words):
        word = words[i][0]
        if _ASSIGN.match(word) or word in _SHELL_KEYWORDS:
            i += 1
        elif word in _WRAPPERS:
            i += 1
            while i < len(words) and words[i][0].startswith("-"):
                i += 2 if words[i][0] in ("-u", "-g") else 1
        else:
            return i
    return len(words)


def _prog_name(words: list[Word], i: int) -> str:
    return words[i][0].rsplit("/", 1)[-1] if i < len(words) else ""


Invocation = tuple[str, list[Word], int, SpanFn, str]
_INVOKED: dict[int, tuple[Instruction, list[Invocation]]] = {}


def _invocations(instr: Instruction) -> list[Invocation]:
    """(program, words, program index, span function, the whole script) for each command.

    Memoised per instruction (the instruction is held while cached, so its id cannot be
    reused): some forty rules walk the commands of every RUN, and finding each command's
    program word again for each of them was a fifth of the Dockerfile pack's time."""
    cached = _INVOKED.get(id(instr))
    if cached is not None and cached[0] is instr:
        return cached[1]
    found = []
    for text, span_fn in _scripts(instr):
        for _, words in _commands(text):
            i = _program(words)
            if i < len(words):
                found.append((_prog_name(words, i), words, i, span_fn, text))
    if len(_INVOKED) >= 4096:
        _INVOKED.clear()
    _INVOKED[id(instr)] = (instr, found)
    return found


def _word_span(words: list[Word], i: int, span_fn: SpanFn, last: int | None = None) -> Span:
    start = words[i][1]
    end_word = words[last if last is not None else i]
    return span_fn(start, end_word[1] + end_word[2] - start)


def _stage_label(df: Dockerfile, instr: Instruction, outside: str = "") -> str:
    """The stage an instruction belongs to; instructions before any FROM (a broken file, or
    global ARGs) belong to none."""
    return df.stages[instr.stage].label if 0 <= instr.stage < len(df.stages) else outside


_chain = image_chain  # the final stage and the stages it is built FROM, final first


def _chain_instructions(df: Dockerfile) -> list[Instruction]:
    """Instructions that build the final image, in file order."""
    return [i for stage in reversed(_chain(df)) for i in stage.instructions]


def _role(df: Dockerfile, ctx) -> ImageRole:
    """The image's role (project/images.py): service, or a tool/CI/test/dev image that the
    service rules (HEALTHCHECK, root user, build tools, minimal base) do not apply to."""
    project = getattr(ctx, "project", None)
    if project is not None:
        return project.role(df)
    name = df.path.replace("\\", "/").rsplit("/", 1)[-1]
    return name_role(name) or ImageRole(SERVICE, "no evidence")


_WINDOWS_BASE = re.compile(r"windows|nanoserver|servercore|ltsc\d{4}", re.IGNORECASE)


# ------------------------------------------------------------------ commands by program
# Some thirty rules look for one or two programs (`wget`, `zypper`, `useradd`); walking every
# command of every RUN for each of them was most of the Dockerfile pack's time. The index is
# built on the first request for a Dockerfile and kept for the few most recent ones (a lint
# call runs all rules on one file before the next).


class Call(NamedTuple):
    instr: Instruction
    prog: str
    words: list[Word]
    i: int  # index of the program word
    span_fn: SpanFn
    text: str  # the whole script


_INDEX: dict[int, tuple[Dockerfile, dict[str, list[Call]]]] = {}


_KEEP = 8


def program_index(df: Dockerfile) -> dict[str, list[Call]]:
    """Program name -> its calls, in file order (the Dockerfile is held while cached, so its
    id cannot be reused by another)."""
    cached = _INDEX.get(id(df))
    if cached is not None and cached[0] is df:
        return cached[1]
    index: dict[str, list[Call]] = {}
    for instr in df.instructions:
        for prog, words, i, span_fn, text in _invocations(instr):
            index.setdefault(prog, []).append(Call(instr, prog, words, i, span_fn, text))
    if len(_INDEX) >= _KEEP:
        _INDEX.clear()
    _INDEX[id(df)] = (df, index)
    return index


def calls(df: Dockerfile, *programs: str) -> Iterator[Call]:
    """The calls of `programs`, in file order."""
    index = program_index(df)
    if len(programs) == 1:
        yield from index.get(programs[0], ())
        return
    found = [c for p in programs for c in index.get(p, ())]
    found.sort(key=lambda c: (c.instr.line, c.words[c.i][1]))
    yield from found


# ------------------------------------------------------------------ fixes (manifestlint/fixes.py)


def text_at(df: Dockerfile, span: Span) -> str | None:
    """The file's text under a one-line span: what a fix's edit expects to replace (a word
    split by a line continuation has no single place, and gets no fix)."""
    if span.line != span.end_line or not 1 <= span.line <= len(df.lines) or span.end_col <= span.col:
        return None
    line = df.lines[span.line - 1]
    return line[span.col - 1 : span.end_col - 1] if span.end_col - 1 <= len(line) else None


def word_fix(df: Dockerfile, span: Span, title: str, rewrite: Callable[[str], str]) -> Fix | None:
    """A fix rewriting the text of `span` (a word, a keyword) as `rewrite(old)`."""
    old = text_at(df, span)
    if not old:
        return None
    return Fix(title, (Edit(span, rewrite(old), old),))


def after_word(
    df: Dockerfile, words: list[Word], k: int, span_fn: SpanFn, added: str, title: str
) -> Fix | None:
    """A fix writing `added` (an option) right after word `k` of a command: `install` ->
    `install --no-install-recommends`. Two such fixes of one word in one pass are merged
    (fixes.apply: `install -y --no-install-recommends`)."""
    fix = word_fix(df, span_fn(words[k][1], words[k][2]), title, lambda old: f"{old} {added}")
    if fix is None:
        return None
    edit = fix.edits[0]
    return fix._replace(edits=(edit._replace(insert=("words", "", (((added,), True),))),))
