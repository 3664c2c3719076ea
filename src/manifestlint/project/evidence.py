"""Severity by the evidence of a file's role or an object's job (issue 19, principles 1 and 5).

Run once over every finding of a run, after the rules, so no rule needs to know about roles:

- **Examples and tutorials** (project/roles.py `example_role`: `examples/`, `samples/`, `demo/`,
  `docs/`, `*tutorial*`, `*quickstart*`, `starter/`, `solutions/`, `labN/`, development folders,
  vendored releases, `*-example.yaml`): validity findings — what a parser, the API server, the
  kubelet or a loader refuses — keep their severity; production-readiness findings become
  notes (the `example-severity` setting: `note`, `warning` or `keep`).
- **Node agents** (project/agents.py): host-access findings on a DaemonSet whose job is the
  node become notes that say so; the message still names the privilege.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from manifestlint.model import Finding, Severity, YamlDoc
from manifestlint.project.roles import EXAMPLE, Role, example_role_of

# Findings that mean "this is refused or broken as written", wherever the file lives. Besides
# these ids: every `*-invalid-*` and `*-syntax-*` rule, the schema rules and manifestlint's own.
REFUSALS = frozenset(
    {"k8s-removed-api", "k8s-selector-template-mismatch", "k8s-pdb-min-and-max", "k8s-requests-exceed-limits",
     "k8s-run-as-non-root-image-user", "docker-copy-from-unknown-stage", "docker-duplicate-stage-name",
     "docker-expose-invalid-port", "alertmanager-undefined-receiver", "prometheus-duplicate-alert"}
)  # fmt: skip

# What a node agent is allowed to need: the privileges its job on the node takes.
HOST_ACCESS = frozenset(
    {"k8s-host-path-mount", "k8s-host-namespace", "k8s-privileged-container", "k8s-dangerous-capabilities",
     "k8s-run-as-root", "k8s-host-port", "k8s-privilege-escalation-allowed", "k8s-capabilities-not-dropped",
     "k8s-writable-root-filesystem", "k8s-seccomp-unconfined", "k8s-seccomp-profile-missing"}
)  # fmt: skip

EXAMPLE_SEVERITIES = {"note": Severity.NOTE, "warning": Severity.WARNING, "keep": None}


def refusal(rule_id: str) -> bool:
    """Whether a rule reports what a loader refuses (kept at its severity in examples)."""
    return (
        rule_id in REFUSALS
        or "-invalid-" in rule_id
        or "-syntax-" in rule_id
        or rule_id.startswith(("schema-", "manifestlint-"))
    )


def lowered(
    findings: list[Finding],
    example: Callable[[str], Role | None],
    doc_at: Callable[[str, int], YamlDoc | None],
    example_cap: Severity | None,
    agent: Callable[[YamlDoc], str | None],
) -> list[Finding]:
    """`findings` with the severity their file's role or object's job allows. `example(path)`
    is the example role of a display path, `doc_at(path, index)` a document, `agent(doc)` the
    node-agent evidence of an object."""
    out = []
    roles: dict[str, Role | None] = {}
    agents: dict[tuple[str, int], str | None] = {}
    for f in findings:
        if f.path not in roles:
            roles[f.path] = example(f.path)
        role = roles[f.path]
        if role is not None and example_cap is not None and f.severity > example_cap and not refusal(f.rule):
            f = replace(f, severity=example_cap)
        if f.rule in HOST_ACCESS and f.doc >= 0 and f.severity > Severity.NOTE:
            key = (f.path, f.doc)
            if key not in agents:
                doc = doc_at(f.path, f.doc)
                agents[key] = agent(doc) if doc is not None else None
            why = agents[key]
            if why is not None:
                f = replace(f, severity=Severity.NOTE, message=f"{f.message}; {why}")
        out.append(f)
    return out


__all__ = ["EXAMPLE_SEVERITIES", "HOST_ACCESS", "REFUSALS", "lowered", "refusal"]


def by_evidence(
    findings: list[Finding],
    parsed: list[Any],
    base: Path,
    config: Any,
    project_objects: Callable[[], list[YamlDoc]] = list,
    units_of: Callable[[str], tuple[str, ...]] | None = None,
) -> list[Finding]:
    """Severity by the evidence of the file's role and the object's job, over every finding of
    a run (`parsed`: its load.ParsedFile list; `base`: where example folders are judged), and
    what the platform admits (project/platform.py: OpenShift's restricted SCC, in the deploy
    units — `units_of(path)`, the project model's bundles — that hold OpenShift evidence; the
    project's objects read only when a finding it may decide is there)."""
    if not findings:
        return findings
    from manifestlint.project.agents import node_agent

    files = {pf.source.path: pf for pf in parsed}

    def example(path: str) -> Role | None:
        pf = files.get(path)
        if pf is None:
            return None
        return example_role_of(pf.source.abspath, base) or fill_in_template(pf.docs)

    def doc_at(path: str, index: int) -> YamlDoc | None:
        pf = files.get(path)
        return next((d for d in pf.docs if d.index == index), None) if pf is not None else None

    cap = EXAMPLE_SEVERITIES.get(config.example_severity, Severity.NOTE)
    findings = lowered(findings, example, doc_at, cap, node_agent)
    from manifestlint.project import platform

    if config.platform == "kubernetes" or not any(f.rule in platform.SCC_DEFAULTED for f in findings):
        return findings
    objects = [doc for doc in project_objects() if isinstance(doc.root, dict)]
    if config.platform == "openshift":
        return platform.admitted(findings, doc_at, service_account, platform.root_grants(objects))
    if platform.openshift_evidence(objects) is None:
        return findings
    on_openshift = platform.openshift_units(objects, units_of or folder_unit)
    return platform.admitted(findings, doc_at, service_account, platform.root_grants(objects), on_openshift)


def fill_in_template(docs: list[YamlDoc]) -> Role | None:
    """A file of objects whose name or namespace is a blank to fill in (`name: <app-name>`,
    `namespace: <namespace>`): a template to copy, judged as an example (issue 19, principles
    4 and 5): what it writes that is refused stays reported, what it leaves to the copier is a
    note. Variables of a deploy step (`${NAMESPACE}`) are not blanks: the file deploys."""
    from manifestlint.templating import fill_in_blank

    for doc in docs:
        meta = doc.root.get("metadata") if doc.kind == "kubernetes" and isinstance(doc.root, dict) else None
        if not isinstance(meta, dict):
            continue
        for key in ("name", "namespace"):
            blank = fill_in_blank(meta.get(key))
            if blank:
                return Role(EXAMPLE, f"a template to fill in: metadata.{key} is the blank {blank!r}")
    return None


def folder_unit(path: str) -> tuple[str, ...]:
    """The deploy unit of a file without a project model: its folder."""
    return (str(Path(path).parent),)


def service_account(doc: YamlDoc) -> tuple[str, str] | None:
    """(namespace as written or '', service account) of a pod-running object; None otherwise."""
    from manifestlint.rules.kubernetes.objects import pod_template

    template = pod_template(doc) if doc.kind == "kubernetes" else None
    if template is None:
        return None
    account = template.spec.get("serviceAccountName") or template.spec.get("serviceAccount") or "default"
    meta = doc.root.get("metadata")
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    return (str(namespace) if namespace else "", str(account))
