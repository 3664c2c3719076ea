"""Receiver integrations Alertmanager refuses: missing or conflicting fields, invalid URLs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from manifestlint.model import Finding, Severity, YamlDoc, YList, YMap, at_most, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.alertmanager.common import _global, _integrations
from manifestlint.rules.alertmanager.http_config import (
    _first_set,
    _set,
    _text,
    hostport_problem,
    http_problems,
    tls_problems,
)
from manifestlint.templating import placeholder

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


# Fields Alertmanager decodes into its URL / SecretURL types, which accept only http(s) URLs
# with a host ("unsupported scheme \"\" for URL"). pushover's `url` and sns' `api_url` are
# plain strings, and `<secret>` is the placeholder a SecretURL prints itself as.
URL_KEYS_GLOBAL = frozenset(
    {"slack_api_url", "pagerduty_url", "opsgenie_api_url", "wechat_api_url", "victorops_api_url",
     "telegram_api_url", "webex_api_url", "rocketchat_api_url"}
)  # fmt: skip


URL_KEYS_CONFIG = frozenset({"api_url", "url", "webhook_url"})


_PLAIN_STRING_URLS = frozenset({("pushover_configs", "url"), ("sns_configs", "api_url")})


_UNRENDERED = (
    "is an unrendered template or variable, which Alertmanager never expands in a URL (render the "
    "file before loading it, or put the URL in a file and use the *_file field)"
)


def _url_hit(doc: YamlDoc, span: Any, text: str, problem: str) -> Finding:
    """A placeholder URL is refused only if the file is loaded unrendered, which the files do
    not prove (issue 19, principles 1 and 4): a warning at most, not an error. Not quiet: Go
    template syntax in an Alertmanager config is also the classic belief that Alertmanager
    expands it, which it never does."""
    finding = doc_hit(doc, span, f"{text} {problem}: Alertmanager refuses to load this")
    if problem is _UNRENDERED:
        return at_most(replace(finding, message=finding.message + " as it is"), Severity.WARNING)
    return finding


def _url_problem(value: Any) -> str | None:
    if not isinstance(value, str) or value == "<secret>":
        return None if isinstance(value, str) else "is not a string"
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if placeholder(value):  # `{{ .SlackAPIURL }}`, `${SLACK_URL}`: the scheme is not the problem
        return _UNRENDERED
    if not parts.scheme:
        return "has no scheme (write it as https://host/path; Alertmanager accepts http and https)"
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
            yield _url_hit(doc, glob.value_span(key), f"global.{key}", problem)
    for receiver, key, cfg in _integrations(root):
        for field in sorted(URL_KEYS_CONFIG & set(cfg)):
            problem = None if (key, field) in _PLAIN_STRING_URLS else _url_problem(cfg[field])
            if problem:
                yield _url_hit(
                    doc, cfg.value_span(field), f"receiver {receiver.get('name')!r}: {key}.{field}", problem
                )


TELEGRAM_PARSE_MODES = ("", "Markdown", "MarkdownV2", "HTML")


OPSGENIE_RESPONDER_TYPES = ("team", "teams", "user", "escalation", "schedule")


WECHAT_MESSAGE_TYPES = ("text", "markdown")


JIRA_API_TYPES = ("auto", "cloud", "datacenter")


VICTOROPS_RESERVED = (
    "routing_key", "message_type", "state_message", "entity_display_name", "monitoring_tool",
    "entity_id", "entity_state",
)  # fmt: skip


def _enum(doc: YamlDoc, cfg: YMap, key: str, allowed: tuple[str, ...], message: str) -> Iterator[Finding]:
    """A string field restricted to `allowed`; null (the zero value) is left to the default."""
    value = cfg.get(key)
    if key not in cfg or value is None:
        return
    text = _text(value)
    if text not in allowed:
        yield doc_hit(
            doc, cfg.where(key), message.format(value=text if text is not None else "(not a string)")
        )


def _required_fields(doc: YamlDoc, items: Any, keys: tuple[str, ...], what: str) -> Iterator[Finding]:
    for item in items if isinstance(items, YList) else ():
        if isinstance(item, YMap):
            for key in keys:
                if not _set(item, key):
                    yield doc_hit(doc, item.start(), f"missing {key} in {what} configuration")
                    break


def _email(doc: YamlDoc, cfg: YMap) -> Iterator[Finding]:
    problem = hostport_problem(cfg.get("smarthost"))
    if problem:
        yield doc_hit(doc, cfg.value_span("smarthost"), problem)
    headers = cfg.get("headers")
    canonical: set[str] = set()
    if isinstance(headers, YMap):
        for name in headers:
            normal = "-".join(part.capitalize() for part in str(name).split("-"))
            if normal in canonical:
                yield doc_hit(doc, headers.key_span(name), f'duplicate header "{normal}" in email config')
            canonical.add(normal)
    threading = cfg.get("threading")
    if isinstance(threading, YMap) and threading.get("enabled") is True:
        for header in ("References", "In-Reply-To"):
            if header in canonical:
                yield doc_hit(
                    doc,
                    threading.value_span("enabled"),
                    f"conflicting configuration: threading.enabled conflicts with custom {header} header",
                )
        if _text(threading.get("thread_by_date")) not in ("none", "daily"):
            anchor = (
                threading.where("thread_by_date")
                if "thread_by_date" in threading
                else threading.value_span("enabled")
            )
            yield doc_hit(doc, anchor, "threading.thread_by_date must be either 'none' or 'daily'")


def _slack(doc: YamlDoc, glob: YMap, cfg: YMap) -> Iterator[Finding]:
    http = cfg.get("http_config")
    token = _set(cfg, "app_token") or _set(cfg, "app_token_file")
    if token and isinstance(http, YMap) and isinstance(http.get("authorization"), YMap):
        yield doc_hit(
            doc,
            http.key_span("authorization"),
            "http authorization can't be set when using Slack App tokens",
        )
    actions = cfg.get("actions")
    for action in actions if isinstance(actions, YList) else ():
        if not isinstance(action, YMap):
            continue
        if not _set(action, "type"):
            yield doc_hit(doc, action.start(), "missing type in Slack action configuration")
        elif not _set(action, "text"):
            yield doc_hit(doc, action.start(), "missing text in Slack action configuration")
        elif not _set(action, "url") and not _set(action, "name"):
            yield doc_hit(doc, action.start(), "missing name or url in Slack action configuration")
        confirm = action.get("confirm")
        if isinstance(confirm, YMap) and not _set(confirm, "text"):
            yield doc_hit(doc, action.key_span("confirm"), "missing text in Slack confirmation configuration")
    yield from _required_fields(doc, cfg.get("fields"), ("title", "value"), "Slack field")


def _opsgenie(doc: YamlDoc, cfg: YMap) -> Iterator[Finding]:
    responders = cfg.get("responders")
    for responder in responders if isinstance(responders, YList) else ():
        if not isinstance(responder, YMap):
            continue
        if not any(_set(responder, k) for k in ("id", "username", "name")):
            yield doc_hit(
                doc,
                responder.start(),
                "opsGenieConfig responder has to have at least one of id, username or name specified",
            )
            continue
        kind = _text(responder.get("type"))
        if kind is None or "{{" in kind:
            continue  # a template is resolved per notification
        if kind.lower() not in OPSGENIE_RESPONDER_TYPES:
            anchor = responder.where("type") if "type" in responder else responder.start()
            yield doc_hit(
                doc,
                anchor,
                f"opsGenieConfig responder type {kind!r} does not match valid options "
                f"{'|'.join(OPSGENIE_RESPONDER_TYPES)}",
            )


def _telegram(doc: YamlDoc, cfg: YMap) -> Iterator[Finding]:
    yield from _enum(
        doc,
        cfg,
        "parse_mode",
        TELEGRAM_PARSE_MODES,
        "unknown parse_mode {value!r} on telegram_config, must be Markdown, MarkdownV2, HTML or empty string",
    )
    chat_id = cfg.get("chat_id")
    has_id = chat_id not in (None, 0, "")
    if not has_id and not _set(cfg, "chat_id_file"):
        yield doc_hit(doc, cfg.start(), "missing chat_id or chat_id_file on telegram_config")
    elif has_id and _set(cfg, "chat_id_file"):
        yield doc_hit(
            doc, cfg.key_span("chat_id_file"), "at most one of chat_id & chat_id_file must be configured"
        )


def _victorops(doc: YamlDoc, cfg: YMap) -> Iterator[Finding]:
    if not _set(cfg, "routing_key"):
        yield doc_hit(doc, cfg.start(), "missing Routing key in VictorOps config")
    fields = cfg.get("custom_fields")
    if isinstance(fields, YMap):
        for name in fields:
            if name in VICTOROPS_RESERVED:
                yield doc_hit(
                    doc,
                    fields.key_span(name),
                    f"victorOps config contains custom field {name} which cannot be used as it conflicts "
                    "with the fixed/static fields",
                )


def _jira(doc: YamlDoc, cfg: YMap) -> Iterator[Finding]:
    for key in ("project", "issue_type"):
        if not _set(cfg, key):
            yield doc_hit(doc, cfg.start(), f"missing {key} in jira_config")
    value = cfg.get("api_type")
    if _set(cfg, "api_type") and _text(value) not in JIRA_API_TYPES:
        yield doc_hit(
            doc,
            cfg.where("api_type"),
            f"unknown api_type {value!r} on jira_config, must be auto, cloud or datacenter",
        )


def _webex(doc: YamlDoc, cfg: YMap) -> Iterator[Finding]:
    if not _set(cfg, "room_id"):
        yield doc_hit(doc, cfg.start(), "missing room_id on webex_config")
    http = cfg.get("http_config")
    if not (isinstance(http, YMap) and isinstance(http.get("authorization"), YMap)):
        anchor = cfg.key_span("http_config") if "http_config" in cfg else cfg.start()
        yield doc_hit(doc, anchor, "missing webex_configs.http_config.authorization")


def _incidentio(doc: YamlDoc, cfg: YMap) -> Iterator[Finding]:
    token = _set(cfg, "alert_source_token") or _set(cfg, "alert_source_token_file")
    http = cfg.get("http_config")
    if not isinstance(http, YMap):
        return
    if isinstance(http.get("authorization"), YMap):
        if token:
            yield doc_hit(
                doc,
                http.key_span("authorization"),
                "cannot specify alert_source_token or alert_source_token_file when using "
                "http_config.authorization",
            )
    elif not token:
        yield doc_hit(
            doc,
            cfg.key_span("http_config"),
            "at least one of alert_source_token, alert_source_token_file or http_config.authorization "
            "must be configured",
        )


def integration_problems(doc: YamlDoc, glob: YMap, key: str, cfg: YMap) -> Iterator[Finding]:
    """Every value check of one integration config's UnmarshalYAML (plus its HTTP settings)."""
    yield from http_problems(doc, cfg.get("http_config"))
    if key == "email_configs":
        yield from _email(doc, cfg)
        yield from tls_problems(doc, cfg.get("tls_config"))
    elif key == "slack_configs":
        yield from _slack(doc, glob, cfg)
    elif key == "opsgenie_configs":
        yield from _opsgenie(doc, cfg)
    elif key == "telegram_configs":
        yield from _telegram(doc, cfg)
    elif key == "wechat_configs":
        yield from _enum(
            doc,
            cfg,
            "message_type",
            ("", *WECHAT_MESSAGE_TYPES),
            "weChat message type {value!r} does not match valid options ^(text|markdown)$",
        )
    elif key == "victorops_configs":
        yield from _victorops(doc, cfg)
    elif key == "jira_configs":
        yield from _jira(doc, cfg)
    elif key == "webex_configs":
        yield from _webex(doc, cfg)
    elif key == "incidentio_configs":
        yield from _incidentio(doc, cfg)
    elif key == "pushover_configs":
        if cfg.get("html") is True and cfg.get("monospace") is True:
            yield doc_hit(
                doc, cfg.key_span("monospace"), "at most one of monospace & html must be configured"
            )
    elif key == "mattermost_configs":
        yield from _required_fields(doc, cfg.get("fields"), ("title", "value"), "Mattermost field")
        attachments = cfg.get("attachments")
        for attachment in attachments if isinstance(attachments, YList) else ():
            if isinstance(attachment, YMap):
                yield from _required_fields(
                    doc, attachment.get("fields"), ("title", "value"), "Mattermost field"
                )
    elif key == "sns_configs":
        targets = _first_set(cfg, ("target_arn", "topic_arn", "phone_number"))
        if len(targets) == 2:  # Go's (a == "") != (b == "") != (c == ""): one or three set load
            yield doc_hit(
                doc,
                cfg.key_span(targets[1]),
                "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config",
            )


def global_problems(doc: YamlDoc, glob: YMap) -> Iterator[Finding]:
    """The global section's HTTP client, SMTP TLS settings and smarthost."""
    yield from http_problems(doc, glob.get("http_config"))
    yield from tls_problems(doc, glob.get("smtp_tls_config"))
    problem = hostport_problem(glob.get("smtp_smarthost"))
    if problem:
        yield doc_hit(doc, glob.value_span("smtp_smarthost"), problem)
