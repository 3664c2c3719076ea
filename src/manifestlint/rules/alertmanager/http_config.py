"""HTTP client settings as Alertmanager's loader checks them (prometheus/common: TLS,
authentication, proxy, host:port values), and the keys each nested mapping accepts (HTTP, TLS,
time intervals) for the unknown-field check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.templating import is_placeholder

TLS_VERSIONS = ("TLS10", "TLS11", "TLS12", "TLS13")


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
    if not isinstance(value, str) or value == "" or is_placeholder(value):
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
    """(mapping, allowed keys, Go type) below the levels rules/alertmanager/common.py lists itself."""
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
