"""Reading and parsing one input file into documents, with its parse problems as findings.

Everything that can go wrong with an input — unreadable bytes, an encoding, a size, YAML or
Dockerfile syntax, a forced type that does not fit — ends here as a finding with a position,
so the engine only ever sees parsed documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manifestlint.classify import (
    chunk_kind,
    document_kind,
    expand_lists,
    is_dockerfile_name,
    lookalike,
    looks_like_dockerfile,
    yaml_hint_by_name,
)
from manifestlint.discover import Source
from manifestlint.model import FILE_START, Finding, Span, YamlDoc, YList, YMap
from manifestlint.project.roles import LOOKALIKE, TEMPLATE, Role
from manifestlint.registry import Registry
from manifestlint.safeio import MAX_FILE_BYTES, Unreadable, read_regular
from manifestlint.templating import TEMPLATE_LINE, TEMPLATE_OPENERS, placeholder, template_file_name

# A template statement opening a line or standing unquoted as a value: Helm/Go, Jinja and
# Terraform templates (templating.py).
_GO_TEMPLATE = TEMPLATE_LINE
# Helm's vocabulary inside an action: `.Values.x`, `.Release.Name`, `include "chart.labels"`.
# Alertmanager (`template "x" .`), Prometheus (`$labels`) and Grafana (`{{pod}}`) templates
# inside strings are those tools' own syntax and say nothing about the manifest.
_HELM_ACTION = re.compile(
    r"\{\{-?[^}]*?(?:\.Values\b|\.Release\.|\.Chart\.|\.Capabilities\.|\.Files\.|\binclude\s+\")"
)
_COMPLEX_KEY = "<complex key at line "  # parse/yaml.py's name for a mapping used as a key
TEMPLATE_RULE = "manifestlint-unrendered-template"

_TYPE_NAMES = {"YList": "sequence", "str": "string", "NoneType": "empty document"}

SYNTAX_RULE = {
    "kubernetes": "k8s-syntax-error",
    "alertmanager": "alertmanager-invalid-yaml",
    "prometheus-rules": "prometheus-invalid-yaml",
    "prometheus-config": "prometheus-invalid-yaml",
    "dockerfile": "docker-syntax-error",
    "": "manifestlint-yaml-syntax",
}


# Text that --fix / --diff changed and has not written (manifestlint/fixes.py), by absolute
# path: read instead of the file, so that the next pass lints what the fixes made.
PENDING: dict[str, bytes] = {}


@dataclass(slots=True)
class ParsedFile:
    source: Source
    text: str = ""
    file_type: str = ""  # dockerfile / kubernetes / alertmanager / prometheus-rules / '' (not ours)
    docs: list[YamlDoc] = field(default_factory=list)
    dockerfile: Any = None
    findings: list[Finding] = field(default_factory=list)  # parse problems (rule ids already set)
    # A role decided by the content (a template, a look-alike) or by the project model (a
    # kustomize patch); None: the path's role (project/roles.py) stands. For the listing.
    role: Role | None = None


def decode(data: bytes) -> tuple[str | None, str]:
    """(text, problem). UTF-8 (with or without BOM) and UTF-16 with a BOM are accepted."""
    if b"\0" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, "binary file (contains NUL bytes); not linted"
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16"), ""
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.start + 1].hex() or "??"
        return None, f"not valid {exc.encoding.upper()} (byte 0x{bad} at offset {exc.start}); not linted"


def _engine_finding(
    rule: str, path: str, span: Span, message: str, registry: Registry, doc: int = -1
) -> Finding:
    return Finding(rule, registry.get(rule).severity, path, span, message, "", doc)


def read_source(
    source: Source,
    registry: Registry,
    stdin_text: str | bytes | None = None,
    markers: tuple[bytes, ...] = (),
) -> ParsedFile:
    """Read, decode and parse one file (or standard input's bytes, read by the caller with
    the same limit). With `markers`, a file containing none of them is left unparsed
    (context files: one read, and the size limit still applies)."""
    parsed = ParsedFile(source)

    def unreadable(message: str) -> ParsedFile:
        parsed.findings.append(
            _engine_finding("manifestlint-unreadable-file", source.path, FILE_START, message, registry)
        )
        return parsed

    if isinstance(stdin_text, str):
        text: str | None = stdin_text
    else:
        if stdin_text is not None:
            data = stdin_text
            if len(data) > MAX_FILE_BYTES:
                return unreadable(f"standard input is over the {MAX_FILE_BYTES:,}-byte limit; not linted")
        else:
            try:
                if source.problem:
                    raise Unreadable(source.problem)
                pending = PENDING.get(str(source.abspath)) if PENDING else None
                data = read_regular(source.abspath, MAX_FILE_BYTES) if pending is None else pending
            except Unreadable as exc:
                return unreadable(str(exc))
            if markers and not any(marker in data for marker in markers):
                return parsed
        text, problem = decode(data)
        if text is None:
            return unreadable(problem)
    parsed.text = text
    if stdin_text is None and _template_by_name(parsed, registry):
        return parsed
    if source.file_type == "dockerfile":
        _parse_dockerfile(parsed, registry)
    else:
        _parse_yaml(parsed, registry)
    return parsed


def _template_by_name(parsed: ParsedFile, registry: Registry) -> bool:
    """A file whose name says it is a template (`Dockerfile.j2`, `config.tpl.yml`,
    `deploy.yaml.tmpl`): one note at its first placeholder, and not linted (issue 19,
    principle 4: templates are not values)."""
    path = parsed.source.path
    word = template_file_name(path)
    if word is None:
        return False
    text = parsed.text
    found = next((m for m in _PLACEHOLDER_LINE.finditer(text) if placeholder(m.group(0))), None)
    span, what = FILE_START, "the file"
    if found is not None:
        token = placeholder(found.group(0)) or ""
        offset = found.start() + found.group(0).index(token)
        line = text.count("\n", 0, offset) + 1
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        span, what = Span(line, col, line, col + len(token)), repr(_short(token))
    parsed.role = Role(TEMPLATE, f"its file name says template (.{word})")
    message = (
        f"the file name says this is a template (.{word}), and {what} is still to be substituted: "
        "not linted; lint the rendered file instead"
        if found is not None
        else f"the file name says this is a template (.{word}): not linted; lint the rendered file instead"
    )
    parsed.findings.append(_engine_finding(TEMPLATE_RULE, path, span, message, registry))
    return True


_PLACEHOLDER_LINE = re.compile(r"[^\n]*[$@{%<E#][^\n]*")


def read_stdin(
    stdin: tuple[str, str | bytes], cwd: Path, forced_type: str | None, registry: Registry
) -> ParsedFile:
    """Standard input, as (display name, text or bytes): its type follows from its name
    (`--stdin-filename`), or without one from the content (`cat Dockerfile | manifestlint
    lint -` is a Dockerfile named `stdin`; other input is YAML named `stdin.yaml`)."""
    name, text = stdin
    if name:
        ftype = forced_type or ("dockerfile" if is_dockerfile_name(Path(name).name) else "yaml")
    else:
        sample = text[:65536].decode("utf-8", "replace") if isinstance(text, bytes) else text[:65536]
        if forced_type == "dockerfile" or (forced_type is None and looks_like_dockerfile(sample)):
            name, ftype = "stdin", "dockerfile"
        else:
            name, ftype = "stdin.yaml", forced_type or "yaml"
    return read_source(Source(name, cwd / name, ftype), registry, stdin_text=text)


def _parse_dockerfile(parsed: ParsedFile, registry: Registry) -> None:
    from manifestlint.parse.dockerfile import parse_dockerfile

    parsed.file_type = "dockerfile"
    df = parse_dockerfile(parsed.text, parsed.source.path)
    parsed.dockerfile = df
    for span, message in df.errors:
        parsed.findings.append(
            _engine_finding("docker-syntax-error", parsed.source.path, span, message, registry)
        )


def _parse_yaml(parsed: ParsedFile, registry: Registry) -> None:
    from manifestlint.parse.yaml import parse_stream

    path = parsed.source.path
    forced = parsed.source.file_type if parsed.source.file_type != "yaml" else ""
    docs, errors, duplicates = parse_stream(parsed.text, path)
    for doc in docs:
        if forced and not isinstance(doc.root, dict):
            parsed.findings.append(
                _engine_finding(
                    SYNTAX_RULE[forced],
                    path,
                    doc.span,
                    f"the document is a {_TYPE_NAMES.get(type(doc.root).__name__, 'scalar')}, not a mapping: "
                    f"{forced} files hold a mapping",
                    registry,
                )
            )
            continue
        doc.kind = forced or document_kind(doc.root)
    docs = expand_lists(docs)
    kinds = {doc.kind for doc in docs if doc.kind}
    file_kind = forced or (kinds.pop() if len(kinds) == 1 else "kubernetes" if "kubernetes" in kinds else "")
    if file_kind in ("", "kubernetes") and any(opener in parsed.text for opener in TEMPLATE_OPENERS):
        evidence = _template_evidence(docs, errors, parsed.text)
        if evidence is not None:
            span, what = evidence
            parsed.role = Role(TEMPLATE, f"unrendered template syntax {what} at line {span.line}")
            guess = next((chunk_kind(e.chunk) for e in errors if chunk_kind(e.chunk)), "")
            message = _template_message(what, guess or yaml_hint_by_name(path))
            parsed.findings.append(_engine_finding(TEMPLATE_RULE, path, span, message, registry))
            return
    if not kinds and not forced:
        known = next(filter(None, (lookalike(doc.root) for doc in docs)), "")
        parsed.role = Role(LOOKALIKE, known) if known else None
    docs += _embedded_configs(docs, parsed, registry)
    file_kind = file_kind or yaml_hint_by_name(path)
    parsed.docs = [doc for doc in docs if doc.kind]
    template_noted = False
    for error in errors:
        if error.refused:  # too deep, alias bomb: readable YAML we will not expand
            parsed.findings.append(
                _engine_finding("manifestlint-unreadable-file", path, error.span, error.message, registry)
            )
            continue
        match = _GO_TEMPLATE.search(error.chunk)
        if match is not None:  # a Go/Jinja template, or a rule/route file with an unquoted {{ }}
            if not template_noted:
                template_noted = True
                span, what = _action_at(parsed.text, error, match)
                message = _template_message(what, chunk_kind(error.chunk) or file_kind)
                parsed.findings.append(_engine_finding(TEMPLATE_RULE, path, span, message, registry))
            continue
        kind = forced or chunk_kind(error.chunk) or file_kind
        if not kind and path.lower().endswith(".json"):
            continue  # JSON with comments (devcontainer.json, tsconfig.json), not a manifest
        parsed.findings.append(_engine_finding(SYNTAX_RULE[kind], path, error.span, error.message, registry))
        file_kind = file_kind or kind
    for span, message in duplicates:
        doc = next((d for d in parsed.docs if d.span.line <= span.line <= d.span.end_line), None)
        if doc is not None:
            parsed.findings.append(
                _engine_finding(
                    SYNTAX_RULE[doc.kind],
                    path,
                    span,
                    f"{message}: the loader rejects duplicate keys",
                    registry,
                    doc.index,
                )
            )
    if parsed.docs or parsed.findings:
        parsed.file_type = file_kind or "kubernetes"


# Where Kubernetes objects carry whole configuration files as text.
_EMBEDDING_FIELDS = {"Secret": "stringData", "ConfigMap": "data"}
_EMBEDDED_KINDS = ("alertmanager", "prometheus-rules", "prometheus-config")


def _embedded_configs(docs: list[YamlDoc], parsed: ParsedFile, registry: Registry) -> list[YamlDoc]:
    """Alertmanager configs and rule files kept in a Secret's stringData or a ConfigMap's data
    (kube-prometheus' `alertmanager.yaml: |`), linted with their real positions.

    The literal block's lines are parsed where they stand: the text before them is replaced
    by blank lines, so every line and column libyaml reports is already the file's own."""
    from manifestlint.parse.yaml import parse_stream

    out: list[YamlDoc] = []
    lines: list[str] | None = None
    for doc in docs:
        field = _EMBEDDING_FIELDS.get(doc.root.get("kind")) if doc.kind == "kubernetes" else None
        data = doc.root.get(field) if field else None
        if not isinstance(data, YMap):
            continue
        for key, value in data.items():
            if not (isinstance(key, str) and key.endswith((".yaml", ".yml")) and isinstance(value, str)):
                continue
            if not data.has_position(key) or data.value_style(key) != "|":
                continue  # only literal blocks keep the file's line structure
            lines = lines if lines is not None else parsed.text.split("\n")
            span = data.value_span(key)  # 1-based: the block's first line is the header's next
            first, stop = span.line, span.end_line - 1
            stop += 1 if span.end_col > 1 else 0  # a block ending at EOF ends mid-line
            chunk = "\n" * first + "\n".join(lines[first:stop]) + "\n"
            sub_docs, errors, _ = parse_stream(chunk, doc.path)
            hint = yaml_hint_by_name(key)
            for sub in sub_docs:
                kind = document_kind(sub.root)
                if kind in _EMBEDDED_KINDS:
                    sub.kind, sub.text, sub.index = kind, parsed.text, doc.index * 10_000 + 5_000 + len(out)
                    out.append(sub)
            for error in errors:
                kind = chunk_kind(error.chunk) or hint
                if kind in _EMBEDDED_KINDS and not error.refused:
                    parsed.findings.append(
                        _engine_finding(
                            SYNTAX_RULE[kind], doc.path, error.span, f"{key}: {error.message}", registry
                        )
                    )
    return out


def _template_message(what: str, kind: str) -> str:
    """A Helm-style template gets "lint the rendered output"; a rule or Alertmanager file with
    an unquoted `{{ }}` value is more likely a mistake: Prometheus and Alertmanager refuse it."""
    if kind in ("prometheus-rules", "alertmanager", "prometheus-config"):
        return (
            f"{what} is template syntax where YAML expects a value, so this document was not linted: "
            "quote the value (Prometheus and Alertmanager refuse it unquoted) or, if this is a "
            "template, lint its rendered output"
        )
    example = " (e.g. `helm template . | manifestlint lint -`)" if "{{" in what else ""
    return (
        f"{what} is template syntax: this file is a template, not a manifest, and was not linted; "
        f"lint its rendered output instead{example}"
    )


def _template_evidence(docs: list[YamlDoc], errors: list[Any], text: str) -> tuple[Span, str] | None:
    """Where a YAML file shows it is still a Go/Helm template, and what shows it, or None.

    Evidence, first in the file wins: a syntax error inside a template action (`{{- if }}`
    lines), a value parsed as a mapping used as a key (`replicas: {{ .Values.n }}` is YAML for
    `{{...}: null}`), a one-line Kubernetes string value using Helm's vocabulary
    (`"{{ .Values.image }}"`; not inside a ConfigMap's or Secret's data, whose multi-line files
    belong to other programs, such as istio's sidecar injection template) and an object whose
    name is a placeholder (`{{cell}}-vtctld`)."""
    found: list[tuple[Span, str]] = []
    for error in errors:
        match = None if error.refused else _GO_TEMPLATE.search(error.chunk)
        if match is not None:
            found.append(_action_at(text, error, match))
            break
    for doc in docs:
        found.extend(_template_in(doc))
        if found:
            break
    return min(found, key=lambda item: (item[0].line, item[0].col)) if found else None


def _action_at(text: str, error: Any, match: re.Match[str]) -> tuple[Span, str]:
    """The template action that broke the YAML: its own line and column when the failing
    chunk can be found in the file, else where the parser gave up."""
    start = text.find(error.chunk) if error.chunk else -1
    if start < 0:
        return error.span, "a template action"
    head = match.group(0)
    offset = start + match.start() + min(head.find(o) for o in TEMPLATE_OPENERS if o in head)
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    action = _action_text(text, offset)
    return Span(line, col, line, col + len(action)), repr(_short(action))


_CLOSERS = {"{{": "}}", "{%": "%}", "%{": "}"}


def _action_text(text: str, offset: int) -> str:
    """The `{{ ... }}` (`{% ... %}`, `%{ ... }`) starting at `offset`, up to the end of its line."""
    eol = text.find("\n", offset)
    eol = len(text) if eol < 0 else eol
    closer = _CLOSERS.get(text[offset : offset + 2], "}}")
    end = text.find(closer, offset + 2, eol)
    return text[offset : end + len(closer)] if end >= 0 else text[offset:eol]


def _short(action: str) -> str:
    return action if len(action) <= 40 else action[:37] + "..."


def _template_in(doc: YamlDoc) -> list[tuple[Span, str]]:
    """Every piece of template evidence in one document (the caller takes the first)."""
    root = doc.root
    if not isinstance(root, (YMap, YList)):
        return []
    found: list[tuple[Span, str]] = []
    kubernetes = doc.kind == "kubernetes"
    meta = root.get("metadata") if isinstance(root, YMap) else None
    if kubernetes and isinstance(meta, YMap) and "{{" in str(meta.get("name", "")):
        found.append((meta.value_span("name"), f"the name {meta.get('name')!r}"))
    carried = _EMBEDDING_FIELDS.get(str(root.get("kind"))) if kubernetes and isinstance(root, YMap) else None
    # (node, whether its strings are the manifest's own): a ConfigMap's or Secret's data holds
    # files of other programs (istio's injection template, dashboards), judged by YAML only.
    stack: list[tuple[Any, bool]] = [(root, kubernetes)]
    while stack:
        node, own = stack.pop()
        if isinstance(node, YMap):
            for key, value in node.items():
                if isinstance(key, str) and key.startswith(_COMPLEX_KEY):
                    span = node.span
                    line = doc.text.split("\n", span.line)[span.line - 1] if doc.text else ""
                    action = _action_text(line, span.col - 1) if line[span.col - 1 :].startswith("{{") else ""
                    found.append((span, repr(_short(action)) if action else "'{{ ... }}'"))
                elif own and isinstance(value, str) and "{{" in value and "\n" not in value:
                    match = _HELM_ACTION.search(value)
                    if match:
                        found.append((node.value_span(key), repr(match.group(0) + " ... }}")))
                if isinstance(value, (YMap, YList)):
                    stack.append((value, own and not (node is root and carried and key in (carried, "data"))))
        elif isinstance(node, YList):
            stack.extend((item, own) for item in node if isinstance(item, (YMap, YList)))
    return found
