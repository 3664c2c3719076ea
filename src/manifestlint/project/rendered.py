"""Findings on `helm template` output, moved back to the chart the user edits.

Chart templates are Go templates, not YAML, and are never linted themselves; their rendered
output is (`helm template ./chart | manifestlint lint -`). Helm writes `# Source:
CHART/templates/FILE.yaml` above each document. A finding on a rendered document is reported:

1. in the chart's `values.yaml`, at the value, when the template writes the offending key as
   `key: {{ .Values.a.b }}` (straight from a value: that is where the user changes it), with the
   template line as a related location;
2. else at the template line where the offending key is written literally (matched by the key
   path from the document's root; list items by their `name`);
3. else at the nearest enclosing key written in the template (the `securityContext:` line above
   a `{{ toYaml .Values.securityContext }}`), or the template's first line, with the rendered
   line in the message;
4. where the chart is not found below the project root (rendered elsewhere), on the rendered
   stream as before, its message naming the template it came from.

The chart folder is found by its `Chart.yaml` `name:` (the first component of the source path;
`charts/SUB/` below it for subcharts). Nothing outside the root is read: source paths with `..`
or absolute ones are ignored, and files are read only when their real path stays inside it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from manifestlint.model import Finding, Related, Span, YList, YMap

SOURCE = re.compile(r"^# Source: ([^\s]+)[ \t]*$", re.M)
_KEY_LINE = re.compile(r"^([ \t]*)(-[ \t]+)?([A-Za-z0-9_.\-/\"']+)[ \t]*:(?:[ \t]+(.*?))?[ \t]*$")
_VALUES_REF = re.compile(
    r"^[\"']?\{\{-?\s*\.Values\.([A-Za-z0-9_.]+)\s*(?:\|\s*(?:quote|squote|toString|int)\s*)?-?\}\}[\"']?$"
)
MAX_TEMPLATE_BYTES = 1024 * 1024


def sources(text: str) -> list[tuple[int, str]]:
    """(line, source path) of each `# Source:` comment, in order; [] for anything else."""
    if "# Source: " not in text:
        return []
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in SOURCE.finditer(text)]


def _source_at(marks: list[tuple[int, str]], line: int) -> tuple[int, str] | None:
    found = None
    for mark in marks:
        if mark[0] >= line:
            break
        found = mark
    return found


def key_path(root: Any, line: int, col: int) -> list[Any]:
    """The keys (and list indexes) leading to the value or key at (line, col)."""
    path: list[Any] = []
    node = root
    while True:
        if isinstance(node, YMap):
            for key in node:
                if not node.has_position(key):
                    continue
                if _inside(node.key_span(key), line, col):
                    return [*path, key]
                if _inside(node.value_span(key), line, col):
                    path.append(key)
                    node = node[key]
                    break
            else:
                return path
        elif isinstance(node, YList):
            for i in range(len(node)):
                if _inside(node.item_span(i), line, col):
                    path.append(i)
                    node = node[i]
                    break
            else:
                return path
        else:
            return path


def _inside(span: Span, line: int, col: int) -> bool:
    """Ends are exclusive: a block's end mark is where the next key starts."""
    return (span.line, span.col) <= (line, col) < (span.end_line, span.end_col)


def _item_names(root: Any, path: list[Any]) -> dict[int, str]:
    """For each list index along `path`, the item's `name` (how templates are matched)."""
    names: dict[int, str] = {}
    node = root
    for depth, step in enumerate(path):
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(step, int) and isinstance(node, YMap) and isinstance(node.get("name"), str):
            names[depth] = node["name"]
    return names


class _Line:
    __slots__ = ("col", "keys", "line", "value", "value_col")

    def __init__(self, line: int, keys: tuple[str, ...], col: int, value: str, value_col: int) -> None:
        self.line, self.keys, self.col, self.value, self.value_col = line, keys, col, value, value_col


