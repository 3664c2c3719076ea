"""prometheus.yml and the files around it: rule files its `rule_files` globs match (and rule
files of the project none of them loads), credential and TLS files it names, and the scrape
interval's staleness limit.

Prometheus resolves a relative path against the configuration file's folder, so a relative
path names a file of the project: when it is missing there, the server deployed with this
folder finds nothing. An absolute path names the server's own file system (a container mount,
a Secret volume): the files cannot tell, so it is never judged. Nor are configurations
embedded in a ConfigMap or Secret: their paths are where the volume is mounted.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.prometheus.common import duration_seconds
from manifestlint.rules.prometheus.config_schema import SD_KEYS
from manifestlint.templating import is_placeholder

# load.py numbers the documents embedded in a ConfigMap's or Secret's data from this offset.
EMBEDDED_INDEX = 5_000


def embedded(doc: YamlDoc) -> bool:
    """A configuration kept as text in a Kubernetes object (load._embedded_configs)."""
    return doc.index % 10_000 >= EMBEDDED_INDEX


def config_folder(doc: YamlDoc, ctx) -> str | None:
    """The folder of the configuration file on disk; None for standard input and embedded
    configurations (their relative paths are not the project's)."""
    if embedded(doc):
        return None
    path = ctx.index.sort_path(doc.path)
    return os.path.dirname(path) if os.path.isfile(path) else None


def _relative(value: Any) -> str | None:
    """A path value the project can answer for: relative, without `..`, not a placeholder."""
    if not isinstance(value, str) or not value or is_placeholder(value) or "$" in value:
        return None
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (len(value) > 1 and value[1] == ":"):
        return None
    return value


def _matches(folder: str, pattern: str) -> bool:
    """Whether Go's filepath.Glob would find anything (hidden files included)."""
    if not glob.has_magic(pattern):
        return os.path.exists(os.path.join(folder, pattern))
    return bool(glob.glob(pattern, root_dir=folder, include_hidden=True))


@rule("prometheus-rule-files-missing", "prometheus-config")
def rule_files_missing(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """A `rule_files` entry matching no file: Prometheus loads nothing from it, silently."""
    folder = config_folder(doc, ctx)
    files = doc.root.get("rule_files")
    if folder is None or not isinstance(files, YList):
        return
    for i, entry in enumerate(files):
        pattern = _relative(entry)
        if pattern is not None and not _matches(folder, pattern):
            what = "matches no file" if glob.has_magic(pattern) else "does not point to an existing file"
            yield doc_hit(
                doc,
                files.item_span(i),
                f"rule_files entry {pattern!r} {what} beside this configuration: Prometheus loads "
                "no rules from it",
            )


# prometheus/common's file-valued settings (HTTP client and TLS) and the discoveries' own.
_FILE_KEYS = ("bearer_token_file", "credentials_file", "password_file", "username_file",
              "client_secret_file", "client_certificate_key_file", "ca_file", "cert_file", "key_file",
              "kubeconfig_file")  # fmt: skip
_NESTED = ("tls_config", "basic_auth", "authorization", "oauth2")


def _file_settings(root: YMap) -> Iterator[tuple[YMap, str]]:
    """(mapping, key) of every file-valued setting below scrape, Alertmanager and remote configs."""
    holders: list[Any] = []
    for key in ("scrape_configs", "remote_write", "remote_read"):
        value = root.get(key)
        holders += value if isinstance(value, YList) else []
    alerting = root.get("alerting")
    managers = alerting.get("alertmanagers") if isinstance(alerting, YMap) else None
    holders += managers if isinstance(managers, YList) else []
    stack = [h for h in holders if isinstance(h, YMap)]
    while stack:
        mapping = stack.pop()
        for key in _FILE_KEYS:
            if key in mapping:
                yield mapping, key
        for key in _NESTED:
            if isinstance(mapping.get(key), YMap):
                stack.append(mapping.get(key))
        for key in SD_KEYS:
            items = mapping.get(key)
            stack += [i for i in items if isinstance(i, YMap)] if isinstance(items, YList) else []


@rule("prometheus-config-file-missing", "prometheus-config")
def config_file_missing(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Credential, TLS and discovery files named by a relative path that is not there."""
    folder = config_folder(doc, ctx)
    if folder is None:
        return
    for mapping, key in _file_settings(doc.root):
        path = _relative(mapping.get(key))
        if path is not None and not os.path.exists(os.path.join(folder, path)):
            yield doc_hit(
                doc,
                mapping.value_span(key),
                f"{key} {path!r} is not in the project beside this configuration: Prometheus resolves "
                "it against the configuration's folder (a secret kept out of the repository must be "
                "mounted there, or named by its absolute path)",
            )
    for key in ("scrape_configs",):
        for scfg in doc.root.get(key) or () if isinstance(doc.root.get(key), YList) else ():
            sds = scfg.get("file_sd_configs") if isinstance(scfg, YMap) else None
            for sd in sds if isinstance(sds, YList) else ():
                files = sd.get("files") if isinstance(sd, YMap) else None
                for i, entry in enumerate(files if isinstance(files, YList) else ()):
                    pattern = _relative(entry)
                    if pattern is not None and not _matches(folder, pattern):
                        yield doc_hit(
                            doc,
                            files.item_span(i),
                            f"file_sd_configs file {pattern!r} matches no file beside this configuration: "
                            "the job has no targets until it exists",
                        )


@rule("prometheus-scrape-interval-too-long", "prometheus-config")
def scrape_interval_too_long(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Past 2 minutes, series go stale between scrapes (the 5-minute lookback sees one sample
    at most) and rate() over usual windows has too few points."""
    limit = duration_seconds(str(ctx.options.get("max-interval", "2m"))) or 120.0
    root = doc.root
    glob_cfg = root.get("global")
    if isinstance(glob_cfg, YMap):
        yield from _too_long(doc, glob_cfg, limit, "global scrape_interval")
    configs = root.get("scrape_configs")
    for scfg in configs if isinstance(configs, YList) else ():
        if isinstance(scfg, YMap):
            yield from _too_long(doc, scfg, limit, f"job {scfg.get('job_name')!r}: scrape_interval")


def _too_long(doc: YamlDoc, mapping: YMap, limit: float, what: str) -> Iterator[Finding]:
    seconds = duration_seconds(mapping.get("scrape_interval")) if "scrape_interval" in mapping else None
    if seconds is not None and seconds > limit:
        yield doc_hit(
            doc,
            mapping.value_span("scrape_interval"),
            f"{what} {mapping.get('scrape_interval')} is longer than {limit:g}s: series go stale between "
            "scrapes (5m lookback) and rate() windows hold too few samples",
        )


def _loaded_by(config: YamlDoc, folder: str) -> list[tuple[str, bool]]:
    """(pattern, absolute) of a configuration's rule_files: relative ones joined to its folder;
    absolute ones keep only their file-name pattern (the server's mount of some project folder)."""
    files = config.root.get("rule_files")
    out = []
    for entry in files if isinstance(files, YList) else ():
        if not isinstance(entry, str) or not entry or is_placeholder(entry) or "$" in entry:
            out.append(("*", True))  # a templated entry may load anything
            continue
        relative = _relative(entry)
        if relative is not None:
            out.append((os.path.normpath(os.path.join(folder, relative)), False))
        else:
            out.append((PurePosixPath(entry.replace("\\", "/")).name or "*", True))
    return out


@rule("prometheus-rule-file-not-loaded", "project")
def rule_file_not_loaded(index, ctx) -> Iterator[Finding]:
    """A rule file in the folder of a prometheus.yml (or one below) that none of the project's
    Prometheus configurations loads: its alerts never fire. Judged only where the project has such a
    configuration (a rule file alone may be loaded by anything)."""
    from fnmatch import fnmatchcase

    configs = []
    for config in index.prometheus_configs:
        path = index.sort_path(config.path)
        if not embedded(config) and os.path.isfile(path):
            configs.append((os.path.dirname(path), _loaded_by(config, os.path.dirname(path))))
    if not configs:
        return
    for groups in index.rule_groups:
        doc = groups.doc
        if doc.kind != "prometheus-rules" or embedded(doc) or not index.reported(doc):
            continue
        path = index.sort_path(doc.path)
        folders = [folder for folder, _p in configs if _near(path, folder)]
        if not folders:
            continue  # no configuration beside it: another server (or a test) may load it
        name = os.path.basename(path)
        loaded = any(
            fnmatchcase(name, pattern) if absolute else _glob_match(path, pattern)
            for _folder, patterns in configs
            for pattern, absolute in patterns
        )
        if not loaded:
            yield doc_hit(
                doc,
                groups.anchor,
                f"no rule_files entry of the Prometheus configuration{'s' if len(configs) > 1 else ''} "
                f"in {os.path.relpath(folders[0], index.base)!r} loads this rule file: its rules are never "
                "evaluated",
            )


def _near(path: str, folder: str) -> bool:
    """A file in the configuration's folder or one folder below (`monitoring/alerts.yml`,
    `monitoring/rules/x.yml`): deeper files of a root-level prometheus.yml's tree (a Kubernetes
    overlay's `k8s/monitoring/rules.yml`) belong to other deployments as often as not."""
    if not path.startswith(folder + os.sep):
        return False
    return path[len(folder) + 1 :].count(os.sep) <= 1


def _glob_match(path: str, pattern: str) -> bool:
    """filepath.Match per path element: `*` never crosses a `/`."""
    from fnmatch import fnmatchcase

    parts, wanted = path.split(os.sep), pattern.split(os.sep)
    return len(parts) == len(wanted) and all(fnmatchcase(p, w) for p, w in zip(parts, wanted, strict=True))
