"""Running rule functions: which rules are active (configuration), which functions a run
imports (a pack only when a file it can judge is present), their typed options, which rules
see which subject, and one rule run whose crash becomes a finding instead of ending the run.
The per-file rules of one parsed file (`lint_file`) run here; cross-file rules in
project/crossfile.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from manifestlint.classify import rule_groups
from manifestlint.config import Config, selector_matches
from manifestlint.index import Index
from manifestlint.load import ParsedFile
from manifestlint.model import FILE_START, Finding, Severity, YamlDoc
from manifestlint.project import context as project_context
from manifestlint.project.bundles import ProjectModel
from manifestlint.project.deployed import keep as keep_deployed
from manifestlint.project.facts import FileFacts, istio_signal
from manifestlint.registry import Registry, Rule, security_severity_for
from manifestlint.report import INTERNAL_ERROR


@dataclass(slots=True)
class RuleContext:
    """What a rule may read besides its input: its options, the config, the project index."""

    rule: Rule
    options: dict[str, Any]
    config: Config
    index: Index
    project: Any = None  # project/images.ImageProject: image roles and image <-> Dockerfile links
    call: CallState | None = None  # what every rule of this lint call shares


@dataclass(slots=True)
class CallState:
    """What the rules of one lint call share: the call's Dockerfiles, and work a rule does once
    for all of them rather than once per file (ShellCheck: one process per call, keyed in `memo`
    by the rule; see rules/docker/shellcheck_bridge.py)."""

    dockerfiles: list[Any]
    memo: dict[Any, Any] = field(default_factory=dict)


def active_rules(registry: Registry, config: Config) -> list[Rule]:
    """Rules that run, with the configured severity stamped in."""
    out = []
    for rule in registry:
        setting = config.rules.get(rule.id)
        enabled = rule.enabled if setting is None or setting.enabled is None else setting.enabled
        if config.select:
            exact = rule.id in config.select
            enabled = exact or (enabled and any(selector_matches(s, rule.id) for s in config.select))
        if any(selector_matches(s, rule.id) for s in config.ignore):
            enabled = False
        if not enabled:
            continue
        if setting is not None and setting.severity is not None and setting.severity is not rule.severity:
            score = security_severity_for(rule.security_severity, setting.severity)
            rule = replace(rule, severity=setting.severity, security_severity=score)
        out.append(rule)
    return out


# Output stays bounded whatever the input: a message quoting a 1 MB value (or an ARG expanded
# a thousand times) is cut here, and the report shows at most report.MAX_PER_RULE_AND_FILE
# findings of a rule per file followed by one summary finding (1 MB of Pods gave 66,671 SARIF
# results; GitHub rejects a run over 25,000).
MAX_MESSAGE = 1000


MAX_OBJECT = 200


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def run_rule(rule: Rule, subject: Any, ctx: RuleContext, out: list[Finding], fallback_path: str = "") -> None:
    """Run one rule; its crash becomes a manifestlint-internal-error finding on the subject's
    file (on `fallback_path` for cross-file rules, whose subject is the whole project)."""
    try:
        rule_id, severity = rule.id, rule.severity
        for f in rule.func(subject, ctx) or ():  # a direct call: dataclasses.replace was a hot spot
            message, obj = f.message, f.obj
            if len(message) > MAX_MESSAGE or len(obj) > MAX_OBJECT:
                message, obj = clip(message, MAX_MESSAGE), clip(obj, MAX_OBJECT)
            level = severity if f.severity >= severity else f.severity  # the rule's cap: model.at_most
            out.append(Finding(rule_id, level, f.path, f.span, message, obj, f.doc, f.related, f.fix))
    except Exception as exc:  # a rule bug must not cost the user the other findings
        path = getattr(subject, "path", None) or getattr(getattr(subject, "doc", None), "path", "")
        path = path or fallback_path
        out.append(
            Finding(
                INTERNAL_ERROR,
                Severity.ERROR,
                path or "<project>",
                FILE_START,
                clip(f"internal error in rule {rule.id}: {exc!r}", MAX_MESSAGE),
            )
        )
        from manifestlint.output import printable  # the path may hold control characters

        line = clip(f"manifestlint: internal error in rule {rule.id} on {path}: {exc!r}", MAX_MESSAGE)
        print(printable(line), file=sys.stderr)


def with_functions(
    rules: list[Rule],
    registry: Registry,
    parsed: list[ParsedFile],
    indexes: list[Index],
    cached: list[FileFacts] = (),  # type: ignore[assignment]
) -> list[Rule]:
    """Attach check functions for what this run can judge: a pack is imported only when a
    file it can report on is present (a one-file call pays for one or two packs)."""
    needed = set()
    kinds: set[str] = set()
    for pf in parsed:
        if pf.dockerfile is not None:
            needed.add("dockerfile")
        for doc in pf.docs:
            needed.add(doc.kind)
            if doc.kind == "kubernetes":
                kinds.add(str(doc.root.get("kind")))
    if any(index.rule_groups for index in indexes):
        needed.add("prometheus-rules")
    objects = [doc for index in indexes for doc in index.objects]
    project_domains = {  # cached context files count through their facts
        "k8s": bool(objects) or any(facts.kinds for facts in cached),
        "istio": any(istio_signal(doc) for doc in objects) or any(facts.istio for facts in cached),
        "prometheus": any(index.rule_groups or index.prometheus_configs for index in indexes),
        "alertmanager": any(index.alertmanager for index in indexes),
    }

    def wanted(rule: Rule) -> bool:
        if rule.scope == "project":
            return project_domains.get(rule.domain, True)
        if rule.scope == "kubernetes" and rule.kinds:
            return not kinds.isdisjoint(rule.kinds)
        return rule.scope in needed

    return [replace(r, func=registry.function(r)) if r.func is None and wanted(r) else r for r in rules]


def _fits(value: Any, default: Any) -> bool:
    """Whether a configured option value has the shape its default has (a number for a number,
    a list of strings for a list of strings...), so a rule never meets a type it cannot read."""
    if isinstance(default, bool) or default is None:
        return isinstance(value, bool) or default is None
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e12
    if isinstance(default, str):
        return (
            isinstance(value, (str, int, float)) and not isinstance(value, bool) and len(str(value)) < 10_000
        )
    if isinstance(default, list):
        return isinstance(value, list) and all(
            isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in value
        )
    if isinstance(default, dict):
        return isinstance(value, dict) and all(
            isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in value.values()
        )
    return True


def typed_options(rule: Rule, configured: dict[str, Any]) -> dict[str, Any]:
    """The rule's defaults overridden by configured values of the right shape; a value of the
    wrong shape is ignored with one line on stderr (it crashed the rule before: `min-replicas:
    abc`, `min-for: true`, `values: [[]]`)."""
    options = rule.defaults()
    for name, value in configured.items():
        if name in options and not _fits(value, options[name]):
            print(
                f"manifestlint: warning: option {name!r} of {rule.id} should look like "
                f"{options[name]!r}; {str(value)[:80]!r} ignored",
                file=sys.stderr,
            )
            continue
        options[name] = value
    return options


def configured_options(config: Config, rule: Rule) -> dict[str, Any]:
    setting = config.rules.get(rule.id)
    return setting.options if setting is not None else {}


# Scopes whose rules take the whole document (rule files go by their groups).
WHOLE_DOCUMENT_SCOPES = frozenset({"alertmanager", "prometheus-config"})


class Dispatch:
    """Which rules see which subject, worked out once per run (kind lists on first use)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.by_scope: dict[str, list[Rule]] = {}
        for rule in rules:
            self.by_scope.setdefault(rule.scope, []).append(rule)
        self._by_kind: dict[str, list[Rule]] = {}

    def for_doc(self, doc: YamlDoc) -> list[Rule]:
        if doc.kind != "kubernetes":  # configurations take the document; rule files go by groups
            return self.by_scope.get(doc.kind, []) if doc.kind in WHOLE_DOCUMENT_SCOPES else []
        kind = str(doc.root.get("kind"))
        rules = self._by_kind.get(kind)
        if rules is None:
            rules = [r for r in self.by_scope.get("kubernetes", ()) if not r.kinds or kind in r.kinds]
            self._by_kind[kind] = rules
        return rules


