"""The project model (issue 7, causes 2, 4 and 10): Kustomize trees, patches as partial
objects, bundles of files deployed together, and findings that do not depend on how files
are batched."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, corpus_dir, expectations

from manifestlint.cli import main
from manifestlint.config import Config, load_config
from manifestlint.engine import lint
from manifestlint.project import kustomize
from manifestlint.registry import load_registry

KUSTOMIZE = FIXTURES / "projects" / "kustomize"
VARIANTS = FIXTURES / "projects" / "variants"
registry = load_registry()

# The cross-file rules the variants fixture is about (its objects are deliberately minimal, so
# per-object rules have plenty to say that is beside the point there).
CROSS_FILE = {
    "k8s-single-replica", "k8s-missing-pdb", "k8s-hpa-target-missing", "k8s-service-selector-mismatch",
    "k8s-network-policy-selects-nothing", "k8s-missing-network-policy", "istio-vs-conflicting",
    "istio-missing-strict-mtls", "prometheus-duplicate-alert",
}  # fmt: skip


def _files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".yml") and p.name != ".manifestlint.yaml"
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


def _run(root: Path, paths: list[str], rules: set[str] | None = None):
    config = load_config(None, root, registry)
    if rules is not None:
        config.select = sorted(rules)
    return lint(paths, registry, config, root)


# ---------------------------------------------------------------------------- Kustomize (cause 2)


def test_kustomize_tree_exact_findings() -> None:
    """Every rule, the whole tree: only the true single replica of the dev overlay. Before the
    project model: 17 findings, 3 of them errors (no selector on the base, which commonLabels
    fills; run-as-root and missing probes on a strategic-merge patch), and prod's HPA hid
    dev's single replica."""
    result = _run(KUSTOMIZE, ["."])
    assert _found(result) == _expected(KUSTOMIZE) == {("base/deployment.yaml", 8, "k8s-single-replica")}


@pytest.mark.parametrize("name", _files(KUSTOMIZE))
def test_kustomize_each_file_alone(name: str) -> None:
    """Pre-commit names one file: the same findings on it as in the full run."""
    full = {f for f in _found(_run(KUSTOMIZE, ["."])) if f[0] == name}
    assert _found(_run(KUSTOMIZE, [name])) == full


def test_kustomize_roles_and_bundles() -> None:
    result = _run(KUSTOMIZE, ["."])
    model = result.model
    root = KUSTOMIZE.resolve()
    for patch in ("replicas-patch.yaml", "security-patch.yaml", "json-patch.yaml"):
        assert model.is_partial(root / "overlays/prod" / patch)
    assert not model.is_partial(root / "overlays/prod/hpa.yaml")
    # The base is deployed by both overlays, each with its own namespace and commonLabels.
    base = model.bundles_of(root / "base/deployment.yaml")
    assert [b.name for b in base] == ["kustomize overlays/dev", "kustomize overlays/prod"]
    assert [b.files[root / "base/deployment.yaml"].namespace for b in base] == ["dev", "prod"]
    assert all(b.files[root / "base/deployment.yaml"].selector_labels == {"app": "web"} for b in base)
    assert model.bundles_of(root / "overlays/prod/security-patch.yaml") == []
    assert result.describe("base/deployment.yaml") == [
        "role: manifest (a resource of kustomize overlays/dev)",
        "bundle: kustomize overlays/dev (the tree of overlays/dev/kustomization.yaml, namespace dev)",
        "bundle: kustomize overlays/prod (the tree of overlays/prod/kustomization.yaml, namespace prod)",
    ]


