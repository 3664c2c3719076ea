"""The rule registry: code registers check functions, data supplies everything else.

A rule is a pure function registered with `@rule(id, scope)`. Its metadata (title,
default severity, rationale, fix, tags, checklist items, options) lives in the top-level
`rules/<domain>/<topic>.yaml` files (named like the module `rules/<domain>/<topic>.py` that
holds the functions), which ship inside the wheel. Keeping text out of the code means
docs, `manifestlint explain` and SARIF `tool.driver.rules` are all generated from one
record and cannot drift (hadolint's wiki-vs-code drift is the counter-example).

Scopes say what a rule function receives:

- ``dockerfile``        ``fn(df: Dockerfile, ctx)``        one parsed Dockerfile
- ``kubernetes``        ``fn(doc: YamlDoc, ctx)``          one Kubernetes object (Istio, CRDs included)
- ``alertmanager``      ``fn(doc: YamlDoc, ctx)``          one Alertmanager configuration
- ``prometheus-rules``  ``fn(groups: RuleGroups, ctx)``    the rule groups of a rule file or PrometheusRule
- ``prometheus-config`` ``fn(doc: YamlDoc, ctx)``          one prometheus.yml
- ``project``           ``fn(index: Index, ctx)``          every document of the project (cross-file)
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manifestlint.model import Finding, Severity

SCOPES = ("dockerfile", "kubernetes", "alertmanager", "prometheus-rules", "prometheus-config", "project")

RuleFunc = Callable[..., Iterable[Finding]]
_FUNCS: dict[str, tuple[str, RuleFunc]] = {}
_KINDS: dict[str, tuple[str, ...]] = {}


def rule(rule_id: str, scope: str, kinds: Iterable[str] = ()) -> Callable[[RuleFunc], RuleFunc]:
    """Register `func` as the check for `rule_id` (metadata comes from rules/<domain>/<topic>.yaml).

    `kinds` (scope "kubernetes" only) names the object kinds the rule can report on; the
    engine then never calls it for other kinds: 2,000 documents times 60 rules is 120,000
    calls, most of which would return at their first line."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r} for {rule_id}")

    def register(func: RuleFunc) -> RuleFunc:
        if rule_id in _FUNCS:
            raise ValueError(f"rule {rule_id} registered twice")
        _FUNCS[rule_id] = (scope, func)
        if kinds:
            _KINDS[rule_id] = tuple(sorted(kinds))
        return func

    return register


# Peers a rule's `references` may cite as "<tool> <check>" (rules/peers/*.tsv holds their checks).
PEER_TOOLS = (
    "pss",
    "polaris",
    "kube-linter",
    "kube-score",
    "kubescape",
    "checkov",
    "trivy",
    "hadolint",
    "istioctl",
    "pint",
    "promtool",
    "amtool",
)
# How much of the peer's condition the rule tests: all of it (no marker), part of it (everything
# the rule reports is within the peer's condition), or more than it (a stricter condition).
REFERENCE_MARKERS = ("partial", "superset")


def peer_reference(ref: str) -> tuple[str, str, str] | None:
    """(tool, check, marker) for a reference that cites a peer's check, None for other text
    (a URL, a quoted message). `marker` is "" (same condition), "partial" or "superset"."""
    marker = ""
    head, sep, rest = ref.partition(": ")
    if sep and head in REFERENCE_MARKERS:
        marker, ref = head, rest
    tool, _, check = ref.partition(" ")
    if tool not in PEER_TOOLS or not check or " " in check:
        return None
    return tool, check, marker


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    default: Any
    description: str


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    scope: str
    func: RuleFunc | None  # None only for rules the engine itself emits (parse errors)
    title: str
    severity: Severity
    rationale: str
    fix: str
    tags: tuple[str, ...]
    checklist: tuple[str, ...] = ()
    security_severity: float | None = None
    enabled: bool = True
    options: tuple[Option, ...] = ()
    pack: str = ""
    precision: str = "high"
    references: tuple[str, ...] = ()
    module: str = ""  # where `func` lives; imported only when a file of its scope is linted
    kinds: tuple[str, ...] = ()  # object kinds a "kubernetes" rule applies to; () = all
    severity_evidence: str = ""  # what evidence lowers (or raises) one finding's severity
    fixable: str = ""  # "safe" (applied by --fix), "unsafe" (also needs --unsafe-fixes), "" none

    @property
    def domain(self) -> str:
        return self.id.split("-", 1)[0]

    def defaults(self) -> dict[str, Any]:
        return {opt.name: opt.default for opt in self.options}


