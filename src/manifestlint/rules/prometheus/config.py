"""prometheus.yml as Prometheus' loader (and `promtool check config`) reads it: unknown fields,
wrong types, durations, scrape and Alertmanager configs, relabelling, service discovery,
HTTP client settings (the Alertmanager validator's parts), remote read/write.

Each problem is reported at the offending key or value, every one of them (the loader stops at
the first). Rules that need the files around the configuration (rule_files, credential files)
are in config_files.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.alertmanager.http_config import http_problems
from manifestlint.rules.prometheus.common import duration_seconds
from manifestlint.rules.prometheus.config_schema import TYPES
from manifestlint.rules.prometheus.config_values import value_problems
from manifestlint.rules.prometheus.relabel import relabel_problems
from manifestlint.templating import is_placeholder

_TAGS = {bool: "!!bool", int: "!!int", float: "!!float", str: "!!str", YMap: "!!map", YList: "!!seq"}
_GO = {"duration": "model.Duration", "bool": "bool", "uint": "uint", "int": "int", "float": "float64",
       "size": "units.Base2Bytes", "strings": "[]string", "labels": "map[string]string",
       "str": "string"}  # fmt: skip
# units.Base2Bytes: a number with its unit (`15MB`, `1KiB`); a bare number is refused.
_SIZE = re.compile(r"(\d+(\.\d+)?([KMGTPE]i?B|B))+\Z|0\Z")
# config.patRulePath: one `*` at most, in the last path element.
_RULE_PATH = re.compile(r"[^*]*(\*[^/]*)?\Z")
DEFAULT_INTERVAL = 60.0  # global scrape_interval when unset


def _scalar_ok(value: Any, kind: str) -> bool:
    if value is None or kind == "any" or (isinstance(value, str) and is_placeholder(value)):
        return True
    if kind == "duration":
        return duration_seconds(value) is not None
    if kind == "bool":
        return type(value) is bool
    if kind in ("uint", "int"):
        return type(value) is int and (kind == "int" or value >= 0)
    if kind == "float":
        return type(value) in (int, float)
    if kind == "size":
        return _SIZE.match(str(value)) is not None and type(value) in (int, str)
    if kind == "strings":
        return isinstance(value, YList) and not any(isinstance(v, (YMap, YList)) for v in value)
    if kind == "labels":
        return isinstance(value, YMap) and not any(isinstance(v, (YMap, YList)) for v in value.values())
    return not isinstance(value, (YMap, YList))  # str: go-yaml decodes any scalar into a string


def _type_message(key: str, value: Any, kind: str) -> str:
    if kind == "duration" and isinstance(value, (str, int)) and not isinstance(value, bool):
        return f"{key}: not a valid duration string: {str(value)!r}"
    shown = (
        f" `{str(value).lower() if type(value) is bool else value}`"
        if isinstance(value, (str, int, float))
        else ""
    )
    return f"{key}: cannot unmarshal {_TAGS.get(type(value), '!!str')}{shown} into {_GO.get(kind, kind)}"


def walk(root: YMap) -> Iterator[tuple[str, YMap, Any, str]]:
    """('field' | 'type', mapping, key, message) for every key the loader does not know and
    every value of the wrong type, below the configuration's root (iterative: no recursion)."""
    from manifestlint.schema.validate import suggest

    stack: list[tuple[Any, str]] = [(root, "config")]
    while stack:
        mapping, type_name = stack.pop()
        fields = TYPES.get(type_name)
        if fields is None or not isinstance(mapping, YMap):
            continue
        for key, value in mapping.items():
            spec = fields.get(key) if isinstance(key, str) else None
            if spec is None:
                meant = suggest(key, sorted(fields)) if isinstance(key, str) else None
                hint = f" (did you mean '{meant}'?)" if meant else ""
                yield "field", mapping, key, f"field {key} not found in type config.{type_name}{hint}"
            elif isinstance(spec, tuple):
                if value is not None and not isinstance(value, YList):
                    yield "type", mapping, key, _type_message(key, value, f"[]config.{spec[1]}")
                for item in value if isinstance(value, YList) else ():
                    stack.append((item, spec[1]))
            elif spec in TYPES:
                if value is not None and not isinstance(value, YMap):
                    yield "type", mapping, key, _type_message(key, value, f"config.{spec}")
                stack.append((value, spec))
            elif not _scalar_ok(value, spec):
                yield "type", mapping, key, _type_message(key, value, spec)