def test_kustomize_verbose_listing_shows_patches_and_bundles(monkeypatch) -> None:
    monkeypatch.chdir(KUSTOMIZE)
    result = CliRunner().invoke(main, ["lint", "-v", "-q", "."])
    lines = result.stderr.splitlines()
    assert (
        "manifestlint: linted overlays/prod/security-patch.yaml: kubernetes (kustomize-patch: "
        "a patch of overlays/prod/kustomization.yaml: a partial object)"
    ) in lines
    assert (
        "manifestlint: bundle kustomize overlays/prod: the tree of overlays/prod/kustomization.yaml; "
        "5 files, 5 linted, namespace prod"
    ) in lines


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_kustomize_cycles_remote_and_escaping_paths(tmp_path: Path) -> None:
    """A cycle is followed once, remote targets and paths leaving the root are never read."""
    project = tmp_path / "project"
    _write(
        tmp_path,
        {
            "outside/secret.yaml": "kind: Secret\n",
            "project/a/kustomization.yaml": "resources: [../b, a.yaml, ../../outside/secret.yaml]\n",
            "project/a/a.yaml": "kind: ConfigMap\n",
            "project/b/kustomization.yaml": (
                "resources: [../a, https://github.com/acme/x//base, github.com/acme/y]\ncomponents: [../c]\n"
            ),
            "project/c/kustomization.yaml": "kind: Component\npatches: [{path: p.yaml}, {patch: 'x: 1'}]\n",
            "project/c/p.yaml": "kind: Deployment\n",
            "project/d/kustomization.yaml": "namespace: d\nresources: [../a]\ncommonLabels: {team: d}\n",
        },
    )
    files = sorted(p for p in project.rglob("*") if p.is_file())
    model = kustomize.build(files, project)
    assert [t.root.path.parent.name for t in model.trees] == ["d"]  # a, b, c are referenced
    tree = model.trees[0]
    assert set(tree.resources) == {project / "a/a.yaml"}
    assert tree.resources[project / "a/a.yaml"].namespace == "d"
    assert tree.resources[project / "a/a.yaml"].selector_labels == {"team": "d"}
    assert tree.patches == {project / "c/p.yaml"}
    assert sorted(k.parent.name for k in tree.kustomizations) == ["a", "b", "c", "d"]


def test_kustomize_outer_namespace_and_labels_win(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "base/kustomization.yaml": (
                "namespace: base\nresources: [d.yaml]\n"
                "labels: [{pairs: {tier: api}, includeSelectors: true},\n"
                "         {pairs: {v: '1'}, includeTemplates: true}]\n"
            ),
            "base/d.yaml": "kind: Deployment\n",
            "prod/kustomization.yaml": "namespace: prod\nresources: [../base]\ncommonLabels: {tier: web}\n",
        },
    )
    model = kustomize.build(sorted(p for p in tmp_path.rglob("*") if p.is_file()), tmp_path)
    transform = model.trees[0].resources[tmp_path / "base/d.yaml"]
    assert (transform.namespace, transform.selector_labels, transform.template_labels) == (
        "prod",
        {"tier": "web"},
        {"v": "1"},
    )


def test_unreadable_kustomization_is_no_crash(tmp_path: Path) -> None:
    _write(tmp_path, {"kustomization.yaml": "resources: [unclosed\n", "Kustomization": "- a\n- b\n"})
    model = kustomize.build(sorted(tmp_path.iterdir()), tmp_path)
    assert [t.resources for t in model.trees] == [{}, {}]


# ---------------------------------------------------------------------------- variants (cause 4)


def test_variants_exact_findings() -> None:
    """Copies and catalog entries are never combined: no conflict between the rendered release
    and its source, no duplicate alert between catalog entries, no Service of one example
    matched to another example's pods, no namespace-less HPA attached to every namespace;
    the real conflict, duplicate and singletons inside one bundle are still found."""
    result = _run(VARIANTS, ["."], CROSS_FILE)
    assert _found(result, CROSS_FILE) == _expected(VARIANTS, CROSS_FILE)
    names = {b.name for b in result.model.bundles}
    assert {
        "folder release",
        "folder istio-manifests",
        "folder examples/redis",
        "folder examples/cache",
    } <= names
    assert {"folder alerts/mysql", "folder alerts/postgres"} <= names


@pytest.mark.parametrize("name", _files(VARIANTS))
def test_variants_each_file_alone(name: str) -> None:
    full = {f for f in _found(_run(VARIANTS, ["."], CROSS_FILE), CROSS_FILE) if f[0] == name}
    assert _found(_run(VARIANTS, [name], CROSS_FILE), CROSS_FILE) == full


def test_namespace_finding_has_one_stable_anchor() -> None:
    """istio-missing-strict-mtls is about a namespace: reported once, on the bundle's first
    workload (release/app.yaml), never on whichever file a batch happens to name first."""
    rules = {"istio-missing-strict-mtls"}
    assert _found(_run(VARIANTS, ["release/app.yaml"], rules), rules) == {
        ("release/app.yaml", 5, "istio-missing-strict-mtls")
    }
    assert _found(_run(VARIANTS, ["istio-manifests/frontend.yaml"], rules), rules) == set()