@dataclass(slots=True)
class Registry:
    rules: dict[str, Rule] = field(default_factory=dict)

    def get(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def function(self, rule: Rule) -> RuleFunc | None:
        """The rule's check function, importing its pack on first use (a Dockerfile-only run
        never imports the PromQL parser)."""
        if rule.func is not None or not rule.module:
            return rule.func
        importlib.import_module(rule.module)
        if rule.id not in _FUNCS:  # moved to another module since rules/compiled.json was made
            import_all_packs()
        return _FUNCS[rule.id][1]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def __iter__(self):
        return iter(sorted(self.rules.values(), key=lambda r: r.id))


def data_dir(name: str) -> Path:
    """Top-level data folder (`rules`, `schemas`): inside the wheel, or in the source tree."""
    packaged = Path(__file__).parent / "_data" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / name


# Rules the engine emits itself (no function): parse failures and suppression problems.
ENGINE_RULES = frozenset(
    {
        "manifestlint-unreadable-file",
        "manifestlint-yaml-syntax",
        "manifestlint-unknown-rule",
        "manifestlint-invalid-suppression",
        "manifestlint-unused-suppression",
        "manifestlint-internal-error",
        "manifestlint-unrendered-template",
        "docker-syntax-error",
        "k8s-syntax-error",
        "alertmanager-invalid-yaml",
        "prometheus-invalid-yaml",
    }
)

_REGISTRY: Registry | None = None
COMPILED = "compiled.json"  # rules/**/*.yaml as JSON, written by scripts/gen_docs.py


def _metadata_files(folder: Path) -> list[tuple[str, Path]]:
    """(pack name, file) for every metadata file: `rules/<domain>/<topic>.yaml` (pack
    "<domain>/<topic>", the name of the module holding its functions) and the few top-level
    `rules/<name>.yaml` (rules the engine emits, schema rules)."""
    import os

    found: list[tuple[str, Path]] = []
    pending = [("", str(folder))]
    while pending:  # os.scandir: this runs at every start (Path.rglob costs several times more)
        prefix, path = pending.pop()
        for entry in os.scandir(path):
            if entry.is_dir():
                pending.append((f"{prefix}{entry.name}/", entry.path))
            elif entry.name.endswith(".yaml"):
                found.append((prefix + entry.name[:-5], Path(entry.path)))
    return sorted(found)


def _checksums(folder: Path) -> dict[str, int]:
    import zlib

    return {f"{name}.yaml": zlib.crc32(p.read_bytes()) for name, p in _metadata_files(folder)}


def import_all_packs() -> None:
    """Import every module below manifestlint.rules (domain packages included): each topic
    module registers its rules as it is imported; helper modules register none."""
    import manifestlint.rules as pack

    modules = pkgutil.walk_packages(pack.__path__, f"{pack.__name__}.")
    for name in sorted(module.name for module in modules):
        importlib.import_module(name)


def function_index() -> dict[str, list]:
    """Rule id -> [scope, module, kinds] for every registered function (imports every pack)."""
    import_all_packs()
    return {
        rule_id: [scope, func.__module__, list(_KINDS.get(rule_id, ()))]
        for rule_id, (scope, func) in sorted(_FUNCS.items())
    }


def parse_metadata(folder: Path) -> dict[str, list]:
    """Pack name -> metadata records, parsed from rules/**/*.yaml."""
    from manifestlint.parse.yaml import parse_stream

    out: dict[str, list] = {}
    for name, meta_file in _metadata_files(folder):
        docs, errors, duplicates = parse_stream(meta_file.read_text(encoding="utf-8"), str(meta_file))
        if errors or duplicates:
            problem = errors[0].message if errors else duplicates[0][1]
            raise ValueError(f"{meta_file}: {problem}")
        out[name] = list(docs[0].root) if docs and docs[0].root else []
    return out


def compiled_metadata(folder: Path) -> str:
    """The JSON that `metadata_records` loads instead of parsing YAML at every start."""
    import json

    data = {"sources": _checksums(folder), "packs": parse_metadata(folder), "functions": function_index()}
    return json.dumps(data, indent=1) + "\n"


def metadata_records() -> tuple[dict[str, list], dict[str, list[str]]]:
    """Rule metadata and where each function lives: from the compiled JSON when it matches
    the YAML sources (0.3 ms instead of 10-15 ms plus importing every pack), else parsed
    from the YAML with every pack imported."""
    import json

    folder = data_dir("rules")
    compiled = folder / COMPILED
    if compiled.is_file():
        data = json.loads(compiled.read_text(encoding="utf-8"))
        if data.get("sources") == _checksums(folder) and "functions" in data:
            return data["packs"], data["functions"]
    return parse_metadata(folder), function_index()


def load_registry() -> Registry:
    """Join rule metadata to the functions' locations (packs are imported on first use).

    Raises ValueError when a function has no metadata or metadata has no function: a rule
    without documentation is a defect, caught here and by the test suite."""
    global _REGISTRY
    if _REGISTRY is not None:
        return _REGISTRY
    packs, functions = metadata_records()
    registry = Registry()
    for pack_name, records in packs.items():
        meta_file = f"{pack_name}.yaml"
        for rec in records:
            rule_id = rec["id"]
            scope, module, kinds = functions.get(rule_id, ("engine", "", ()))
            if not module and rule_id not in ENGINE_RULES:
                raise ValueError(f"{meta_file}: rule {rule_id} has no registered function")
            func = _FUNCS[rule_id][1] if rule_id in _FUNCS else None
            options = tuple(
                Option(name, spec.get("default"), spec.get("description", ""))
                for name, spec in (rec.get("options") or {}).items()
            )
            sec = rec.get("security-severity")
            registry.rules[rule_id] = Rule(
                id=rule_id,
                scope=scope,
                func=func,
                title=rec["title"],
                severity=Severity.parse(rec["severity"]),
                rationale=rec["rationale"].strip(),
                fix=rec["fix"].strip(),
                tags=tuple(rec.get("tags") or ()),
                checklist=tuple(rec.get("checklist") or ()),
                security_severity=float(sec) if sec is not None else None,
                enabled=rec.get("enabled", True),
                options=options,
                pack=pack_name,
                precision=rec.get("precision", "high"),
                references=tuple(rec.get("references") or ()),
                module=module,
                kinds=tuple(kinds),
                severity_evidence=(rec.get("severity-evidence") or "").strip(),
                fixable=_fixable(meta_file, rule_id, rec.get("fixable")),
            )
    missing = sorted(set(functions) - set(registry.rules))
    if missing:
        raise ValueError(f"rules without metadata in rules/**/*.yaml: {', '.join(missing)}")
    _REGISTRY = registry
    return registry


FIXABLE = ("safe", "unsafe")


def _fixable(meta_file: str, rule_id: str, value: object) -> str:
    """The `fixable` metadata: whether the rule's findings carry a fix and whether --fix may
    apply it unasked (safe: cannot break a working deployment) or only with --unsafe-fixes."""
    if value is None:
        return ""
    if value not in FIXABLE:
        raise ValueError(f"{meta_file}: rule {rule_id}: fixable must be one of {', '.join(FIXABLE)}")
    return str(value)


# GitHub code scanning ranks security alerts by `security-severity`: over 9.0 critical,
# 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
_SECURITY_BANDS = {Severity.ERROR: (7.0, 10.0), Severity.WARNING: (4.0, 6.9), Severity.NOTE: (0.1, 3.9)}


def security_severity_for(score: float | None, severity: Severity) -> float | None:
    """A rule's security score moved into the band of a configured severity: a rule turned
    down to `note` must not stay High on GitHub, one turned up to `error` must not stay Low.
    (Called only when the configuration changes the severity: the metadata's score stands
    for the default.)"""
    if score is None:
        return None
    low, high = _SECURITY_BANDS[severity]
    return min(max(score, low), high)
