"""Credentials written into the configuration instead of read from a file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from manifestlint.model import Finding, YamlDoc, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.alertmanager.common import _global, _integrations
from manifestlint.templating import is_placeholder

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
    return text != "" and not is_placeholder(text)


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
