"""The everyday `manifestlint lint` command line, read without click.

Why: importing click costs a one-file pre-commit call about a third of its start-up (it
imports inspect, typing, uuid and platform). A `lint` line made only of paths and the lint
command's own options, each written the plain way, is read here into exactly the parameters
click passes to the command (manifestlint.commands.lint); anything else returns None and
click reads the line as before, with its own help, checks and messages: another command,
-h/--help, --version, an option this module does not know or a form it does not take
(`-fjson`, `-qv`, `--`), a repeated single-value option, a value that starts with `-`, a
choice click would refuse, a path option click's checks might refuse, no path at all, or a
shell-completion request. tests/test_argv.py checks the two readings agree.
"""

from __future__ import annotations

import os
import stat
from typing import Any

FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit")
FILE_TYPES = ("dockerfile", "kubernetes", "alertmanager", "prometheus-rules", "prometheus-config")

# parameter: (option spellings, what it takes): "flag", "value", "multiple", a tuple of
# choices, or "path" / "writable path" (click.Path(dir_okay=False[, writable=True]))
_OPTIONS: dict[str, tuple[tuple[str, ...], Any]] = {
    "fmt": (("-f", "--format"), FORMATS),
    "output": (("-o", "--output"), "writable path"),
    "config_path": (("-c", "--config"), "value"),
    "select": (("--select",), "multiple"),
    "ignore": (("--ignore",), "multiple"),
    "exclude": (("--exclude",), "multiple"),
    "forced_type": (("--type",), FILE_TYPES),
    "stdin_filename": (("--stdin-filename",), "value"),
    "fail_on": (("--fail-on",), ("error", "warning", "note", "none")),
    "exit_zero": (("--exit-zero",), "flag"),
    "kubernetes_version": (("--kubernetes-version",), "value"),
    "no_context": (("--no-context",), "flag"),
    "no_cache": (("--no-cache",), "flag"),
    "sarif_category": (("--sarif-category",), "value"),
    "show_suppressed": (("--show-suppressed",), "flag"),
    "diff_base": (("--diff-base",), "value"),
    "baseline": (("--baseline",), "path"),
    "write_baseline": (("--write-baseline",), "path"),
    "step_summary": (("--step-summary",), "flag"),
    "quiet": (("-q", "--quiet"), "flag"),
    "stats": (("--statistics",), "flag"),
    "color": (("--color",), ("auto", "always", "never")),
    "verbose": (("-v", "--verbose"), "flag"),
    "force_include": (("--force-include",), "flag"),
    "fix": (("--fix",), "flag"),
    "unsafe_fixes": (("--unsafe-fixes",), "flag"),
    "show_diff": (("--diff",), "flag"),
}
_DEFAULTS: dict[str, Any] = {
    "fmt": "text", "output": None, "config_path": None, "select": (), "ignore": (), "exclude": (),
    "forced_type": None, "stdin_filename": None, "fail_on": None, "exit_zero": False,
    "kubernetes_version": None, "no_context": False, "no_cache": False, "sarif_category": None,
    "show_suppressed": False, "diff_base": None, "baseline": None, "write_baseline": None,
    "quiet": False, "stats": False, "color": "auto", "verbose": False, "step_summary": False,
    "force_include": False, "fix": False, "unsafe_fixes": False, "show_diff": False,
}  # fmt: skip
_BY_SPELLING = {spelling: name for name, (spellings, _) in _OPTIONS.items() for spelling in spellings}


def _path_accepted(value: str, writable: bool) -> bool:
    """What click.Path(dir_okay=False, writable=...) accepts without a message: a path that
    does not exist, or an existing non-folder it may read (and write)."""
    try:
        st = os.stat(value)
    except (OSError, ValueError):
        return True
    if stat.S_ISDIR(st.st_mode) or not os.access(value, os.R_OK):
        return False
    return not writable or os.access(value, os.W_OK)


def read_lint_argv(argv: list[str]) -> dict[str, Any] | None:
    """The lint command's parameters from `argv` (sys.argv[1:]), or None: click must read it."""
    if (
        not argv
        or argv[0] != "lint"
        or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ)
    ):
        return None
    params: dict[str, Any] = {}
    multiple: dict[str, list[str]] = {}
    paths: list[str] = []
    tokens = iter(argv[1:])
    for token in tokens:
        if token == "-" or not token.startswith("-"):
            paths.append(token)
            continue
        spelling, eq, attached = token.partition("=")
        name = _BY_SPELLING.get(spelling)
        if name is None or (eq and not spelling.startswith("--")):
            return None  # unknown, `-fjson`, `-qv`, `--`, `-f=json`: click decides
        takes = _OPTIONS[name][1]
        if takes == "flag":
            if eq:
                return None  # click refuses a value for a flag
            params[name] = True
            continue
        value = attached if eq else next(tokens, None)
        if value is None or (not eq and value.startswith("-")):
            return None  # missing value, or one click might read differently
        if takes == "multiple":
            multiple.setdefault(name, []).append(value)
            continue
        if name in params:
            return None  # given twice
        if isinstance(takes, tuple) and value not in takes:
            return None  # click names the choices
        if takes in ("path", "writable path") and not _path_accepted(value, takes == "writable path"):
            return None  # click says what is wrong with it
        params[name] = value
    if not paths:
        return None  # click says a path is missing
    out = dict(_DEFAULTS)
    out.update(params)
    out.update({name: tuple(values) for name, values in multiple.items()})
    out["paths"] = tuple(paths)
    return out
