"""Value checks Alertmanager makes while loading its configuration, beyond keys and types.

Each check mirrors one `UnmarshalYAML` / `Validate` of Alertmanager (config/config.go,
config/notifiers.go, notify/<integration>/config.go) or of prometheus/common's
HTTPClientConfig and TLSConfig, and uses the loader's own message, so what is reported here
is exactly what `amtool check-config` refuses; this module only adds the position. The rule
functions of rules/alertmanager.py call these generators (one rule id each, no second
finding for one problem)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit

TLS_VERSIONS = ("TLS10", "TLS11", "TLS12", "TLS13")
TELEGRAM_PARSE_MODES = ("", "Markdown", "MarkdownV2", "HTML")
OPSGENIE_RESPONDER_TYPES = ("team", "teams", "user", "escalation", "schedule")
WECHAT_MESSAGE_TYPES = ("text", "markdown")
JIRA_API_TYPES = ("auto", "cloud", "datacenter")
VICTOROPS_RESERVED = (
    "routing_key", "message_type", "state_message", "entity_display_name", "monitoring_tool",
    "entity_id", "entity_state",
)  # fmt: skip


def _set(mapping: YMap, key: str) -> bool:
    """Go's `len(x) > 0` / `x != nil` for a scalar field: present and not empty."""
    return mapping.get(key) not in (None, "")


