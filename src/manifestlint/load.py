"""Reading and parsing one input file into documents, with its parse problems as findings.

Everything that can go wrong with an input — unreadable bytes, an encoding, a size, YAML or
Dockerfile syntax, a forced type that does not fit — ends here as a finding with a position,
so the engine only ever sees parsed documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from manifestlint.classify import chunk_kind, document_kind, expand_lists, yaml_hint_by_name
from manifestlint.discover import Source
from manifestlint.model import FILE_START, Finding, Span, YamlDoc, YMap
from manifestlint.registry import Registry

MAX_FILE_BYTES = 10 * 1024 * 1024

# A template action opening a line or standing unquoted as a value: Helm/Go templates.
_GO_TEMPLATE = re.compile(r"^\s*\{\{|:[ \t]+\{\{", re.M)

_TYPE_NAMES = {"YList": "sequence", "str": "string", "NoneType": "empty document"}

SYNTAX_RULE = {
    "kubernetes": "k8s-syntax-error",
    "alertmanager": "alertmanager-invalid-yaml",
    "prometheus-rules": "prometheus-invalid-yaml",
    "dockerfile": "docker-syntax-error",
    "": "manifestlint-yaml-syntax",
}


@dataclass(slots=True)
class ParsedFile:
    source: Source
    text: str = ""
    file_type: str = ""  # dockerfile / kubernetes / alertmanager / prometheus-rules / '' (not ours)
    docs: list[YamlDoc] = field(default_factory=list)
    dockerfile: Any = None
    findings: list[Finding] = field(default_factory=list)  # parse problems (rule ids already set)


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
    source: Source, registry: Registry, stdin_text: str | None = None, markers: tuple[bytes, ...] = ()
) -> ParsedFile:
    """Read, decode and parse one file. With `markers`, a file containing none of them is
    left unparsed (context files: one read, and the size limit still applies)."""
    parsed = ParsedFile(source)
    if stdin_text is not None:
        text: str | None = stdin_text
    else:
        try:
            size = source.abspath.stat().st_size
            if size > MAX_FILE_BYTES:
                parsed.findings.append(
                    _engine_finding(
                        "manifestlint-unreadable-file",
                        source.path,
                        FILE_START,
                        f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit; not linted",
                        registry,
                    )
                )
                return parsed
            data = source.abspath.read_bytes()
        except OSError as exc:
            parsed.findings.append(
                _engine_finding(
                    "manifestlint-unreadable-file",
                    source.path,
                    FILE_START,
                    f"cannot read: {exc.strerror}",
                    registry,
                )
            )
            return parsed
        if markers and not any(marker in data for marker in markers):
            return parsed
        text, problem = decode(data)
        if text is None:
            parsed.findings.append(
                _engine_finding("manifestlint-unreadable-file", source.path, FILE_START, problem, registry)
            )
            return parsed
    parsed.text = text
    if source.file_type == "dockerfile":
        _parse_dockerfile(parsed, registry)
    else:
        _parse_yaml(parsed, registry)
    return parsed


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
    docs = [doc for doc in expand_lists(docs) if not _unrendered(doc)]
    docs += _embedded_configs(docs, parsed, registry)
    kinds = {doc.kind for doc in docs if doc.kind}
    file_kind = forced or (kinds.pop() if len(kinds) == 1 else "kubernetes" if "kubernetes" in kinds else "")
    file_kind = file_kind or yaml_hint_by_name(path)
    parsed.docs = [doc for doc in docs if doc.kind]
    for error in errors:
        if error.refused:  # too deep, alias bomb: readable YAML we will not expand
            parsed.findings.append(
                _engine_finding("manifestlint-unreadable-file", path, error.span, error.message, registry)
            )
            continue
        if _GO_TEMPLATE.search(error.chunk):
            continue  # a Go/Helm template, not YAML: not ours to judge
        kind = forced or chunk_kind(error.chunk) or file_kind
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
_EMBEDDED_KINDS = ("alertmanager", "prometheus-rules")


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
            node = data.vnodes.get(key)
            if not (isinstance(key, str) and key.endswith((".yaml", ".yml")) and isinstance(value, str)):
                continue
            if node is None or not str(node.style or "").startswith("|"):
                continue  # only literal blocks keep the file's line structure
            lines = lines if lines is not None else parsed.text.split("\n")
            first, stop = node.start_mark.line + data.line0 + 1, node.end_mark.line + data.line0
            stop += 1 if node.end_mark.column else 0  # a block ending at EOF ends mid-line
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


def _unrendered(doc: YamlDoc) -> bool:
    """A Kubernetes object whose name is still a template placeholder (`{{cell}}-vtctld`) is a
    template, not a manifest: its real values are unknown, so it is not linted."""
    if doc.kind != "kubernetes":
        return False
    meta = doc.root.get("metadata")
    return isinstance(meta, dict) and "{{" in str(meta.get("name", ""))
