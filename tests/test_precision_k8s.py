"""Issue 19, the Kubernetes/Istio principles of docs/precision.md: each principle is a fixture
project under tests/fixtures/projects/precision/ with exact (file, line, rule) expectations,
including what stays quiet and what stays reported; the same findings whichever files are
named, cold and warm."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, expectations

from manifestlint.config import load_config
from manifestlint.engine import lint
from manifestlint.project.facts import FileFacts
from manifestlint.project.versions import worlds
from manifestlint.registry import load_registry

PRECISION = FIXTURES / "projects" / "precision"
registry = load_registry()


def _files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".yml", "") and p.name != ".manifestlint.yaml"
    )


def _expected(root: Path, rules: set[str] | None = None) -> set[tuple[str, int, str]]:
    return {
        (rel, line, rule)
        for rel in _files(root)
        for line, rule, _ in expectations(root / rel)
        if rules is None or rule in rules
    }


def _found(result, rules: set[str] | None = None) -> set[tuple[str, int, str]]:
    return {(f.path, f.span.line, f.rule) for f in result.findings if rules is None or f.rule in rules}


def _run(root: Path, paths: list[str], rules: set[str] | None = None, cache: Path | None = None):
    config = load_config(None, root, registry)
    if rules is not None:
        config.select = sorted(rules)
    if cache is not None:
        config.cache_dir = str(cache)
    return lint(paths, registry, config, root, use_cache=cache is not None)


# ------------------------------------------------------------------ 2. one identity, one object

VERSIONS = PRECISION / "versions"
CROSS_ISTIO = {
    "istio-vs-conflicting", "istio-dr-duplicate-host", "istio-dr-subset-no-pods", "istio-vs-unknown-subset",
}  # fmt: skip


def test_versions_exact_findings() -> None:
    """Tutorial steps redefining VirtualService shop/reviews and DestinationRule shop/reviews
    are versions: no conflict between them, no duplicate host; the canary (another name) still
    conflicts with each version, and a subset without pods is still reported."""
    result = _run(VERSIONS, ["."], CROSS_ISTIO)
    assert _found(result, CROSS_ISTIO) == _expected(VERSIONS, CROSS_ISTIO)
    assert ("tutorial/destination-rule-all.yaml", 7, "istio-dr-duplicate-host") not in _found(result)
    messages = {f.message for f in result.findings if f.path == "mesh/ratings-v1.yaml"}
    assert any("VirtualService mesh/ratings-canary:" in m for m in messages)  # not mesh/ratings itself


@pytest.mark.parametrize("name", _files(VERSIONS))
def test_versions_each_file_alone(name: str) -> None:
    full = {f for f in _found(_run(VERSIONS, ["."], CROSS_ISTIO)) if f[0] == name}
    assert _found(_run(VERSIONS, [name], CROSS_ISTIO)) == full


def test_versions_cold_and_warm(tmp_path: Path) -> None:
    """The worlds survive the warm model (project/warm.py saves which files each reports)."""
    want = _found(_run(VERSIONS, ["mesh/ratings-v2.yaml"], CROSS_ISTIO))
    for _ in range(2):
        assert _found(_run(VERSIONS, ["mesh/ratings-v2.yaml"], CROSS_ISTIO, tmp_path / "cache")) == want


def test_versions_listing_names_the_worlds() -> None:
    result = _run(VERSIONS, ["."], CROSS_ISTIO)
    lines = result.describe("tutorial/step1-reviews-v1.yaml")
    assert any("versions 1 of 2" in line and "VirtualService reviews" in line for line in lines)


def _facts(*identities: tuple[str, str, str]) -> FileFacts:
    return FileFacts(relevant=True, identities=identities)


def test_worlds_colour_versions_apart() -> None:
    a, b, c, d, e = (Path(f"/p/{n}.yaml") for n in "abcde")
    facts = {
        a: _facts(("VirtualService", "r", "ns")),
        b: _facts(("VirtualService", "r", "")),  # no namespace: placed alike, a version of a's
        c: _facts(("VirtualService", "r", "other")),  # another namespace: another object
        d: _facts(("DestinationRule", "r", "ns")),
        e: _facts(("DestinationRule", "r", "ns"), ("Gateway", "g", "ns")),
    }
    assert worlds([a, c], facts) is None  # two namespaces: two objects
    assert worlds([a, b, c, d, e], facts) == [
        ([a, c, d], {a, c, d}),  # b without a namespace may be a's or c's object
        ([b, e], {b, e}),
    ]


# ------------------------------------------------------------ 5. roles by evidence (Kubernetes)

ROLES = PRECISION / "roles"
ROLE_RULES = {
    "k8s-run-as-root", "k8s-removed-api", "k8s-host-path-mount", "k8s-host-namespace",
    "k8s-missing-liveness-probe",
}  # fmt: skip


def _severities(result) -> dict[tuple[str, int, str], str]:
    return {(f.path, f.span.line, f.rule): f.severity.label for f in result.findings}


def test_roles_exact_findings_and_severities() -> None:
    """Examples and exercises: production-readiness findings are notes, a removed API stays an
    error. Node agents: host access is a note naming the privilege and the agent; the same access
    on a Deployment, or a DaemonSet mounting no node folder, stays an error."""
    result = _run(ROLES, ["."], ROLE_RULES)
    assert _found(result, ROLE_RULES) == _expected(ROLES, ROLE_RULES)
    severity = _severities(result)
    assert severity[("deploy/app.yaml", 15, "k8s-run-as-root")] == "error"
    assert severity[("deploy/app.yaml", 15, "k8s-missing-liveness-probe")] == "warning"
    assert severity[("examples/guestbook/app.yaml", 14, "k8s-run-as-root")] == "note"
    assert severity[("examples/guestbook/app.yaml", 14, "k8s-missing-liveness-probe")] == "note"
    assert severity[("examples/guestbook/app.yaml", 17, "k8s-removed-api")] == "error"
    assert severity[("course/lab1/pod.yaml", 11, "k8s-run-as-root")] == "note"
    assert severity[("nodes/agents.yaml", 14, "k8s-host-namespace")] == "note"
    assert severity[("nodes/agents.yaml", 23, "k8s-host-path-mount")] == "note"
    assert severity[("nodes/agents.yaml", 46, "k8s-host-path-mount")] == "error"
    assert severity[("nodes/agents.yaml", 61, "k8s-host-namespace")] == "error"
    assert severity[("nodes/agents.yaml", 70, "k8s-host-path-mount")] == "error"
    agent = next(f for f in result.findings if (f.path, f.span.line) == ("nodes/agents.yaml", 23))
    assert "mounts the node's /proc" in agent.message and "node-exporter is a node agent" in agent.message


def test_roles_example_severity_setting() -> None:
    config = load_config(None, ROLES, registry)
    config.select = sorted(ROLE_RULES)
    for setting, want in (("warning", "warning"), ("keep", "error")):
        config.example_severity = setting
        result = lint(["examples"], registry, config, ROLES)
        assert _severities(result)[("examples/guestbook/app.yaml", 14, "k8s-run-as-root")] == want


def test_roles_in_the_verbose_listing() -> None:
    from manifestlint.listing import LINTED

    result = _run(ROLES, ["."], ROLE_RULES)
    shown = {e.path: e.role for e in result.listing if e.action == LINTED}
    assert shown["examples/guestbook/app.yaml"].evidence == "inside the example or tutorial folder examples/"
    assert shown["course/lab1/pod.yaml"].evidence == "inside the example or tutorial folder course/lab1/"
    assert shown["nodes/agents.yaml"].name == "node-agent"
    assert shown["deploy/app.yaml"].deployable


@pytest.mark.parametrize(
    ("path", "evidence"),
    [
        ("lab2/istio-1.11.4/samples/a.yaml", "lab2/"),
        ("vendor/istio-1.11.4/manifests/a.yaml", "a copy of a third-party release"),
        ("cd/03-blue-green/starter/deployment.yaml", "starter/"),
        ("k8s/conf/debug/nsmgr.yaml", "development folder k8s/conf/debug/"),
        ("config/auth/ldap-examples.yaml", "'ldap-examples.yaml'"),
        ("istio-tutorial/step.yaml", "istio-tutorial/"),
    ],
)
def test_example_role_evidence(path: str, evidence: str) -> None:
    from pathlib import PurePosixPath

    from manifestlint.project.roles import example_role

    role = example_role(PurePosixPath(path))
    assert role is not None and evidence in role.evidence


@pytest.mark.parametrize(
    "path", ["deploy/app.yaml", "overlays/dev/app.yaml", "apps/web-v2/app.yaml", "simple.yaml"]
)
def test_not_an_example(path: str) -> None:
    from pathlib import PurePosixPath

    from manifestlint.project.roles import example_role

    assert example_role(PurePosixPath(path)) is None


# ------------------------------------------------------------ 9. Kustomize, completely enough

KUSTOMIZE = PRECISION / "kustomize"
KUSTOMIZE_RULES = {"k8s-namespace-missing-quota", "k8s-image-latest-tag"}


def test_kustomize_components_and_patch_values() -> None:
    """The component's ResourceQuota (namespace-less, given shop by the overlay) covers the
    Namespace a plain folder declares; the untagged image that only prod's patch writes is
    reported at the patch, stage's is tagged by its tree's `images:`."""
    result = _run(KUSTOMIZE, ["."], KUSTOMIZE_RULES)
    assert _found(result, KUSTOMIZE_RULES) == _expected(KUSTOMIZE, KUSTOMIZE_RULES)
    assert _found(result, KUSTOMIZE_RULES) == {("overlays/prod/image.yaml", 11, "k8s-image-latest-tag")}


@pytest.mark.parametrize("name", _files(KUSTOMIZE))
def test_kustomize_each_file_alone(name: str) -> None:
    full = {f for f in _found(_run(KUSTOMIZE, ["."], KUSTOMIZE_RULES)) if f[0] == name}
    assert _found(_run(KUSTOMIZE, [name], KUSTOMIZE_RULES)) == full


def test_kustomize_patch_cold_and_warm(tmp_path: Path) -> None:
    want = {("overlays/prod/image.yaml", 11, "k8s-image-latest-tag")}
    for _ in range(2):
        assert _found(_run(KUSTOMIZE, ["overlays/prod/image.yaml"], KUSTOMIZE_RULES, tmp_path / "c")) == want


def test_kustomize_quota_stays_reported_without_the_component(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "project"
    shutil.copytree(KUSTOMIZE, copy)
    for overlay in ("prod", "stage"):
        path = copy / "overlays" / overlay / "kustomization.yaml"
        path.write_text(path.read_text().replace("components: [../../components/quota]\n", ""))
    shutil.rmtree(copy / "components")
    found = _found(_run(copy, ["."], KUSTOMIZE_RULES))
    assert ("cluster/namespace.yaml", 4, "k8s-namespace-missing-quota") in found


# ------------------------------------------------------------ 3. the platform decides admission

OPENSHIFT = PRECISION / "openshift"
SCC_RULES = {
    "k8s-run-as-root", "k8s-privilege-escalation-allowed", "k8s-capabilities-not-dropped",
    "k8s-seccomp-profile-missing", "k8s-namespace-missing-pod-security",
}  # fmt: skip


def test_openshift_restricted_scc() -> None:
    """A Route says OpenShift: pods of a ServiceAccount without a root grant get the restricted
    SCC's defaults (quiet); a grant by RoleBinding to system:openshift:scc:anyuid or by the
    users of the project's RunAsAny SCC keeps every finding; runAsUser 0 stands; Pod Security
    labels are not asked for."""
    result = _run(OPENSHIFT, ["."], SCC_RULES)
    assert _found(result, SCC_RULES) == _expected(OPENSHIFT, SCC_RULES)


@pytest.mark.parametrize("name", _files(OPENSHIFT))
def test_openshift_each_file_alone(name: str) -> None:
    full = {f for f in _found(_run(OPENSHIFT, ["."], SCC_RULES)) if f[0] == name}
    assert _found(_run(OPENSHIFT, [name], SCC_RULES)) == full


OPENSHIFT_SCOPED = PRECISION / "openshift-scoped"


def test_openshift_evidence_counts_for_its_deploy_unit() -> None:
    """One SCC in security/ admits the pods of its own folder, not the plain package beside it;
    a kustomize base deployed by an OpenShift overlay and a plain one keeps its findings; a base
    deployed only by an overlay with a Route is admitted."""
    result = _run(OPENSHIFT_SCOPED, ["."], SCC_RULES)
    assert _found(result, SCC_RULES) == _expected(OPENSHIFT_SCOPED, SCC_RULES)
    assert _severities(result)[("packages/dns/deployment.yaml", 21, "k8s-run-as-root")] == "error"


@pytest.mark.parametrize("name", _files(OPENSHIFT_SCOPED))
def test_openshift_scoped_each_file_alone(name: str) -> None:
    full = {f for f in _found(_run(OPENSHIFT_SCOPED, ["."], SCC_RULES)) if f[0] == name}
    assert _found(_run(OPENSHIFT_SCOPED, [name], SCC_RULES)) == full


def test_platform_setting() -> None:
    """`platform: kubernetes` judges the same files as plain Kubernetes; `platform: openshift`
    applies the SCC without evidence in the files."""
    config = load_config(None, OPENSHIFT, registry)
    config.select = sorted(SCC_RULES)
    config.platform = "kubernetes"
    plain = _found(lint(["app.yaml"], registry, config, OPENSHIFT))
    assert ("app.yaml", 21, "k8s-run-as-root") in plain
    assert ("app.yaml", 5, "k8s-namespace-missing-pod-security") in plain
    config.platform = "openshift"
    result = lint(["app.yaml"], registry, config, OPENSHIFT, use_context=False)
    assert ("app.yaml", 21, "k8s-run-as-root") not in _found(result)


def test_scc_grants() -> None:
    from manifestlint.project.platform import Grants

    grants = Grants()
    grants.add_user("system:serviceaccount:shop:builder")
    grants.add_group("system:serviceaccounts:batch")
    assert grants.allow("shop", "builder") and grants.allow("batch", "anyone")
    assert not grants.allow("shop", "web") and grants.allow("", "builder")
    grants.add_group("system:serviceaccounts")
    assert grants.allow("other", "web")


# ------------------------------------------------------------ 1. error only on proof

IMAGES = PRECISION / "images"


def test_run_as_root_by_the_image() -> None:
    """Known non-root images (podinfo, distroless :nonroot), an image the repository builds with
    a non-root USER and a Windows pod: quiet. A known root image, or the repository's Dockerfile
    without USER: error. An image whose USER the files do not show: a warning."""
    rules = {"k8s-run-as-root"}
    result = _run(IMAGES, ["."], rules)
    assert _found(result, rules) == _expected(IMAGES, rules)
    severity = _severities(result)
    assert severity[("k8s/pods.yaml", 19, "k8s-run-as-root")] == "error"
    assert severity[("k8s/pods.yaml", 21, "k8s-run-as-root")] == "warning"
    assert severity[("k8s/pods.yaml", 25, "k8s-run-as-root")] == "error"
    assert severity[("k8s/pods.yaml", 30, "k8s-run-as-root")] == "error"
    # an old release of an image that is non-root today: its Dockerfile then set no USER
    assert severity[("k8s/pods.yaml", 31, "k8s-run-as-root")] == "error"
    assert severity[("k8s/pods.yaml", 35, "k8s-run-as-root")] == "error"


def test_every_error_rule_publishes_its_evidence() -> None:
    """Principle 1: each rule whose default severity is error says what proof it requires
    (its `severity-evidence`, rendered on its docs page)."""
    from manifestlint.docs import rule_page
    from manifestlint.model import Severity

    missing = [r.id for r in registry if r.severity is Severity.ERROR and not r.severity_evidence]
    assert missing == []
    page = rule_page(registry.get("k8s-run-as-root"))
    assert "## Severity and evidence" in page and "known to run as root" in page


def test_the_error_rules_table_is_current() -> None:
    """docs/error-rules.md lists every rule that can report an error with the proof it
    requires, and is what scripts/gen_docs.py writes from the metadata now."""
    from manifestlint.docs import error_proof_page
    from manifestlint.model import Severity

    page = error_proof_page(registry)
    errors = [r.id for r in registry if r.severity is Severity.ERROR]
    assert errors and all(f"[`{rule_id}`]" in page for rule_id in errors)
    assert "(not stated)" not in page
    warning = next(r.id for r in registry if r.severity is Severity.WARNING)
    assert f"[`{warning}`]" not in page
    committed = Path(__file__).resolve().parents[1] / "docs" / "error-rules.md"
    assert committed.read_text(encoding="utf-8") == page


# ------------------------------------------------------------ 8. what controllers and installers create

OPERATORS = PRECISION / "operators"
CREATED = {
    "k8s-service-selector-mismatch",
    "k8s-network-policy-selects-nothing",
    "istio-gateway-selector-matches-nothing",
}


def test_operator_and_installer_created_pods() -> None:
    """Pods of a custom resource's operator (CloudNativePG's Cluster pg) and a Job's job-name
    are not "selects nothing"; the typo still is."""
    result = _run(OPERATORS, ["."], CREATED)
    assert _found(result, CREATED) == _expected(OPERATORS, CREATED)
