"""Running the cross-file rules: once per bundle that holds a reported file (each seeing
that bundle alone, reading only the files the named ones relate to), the project's alerting as
a whole, and dangling references confirmed against the whole project.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from manifestlint import runner
from manifestlint.index import Index
from manifestlint.load import ParsedFile
from manifestlint.model import Finding, YamlDoc
from manifestlint.project import context as project_context
from manifestlint.project.bundles import ProjectModel
from manifestlint.project.documents import ContextDocs
from manifestlint.registry import Rule
from manifestlint.rules.kubernetes.objects import name_of, namespace_of
from manifestlint.runner import RuleContext

if TYPE_CHECKING:
    from manifestlint.project.reading import Project

# Cross-file rules read only the files of a bundle that the named files relate to
# (project/links.py). False reads every file of the bundle: tests compare the two.
RELEVANCE = True


# The project's alerting as a whole: a Prometheus loads every rule file of the project whatever
# bundle (Kustomize tree, folder) holds it, so the thresholds and golden-signal coverage are
# judged once over all of them (named and context files), not per bundle.
WHOLE_PROJECT_RULES = frozenset(
    {"prometheus-alert-threshold", "prometheus-missing-golden-alert", "prometheus-rule-file-not-loaded"}
)


# Rules that report a reference to something the bundle lacks (an HPA's target, the pods of a
# Service or policy, a VirtualService's host, gateway or subset). Folder bundles are a guess:
# real repositories keep HPAs, policies or Istio routing in a sibling folder of the workloads
# they apply to (sock-shop's autoscaling/ and manifests-policy/, bank-of-anthos' extras/),
# and an error there blocks a valid commit. Such a finding stands only when the reference is
# missing from the whole project too: precision before recall. So does a Namespace without a
# quota: a kustomize component adding a ResourceQuota to an overlay covers the Namespace that
# a plain folder declares (issue 19, principle 9).
DANGLING_REFERENCE_RULES = frozenset(
    {"k8s-hpa-target-missing", "k8s-network-policy-selects-nothing", "k8s-service-selector-mismatch",
     "k8s-service-target-port-mismatch", "k8s-ingress-backend-missing",
     "istio-authz-selector-matches-nothing", "istio-gateway-selector-matches-nothing",
     "istio-vs-unknown-gateway", "istio-vs-host-not-in-gateway", "istio-vs-unknown-subset",
     "istio-vs-unknown-host", "istio-dr-subset-no-pods", "k8s-namespace-missing-quota",
     "k8s-dangling-reference", "k8s-statefulset-service"}
)  # fmt: skip


def run(
    rules: list[Rule],
    contexts: dict[str, dict[str, RuleContext]],
    project: Project,
    parsed: list[ParsedFile],
    raw_docs: dict[int, list[YamlDoc]],
    indexes: dict[str, Index],
    base: str,
) -> list[Finding]:
    """Every cross-file rule's findings on the named files: per bundle (dangling references
    confirmed against the whole project), and the project's alerting as a whole in each realm
    (the deployable files, and each test-data folder)."""
    project_rules = [r for r in rules if r.scope == "project" and r.func is not None]
    if not project_rules:
        return []
    report_paths = {pf.source.path for pf in parsed}
    per_bundle = [r for r in project_rules if r.id not in WHOLE_PROJECT_RULES]
    findings = project_findings(
        per_bundle,
        contexts[""],
        project.model,
        parsed,
        project.docs,
        report_paths,
        base,
        raw_docs,
        project.whole,
    )
    for rule in (r for r in project_rules if r.id in WHOLE_PROJECT_RULES):
        for realm, index in indexes.items():
            found: list[Finding] = []
            # a crash is reported on a file of the report (it was dropped as "<project>", exit 0)
            runner.run_rule(rule, index, contexts[realm][rule.id], found, min(index.report_paths, default=""))
            findings.extend(
                f for f in found if f.path in index.report_paths or f.rule == runner.INTERNAL_ERROR
            )
    return findings


def project_findings(
    project_rules: list[Rule],
    contexts: dict[str, RuleContext],
    model: ProjectModel,
    parsed: list[ParsedFile],
    docs: ContextDocs,
    report_paths: set[str],
    base: str,
    raw_docs: dict[int, list[YamlDoc]],
    whole_project: Callable[[], Index],
) -> list[Finding]:
    """Cross-file rules, once per bundle that holds a reported file, each seeing an index of
    that bundle alone. A finding found in several bundles (a base used by three overlays) is
    reported once, from the first bundle in the model's stable order."""
    for pf in parsed:
        docs.set(project_context.real(pf.source.abspath), raw_docs.get(id(pf), pf.docs))
    reported = [project_context.real(pf.source.abspath) for pf in parsed]
    out: list[Finding] = []
    seen: set[tuple] = set()
    facts = model.facts
    for bundle in project_context.bundles_to_run(model, reported):
        bundle_index, originals = project_context.bundle_index(
            bundle, docs, facts, report_paths, base, docs.links if RELEVANCE else None, set(reported)
        )
        if not bundle_index.report_paths:
            continue
        found: list[Finding] = []
        anchor = min(bundle_index.report_paths)  # where a crash of a cross-file rule is reported
        for rule in project_rules:
            ctx = contexts[rule.id]
            scoped = RuleContext(ctx.rule, ctx.options, ctx.config, bundle_index, ctx.project, ctx.call)
            runner.run_rule(rule, bundle_index, scoped, found, anchor)
        keys = set()
        for f in found:
            if f.path not in bundle_index.report_paths:
                continue
            key = (f.rule, f.path, f.doc, f.span)
            if key in seen:
                continue
            keys.add(key)
            original = originals.get((f.path, f.doc))
            out.append(replace(f, obj=original.ident) if original is not None else f)
        seen |= keys
    return dangling_in_whole_project(out, project_rules, contexts, whole_project)


