"""Evidence for alerting, SLOs, runbooks, CI scanning, secrets and RBAC items: the alerts
as understood (`alerts.thresholds.understand`), Alertmanager configurations that load (one
the loader refuses groups, routes and pages nothing), CI workflows that run an image
scanner, and the objects that hold credentials or permissions."""

from __future__ import annotations

import re

from manifestlint.alerts.categories import format_value
from manifestlint.checklist.evidence import Evidence, Project, capped, cite, plural, spec
from manifestlint.model import YamlDoc, YList, YMap

PAGING = ("pagerduty_configs", "opsgenie_configs", "victorops_configs", "incidentio_configs")
SCANNERS = re.compile(
    r"\b(trivy|grype|snyk|docker\s+scout|anchore|clair|aquasec|prisma|twistlock|neuvector|dockle|"
    r"checkov|kubescape|sysdig|xray|wiz)\b",
    re.I,
)
CI_FILES = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", "Jenkinsfile",
            "azure-pipelines.yml", ".circleci/config.yml", "bitbucket-pipelines.yml", ".drone.yml",
            "cloudbuild.yaml", "buildspec.yml")  # fmt: skip
LOGQL = re.compile(r"\}\s*(\|=|\|~|!=|!~|\|\s*(json|logfmt|pattern|regexp|line_format))")


def _where(groups, entry: YMap) -> str:
    return f"{groups.doc.path}:{entry.key_span('alert').line}"


def _alert_rules(project: Project) -> bool:
    return any(project.index.reported(g.doc) for g in project.index.rule_groups)


def alerts_for(categories: tuple[str, ...]):
    def evidence(project: Project) -> Evidence:
        if not _alert_rules(project):
            return Evidence("absent", ["no Prometheus rule file in the named files"])
        notes, missing = [], []
        for category in categories:
            target = project.policy.target(category)
            mine = [a for a in project.alerts if a.threshold.category == category]
            meeting = [
                a
                for a in mine
                if a.threshold.threshold <= target.above and a.for_seconds <= target.for_seconds
            ]
            if meeting:
                a = meeting[0]
                notes.append(
                    f"{a.name} fires at {a.threshold.shown()} after {a.for_text} ({a.path}:{a.line})"
                )
            elif mine:
                a = min(mine, key=lambda x: (x.threshold.threshold, x.for_seconds))
                missing.append(
                    f"{category}: the most sensitive alert {a.name} fires at {a.threshold.shown()} after "
                    f"{a.for_text} ({a.path}:{a.line}); the policy is {target.shown(category)}"
                )
            else:
                missing.append(f"{category}: no recognised alert (the policy is {target.shown(category)})")
        seen = sum(1 for a in project.alerts if a.threshold.category in categories)
        checked = f"{plural(seen, 'alert')} on {', '.join(categories)} with a threshold"
        return Evidence("missing", missing + notes, checked) if missing else Evidence("ok", notes, checked)

    return evidence


def slo_alerting(project: Project) -> Evidence:
    """Burn-rate alerts (with their objective) or, short of them, error-budget records."""
    if not _alert_rules(project):
        return Evidence("absent", ["no Prometheus rule file in the named files"])
    from manifestlint.alerts.slo import is_budget_record

    notes = []
    for groups, entry, understood in project.understood:
        if understood.reason == "SLO burn-rate alert":
            objective = understood.objective
            shown = (
                f"objective {format_value('error-rate', objective * 100)}"
                if objective
                else "objective unknown"
            )
            notes.append(f"{entry['alert']}: burn-rate alert, {shown} ({_where(groups, entry)})")
    checked = f"{plural(len(project.understood), 'alert')}, burn-rate alerts: {len(notes)}"
    if notes:
        return Evidence("ok", capped(notes), checked)
    records = [
        f"{entry['record']} ({groups.doc.path}:{entry.key_span('record').line})"
        for groups in project.index.rule_groups
        if project.index.reported(groups.doc)
        for entry in _records(groups)
        if is_budget_record(str(entry["record"]))
    ]
    if records:
        return Evidence(
            "missing", ["error-budget recording rules but no burn-rate alert on them", *records], checked
        )
    return Evidence(
        "none", ["no burn-rate alert (error ratio over windows against (1 - objective) * factor)"], checked
    )


def slo_findings(project: Project):
    """Findings that concern SLO alerting: those on burn-rate alerts (a missing `for` on an
    unrelated alert says nothing about SLOs)."""
    starts: dict[str, list[tuple[int, bool]]] = {}
    for groups, entry, understood in project.understood:
        is_slo = understood.reason == "SLO burn-rate alert"
        starts.setdefault(groups.doc.path, []).append((entry.key_span("alert").line, is_slo))
    for lines in starts.values():
        lines.sort()

    def keep(finding) -> bool:
        owner = [slo for line, slo in starts.get(finding.path, ()) if line <= finding.span.line]
        return bool(owner) and owner[-1]

    return keep