# ---------------------------------------------------------------------------- batches (cause 10)


def _corpus_config(corpus: Path) -> Config:
    config = Config(path=corpus / ".manifestlint.yaml")  # the corpus is the project root
    config.include_test_data = True  # every file, test fixtures included
    return config


def _keys(result) -> set[tuple]:
    return {(f.path, f.span.line, f.span.col, f.rule, f.message) for f in result.findings}


def test_corpus_findings_do_not_depend_on_batches() -> None:
    """The shared corpus in one call, in 4 random batches (fixed seed) and 6 files alone
    (fixed seed): identical findings, messages included. (Every call reads the whole corpus
    as context, ~3 s each: a sample of single files keeps the suite fast.)"""
    corpus = corpus_dir()
    if corpus is None:
        pytest.skip("the shared corpus ($MANIFESTLINT_CORPUS or ../shared/corpus) is not present")
    config = _corpus_config(corpus)
    full = lint(["."], registry, config, corpus)
    files = sorted(full.artifacts)
    assert len(files) > 500 and len(full.findings) > 1000
    rng = random.Random(20261130)
    shuffled = files[:]
    rng.shuffle(shuffled)
    batched: set[tuple] = set()
    for i in range(4):
        batched |= _keys(lint(shuffled[i::4], registry, config, corpus))
    want = _keys(full)
    assert sorted(want - batched) == [] and sorted(batched - want) == []
    for name in rng.sample(files, 6):
        alone = _keys(lint([name], registry, config, corpus))
        assert alone == {k for k in want if k[0] == name}, name


SIBLINGS = FIXTURES / "projects" / "siblings"
DANGLING = {"k8s-hpa-target-missing", "k8s-network-policy-selects-nothing", "k8s-service-selector-mismatch"}


def test_references_into_a_sibling_bundle_are_not_dangling() -> None:
    """monitoring/ is an app of its own (grafana), so its HPAs are another bundle than app/'s
    Deployment; the target still exists in the project, so only the HPA whose target exists
    nowhere is reported (sock-shop: 8 false errors -> the 1 true one)."""
    result = _run(SIBLINGS, ["."], DANGLING)
    assert (
        _found(result, DANGLING)
        == _expected(SIBLINGS, DANGLING)
        == {("monitoring/hpa.yaml", 19, "k8s-hpa-target-missing")}
    )
    alone = _run(SIBLINGS, ["monitoring/hpa.yaml"], DANGLING)  # as pre-commit calls it
    assert _found(alone, DANGLING) == _expected(SIBLINGS, DANGLING)


# ------------------------------------------------- what overlays complete (project/deployed.py)

OVERLAYS = FIXTURES / "projects" / "overlays"
# The rules the overlays fixture is about: what kustomize images, patches and folder roles change.
COMPLETED = {
    "k8s-image-latest-tag", "k8s-missing-resource-requests", "k8s-missing-resource-limits",
    "schema-missing-required", "docker-missing-healthcheck", "docker-root-user",
    "k8s-privileged-container", "k8s-selector-template-mismatch", "k8s-run-as-root",
    "manifestlint-yaml-syntax",
}  # fmt: skip


def test_overlays_complete_the_base() -> None:
    """grafana/loki's operator layout: `controller:latest` re-imaged by every overlay, requests
    patched in by every overlay (quiet), a memory limit only by prod (dev still deploys without
    one: kept, at the base), a required field added by a JSON 6902 patch, an unreferenced
    `*_patch.yaml`, an unlisted patch re-declaring the base's Deployment (cloudnative-pg), a
    hack/ add-on, an OLM bundle image and a devcontainer.json with comments. Before: 11 more."""
    result = _run(OVERLAYS, ["."], COMPLETED)
    assert (
        _found(result)
        == _expected(OVERLAYS, COMPLETED)
        == {
            ("config/manager/manager.yaml", 20, "k8s-missing-resource-limits"),
            ("config/manager/manager.yaml", 20, "k8s-run-as-root"),  # no overlay sets a securityContext
        }
    )


