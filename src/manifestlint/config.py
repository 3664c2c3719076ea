"""Configuration: `.manifestlint.yaml` or `[tool.manifestlint]`, found upward from the cwd.

Validated by `schemas/config.schema.json` and then against the rule registry (unknown
rule ids and options are errors), so a typo never silently disables a check. Any problem
is a `ConfigError` whose one-line message names the key; the CLI exits 2 with it.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manifestlint.alerts.policy import Policy, default_policy, parse_policy
from manifestlint.model import Severity
from manifestlint.registry import Registry, data_dir

CONFIG_NAMES = (".manifestlint.yaml", ".manifestlint.yml")
# The configuration is input too (a pull request can change it): bounded like any file.
MAX_CONFIG_BYTES = 1024 * 1024
MAX_PATTERNS = 1_000  # exclude patterns: each path is matched against all of them (~3 ms per path at worst)
DEFAULT_KUBERNETES_VERSION = "1.33"


class ConfigError(Exception):
    """A usage or configuration error: exit code 2, one line."""


_KUBE_VERSION = re.compile(r"v?(1\.[0-9]{1,3})(?:\.[0-9]{1,4})?")


def kubernetes_minor(text: object, where: str) -> str:
    """`1.29`, `v1.29` and `1.29.3` (as `kubectl version` prints it) all mean the minor
    release 1.29, which is what the API and schema tables are keyed by."""
    match = _KUBE_VERSION.fullmatch(str(text).strip())
    if match is None:
        raise ConfigError(
            f"{where}: expected a Kubernetes version such as 1.29, v1.29 or 1.29.3, got {text!r}"
        )
    return match.group(1)


@dataclass(slots=True)
class RuleSetting:
    enabled: bool | None = None
    severity: Severity | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Config:
    path: Path | None = None  # the file it came from
    rules: dict[str, RuleSetting] = field(default_factory=dict)
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    fail_on: str = "warning"
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    include_test_data: bool = False  # lint test-data folders found by directory walks
    # what production-readiness findings become in examples and tutorials (project/evidence.py):
    # note, warning or keep (validity findings keep their severity either way)
    example_severity: str = "note"
    # auto (OpenShift when the files show it), kubernetes or openshift (project/platform.py)
    platform: str = "auto"
    force_include: bool = False  # lint named files a walk would skip (test data)
    docs_url: str | None = None  # where docs/rules/*.md are published (SARIF helpUri)
    # honour hadolint/kube-linter/checkov/Polaris suppressions of the checks we share
    other_tools_suppressions: bool = True
    alert_policy: Policy = field(default_factory=default_policy)
    # glob (relative to the config file's folder) -> service|tool|ci|test|dev: the role of the
    # images those Dockerfiles build (project/images.py decides it from evidence otherwise)
    roles: dict[str, str] = field(default_factory=dict)
    # image repository -> the Dockerfile (or its folder) that builds it, relative to the config
    images: dict[str, str] = field(default_factory=dict)
    # where the context cache lives (absolute; `cache-dir`, relative to the config file's
    # folder); None: `.manifestlint_cache` in the project root (project/cache.py)
    cache_dir: str | None = None

    @property
    def root(self) -> Path | None:
        return self.path.parent if self.path else None


def _search_path(start: Path) -> list[Path]:
    """The folders the configuration is looked for in, nearest first: up to the git work
    tree's root inside a repository (a configuration above it, in a shared parent folder,
    must neither switch checks off nor widen the project to a neighbouring checkout); outside
    one, up to the first folder (or configuration file) another user owns, as git refuses a
    repository owned by someone else (CVE-2022-24765)."""
    from manifestlint.discover import git_root

    top = git_root(start)
    if top is not None:
        folders = [start]
        for folder in start.parents:
            if not folder.is_relative_to(top):
                break
            folders.append(folder)
        return folders
    folders = []
    for folder in (start, *start.parents):
        if not _owned(folder):
            break
        folders.append(folder)
    return folders


def _owned(path: Path) -> bool:
    """Whether the current user owns `path` (always true where there are no owners)."""
    if not hasattr(os, "geteuid"):
        return True
    try:
        return os.lstat(path).st_uid == os.geteuid()
    except OSError:
        return False


def find_config(start: Path) -> Path | None:
    """The nearest `.manifestlint.yaml`, or pyproject.toml with [tool.manifestlint], upward
    (see _search_path: never above the repository, never from another user's folder)."""
    for folder in _search_path(start):
        found = [folder / name for name in CONFIG_NAMES if _candidate(folder / name)]
        if len(found) > 1:  # which one wins would be a guess: say so
            raise ConfigError(
                f"{folder}: two configuration files, {found[0].name} and {found[1].name}; "
                "keep one (manifestlint would otherwise apply one and silently ignore the other)"
            )
        if found:
            return found[0]
        pyproject = folder / "pyproject.toml"
        if _candidate(pyproject) and b"tool.manifestlint" in _bytes(pyproject, limit=64 * MAX_CONFIG_BYTES):
            return pyproject
    return None


def _foreign(path: Path) -> bool:
    """A configuration file another user owns, in a folder outside any repository."""
    from manifestlint.discover import git_root

    return os.path.lexists(path) and git_root(path.parent) is None and not _owned(path)


def _candidate(path: Path) -> bool:
    """Whether `path` is a configuration file to read. Something else under that name (a FIFO,
    a device, a folder, a dangling symlink) is a ConfigError naming it: skipping it silently
    would lint with settings other than the ones the user wrote, and opening a FIFO blocks.
    One another user owns outside a repository is not ours to apply: skipped."""
    if _foreign(path):
        return False
    if os.path.islink(path) and os.path.isfile(path):  # (a link to a device: said below)
        from manifestlint.discover import git_root
        from manifestlint.safeio import outside

        boundary = git_root(path.parent) or path.parent
        target = outside(path, boundary)
        if target is not None:  # a committed link to a file elsewhere: never read
            raise ConfigError(
                f"{path}: symbolic link to {target}, outside {boundary}; "
                "the configuration is not read from outside the project"
            )
    if path.is_file():
        return True
    if os.path.lexists(path):
        _bytes(path)  # raises, saying what the path is; it is stat-ed, never opened
        return True  # became a regular file in between: read it
    return False


def _bytes(path: Path, limit: int = MAX_CONFIG_BYTES) -> bytes:
    from manifestlint.safeio import Unreadable, read_regular

    try:
        return read_regular(path, limit)
    except Unreadable as exc:
        reason = str(exc).removesuffix("; not linted").removesuffix("; not read")
        if "not a regular file" in reason or "symbolic link" in reason:
            reason += "; the configuration must be a regular file"
        raise ConfigError(f"{path}: {reason}") from None


_VERSION_LITERAL = r"(?m)^[ \t]*[\"']?kubernetes-version[\"']?[ \t]*[:=][ \t]*([0-9]+\.[0-9]+)[ \t]*(?:#.*)?$"


def _version_as_written(data: dict[str, Any], text: str) -> None:
    """`kubernetes-version: 1.30` unquoted is the float 1.3 to YAML and TOML: read the digits
    as the file writes them (a float cannot tell 1.3 from 1.30)."""
    import re

    if isinstance(data.get("kubernetes-version"), float):
        match = re.search(_VERSION_LITERAL, text)
        if match is not None:
            data["kubernetes-version"] = match.group(1)


def _read(path: Path) -> dict[str, Any]:
    """The configuration mapping: TOML for `*.toml` (pyproject's [tool.manifestlint], or a
    file of our keys, top level or under [tool.manifestlint]), YAML otherwise."""
    is_toml = path.suffix == ".toml"
    try:  # pyproject.toml holds other tools' settings too: only ours is bounded tightly
        text = _bytes(path, 64 * MAX_CONFIG_BYTES if is_toml else MAX_CONFIG_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if is_toml:
        import tomllib

        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
        except RecursionError:
            raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
        tool = document.get("tool", {})
        if path.name == "pyproject.toml" or (isinstance(tool, dict) and "manifestlint" in tool):
            data = tool.get("manifestlint", {}) if isinstance(tool, dict) else None
            if not isinstance(data, dict):
                raise ConfigError(f"{path}: [tool.manifestlint] must be a table")
        else:
            data = document
        if _depth(data) > CONFIG_MAX_NESTING:  # the schema validator recurses per level
            raise ConfigError(f"{path}: nesting deeper than {CONFIG_MAX_NESTING} levels")
        _version_as_written(data, text)
        return data
    from manifestlint.parse.yaml import load_plain_yaml, parse_stream

    # Our own parser first: it refuses nesting that would crash libyaml's recursive composer
    # and documents that expand through aliases (an alias bomb), with a one-line reason.
    docs, errors, _ = parse_stream(text, str(path))
    refused = [error for error in errors if error.refused]
    if refused:
        raise ConfigError(
            f"{path}: line {refused[0].span.line}: {refused[0].message.removesuffix('; not parsed')}"
        )
    if any(_depth(doc.root) > CONFIG_MAX_NESTING for doc in docs):
        # Manifests may nest 1,000 levels; a configuration needs a handful, and the loader
        # and the schema validator below recurse per level (999 levels: RecursionError).
        raise ConfigError(f"{path}: nesting deeper than {CONFIG_MAX_NESTING} levels")
    try:
        data = load_plain_yaml(text)
    except Exception as exc:
        first = str(exc).strip().splitlines()
        raise ConfigError(f"{path}: invalid YAML: {' '.join(first[:2])}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping")
    _version_as_written(data, text)
    return data


CONFIG_MAX_NESTING = 50


def _depth(value: Any) -> int:
    """How many collections deep `value` nests (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _validate_schema(data: dict[str, Any], path: Path) -> None:
    import json

    import jsonschema

    schema = json.loads((data_dir("schemas") / "config.schema.json").read_text(encoding="utf-8"))
    unknown = sorted(str(key) for key in data if key not in schema["properties"])
    if unknown:
        key, hint = unknown[0], _did_you_mean(unknown[0], schema["properties"])
        valid = ", ".join(schema["properties"])
        raise ConfigError(f"{path}: {key}: unknown key{hint} ({key!r} was unexpected; valid keys: {valid})")
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.path) or "(top level)"
        raise ConfigError(f"{path}: {where}: {_schema_message(err)}")


def _did_you_mean(word: str, choices: Any) -> str:
    import difflib

    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _allowed(schema: dict[str, Any]) -> list[str]:
    """What a schema accepts, in words: its enum values, its type, or a mapping's keys."""
    if "enum" in schema:
        return [repr(v) for v in schema["enum"]]
    if schema.get("type") == "object" and "properties" in schema:
        return ["a mapping of " + ", ".join(schema["properties"])]
    if "pattern" in schema:
        return [f"a {schema.get('type', 'value')} like {schema['pattern']!r}"]
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return [
            {"boolean": "true or false", "array": "a list", "object": "a mapping"}.get(k, f"a {k}")
            for k in kinds
        ]
    return []


def _schema_message(err: Any) -> str:
    """jsonschema's message, except where it hides the answer: say what is valid."""
    value = err.instance
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    if err.validator in ("oneOf", "anyOf"):
        if isinstance(value, dict):  # a mapping was meant: what is wrong inside it
            inner = [e for e in err.context if (e.validator != "type" and e.validator != "enum") or e.path]
            if inner:
                best = max(inner, key=lambda e: len(e.path))
                where = ".".join(str(p) for p in best.path)
                return f"{where}: {_schema_message(best)}" if where else _schema_message(best)
        options = [text for sub in err.validator_value for text in _allowed(sub)]
        return f"got {shown}; expected {', '.join(options[:-1])} or {options[-1]}" if options else err.message
    if err.validator == "enum":
        return f"got {shown}; expected one of {', '.join(repr(v) for v in err.validator_value)}"
    if err.validator == "additionalProperties" and isinstance(value, dict):
        allowed = err.schema.get("properties", {})
        extra = sorted(str(k) for k in value if k not in allowed)
        if extra and allowed:
            hint = _did_you_mean(extra[0], allowed)
            return f"unknown key {extra[0]!r}{hint}; valid keys: {', '.join(allowed)}"
    if err.validator == "pattern":
        return f"got {shown}; expected a value matching {err.validator_value!r}"
    if err.validator == "type":
        expected = _allowed({"type": err.validator_value})
        return f"got {shown}; expected {' or '.join(expected)}"
    return err.message


def _check_option(where: str, value: Any, default: Any) -> None:
    """Option values have their default's type: `require-cpu-limit: "no"` is a mistake, not
    a true value (YAML's `no` unquoted is false; quoted it is a string)."""
    if default is None:
        return
    if isinstance(default, bool):
        ok, expected = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        ok, expected = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif isinstance(default, float):
        ok, expected = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    elif isinstance(default, str):
        ok, expected = isinstance(value, str), "a string"
    elif isinstance(default, list):
        ok, expected = isinstance(value, list), "a list"
    elif isinstance(default, dict):
        ok, expected = isinstance(value, dict), "a mapping"
    else:
        return
    if not ok:
        import json

        raise ConfigError(f"{where}: expected {expected} (default: {json.dumps(default)}), got {value!r}")


# Rule ids folded into others: a configuration, --select/--ignore or a suppression that still
# names the old id keeps working (with one line on stderr) instead of exiting 2 on upgrade.
RENAMED_RULES: dict[str, tuple[str, ...]] = {
    "k8s-invalid-value-type": ("schema-invalid-type", "schema-invalid-value"),
}


def expand_renamed(selectors: list[str], where: str) -> list[str]:
    """Selectors with renamed rule ids replaced by their successors."""
    out: list[str] = []
    for sel in selectors:
        successors = RENAMED_RULES.get(sel)
        if successors:
            print(f"manifestlint: {where}: {sel} is now {', '.join(successors)}", file=sys.stderr)
        out.extend(successors or (sel,))
    return out


def _renamed_settings(rules: dict, path: Path) -> dict:
    """`rules:` with settings of renamed ids moved to their successors (explicit ones win)."""
    out = {key: value for key, value in rules.items() if key not in RENAMED_RULES}
    for old in (key for key in rules if key in RENAMED_RULES):
        for new in expand_renamed([old], f"{path}: rules"):
            out.setdefault(new, rules[old])
    return out


def load_config(explicit: str | None, cwd: Path, registry: Registry) -> Config:
    path = Path(explicit) if explicit else find_config(cwd)
    if path is None:
        return Config()
    if explicit and not os.path.lexists(path):  # a FIFO or device: _read says what it is
        raise ConfigError(f"{path}: configuration file not found")
    data = _read(path)
    if data:
        _validate_schema(data, path)
    config = Config(path=path.resolve())
    for rule_id, value in _renamed_settings(data.get("rules") or {}, path).items():
        if rule_id not in registry:
            hint = _did_you_mean(str(rule_id), [r.id for r in registry])
            raise ConfigError(f"{path}: rules.{rule_id}: unknown rule id{hint} (see `manifestlint rules`)")
        setting = RuleSetting()
        if isinstance(value, str):
            value = {"enabled": False} if value == "off" else {"severity": value}
        if "enabled" in value:
            setting.enabled = value["enabled"]
        if "severity" in value:
            setting.severity = Severity.parse(value["severity"])
            setting.enabled = True if setting.enabled is None else setting.enabled
        known = {opt.name: opt.default for opt in registry.get(rule_id).options}
        for name, opt_value in (value.get("options") or {}).items():
            where = f"{path}: rules.{rule_id}.options.{name}"
            if name not in known:
                valid = f"; valid options: {', '.join(known)}" if known else "; the rule has no options"
                raise ConfigError(f"{where}: unknown option{_did_you_mean(name, known)}{valid}")
            _check_option(where, opt_value, known[name])
            setting.options[name] = opt_value
        config.rules[rule_id] = setting
    config.select = expand_renamed(list(data.get("select") or []), f"{path}: select")
    config.ignore = expand_renamed(list(data.get("ignore") or []), f"{path}: ignore")
    config.exclude = list(data.get("exclude") or [])
    if len(config.exclude) > MAX_PATTERNS:
        raise ConfigError(
            f"{path}: exclude: {len(config.exclude):,} patterns, over the limit of {MAX_PATTERNS:,}"
        )
    config.fail_on = data.get("fail-on", config.fail_on)
    if "kubernetes-version" in data:
        config.kubernetes_version = kubernetes_minor(
            data["kubernetes-version"], f"{path}: kubernetes-version"
        )
    config.include_test_data = bool(data.get("include-test-data", False))
    config.example_severity = str(data.get("example-severity", config.example_severity))
    config.platform = str(data.get("platform", config.platform))
    config.force_include = bool(data.get("force-include", False))
    config.docs_url = data.get("docs-url")
    config.other_tools_suppressions = data.get("other-tools-suppressions", True)
    try:
        config.alert_policy = parse_policy(data.get("alert-policy"))
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    config.roles = {str(k): str(v) for k, v in (data.get("roles") or {}).items()}
    config.images = {str(k): str(v) for k, v in (data.get("images") or {}).items()}
    if data.get("cache-dir"):
        config.cache_dir = _cache_dir(path, str(data["cache-dir"]))
    check_selectors(config.select + config.ignore, registry, f"{path}: select/ignore")
    return config


def _cache_dir(path: Path, value: str) -> str:
    """The absolute cache folder a configuration names: inside the configuration's folder (the
    project), never through `..`, an absolute path or a symbolic link leaving it. The
    configuration is part of the linted tree, and a pull request can change it: the cache
    removes its stale files, so it must never be sent somewhere else. A folder elsewhere is
    the user's choice: MANIFESTLINT_CACHE_DIR."""
    from pathlib import PurePosixPath

    where = f"{path}: cache-dir: {value[:200]!r}"
    hint = "; set MANIFESTLINT_CACHE_DIR for a folder outside the project"
    if "\0" in value:
        raise ConfigError(f"{where}: a NUL character is not allowed in a path")
    relative = PurePosixPath(value)
    if relative.is_absolute() or value.startswith("~") or ".." in relative.parts:
        raise ConfigError(f"{where}: must be a folder inside the project (relative, without '..'){hint}")
    base = os.path.realpath(path.parent)
    folder = os.path.join(base, value)
    try:
        real = os.path.realpath(folder)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
        raise ConfigError(f"{where}: a symbolic link on the way leads outside the project{hint}")
    return os.path.normpath(folder)


def selector_matches(selector: str, rule_id: str) -> bool:
    """`k8s` and `k8s-` select a whole domain; anything else must be a full rule id or prefix
    ending at a dash boundary (`k8s-missing` selects every `k8s-missing-*`)."""
    sel = selector.rstrip("-")
    return rule_id == sel or rule_id.startswith(sel + "-")


def check_selectors(selectors: list[str], registry: Registry, where: str) -> None:
    for sel in selectors:
        if sel.lower() != "all" and not any(selector_matches(sel, r.id) for r in registry):
            hint = _did_you_mean(sel, [r.id for r in registry])
            raise ConfigError(f"{where}: unknown rule id or prefix {sel!r}{hint}")
