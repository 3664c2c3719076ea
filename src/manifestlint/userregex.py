"""Regular expressions written by users (PromQL `=~`/`!~`, Alertmanager `match_re` and
matchers), compiled and run the way Prometheus and Alertmanager do: RE2 syntax, linear time.

Why not Python's `re`: it backtracks, so `(?:x?|y?){40}\\b` or `(.?){60}X` from an input file
ran for minutes, and it accepts syntax Go's regexp refuses (lookarounds, backreferences,
possessive quantifiers, repeat counts over 1000) and refuses some Go accepts. google-re2 is
the C++ RE2 library Go's regexp was modelled on; the few differences that matter here are
handled below (Go refuses `\\C`; messages are reworded to Go's).
"""

from __future__ import annotations

import functools
from typing import Any

# C++ RE2 error codes -> the words Go's regexp/syntax uses for the same problem.
_GO_WORDS = {
    "invalid repetition size": "invalid repeat count",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "bad repetition operator": "invalid nested repetition operator",
    "missing )": "missing closing )",
    "missing ]": "missing closing ]",
    "unexpected )": "unexpected )",
}


def _options() -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # the C++ library would print every refused pattern on stderr
    # Only whether a value matches is ever asked: no capture groups (10,000 empty groups `()`
    # made each match allocate spans for every group: 3.1 GB, std::bad_alloc)
    options.never_capture = True
    return options


def _go_message(raw: Any) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    code, sep, arg = text.partition(": ")
    code = _GO_WORDS.get(code, code)
    return f"{code}: `{arg}`" if sep else code


def _escape_problem(pattern: str) -> str | None:
    """Escapes C++ RE2 accepts and Go does not (`\\C`, any single byte)."""
    i = 0
    while i < len(pattern) - 1:
        if pattern[i] == "\\":
            if pattern[i + 1] == "C":
                return "invalid escape sequence: `\\C`"
            i += 2
            continue
        i += 1
    return None


@functools.lru_cache(maxsize=4096)
def compile_re2(pattern: str) -> tuple[Any, str | None]:
    """(compiled RE2 program, None) or (None, Go-style error message)."""
    import re2

    problem = _escape_problem(pattern) if "\\C" in pattern else None
    if problem:
        return None, problem
    try:
        return re2.compile(pattern, _options()), None
    except re2.error as exc:
        return None, _go_message(exc.args[0] if exc.args else exc)
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a surrogate the UTF-8 encoder refuses
        return None, str(exc)


def regex_error(pattern: str) -> str | None:
    """Why Go's regexp would refuse `pattern` (as the caller anchors it), or None."""
    return compile_re2(pattern)[1]


def full_match(pattern: str, value: str, flags: str = "") -> bool | None:
    """Whether `pattern` matches all of `value` (Prometheus anchors `^(?s:...)$`, Alertmanager's
    match_re `^(?:...)$`); None when the pattern does not compile. Linear in the input."""
    compiled, _ = compile_re2(f"^(?{flags}:{pattern})$" if flags else f"^(?:{pattern})$")
    if compiled is None:
        return None
    try:
        return compiled.search(value) is not None
    except (ValueError, TypeError):  # unencodable text (lone surrogates)
        return None


__all__ = ["compile_re2", "full_match", "regex_error"]
