"""Alertmanager rules: what Alertmanager refuses to load, and routing good practice.

The `alertmanager-invalid-*` family mirrors `config.LoadFile` (strict YAML decoding, then
the checks of config.go and each integration's UnmarshalYAML): each one is something
`amtool check-config` rejects. Unlike amtool, every problem is reported, with a position."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.parse.promql import regex_error
from manifestlint.registry import rule
from manifestlint.rules.alertmanager_settings import (
    HTTP_KEYS,
    TLS_KEYS,
    global_problems,
    integration_problems,
    nested_holders,
    time_interval_problems,
)
from manifestlint.rules.prometheus import duration_seconds
from manifestlint.schema.validate import suggest

TOP_KEYS = {
    "global", "route", "inhibit_rules", "receivers", "templates", "time_intervals",
    "mute_time_intervals", "tracing", "event_recorder",
}  # fmt: skip
ROUTE_KEYS = {
    "receiver", "group_by", "match", "match_re", "matchers", "mute_time_intervals",
    "active_time_intervals", "continue", "routes", "group_wait", "group_interval", "repeat_interval",
    "labels",  # newest Alertmanager (doc/examples/route_labels.yml)
}  # fmt: skip
INHIBIT_KEYS = {
    "name", "source_match", "source_match_re", "source_matchers", "target_match", "target_match_re",
    "target_matchers", "equal",
}  # fmt: skip
GLOBAL_KEYS = {
    "resolve_timeout", "http_config", "smtp_from", "smtp_hello", "smtp_smarthost", "smtp_auth_username",
    "smtp_auth_password", "smtp_auth_password_file", "smtp_auth_secret", "smtp_auth_secret_file",
    "smtp_auth_identity", "smtp_require_tls", "smtp_tls_config", "smtp_force_implicit_tls",
    "slack_api_url", "slack_api_url_file",
    "slack_app_token", "slack_app_token_file", "slack_app_url", "pagerduty_url", "opsgenie_api_url",
    "opsgenie_api_key", "opsgenie_api_key_file", "wechat_api_url", "wechat_api_secret",
    "wechat_api_secret_file", "wechat_api_corp_id", "victorops_api_url", "victorops_api_key",
    "victorops_api_key_file", "telegram_api_url", "telegram_bot_token", "telegram_bot_token_file",
    "webex_api_url", "jira_api_url", "rocketchat_api_url", "rocketchat_token", "rocketchat_token_file",
    "rocketchat_token_id", "rocketchat_token_id_file", "mattermost_webhook_url",
    "mattermost_webhook_url_file",
}  # fmt: skip
_COMMON = {"send_resolved", "http_config"}
INTEGRATIONS: dict[str, set[str]] = {
    "email_configs": {"to", "from", "smarthost", "hello", "auth_username", "auth_password",
                      "auth_password_file", "auth_secret", "auth_secret_file", "auth_identity", "headers",
                      "html", "text", "require_tls", "tls_config", "force_implicit_tls", "threading"},
    "pagerduty_configs": {"routing_key", "routing_key_file", "service_key", "service_key_file", "url",
                          "client", "client_url", "description", "details", "images", "links", "source",
                          "severity", "class", "component", "group", "timeout"},
    "slack_configs": {"api_url", "api_url_file", "app_token", "app_token_file", "app_url", "channel",
                      "username", "color", "title", "title_link", "pretext", "text", "fields", "short_fields",
                      "footer", "fallback", "callback_id", "icon_emoji", "icon_url", "image_url", "thumb_url",
                      "link_names", "mrkdwn_in", "actions", "update_message", "timeout", "message_text"},
    "webhook_configs": {"url", "url_file", "max_alerts", "timeout", "payload"},
    "opsgenie_configs": {"api_key", "api_key_file", "api_url", "message", "description", "source",
                         "details", "entity", "responders", "actions", "tags", "note", "priority",
                         "update_alerts"},
    "wechat_configs": {"api_secret", "api_secret_file", "corp_id", "api_url", "message", "message_type",
                       "agent_id", "to_user", "to_party", "to_tag"},
    "pushover_configs": {"user_key", "user_key_file", "token", "token_file", "title", "message", "url",
                         "url_title", "device", "sound", "priority", "retry", "expire", "ttl", "html",
                         "monospace"},
    "victorops_configs": {"api_key", "api_key_file", "api_url", "routing_key", "message_type",
                          "entity_display_name", "state_message", "monitoring_tool", "custom_fields"},
    "sns_configs": {"api_url", "sigv4", "topic_arn", "phone_number", "target_arn", "subject", "message",
                    "attributes", "use_aws_http_client"},
    "telegram_configs": {"api_url", "bot_token", "bot_token_file", "chat_id", "chat_id_file",
                         "message_thread_id", "message", "disable_notifications", "parse_mode"},
    "webex_configs": {"api_url", "room_id", "message"},
    "msteams_configs": {"webhook_url", "webhook_url_file", "title", "summary", "text"},
    "msteamsv2_configs": {"webhook_url", "webhook_url_file", "title", "text"},
    "discord_configs": {"webhook_url", "webhook_url_file", "title", "message", "content", "username",
                        "avatar_url"},
    "jira_configs": {"api_url", "api_type", "project", "issue_type", "summary", "description", "labels",
                     "priority",
                     "reopen_transition", "resolve_transition", "wont_fix_resolution", "reopen_duration",
                     "fields"},
    "rocketchat_configs": {"api_url", "channel", "token", "token_file", "token_id", "token_id_file", "color",
                           "emoji", "icon_url", "text", "title", "title_link", "fields", "short_fields",
                           "image_url", "thumb_url", "link_names", "actions"},
    "mattermost_configs": {"webhook_url", "webhook_url_file", "channel", "username", "text", "fallback",
                           "color", "pretext", "author_name", "author_link", "author_icon", "title",
                           "title_link", "fields", "thumb_url", "footer", "footer_icon", "image_url",
                           "icon_url", "icon_emoji", "attachments", "type", "props", "priority"},
    "incidentio_configs": {"url", "url_file", "alert_source_token", "alert_source_token_file",
                           "max_alerts", "timeout"},
}  # fmt: skip
PAGING = {
    "pagerduty_configs",
    "opsgenie_configs",
    "victorops_configs",
    "incidentio_configs",
    "pushover_configs",
}
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_MATCHER = re.compile(r"""^\s*\{?\s*("(?:[^"\\]|\\.)*"|[^\s=!~"{}]+)\s*(=~|!~|!=|=)\s*(.*?)\s*\}?\s*$""")


def walk_routes(route: YMap, depth: int = 0) -> Iterator[tuple[YMap, int]]:
    """The route tree, parents first."""
    yield route, depth
    children = route.get("routes")
    if isinstance(children, YList):
        for child in children:
            if isinstance(child, YMap):
                yield from walk_routes(child, depth + 1)


def receiver_names(config: YMap) -> set[str]:
    receivers = config.get("receivers")
    if not isinstance(receivers, YList):
        return set()
    return {str(r.get("name")) for r in receivers if isinstance(r, YMap) and r.get("name") is not None}


def _receivers(root: YMap) -> list[YMap]:
    receivers = root.get("receivers")
    return [r for r in receivers if isinstance(r, YMap)] if isinstance(receivers, YList) else []


def _routes(root: YMap) -> Iterator[tuple[YMap, int]]:
    route = root.get("route")
    if isinstance(route, YMap):
        yield from walk_routes(route)


def _integrations(root: YMap) -> Iterator[tuple[YMap, str, YMap]]:
    """(receiver, integration key, config) for every integration config."""
    for receiver in _receivers(root):
        for key, configs in receiver.items():
            if key in INTEGRATIONS and isinstance(configs, YList):
                for cfg in configs:
                    if isinstance(cfg, YMap):
                        yield receiver, key, cfg


def _global(root: YMap) -> YMap:
    value = root.get("global")
    return value if isinstance(value, YMap) else YMap()


def _set(mapping: YMap, key: str) -> bool:
    return mapping.get(key) not in (None, "")


@rule("alertmanager-undefined-receiver", "alertmanager")
def undefined_receiver(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    names = receiver_names(root)
    for node, _depth in _routes(root):
        receiver = node.get("receiver")
        if receiver is not None and str(receiver) not in names:
            yield doc_hit(
                doc,
                node.value_span("receiver"),
                f"undefined receiver {receiver!r} used in route; Alertmanager refuses to load this",
            )


# ---------------------------------------------------------------- what Alertmanager refuses


def _unknown_keys(root: YMap) -> Iterator[tuple[YMap, Any, set[str], str]]:
    """(mapping, key, allowed keys, Go type) for every key Alertmanager does not know."""
    holders: list[tuple[Any, set[str], str]] = [
        (root, TOP_KEYS, "config.plain"),
        (root.get("global"), GLOBAL_KEYS, "config.GlobalConfig"),
    ]
    holders += [(route, ROUTE_KEYS, "config.Route") for route, _depth in _routes(root)]
    inhibits = root.get("inhibit_rules")
    holders += [
        (inhibit, INHIBIT_KEYS, "config.InhibitRule")
        for inhibit in (inhibits if isinstance(inhibits, YList) else ())
    ]
    holders += [
        (receiver, {"name", "labels"} | set(INTEGRATIONS), "config.Receiver") for receiver in _receivers(root)
    ]
    configs = [(key, cfg) for _receiver, key, cfg in _integrations(root)]
    for key, cfg in configs:
        holders.append((cfg, INTEGRATIONS[key] | _COMMON, f"{key.removesuffix('_configs')}.plain"))
    holders += nested_holders(root, configs)
    for mapping, allowed, type_name in holders:
        if isinstance(mapping, YMap):
            for key in mapping:
                if key not in allowed:
                    yield mapping, key, allowed, type_name


def field_typos(doc: YamlDoc) -> list[tuple[YMap, str, str]]:
    """(mapping, misspelt key, meant key) for the confident misspellings (schema/check.py
    reports them through alertmanager-invalid-field, then corrects them in the model)."""
    out = []
    for mapping, key, allowed, _type in _unknown_keys(doc.root):
        meant = suggest(key, sorted(allowed)) if isinstance(key, str) else None
        if meant is not None and meant not in mapping:
            out.append((mapping, key, meant))
    return out


@rule("alertmanager-invalid-field", "alertmanager")
def invalid_field(doc: YamlDoc, ctx) -> Iterator[Finding]:
    if doc.schema is not None and "alertmanager-invalid-field" in doc.schema:
        yield from doc.schema["alertmanager-invalid-field"]  # found before typos were corrected
        return
    for mapping, key, allowed, type_name in _unknown_keys(doc.root):
        meant = suggest(key, sorted(allowed)) if isinstance(key, str) else None
        hint = f" (did you mean '{meant}'?)" if meant else ""
        if not meant and allowed is HTTP_KEYS and key in TLS_KEYS:  # the classic slip
            hint = " (a tls_config field: write it under http_config.tls_config)"
        yield doc_hit(doc, mapping.key_span(key), f"field {key} not found in type {type_name}{hint}")


# Fields whose Go type is not a string: go-yaml's strict unmarshal refuses another YAML type
# (`continue: "yes"` is "cannot unmarshal !!str `yes` into bool"). From Alertmanager's
# config/config.go and config/notifiers.go (v0.27).
_BOOL, _INT, _UINT, _LIST, _MAP = "bool", "int", "uint64", "[]string", "map[string]string"
# Matchers (match, match_re, matchers) are alertmanager-invalid-matcher's.
ROUTE_TYPES = {
    "continue": _BOOL, "group_by": _LIST, "mute_time_intervals": _LIST, "active_time_intervals": _LIST,
    "routes": "[]*config.Route",
}  # fmt: skip
INHIBIT_TYPES = {"equal": _LIST}
GLOBAL_TYPES = {"smtp_require_tls": _BOOL}
INTEGRATION_TYPES: dict[str, dict[str, str]] = {
    "email_configs": {"require_tls": _BOOL, "force_implicit_tls": _BOOL, "headers": _MAP},
    "slack_configs": {
        "short_fields": _BOOL,
        "link_names": _BOOL,
        "update_message": _BOOL,
        "mrkdwn_in": _LIST,
    },
    "webhook_configs": {"max_alerts": _UINT},
    "incidentio_configs": {"max_alerts": _UINT},
    "opsgenie_configs": {"update_alerts": _BOOL, "details": _MAP},
    "pushover_configs": {"html": _BOOL, "monospace": _BOOL},
    "telegram_configs": {"chat_id": "int64", "message_thread_id": _INT, "disable_notifications": _BOOL},
    "rocketchat_configs": {"short_fields": _BOOL, "link_names": _BOOL},
    "pagerduty_configs": {"details": _MAP},
    "victorops_configs": {"custom_fields": _MAP},
}
_TAGS = {bool: "!!bool", int: "!!int", float: "!!float", str: "!!str", YMap: "!!map", YList: "!!seq"}


def _type_ok(value: Any, go_type: str) -> bool:
    if value is None:
        return True
    if go_type == _BOOL:
        return type(value) is bool
    if go_type in (_INT, "int64"):
        return type(value) is int
    if go_type == _UINT:
        return type(value) is int and value >= 0
    if go_type == _MAP:
        return type(value) is YMap
    return type(value) is YList


def _type_problems(doc: YamlDoc, mapping: Any, types: dict[str, str]) -> Iterator[Finding]:
    if not isinstance(mapping, YMap):
        return
    for key, go_type in types.items():
        value = mapping.get(key)
        if key in mapping and not _type_ok(value, go_type):
            shown = value if isinstance(value, (str, int, float)) else ""
            text = f" `{str(shown).lower() if type(value) is bool else shown}`" if shown != "" else ""
            yield doc_hit(
                doc,
                mapping.where(key),
                f"{key}: cannot unmarshal {_TAGS.get(type(value), '!!str')}{text} into {go_type}",
            )


@rule("alertmanager-invalid-type", "alertmanager")
def invalid_type(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    yield from _type_problems(doc, root.get("global"), GLOBAL_TYPES)
    for route, _depth in _routes(root):
        yield from _type_problems(doc, route, ROUTE_TYPES)
    inhibits = root.get("inhibit_rules")
    for inhibit in inhibits if isinstance(inhibits, YList) else ():
        yield from _type_problems(doc, inhibit, INHIBIT_TYPES)
    for _receiver, key, cfg in _integrations(root):
        yield from _type_problems(doc, cfg, {"send_resolved": _BOOL, **INTEGRATION_TYPES.get(key, {})})
        http = cfg.get("http_config")
        yield from _type_problems(doc, http, {"follow_redirects": _BOOL, "enable_http2": _BOOL})
        tls = http.get("tls_config") if isinstance(http, YMap) else None
        yield from _type_problems(doc, tls, {"insecure_skip_verify": _BOOL})


@rule("alertmanager-invalid-route", "alertmanager")
def invalid_route(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    route = root.get("route")
    if not isinstance(route, YMap):
        anchor = root.key_span("route") if "route" in root else root.start()
        yield doc_hit(doc, anchor, "no route provided in config")
        return
    if not _set(route, "receiver"):
        yield doc_hit(doc, route.start(), "root route must specify a default receiver")
    for key in ("match", "match_re", "matchers"):
        if route.get(key):
            yield doc_hit(doc, route.key_span(key), "root route must not have any matchers")
    if route.get("continue") is True:
        yield doc_hit(doc, route.value_span("continue"), "cannot have continue in root route")
    for key in ("mute_time_intervals", "active_time_intervals"):
        if route.get(key):
            what = key.removesuffix("_time_intervals")
            yield doc_hit(doc, route.key_span(key), f"root route must not have any {what} time intervals")
    intervals: set[str] = set()
    for key in ("mute_time_intervals", "time_intervals"):
        what = key.removesuffix("s").replace("_", " ")  # one name space for both lists, as config.go
        for ti in root.get(key) if isinstance(root.get(key), list) else ():
            if not isinstance(ti, YMap):
                continue
            if ti.get("name") in (None, ""):
                yield doc_hit(doc, ti.start(), f"missing name in {what}")
                continue
            if str(ti["name"]) in intervals:
                yield doc_hit(doc, ti.value_span("name"), f'{what} "{ti["name"]}" is not unique')
            intervals.add(str(ti["name"]))
            entries = ti.get("time_intervals")
            for entry in entries if isinstance(entries, YList) else ():
                if isinstance(entry, YMap):
                    yield from time_interval_problems(doc, entry)
    for node, _depth in _routes(root):
        group_by = node.get("group_by")
        if isinstance(group_by, YList):
            labels = [str(x) for x in group_by]
            if "..." in labels and len(labels) > 1:
                yield doc_hit(
                    doc,
                    node.key_span("group_by"),
                    "cannot have wildcard group_by (`...`) and other labels at the same time",
                )
            seen: set[str] = set()
            for i, label in enumerate(labels):
                if label in seen:
                    yield doc_hit(doc, group_by.item_span(i), f'duplicated label "{label}" in group_by')
                seen.add(label)
        for key in ("group_interval", "repeat_interval"):
            if key in node and duration_seconds(node[key]) == 0:
                yield doc_hit(doc, node.value_span(key), f"{key} cannot be zero")
        for key in ("mute_time_intervals", "active_time_intervals"):
            names = node.get(key)
            for i, name in enumerate(names if isinstance(names, YList) else ()):
                if str(name) not in intervals:
                    yield doc_hit(doc, names.item_span(i), f'undefined time interval "{name}" used in route')


@rule("alertmanager-invalid-receiver", "alertmanager")
def invalid_receiver(doc: YamlDoc, ctx) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for receiver in _receivers(doc.root):
        name = receiver.get("name")
        if name in (None, ""):
            yield doc_hit(doc, receiver.start(), "missing name in receiver")
            continue
        if str(name) in seen:
            yield doc_hit(
                doc,
                receiver.value_span("name"),
                f'notification config name "{name}" is not unique (first at line {seen[str(name)]})',
            )
        else:
            seen[str(name)] = receiver.value_span("name").line
        labels = receiver.get("labels")
        if isinstance(labels, YMap) and "name" in labels and str(labels["name"]) != str(name):
            yield doc_hit(
                doc,
                labels.value_span("name"),
                f'receiver label "name" must match receiver name "{name}", got "{labels["name"]}"',
            )


def _matcher_problems(doc: YamlDoc, holder: YMap, prefix: str) -> Iterator[Finding]:
    for key in (f"{prefix}match", f"{prefix}match_re"):
        match = holder.get(key)
        if key in holder and match is not None and not isinstance(match, YMap):
            yield doc_hit(doc, holder.where(key), f"'{key}' must be a mapping of label names to values")
            continue
        for label, value in (match or {}).items():
            if not _LABEL_NAME.match(str(label)):
                yield doc_hit(doc, match.key_span(label), f'"{label}" is not a valid label name')
            if key.endswith("_re"):
                if value is None:
                    yield doc_hit(
                        doc, match.key_span(label), f"invalid regular expression for {label}: empty"
                    )
                    continue
                problem = regex_error(f"^(?:{value})$")
                if problem:
                    yield doc_hit(doc, match.value_span(label), f"error parsing regexp: {problem}: {value}")
    key = f"{prefix}matchers"
    matchers = holder.get(key)
    if key in holder and matchers is not None and not isinstance(matchers, YList):
        yield doc_hit(doc, holder.where(key), f"'{key}' must be a list of matcher strings")
        return
    for i, text in enumerate(matchers or ()):
        found = _MATCHER.match(str(text)) if isinstance(text, str) else None
        if found is None:
            yield doc_hit(doc, matchers.item_span(i), f"bad matcher format: {text}")
            continue
        op, value = found.group(2), found.group(3)
        if value[:1] == '"' and (len(value) < 2 or value[-1] != '"'):
            yield doc_hit(doc, matchers.item_span(i), f"bad matcher format: {text}")
            continue
        if op in ("=~", "!~"):
            raw = value[1:-1] if value[:1] == '"' else value
            problem = regex_error(f"^(?:{raw})$")
            if problem:
                yield doc_hit(doc, matchers.item_span(i), f"error parsing regexp: {problem}: {raw}")


@rule("alertmanager-invalid-matcher", "alertmanager")
def invalid_matcher(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    for node, _depth in _routes(root):
        yield from _matcher_problems(doc, node, "")
    inhibits = root.get("inhibit_rules")
    for inhibit in inhibits if isinstance(inhibits, YList) else ():
        if isinstance(inhibit, YMap):
            yield from _matcher_problems(doc, inhibit, "source_")
            yield from _matcher_problems(doc, inhibit, "target_")


@rule("alertmanager-invalid-duration", "alertmanager")
def invalid_duration(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    holders: list[tuple[YMap, tuple[str, ...]]] = [(_global(root), ("resolve_timeout",))]
    holders += [(n, ("group_wait", "group_interval", "repeat_interval")) for n, _d in _routes(root)]
    for holder, keys in holders:
        for key in keys:
            if key in holder and holder[key] is not None and duration_seconds(holder[key]) is None:
                yield doc_hit(doc, holder.where(key), f'not a valid duration string: "{holder[key]}"')


_WEBHOOK_URL_MISSING = "one of webhook_url or webhook_url_file must be configured"
# (integration, global inline key, global file key, config inline key, config file key, missing message)
SECRETS = [
    ("slack_configs", "slack_api_url", "slack_api_url_file", "api_url", "api_url_file", None),
    ("slack_configs", "slack_app_token", "slack_app_token_file", "app_token", "app_token_file", None),
    ("opsgenie_configs", "opsgenie_api_key", "opsgenie_api_key_file", "api_key", "api_key_file",
     "no global OpsGenie API Key set either inline or in a file"),
    ("victorops_configs", "victorops_api_key", "victorops_api_key_file", "api_key", "api_key_file",
     "no global VictorOps API Key set"),
    ("wechat_configs", "wechat_api_secret", "wechat_api_secret_file", "api_secret", "api_secret_file",
     "no global Wechat Api Secret set either inline or in a file"),
    ("telegram_configs", "telegram_bot_token", "telegram_bot_token_file", "bot_token", "bot_token_file",
     "missing bot_token or bot_token_file on telegram_config"),
    ("mattermost_configs", "mattermost_webhook_url", "mattermost_webhook_url_file", "webhook_url",
     "webhook_url_file", "missing webhook_url or webhook_url_file on mattermost_config"),
    ("rocketchat_configs", "rocketchat_token", "rocketchat_token_file", "token", "token_file",
     "no global Rocketchat Token set either inline or in a file"),
    ("rocketchat_configs", "rocketchat_token_id", "rocketchat_token_id_file", "token_id", "token_id_file",
     "no global Rocketchat Token ID set either inline or in a file"),
    ("email_configs", "smtp_auth_password", "smtp_auth_password_file", "auth_password",
     "auth_password_file", None),
    ("email_configs", "smtp_auth_secret", "smtp_auth_secret_file", "auth_secret", "auth_secret_file", None),
    ("pushover_configs", None, None, "user_key", "user_key_file",
     "one of user_key or user_key_file must be configured"),
    ("pushover_configs", None, None, "token", "token_file", "one of token or token_file must be configured"),
    ("webhook_configs", None, None, "url", "url_file", "one of url or url_file must be configured"),
    ("incidentio_configs", None, None, "url", "url_file", "one of url or url_file must be configured"),
    ("incidentio_configs", None, None, "alert_source_token", "alert_source_token_file", None),
    ("msteams_configs", None, None, "webhook_url", "webhook_url_file", _WEBHOOK_URL_MISSING),
    ("msteamsv2_configs", None, None, "webhook_url", "webhook_url_file", _WEBHOOK_URL_MISSING),
    ("discord_configs", None, None, "webhook_url", "webhook_url_file", _WEBHOOK_URL_MISSING),
    ("pagerduty_configs", None, None, "routing_key", "routing_key_file", None),
    ("pagerduty_configs", None, None, "service_key", "service_key_file", None),
]  # fmt: skip
_SLACK_POST = "https://slack.com/api/chat.postMessage"


def _both(doc: YamlDoc, holder: YMap, inline: str, file: str) -> Iterator[Finding]:
    if _set(holder, inline) and _set(holder, file):
        yield doc_hit(doc, holder.key_span(file), f"at most one of {inline} & {file} must be configured")


@rule("alertmanager-invalid-integration", "alertmanager")
def invalid_integration(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    glob = _global(root)
    used = {key for _r, key, _c in _integrations(root)}
    for _integration, g_inline, g_file, _inline, _file, _missing in SECRETS:
        if g_inline:
            yield from _both(doc, glob, g_inline, g_file)
    custom_url = _set(glob, "slack_api_url_file") or (
        _set(glob, "slack_api_url") and str(glob["slack_api_url"]) != _SLACK_POST
    )  # the chat.postMessage URL with a bot token is the documented old workaround
    if (_set(glob, "slack_app_token") or _set(glob, "slack_app_token_file")) and custom_url:
        key = "slack_app_token" if "slack_app_token" in glob else "slack_app_token_file"
        yield doc_hit(
            doc,
            glob.key_span(key),
            "at most one of slack_app_token/slack_app_token_file & "
            "slack_api_url/slack_api_url_file must be configured",
        )
    for _receiver, key, cfg in _integrations(root):
        for integration, g_inline, g_file, inline, file, missing in SECRETS:
            if integration != key:
                continue
            yield from _both(doc, cfg, inline, file)
            has_global = bool(g_inline) and (_set(glob, g_inline) or _set(glob, g_file))
            if missing and not (_set(cfg, inline) or _set(cfg, file) or has_global):
                yield doc_hit(doc, cfg.start(), missing)
        yield from _integration_specific(doc, glob, key, cfg)
        yield from integration_problems(doc, glob, key, cfg)
    yield from global_problems(doc, glob)
    if "email_configs" in used:
        for _receiver, key, cfg in _integrations(root):
            if key != "email_configs":
                continue
            if not _set(cfg, "smarthost") and not _set(glob, "smtp_smarthost"):
                yield doc_hit(doc, cfg.start(), "no global SMTP smarthost set")
            if not _set(cfg, "from") and not _set(glob, "smtp_from"):
                yield doc_hit(doc, cfg.start(), "no global SMTP from set")
            if not _set(cfg, "to"):
                yield doc_hit(doc, cfg.start(), "missing to address in email config")


def _integration_specific(doc: YamlDoc, glob: YMap, key: str, cfg: YMap) -> Iterator[Finding]:
    if key == "slack_configs":
        has_url = _set(cfg, "api_url") or _set(cfg, "api_url_file")
        has_token = _set(cfg, "app_token") or _set(cfg, "app_token_file")
        if has_url and has_token:
            yield doc_hit(
                doc,
                cfg.start(),
                "at most one of api_url/api_url_file & app_token/app_token_file must be configured",
            )
        global_any = any(
            _set(glob, k)
            for k in ("slack_api_url", "slack_api_url_file", "slack_app_token", "slack_app_token_file")
        )
        if not has_url and not has_token and not global_any:
            yield doc_hit(doc, cfg.start(), "no Slack API URL nor App token set either inline or in a file")
        token = has_token or (
            not has_url and (_set(glob, "slack_app_token") or _set(glob, "slack_app_token_file"))
        )
        url = cfg.get("api_url") if _set(cfg, "api_url") else glob.get("slack_api_url")
        if cfg.get("update_message") is True and not token and str(url or "") != _SLACK_POST:
            yield doc_hit(
                doc,
                cfg.value_span("update_message"),
                f"update_message can only be used with bot tokens. api_url must be set to {_SLACK_POST}",
            )
    elif key == "sns_configs":
        if not any(_set(cfg, k) for k in ("topic_arn", "phone_number", "target_arn")):
            yield doc_hit(
                doc,
                cfg.start(),
                "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config",
            )
    elif key == "pagerduty_configs":
        keys = ("routing_key", "routing_key_file", "service_key", "service_key_file")
        if not any(_set(cfg, k) for k in keys):
            yield doc_hit(doc, cfg.start(), "missing service or routing key in PagerDuty config")


# ---------------------------------------------------------------- advice

SECRET_KEYS_GLOBAL = {
    "slack_api_url", "slack_app_token", "opsgenie_api_key", "victorops_api_key", "wechat_api_secret",
    "telegram_bot_token", "smtp_auth_password", "smtp_auth_secret", "rocketchat_token", "rocketchat_token_id",
    "mattermost_webhook_url",
}  # fmt: skip
SECRET_KEYS_CONFIG = {
    "slack_configs": {"api_url", "app_token"},
    "opsgenie_configs": {"api_key"},
    "victorops_configs": {"api_key"},
    "wechat_configs": {"api_secret"},
    "telegram_configs": {"bot_token"},
    "email_configs": {"auth_password", "auth_secret"},
    "rocketchat_configs": {"token", "token_id"},
    "mattermost_configs": {"webhook_url"},
    "pagerduty_configs": {"routing_key", "service_key"},
    "pushover_configs": {"user_key", "token"},
    "msteams_configs": {"webhook_url"},
    "msteamsv2_configs": {"webhook_url"},
    "discord_configs": {"webhook_url"},
    "incidentio_configs": {"alert_source_token"},
}
HTTP_SECRETS = [("basic_auth", "password"), ("authorization", "credentials"), ("oauth2", "client_secret")]


def _literal(value: Any) -> bool:
    """A value written in the file. `{{ … }}` and `${…}` are placeholders, not secrets: nothing
    expands them in Alertmanager's configuration (alertmanager-invalid-url reports them in URLs)."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return False
    text = str(value).strip()
    return text != "" and "{{" not in text and "${" not in text


