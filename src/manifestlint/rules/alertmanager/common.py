"""Reading an Alertmanager configuration: the known keys and types, routes, receivers, integrations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from manifestlint.model import YamlDoc, YList, YMap
from manifestlint.rules.alertmanager.http_config import nested_holders
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


_MATCHER = re.compile(r"""^\s*\{?\s*("(?:[^"\\]|\\.)*"|[^\s=!~"{}]+)\s*(=~|!~|!=|=)\s*(.*?)\s*\}?\s*$""")


def walk_routes(route: YMap, depth: int = 0) -> Iterator[tuple[YMap, int]]:
    """The route tree, parents first."""
    yield route, depth
    children = route.get("routes")
    if isinstance(children, YList):
        for child in children:
            if isinstance(child, YMap):
                yield from walk_routes(child, depth + 1)


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