def _text(value: Any) -> str | None:
    """The string go-yaml decodes a scalar into (None for a mapping or a list)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _first_set(mapping: YMap, keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if _set(mapping, k)]


def _at_most_one(doc: YamlDoc, mapping: YMap, keys: tuple[str, ...], message: str) -> Iterator[Finding]:
    """At the second key set: the first one is the one the reader meant to keep."""
    present = _first_set(mapping, keys)
    if len(present) > 1:
        yield doc_hit(doc, mapping.key_span(present[1]), message)


# ---------------------------------------------------------------- prometheus/common


def tls_problems(doc: YamlDoc, tls: Any) -> Iterator[Finding]:
    """prometheus/common TLSConfig: TLSVersion.UnmarshalYAML and TLSConfig.Validate."""
    if not isinstance(tls, YMap):
        return
    for key in ("min_version", "max_version"):
        value = tls.get(key)
        text = _text(value)
        if key in tls and value is not None and text not in TLS_VERSIONS:
            yield doc_hit(
                doc,
                tls.where(key),
                f"unknown TLS version: {text if text is not None else value!r} "
                f"(accepted: {', '.join(TLS_VERSIONS)})",
            )
    yield from _at_most_one(
        doc, tls, ("ca", "ca_file", "ca_ref"), "at most one of ca, ca_file & ca_ref must be configured"
    )
    yield from _at_most_one(
        doc,
        tls,
        ("cert", "cert_file", "cert_ref"),
        "at most one of cert, cert_file & cert_ref must be configured",
    )
    yield from _at_most_one(
        doc, tls, ("key", "key_file", "key_ref"), "at most one of key and key_file must be configured"
    )
    cert = _first_set(tls, ("cert", "cert_file", "cert_ref"))
    key = _first_set(tls, ("key", "key_file", "key_ref"))
    if cert and not key:
        yield doc_hit(
            doc,
            tls.key_span(cert[0]),
            "exactly one of key or key_file must be configured when a client certificate is configured",
        )
    elif key and not cert:
        yield doc_hit(
            doc,
            tls.key_span(key[0]),
            "exactly one of cert or cert_file must be configured when a client key is configured",
        )


def http_problems(doc: YamlDoc, http: Any) -> Iterator[Finding]:
    """prometheus/common HTTPClientConfig.Validate (the authentication methods exclude each
    other), ProxyConfig.Validate, and the TLS settings under it."""
    if not isinstance(http, YMap):
        return
    basic, oauth2, auth = (http.get(k) for k in ("basic_auth", "oauth2", "authorization"))
    basic = basic if isinstance(basic, YMap) else None
    oauth2 = oauth2 if isinstance(oauth2, YMap) else None
    auth = auth if isinstance(auth, YMap) else None
    bearer = _first_set(http, ("bearer_token", "bearer_token_file"))
    yield from _at_most_one(
        doc,
        http,
        ("bearer_token", "bearer_token_file"),
        "at most one of bearer_token & bearer_token_file must be configured",
    )
    if (basic is not None or oauth2 is not None) and bearer:
        yield doc_hit(
            doc,
            http.key_span(bearer[0]),
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
        )
    if basic is not None:
        yield from _at_most_one(
            doc,
            basic,
            ("username", "username_file", "username_ref"),
            "at most one of basic_auth username, username_file & username_ref must be configured",
        )
        yield from _at_most_one(
            doc,
            basic,
            ("password", "password_file", "password_ref"),
            "at most one of basic_auth password, password_file & password_ref must be configured",
        )
    if auth is not None:
        if bearer:
            yield doc_hit(
                doc,
                http.key_span("authorization"),
                "authorization is not compatible with bearer_token & bearer_token_file",
            )
        yield from _at_most_one(
            doc,
            auth,
            ("credentials", "credentials_file", "credentials_ref"),
            "at most one of authorization credentials & credentials_file must be configured",
        )
        kind = _text(auth.get("type"))
        if kind is not None and kind.strip().lower() == "basic":
            yield doc_hit(
                doc,
                auth.value_span("type"),
                'authorization type cannot be set to "basic", use "basic_auth" instead',
            )
        elif basic is not None or oauth2 is not None:
            yield doc_hit(
                doc,
                http.key_span("authorization"),
                "at most one of basic_auth, oauth2 & authorization must be configured",
            )
    if oauth2 is not None:
        yield from tls_problems(doc, oauth2.get("tls_config"))  # the token endpoint's TLS
        if basic is not None and auth is None:
            yield doc_hit(
                doc,
                http.key_span("oauth2"),
                "at most one of basic_auth, oauth2 & authorization must be configured",
            )
        for key in ("client_id", "token_url"):
            if not _set(oauth2, key):
                yield doc_hit(doc, http.key_span("oauth2"), f"oauth2 {key} must be configured")
        if oauth2.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            yield from _at_most_one(
                doc,
                oauth2,
                ("client_secret", "client_secret_file", "client_secret_ref"),
                "at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be "
                "configured using grant-type=client_credentials",
            )
    if _set(http, "proxy_connect_header") and not (
        _set(http, "proxy_url") or http.get("proxy_from_environment") is True
    ):
        yield doc_hit(
            doc,
            http.key_span("proxy_connect_header"),
            "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be "
            "configured",
        )
    if http.get("proxy_from_environment") is True and _set(http, "proxy_url"):
        yield doc_hit(
            doc,
            http.key_span("proxy_url"),
            "if proxy_from_environment is configured, proxy_url must not be configured",
        )
    yield from tls_problems(doc, http.get("tls_config"))


def hostport_problem(value: Any) -> str | None:
    """Alertmanager's HostPort (`smarthost`): net.SplitHostPort, and a port that is not empty."""
    if not isinstance(value, str) or value == "":
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return f"address {value}: missing ']' in address"
        rest = value[end + 1 :]
        if not rest.startswith(":"):
            return f"address {value}: missing port in address"
        port = rest[1:]
    else:
        colons = value.count(":")
        if colons == 0:
            return f"address {value}: missing port in address"
        if colons > 1:
            return f"address {value}: too many colons in address"
        port = value.split(":", 1)[1]
    if port == "":
        return f'address "{value}": port cannot be empty'
    return None


# ---------------------------------------------------------------- integrations


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


# ---------------------------------------------------------------- time intervals

WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")  # fmt: skip
_CLOCK = re.compile(r"^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)")


def _member(text: str, what: str) -> int | str:
    """One end of a range as timeinterval.go reads it: an int, or the problem."""
    if what == "weekday":
        return WEEKDAYS.index(text) if text in WEEKDAYS else f"{text} is not a valid weekday"
    if what == "month" and text in MONTHS:
        return MONTHS.index(text) + 1
    try:
        return int(text, 10)
    except ValueError:
        return (
            f"{text} is not a valid month"
            if what == "month"
            else f'strconv.Atoi: parsing "{text}": invalid syntax'
        )