def _records(groups) -> list[YMap]:
    out = []
    for group in groups.groups if isinstance(groups.groups, YList) else ():
        rules = group.get("rules") if isinstance(group, YMap) else None
        out += [e for e in rules or () if isinstance(e, YMap) and isinstance(e.get("record"), str)]
    return out


def _annotated(key: str, what: str):
    def evidence(project: Project) -> Evidence:
        if not _alert_rules(project):
            return Evidence("absent", ["no Prometheus rule file in the named files"])
        having = []
        for groups, entry, _u in project.understood:
            annotations = entry.get("annotations")
            if isinstance(annotations, YMap) and str(annotations.get(key) or "").strip():
                having.append(f"{entry['alert']} ({_where(groups, entry)})")
        checked = f"{plural(len(project.understood), 'alert')}, with {key}: {len(having)}"
        if having:
            return Evidence("ok", capped(having), checked)
        return Evidence("none", [f"no alert has a {key} annotation ({what})"], checked)

    return evidence


def log_alerting(project: Project) -> Evidence:
    if not _alert_rules(project):
        return Evidence("absent", ["no Prometheus or Loki rule file in the named files"])
    found = [
        f"{entry['alert']} ({_where(groups, entry)})"
        for groups, entry, _u in project.understood
        if LOGQL.search(str(entry.get("expr") or ""))
    ]
    checked = f"{plural(len(project.understood), 'alert')}, on logs (LogQL): {len(found)}"
    if found:
        return Evidence("ok", capped(found), checked)
    return Evidence("none", ["no alert reads logs (a Loki ruler rule with a LogQL pipeline)"], checked)


def _loadable(project: Project) -> tuple[list[YamlDoc], list[str]]:
    docs = [d for d in project.index.alertmanager if project.index.reported(d)]
    ok, refused = [], []
    for doc in docs:
        errors = project.refused(doc)
        if errors:
            first = errors[0]
            refused.append(
                f"Alertmanager refuses to load {doc.path} ({plural(len(errors), 'error')}, first at "
                f"{first.path}:{first.span.line}): nothing in it takes effect"
            )
        else:
            ok.append(doc)
    return ok, refused


def _alertmanager(test, what: str):
    def evidence(project: Project) -> Evidence:
        docs = [d for d in project.index.alertmanager if project.index.reported(d)]
        if not docs:
            return Evidence("absent", ["no Alertmanager configuration in the named files"])
        ok, refused = _loadable(project)
        notes = [note for doc in ok for note in test(doc)]
        checked = f"{plural(len(docs), 'Alertmanager configuration')}, {len(ok)} load; {what}: {len(notes)}"
        if notes:
            return Evidence("ok", capped(notes + refused), checked)
        return Evidence("missing" if refused else "none", refused or [f"no {what}"], checked)

    return evidence


def _grouping(doc: YamlDoc) -> list[str]:
    route = doc.root.get("route")
    out = []
    if isinstance(route, YMap) and isinstance(route.get("group_by"), YList):
        out.append(f"route.group_by {list(route['group_by'])} ({doc.path}:{route.key_span('group_by').line})")
    inhibit = doc.root.get("inhibit_rules")
    if isinstance(inhibit, YList) and inhibit:
        out.append(
            f"{plural(len(inhibit), 'inhibit rule')} ({doc.path}:{doc.root.key_span('inhibit_rules').line})"
        )
    return out


def _routing(doc: YamlDoc) -> list[str]:
    route = doc.root.get("route")
    routes = route.get("routes") if isinstance(route, YMap) else None
    if isinstance(routes, YList) and routes:
        return [f"{plural(len(routes), 'child route')} ({doc.path}:{route.key_span('routes').line})"]
    return []


def _receivers(doc: YamlDoc) -> list[YMap]:
    found = doc.root.get("receivers")
    return [r for r in found if isinstance(r, YMap)] if isinstance(found, YList) else []


def _channels(doc: YamlDoc) -> list[str]:
    kinds = {k for r in _receivers(doc) for k in r if str(k).endswith("_configs") and r.get(k)}
    if len(kinds) < 2:
        return []
    return [f"{len(kinds)} kinds of integration: {', '.join(sorted(k[:-8] for k in kinds))} ({doc.path}:"
            f"{doc.root.key_span('receivers').line})"]  # fmt: skip


