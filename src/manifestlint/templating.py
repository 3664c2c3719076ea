"""Templates are not values (issue 19, principle 4): text still to be substituted.

Repositories keep configuration that a later step completes: envsubst (`${VAR}`, `$VAR`),
autoconf-style `@VAR@` tokens, Kubernetes/kustomize `$(VAR)`, Go and Jinja templates (`{{ }}`,
`{% %}`, also inside a quoted string of another tool's template: `'{{.slack_api_url}}'`),
a sample's fill-in blank (`<base64-encoded-password>`, `???`, or inside a value:
`<app-name>-config`),
Terraform's `templatefile` (`%{ if }`, `${var}`), ERB (`<%= %>`) and SOPS-encrypted values
(`ENC[AES256_GCM,...]`). None of them is the value the program will read, so a rule that
judges a value (a URL, a duration, an image tag, a quantity, a secret) says nothing about one:
`placeholder()` is the one predicate every value rule asks. A file that is a template as a
whole (by its name, or because its template statements break the YAML) is one
`manifestlint-unrendered-template` note instead, as an unrendered Helm chart is (load.py).

Deliberately not placeholders: Prometheus' `$labels`/`$value` and Alertmanager's
`{{ .Labels }}` in annotations are those tools' own runtime templating and are checked by their
own rules; a lone `$1` is a regex back-reference.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from manifestlint.classify import TEMPLATE_SUFFIXES

# One alternative per templating step; `$VAR` only in capitals (envsubst's usual spelling), so
# `$labels`, `$value`, `$1` and a shell's `$home` are left alone.
_PLACEHOLDER = re.compile(
    r"\$\{[A-Za-z_][^}\n]*\}"  # ${VAR}, ${VAR:-default}, Terraform ${var.x}
    r"|\$[A-Z_][A-Z0-9_]+\b"  # $VAR
    r"|\$\([A-Za-z_][A-Za-z0-9_.]*\)"  # $(VAR): kustomize vars, Kubernetes env expansion
    r"|@[A-Za-z_][A-Za-z0-9_]*@"  # @VAR@
    r"|\{\{.*?\}\}|\{%.*?%\}"  # Go / Jinja / Helm
    r"|%\{.*?\}"  # Terraform template directives
    r"|<%.*?%>"  # ERB
    r"|ENC\[[A-Z0-9_]+,data:"  # SOPS
    r"|#\{[A-Za-z_][A-Za-z0-9_.]*\}#"  # Azure DevOps / Octopus replace tokens
)

# A whole value that is a fill-in blank of a sample or exercise: `<base64-encoded-password>`,
# `'<SLACK_WEBHOOK_URL>'`, `???`.
_BLANK = re.compile(r"<[^<>\n]{1,80}>|\?{3,}")
# A blank inside a value: `<app-name>-config`, `registry.example.com/<project>/api`. Only a word
# between the brackets (letters first; digits, `-`, `_`, spaces): `Ops <ops@example.com>` is an
# address, `a < b > c` an expression.
_PART_BLANK = re.compile(r"<[A-Za-z][A-Za-z0-9_ -]{0,60}>")

# A line whose template statement breaks YAML: `{{- if }}`, `{% for %}`, `%{ if }` opening a
# line, or a Go template standing unquoted as a value.
TEMPLATE_LINE = re.compile(r"^\s*(?:\{\{|\{%|%\{)|:[ \t]+(?:\{\{|\{%)", re.M)
TEMPLATE_OPENERS = ("{{", "{%", "%{")

# File names that say "template": `config.yaml.j2`, `alertmanager.tmpl.yml`, `Dockerfile.tpl`,
# `deployment.yaml.template`, `values.tpl.yaml`.
_TEMPLATE_WORDS = frozenset(suffix[1:] for suffix in TEMPLATE_SUFFIXES)
_NAME_WORD = re.compile(r"[.]")


def placeholder(value: object) -> str | None:
    """The first placeholder in a string value (`'${TAG}'`), or None: a value holding one is not
    final and no value rule judges it."""
    if not isinstance(value, str) or len(value) < 3:
        return None
    match = _PLACEHOLDER.search(value) or _PART_BLANK.search(value)
    if match:
        return match.group(0)
    blank = value.strip()
    return blank if _BLANK.fullmatch(blank) else None


def fill_in_blank(value: object) -> str | None:
    """A sample's fill-in blank in a string value (`<app-name>`, `<app-name>-config`, `???`),
    or None. Narrower than `placeholder`: a deploy step's variables (`${VAR}`) are not blanks."""
    if not isinstance(value, str):
        return None
    match = _PART_BLANK.search(value)
    if match:
        return match.group(0)
    blank = value.strip()
    return blank if _BLANK.fullmatch(blank) else None


def is_placeholder(value: object) -> bool:
    """Whether a string value still holds text to be substituted (see `placeholder`)."""
    return placeholder(value) is not None


def sops_encrypted(root: object) -> bool:
    """A document encrypted by SOPS: a top-level `sops:` mapping with its metadata (`mac`,
    `lastmodified` or `version`). Its values are ciphertext, its `sops` key no field of the
    format; the keys and structure are still the document's own."""
    if not isinstance(root, dict):
        return False
    meta = root.get("sops")
    return isinstance(meta, dict) and any(k in meta for k in ("mac", "lastmodified", "version"))


def template_file_name(name: str) -> str | None:
    """The word of a file name that says it is a template (`j2`, `tpl`, `tmpl`, `template`),
    or None. `.in` counts only as the last suffix (`config.yaml.in`)."""
    words = _NAME_WORD.split(PurePath(name).name.lower())[1:]
    for i, word in enumerate(words):
        if word in _TEMPLATE_WORDS and (word != "in" or i == len(words) - 1):
            return word
    return None