def template_keys(text: str) -> list[_Line]:
    """Each `key:` line of a template with the keys above it by indentation (template
    directives and comments are skipped; a `- key:` item opens a level of its own)."""
    out: list[_Line] = []
    stack: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", "{{")) or stripped == "---":
            if stripped == "---":
                stack = []
            continue
        match = _KEY_LINE.match(raw)
        if match is None:
            continue
        indent = len(match.group(1))
        dash = match.group(2)
        key_col = indent + (len(dash) if dash else 0)
        if dash:  # a list item's first key: the item sits one level below the dash
            while stack and stack[-1][0] >= indent + 1:
                stack.pop()
        else:
            while stack and stack[-1][0] >= key_col:
                stack.pop()
        key = match.group(3).strip("\"'")
        keys = (*(k for _, k in stack), key)
        value = _without_comment(match.group(4) or "")
        value_col = raw.index(value, key_col + len(match.group(3))) + 1 if value else 0
        out.append(_Line(number, keys, key_col + 1, value, value_col))
        stack.append((key_col, key))
    return out


def _without_comment(value: str) -> str:
    """`{{ .Values.x }}  # a comment` -> the value (a ` #` inside quotes is text)."""
    cut = value.find(" #")
    while cut != -1:
        head = value[:cut]
        if head.count('"') % 2 == 0 and head.count("'") % 2 == 0:
            return head.rstrip()
        cut = value.find(" #", cut + 2)
    return value


def _match(
    lines: list[_Line], keys: tuple[str, ...], names: dict[int, str], text_lines: list[str]
) -> _Line | None:
    """The template line for `keys` (the finding's path without list indexes): exact, else the
    longest written prefix; among several, the one inside the list item of the same name."""
    best: list[_Line] = []
    best_len = 0
    for tl in lines:
        n = len(tl.keys)
        if n > len(keys) or tl.keys != keys[:n] or n < best_len:
            continue
        if n > best_len:
            best, best_len = [tl], n
        else:
            best.append(tl)
    if len(best) > 1 and names:
        wanted = set(names.values())
        scored = [(tl, _item_name_above(text_lines, tl.line, wanted)) for tl in best]
        named = [tl for tl, hit in scored if hit]
        best = named or best
    return best[0] if best else None


def _item_name_above(text_lines: list[str], line: int, wanted: set[str]) -> bool:
    """Whether the nearest `- name: X` item at or above `line` names one of the wanted items."""
    for raw in reversed(text_lines[:line]):
        m = re.match(r"^[ \t]*-[ \t]+name:[ \t]*[\"']?([^\"'#]+?)[\"']?[ \t]*$", raw)
        if m:
            return m.group(1) in wanted
    return False


class ChartIndex:
    """Chart folders below the root by chart name (read once per call)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._charts: dict[str, list[Path]] | None = None

    def charts(self) -> dict[str, list[Path]]:
        if self._charts is None:
            from manifestlint.discover import walk_names

            found: dict[str, list[Path]] = {}
            for name in walk_names(self.root):
                if name.rsplit("/", 1)[-1] != "Chart.yaml":
                    continue
                folder = self.root / name.rpartition("/")[0] if "/" in name else self.root
                text = self.read(folder / "Chart.yaml")
                match = re.search(r"(?m)^name:[ \t]*[\"']?([^\s\"'#]+)", text or "")
                if match:
                    found.setdefault(match.group(1), []).append(folder)
            self._charts = found
        return self._charts

    def read(self, path: Path) -> str | None:
        """The text of a regular file whose real path stays below the root."""
        from manifestlint.safeio import Unreadable, read_inside

        try:
            return read_inside(path, self.root, MAX_TEMPLATE_BYTES).decode("utf-8", "replace")
        except (OSError, ValueError, Unreadable):
            return None

    def template(self, source: str) -> Path | None:
        """`web/templates/x.yaml` or `web/charts/db/templates/y.yaml` -> the file in the repo."""
        parts = source.split("/")
        if len(parts) < 3 or any(p in ("", ".", "..") for p in parts) or source.startswith("/"):
            return None
        for folder in self.charts().get(parts[0], ()):
            candidate = folder.joinpath(*parts[1:])
            if self.read(candidate) is not None:
                return candidate
        return None


def attribute(
    findings: list[Finding], texts: dict[str, str], docs_of: dict[str, list], root: Path, cwd: Path
) -> tuple[list[Finding], list[str]]:
    """The findings with those on rendered documents moved into the chart, and the chart files
    they now point at (display paths, for the report's artifacts)."""
    marks = {path: sources(text) for path, text in texts.items()}
    marks = {path: m for path, m in marks.items() if m}
    if not marks:
        return findings, []
    charts = ChartIndex(root)
    out: list[Finding] = []
    seen: set[tuple] = set()
    touched: dict[str, None] = {}
    for f in findings:
        moved = (
            _attributed(f, marks.get(f.path), docs_of.get(f.path, ()), charts, cwd) if f.path in marks else f
        )
        key = (moved.rule, moved.path, moved.span, moved.message)
        if key in seen:  # one template rendered twice (two releases, a subchart used twice)
            continue
        seen.add(key)
        out.append(moved)
        if moved.path != f.path:
            touched[moved.path] = None
    return out, list(touched)


def _display(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return os.path.relpath(path, cwd.resolve())


def _attributed(
    f: Finding, marks: list[tuple[int, str]] | None, docs: Iterable, charts: ChartIndex, cwd: Path
) -> Finding:
    mark = _source_at(marks or [], f.span.line)
    if mark is None:
        return f
    source = mark[1]
    template = charts.template(source)
    rendered = f"rendered {f.path}:{f.span.line}"
    if template is None:
        return replace(f, message=f"{f.message} [from {source}]", fix=None)  # no fixing of rendered output
    text = charts.read(template) or ""
    doc = next((d for d in docs if d.span.line <= f.span.line <= d.span.end_line), None)
    path = key_path(doc.root, f.span.line, f.span.col) if doc is not None else []
    keys = tuple(str(k) for k in path if not isinstance(k, int))
    names = _item_names(doc.root, path) if doc is not None else {}
    text_lines = text.splitlines()
    line = _match(template_keys(text), keys, names, text_lines) if keys else None
    shown = _display(template, cwd)
    related = (*f.related, Related(f.path, f.span, f"the rendered document ({source})"))
    if line is None:
        return replace(
            f,
            path=shown,
            span=Span.point(1, 1),
            message=f"{f.message} ({rendered})",
            related=related,
            fix=None,
        )
    exact = line.keys == keys
    values = template.parent.parent / "values.yaml" if template.parent.name == "templates" else None
    dotted = _values_source(line, keys, text_lines, exact)
    where = _values_line(charts, values, dotted) if dotted and values else None
    if where is not None and values is not None:
        at_template = Related(shown, Span.point(line.line, line.col, len(line.keys[-1])), "the template line")
        return replace(
            f, path=_display(values, cwd), span=where,
            message=f"{f.message} (via {shown}:{line.line})", related=(*f.related, at_template), fix=None,
        )  # fmt: skip
    col = line.value_col if exact and line.value and f.span.col > _key_end(doc, path) else line.col
    span = Span.point(line.line, col, len(line.value) if col == line.value_col else len(line.keys[-1]))
    message = f.message if exact else f"{f.message} ({rendered}, written through `{line.keys[-1]}:` here)"
    return replace(f, path=shown, span=span, message=message, related=related, fix=None)


_TO_YAML = re.compile(r"\{\{-?\s*toYaml\s+\.Values\.([A-Za-z0-9_.]+)\s*\|\s*n?indent\s+\d+\s*-?\}\}")


def _values_source(line: _Line, keys: tuple[str, ...], text_lines: list[str], exact: bool) -> str | None:
    """The values.yaml key the offending value comes straight from: `key: {{ .Values.a.b }}`,
    or a `{{ toYaml .Values.x | nindent N }}` block under the matched key (then the rest of
    the finding's keys below `x`)."""
    if exact and line.value:
        ref = _VALUES_REF.match(line.value)
        return ref.group(1) if ref else None
    if exact:
        return None
    following = text_lines[line.line] if line.line < len(text_lines) else ""
    block = _TO_YAML.search(line.value) or _TO_YAML.search(following)
    if block is None:
        return None
    return ".".join((block.group(1), *keys[len(line.keys) :]))


def _key_end(doc: Any, path: list[Any]) -> int:
    """The column just after the key the finding's path ends in (to tell key from value)."""
    node = doc.root if doc is not None else None
    for step in path[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return 10**9
    if isinstance(node, YMap) and path and node.has_position(path[-1]):
        return node.key_span(path[-1]).end_col
    return 10**9


def _values_line(charts: ChartIndex, values: Path, dotted: str) -> Span | None:
    """The span of `a.b.c` in a chart's values.yaml, or None."""
    text = charts.read(values)
    if text is None:
        return None
    from manifestlint.parse.yaml import parse_stream

    docs, _, _ = parse_stream(text, str(values))
    node: Any = docs[0].root if docs else None
    span = None
    for key in dotted.split("."):
        if not isinstance(node, YMap) or key not in node or not node.has_position(key):
            return None
        span = node.value_span(key) if not isinstance(node[key], YMap | YList) else node.key_span(key)
        node = node[key]
    return span


def apply(result: Any) -> None:
    """Move the findings of rendered Helm streams (files or standard input) into the chart.
    The streams were recognised when read (`LintResult.rendered`): nothing is read again."""
    texts = {path: text for path, (text, _) in result.rendered.items()}
    docs_of = {path: docs for path, (_, docs) in result.rendered.items()}
    result.findings, touched = attribute(result.findings, texts, docs_of, result.root, result.cwd)
    result.findings.sort(key=Finding.sort_key)
    result.artifacts.extend(p for p in touched if p not in result.artifacts)
