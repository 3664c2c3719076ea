"""Verification turned off: TLS certificate checks (curl -k, wget --no-check-certificate,
NODE_TLS_REJECT_UNAUTHORIZED=0 ...) and package signature checks (--allow-untrusted,
--nogpgcheck ...).

TLS verification can also be turned off by an ENV/ARG that the tools read
(`NODE_TLS_REJECT_UNAUTHORIZED=0`, `GIT_SSL_NO_VERIFY=1`, `PIP_TRUSTED_HOST=...`): those are
judged where they are set, in ENV, ARG or an assignment in front of a command.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile
from manifestlint.registry import rule
from manifestlint.rules.docker.common import (
    Word,
    _commands,
    _program,
    _scripts,
    _stage_label,
    _word_span,
    calls,
    program_index,
)

# Environment variables that turn certificate checks off, with the values that do it
# (None: any non-empty value).
_TLS_ENV: dict[str, re.Pattern[str] | None] = {
    "NODE_TLS_REJECT_UNAUTHORIZED": re.compile(r"0"),
    "PYTHONHTTPSVERIFY": re.compile(r"0"),
    "GIT_SSL_NO_VERIFY": re.compile(r"(?!0$|false$|no$).+", re.I),
    "NPM_CONFIG_STRICT_SSL": re.compile(r"false|0|no", re.I),
    "YARN_STRICT_SSL": re.compile(r"false|0|no", re.I),
    "YARN_ENABLE_STRICT_SSL": re.compile(r"false|0|no", re.I),
    "PIP_TRUSTED_HOST": None,
    "CURL_INSECURE": re.compile(r"(?!0$|false$).+", re.I),
    "GOINSECURE": None,
    "GONOSUMCHECK": None,
    "GONOSUMDB": None,
    "GOSUMDB": re.compile(r"off", re.I),
    "GOFLAGS": re.compile(r".*-insecure\b"),
    "REQUESTS_CA_BUNDLE": re.compile(r"^$"),
    "SSL_CERT_FILE": re.compile(r"^/dev/null$"),
    "COMPOSER_DISABLE_TLS": re.compile(r"(?!0$|false$).+", re.I),
}


# (program, option) pairs, options as a word or `option=value`.
_TLS_OPTIONS: dict[str, tuple[str, ...]] = {
    "curl": ("-k", "--insecure", "--proxy-insecure"),
    "wget": ("--no-check-certificate",),
    "pip": ("--trusted-host",),
    "git": ("http.sslVerify=false", "http.sslverify=false"),
    "helm": ("--insecure-skip-tls-verify",),
    "kubectl": ("--insecure-skip-tls-verify",),
    "docker": ("--insecure-registry",),
    "skopeo": ("--src-tls-verify=false", "--dest-tls-verify=false", "--tls-verify=false"),
    "podman": ("--tls-verify=false",),
    "buildah": ("--tls-verify=false",),
}


_TLS_PROGRAMS = frozenset({*_TLS_OPTIONS, "python", "python3", "npm", "yarn", "pnpm"})


_STRICT_SSL = re.compile(r"strict[-_]ssl", re.I)


_SSLVERIFY_OFF = re.compile(r"sslverify\s*=\s*(0|false|no)\b", re.I)


_APT_VERIFY_OFF = re.compile(r"Verify-(Peer|Host)\s*\"?\s*(=\s*)?\"?\s*false", re.I)


_PIP_PROGRAM = re.compile(r"pip[0-9.]*|pipx")


# Every condition above needs one of these in the script (lower-cased): most RUNs are skipped
# by a few substring tests (one regex alternation over every script cost more than the rule).
_TLS_HINTS = (
    *("curl", "insecure", "check-certificate", "trusted", "ssl", "tls", "httpsverify", "verify-"),
    *("goinsecure", "gonosum", "gosumdb", "goflags", "requests_ca_bundle", "ssl_cert_file"),
)


def _tls_env(name: str, value: str | None) -> bool:
    if value is None or "$" in value:
        return False
    pattern = _TLS_ENV.get(name.upper())
    if name.upper() not in _TLS_ENV:
        return False
    return bool(value) if pattern is None else bool(pattern.fullmatch(value.strip()))


def _tls_word(prog: str, words: list[Word], i: int, k: int) -> bool:
    """Whether word `k` of a command with program index `i` turns a TLS check off."""
    word = words[k][0]
    name = word.split("=", 1)[0]
    if prog == "curl" and re.fullmatch(r"-[a-zA-Z]*k[a-zA-Z]*", word) and not word.startswith("--"):
        return True
    if _PIP_PROGRAM.fullmatch(prog):
        return name == "--trusted-host"
    if prog in ("python", "python3") and name == "--trusted-host":
        return True
    options = _TLS_OPTIONS.get(prog, ())
    if word in options or (name in options and prog not in ("git", "skopeo", "podman", "buildah")):
        return True
    if prog == "git" and word.lower() in ("http.sslverify=false", "http.sslverify"):
        nxt = words[k + 1][0].lower() if k + 1 < len(words) else ""
        return word.lower().endswith("=false") or nxt in ("false", "0", "no")
    if prog in ("npm", "yarn", "pnpm") and _STRICT_SSL.fullmatch(name.lstrip("-")):
        value = word.split("=", 1)[1] if "=" in word else (words[k + 1][0] if k + 1 < len(words) else "")
        return value.lower() in ("false", "0", "no")
    return False


def _tls_in_command(words: list[Word], i: int) -> Iterator[int]:
    """Indexes of the offending words of one simple command."""
    for k in range(i):  # `VAR=value cmd`
        name, _, value = words[k][0].partition("=")
        if _tls_env(name, value):
            yield k
    if i >= len(words):
        return
    prog = words[i][0].rsplit("/", 1)[-1]
    if prog == "export":
        for k in range(i + 1, len(words)):
            name, eq, value = words[k][0].partition("=")
            if eq and _tls_env(name, value):
                yield k
        return
    if prog not in _TLS_PROGRAMS and not _PIP_PROGRAM.fullmatch(prog):
        return
    for k in range(i + 1, len(words)):
        if _tls_word(prog, words, k=k, i=i):
            yield k


def _tls_in_text(text: str) -> Iterator[re.Match[str]]:
    """Configuration written by echo/printf/sed: `sslverify=0`, `Verify-Peer "false"`."""
    yield from _SSLVERIFY_OFF.finditer(text)
    yield from _APT_VERIFY_OFF.finditer(text)


@rule("docker-tls-verification-disabled", "dockerfile")
def tls_verification_disabled(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        target = instr.onbuild if instr.keyword == "ONBUILD" and instr.onbuild is not None else instr
        label = _stage_label(df, instr)
        if target.keyword in ("ENV", "ARG"):
            for key, value, offset in target.pairs:
                if _tls_env(key, value):
                    yield hit(
                        df.path,
                        target.span_of(offset, len(key)),
                        f"{key}={value} turns TLS certificate verification off for every later command",
                        label,
                    )
            continue
        for text, span_fn in _scripts(instr):
            low = text.lower()
            if not any(hint in low for hint in _TLS_HINTS):
                continue
            flagged: set[int] = set()
            for _, words in _commands(text):
                i = _program(words)
                for k in _tls_in_command(words, i):
                    flagged.add(words[k][1])
                    yield hit(
                        df.path,
                        _word_span(words, k, span_fn),
                        f"`{words[k][0]}` turns TLS certificate verification off: a man in the middle "
                        "can replace what is downloaded",
                        label,
                    )
            for m in _tls_in_text(text) if "sslverify" in low or "verify-" in low else ():
                if not any(start <= m.start() < start + 200 for start in flagged):
                    yield hit(
                        df.path,
                        span_fn(m.start(), len(m.group())),
                        f"`{m.group()}` written into a configuration turns TLS certificate verification off",
                        label,
                    )


# Options that turn off package signature or digest checks: program -> options.
_UNSIGNED = {
    "apk": ("--allow-untrusted",),
    "apt-get": ("--allow-unauthenticated", "--force-yes", "--allow-insecure-repositories"),
    "apt": ("--allow-unauthenticated", "--force-yes", "--allow-insecure-repositories"),
    "aptitude": ("--allow-untrusted",),
    "yum": ("--nogpgcheck",),
    "dnf": ("--nogpgcheck", "--no-gpgchecks"),
    "dnf5": ("--nogpgcheck", "--no-gpgchecks"),
    "microdnf": ("--nogpgcheck",),
    "tdnf": ("--nogpgcheck",),
    "zypper": ("--no-gpg-checks", "--gpg-auto-import-keys"),
    "rpm": ("--nosignature", "--nodigest", "--noverify", "--nofiledigest"),
    "dpkg": ("--force-bad-verify",),
}


_APT_UNSIGNED_OPT = re.compile(r"AllowUnauthenticated|AllowInsecureRepositories|Check-Valid-Until=", re.I)


@rule("docker-unsigned-packages", "dockerfile")
def unsigned_packages(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr, prog, words, i, span_fn, _ in calls(df, *(p for p in program_index(df) if p in _UNSIGNED)):
        options = _UNSIGNED[prog]
        for k in range(i + 1, len(words)):
            word = words[k][0]
            name = word.split("=", 1)[0]
            bad = name in options
            if prog in ("yum", "dnf", "microdnf", "tdnf") and re.fullmatch(
                r"--setopt=(\S+\.)?gpgcheck=(0|false|no)", word, re.I
            ):
                bad = True
            if (prog in ("apt-get", "apt") and word.startswith("-o")) or (
                k > i + 1 and words[k - 1][0] == "-o"
            ):
                bad = bad or (bool(_APT_UNSIGNED_OPT.search(word)) and not word.lower().endswith("=false"))
            if bad:
                yield hit(
                    df.path,
                    _word_span(words, k, span_fn),
                    f"{prog} {word} installs packages without checking their signatures",
                    _stage_label(df, instr),
                )