def dangling_in_whole_project(
    found: list[Finding],
    project_rules: list[Rule],
    contexts: dict[str, RuleContext],
    whole_index: Callable[[], Index],
) -> list[Finding]:
    """Keep a dangling-reference finding only when the rule, run over the whole project
    (every deployable file of the realm), reports the same place too. Test data is judged
    file by file already: nothing to confirm there."""
    main = next(iter(contexts.values())).index if contexts else None
    suspects = {
        f.rule for f in found if f.rule in DANGLING_REFERENCE_RULES and main and f.path in main.report_paths
    }
    if not suspects or main is None:
        return found
    whole_project = whole_index()
    confirmed = _confirmed(project_rules, suspects, contexts, whole_project)
    unplaced = {(d.path, d.index) for d in whole_project.objects if not _placed(d)}
    blank = {(d.path, d.index) for d in whole_project.objects if _blank_identity(d)}

    def candidate(f: Finding) -> bool:
        """Confirmed in the whole project; stands as it is when it comes from an object
        without a namespace of its own."""
        return (
            f.rule in suspects
            and f.path in whole_project.report_paths
            and (f.rule, f.path, f.span) in confirmed
        )

    # A reference from an object with a namespace also stands only when no object without
    # one (applied with `kubectl -n`, or by a parent kustomization elsewhere) could be it.
    # The spread index (copies of every such object in each namespace) is built and judged
    # only when a finding needs it: 160 ms of a corpus call went to building it for nothing.
    confirmed_spread: set[tuple] | None = None
    if any(candidate(f) and (f.path, f.doc) not in unplaced for f in found):
        spread = spread_namespaces(whole_project)
        if spread is not None:
            wanted = {f.rule for f in found if candidate(f) and (f.path, f.doc) not in unplaced}
            confirmed_spread = _confirmed(project_rules, wanted, contexts, spread)

    def stands(f: Finding) -> bool:
        if f.rule not in suspects or f.path not in whole_project.report_paths:
            return True
        if (f.path, f.doc) in blank:
            return False  # a template's object: where it lands and what it meets are not known
        place = (f.rule, f.path, f.span)
        if place not in confirmed:
            return False
        return confirmed_spread is None or (f.path, f.doc) in unplaced or place in confirmed_spread

    return [f for f in found if stands(f)]


def _confirmed(
    project_rules: list[Rule], suspects: set[str], contexts: dict[str, RuleContext], index: Index
) -> set[tuple]:
    """(rule, path, span) of what the `suspects` rules report when run over `index`."""
    out: set[tuple] = set()
    for rule in project_rules:
        if rule.id in suspects:
            ctx = contexts[rule.id]
            whole: list[Finding] = []
            scoped = RuleContext(ctx.rule, ctx.options, ctx.config, index, ctx.project, ctx.call)
            runner.run_rule(rule, index, scoped, whole)
            out.update((f.rule, f.path, f.span) for f in whole)
    return out


MAX_SPREAD_VIEWS = 100_000  # namespace-less objects x namespaces, for the dangling-reference check


def _blank_identity(doc: YamlDoc) -> bool:
    """Whether the object's name or namespace is still to be filled in (`namespace:
    <namespace>`, `name: ${APP}`: templating.placeholder): a template to copy, whose references
    cannot dangle yet (issue 19, principle 4)."""
    from manifestlint.templating import placeholder

    if not isinstance(doc.root, dict):
        return False
    return placeholder(name_of(doc)) is not None or placeholder(namespace_of(doc, "")) is not None


def _placed(doc: YamlDoc) -> bool:
    """Whether the object says where it goes: a namespace of its own, or cluster-scoped."""
    from manifestlint.project.facts import CLUSTER_KINDS

    if not isinstance(doc.root, dict) or doc.root.get("kind") in CLUSTER_KINDS:
        return True
    return bool(namespace_of(doc, ""))


def spread_namespaces(index: Index) -> Index | None:
    """`index` plus, for every namespaced object without a namespace of its own, a copy in each
    namespace the project names: such an object lands wherever it is applied (kubeflow's apps
    are installed with `kubectl apply -k ... -n kubeflow`, beside NetworkPolicies that name
    kubeflow). None when there is nothing to spread, or too much."""
    from manifestlint.project.views import view

    loose = [doc for doc in index.objects if not _placed(doc)]
    named = {namespace_of(doc, "") for doc in index.objects}
    namespaces = sorted((named | {name_of(doc) for doc in index.of_kind("Namespace")}) - {""})
    if not loose or not namespaces or len(loose) * len(namespaces) > MAX_SPREAD_VIEWS:
        return None
    out = Index(report_paths=set(index.report_paths), base=index.base)
    out.add(index.objects)
    for namespace in namespaces:
        out.add(view(doc, namespace, {}, {}, False) for doc in loose)
    return out
