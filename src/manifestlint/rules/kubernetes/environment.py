"""Container environment variables: secrets in plain text and duplicates."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.containers import _is_reference, _what
from manifestlint.rules.kubernetes.objects import (
    WORKLOAD_KINDS,
    containers,
    pod_template,
)

_WORDS = re.compile(r"[A-Z]+[0-9]*(?![a-z])|[A-Z]?[a-z]+[0-9]*|[0-9]+")


_SECRET_WORDS = frozenset({"PASSWORD", "PASSWD", "PASS", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY",
                           "CREDENTIAL", "CREDENTIALS", "PRIVATEKEY"})  # fmt: skip


_KEY_QUALIFIERS = frozenset({"API", "PRIVATE", "SECRET", "ACCESS", "ENCRYPTION", "SIGNING", "MASTER", "AUTH"})


# A name ending in one of these holds a reference or a setting about the secret, not the secret.
_NOT_SECRET_SUFFIXES = frozenset({
    "NAME", "FILE", "PATH", "DIR", "REF", "ID", "URL", "URI", "ENDPOINT", "HOST", "PORT", "TTL", "EXPIRY",
    "EXPIRATION", "EXPIRES", "LIFETIME", "TIMEOUT", "LENGTH", "LEN", "MIN", "MAX", "HEADER", "TYPE",
    "ENABLED", "ENABLE", "DISABLED", "REQUIRED", "LOCATION", "ARN", "MOUNT", "VERSION", "ALGORITHM", "ALG",
    "ISSUER", "AUDIENCE", "SECONDS", "MINUTES", "HOURS", "DAYS", "POLICY", "PROVIDER", "STORE", "SOURCE",
    "FIELD", "PARAM", "MODE", "FORMAT", "KIND", "COUNT", "SIZE", "ROTATION", "INTERVAL", "REFRESH", "USER",
    "USERNAME", "EXPIRE", "DURATION", "PREFIX", "SUFFIX", "ENV", "VAR", "KEYS",
})  # fmt: skip


_URL_PASSWORD = re.compile(r"://[^/\s:@]+:([^/\s@]+)@")


# Values no credential has: a duration (`7d`, `15m`, `3600s`) or no letter or digit at all (`-`,
# `*`): a setting or a dummy, whatever the name says. (A number may be a weak PIN: judged.)
_NOT_A_CREDENTIAL = re.compile(r"\d+(?:\.\d+)?(?:ms|s|m|h|d|w|y)|[^A-Za-z0-9]*")


def setting_value(value: str) -> bool:
    """A value that cannot be a credential (see _NOT_A_CREDENTIAL)."""
    return _NOT_A_CREDENTIAL.fullmatch(value) is not None and len(value) <= 12


_LITERAL_NON_SECRETS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "none", "enabled",
                                  "disabled"})  # fmt: skip


# `AZURE_STORAGE_KEY`, `OCI_..._KEY`: a key named after a cloud or SaaS provider is its credential.
_KEY_PROVIDERS = frozenset({
    "AZURE", "AWS", "GCP", "GOOGLE", "OCI", "STRIPE", "SENDGRID", "OPENAI", "ANTHROPIC", "MAILGUN",
    "TWILIO", "SLACK", "GITHUB", "GITLAB", "DATADOG",
})  # fmt: skip


# Keys that are public by design, or are not cryptographic at all.
_NOT_SECRET_KEYS = frozenset({
    "PUBLIC", "PUBLISHABLE", "SITE", "PUB", "PARTITION", "SORT", "CACHE", "PRIMARY", "FOREIGN",
    "OBJECT", "ROUTING", "HASH", "SHARD", "LOOKUP", "I18N", "MESSAGE",
})  # fmt: skip


# The last word of a name that holds key material itself (OCI_CLI_KEY_CONTENT).
_KEY_MATERIAL = frozenset({"CONTENT", "CONTENTS", "DATA", "MATERIAL", "PEM"})


def secret_like_name(name: str) -> bool:
    """`DB_PASSWORD`, `apiKey`, `SECRET_BLAH`, `AZURE_BATCH_KEY`, `OCI_CLI_KEY_CONTENT`: yes;
    `SECRET_NAME`, `TOKEN_TTL`, `PWD`, `CACHE_KEY`, `PUBLIC_KEY_CONTENT`: no."""
    words = [w.upper() for w in _WORDS.findall(name)]
    if len(words) >= 2 and words[-1] in _KEY_MATERIAL and words[-2] == "KEY":
        return len(words) < 3 or words[-3] not in _NOT_SECRET_KEYS
    if not words or words[-1] in _NOT_SECRET_SUFFIXES:
        return False
    last = max((i for i, w in enumerate(words) if w in _SECRET_WORDS), default=-1)
    if last >= 0 and any(w in _NOT_SECRET_SUFFIXES for w in words[last + 1 :]):
        return False  # REFRESH_TOKEN_EXPIRES_IN, PASSWORD_MAX_AGE_DAYS: a setting about it
    for i, word in enumerate(words):
        if word in _SECRET_WORDS:
            return True
        if word == "KEY" and i > 0 and words[i - 1] in _KEY_QUALIFIERS:
            return True
    return words[-1] == "KEY" and words[0] in _KEY_PROVIDERS and words[-2] not in _NOT_SECRET_KEYS


def key_like_name(name: str) -> bool:
    """`STRIPE_KEY`, `encryptionKey`: a name ending in KEY that may hold a credential (reported
    only when its value looks generated, see `looks_generated`); `PUBLIC_KEY`, `CACHE_KEY`: no."""
    words = [w.upper() for w in _WORDS.findall(name)]
    return len(words) >= 2 and words[-1] == "KEY" and words[-2] not in _NOT_SECRET_KEYS


_GENERATED = re.compile(r"[A-Za-z0-9+/=_\-.]{16,}")


def looks_generated(value: str) -> bool:
    """A random-looking credential (`sk_3f8e37f2b1c94d6e8a7b`, base64), not a word-made
    identifier (`orders-by-customer-id`, `user_session_cache_v2`)."""
    if not _GENERATED.fullmatch(value) or sum(c.isdigit() for c in value) < 2:
        return False
    if sum(c.isalpha() for c in value) < 4:
        return False
    words = [
        part for part in re.split(r"[-_.:/]", value) if part.isalpha() and part.islower() and len(part) >= 3
    ]
    if len(words) >= 2:
        return False
    counts = [value.count(c) for c in set(value)]
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts)
    return entropy >= 3.5


# Credentials recognisable by their value, whatever the variable is called.
_SECRET_VALUES = (
    (re.compile(r"-{3,}\s*BEGIN [A-Z0-9 ]*PRIVATE KEY\s*-{3,}", re.I), "a private key"),
    (re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bbearer\s+[A-Za-z0-9\-._~+/]{8,}=*", re.I), "a bearer token"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{22,}"), "a GitHub token"),
    (re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"), "a GitLab token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"), "a Slack token"),
    (re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}"), "a Stripe secret key"),
    (re.compile(r"\bAIza[0-9A-Za-z\-_]{35}\b"), "a Google API key"),
)


_PLACEHOLDER = re.compile(
    r"^<.*>$|^x{3,}$|^\*{3,}$|change[-_ ]?me|replace[-_ ]?(me|with)|your[-_ ]|[-_ ]here$|placeholder|redacted"
    r"|^(todo|fixme|dummy|example|sample|none|null|secret|password|token)$",
    re.I,
)


def _placeholder(name: str, value: str) -> bool:
    """`GOOGLE_API_KEY_VAL`, `<your-token>`, `changeme`, `xxx`: a value to be replaced at deploy
    time (by sed, envsubst or a human), not a secret."""
    named = len(name) >= 4 and re.sub(r"[^A-Z0-9]", "", name.upper()) in re.sub(
        r"[^A-Z0-9]", "", value.upper()
    )
    return named or bool(_PLACEHOLDER.search(value))


def secret_value(value: str) -> str | None:
    """What credential a value holds by its shape (`a private key`, ...), else None."""
    for pattern, what in _SECRET_VALUES:
        found = pattern.search(value)
        if found and "EXAMPLE" not in found.group().upper() and not _is_reference(found.group()):
            return what
    return None


@rule("k8s-secret-in-env", "kubernetes", kinds=WORKLOAD_KINDS)
def secret_in_env(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec):
        env = container.get("env")
        if not isinstance(env, YList):
            continue
        for item in env:
            if not isinstance(item, YMap) or not isinstance(item.get("value"), str):
                continue
            name, value = str(item.get("name") or ""), item["value"].strip()
            if not value or _is_reference(value):
                continue
            if _placeholder(name, value):
                continue
            url_password = _URL_PASSWORD.search(value)
            shape = secret_value(value)
            if shape is not None:
                yield doc_hit(
                    doc,
                    item.value_span("value"),
                    f"{_what(container, field)}: env {name} holds {shape}; take it from a Secret "
                    "(valueFrom.secretKeyRef)",
                )
            elif url_password and not _is_reference(url_password.group(1)):
                yield doc_hit(
                    doc,
                    item.value_span("value"),
                    f"{_what(container, field)}: env {name} holds a URL with a literal password; "
                    "take it from a Secret (valueFrom.secretKeyRef)",
                )
            elif ((secret_like_name(name) or (key_like_name(name) and looks_generated(value)))
                  and value.lower() not in _LITERAL_NON_SECRETS and not value.startswith("/")
                  and not setting_value(value)):  # fmt: skip
                yield doc_hit(
                    doc,
                    item.value_span("value"),
                    f"{_what(container, field)}: env {name} holds a literal secret; "
                    "take it from a Secret (valueFrom.secretKeyRef)",
                )


@rule("k8s-duplicate-env", "kubernetes", kinds=WORKLOAD_KINDS)
def duplicate_env(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec, ephemeral=True):
        env = container.get("env")
        if not isinstance(env, YList):
            continue
        seen: set[str] = set()
        for item in env:
            if not isinstance(item, YMap) or not isinstance(item.get("name"), str):
                continue
            name = item["name"]
            if name in seen:
                yield doc_hit(
                    doc,
                    item.value_span("name"),
                    f"{_what(container, field)} sets env {name} a second time; the last definition "
                    "silently wins",
                )
            else:
                seen.add(name)
