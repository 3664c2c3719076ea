"""Agreement with kube-linter's labelled fixtures for the checks we share.

kube-linter's end-to-end tests (corpus: kube-linter/EXPECTED.tsv, derived from its bats
suite) name, for each check, the 'Kind: message' lines it reports on a fixture. We run the
matching manifestlint rule(s) on the same fixture and compare the multiset of
(kind, container) pairs (or kinds alone, for pod-level checks).

OpenShift's DeploymentConfig is not a Kubernetes workload kind we lint, so kube-linter's
DeploymentConfig reports are left out. Deliberate differences are listed per check.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from manifestlint.config import Config, RuleSetting
from manifestlint.engine import lint
from manifestlint.registry import load_registry

KL_CONTAINER = re.compile(r'container \\?"([^"\\]+)\\?"|container (\S+) mounts')
OUR_CONTAINER = re.compile(r"container '([^']+)'")
SKIPPED_KINDS = {"DeploymentConfig"}

# kube-linter check -> (our rule ids, compare per container?)
SHARED = {
    "privileged-container": (["k8s-privileged-container"], True),
    "privilege-escalation-container": (["k8s-privilege-escalation-allowed"], True),
    "run-as-non-root": (["k8s-run-as-root"], True),
    "no-read-only-root-fs": (["k8s-writable-root-filesystem"], True),
    "latest-tag": (["k8s-image-latest-tag"], True),
    "host-network": (["k8s-host-namespace"], False),
    "host-pid": (["k8s-host-namespace"], False),
    "host-ipc": (["k8s-host-namespace"], False),
    "docker-sock": (["k8s-host-path-mount"], False),
    "sensitive-host-mounts": (["k8s-host-path-mount"], False),
    "drop-net-raw-capability": (["k8s-dangerous-capabilities"], True),
    "unset-cpu-requirements": (["k8s-missing-resource-requests"], True),
    "unset-memory-requirements": (["k8s-missing-resource-limits"], True),
    "writable-host-mount": (["k8s-host-path-mount"], False),
    "env-var-secret": (["k8s-secret-in-env"], True),
    "duplicate-env-var": (["k8s-duplicate-env"], True),
    "liveness-port": (["k8s-probe-port-not-exposed"], True),
    "readiness-port": (["k8s-probe-port-not-exposed"], True),
    "startup-port": (["k8s-probe-port-not-exposed"], True),
    "no-liveness-probe": (["k8s-missing-liveness-probe"], True),
    "no-readiness-probe": (["k8s-missing-readiness-probe"], True),
    "no-extensions-v1beta": (["k8s-removed-api"], False),
    "use-namespace": (["k8s-default-namespace"], False),
}


def _rows(corpus: Path) -> dict[str, tuple[str, list[str]]]:
    rows = {}
    for line in (corpus / "kube-linter" / "EXPECTED.tsv").read_text().splitlines():
        cols = line.split("\t")
        if line.startswith("#") or len(cols) < 7 or cols[0] == "fixture":
            continue
        rows[cols[2]] = (cols[0], [m.strip() for m in cols[6].split("||") if m.strip()])
    return rows


def _kube_linter(messages: list[str], containers: bool) -> Counter:
    out: Counter = Counter()
    for message in messages:
        kind, _, text = message.lstrip("~").partition(":")
        if kind in SKIPPED_KINDS:
            continue
        match = KL_CONTAINER.search(text)
        out[(kind, (match.group(1) or match.group(2)) if containers and match else None)] += 1
    return out


def _ours(
    fixture: Path,
    rules: list[str],
    containers: bool,
    only: set[str] | None = None,
    options: dict | None = None,
) -> Counter:
    config = Config()
    # kube-linter's test files mix OpenShift DeploymentConfigs with Deployments; it judges every
    # object as plain Kubernetes, and so do we here (docs/precision.md, principle 3).
    config.platform = "kubernetes"
    config.rules.update({r: RuleSetting(enabled=True, options=dict(options or {})) for r in rules})
    result = lint([str(fixture)], load_registry(), config, fixture.parent, use_context=False)
    out: Counter = Counter()
    for finding in result.findings:
        if finding.rule not in rules or (only and not any(word in finding.message for word in only)):
            continue
        kind = finding.obj.split(" ", 1)[0]
        match = OUR_CONTAINER.search(finding.message)
        out[(kind, match.group(1) if containers and match else None)] += 1
    return out


# Per check: words our message must contain (one rule covers several kube-linter checks) and
# deliberate differences, as (kind, container) -> extra count on our side (+) or theirs (-).
ONLY = {
    "host-network": {"hostNetwork"}, "host-pid": {"hostPID"}, "host-ipc": {"hostIPC"},
    "docker-sock": {"docker.sock"},
    "sensitive-host-mounts": {"/etc", "/proc", "/sys", "/dev", "/boot", "/usr"},
    "drop-net-raw-capability": {"NET_RAW"}, "unset-memory-requirements": {"memory"},
    "liveness-port": {"livenessProbe"}, "readiness-port": {"readinessProbe"},
    "startup-port": {"startupProbe"},
}  # fmt: skip


# Options under which we agree: kube-linter also reports a numeric probe port the container
# does not declare, which we report only with `numeric-ports: true` (the kubelet probes an
# undeclared port just fine, and kubebuilder scaffolds probe one: off by default).
OPTIONS = {check: {"numeric-ports": True} for check in ("liveness-port", "readiness-port", "startup-port")}


@pytest.mark.parametrize("check", sorted(SHARED))
def test_same_objects_as_kube_linter(check: str, corpus: Path) -> None:
    rows = _rows(corpus)
    if check not in rows:
        pytest.skip(f"{check} not in EXPECTED.tsv")
    fixture_rel, messages = rows[check]
    rules, containers = SHARED[check]
    fixture = corpus / "kube-linter" / fixture_rel
    expected = _kube_linter(messages, containers)
    ours = _ours(fixture, rules, containers, ONLY.get(check), OPTIONS.get(check))
    expected.update(DIFFERENCES.get(check, {}))
    expected = +expected  # drop zero / negative counts
    assert ours == expected
    assert ours or check in DIFFERENCES, "the comparison must cover at least one object"


DIFFERENCES: dict[str, dict] = {
    # kube-linter also reports `runAsGroup: 0`. We do not: a process in group 0 with a non-zero
    # UID is not root, and "arbitrary UID, group 0" is OpenShift's recommended image pattern.
    "run-as-non-root": {("Deployment", "app3"): -1},
    # kube-linter reports any writable hostPath (here /config). We report only sensitive node
    # paths (an option), writable or not: a writable hostPath of an application directory is
    # how single-node storage and log collectors work.
    "writable-host-mount": {("Deployment", None): -1},
}