def _paging(doc: YamlDoc) -> list[str]:
    return [
        f"receiver {r.get('name')} pages through {k[:-8]} ({doc.path}:{r.key_span(k).line})"
        for r in _receivers(doc)
        for k in PAGING
        if r.get(k)
    ]


def ci_scanning(project: Project) -> Evidence:
    """CI definitions in the named folders that run an image or manifest scanner."""
    files = []
    for base in project.paths:
        if base.is_dir():
            for pattern in CI_FILES:
                files += sorted(base.glob(pattern))
        elif any(base.match(p) for p in CI_FILES):
            files.append(base)
    found = []
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        hits = [(n, m.group(1)) for n, line in enumerate(lines, 1) for m in [SCANNERS.search(line)] if m]
        if hits:
            found.append(f"{path}:{hits[0][0]} runs {hits[0][1].lower()}")
    checked = f"{plural(len(files), 'CI definition')} in the named folders, running a scanner: {len(found)}"
    if found:
        return Evidence("ok", found, checked)
    return Evidence("none", ["no CI workflow in the named folders runs an image scanner (trivy, grype, snyk, "
                             "docker scout...)"], checked)  # fmt: skip


def secrets(project: Project) -> Evidence:
    """Containers that take credentials from Secrets (env `secretKeyRef`, `envFrom`, volumes)."""
    from manifestlint.checklist.evidence import WORKLOADS

    workloads = project.objects(*WORKLOADS)
    users = [d for d in workloads if re.search(r"secretKeyRef|secretRef|'secret':|secretName", repr(d.root))]
    checked = f"{plural(len(workloads), 'workload')}, reading Secrets: {len(users)}"
    if not workloads:
        return Evidence("absent", ["no workloads in the named files"])
    if users:
        return Evidence("ok", capped([cite(d, "reads credentials from a Secret") for d in users]), checked)
    return Evidence("none", ["no workload takes credentials from a Secret"], checked)


def rbac(project: Project) -> Evidence:
    found = project.objects("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount")
    if not project.objects("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"):
        return Evidence("absent", ["no workloads in the named files"])
    checked = plural(len(found), "RBAC object")
    if found:
        return Evidence("ok", capped([cite(d) for d in found]), checked)
    return Evidence("none", ["no Role, RoleBinding or ServiceAccount in the named files"], checked)


def multi_zone(project: Project) -> Evidence:
    from manifestlint.checklist.evidence import SCALABLE

    workloads = project.objects(*SCALABLE)
    spread = [d for d in workloads if "topology.kubernetes.io/zone" in repr(spec(d))]
    checked = f"{plural(len(workloads), 'Deployment/StatefulSet')}, spread over zones: {len(spread)}"
    if not workloads:
        return Evidence("absent", ["no Deployment or StatefulSet in the named files"])
    if spread:
        return Evidence("ok", capped([cite(d, "spreads over zones") for d in spread]), checked)
    return Evidence("none", ["no workload spreads its pods over topology.kubernetes.io/zone"], checked)


def rule_files(project: Project) -> Evidence:
    files = sorted({g.doc.path for g in project.index.rule_groups if project.index.reported(g.doc)})
    if not files:
        return Evidence("absent", ["no Prometheus rule file in the named files"])
    return Evidence("ok", [f"rule file {f}:1" for f in files], plural(len(files), "rule file"))


def nothing(what: str):
    def evidence(project: Project) -> Evidence:
        return Evidence("none", [what], "")

    return evidence


EVIDENCE = {
    "Error rate monitoring": alerts_for(("error-rate",)),
    "Response time monitoring": alerts_for(("latency",)),
    "Resource utilization monitoring": alerts_for(("cpu", "memory", "disk")),
    "SLO-based alerting": slo_alerting,
    "Runbook automation": _annotated("runbook_url", "a link to what to do"),
    "Log analysis and alerting": log_alerting,
    "Alert configuration": rule_files,
    "Alert grouping and inhibition": _alertmanager(_grouping, "group_by or inhibit rules"),
    "Alert routing and escalation": _alertmanager(_routing, "child routes"),
    "Multi-channel notifications (Slack, email, PagerDuty)": _alertmanager(
        _channels, "receivers of 2+ kinds"
    ),
    "Incident response": _alertmanager(_paging, "paging receivers"),
    "On-call procedures": _alertmanager(_paging, "paging receivers"),
    "Security scanning integration": ci_scanning,
    "Container image scanning": ci_scanning,
    "API key management": secrets,
    "Secure key management": secrets,
    "Role-based access control (RBAC)": rbac,
    "Multi-zone deployment": multi_zone,
    "Service dependency mapping": nothing("nothing in the files maps dependencies between services"),
}
