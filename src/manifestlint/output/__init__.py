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


def log_line(line: str) -> str:
    """A line for a CI log: `printable`, and never starting (after blanks) like a workflow
    command (`::error`, `::add-mask`) or an Azure/old GitHub one (`##[`, `##vso[`): the
    runner reads those at the start of any line of a step's output."""
    line = printable(line)
    stripped = line.lstrip()
    if stripped.startswith(("::", "##")):
        cut = len(line) - len(stripped)
        line = f"{line[:cut]}\\x{ord(stripped[0]):02x}{stripped[1:]}"
    return line


_BACKTICKS = re.compile("`+")


def code_span(text: str, table: bool = False) -> str:
    """`text` as a Markdown code span, whatever it holds: nothing inside a code span is markup
    (no link, image, HTML, emphasis, heading) and GitHub neither autolinks nor turns @names
    into mentions there. The fence is one backtick longer than the longest run inside, padded
    when the text starts or ends with one; in a table cell `|` is escaped too (GitHub splits
    cells before it reads code spans). Control characters are escaped first (`printable`)."""
    text = printable(text)
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if table else span


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 cannot hold (most C0 controls, U+FFFE, U+FFFF, lone
    surrogates) written as a visible escape: the JUnit report stays well-formed."""
    return _NOT_XML.sub(_escape, text)


_MARKUP = {"\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "|": "\\|",
           "~": "\\~", "#": "\\#", "<": "&lt;", "&": "&amp;", "@": "@&#8203;"}  # fmt: skip
_MARKUP_CHARS = re.compile("[\\\\`*_\\[\\]|~#<&@]")
_AUTOLINK = re.compile(r"(?i)(://|www\.)")


def markdown_text(text: str) -> str:
    """`text` as plain inline Markdown text: every character that could start markup is
    escaped (no link or image without `[`, no HTML without `<`, no emphasis, code, table
    cell or heading mark), `@name` cannot mention anyone (a zero-width space follows `@`)
    and `https://`/`www.` are not autolinked. Control characters are escaped first."""
    text = _MARKUP_CHARS.sub(lambda m: _MARKUP[m.group()], printable(text))
    return _AUTOLINK.sub(lambda m: m.group()[0] + "&#8203;" + m.group()[1:], text)
