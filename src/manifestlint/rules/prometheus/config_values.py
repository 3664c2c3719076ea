"""Values of prometheus.yml that Prometheus' loader checks one by one (config/config.go):
scrape protocols, name validation and escaping schemes, storage, tracing, remote write/read
headers and message types. Called by rules/prometheus/config.py's prometheus-invalid-config.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.templating import is_placeholder

SCRAPE_PROTOCOLS = ("PrometheusProto", "OpenMetricsText0.0.1", "OpenMetricsText1.0.0", "PrometheusText0.0.4",
                    "PrometheusText1.0.0")  # fmt: skip
VALIDATION_SCHEMES = ("", "legacy", "utf8")
ESCAPING_SCHEMES = ("allow-utf-8", "underscores", "dots", "values")
WRITE_MESSAGES = ("prometheus.WriteRequest", "io.prometheus.write.v2.Request")
# config.reservedHeaders: headers remote write/read and tracing may not set.
RESERVED_HEADERS = frozenset({"host", "content-encoding", "content-length", "content-type", "user-agent",
                              "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                              "www-authenticate", "accept-encoding", "x-prometheus-remote-write-version",
                              "x-prometheus-remote-read-version", "x-amz-date", "x-amz-security-token",
                              "x-amz-content-sha256"})  # fmt: skip


def _text(mapping: YMap, key: str) -> str | None:
    value = mapping.get(key)
    if not isinstance(value, str) or is_placeholder(value):
        return None
    return value


def _one_of(doc: YamlDoc, mapping: Any, key: str, allowed: tuple[str, ...], what: str) -> Iterator[Finding]:
    if not isinstance(mapping, YMap) or key not in mapping:
        return
    value = _text(mapping, key)
    if value is not None and value not in allowed:
        shown = ", ".join(repr(a) for a in allowed if a)
        yield doc_hit(doc, mapping.value_span(key), f"{what} {value!r} is not one of {shown}")


def _protocols(doc: YamlDoc, holder: Any) -> Iterator[Finding]:
    if not isinstance(holder, YMap):
        return
    protocols = holder.get("scrape_protocols")
    if "scrape_protocols" in holder and isinstance(protocols, YList):
        if not protocols:
            yield doc_hit(doc, holder.value_span("scrape_protocols"), "scrape_protocols cannot be empty")
        seen: set[str] = set()
        for i, protocol in enumerate(protocols):
            if (
                isinstance(protocol, str)
                and protocol not in SCRAPE_PROTOCOLS
                and not is_placeholder(protocol)
            ):
                yield doc_hit(doc, protocols.item_span(i), f"unknown scrape protocol {protocol}, supported: "
                              f"{', '.join(SCRAPE_PROTOCOLS)}")  # fmt: skip
            elif protocol in seen:
                yield doc_hit(
                    doc, protocols.item_span(i), f"duplicated protocol in scrape_protocols: {protocol}"
                )
            seen.add(str(protocol))
    yield from _one_of(doc, holder, "fallback_scrape_protocol", SCRAPE_PROTOCOLS, "fallback_scrape_protocol")
    yield from _one_of(
        doc, holder, "metric_name_validation_scheme", VALIDATION_SCHEMES, "metric_name_validation_scheme"
    )
    yield from _one_of(
        doc, holder, "metric_name_escaping_scheme", ESCAPING_SCHEMES, "metric_name_escaping_scheme"
    )


def _headers(doc: YamlDoc, holder: YMap, where: str) -> Iterator[Finding]:
    headers = holder.get("headers")
    for key in headers if isinstance(headers, YMap) else ():
        name = str(key).lower()
        if name in RESERVED_HEADERS:
            yield doc_hit(doc, headers.key_span(key), f"{key} is a reserved header. It must not be changed")
        elif name == "authorization" and where != "remote_read":
            message = ("authorization header must be changed via the basic_auth, authorization, oauth2, "
                       "sigv4, azuread or google_iam parameter")  # fmt: skip
            yield doc_hit(doc, headers.key_span(key), message)


def value_problems(doc: YamlDoc, root: YMap) -> Iterator[Finding]:
    """Every refused value of the sections other than scrape discovery and relabelling."""
    yield from _protocols(doc, root.get("global"))
    configs = root.get("scrape_configs")
    for scfg in configs if isinstance(configs, YList) else ():
        yield from _protocols(doc, scfg)
    for key in ("remote_write", "remote_read"):
        items = root.get(key)
        for cfg in items if isinstance(items, YList) else ():
            if isinstance(cfg, YMap):
                yield from _headers(doc, cfg, key)
                if key == "remote_write":
                    yield from _one_of(doc, cfg, "protobuf_message", WRITE_MESSAGES, "protobuf_message")
    yield from _storage(doc, root.get("storage"))
    tracing = root.get("tracing")
    if isinstance(tracing, YMap) and tracing:
        yield from _headers(doc, tracing, "tracing")
        if not tracing.get("endpoint"):
            yield doc_hit(doc, root.key_span("tracing"), "tracing endpoint must be set")
        yield from _one_of(doc, tracing, "compression", ("", "gzip"), "tracing compression")
        yield from _one_of(doc, tracing, "client_type", ("http", "grpc"), "tracing client_type")


def _storage(doc: YamlDoc, storage: Any) -> Iterator[Finding]:
    tsdb = storage.get("tsdb") if isinstance(storage, YMap) else None
    if not isinstance(tsdb, YMap):
        return
    encoding = tsdb.get("chunk_encoding")
    yield from _one_of(doc, encoding, "floats", ("", "xor", "xor2"), "storage.tsdb.chunk_encoding.floats")
    retention = tsdb.get("retention")
    if isinstance(retention, YMap):
        percentage = retention.get("percentage")
        if type(percentage) in (int, float) and not 0 <= percentage <= 100:
            message = f"'storage.tsdb.retention.percentage' must be in the range [0, 100], got {percentage}"
            yield doc_hit(doc, retention.value_span("percentage"), message)
