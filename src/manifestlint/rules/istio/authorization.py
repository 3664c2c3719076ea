"""AuthorizationPolicy: rules that allow everything, deny nothing, match by negation or select no workload."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.index import Index
from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.common import istio_spec
from manifestlint.rules.istio.mesh import MtlsPolicies, match_labels, objects, root_ns, workloads
from manifestlint.rules.kubernetes.objects import (
    name_of,
    namespace_of,
    selector_matches,
)


def is_allow(spec: YMap) -> bool:
    return str(spec.get("action") or "ALLOW") == "ALLOW"


def sources(spec: YMap) -> Iterator[YMap]:
    """Every `from[].source` mapping of an AuthorizationPolicy's rules."""
    rules = spec.get("rules")
    if not isinstance(rules, YList):
        return
    for item in rules:
        froms = item.get("from") if isinstance(item, YMap) else None
        if isinstance(froms, YList):
            for entry in froms:
                if isinstance(entry, YMap) and isinstance(entry.get("source"), YMap):
                    yield entry["source"]


@rule("istio-authz-allow-all", "kubernetes", kinds=("AuthorizationPolicy",))
def authz_allow_all(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "AuthorizationPolicy")
    if spec is None or not is_allow(spec):
        return
    rules = spec.get("rules")
    if not isinstance(rules, YList):
        return
    scope = "the selected workloads" if spec.get("selector") or spec.get("targetRef") else "the namespace"
    for i, item in enumerate(rules):
        if item is None or (isinstance(item, YMap) and not any(item.get(k) for k in ("from", "to", "when"))):
            yield doc_hit(
                doc,
                rules.item_span(i),
                f"an empty ALLOW rule matches every request: all traffic to {scope} is allowed",
            )


@rule("istio-authz-deny-without-rules", "kubernetes", kinds=("AuthorizationPolicy",))
def authz_deny_without_rules(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "AuthorizationPolicy")
    if spec is None or str(spec.get("action") or "") != "DENY":
        return
    if not spec.get("rules"):
        where = spec.value_span("rules") if "rules" in spec else spec.value_span("action")
        yield doc_hit(doc, where, "a DENY policy without rules matches nothing: it denies no request")


_NEGATIVE = ("notPrincipals", "notNamespaces", "notRequestPrincipals", "notIpBlocks", "notRemoteIpBlocks")


@rule("istio-authz-negative-match", "kubernetes", kinds=("AuthorizationPolicy",))
def authz_negative_match(doc: YamlDoc, ctx) -> Iterator[Finding]:
    spec = istio_spec(doc, "AuthorizationPolicy")
    if spec is None or not is_allow(spec):
        return
    for source in sources(spec):
        for key in _NEGATIVE:
            if key in source:
                yield doc_hit(
                    doc,
                    source.key_span(key),
                    f"ALLOW with {key} allows every caller except those listed, including "
                    "unauthenticated ones: list the callers to allow instead",
                )


@rule("istio-authz-principals-without-mtls", "project")
def authz_principals_without_mtls(index: Index, ctx) -> Iterator[Finding]:
    root = root_ns(ctx)
    policies = MtlsPolicies(index, root)
    if not policies.namespace and not policies.workload:
        return
    works = workloads(index)
    for doc, spec in objects(index, "AuthorizationPolicy"):
        ns = namespace_of(doc)
        selector = match_labels(spec)
        targets = [w for w in works if (ns == root or w.namespace == ns)]
        if selector is not None:
            targets = [w for w in targets if selector_matches({"matchLabels": selector}, w.labels)]
        modes = [policies.for_labels(w.namespace, w.labels) for w in targets]
        if not targets:
            modes = [policies.for_namespace(ns)]
        weak = sorted(
            {(m, namespace_of(d), name_of(d)) for m, d in modes if d and m in ("PERMISSIVE", "DISABLE")}
        )
        if not weak:
            continue
        mode, pa_ns, pa_name = weak[0]
        action = str(spec.get("action") or "ALLOW")
        effect = (
            "plaintext callers carry no identity, so this DENY never matches them"
            if action == "DENY"
            else "plaintext callers carry no identity and are matched by no principal"
        )
        for source in sources(spec):
            for key in ("principals", "notPrincipals", "namespaces", "notNamespaces"):
                if key in source:
                    yield doc_hit(
                        doc,
                        source.key_span(key),
                        f"{key} needs mutual TLS, but PeerAuthentication {pa_ns}/{pa_name} is {mode}: "
                        f"{effect}",
                    )


@rule("istio-authz-selector-matches-nothing", "project")
def authz_selector_matches_nothing(index: Index, ctx) -> Iterator[Finding]:
    root = root_ns(ctx)
    works = workloads(index)
    for doc, spec in objects(index, "AuthorizationPolicy"):
        labels = match_labels(spec)
        if labels is None:
            continue
        ns = namespace_of(doc)
        scope = [w for w in works if ns == root or w.namespace == ns]
        if not scope:
            continue  # the project defines no workloads there: nothing to judge against
        if any(selector_matches({"matchLabels": labels}, w.labels) for w in scope):
            continue
        where = "any namespace" if ns == root else f"namespace {ns}"
        yield doc_hit(
            doc,
            spec["selector"].key_span("matchLabels"),
            f"selector matches no workload in {where}: the policy protects nothing",
        )


ALWAYS_THERE = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def _ns_matches(pattern: str, namespace: str) -> bool:
    """Istio's string match for source namespaces: exact, `prefix*`, `*suffix` or `*`."""
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return namespace.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return namespace.endswith(pattern[1:])
    return pattern == namespace


@rule("istio-authz-unknown-namespace", "project")
def authz_unknown_namespace(index: Index, ctx) -> Iterator[Finding]:
    """A source namespace that the project does not have never matches: an ALLOW rule for it
    lets nobody in, a DENY rule for it protects nothing. Judged where the project declares its
    Namespaces."""
    declared = {name_of(doc) for doc in index.of_kind("Namespace")}
    if not declared:
        return
    known = declared | ALWAYS_THERE | {root_ns(ctx)} | {namespace_of(doc) for doc in index.objects}
    for doc, spec in objects(index, "AuthorizationPolicy"):
        for source in sources(spec):
            for key in ("namespaces", "notNamespaces"):
                values = source.get(key)
                for i, value in enumerate(values if isinstance(values, YList) else ()):
                    if not any(_ns_matches(str(value), ns) for ns in known):
                        yield doc_hit(
                            doc,
                            values.item_span(i),
                            f"{key} entry {value!r} matches no namespace of the project: "
                            + ("it excludes nobody" if key == "notNamespaces" else "it never matches"),
                        )