@rule("prometheus-invalid-config-field", "prometheus-config")
def invalid_config_field(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Go's strict decoding refuses the whole file for one unknown key."""
    for what, mapping, key, message in walk(doc.root):
        if what == "field":
            yield doc_hit(doc, mapping.key_span(key), message)


def _items(mapping: Any, key: str) -> list[tuple[int, Any, YList]]:
    value = mapping.get(key) if isinstance(mapping, YMap) else None
    return [(i, item, value) for i, item in enumerate(value)] if isinstance(value, YList) else []


def _seconds(mapping: YMap, key: str) -> float | None:
    return duration_seconds(mapping.get(key)) if key in mapping else None


@rule("prometheus-invalid-config", "prometheus-config")
def invalid_config(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """What Prometheus' loader refuses beyond unknown keys: value types, durations, scrape and
    Alertmanager configs, relabelling, service discovery, HTTP client settings."""
    root = doc.root
    for what, mapping, key, message in walk(root):
        if what == "type":
            yield doc_hit(doc, mapping.where(key), message)
    glob = root.get("global") if isinstance(root.get("global"), YMap) else YMap()
    interval = _seconds(glob, "scrape_interval") or DEFAULT_INTERVAL
    timeout = _seconds(glob, "scrape_timeout")
    known = "scrape_interval" not in glob or _seconds(glob, "scrape_interval") is not None
    if timeout is not None and known and timeout > interval:
        yield doc_hit(
            doc, glob.value_span("scrape_timeout"), "global scrape timeout greater than scrape interval"
        )
    for key in ("rule_files", "scrape_config_files"):
        for i, path, paths in _items(root, key):
            if isinstance(path, str) and not _RULE_PATH.match(path):
                what = "rule file" if key == "rule_files" else "scrape config file"
                yield doc_hit(
                    doc,
                    paths.item_span(i),
                    f"invalid {what} path {path!r} (one '*' at most, in the file name)",
                )
    yield from _scrape_configs(doc, root, interval)
    yield from value_problems(doc, root)
    yield from _alerting(doc, root.get("alerting"))
    yield from _remote(doc, root)


def _scrape_configs(doc: YamlDoc, root: YMap, interval: float) -> Iterator[Finding]:
    jobs: dict[str, int] = {}
    for i, scfg, scfgs in _items(root, "scrape_configs"):
        if scfg is None:
            yield doc_hit(doc, scfgs.item_span(i), "empty or null scrape config section")
            continue
        if not isinstance(scfg, YMap):
            continue
        job = scfg.get("job_name")
        if job in (None, ""):
            span = scfg.where("job_name") if "job_name" in scfg else scfgs.item_span(i)
            yield doc_hit(doc, span, "job_name is empty")
        elif isinstance(job, (str, int, float)):
            name = str(job)
            if name in jobs:
                yield doc_hit(
                    doc,
                    scfg.value_span("job_name"),
                    f'found multiple scrape configs with job name "{name}" (first on line {jobs[name]})',
                )
            else:
                jobs[name] = scfg.value_span("job_name").line
        own = _seconds(scfg, "scrape_interval") or interval
        timeout = _seconds(scfg, "scrape_timeout")
        known = "scrape_interval" not in scfg or _seconds(scfg, "scrape_interval") is not None
        if timeout is not None and known and timeout > own:
            yield doc_hit(
                doc,
                scfg.value_span("scrape_timeout"),
                f"scrape timeout greater than scrape interval for job {job!r}",
            )
        yield from http_problems(doc, scfg)
        yield from _relabel_lists(doc, scfg, ("relabel_configs", "metric_relabel_configs"))
        yield from _discovery(doc, scfg)


def _relabel_lists(doc: YamlDoc, holder: Any, keys: tuple[str, ...]) -> Iterator[Finding]:
    for key in keys:
        for i, item, items in _items(holder, key):
            if item is None:
                yield doc_hit(doc, items.item_span(i), f"empty or null relabeling rule in {key}")
            elif isinstance(item, YMap):
                yield from relabel_problems(doc, item)


def _discovery(doc: YamlDoc, holder: YMap) -> Iterator[Finding]:
    """Service discovery blocks of a scrape or Alertmanager config."""
    relabelled = bool(holder.get("relabel_configs"))
    for i, static, statics in _items(holder, "static_configs"):
        if static is None:
            yield doc_hit(doc, statics.item_span(i), "empty or null section in static_configs")
        for j, target, targets in _items(static, "targets"):
            if isinstance(target, str) and "/" in target and not relabelled and not is_placeholder(target):
                yield doc_hit(
                    doc,
                    targets.item_span(j),
                    f'"{target}" is not a valid hostname: a target is host:port (scheme and path are '
                    "the scrape config's `scheme` and `metrics_path`)",
                )
    for _i, sd, _list in _items(holder, "file_sd_configs"):
        yield from _file_sd(doc, sd)
    for _i, sd, _list in _items(holder, "kubernetes_sd_configs"):
        yield from _kubernetes_sd(doc, sd)
    for key in holder:
        if isinstance(key, str) and key.endswith("_sd_configs") and key not in _OWN_HTTP_CHECK:
            for _i, sd, _list in _items(holder, key):
                yield from http_problems(doc, sd)  # every discovery with an HTTP client inlines it
    for _i, sd, _list in _items(holder, "dns_sd_configs"):
        yield from _dns_sd(doc, sd)
    for _i, sd, _list in _items(holder, "http_sd_configs"):
        if isinstance(sd, YMap):
            url = sd.get("url")
            if not url:
                yield doc_hit(
                    doc,
                    sd.where("url") if "url" in sd else _list.item_span(_i),
                    "http_sd_configs: URL is missing",
                )
            elif isinstance(url, str) and not is_placeholder(url) and not re.match(r"(?i)https?://[^/]", url):
                yield doc_hit(
                    doc,
                    sd.value_span("url"),
                    "http_sd_configs: URL scheme must be 'http' or 'https' with a host",
                )
            yield from http_problems(doc, sd)


_FILE_SD_NAME = re.compile(r"[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)\Z")


def _file_sd(doc: YamlDoc, sd: Any) -> Iterator[Finding]:
    if not isinstance(sd, YMap):
        return
    files = sd.get("files")
    if not files:
        span = sd.where("files") if "files" in sd else sd.key_span(next(iter(sd))) if sd else doc.span
        yield doc_hit(doc, span, "file service discovery config must contain at least one path name")
    for i, name, names in _items(sd, "files"):
        if isinstance(name, str) and not _FILE_SD_NAME.match(name) and not is_placeholder(name):
            yield doc_hit(
                doc,
                names.item_span(i),
                f"path name {name!r} is not valid for file discovery (.json, .yml or .yaml)",
            )


K8S_ROLES = ("pod", "service", "endpoints", "endpointslice", "node", "ingress")
# kubernetes.SDConfig.UnmarshalYAML: the selector roles each role accepts.
_SELECTOR_ROLES = {"pod": ("pod", "node"), "service": ("service",), "node": ("node",),
                   "ingress": ("ingress",), "endpointslice": ("pod", "service", "endpointslice"),
                   "endpoints": ("pod", "service", "endpoints")}  # fmt: skip
_OWN_HTTP_CHECK = (
    "kubernetes_sd_configs",
    "http_sd_configs",
    "file_sd_configs",
    "dns_sd_configs",
    "static_configs",
)
# HTTP client settings that differ from the default client (follow_redirects and enable_http2
# are true by default): Kubernetes discovery accepts them only with an explicit api_server.
_CUSTOM_HTTP = ("basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file", "tls_config",
                "proxy_url", "no_proxy", "proxy_connect_header", "http_headers")  # fmt: skip


def _kubernetes_sd(doc: YamlDoc, sd: Any) -> Iterator[Finding]:
    if not isinstance(sd, YMap):
        return
    role = sd.get("role")
    if role in (None, ""):
        span = sd.where("role") if "role" in sd else sd.key_span(next(iter(sd))) if sd else doc.span
        yield doc_hit(doc, span, f"role missing (one of: {', '.join(K8S_ROLES)})")
    elif isinstance(role, str) and role not in K8S_ROLES and not is_placeholder(role):
        yield doc_hit(
            doc, sd.value_span("role"), f"invalid role {role!r}, expecting one of: {', '.join(K8S_ROLES)}"
        )
    namespaces = sd.get("namespaces")
    own = isinstance(namespaces, YMap) and namespaces.get("own_namespace") is True
    if sd.get("kubeconfig_file"):
        if sd.get("api_server"):
            yield doc_hit(
                doc, sd.key_span("api_server"), "cannot use 'kubeconfig_file' and 'api_server' simultaneously"
            )
        if own:
            yield doc_hit(
                doc,
                sd.key_span("namespaces"),
                "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously",
            )
    elif sd.get("api_server") and own:
        yield doc_hit(
            doc,
            sd.key_span("namespaces"),
            "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously",
        )
    custom = next((key for key in _CUSTOM_HTTP if sd.get(key)), None)
    if custom is not None and sd.get("kubeconfig_file"):
        message = "cannot use a custom HTTP client configuration together with 'kubeconfig_file'"
        yield doc_hit(doc, sd.key_span(custom), message)
    elif custom is not None and not sd.get("api_server"):
        message = "to use custom HTTP client configuration please provide the 'api_server' URL explicitly"
        yield doc_hit(doc, sd.key_span(custom), message)
    yield from _selectors(doc, sd, role)
    yield from http_problems(doc, sd)


def _selectors(doc: YamlDoc, sd: YMap, role: Any) -> Iterator[Finding]:
    allowed = _SELECTOR_ROLES.get(role) if isinstance(role, str) else None
    seen: set[str] = set()
    for _i, selector, _list in _items(sd, "selectors"):
        if not isinstance(selector, YMap) or not isinstance(selector.get("role"), str):
            continue
        kind = selector["role"]
        if kind in seen:
            yield doc_hit(doc, selector.value_span("role"), f"duplicated selector role: {kind}")
        elif allowed is not None and kind not in allowed:
            message = f"{role} role supports only {', '.join(allowed)} selectors"
            yield doc_hit(doc, selector.value_span("role"), message)
        seen.add(kind)


def _dns_sd(doc: YamlDoc, sd: Any) -> Iterator[Finding]:
    if not isinstance(sd, YMap):
        return
    if not sd.get("names"):
        span = sd.where("names") if "names" in sd else sd.key_span(next(iter(sd))) if sd else doc.span
        yield doc_hit(doc, span, "DNS-SD config must contain at least one SRV record name")
    kind = str(sd.get("type") or "SRV").upper()
    if kind not in ("SRV", "A", "AAAA", "MX", "NS"):
        yield doc_hit(doc, sd.value_span("type"), f"invalid DNS-SD records type {sd.get('type')}")
    elif kind != "SRV" and not sd.get("port"):
        yield doc_hit(
            doc, sd.key_span("type"), "a port is required in DNS-SD configs for all record types except SRV"
        )


def _alerting(doc: YamlDoc, alerting: Any) -> Iterator[Finding]:
    if not isinstance(alerting, YMap):
        return
    yield from _relabel_lists(doc, alerting, ("alert_relabel_configs",))
    for _i, am, _list in _items(alerting, "alertmanagers"):
        if not isinstance(am, YMap):
            continue
        version = am.get("api_version")
        if "api_version" in am and version not in (None, "", "v2"):
            yield doc_hit(
                doc,
                am.value_span("api_version"),
                f"expected Alertmanager api version to be one of [v2] but got {version} (Prometheus 3 "
                "speaks v2 only)",
            )
        scheme = am.get("scheme")
        if isinstance(scheme, str) and scheme not in ("", "http", "https") and not is_placeholder(scheme):
            yield doc_hit(
                doc, am.value_span("scheme"), f"scheme {scheme!r}: Alertmanager is reached over http or https"
            )
        yield from http_problems(doc, am)
        yield from _relabel_lists(doc, am, ("relabel_configs", "alert_relabel_configs"))
        yield from _discovery(doc, am)


def _remote(doc: YamlDoc, root: YMap) -> Iterator[Finding]:
    for key in ("remote_write", "remote_read"):
        names: dict[str, int] = {}
        for i, cfg, cfgs in _items(root, key):
            if cfg is None:
                yield doc_hit(doc, cfgs.item_span(i), f"empty or null {key.replace('_', ' ')} config section")
                continue
            if not isinstance(cfg, YMap):
                continue
            if not cfg.get("url"):
                span = cfg.where("url") if "url" in cfg else cfgs.item_span(i)
                yield doc_hit(doc, span, f"url for {key} is empty")
            name = cfg.get("name")
            if isinstance(name, str) and name:
                if name in names:
                    yield doc_hit(
                        doc,
                        cfg.value_span("name"),
                        f"found multiple {key} configs with name {name!r} (first on line {names[name]})",
                    )
                names.setdefault(name, cfg.value_span("name").line)
            yield from http_problems(doc, cfg)
            yield from _relabel_lists(doc, cfg, ("write_relabel_configs",))
            yield from _queue(doc, cfg.get("queue_config"))


def _queue(doc: YamlDoc, queue: Any) -> Iterator[Finding]:
    if not isinstance(queue, YMap):
        return
    for key in ("max_shards", "min_shards", "max_samples_per_send", "capacity"):
        value = queue.get(key)
        if key in queue and type(value) is int and value <= 0:
            yield doc_hit(doc, queue.value_span(key), f"remote write queue {key} must be positive")
    low, high = queue.get("min_shards"), queue.get("max_shards")
    if type(low) is int and type(high) is int and 0 < high < low:
        yield doc_hit(
            doc,
            queue.value_span("min_shards"),
            "remote write queue min_shards must not be greater than max_shards",
        )
    low_b, high_b = _seconds(queue, "min_backoff"), _seconds(queue, "max_backoff")
    if low_b is not None and high_b is not None and high_b < low_b:
        yield doc_hit(
            doc,
            queue.value_span("max_backoff"),
            "remote write queue max_backoff must not be less than min_backoff",
        )