@pytest.mark.parametrize("name", ["config/manager/manager.yaml", "config/prometheus/monitor.yaml"])
def test_overlays_base_named_alone(name: str) -> None:
    """Pre-commit names the base alone: its overlays are still read from the project."""
    full = {f for f in _found(_run(OVERLAYS, ["."], COMPLETED)) if f[0] == name}
    assert _found(_run(OVERLAYS, [name], COMPLETED)) == full


def test_overlay_without_the_fix_keeps_the_finding(tmp_path: Path) -> None:
    """A tree that deploys the base without the fix still deploys the problem: drop dev's
    image digest and its requests patch, and both findings come back at the base; a Makefile
    that sets the image at build time makes the tag a placeholder again."""
    import shutil

    root = tmp_path / "p"
    shutil.copytree(OVERLAYS, root)
    (root / "config/overlays/dev/kustomization.yaml").write_text("resources:\n  - ../../manager\n")
    found = _found(_run(root, ["."], COMPLETED))
    assert found == {
        ("config/manager/manager.yaml", 20, "k8s-missing-resource-limits"),
        ("config/manager/manager.yaml", 20, "k8s-run-as-root"),
        ("config/manager/manager.yaml", 20, "k8s-missing-resource-requests"),
        ("config/manager/manager.yaml", 21, "k8s-image-latest-tag"),
    }
    # The kubebuilder way: `make deploy` sets the image before it builds (read, never run).
    (root / "Makefile").write_text(
        "deploy:\n\tcd config/manager && $(KUSTOMIZE) edit set image controller=${IMG}\n"
    )
    found = _found(_run(root, ["."], COMPLETED))
    assert ("config/manager/manager.yaml", 21, "k8s-image-latest-tag") not in found
    assert ("config/manager/manager.yaml", 20, "k8s-missing-resource-requests") in found


def test_json6902_and_merge_semantics() -> None:
    """The patch subset we apply: strategic merge by container name, `$patch: delete`, JSON 6902
    add/replace/remove (append with `-`), images by name with tag or digest."""
    from manifestlint.parse.yaml import parse_stream
    from manifestlint.project.deployed import Changes, add_image, add_patch, deployed_view

    base = parse_stream(
        "kind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  template:\n    spec:\n"
        "      containers:\n        - {name: a, image: 'reg/app:latest'}\n        - {name: b, image: side}\n",
        "x.yaml",
    )[0][0]
    base.kind = "kubernetes"  # as classify.py marks it
    changes = Changes()
    add_image(changes, {"name": "reg/app", "newTag": "2.0"})
    smp = parse_stream(
        "kind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - {name: b, $patch: delete}\n        - {name: c, image: 'new:1'}\n",
        "p.yaml",
    )[0][0].root
    add_patch(changes, None, smp)
    ops = parse_stream("- {op: replace, path: /spec/replicas, value: 3}\n", "j.yaml")[0][0].root
    add_patch(changes, {"kind": "Deployment", "name": "web"}, ops)
    add_patch(changes, {"kind": "Deployment", "name": "other"}, [{"op": "remove", "path": "/spec"}])
    view = deployed_view(base, changes)
    assert view is not None and view.root["spec"]["replicas"] == 3
    spec = view.root["spec"]["template"]["spec"]
    assert [(c["name"], c["image"]) for c in spec["containers"]] == [("a", "reg/app:2.0"), ("c", "new:1")]
    assert base.root["spec"]["replicas"] == 1  # the parsed base is never changed
    assert len(base.root["spec"]["template"]["spec"]["containers"]) == 2
    assert deployed_view(base, Changes()) is None


def test_duplicate_alert_only_within_one_format(tmp_path: Path) -> None:
    """A plain rule file and a PrometheusRule are loaded by different Prometheus servers: the
    same alert in both is a sample shown two ways (cloudnative-pg's docs), not a double page.
    Twice in PrometheusRules is still a duplicate."""
    rule = "- alert: PgDown\n      expr: pg_up == 0\n      labels: {severity: critical}\n"
    (tmp_path / ".manifestlint.yaml").write_text("fail-on: error\n")
    (tmp_path / "alerts.yaml").write_text("groups:\n  - name: pg\n    rules:\n    " + rule)
    resource = (
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: NAME, namespace: db}\n"
        "spec:\n  groups:\n  - name: pg\n    rules:\n    " + rule
    )
    (tmp_path / "rule-a.yaml").write_text(resource.replace("NAME", "a"))
    result = _run(tmp_path, ["alerts.yaml", "rule-a.yaml"], {"prometheus-duplicate-alert"})
    assert _found(result) == set()
    (tmp_path / "rule-b.yaml").write_text(resource.replace("NAME", "b"))
    result = _run(tmp_path, ["."], {"prometheus-duplicate-alert"})
    assert _found(result) == {("rule-b.yaml", 8, "prometheus-duplicate-alert")}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: registry, namespace: kubeflow}
