"""Fixes of YAML documents as minimal text edits (manifestlint/fixes.py): a key set in a
mapping, a scalar replaced, a key moved, written at the positions the parser gave.

Nothing is re-serialised. A new key is written in front of the mapping's first key, in the
mapping's own style: block (`key: value` on its own line at the first key's column, so a
mapping that starts after `- ` stays valid), flow (`{key: value, ...}`) or JSON (`"key":
value`, in a .json file). Every edit carries the text it replaces (the first key), so a
position that does not fit the file skips the fix. No fix is offered where an edit could
reach further than the object it fixes: a mapping built with anchors, aliases or merge keys
(`&x`, `*x`, `<<:`: the text is shared), or a key that exists with another kind of value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from manifestlint.model import Edit, Fix, Span, YamlDoc, YList, YMap, line_starts

# an anchor or alias (`&name`, `*name`: not `&&` or `*.tmp`) or a merge key: text other objects
# share. (Template text needs no test here: an edit never touches a value, and a file Helm still
# has to render is not linted at all: load.py.)
_SHARED = re.compile(r"(?:^|[\s\[{,:])[&*][\w.-]+(?=[\s,\]}]|$)|<<\s*:", re.MULTILINE)
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_STARTS: dict[int, tuple[str, list[int]]] = {}  # id(text) -> (text, line starts): one file at a time


def _starts(text: str) -> list[int]:
    cached = _STARTS.get(id(text))
    if cached is not None and cached[0] is text:
        return cached[1]
    starts = line_starts(text)
    _STARTS.clear()
    _STARTS[id(text)] = (text, starts)
    return starts


def text_of(doc: YamlDoc, span: Span) -> str | None:
    """The document's source text under `span` (None when it does not fit the text)."""
    text = doc.text
    starts = _starts(text)
    if not (1 <= span.line <= len(starts) and 1 <= span.end_line <= len(starts)):
        return None
    start = starts[span.line - 1] + span.col - 1
    end = starts[span.end_line - 1] + span.end_col - 1
    return text[start:end] if start <= end <= len(text) else None


def not_fixed(span: Span) -> Fix:
    """No edit, and why (fixes.apply reports it as a skipped fix): the text is shared."""
    return Fix(f"not fixed at line {span.line}: its mapping's text has an anchor, alias or merge key", ())


def _shared(doc: YamlDoc, span: Span) -> bool:
    """Anchors, aliases, merge keys or template text in `span`: an edit could reach further."""
    found = text_of(doc, span)
    return found is None or bool(_SHARED.search(found))


def _scalar(value: Any, as_json: bool) -> str:
    if as_json or (isinstance(value, str) and not _PLAIN.fullmatch(value)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v, as_json) for v in value) + "]"
    return str(value)


def _key(key: str, as_json: bool) -> str:
    return json.dumps(key) if as_json or not _PLAIN.fullmatch(key) else key


Items = tuple[tuple[tuple[str, ...], Any], ...]  # (key path, value) pairs set in one mapping


def render(style: str, indent: str, items: Items) -> str | None:
    """The text that sets `items` in a mapping, written in front of its first key: `block`
    (one key per line, continued at `indent`), `flow` or `json` (`k: v, ` before the key).
    None when two items collide (one sets a key another goes below, or two values differ)."""
    tree: dict[str, Any] = {}
    for keys, value in items:
        node = tree
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                return None
        if keys[-1] in node and node[keys[-1]] != value:
            return None
        node[keys[-1]] = value
    if style == "block":
        return "\n".join(_block(tree, indent, 0)) + "\n" + indent
    as_json = style == "json"
    return "".join(f"{_key(k, as_json)}: {_flow(v, as_json)}, " for k, v in tree.items())


def _block(tree: dict[str, Any], indent: str, depth: int) -> list[str]:
    lines = []
    for i, (key, value) in enumerate(tree.items()):
        lead = "" if depth == 0 and i == 0 else indent + "  " * depth
        if isinstance(value, dict):
            lines.append(f"{lead}{_key(key, False)}:")
            lines += _block(value, indent, depth + 1)
        else:
            lines.append(f"{lead}{_key(key, False)}: {_scalar(value, False)}")
    return lines


def _flow(value: Any, as_json: bool) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k, as_json)}: {_flow(v, as_json)}" for k, v in value.items()) + "}"
    return _scalar(value, as_json)


def set_key(doc: YamlDoc, mapping: YMap, keys: Sequence[str], value: Any, title: str) -> Fix | None:
    """A fix setting `mapping[keys[0]][keys[1]]...` to `value` (a bool, str, number or list
    of them), creating the mappings that are missing. None when a key on the way holds
    something else than a mapping, when the value is already set, or where the text cannot
    be edited safely (see the module docstring). Two such fixes of one mapping in one pass
    are merged into one edit (fixes.apply, through the edit's `insert`)."""
    node, depth = mapping, 0
    while depth < len(keys) and keys[depth] in node:
        child = node[keys[depth]]
        if depth == len(keys) - 1 or not isinstance(child, YMap):
            return None  # set already (to whatever), or a null / scalar / list in the way
        node, depth = child, depth + 1
    return _insert(doc, node, tuple(keys[depth:]), value, title)


