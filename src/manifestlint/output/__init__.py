"""Report formats, and the two escapes every format relies on.

File names and manifest values are untrusted text: a file name may hold bytes that are not
UTF-8 (kept by Python as lone surrogates, which no UTF-8 writer accepts), and a name or value
may hold terminal escape sequences, CR/LF followed by `::error` or `::add-mask` (GitHub
workflow commands), or bidirectional controls. `unicode_safe` is for the machine formats
(JSON escapes control characters itself); `printable` for everything a human or a CI log
reads.
"""

from __future__ import annotations

import re

# Lone surrogates: undecodable file-name bytes (U+DC80..U+DCFF) or worse.
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls, DEL, bidirectional and line/paragraph separators, lone surrogates.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # the original byte of an undecodable file name
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def unicode_safe(text: str) -> str:
    """`text` with lone surrogates written as `\\xNN` (the file name's byte) so it encodes."""
    return _SURROGATE.sub(_escape, text) if not text.isascii() else text


def printable(text: str) -> str:
    """`text` on one line with every control, bidirectional or undecodable character escaped:
    nothing in it can move the cursor, colour a terminal or start a CI log command line."""
    return _UNPRINTABLE.sub(_escape, text)


def surrogate_bytes(text: str) -> bytes:
    """A file name back to its bytes (for URIs): undecodable bytes restored, never an error."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")