def _range_problem(raw: str, what: str) -> str | None:
    """timeinterval.go's stringableRangeFromString and the checks of each range type."""
    text = raw.lower()
    parts = text.split(":") if ":" in text else [text, text]
    if len(parts) != 2:
        return f"couldn't parse range {text}, invalid format"
    begin, end = (_member(p, what) for p in parts)
    for end_value in (begin, end):
        if isinstance(end_value, str):
            return end_value
    assert isinstance(begin, int) and isinstance(end, int)
    if what == "weekday":
        if begin > end:
            return "start day cannot be before end day"
        if not (0 <= begin <= 6 and 0 <= end <= 6):
            return f"{raw} is not a valid day of the week: out of range"
    elif what == "day of the month":
        for day in (begin, end):
            if day == 0 or not -31 <= day <= 31:
                return f"{day} is not a valid day of the month: out of range"
        if begin < 0 < end:
            return "end day must be negative if start day is negative"
        if (28 + begin if begin < 0 else begin) > (28 + end if end < 0 else end):
            return f"end day {end} is always before start day {begin}"
    elif begin > end:
        if what == "month":
            return f"end month {MONTHS[end - 1] if 1 <= end <= 12 else end} is before start month " + (
                MONTHS[begin - 1] if 1 <= begin <= 12 else str(begin)
            )
        return f"end year {end} is before start year {begin}"
    return None


@cache
def _known_zone(name: str) -> bool | None:
    """Whether Go's time.LoadLocation knows `name`; None when no time zone database is here."""
    if name in ("", "UTC", "Local"):
        return True
    try:
        import zoneinfo

        zones = zoneinfo.available_timezones()
    except (ImportError, OSError):  # no database, no verdict
        return None
    return (name in zones) if zones else None


def time_interval_problems(doc: YamlDoc, interval: YMap) -> Iterator[Finding]:
    """One entry of a named interval's `time_intervals` list (timeinterval.TimeInterval)."""
    for key, what in (("weekdays", "weekday"), ("days_of_month", "day of the month"), ("months", "month"),
                      ("years", "year")):  # fmt: skip
        ranges = interval.get(key)
        for i, raw in enumerate(ranges if isinstance(ranges, YList) else ()):
            text = _text(raw)
            problem = _range_problem(text, what) if text not in (None, "") else None
            if problem:
                yield doc_hit(doc, ranges.item_span(i), problem)
    times = interval.get("times")
    for item in times if isinstance(times, YList) else ():
        if not isinstance(item, YMap) or any(key not in ("start_time", "end_time") for key in item):
            continue  # `end: 17:00` is alertmanager-invalid-field's: one finding for one slip
        start, end = _text(item.get("start_time")), _text(item.get("end_time"))
        if not start or not end:
            yield doc_hit(doc, item.start(), "both start and end times must be provided")
            continue
        bad = next((k for k, v in (("start_time", start), ("end_time", end)) if not _CLOCK.match(v)), None)
        if bad is not None:
            yield doc_hit(
                doc,
                item.value_span(bad),
                f"couldn't parse timestamp {_text(item[bad])}, invalid format (HH:MM)",
            )
        elif start >= end:  # zero-padded HH:MM compares as text
            yield doc_hit(
                doc, item.value_span("start_time"), "start time cannot be equal or greater than end time"
            )
    location = interval.get("location")
    if isinstance(location, str) and _known_zone(location) is False:
        yield doc_hit(doc, interval.value_span("location"), f"unknown time zone {location}")


# ---------------------------------------------------------------- nested keys (strict decoding)

# Go's strict decoding refuses an unknown key at every depth ("field insecure_skip_verify not
# found in type config.plain" for one written under http_config instead of tls_config). From
# prometheus/common config/http_config.go (the newest: a superset of older releases' keys) and
# Alertmanager's notifier and time interval types.
_PROXY = {"proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header"}
HTTP_KEYS = {"basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file", "tls_config",
             "follow_redirects", "enable_http2", "http_headers"} | _PROXY  # fmt: skip
TLS_KEYS = {"ca", "cert", "key", "ca_file", "cert_file", "key_file", "ca_ref", "cert_ref", "key_ref",
            "server_name", "insecure_skip_verify", "min_version", "max_version"}  # fmt: skip
