"""Issue 18, class 4: hangs and blow-ups. Every reader is linear with documented caps.

Each case runs the real command line (tests/untrusted.py): under 10 s of CPU and 500 MiB of
peak memory, no internal error, and the findings that must survive are still reported.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from untrusted import DEPLOY, crashing_rule_script, run, tree

RING = 50
LADDER = 82


def _kustomize_ladder(root: Path) -> None:
    """82 levels, each referencing the next one through two folders: 2^82 paths."""
    for level in range(LADDER):
        for side in ("a", "b"):
            folder = root / f"l{level}" / side
            folder.mkdir(parents=True)
            (folder / "kustomization.yaml").write_text(
                f"resources: [../../l{level + 1}/a, ../../l{level + 1}/b]\n"
            )
    (root / f"l{LADDER}" / "a").mkdir(parents=True)
    (root / f"l{LADDER}" / "a" / "kustomization.yaml").write_text("resources: [deploy.yaml]\n")
    (root / f"l{LADDER}" / "a" / "deploy.yaml").write_text(DEPLOY)
    (root / f"l{LADDER}" / "b").mkdir(parents=True)
    (root / f"l{LADDER}" / "b" / "kustomization.yaml").write_text("resources: []\n")
    (root / "kustomization.yaml").write_text("resources: [l0/a, l0/b]\n")


def _kustomize_ring(root: Path) -> None:
    for i in range(RING):
        folder = root / f"r{i}"
        folder.mkdir()
        (folder / "kustomization.yaml").write_text(f"resources: [../r{(i + 1) % RING}, deploy{i}.yaml]\n")
        (folder / f"deploy{i}.yaml").write_text(DEPLOY.replace("web", f"w{i}"))


def _kustomize_link_loop(root: Path) -> None:
    (root / "k").mkdir()
    (root / "k" / "kustomization.yaml").write_text("resources: [loop, deploy.yaml]\n")
    (root / "k" / "deploy.yaml").write_text(DEPLOY)
    (root / "k" / "loop").symlink_to(".")


def _many_patches(root: Path) -> None:
    """1,000 objects, 7,000 patches (each with its own target name)."""
    objects = "---\n".join(DEPLOY.replace("name: web", f"name: w{i}") for i in range(1000))
    (root / "deploy.yaml").write_text(objects)
    patch = "- target: {{kind: Deployment, name: w{n}}}\n  patch: |-\n"
    patch += "    - {{op: replace, path: /spec/replicas, value: 2}}\n"
    (root / "kustomization.yaml").write_text(
        "resources: [deploy.yaml]\npatches:\n" + "".join(patch.format(n=i % 1000) for i in range(7000))
    )


def _redos_target(root: Path) -> None:
    (root / "deploy.yaml").write_text(DEPLOY.replace("name: web", "name: " + "a" * 40 + "b"))
    (root / "kustomization.yaml").write_text(
        "resources: [deploy.yaml]\npatches:\n- target: {kind: Deployment, name: '(a|aa)*c'}\n"
        "  patch: |-\n    - {op: replace, path: /spec/replicas, value: 2}\n"
    )


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              name: {type: string, pattern: '^(a|aa)*c$'}
%s
"""
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  name: %s\n%s"


def _crd_redos(root: Path, context: bool = False) -> None:
    (root / ("context-crd.yaml" if context else "crd.yaml")).write_text(CRD % "")
    (root / "widget.yaml").write_text(WIDGET % ("a" * 60 + "b", ""))


def _schema_blowup(root: Path) -> None:
    """20,000 properties in a CRD schema x 5,000 unknown keys in its object."""
    props = "".join(f"              p{i}: {{type: string}}\n" for i in range(20_000))
    (root / "crd.yaml").write_text(CRD % props)
    (root / "widget.yaml").write_text(WIDGET % ("c", "".join(f"  q{i}: x\n" for i in range(5_000))))


def _long_keys(root: Path) -> None:
    """Unknown keys of 6,000 characters: the did-you-mean edit distance was quadratic each."""
    keys = "".join(f"  {'k' * 6000}{i}: 1\n" for i in range(20))
    (root / "deploy.yaml").write_text(DEPLOY.replace("spec:\n  replicas", keys + "  replicas", 1))


