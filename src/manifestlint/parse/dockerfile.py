"""A Dockerfile scanner that follows BuildKit's rules and remembers where everything stood.

dockerfile-parse is a line splitter: it breaks on heredocs, on blank or whitespace-only lines
inside a continuation, and gives neither columns nor flags (research/dockerfile.md §4). So this
is a small hand-written scanner instead. It mirrors what `docker build` does:

- parser directives (`# syntax=`, `# escape=`, `# check=`) only in the leading comment block;
- a line ending in the escape character (then optional spaces) continues; inside a
  continuation, comment lines and empty / whitespace-only lines are dropped;
- after the logical line of RUN / COPY / ADD, each `<<WORD` / `<<-WORD` marker reads a body up
  to its terminator line;
- leading `--flag=value` words are flags; a body starting with `[` is JSON exec form when it
  parses as a list of strings.

Each instruction keeps the joined argument text (`args`) plus the physical position of every
piece, so `locate(offset)` turns an offset in `args` back into (line, column). Columns count
characters (a tab is one column), line endings are LF or CRLF. The scanner never raises:
whatever a build would refuse lands in `Dockerfile.errors`.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from manifestlint.model import FILE_START, Span

KEYWORDS = frozenset(
    {
        *("ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK"),
        *("LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"),
    }
)
FLAGGED = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})  # instructions that take --flags
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
JSON_KEYWORDS = frozenset({"CMD", "ENTRYPOINT", "RUN", "SHELL", "COPY", "ADD", "VOLUME"})
NEEDS_ARGS = frozenset(KEYWORDS - {"CMD", "ENTRYPOINT"})

_DIRECTIVE = re.compile(r"#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")
_KNOWN_DIRECTIVES = ("syntax", "escape", "check")
_WORD = re.compile(r"""(?:[^\s"']+|"(?:\\.|[^"\\])*"?|'[^']*'?)+""")
_HEREDOC = re.compile(r"^(\d*)<<(-?)(.+)$")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
_JSONISH = re.compile(r"""^\[\s*["'].*["']\s*,\s*["']""")


@dataclass(slots=True)
class Heredoc:
    """One here-document: `<<name` (or `<<-name`, which strips leading tabs) and its body."""

    name: str
    chomp: bool
    quoted: bool  # `<<"EOF"` / `<<'EOF'`: no variable expansion in the body
    body: str  # body lines joined with "\n", terminator excluded
    line: int  # physical line of the first body line
    span: Span  # first body line to the end of the terminator line
    terminated: bool = True

    def span_of(self, offset: int, length: int = 1) -> Span:
        """Span of `body[offset:offset+length]` (same line only; the body keeps its newlines)."""
        offset = max(0, min(offset, len(self.body)))
        before = self.body.rfind("\n", 0, offset)
        line = self.line + self.body.count("\n", 0, offset)
        col = offset - before
        return Span(line, col, line, col + max(length, 1))


@dataclass(slots=True)
class Instruction:
    """One instruction. `args` is everything after the keyword, continuations joined the way
    BuildKit joins them (escape+newline removed, comment and blank lines dropped); flags stay
    in `args` so offsets are uniform, and `body_start` is the offset where the non-flag text
    begins."""

    keyword: str
    args: str
    span: Span
    keyword_span: Span
    flags: dict[str, list[str]] = field(default_factory=dict)
    exec_form: list[str] | None = None
    heredocs: list[Heredoc] = field(default_factory=list)
    stage: int = -1
    onbuild: Instruction | None = None
    body_start: int = 0
    # (offset in args, line, col) for each physical piece, ascending offsets
    segments: list[tuple[int, int, int]] = field(default_factory=list, repr=False)
    # name -> offset in args of the flag's value (first occurrence)
    flag_offsets: dict[str, int] = field(default_factory=dict, repr=False)
    # ENV / ARG / LABEL: (key, value or None, offset of key in args)
    pairs: list[tuple[str, str | None, int]] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def body(self) -> str:
        """The argument text after the flags."""
        return self.args[self.body_start :]

    def locate(self, offset: int) -> tuple[int, int]:
        """Physical (line, column) of character `offset` of `args`."""
        segs = self.segments
        if not segs:
            return self.keyword_span.line, self.keyword_span.end_col + 1
        offset = max(0, offset)
        i = bisect_right(segs, (offset, 1 << 62, 0)) - 1
        start, line, col = segs[max(i, 0)]
        return line, col + offset - start

    def span_of(self, what: str | int, length: int | None = None, start: int = 0) -> Span:
        """Span of a substring of `args` (first occurrence from `start`) or of `length`
        characters at an offset. Falls back to the keyword when the text is not there."""
        if isinstance(what, str):
            offset = self.args.find(what, start)
            if offset < 0:
                return self.keyword_span
            length = len(what) if length is None else length
        else:
            offset = what
            length = 1 if length is None else length
        line, col = self.locate(offset)
        end_line, end_col = self.locate(offset + max(length, 1) - 1)
        return Span(line, col, end_line, end_col + 1)


@dataclass(slots=True)
class Stage:
    """A build stage: its FROM and the instructions up to the next FROM."""

    index: int
    name: str | None
    base: str
    base_resolved: str
    from_instr: Instruction
    instructions: list[Instruction] = field(default_factory=list)
    platform: str | None = None
    parent_stage: int | None = None  # set when FROM names an earlier stage
    base_offset: int = 0  # offset of the image text in from_instr.args

    @property
    def label(self) -> str:
        """How findings name the stage: `stage builder` or `stage 0`."""
        return f"stage {self.name}" if self.name else f"stage {self.index}"

    def base_span(self) -> Span:
        return self.from_instr.span_of(self.base_offset, len(self.base))


@dataclass(slots=True)
class Dockerfile:
    path: str
    lines: list[str]
    directives: dict[str, tuple[str, Span]] = field(default_factory=dict)
    escape: str = "\\"
    instructions: list[Instruction] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    global_args: dict[str, str | None] = field(default_factory=dict)
    errors: list[tuple[Span, str]] = field(default_factory=list)

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_by_ref(self, ref: str, before: int | None = None) -> Stage | None:
        """The stage a `--from=` / FROM reference names (by name, or by index for --from)."""
        limit = len(self.stages) if before is None else before
        low = ref.lower()
        for stage in self.stages[:limit]:
            if stage.name == low:
                return stage
        if ref.isdigit() and int(ref) < limit:
            return self.stages[int(ref)]
        return None


# ------------------------------------------------------------------------------------------ helpers


def split_words(text: str, base: int = 0) -> list[tuple[str, int]]:
    """Shell-ish words of `text` (quotes kept), each with its offset plus `base`."""
    return [(m.group(), m.start() + base) for m in _WORD.finditer(text)]


def unquote(word: str) -> str:
    """Drop shell quotes from a word (good enough for names, images and paths)."""
    if '"' not in word and "'" not in word:
        return word
    out = []
    quote = ""
    i = 0
    while i < len(word):
        ch = word[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < len(word) and word[i + 1] in '"\\$`':
                i += 1
                out.append(word[i])
            else:
                out.append(ch)
        elif ch in "\"'":
            quote = ch
        else:
            out.append(ch)
        i += 1
    return "".join(out)


MAX_EXPANSION = 8192  # characters an expansion may produce (an image reference is at most 255)


class _TooLong(Exception):
    pass


def substitute(text: str, values: dict[str, str | None]) -> str:
    """Expand `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}` from `values`; unknown
    variables stay as written so callers can tell an unresolved reference.

    An expansion longer than MAX_EXPANSION is not done (the text comes back as written, like
    an unresolved reference): `FROM ${A}${A}...` with a long ARG made every rule and message
    that quotes the image pay for megabytes (a 1 MB Dockerfile gave a 225 MB report)."""
    if "$" not in text:
        return text
    budget = [MAX_EXPANSION - len(text)]

    def repl(m: re.Match) -> str:
        name = m.group(1) or m.group(4)
        op, word = m.group(2), m.group(3)
        known = name in values and values[name] is not None
        value = values.get(name) or ""
        if op in ("-", ":-"):
            out = value if (known and (value or op == "-")) else word
        elif op in ("+", ":+"):
            out = word if (known and (value or op == "+")) else ""
        else:
            out = value if known else m.group()
        budget[0] -= len(out)
        if budget[0] < 0:
            raise _TooLong
        return out

    try:
        return _VAR.sub(repl, text)
    except _TooLong:
        return text


def _parse_pairs(instr: Instruction, errors: list) -> None:
    """ENV / LABEL / ARG key-value pairs with key offsets (BuildKit's name=value rules)."""
    words = split_words(instr.body, instr.body_start)
    if not words:
        return
    kw = instr.keyword
    if kw == "ARG":
        for word, off in words:
            key, eq, value = word.partition("=")
            instr.pairs.append((key, unquote(value) if eq else None, off))
        return
    first, off = words[0]
    if "=" not in first:  # legacy `ENV key value with spaces`
        if len(words) < 2:
            errors.append((instr.span_of(off, len(first)), f"{kw} {first} has no value"))
        rest = instr.body[len(first) :].strip() if len(words) > 1 else ""
        instr.pairs.append((first, unquote(rest), off))
        return
    for word, off in words:
        key, eq, value = word.partition("=")
        if not eq or not key:
            errors.append((instr.span_of(off, len(word)), f"{kw}: expected name=value, found {word!r}"))
            continue
        instr.pairs.append((key, unquote(value), off))


def _parse_flags(instr: Instruction) -> None:
    """Leading `--name[=value]` words; a bare `--` ends them."""
    args = instr.args
    pos = 0
    n = len(args)
    while True:
        while pos < n and args[pos] in " \t":
            pos += 1
        if not args.startswith("--", pos):
            break
        m = _WORD.match(args, pos)
        word = m.group() if m else args[pos:]
        if word == "--":
            pos += 2
            break
        name, eq, value = word[2:].partition("=")
        instr.flags.setdefault(name, []).append(unquote(value) if eq else "")
        instr.flag_offsets.setdefault(name, pos + 3 + len(name) if eq else pos)
        pos += len(word)
    while pos < n and args[pos] in " \t":
        pos += 1
    instr.body_start = pos


def _find_heredocs(text: str) -> list[tuple[str, bool, bool]]:
    """(name, chomp, quoted) for every heredoc marker word of a logical line."""
    found = []
    if "<<" not in text:
        return found
    for word, _ in split_words(text):
        if "<<" not in word:
            continue
        m = _HEREDOC.match(word)
        if not m or "<" in m.group(3):
            continue
        raw = m.group(3)
        quoted = raw[0] in "\"'" or raw.startswith("\\")
        name = unquote(raw.replace("\\", "")) if quoted else raw
        if name and re.fullmatch(r"[\w.\-]+", name):
            found.append((name, m.group(2) == "-", quoted))
    return found


def _is_exec_candidate(keyword: str, body: str) -> bool:
    """Would a reader (and BuildKit) take `body` as meant to be a JSON array?"""
    if not body.startswith("["):
        return False
    if keyword in ("CMD", "ENTRYPOINT", "SHELL"):
        return True
    return bool(_JSONISH.match(body)) or body.rstrip() == "[]"


# -------------------------------------------------------------------------------------------- scanner


def _directives(df: Dockerfile, lines: list[str]) -> int:
    """Read parser directives from the top; returns the index of the first other line."""
    i = 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if not m:
            break
        key = m.group(1).lower()
        if key not in _KNOWN_DIRECTIVES:
            break
        span = Span(i + 1, m.start(2) + 1, i + 1, m.end(2) + 1)
        if key in df.directives:
            df.errors.append((span, f"parser directive {key!r} is given twice"))
        else:
            df.directives[key] = (m.group(2), span)
        i += 1
    if "escape" in df.directives:
        value, span = df.directives["escape"]
        if value in ("\\", "`"):
            df.escape = value
        else:
            df.errors.append((span, f"invalid escape character {value!r}: use \\ or `"))
    return i


def _ends_with_escape(line: str, esc: str) -> int:
    """Index of a trailing escape character (spaces after it allowed), or -1."""
    stripped = line.rstrip(" \t")
    if stripped.endswith(esc) and not stripped.lstrip(" \t").startswith("#"):
        return len(stripped) - 1
    return -1


def _build(keyword_raw: str, args: str, segs, span: Span, kw_span: Span, errors: list) -> Instruction:
    keyword = keyword_raw.upper()
    instr = Instruction(keyword, args, span, kw_span, segments=segs)
    if keyword in FLAGGED:
        _parse_flags(instr)
    else:
        stripped = len(args) - len(args.lstrip(" \t"))
        instr.body_start = stripped
    body = instr.body.rstrip()
    if keyword not in KEYWORDS:
        errors.append((kw_span, f"unknown instruction {keyword_raw!r}"))
        return instr
    if keyword in JSON_KEYWORDS and body.startswith("["):
        try:
            value = json.loads(body)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            instr.exec_form = value
        elif _is_exec_candidate(keyword, body):
            errors.append(
                (
                    instr.span_of(instr.body_start, len(body)),
                    f"{keyword} argument is not a valid JSON array of strings"
                    + ("" if keyword == "SHELL" else " (Docker would run it as a shell command)"),
                )
            )
    if keyword in ("ENV", "LABEL", "ARG"):
        _parse_pairs(instr, errors)
    return instr


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    """Parse `text`; never raises. Problems a build would refuse go to `errors`."""
    try:
        return _parse(text, path)
    except Exception as exc:  # a bug in the scanner must not kill the whole lint run
        df = Dockerfile(path, text.split("\n"))
        df.errors.append((FILE_START, f"internal parser error: {type(exc).__name__}: {exc}"))
        return df


def _parse(text: str, path: str) -> Dockerfile:
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.endswith("\r"):
            lines[i] = line[:-1]
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()
    df = Dockerfile(path, lines)
    i = _directives(df, lines)
    esc = df.escape
    nlines = len(lines)
    errors = df.errors
    while i < nlines:
        raw = lines[i]
        content = raw.lstrip(" \t")
        if not content or content.startswith("#"):
            i += 1
            continue
        lead = len(raw) - len(content)
        start_line = i + 1
        # keyword
        kw_end = 0
        while kw_end < len(content) and content[kw_end] not in " \t":
            kw_end += 1
        keyword_raw = content[:kw_end]
        cont_at = _ends_with_escape(content, esc)
        if cont_at >= 0 and cont_at < kw_end:  # `RUN\` : keyword ends at the escape
            keyword_raw = content[:cont_at]
            kw_end = cont_at
        kw_span = Span(start_line, lead + 1, start_line, lead + 1 + max(kw_end, 1))
        # first piece of args: text after keyword
        pieces: list[str] = []
        segs: list[tuple[int, int, int]] = []
        piece_start = kw_end
        total = 0
        last_line = i
        line_text = content
        col_base = lead
        while True:
            cont_at = _ends_with_escape(line_text, esc)
            end = cont_at if cont_at >= 0 else len(line_text)
            if cont_at >= 0 and cont_at < piece_start:
                end = piece_start
            piece = line_text[piece_start:end]
            if piece or not segs:
                segs.append((total, last_line + 1, col_base + piece_start + 1))
            pieces.append(piece)
            total += len(piece)
            if cont_at < 0:
                break
            # find the next line that is not a comment nor blank
            j = last_line + 1
            while j < nlines:
                nxt = lines[j]
                s = nxt.lstrip(" \t")
                if s and not s.startswith("#"):
                    break
                j += 1
            if j >= nlines:
                last_line = nlines - 1
                break
            last_line = j
            line_text = lines[j]
            piece_start = 0
            col_base = 0
        args = "".join(pieces)
        end_line = last_line + 1
        end_col = len(lines[last_line]) + 1
        span = Span(start_line, lead + 1, end_line, end_col)
        instr = _build(keyword_raw, args, segs, span, kw_span, errors)
        i = last_line + 1
        # heredocs
        kw = instr.keyword
        if kw in HEREDOC_KEYWORDS or (kw == "ONBUILD" and "<<" in args):
            i = _heredocs(instr, lines, i, errors)
        df.instructions.append(instr)
        if kw == "ONBUILD":
            _onbuild(instr, errors)
    _structure(df)
    return df


def _heredocs(instr: Instruction, lines: list[str], i: int, errors: list) -> int:
    """Read the bodies of the instruction's heredocs from line index `i` on (each up to its
    terminator line); returns the index of the line after the last body."""
    nlines = len(lines)
    span = instr.span
    end_line, end_col = span.end_line, span.end_col
    for name, chomp, quoted in _find_heredocs(instr.body):
        body_lines = []
        j = i
        terminated = False
        while j < nlines:
            candidate = lines[j].lstrip("\t") if chomp else lines[j]
            if candidate.rstrip(" ") == name:
                terminated = True
                break
            body_lines.append(candidate)
            j += 1
        last = j if terminated else nlines - 1
        hspan = Span(i + 1, 1, last + 1, len(lines[last]) + 1 if last >= i else 1)
        if last < i:
            hspan = Span(end_line, end_col, end_line, end_col)
        doc = Heredoc(name, chomp, quoted, "\n".join(body_lines), i + 1, hspan, terminated)
        instr.heredocs.append(doc)
        if not terminated:
            errors.append((instr.keyword_span, f"heredoc <<{name} is never terminated"))
        if last >= i:
            instr.span = Span(span.line, span.col, hspan.end_line, hspan.end_col)
        i = last + 1
    return i


def _onbuild(instr: Instruction, errors: list) -> None:
    """Parse the trigger of `ONBUILD <instruction>` into `instr.onbuild`."""
    body = instr.body
    if not body.strip():
        return
    kw_end = 0
    while kw_end < len(body) and body[kw_end] not in " \t":
        kw_end += 1
    off = instr.body_start
    kw_span = instr.span_of(off, kw_end)
    inner_segs = []
    for seg_off, line, col in instr.segments:
        rel = seg_off - off - kw_end
        if rel >= 0:
            inner_segs.append((rel, line, col))
    line, col = instr.locate(off + kw_end)
    if not inner_segs or inner_segs[0][0] > 0:
        inner_segs.insert(0, (0, line, col))
    sub = _build(body[:kw_end], body[kw_end:], inner_segs, instr.span, kw_span, errors)
    instr.onbuild = sub
    if sub.keyword in ("ONBUILD", "FROM", "MAINTAINER"):
        errors.append((kw_span, f"{sub.keyword} is not allowed as an ONBUILD trigger"))


# An exercise's fill-in blank (`COPY ???`, `COPY <src> <dest>`): text still to be written, which
# may stand for several words, so the instruction's arity is not judged (issue 19, principle 4;
# the same blanks as templating.placeholder, without importing it here).
_FILL_IN = re.compile(r"\?{3,}|<[A-Za-z][A-Za-z0-9_ -]{0,60}>")


def _structure(df: Dockerfile) -> None:
    """Stages, global ARGs and the ordering errors (instructions before FROM, no FROM)."""
    errors = df.errors
    names: dict[str, int] = {}
    for instr in df.instructions:
        kw = instr.keyword
        if kw == "FROM":
            _new_stage(df, instr, names)
        elif not df.stages:
            if kw == "ARG":
                for key, value, _ in instr.pairs:
                    df.global_args[key] = value
            elif kw in KEYWORDS:
                errors.append((instr.keyword_span, f"{kw} before the first FROM (only ARG may come first)"))
            instr.stage = -1
            continue
        stage = df.stages[-1]
        instr.stage = stage.index
        if kw != "FROM":
            stage.instructions.append(instr)
        if kw in NEEDS_ARGS and not instr.body.strip() and not instr.heredocs:
            errors.append((instr.keyword_span, f"{kw} requires at least one argument"))
        elif (
            kw in ("COPY", "ADD")
            and instr.exec_form is None
            and not instr.heredocs
            and len(split_words(instr.body)) < 2
            and not _FILL_IN.search(instr.body)
        ):
            errors.append((instr.keyword_span, f"{kw} requires a source and a destination"))
    if not df.stages:
        if df.instructions:
            errors.append((df.instructions[0].keyword_span, "no FROM instruction: nothing to build"))
        else:
            errors.append((FILE_START, "empty Dockerfile: no instructions"))
    errors.sort(key=lambda e: (e[0].line, e[0].col))


def _new_stage(df: Dockerfile, instr: Instruction, names: dict[str, int]) -> None:
    words = split_words(instr.body, instr.body_start)
    index = len(df.stages)
    base, base_off = words[0] if words else ("", instr.body_start)
    name = None
    if len(words) == 3 and words[1][0].lower() == "as":
        name = words[2][0].lower()
    elif len(words) > 1:
        off = words[1][1]
        df.errors.append(
            (instr.span_of(off, len(instr.args) - off), "FROM takes an image and optionally `AS name`")
        )
    if not base:
        df.errors.append((instr.keyword_span, "FROM requires an image"))
    resolved = substitute(base, df.global_args)
    platform = (instr.flags.get("platform") or [None])[0]
    stage = Stage(index, name, base, resolved, instr, platform=platform, base_offset=base_off)
    parent = names.get(resolved.lower())
    if parent is not None:
        stage.parent_stage = parent
    if name is not None and name not in names:
        names[name] = index
    df.stages.append(stage)