def _insert(doc: YamlDoc, node: YMap, keys: tuple[str, ...], value: Any, title: str) -> Fix | None:
    span = node.span
    if _shared(doc, span):
        return not_fixed(span)
    as_json = doc.path.endswith(".json")
    opening = text_of(doc, Span(span.line, span.col, span.line, span.col + 1))
    items: Items = ((keys, value),)
    if not node:  # `{}`: an empty flow mapping
        old = text_of(doc, span)
        if opening != "{" or old is None or old.strip("{} \t") != "":
            return None
        text = render("json" if as_json else "flow", "", items) or ""
        return Fix(title, (Edit(span, "{" + text.removesuffix(", ") + "}", old),))
    first = next(iter(node))
    where = node.key_span(first)
    old = text_of(doc, where)
    if not old or where == span or not _inside(where, span):
        return None  # a key without text of its own (added by a view), or outside the mapping
    style = ("json" if as_json else "flow") if opening == "{" else "block"
    indent = " " * (where.col - 1)
    text = render(style, indent, items)
    if text is None:
        return None
    return Fix(title, (Edit(where, text + old, old, (style, indent, items)),))


def _inside(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.col) <= (inner.line, inner.col) and (inner.end_line, inner.end_col) <= (
        outer.end_line,
        outer.end_col,
    )


def replace_value(doc: YamlDoc, mapping: YMap, key: str, new: str, title: str) -> Fix | None:
    """A fix writing `new` (a plain scalar's text) in place of the scalar under `key`, in
    the quotes the old value had."""
    if isinstance(mapping.get(key), (YMap, YList)) or not mapping.has_position(key):
        return None
    span = mapping.value_span(key)
    old = text_of(doc, span)
    if old and _SHARED.search(old):
        return not_fixed(span)
    if not old or "\n" in old:
        return None
    quote = old[0] if old[0] in "'\"" and old[-1] == old[0] and len(old) > 1 else ""
    return Fix(title, (Edit(span, f"{quote}{new}{quote}", old),))


def _line_only(doc: YamlDoc, mapping: YMap, key: str) -> Span | None:
    """The whole line of `key: value` (a one-line scalar, the key first on its line, block
    style) with its line ending, or None."""
    if isinstance(mapping.get(key), (YMap, YList)) or not mapping.has_position(key):
        return None
    key_span, value_span = mapping.key_span(key), mapping.value_span(key)
    before = text_of(doc, Span(key_span.line, 1, key_span.line, key_span.col))
    if before is None or before.strip() or value_span.end_line != key_span.line:
        return None
    return Span(key_span.line, 1, key_span.line + 1, 1)


def move_key(doc: YamlDoc, source: YMap, key: str, parent: YMap, target: str, title: str) -> Fix | None:
    """A fix moving `key: value` (one line, block style) from `source` into the mapping
    `parent[target]`, created when missing. When `source` is `parent`, the key's own line
    becomes `target:` with the key below it; when `key` is all `source` holds and the target
    is missing, `source`'s key is renamed (`labels:` -> `annotations:`). None where the text
    is not plain enough to move by lines."""
    line = _line_only(doc, source, key)
    if line is None:
        return None
    if _shared(doc, source.span):
        return not_fixed(source.span)
    key_span = source.key_span(key)
    old_key = text_of(doc, key_span)
    indent = " " * (key_span.col - 1)
    if source is parent and target not in parent:
        return Fix(title, (Edit(key_span, f"{target}:\n{indent}  {old_key}", old_key or ""),))
    holder = next((k for k, v in parent.items() if v is source), None)
    if target not in parent and len(source) == 1 and holder is not None and parent.has_position(holder):
        where = parent.key_span(holder)
        old = text_of(doc, where)
        return Fix(title, (Edit(where, target, old or ""),)) if old == holder else None
    whole = text_of(doc, line)
    if len(source) == 1 and holder is not None and parent.has_position(holder):
        # the only key: its `labels:` line goes too, rather than leaving an empty mapping
        above = parent.key_span(holder).line
        head = text_of(doc, Span(above, 1, above + 1, 1))
        if head is not None and head.strip() == f"{holder}:" and above + 1 == line.line:
            line, whole = Span(above, 1, line.end_line, 1), head + (whole or "")
    moved = text_of(doc, Span(key_span.line, key_span.col, key_span.line + 1, 1))
    if not whole or not moved or not moved.endswith("\n"):
        return None
    moved = moved.rstrip("\r\n")
    dest = parent.get(target)
    if target in parent and not isinstance(dest, YMap):
        return None
    anchor = dest if isinstance(dest, YMap) and dest else parent
    first = next(iter(anchor))
    if anchor is parent and holder is not None and parent.has_position(holder):
        first = holder  # the new mapping goes right above the one the key leaves
    where = anchor.key_span(first)
    old = text_of(doc, where)
    opening = text_of(doc, Span(anchor.span.line, anchor.span.col, anchor.span.line, anchor.span.col + 1))
    if not old or opening == "{" or where == anchor.span or not _inside(where, anchor.span):
        return None
    lead = " " * (where.col - 1)
    text = f"{moved}\n{lead}{old}" if anchor is dest else f"{target}:\n{lead}  {moved}\n{lead}{old}"
    return Fix(title, (Edit(line, "", whole), Edit(where, text, old)))
