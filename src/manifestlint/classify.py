"""What kind of file, and what kind of document, is this?

By name first (cheap and works for broken files), then by content (a YAML document with
apiVersion and kind is a Kubernetes object, whatever its file is called). Unrecognised
YAML (compose files, CI configs, Helm values) is simply not linted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from manifestlint.model import Span, YamlDoc, YList, YMap

FILE_TYPES = ("dockerfile", "kubernetes", "alertmanager", "prometheus-rules", "prometheus-config")
YAML_SUFFIXES = (".yaml", ".yml", ".json")
# Keys Prometheus accepts in a rule group: a `groups:` list of such mappings is a rule file.
RULE_GROUP_KEYS = frozenset({"name", "interval", "rules", "limit", "query_offset", "labels"})


# `Dockerfile.*` is a Dockerfile variant, except documentation and editor leftovers beside it.
_NOT_DOCKERFILE_SUFFIXES = (".md", ".rst", ".txt", ".adoc", ".html", ".orig", ".rej", ".swp", ".bak")
# Templates that render a Dockerfile (`Dockerfile.j2`, docker-library's `Dockerfile.template`,
# autotools' `Dockerfile.in`) are not one yet: their text is still to be substituted.
TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".template", ".gotmpl", ".erb",
                     ".mustache", ".hbs", ".handlebars", ".ejs", ".m4", ".in", ".epp")  # fmt: skip
# Source code named after what it handles (`tools/dockerfile.py`, `pkg/dockerfile.go`) shares a
# name with a Dockerfile variant (`Dockerfile.go` builds a Go service): the content decides.
SOURCE_SUFFIXES = (".py", ".pyi", ".go", ".rs", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".java",
                   ".kt", ".kts", ".scala", ".groovy", ".rb", ".php", ".pl", ".pm", ".sh", ".bash",
                   ".zsh", ".ps1", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".fs", ".swift", ".lua",
                   ".ex", ".exs", ".erl", ".hs", ".ml", ".dart", ".vue", ".svelte", ".json", ".yaml",
                   ".yml", ".toml", ".ini", ".cfg", ".xml", ".lock", ".sum", ".mod", ".snap",
                   ".golden", ".patch", ".diff", ".log", ".csv", ".tsv", ".svg", ".png")  # fmt: skip


def _dockerfile_like_name(lower: str) -> bool:
    return (
        lower in ("dockerfile", "containerfile")
        or lower.startswith(("dockerfile.", "containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    )


def is_dockerfile_name(name: str) -> bool:
    """A name that is a Dockerfile whatever it holds (`Dockerfile`, `Dockerfile.prod`,
    `app.dockerfile`); not documentation, templates, or source code named after Dockerfiles."""
    lower = name.lower()
    if lower.endswith(_NOT_DOCKERFILE_SUFFIXES + TEMPLATE_SUFFIXES + SOURCE_SUFFIXES):
        return False
    return _dockerfile_like_name(lower)


def dockerfile_name_by_content(name: str) -> bool:
    """A Dockerfile-like name with a source-code suffix (`Dockerfile.go`, `dockerfile.py`):
    only its content can tell whether it is a Dockerfile (see `looks_like_dockerfile`).
    YAML and JSON suffixes are YAML, whatever their stem."""
    lower = name.lower()
    if not lower.endswith(SOURCE_SUFFIXES) or lower.endswith(YAML_SUFFIXES):
        return False
    return _dockerfile_like_name(lower.rsplit(".", 1)[0])


def is_dockerfile_template(name: str) -> bool:
    """`Dockerfile.j2`, `Dockerfile.template`, `app.dockerfile.tmpl`: text still to be rendered."""
    lower = name.lower()
    return lower.endswith(TEMPLATE_SUFFIXES) and _dockerfile_like_name(lower.rsplit(".", 1)[0])


_FIRST_INSTRUCTION = re.compile(r"(?i)[ \t]*(FROM|ARG)[ \t]+\S")
_FROM = re.compile(r"(?im)^[ \t]*FROM[ \t]+\S")


def looks_like_dockerfile(text: str) -> bool:
    """Content without a name (standard input): a Dockerfile starts, after comments, parser
    directives and blank lines, with FROM, or with ARG followed later by a FROM. No YAML
    manifest, rule file or Alertmanager config starts that way."""
    for line in text[:65536].splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _FIRST_INSTRUCTION.match(line)
        if match is None:
            return False
        return match.group(1).upper() == "FROM" or _FROM.search(text) is not None
    return False


def file_type_by_name(path: str) -> str | None:
    """'dockerfile', 'yaml' (content decides) or None (not ours)."""
    name = PurePath(path).name
    if is_dockerfile_name(name):
        return "dockerfile"
    if name.lower().endswith(YAML_SUFFIXES):
        return "yaml"
    return None


def yaml_hint_by_name(path: str) -> str:
    """A guess for YAML files whose content cannot tell (broken or empty files)."""
    name = PurePath(path).name.lower()
    if "alertmanager" in name:
        return "alertmanager"
    if re.search(r"(rules|alerts)[^/]*\.ya?ml$", name):
        return "prometheus-rules"
    if name in ("prometheus.yml", "prometheus.yaml"):
        return "prometheus-config"
    return ""


def _is_rule_groups(groups: Any) -> bool:
    if not isinstance(groups, YList) or not groups:
        return False
    if not all(isinstance(g, dict) and "name" in g for g in groups):
        return False
    return any("rules" in g for g in groups) or all(set(g) <= RULE_GROUP_KEYS for g in groups)


# Grafana's alerting provisioning files (`apiVersion: 1`, `groups:` of `orgId`/`folder` groups
# whose rules carry `uid`/`title`/`condition`/`data`) look like Prometheus rule files at a
# glance; reading them as such gave 118 false errors on opentelemetry-demo (issue 7).
GRAFANA_GROUP_KEYS = frozenset({"orgId", "folder"})
GRAFANA_RULE_KEYS = frozenset({"uid", "title", "condition", "data", "noDataState", "execErrState",
                               "dashboardUid", "panelId", "isPaused", "notification_settings"})  # fmt: skip
# Grafana's other provisioning files (datasources, dashboard providers, contact points,
# notification policies, templates, mute timings) share the `apiVersion: 1` header.
GRAFANA_PROVISIONING_KEYS = frozenset({"datasources", "deleteDatasources", "providers", "contactPoints",
                                       "deleteContactPoints", "policies", "resetPolicies", "templates",
                                       "deleteTemplates", "muteTimes", "deleteMuteTimes", "deleteRules",
                                       "apps", "notifiers", "delete_notifiers"})  # fmt: skip


def _grafana_alerting(root: YMap) -> bool:
    groups = root.get("groups")
    if "apiVersion" in root:  # a Prometheus rule file has no apiVersion (rulefmt rejects it)
        return True
    if not isinstance(groups, YList):
        return False
    for group in groups:
        if not isinstance(group, dict):
            continue
        if GRAFANA_GROUP_KEYS & set(group):
            return True
        rules = group.get("rules")
        for entry in rules if isinstance(rules, list) else ():
            if isinstance(entry, dict) and "expr" not in entry and GRAFANA_RULE_KEYS & set(entry):
                return True
    return False


# The top-level keys of Prometheus' configuration file (config.Config, v3.x; a superset of 2.x).
PROMETHEUS_CONFIG_KEYS = frozenset({"global", "runtime", "alerting", "rule_files", "scrape_config_files",
                                    "scrape_configs", "storage", "tracing", "remote_write", "remote_read",
                                    "otlp"})  # fmt: skip


def _is_prometheus_config(root: YMap) -> bool:
    """prometheus.yml by content: a key only Prometheus' configuration has (`scrape_configs`,
    `rule_files`, `alerting`, `remote_write`, `scrape_config_files`) holding the type Prometheus
    reads there, and every other top-level key Prometheus' own or a near spelling of one (a
    Helm values file or a tool's config with a `scrape_configs` key beside its own keys is not
    one: precision before recall)."""
    anchored = False
    for key in root:
        if not isinstance(key, str):
            return False
        value = root.get(key)
        if key in PROMETHEUS_CONFIG_KEYS:
            if key in ("scrape_configs", "remote_write", "scrape_config_files"):
                anchored = anchored or isinstance(value, YList)
            elif key == "rule_files":
                anchored = anchored or isinstance(value, YList) or value is None
            elif key == "alerting":
                anchored = anchored or (
                    isinstance(value, YMap) and ("alertmanagers" in value or "alert_relabel_configs" in value)
                )
            continue
        from difflib import get_close_matches

        if not get_close_matches(key.lower(), PROMETHEUS_CONFIG_KEYS, n=1, cutoff=0.85):
            return False
    return anchored


def lookalike(root: Any) -> str:
    """What a well-known file that resembles ours (but is not) is, for the verbose listing;
    '' when it is nothing we know."""
    if not isinstance(root, YMap) or isinstance(root.get("kind"), str):
        return ""
    if "groups" in root and _grafana_alerting(root):
        return (
            "Grafana alerting provisioning (apiVersion and orgId/folder/uid/data), not a Prometheus rule file"
        )
    if root.get("apiVersion") in (1, "1") and GRAFANA_PROVISIONING_KEYS & set(root):
        return "Grafana provisioning file, not ours to lint"
    return ""


def document_kind(root: Any) -> str:
    """'kubernetes', 'alertmanager', 'prometheus-rules', 'prometheus-config' or '' for one YAML
    document."""
    if not isinstance(root, YMap):
        return ""
    if isinstance(root.get("apiVersion"), str) and isinstance(root.get("kind"), str):
        return "kubernetes"
    if _is_rule_groups(root.get("groups")):
        return "" if _grafana_alerting(root) else "prometheus-rules"
    if isinstance(root.get("route"), dict) or (
        isinstance(root.get("receivers"), list) and ("global" in root or "inhibit_rules" in root)
    ):
        return "alertmanager"
    if _is_prometheus_config(root):
        return "prometheus-config"
    return ""


def chunk_kind(text: str) -> str:
    """Guess the kind of a document that failed to parse, from its text."""
    if re.search(r"^\s*kind\s*:", text, re.M) and re.search(r"^\s*apiVersion\s*:", text, re.M):
        return "kubernetes"
    if re.search(r"^\s*-?\s*(alert|record)\s*:", text, re.M) and "groups" in text:
        return "prometheus-rules"
    if re.search(r"^route\s*:", text, re.M) and re.search(r"^receivers\s*:", text, re.M):
        return "alertmanager"
    if re.search(r"^scrape_configs\s*:", text, re.M) and re.search(r"^\s*-\s*job_name\s*:", text, re.M):
        return "prometheus-config"
    return ""


def expand_lists(docs: list[YamlDoc]) -> list[YamlDoc]:
    """Kubernetes `List` objects (kind List / *List with items) become their items."""
    out: list[YamlDoc] = []
    for doc in docs:
        root = doc.root
        items = root.get("items") if isinstance(root, YMap) else None
        if (
            doc.kind == "kubernetes"
            and str(root.get("kind", "")).endswith("List")
            and isinstance(items, YList)
        ):
            for i, item in enumerate(items):
                kind = document_kind(item)
                out.append(
                    YamlDoc(doc.path, doc.index * 10_000 + i + 1, item, items.item_span(i), kind, doc.text)
                )
            continue
        out.append(doc)
    return out


@dataclass(slots=True)
class RuleGroups:
    """The rule groups of a Prometheus rule file or of a PrometheusRule's spec."""

    doc: YamlDoc
    groups: Any  # normally a YList of YMap; rules must check types
    container: YMap  # the mapping holding `groups` (the file root, or the CR's spec)

    @property
    def anchor(self) -> Span:
        return self.container.key_span("groups") if "groups" in self.container else self.doc.span


def rule_groups(doc: YamlDoc) -> RuleGroups | None:
    root = doc.root
    if doc.kind == "prometheus-rules":
        return RuleGroups(doc, root.get("groups"), root)
    if doc.kind == "kubernetes" and root.get("kind") == "PrometheusRule":
        spec = root.get("spec")
        if isinstance(spec, YMap) and "groups" in spec:
            return RuleGroups(doc, spec.get("groups"), spec)
    return None
