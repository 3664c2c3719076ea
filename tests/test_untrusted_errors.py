"""Issue 18, class 6: odd input is a clear finding or a one-line usage error, never a traceback
or an internal error (NUL bytes in paths, over-long paths, 5,000-digit numbers, odd types)."""

from __future__ import annotations

from pathlib import Path

import pytest
from untrusted import DEPLOY, run, tree

BIG = "9" * 5000
LONG = "d/" * 3000 + "Dockerfile"
DOCKERFILE = 'FROM alpine:3.19\nCMD ["sh"]\n'


def _rules(expr: str, extra: str = "") -> str:
    return f"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: '{expr}'\n    for: 5m\n{extra}"


CASES = {
    "kustomize-nul-path": {
        "k/kustomization.yaml": 'resources: ["a\\0b", deploy.yaml]\npatches: [{path: "p\\0"}]\n'
    },
    "kustomize-long-path": {"k/kustomization.yaml": f"resources: [{'x' * 5000}, {LONG}]\n"},
    "json6902-huge-index": {
        "k/kustomization.yaml": "resources: [deploy.yaml]\npatches:\n"
        "- target: {kind: Deployment, name: web}\n"
        f"  patch: '[{{op: replace, path: /spec/template/spec/containers/{BIG}/image, value: x}}]'\n"
    },
    "compose-long-paths": {
        "docker-compose.yml": f"services:\n  a:\n    build: {{context: {LONG}}}\n    image: a\n"
    },
    "skaffold-odd": {
        "skaffold.yaml": "apiVersion: skaffold/v4beta6\nkind: Config\n"
        "build: {artifacts: 5}\nprofiles: 7\n---\n"
        "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts: [{image: a, context: "
        + LONG
        + "}]\nprofiles:\n- name: dev\n  activation: 3\n  patches:\n"
        f"  - {{op: replace, path: /build/artifacts/{BIG}/docker/dockerfile, value: Dockerfile}}\n"
    },
    "tilt-long-path": {"Tiltfile": f"docker_build('a', '{LONG}', dockerfile='{'x' * 5000}')\n"},
    "promql-huge-numbers": {
        "rules.yaml": _rules(f"rate(x[{BIG}s] offset {BIG}m) > 0x{'f' * 5000}")
        + "  - alert: B\n"
        + f"    expr: up == 1\n    for: {BIG}m\n    keep_firing_for: {BIG}h\n"
    },
    "crd-scalar-metadata": {  # found by tests/test_fuzz_readers.py (MANIFESTLINT_FUZZ_LONG=1): 23 of 3,533
        "crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: 5\nspec: {group: a}\n"
    },
    "images-roles-odd": {
        ".manifestlint.yaml": f"images: {{a: '{LONG}', b: 'x\\0y'}}\nroles: {{'[': tool}}\n"
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_odd_input_is_never_an_internal_error(tmp_path: Path, case: str) -> None:
    files = {"k/deploy.yaml": DEPLOY, "Dockerfile": DOCKERFILE, "a.yaml": DEPLOY, **CASES[case]}
    root = tree(tmp_path, {".manifestlint.yaml": "{}\n", **files})
    run("-f", "json", ".", cwd=root).check(writable=[root], codes=(0, 1, 2))


@pytest.mark.parametrize("value", [BIG, "1." + BIG, "x", "1.99999999999999999999"])
def test_odd_kubernetes_versions_are_usage_errors(tmp_path: Path, value: str) -> None:
    root = tree(tmp_path, {"a.yaml": DEPLOY})
    for args, config in ((["--kubernetes-version", value], "{}\n"), ([], f"kubernetes-version: '{value}'\n")):
        (root / ".manifestlint.yaml").write_text(config)
        result = run("-f", "json", *args, "a.yaml", cwd=root).check(codes=(0, 1, 2))
        assert result.code != 2 or len(result.err.strip().splitlines()) == 1, result.err
