"""Pod Security Standards as rules: k8s-pod-security (the controls no other rule reports, at
the configured level) and k8s-pod-security-admission (what a namespace's Pod Security
admission labels refuse, warn about or audit). The controls themselves are in
pss_controls.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from manifestlint.model import Finding, Severity, YamlDoc, at_most, doc_hit
from manifestlint.registry import load_registry, rule
from manifestlint.rules.kubernetes.objects import WORKLOAD_KINDS, name_of, namespace_of, pod_template
from manifestlint.rules.kubernetes.pss_controls import LEVELS, Violation, by_place, parse_version, violations

LABEL = "pod-security.kubernetes.io/"
MODES = ("enforce", "warn", "audit")


def _options_of(ctx, rule_id: str) -> dict[str, Any]:
    """Another rule's options as this run configures them (defaults, then the config's)."""
    from manifestlint.runner import _fits  # the shape check every rule's own options get

    options = load_registry().get(rule_id).defaults()
    setting = ctx.config.rules.get(rule_id) if ctx.config is not None else None
    for name, value in (setting.options if setting is not None else {}).items():
        if name in options and _fits(value, options[name]):
            options[name] = value
    return options


def _owners(ctx) -> dict[str, Any]:
    """What the older rules report on their own (their configured lists): left to them."""
    from manifestlint.rules.kubernetes.host_access import _inside, _normalise_path, _under

    caps = _options_of(ctx, "k8s-dangerous-capabilities").get("capabilities") or ()
    host = _options_of(ctx, "k8s-host-path-mount")
    sensitive = [_normalise_path(str(p)) for p in host.get("sensitive-paths") or ()]
    allowed = [_normalise_path(str(p)) for p in host.get("allowed-paths") or ()]

    def reported(path: str) -> bool:
        path = _normalise_path(path)
        return not _under(path, allowed) and bool(
            _under(path, sensitive) or _inside(path, sensitive, allowed)
        )

    return {
        "dangerous-capabilities": frozenset(str(c).upper().removeprefix("CAP_") for c in caps),
        "host-path-reported": reported,
    }


@rule("k8s-pod-security", "kubernetes", kinds=WORKLOAD_KINDS)
def pod_security(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    per_namespace = ctx.options.get("namespaces") or {}
    level = str(per_namespace.get(namespace_of(doc, ""), ctx.options.get("level") or "baseline"))
    own = [found for found in violations(pod, level, opts=_owners(ctx)) if not found.owner]
    for span, found in by_place(own).items():
        controls = ", ".join(dict.fromkeys(v.control for v in found))
        yield doc_hit(doc, span, f"Pod Security {level} ({controls}): {'; '.join(v.text for v in found)}")


def _labels(ctx, doc: YamlDoc) -> tuple[str, dict[str, Any], str | None] | None:
    """(namespace, its Pod Security labels, a file defining it otherwise) for the workload's
    namespace: from the project's Namespace object, else the configured cluster default, else
    None. Two files defining the namespace with other labels are versions of one object
    (issue 19, principle 2): the strictest is judged, and nothing proves it is the one applied."""
    ns = namespace_of(doc, "")
    versions = [d for d in ctx.index.of_kind("Namespace") if name_of(d) == ns] if ns else []
    picks = sorted(((_picked(d), d.path) for d in versions), key=lambda p: -_strictness(p[0]))
    picked, other = (picks[0][0], None) if picks else ({}, None)
    if any(p != picked for p, _path in picks[1:]):
        other = next(path for p, path in picks[1:] if p != picked)
    if not any(mode in picked for mode in MODES):
        default = str(ctx.options.get("cluster-default") or "privileged")
        if default == "privileged":
            return None
        picked = {
            "enforce": default,
            "enforce-version": ctx.options.get("cluster-default-version") or "latest",
        }
    return ns, picked, other


def _picked(namespace: YamlDoc) -> dict[str, Any]:
    meta = namespace.root.get("metadata") if isinstance(namespace.root, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if not isinstance(labels, dict):
        return {}
    return {key[len(LABEL) :]: value for key, value in labels.items() if str(key).startswith(LABEL)}


def _strictness(picked: dict[str, Any]) -> int:
    level = str(picked.get("enforce") or "")
    return LEVELS.index(level) if level in LEVELS else -1


@rule("k8s-pod-security-admission", "kubernetes", kinds=WORKLOAD_KINDS)
def pod_security_admission(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    found = _labels(ctx, doc)
    if found is None:
        return
    ns, labels, other = found
    seen: set = set()
    for mode in MODES:
        level = str(labels.get(mode) or "")
        if level not in LEVELS[1:]:
            continue
        version = parse_version(labels.get(f"{mode}-version"))
        for span, found in by_place(violations(pod, level, version, _owners(ctx))).items():
            if span not in seen:  # enforce first: a place it refuses is not also a warning
                seen.add(span)
                finding = _admission_finding(doc, pod.kind, ns, mode, level, found)
                if other is not None and mode == "enforce":  # the definition applied decides
                    finding = at_most(
                        replace(
                            finding,
                            message=f"{finding.message}; but {other} defines namespace "
                            f"{ns!r} otherwise, and the one applied last decides",
                        ),
                        Severity.WARNING,
                    )
                yield finding


def _admission_finding(
    doc: YamlDoc, kind: str, ns: str, mode: str, level: str, found: list[Violation]
) -> Finding:
    label = f"{LABEL}{mode}: {level}"
    where = f"namespace {ns!r} ({label})" if ns else f"the cluster default ({label})"
    if mode == "enforce":
        what = (
            "the API server refuses this Pod"
            if kind == "Pod"
            else f"the API server refuses every pod this {kind} creates"
        )
    elif mode == "warn":
        what = "kubectl and the API server warn on every apply"
    else:
        what = "every apply is recorded in the audit log as a violation"
    controls = ", ".join(dict.fromkeys(v.control for v in found))
    texts = "; ".join(v.text for v in found)
    finding = doc_hit(doc, found[0].span, f"{what}: {where} forbids {controls} ({texts})")
    return finding if mode == "enforce" else at_most(finding, Severity.WARNING)