def _http_secrets(doc: YamlDoc, holder: YMap, where: str) -> Iterator[Finding]:
    http = holder.get("http_config")
    if not isinstance(http, YMap):
        return
    if _literal(http.get("bearer_token")):
        yield doc_hit(
            doc,
            http.value_span("bearer_token"),
            f"{where}: http_config.bearer_token is written in the file; use bearer_token_file",
        )
    for block, key in HTTP_SECRETS:
        section = http.get(block)
        if isinstance(section, YMap) and _literal(section.get(key)):
            yield doc_hit(
                doc,
                section.value_span(key),
                f"{where}: http_config.{block}.{key} is written in the file; use {key}_file",
            )


@rule("alertmanager-secret-in-config", "alertmanager")
def secret_in_config(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    glob = _global(root)
    for key in sorted(SECRET_KEYS_GLOBAL & set(glob)):
        if _literal(glob[key]):
            yield doc_hit(
                doc, glob.value_span(key), f"global.{key} is a secret written in the file; use {key}_file"
            )
    yield from _http_secrets(doc, glob, "global")
    for receiver, key, cfg in _integrations(root):
        name = f"receiver {receiver.get('name')!r}"
        for secret in sorted(SECRET_KEYS_CONFIG.get(key, set()) & set(cfg)):
            if _literal(cfg[secret]):
                yield doc_hit(
                    doc,
                    cfg.value_span(secret),
                    f"{name}: {secret} is a secret written in the file; use {secret}_file",
                )
        yield from _http_secrets(doc, cfg, name)


# Fields Alertmanager decodes into its URL / SecretURL types, which accept only http(s) URLs
# with a host ("unsupported scheme \"\" for URL"). pushover's `url` and sns' `api_url` are
# plain strings, and `<secret>` is the placeholder a SecretURL prints itself as.
URL_KEYS_GLOBAL = frozenset(
    {"slack_api_url", "pagerduty_url", "opsgenie_api_url", "wechat_api_url", "victorops_api_url",
     "telegram_api_url", "webex_api_url", "rocketchat_api_url"}
)  # fmt: skip
URL_KEYS_CONFIG = frozenset({"api_url", "url", "webhook_url"})
_PLAIN_STRING_URLS = frozenset({("pushover_configs", "url"), ("sns_configs", "api_url")})


def _url_problem(value: Any) -> str | None:
    if not isinstance(value, str) or value == "<secret>":
        return None if isinstance(value, str) else "is not a string"
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f'has unsupported scheme "{parts.scheme}" (Alertmanager accepts http and https)'
    if not parts.netloc:
        return "has no host"
    return None


@rule("alertmanager-invalid-url", "alertmanager")
def invalid_url(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """URLs are parsed when the configuration loads: a template such as `{{ .SlackAPIURL }}`
    or an environment placeholder is not expanded, so the whole file is refused."""
    root = doc.root
    glob = _global(root)
    for key in sorted(URL_KEYS_GLOBAL & set(glob)):
        problem = _url_problem(glob[key])
        if problem:
            yield doc_hit(
                doc, glob.value_span(key), f"global.{key} {problem}: Alertmanager refuses to load this"
            )
    for receiver, key, cfg in _integrations(root):
        for field in sorted(URL_KEYS_CONFIG & set(cfg)):
            problem = None if (key, field) in _PLAIN_STRING_URLS else _url_problem(cfg[field])
            if problem:
                yield doc_hit(
                    doc,
                    cfg.value_span(field),
                    f"receiver {receiver.get('name')!r}: {key}.{field} {problem}: "
                    "Alertmanager refuses to load this",
                )


@rule("alertmanager-missing-inhibit-rules", "alertmanager")
def missing_inhibit_rules(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    if root.get("inhibit_rules") or not isinstance(root.get("route"), YMap):
        return
    yield doc_hit(
        doc,
        root.key_span("route"),
        "no inhibit_rules: a firing critical alert does not silence the warnings it explains",
    )


@rule("alertmanager-inhibit-without-equal", "alertmanager")
def inhibit_without_equal(doc: YamlDoc, ctx) -> Iterator[Finding]:
    inhibits = doc.root.get("inhibit_rules")
    for inhibit in inhibits if isinstance(inhibits, YList) else ():
        if isinstance(inhibit, YMap) and not inhibit.get("equal"):
            yield doc_hit(
                doc,
                inhibit.start(),
                "inhibit rule without 'equal': one source alert anywhere "
                "(any cluster, any service) silences every matching target alert",
            )


@rule("alertmanager-unused-receiver", "alertmanager")
def unused_receiver(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    if not isinstance(root.get("route"), YMap):
        return
    used = {str(n.get("receiver")) for n, _d in _routes(root) if n.get("receiver") is not None}
    for receiver in _receivers(root):
        name = receiver.get("name")
        if name not in (None, "") and str(name) not in used:
            yield doc_hit(
                doc,
                receiver.value_span("name"),
                f"receiver {name!r} is not used by any route: its alerts go nowhere",
            )


@rule("alertmanager-group-by-missing", "alertmanager")
def group_by_missing(doc: YamlDoc, ctx) -> Iterator[Finding]:
    route = doc.root.get("route")
    if isinstance(route, YMap) and "group_by" not in route:
        yield doc_hit(
            doc,
            route.start(),
            "the root route has no group_by: all alerts of a route are "
            "batched into one notification, whatever their alertname or service",
        )


@rule("alertmanager-repeat-interval", "alertmanager")
def repeat_interval(doc: YamlDoc, ctx) -> Iterator[Finding]:
    low = duration_seconds(ctx.options.get("min", "1h"))
    high = duration_seconds(ctx.options.get("max", "5d"))
    for node, _depth in _routes(doc.root):
        if "repeat_interval" not in node:
            continue
        value = duration_seconds(node["repeat_interval"])
        if value is None or value == 0:
            continue  # invalid ones are alertmanager-invalid-* findings
        if low is not None and value < low:
            yield doc_hit(
                doc,
                node.value_span("repeat_interval"),
                f"repeat_interval {node['repeat_interval']} is below {ctx.options.get('min', '1h')}: "
                "unresolved alerts re-notify so often that responders mute the channel",
            )
        elif high is not None and value > high:
            yield doc_hit(
                doc,
                node.value_span("repeat_interval"),
                f"repeat_interval {node['repeat_interval']} is above {ctx.options.get('max', '5d')}: "
                "Alertmanager keeps notification state for 120h by default, so a longer interval "
                "is capped, and a forgotten alert is not re-sent for days",
            )


def _severity_values(route: YMap, label: str) -> list[tuple[str, str, Span]]:
    """(operator, value, span) of the route's matchers on `label`."""
    out: list[tuple[str, str, Span]] = []
    match = route.get("match")
    if isinstance(match, YMap) and label in match:
        out.append(("=", str(match[label]), match.value_span(label)))
    match_re = route.get("match_re")
    if isinstance(match_re, YMap) and label in match_re:
        out.append(("=~", str(match_re[label]), match_re.value_span(label)))
    matchers = route.get("matchers")
    for i, text in enumerate(matchers if isinstance(matchers, YList) else ()):
        found = _MATCHER.match(str(text))
        if found and found.group(1).strip('"') == label:
            out.append((found.group(2), found.group(3).strip('"'), matchers.item_span(i)))
    return out


def _route_matches(op: str, pattern: str, value: str) -> bool:
    if op == "=":
        return pattern == value
    if op == "=~":
        from manifestlint.userregex import full_match

        return bool(full_match(pattern, value))
    return False


# ---------------------------------------------------------------- escalation

DEFAULT_PAGING = ["pagerduty_configs", "opsgenie_configs", "victorops_configs"]


def _route_matchers(route: YMap) -> list[tuple[str, str, str]] | None:
    """(label, operator, value) of every matcher of a route; None when one cannot be read."""
    out: list[tuple[str, str, str]] = []
    for key, op in (("match", "="), ("match_re", "=~")):
        value = route.get(key)
        if isinstance(value, YMap):
            out.extend((str(k), op, str(v)) for k, v in value.items())
    matchers = route.get("matchers")
    for text in matchers if isinstance(matchers, YList) else ():
        found = _MATCHER.match(str(text))
        if found is None:
            return None
        out.append((found.group(1).strip('"'), found.group(2), found.group(3).strip('"')))
    return out


def _matcher_holds(op: str, pattern: str, value: str) -> bool:
    if op in ("=", "!="):
        hit = pattern == value
    else:
        from manifestlint.userregex import full_match

        matched = full_match(pattern, value)  # RE2, anchored as Alertmanager anchors
        if matched is None:
            return False
        hit = matched
    return hit if op in ("=", "=~") else not hit


def _match_state(route: YMap, labels: dict[str, str]) -> str:
    """'yes', 'no' or 'maybe' (the route also matches on labels the alert may or may not
    carry, such as alertname or team)."""
    matchers = _route_matchers(route)
    if matchers is None:
        return "maybe"
    state = "yes"
    for label, op, pattern in matchers:
        if label in labels:
            if not _matcher_holds(op, pattern, labels[label]):
                return "no"
        else:
            state = "maybe"
    return state


def route_endpoints(route: YMap, labels: dict[str, str], receiver: Any = None) -> list[tuple[YMap, Any]]:
    """(route, receiver name) pairs an alert with `labels` may be delivered by, following
    Alertmanager: depth first, the first matching child wins unless it has `continue: true`,
    a route with no matching child delivers itself, and `receiver` is inherited. Children
    that match on labels the alert does not fix are followed *and* skipped (both may happen)."""
    receiver = route.get("receiver", receiver) if route.get("receiver") not in (None, "") else receiver
    out: list[tuple[YMap, Any]] = []
    definite_child = False
    children = route.get("routes")
    for child in children if isinstance(children, YList) else ():
        if not isinstance(child, YMap):
            continue
        state = _match_state(child, labels)
        if state == "no":
            continue
        out.extend(route_endpoints(child, labels, receiver))
        if state == "yes":
            definite_child = True
            if child.get("continue") is not True:
                break
    if not definite_child:
        out.append((route, receiver))
    return out


def _integration_types(receiver: YMap) -> list[str]:
    return [k for k, v in receiver.items() if k in INTEGRATIONS and isinstance(v, YList) and v]


def _pages(receiver: YMap | None, paging: set[str], paging_names: set[str]) -> bool:
    if receiver is None:
        return False
    return str(receiver.get("name")) in paging_names or any(t in paging for t in _integration_types(receiver))


def _describe_receiver(name: Any, receiver: YMap | None) -> str:
    kinds = [t.removesuffix("_configs") for t in _integration_types(receiver)] if receiver else []
    return f"'{name}' ({', '.join(kinds) if kinds else 'no integration'})"


@rule("alertmanager-no-critical-route", "alertmanager")
def no_critical_route(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Critical alerts must reach a paging integration through the route tree."""
    label = str(ctx.options.get("label", "severity"))
    values = [str(v) for v in ctx.options.get("values") or ["critical"]]
    paging = {str(p) if str(p).endswith("_configs") else f"{p}_configs"
              for p in ctx.options.get("paging-integrations") or DEFAULT_PAGING}  # fmt: skip
    paging_names = {str(n) for n in ctx.options.get("paging-receivers") or []}
    route = doc.root.get("route")
    if not isinstance(route, YMap):
        return
    receivers = {str(r.get("name")): r for r in _receivers(doc.root)}
    endpoints: list[tuple[YMap, Any]] = []
    for value in values:
        endpoints.extend(route_endpoints(route, {label: value}))
    if any(_pages(receivers.get(str(name)), paging, paging_names) for _node, name in endpoints):
        return
    wanted = f"{label}={'|'.join(values)}"
    at_root = [name for node, name in endpoints if node is route]
    if at_root or not endpoints:  # some critical alerts fall through to the root route
        root_receiver = at_root[0] if at_root else route.get("receiver")
        yield doc_hit(
            doc,
            route.start(),
            f"no route takes {wanted} alerts to a pager: they can end at the default "
            f"receiver {_describe_receiver(root_receiver, receivers.get(str(root_receiver)))} like "
            "everything else instead of paging someone",
        )
        return
    node = next(n for n, _r in endpoints if n is not route)
    anchor = node.value_span("receiver") if "receiver" in node else node.start()
    names: dict[str, None] = dict.fromkeys(str(r) for _n, r in endpoints)
    shown = ", ".join(_describe_receiver(r, receivers.get(r)) for r in names)
    yield doc_hit(
        doc,
        anchor,
        f"critical alerts ({wanted}) reach only {shown}: no paging integration "
        f"({', '.join(sorted(p.removesuffix('_configs') for p in paging))}), so nobody is woken up",
    )


@rule("alertmanager-pager-without-resolve", "alertmanager")
def pager_without_resolve(doc: YamlDoc, ctx) -> Iterator[Finding]:
    paging = {str(p) if str(p).endswith("_configs") else f"{p}_configs"
              for p in ctx.options.get("paging-integrations") or DEFAULT_PAGING}  # fmt: skip
    for receiver, key, cfg in _integrations(doc.root):
        if key in paging and cfg.get("send_resolved") is False:
            yield doc_hit(
                doc,
                cfg.value_span("send_resolved"),
                f"receiver {receiver.get('name')!r}: {key.removesuffix('_configs')} never hears that the "
                "alert resolved, so the incident stays open (and keeps escalating) after the problem is gone",
            )


@rule("alertmanager-single-channel", "alertmanager")
def single_channel(doc: YamlDoc, ctx) -> Iterator[Finding]:
    kinds = {t for r in _receivers(doc.root) for t in _integration_types(r)}
    if len(kinds) != 1 or "receivers" not in doc.root:
        return
    only = next(iter(kinds)).removesuffix("_configs")
    yield doc_hit(
        doc,
        doc.root.key_span("receivers"),
        f"every receiver notifies through {only} only: when that channel is down or muted, no alert "
        "reaches anyone (the checklist asks for Slack, email and a pager)",
    )


@rule("alertmanager-unrouted-severity", "project")
def unrouted_severity(index, ctx) -> Iterator[Finding]:
    """A severity used by alert rules that no Alertmanager route matches explicitly."""
    if not index.alertmanager:
        return
    label = str(ctx.options.get("label", "severity"))
    routed: list[tuple[str, str]] = []
    for am in index.alertmanager:
        if not isinstance(am.root, YMap):
            continue
        for node, depth in _routes(am.root):
            if depth:
                routed.extend((op, p) for op, p, _s in _severity_values(node, label))
    if not routed:
        return  # routing is not by severity at all: nothing to compare
    from manifestlint.rules.prometheus import iter_alerts

    for groups in index.rule_groups:
        for _group, entry in iter_alerts(groups):
            labels = entry.get("labels")
            if not isinstance(labels, YMap) or not isinstance(labels.get(label), str):
                continue
            value = labels[label]
            if "{{" in value or any(_route_matches(op, p, value) for op, p in routed):
                continue
            yield doc_hit(
                groups.doc,
                labels.value_span(label),
                f"alert {entry['alert']!r}: no Alertmanager route matches {label}={value!r}; it only "
                "reaches the root route's default receiver",
            )
