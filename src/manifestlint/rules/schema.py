"""schema-* rules: the findings of the schema pass (schema/check.py), one rule id per kind of
problem so each can be selected, ignored or re-graded like any other rule."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.model import Finding, YamlDoc
from manifestlint.registry import rule


def _found(doc: YamlDoc, rule_id: str) -> Iterator[Finding]:
    yield from (doc.schema or {}).get(rule_id, ())


@rule("schema-unknown-field", "kubernetes")
def unknown_field(doc: YamlDoc, ctx) -> Iterator[Finding]:
    return _found(doc, "schema-unknown-field")


@rule("schema-invalid-type", "kubernetes")
def invalid_type(doc: YamlDoc, ctx) -> Iterator[Finding]:
    return _found(doc, "schema-invalid-type")


@rule("schema-invalid-value", "kubernetes")
def invalid_value(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """The schema pass's findings, and the API server's refusals no schema states (api_values)."""
    from manifestlint.rules.kubernetes.api_values import refused_values

    yield from _found(doc, "schema-invalid-value")
    yield from refused_values(doc)


@rule("schema-missing-required", "kubernetes")
def missing_required(doc: YamlDoc, ctx) -> Iterator[Finding]:
    return _found(doc, "schema-missing-required")


@rule("schema-unknown-kind", "kubernetes")
def unknown_kind(doc: YamlDoc, ctx) -> Iterator[Finding]:
    yield from _found(doc, "schema-unknown-kind")
    if ctx.options.get("custom-resources"):  # "not validated" notes for third-party CRDs
        yield from _found(doc, "schema-unknown-kind/custom-resource")