spec:
  podSelector:
    matchLabels: {component: registry}
  policyTypes: [Ingress]
"""
REGISTRY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: registry NAMESPACE}
spec:
  selector:
    matchLabels: {component: registry}
  template:
    metadata:
      labels: {component: registry}
    spec:
      containers: [{name: r, image: 'registry:1.0'}]
"""


@pytest.mark.parametrize(
    ("namespace", "reported"), [("", False), (", namespace: kubeflow", False), (", namespace: other", True)]
)
def test_dangling_reference_to_an_object_without_namespace(
    tmp_path: Path, namespace: str, reported: bool
) -> None:
    """kubeflow's NetworkPolicies name namespace kubeflow; the apps they protect carry no
    namespace and are installed with `kubectl apply -k ... -n kubeflow`. An object without a
    namespace could land there, so the policy is not said to protect nothing; one placed in
    another namespace explicitly cannot."""
    _write(
        tmp_path,
        {
            ".manifestlint.yaml": "fail-on: error\n",
            "common/kubeflow/kustomization.yaml": "resources: [policy.yaml, web.yaml]\n",
            "common/kubeflow/policy.yaml": POLICY,
            # a workload of the policy's own bundle, so the rule has pods to look at there
            "common/kubeflow/web.yaml": REGISTRY.replace("registry", "web").replace(
                " NAMESPACE", ", namespace: kubeflow"
            ),
            "apps/registry/kustomization.yaml": "resources: [deployment.yaml]\n",
            "apps/registry/deployment.yaml": REGISTRY.replace(" NAMESPACE", namespace),
        },
    )
    found = _found(_run(tmp_path, ["common/kubeflow/policy.yaml"], {"k8s-network-policy-selects-nothing"}))
    assert found == (
        {("common/kubeflow/policy.yaml", 5, "k8s-network-policy-selects-nothing")} if reported else set()
    )


def test_complete_copy_beside_a_kustomization_is_judged(tmp_path: Path) -> None:
    """kubeflow keeps kserve.yaml beside the kserve_kubeflow.yaml its kustomization lists: a
    complete copy re-declaring the same objects is no patch and is still judged."""
    deployment = REGISTRY.replace(" NAMESPACE", ", namespace: kserve")
    _write(
        tmp_path,
        {
            ".manifestlint.yaml": "fail-on: error\n",
            "kserve/kustomization.yaml": "resources: [kserve_kubeflow.yaml]\n",
            "kserve/kserve_kubeflow.yaml": deployment,
            "kserve/kserve.yaml": deployment,
        },
    )
    found = _found(_run(tmp_path, ["kserve/kserve.yaml"], {"k8s-missing-liveness-probe"}))
    assert found == {("kserve/kserve.yaml", 11, "k8s-missing-liveness-probe")}


WEBHOOK = """apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: admission}
webhooks:
  - name: admission.example.com
    admissionReviewVersions: [v1]
    sideEffects: None
    clientConfig:
      service: {name: admission-webhook, path: /apply}
"""


@pytest.mark.parametrize(("kustomization", "reported"), [("namespace: kubeflow\n", False), ("", True)])
def test_webhook_service_namespace_from_kustomize(tmp_path: Path, kustomization: str, reported: bool) -> None:
    """kubeflow's admission webhook names its Service without a namespace: the tree's
    `namespace:` fills it in (kustomize's namespace transformer updates webhook service
    references), so the required field is missing only where no tree sets one."""
    _write(
        tmp_path,
        {
            ".manifestlint.yaml": "fail-on: error\n",
            "webhook/kustomization.yaml": kustomization + "resources: [webhook.yaml]\n",
            "webhook/webhook.yaml": WEBHOOK,
        },
    )
    found = _found(_run(tmp_path, ["."], {"schema-missing-required"}))
    assert found == ({("webhook/webhook.yaml", 9, "schema-missing-required")} if reported else set())