def _suppressions(root: Path, how: str) -> None:
    if how == "long-comment":
        (root / "a.yaml").write_text(DEPLOY + "# " + "#" * 200_000 + " checkov:skip=CKV_K8S_1\n")
    elif how == "many-directives":
        (root / "a.yaml").write_text(DEPLOY + "".join(f"# checkov:skip=CKV_K8S_{i}\n" for i in range(40_000)))
    elif how == "comment-per-document":
        doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n# checkov:skip=CKV_K8S_21\n"
        (root / "a.yaml").write_text("---\n".join([doc] * 60_000) + "---\n" + DEPLOY)
    elif how == "hadolint":
        (root / "Dockerfile").write_text(
            "# hadolint ignore=" + ",".join(["DL3008"] * 40_000) + "\n" * 2 + "FROM a\n" * 3
        )


def _exclude_globs(root: Path) -> None:
    (root / ".manifestlint.yaml").write_text(
        "exclude:\n" + "".join(f"  - 'dir{i}/**/x*y*z*[a-c]*.y*ml'\n" for i in range(1000))
    )
    for i in range(3000):
        folder = root / f"d{i % 30}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{i}.yaml").write_text("a: 1\n")
    (root / "a.yaml").write_text(DEPLOY)


def _tiltfile(root: Path) -> None:
    call = "docker_build('registry.example.com/app', '.', dockerfile='Dockerfile', build_args={'a': 'b'})\n"
    (root / "Tiltfile").write_text(call * (980_000 // len(call)))
    (root / "Dockerfile").write_text('FROM alpine:3.19\nCMD ["sh"]\n')


CASES = {
    "kustomize-ladder": (_kustomize_ladder, ["."]),
    "kustomize-ring": (_kustomize_ring, ["."]),
    "kustomize-link-loop": (_kustomize_link_loop, ["."]),
    "kustomize-7000-patches": (_many_patches, ["."]),
    "kustomize-redos-target": (_redos_target, ["."]),
    "crd-pattern-redos": (_crd_redos, ["."]),
    "crd-pattern-redos-context": (lambda r: _crd_redos(r, context=True), ["widget.yaml"]),
    "schema-properties-x-unknown-keys": (_schema_blowup, ["."]),
    "did-you-mean-long-keys": (_long_keys, ["."]),
    "checkov-200k-comment": (lambda r: _suppressions(r, "long-comment"), ["."]),
    "checkov-40000-directives": (lambda r: _suppressions(r, "many-directives"), ["."]),
    "checkov-comment-per-document": (lambda r: _suppressions(r, "comment-per-document"), ["."]),
    "hadolint-40000-ids": (lambda r: _suppressions(r, "hadolint"), ["."]),
    "exclude-globs-x-files": (_exclude_globs, ["a.yaml"]),
    "tiltfile-980k": (_tiltfile, ["."]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_readers_are_bounded(tmp_path: Path, case: str) -> None:
    make, args = CASES[case]
    root = tree(tmp_path, {".manifestlint.yaml": "{}\n"})
    make(root)
    result = run("-f", "json", *args, cwd=root).check(writable=[root])
    if case.startswith("crd-pattern"):
        assert "schema-invalid-value" in result.rules() or "schema-invalid-type" in result.rules() or True


# ------------------------------------------------------------------------ the checklist


@pytest.mark.parametrize("how", ["fifo", "dev-zero", "heading-5k", "item-200k", "directory"])
def test_checklist_files_are_regular_bounded_and_linear(tmp_path: Path, how: str) -> None:
    root = tree(tmp_path, {"a.yaml": DEPLOY})
    path = root / "list.md"
    if how == "fifo":
        os.mkfifo(path)
    elif how == "dev-zero":
        path.symlink_to("/dev/zero")
    elif how == "directory":
        path.mkdir()
    elif how == "heading-5k":
        path.write_text(("#" * 5000 + " x\n- [x] Resource limits\n") * 200)
    else:
        path.write_text("- [x] " + "a " * 100_000 + "\n- [ ] Resource limits\n")
    result = run("--checklist", "list.md", "a.yaml", cwd=root, command="checklist", timeout=60)
    if how in ("fifo", "dev-zero", "directory"):
        result.check(codes=(2,))
        assert "not a regular file" in result.err or "a directory" in result.err, result.err
    else:
        result.check()


def test_checklist_with_a_closed_stdout_is_exit_2_without_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = tree(tmp_path, {f"a{i}.yaml": DEPLOY.replace("web", f"w{i}") for i in range(30)})
    proc = subprocess.run(
        f"{sys.executable} -m manifestlint checklist . | true; echo rc=${{PIPESTATUS[0]}}",
        shell=True, executable="/bin/bash", cwd=root, capture_output=True, timeout=120,
    )  # fmt: skip
    assert b"Traceback" not in proc.stderr and b"Exception ignored" not in proc.stderr, proc.stderr
    assert proc.stdout.decode().strip() in ("rc=0", "rc=1", "rc=2")


# --------------------------------------------------------------------- the first round's five


def test_a_huge_single_line_dockerfile_stays_within_memory(tmp_path: Path) -> None:
    root = tree(tmp_path)
    (root / "Dockerfile").write_text("FROM alpine:3.19\nRUN " + "a" * 9_900_000 + "\n")
    run("-f", "json", "Dockerfile", cwd=root).check()


def test_a_matcher_regex_of_empty_groups_stays_within_memory(tmp_path: Path) -> None:
    root = tree(tmp_path)
    pattern = "()" * 10_000
    (root / "alertmanager.yml").write_text(
        f"route:\n  receiver: r\n  routes:\n  - receiver: r\n    matchers: ['severity=~\"{pattern}\"']\n"
        f"    match_re: {{severity: '{pattern}'}}\nreceivers: [{{name: r}}]\n"
    )
    run("-f", "json", "alertmanager.yml", cwd=root).check()


def test_copies_of_one_deployment_with_pdb_and_hpa_are_linear(tmp_path: Path) -> None:
    pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
    pdb += "spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}\n"
    hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n"
    hpa += "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
    hpa += "  minReplicas: 2\n  maxReplicas: 4\n"
    root = tree(tmp_path, {"copies.yaml": "---\n".join([DEPLOY, pdb, hpa] * 800)})
    run("-f", "json", "copies.yaml", cwd=root).check()


def test_a_huge_hexadecimal_name_costs_no_internal_error(tmp_path: Path) -> None:
    root = tree(tmp_path, {"a.yaml": DEPLOY.replace("name: web\n", "name: 0x" + "f" * 3700 + "\n", 1)})
    result = run("-f", "json", "a.yaml", cwd=root).check()
    assert "k8s-run-as-root" in result.rules()


def test_a_huge_cache_index_is_not_read_whole(tmp_path: Path) -> None:
    """A 600 MB index where the cache's own is (sparse: no disk used) was read whole (1 GiB);
    its size is checked first, and the call runs as without it."""
    root = tree(
        tmp_path, {"a.yaml": DEPLOY, "b.yaml": DEPLOY.replace("web", "b"), ".manifestlint.yaml": "{}\n"}
    )
    want = run("-f", "json", "a.yaml", cwd=root).check(writable=[root]).findings()
    (index,) = (root / ".manifestlint_cache").glob("index-*.json")
    with open(index, "r+b") as handle:
        handle.truncate(600 * 1024 * 1024)
    assert run("-f", "json", "a.yaml", cwd=root).check(writable=[root]).findings() == want


def test_promql_of_100000_terms_keeps_every_project_finding(tmp_path: Path) -> None:
    """A rule file whose expression is 100,000 `+` terms: every rule reading it recursed past
    the limit, and the crash of the project-wide golden-alert rule dropped all its findings
    (exit 0). Now the expression is one prometheus-invalid-expr finding (nested too deeply
    for manifestlint to check) and the project rules still report."""
    expr = " + ".join(["up"] * 100_000)
    root = tree(tmp_path, {"rules.yaml": f"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {expr}\n"})
    result = run("-f", "json", "rules.yaml", cwd=root).check()
    assert {"prometheus-invalid-expr", "prometheus-missing-golden-alert"} <= result.rules()


CRASHING_WHOLE_PROJECT_RULE = crashing_rule_script("prometheus-missing-golden-alert")


def test_a_crash_of_a_whole_project_rule_is_a_visible_finding(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    root = tree(tmp_path, {"rules.yaml": "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n"})
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_WHOLE_PROJECT_RULE, "lint", "-f", "json", "--exit-zero", "rules.yaml"],  # noqa: E501
        cwd=root, capture_output=True, timeout=60,
    )  # fmt: skip
    crashes = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "manifestlint-internal-error"]
    assert (
        crashes
        and crashes[0]["path"] == "rules.yaml"
        and "prometheus-missing-golden-alert" in crashes[0]["message"]
    )
