"""Read hadolint's rule specs (test/Hadolint/Rule/DL*Spec.hs) as (code, Dockerfile, expected) cases.

Dev-time only, for scripts/compare_hadolint_spec.py. hadolint is GPL-3.0: nothing of it is copied
into this repository; this module reads a checkout fetched next to it (`--hadolint DIR`) and turns
each assertion into data at run time.

An assertion is `ruleCatches CODE TEXT` (at least one finding of CODE), `ruleCatchesNot CODE TEXT`
(none), their `onBuild...` twins (the RUN instructions wrapped in ONBUILD), and
`assertChecks TEXT (failsWith N CODE)`. TEXT is a string literal, a `let` variable holding one,
or `Text.unlines` of a list of literals. `let ?config = def { ... }` (file-wide, or inside one
`it` block) carries allowedRegistries, labelSchema and strictLabels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ASSERTIONS = {
    "ruleCatches": (True, False),
    "ruleCatchesNot": (False, False),
    "onBuildRuleCatches": (True, True),
    "onBuildRuleCatchesNot": (False, True),
}


@dataclass
class Case:
    code: str
    text: str
    catches: bool
    onbuild: bool
    spec: str
    line: int
    config: dict = field(default_factory=dict)


@dataclass
class Tok:
    kind: str  # str | id | sym
    value: str
    line: int
    col: int


_ESC = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r", "&": "", "a": "\a", "0": "\0"}


def _string(src: str, i: int) -> tuple[str, int]:
    """Decode the Haskell string literal starting at src[i] == '"'; returns (value, end index)."""
    out = []
    i += 1
    while i < len(src):
        ch = src[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\\":
            nxt = src[i + 1]
            if nxt.isspace():  # string gap: backslash, whitespace, backslash
                j = i + 1
                while src[j].isspace():
                    j += 1
                i = j + 1
                continue
            if nxt.isdigit():
                m = re.match(r"\d+", src[i + 1 :])
                out.append(chr(int(m.group())))
                i += 1 + len(m.group())
                continue
            out.append(_ESC.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    raise ValueError("unterminated string")


def tokenize(src: str) -> list[Tok]:
    toks: list[Tok] = []
    i = 0
    line, line_start = 1, 0
    n = len(src)
    while i < n:
        ch = src[i]
        if ch == "\n":
            line += 1
            line_start = i + 1
            i += 1
        elif ch.isspace():
            i += 1
        elif src.startswith("--", i) and not src.startswith("-->", i):
            while i < n and src[i] != "\n":
                i += 1
        elif src.startswith("{-", i):
            end = src.find("-}", i)
            line += src.count("\n", i, end)
            i = end + 2
        elif ch == '"':
            start_line, col = line, i - line_start
            value, end = _string(src, i)
            line += src.count("\n", i, end)
            if "\n" in src[i:end]:
                line_start = src.rfind("\n", i, end) + 1
            toks.append(Tok("str", value, start_line, col))
            i = end
        elif ch.isalpha() or ch in "_?":
            m = re.match(r"\??[A-Za-z_][\w'.]*", src[i:])
            toks.append(Tok("id", m.group().rstrip("."), line, i - line_start))
            i += len(m.group())
        else:
            toks.append(Tok("sym", ch, line, i - line_start))
            i += 1
    return toks


def _list(toks: list[Tok], i: int) -> tuple[list, int]:
    """A list literal at toks[i] == '[' of strings or (string, Constructor) pairs."""
    items: list = []
    depth = 0
    j = i
    pair: list = []
    while j < len(toks):
        t = toks[j]
        if t.kind == "sym" and t.value == "[":
            depth += 1
        elif t.kind == "sym" and t.value == "]":
            depth -= 1
            if depth == 0:
                return items, j + 1
        elif t.kind == "sym" and t.value == "(":
            pair = []
        elif t.kind == "sym" and t.value == ")":
            items.append(tuple(pair))
            pair = []
        elif t.kind == "str":
            (pair.append(t.value) if pair is not None and _in_paren(toks, i, j) else items.append(t.value))
        elif t.kind == "id" and _in_paren(toks, i, j):
            pair.append(t.value.rsplit(".", 1)[-1])
        j += 1
    return items, j


def _in_paren(toks: list[Tok], start: int, j: int) -> bool:
    depth = 0
    for t in toks[start:j]:
        if t.kind == "sym" and t.value == "(":
            depth += 1
        elif t.kind == "sym" and t.value == ")":
            depth -= 1
    return depth > 0


def _config(toks: list[Tok], i: int) -> tuple[dict, int]:
    """`def { field = value, ... }` starting at toks[i] == 'def'."""
    cfg: dict = {}
    j = i + 1
    if j >= len(toks) or toks[j].value != "{":
        return cfg, j
    j += 1
    while j < len(toks) and toks[j].value != "}":
        t = toks[j]
        if t.kind == "id" and j + 1 < len(toks) and toks[j + 1].value == "=":
            key = t.value
            k = j + 2
            if toks[k].value == "Map.fromList" or toks[k].value == "Set.fromList":
                k += 1
            if toks[k].value == "[":
                value, k = _list(toks, k)
            else:
                value = toks[k].value
                k += 1
            cfg[key] = value
            j = k
            continue
        j += 1
    return cfg, j + 1


def _text_arg(toks: list[Tok], j: int, env: dict) -> str | None:
    """The Dockerfile text an assertion is given, starting at toks[j]."""
    while j < len(toks) and toks[j].value in ("$", "("):
        j += 1
    t = toks[j]
    if t.kind == "str":
        return t.value
    if t.kind == "id" and t.value in ("Text.unlines", "unlines"):
        nxt = toks[j + 1]
        while nxt.value in ("$", "("):
            j += 1
            nxt = toks[j + 1]
        if nxt.value == "[":
            items, _ = _list(toks, j + 1)
            return "".join(s + "\n" for s in items if isinstance(s, str))
        value = env.get(nxt.value)
        if isinstance(value, list):
            return "".join(s + "\n" for s in value)
        return None
    if t.kind == "id":
        value = env.get(t.value)
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return None
    return None


def read_spec(path: Path) -> tuple[list[Case], int]:
    """Cases of one spec file, and how many assertions could not be read."""
    toks = tokenize(path.read_text(encoding="utf-8"))
    cases: list[Case] = []
    skipped = 0
    env: dict = {}
    file_cfg: dict = {}
    it_cfg: dict | None = None
    for i, t in enumerate(toks):
        if t.kind != "id":
            continue
        if t.value == "it":
            it_cfg = None
            env = {k: v for k, v in env.items() if not k.startswith("_local")}
        elif t.value == "?config" and toks[i + 1].value == "=" and toks[i + 2].value == "def":
            cfg, _ = _config(toks, i + 2)
            if t.col <= 6:
                file_cfg = cfg
            else:
                it_cfg = cfg
        elif t.value == "let" and i + 2 < len(toks) and toks[i + 1].kind == "id" and toks[i + 2].value == "=":
            name = toks[i + 1].value
            if name.startswith("?"):
                continue
            k = i + 3
            if toks[k].value in ("Text.unlines", "unlines") and toks[k + 1].value == "[":
                items, _ = _list(toks, k + 1)
                env[name] = "".join(x + "\n" for x in items if isinstance(x, str))
            elif toks[k].value == "[":
                env[name], _ = _list(toks, k)
            elif toks[k].kind == "str":
                env[name] = toks[k].value
        elif t.value in ASSERTIONS:
            if i > 0 and toks[i - 1].value in ("::", "="):
                continue
            code = toks[i + 1].value if toks[i + 1].kind == "str" else env.get(toks[i + 1].value, "")
            if not isinstance(code, str):
                continue
            if not re.fullmatch(r"DL\d{4}", code):
                continue
            text = _text_arg(toks, i + 2, env)
            if text is None:
                skipped += 1
                continue
            catches, onbuild = ASSERTIONS[t.value]
            cfg = it_cfg if it_cfg is not None else file_cfg
            cases.append(Case(code, text, catches, onbuild, path.name, t.line, dict(cfg)))
        elif t.value in ("passesShellcheck", "failsShellcheck"):
            # assertChecks TEXT passesShellcheck (also assertOnBuildChecks): any SC finding
            back = max(k for k in range(i) if toks[k].value in ("assertChecks", "assertOnBuildChecks"))
            text = _text_arg(toks, back + 1, env)
            if text is None:
                skipped += 1
                continue
            onbuild = toks[back].value == "assertOnBuildChecks"
            cfg = it_cfg if it_cfg is not None else file_cfg
            cases.append(
                Case("ShellCheck", text, t.value == "failsShellcheck", onbuild, path.name, t.line, cfg)
            )
        elif t.value == "failsWith" and toks[i + 1].kind != "sym":
            # assertChecks TEXT (failsWith N CODE): find the TEXT after the last assertChecks
            back = max(k for k in range(i) if toks[k].value == "assertChecks")
            times = toks[i + 1].value
            code = toks[i + 2].value if toks[i + 2].kind == "str" else env.get(toks[i + 2].value, "")
            if not re.fullmatch(r"DL\d{4}", code) or not times.isdigit():
                continue
            text = _text_arg(toks, back + 1, env)
            if text is None:
                skipped += 1
                continue
            cfg = it_cfg if it_cfg is not None else file_cfg
            cases.append(Case(code, text, int(times) > 0, False, path.name, t.line, dict(cfg)))
    return cases, skipped


def read_specs(checkout: Path) -> tuple[list[Case], int]:
    cases: list[Case] = []
    skipped = 0
    folder = checkout / "test" / "Hadolint" / "Rule"
    for spec in sorted([*folder.glob("DL*Spec.hs"), *folder.glob("ShellcheckSpec.hs")]):
        found, missed = read_spec(spec)
        cases += found
        skipped += missed
    return cases, skipped