# Per-object rules that report only a value the file writes, never a missing field: they judge
# a kustomize patch too (issue 19, principle 9).
FRAGMENT_RULES = frozenset(
    {"k8s-image-latest-tag", "k8s-privileged-container", "k8s-host-namespace", "k8s-dangerous-capabilities",
     "k8s-secret-in-env", "k8s-host-path-mount", "k8s-host-port"}
)  # fmt: skip


def lint_file(
    pf: ParsedFile, dispatch: Dispatch, contexts: dict[str, RuleContext], model: ProjectModel
) -> list[Finding]:
    out: list[Finding] = []
    if pf.dockerfile is not None:
        for rule in dispatch.by_scope.get("dockerfile", ()):
            run_rule(rule, pf.dockerfile, contexts[rule.id], out)
        return out
    path = project_context.real(pf.source.abspath) if pf.docs else None
    if path is not None and model.is_partial(path):
        # A kustomize patch or transformer config: a fragment of an object defined elsewhere.
        # Judged as a whole object it lacks selectors, probes and security contexts that the
        # base sets; judging only the fields it sets would need every rule to tell "unset"
        # from "wrong", so per-object rules skip it (its base is judged in full). Rules that
        # judge only a value written in the file still run on a patch (FRAGMENT_RULES): a value
        # that only a patch writes (an untagged image) is reported there, as each tree using
        # the patch deploys it (its `images:` rewrites applied).
        for doc in pf.docs if model.patch_changes(path) is not None else ():
            views = model.patch_views(path, doc)
            for rule in dispatch.for_doc(doc):
                if rule.id in FRAGMENT_RULES:
                    found: list[Finding] = []
                    for view in views:
                        run_rule(rule, view, contexts[rule.id], found)
                    out.extend({(f.span, f.message): f for f in found}.values())
        return out
    for doc in pf.docs:
        deployed = model.deployed(path, doc) if path is not None else None
        if deployed is None:
            for rule in dispatch.for_doc(doc):
                run_rule(rule, doc, contexts[rule.id], out)
        else:  # kept only when some kustomize tree still deploys the object with it
            as_written: list[Finding] = []
            as_deployed: list[Finding] = []
            for rule in dispatch.for_doc(doc):
                run_rule(rule, doc, contexts[rule.id], as_written)
                for view in deployed:
                    run_rule(rule, view, contexts[rule.id], as_deployed)
            out.extend(keep_deployed(as_written, as_deployed))
        groups = rule_groups(doc)
        if groups is not None:
            for rule in dispatch.by_scope.get("prometheus-rules", ()):
                run_rule(rule, groups, contexts[rule.id], out)
    return out


def rule_contexts(
    rules: list[Rule], config: Config, indexes: dict[str, Index], images: Any, dockerfiles: list[Any] = ()
) -> dict[str, dict[str, RuleContext]]:
    """realm -> rule id -> what the rule reads besides its subject: its typed options, the
    configuration, its realm's index, the image project and the call's shared state (the
    call's `dockerfiles` among it)."""
    options = {r.id: typed_options(r, configured_options(config, r)) for r in rules}
    call = CallState(list(dockerfiles))
    return {
        realm: {r.id: RuleContext(r, options[r.id], config, index, images, call) for r in rules}
        for realm, index in indexes.items()
    }


def lint_files(
    parsed: list[ParsedFile],
    rules: list[Rule],
    contexts: dict[str, dict[str, RuleContext]],
    realm_of: Callable[[ParsedFile], str],
    model: ProjectModel,
) -> list[Finding]:
    """Every named file's own findings (unreadable, syntax errors) and its per-file rules'."""
    dispatch = Dispatch([r for r in rules if r.func is not None])
    findings: list[Finding] = []
    for pf in parsed:
        findings.extend(pf.findings)
        findings.extend(lint_file(pf, dispatch, contexts[realm_of(pf)], model))
    return findings