BASIC_AUTH_KEYS = {"username", "username_file", "username_ref", "password", "password_file", "password_ref"}
AUTHORIZATION_KEYS = {"type", "credentials", "credentials_file", "credentials_ref"}
OAUTH2_KEYS = {"client_id", "client_secret", "client_secret_file", "client_secret_ref",
               "client_certificate_key_id", "client_certificate_key", "client_certificate_key_file",
               "client_certificate_key_ref", "grant_type", "signature_algorithm", "iss", "audience", "claims",
               "scopes", "token_url", "endpoint_params", "tls_config"} | _PROXY  # fmt: skip
NAMED_INTERVAL_KEYS = {"name", "time_intervals"}
INTERVAL_KEYS = {"times", "weekdays", "days_of_month", "months", "years", "location"}
TIME_RANGE_KEYS = {"start_time", "end_time"}
# integration -> list field -> (item keys, Go type)
ITEM_KEYS: dict[str, dict[str, tuple[set[str], str]]] = {
    "opsgenie_configs": {
        "responders": ({"id", "name", "username", "type"}, "opsgenie.OpsGenieConfigResponder")
    },
    "slack_configs": {
        "actions": ({"type", "text", "url", "style", "name", "value", "confirm"}, "config.plain"),
        "fields": ({"title", "value", "short"}, "config.plain"),
    },
    "pagerduty_configs": {
        "links": ({"href", "text"}, "pagerduty.PagerdutyLink"),
        "images": ({"src", "alt", "href"}, "pagerduty.PagerdutyImage"),
    },
    "mattermost_configs": {"fields": ({"title", "value", "short"}, "mattermost.plain")},
}


def _http_holders(http: Any) -> list[tuple[Any, set[str], str]]:
    if not isinstance(http, YMap):
        return []
    out: list[tuple[Any, set[str], str]] = [(http, HTTP_KEYS, "config.plain")]
    out.append((http.get("tls_config"), TLS_KEYS, "config.plain"))
    out.append((http.get("basic_auth"), BASIC_AUTH_KEYS, "config.plain"))
    out.append((http.get("authorization"), AUTHORIZATION_KEYS, "config.Authorization"))
    oauth2 = http.get("oauth2")
    out.append((oauth2, OAUTH2_KEYS, "config.plain"))
    if isinstance(oauth2, YMap):
        out.append((oauth2.get("tls_config"), TLS_KEYS, "config.plain"))
    return out


def nested_holders(root: YMap, configs: list[tuple[str, YMap]]) -> list[tuple[Any, set[str], str]]:
    """(mapping, allowed keys, Go type) below the levels rules/alertmanager.py lists itself."""
    glob = root.get("global")
    out: list[tuple[Any, set[str], str]] = []
    if isinstance(glob, YMap):
        out += _http_holders(glob.get("http_config"))
        out.append((glob.get("smtp_tls_config"), TLS_KEYS, "config.plain"))
    for key, cfg in configs:
        out += _http_holders(cfg.get("http_config"))
        if key == "email_configs":
            out.append((cfg.get("tls_config"), TLS_KEYS, "config.plain"))
            out.append((cfg.get("threading"), {"enabled", "thread_by_date"}, "config.ThreadingConfig"))
        for field, (allowed, type_name) in ITEM_KEYS.get(key, {}).items():
            items = cfg.get(field)
            for item in items if isinstance(items, YList) else ():
                out.append((item, allowed, type_name))
                if field == "actions" and isinstance(item, YMap):
                    confirm = item.get("confirm")
                    out.append((confirm, {"text", "title", "ok_text", "dismiss_text"}, "config.plain"))
    for list_key in ("time_intervals", "mute_time_intervals"):
        named = root.get(list_key)
        for entry in named if isinstance(named, YList) else ():
            out.append((entry, NAMED_INTERVAL_KEYS, "config.plain"))
            intervals = entry.get("time_intervals") if isinstance(entry, YMap) else None
            for interval in intervals if isinstance(intervals, YList) else ():
                out.append((interval, INTERVAL_KEYS, "timeinterval.TimeInterval"))
                times = interval.get("times") if isinstance(interval, YMap) else None
                for item in times if isinstance(times, YList) else ():
                    out.append((item, TIME_RANGE_KEYS, "timeinterval.yamlTimeRange"))
    return out
