"""Hostile values in the readers added since the first hardening round (issue 18): kustomizations,
Skaffold, Compose and Tilt files, CRD schemas, checklist files and suppression comments.

In the style of tests/test_fuzz_hostile.py: seed files for each reader, every value (or line)
replaced by something hostile (tests/test_fuzz_hostile.HOSTILE plus paths: NUL bytes, `..`,
absolute, over-long), a seeded sample linted in-process with every rule enabled, together with
a Dockerfile and a Deployment so the image links are read. A crash (an exception, or a
`manifestlint-internal-error` finding) fails with the case. `MANIFESTLINT_FUZZ_LONG=1` runs
every case; `MANIFESTLINT_FUZZ_SEED` and `MANIFESTLINT_FUZZ_COUNT` pick another sample.
"""

# ruff: noqa: E501  (seed files are clearer as one line each)
from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

from test_fuzz_hostile import HOSTILE, LONG, SAMPLE, SEED, _all_rules, _paths, _replaced, _report, _yaml

from manifestlint.engine import lint

PATHS: list[Any] = ["a\0b", "../../../../etc/passwd", "/etc/passwd", "x/" * 3000 + "y", "~/x", ".", ""]
DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n"
    "  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
    "      - {name: web, image: registry.example.com/team/app:1}\n"
)
SEEDS: dict[str, str] = {
    "kustomization.yaml": (
        "namespace: shop\nresources: [deploy.yaml, base]\ncomponents: [comp]\n"
        "commonLabels: {team: a}\nlabels: [{pairs: {x: y}, includeSelectors: true}]\n"
        "images: [{name: registry.example.com/team/app, newTag: '2'}]\n"
        "patches:\n- path: patch.yaml\n- target: {kind: Deployment, name: 'w.*'}\n"
        "  patch: '[{op: replace, path: /spec/replicas, value: 2}]'\n"
        "patchesStrategicMerge: [patch.yaml]\npatchesJson6902: [{target: {kind: Deployment, name: web}, path: j.yaml}]\n"
    ),
    "docker-compose.yml": (
        "services:\n  app:\n    build: {context: ., dockerfile: Dockerfile, target: prod}\n"
        "    image: registry.example.com/team/app:${TAG:-1}\n    healthcheck: {test: [CMD, 'true']}\n"
    ),
    "skaffold.yaml": (
        "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n"
        "  - image: registry.example.com/team/app\n    context: .\n    docker: {dockerfile: Dockerfile, target: t}\n"
        "profiles:\n- name: dev\n  activation: [{command: dev}]\n  build: {artifacts: [{image: b, context: .}]}\n"
        "  patches: [{op: replace, path: /build/artifacts/0/docker/dockerfile, value: Dockerfile}]\n"
    ),
    "crd.yaml": (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ws.example.com}\n"
        "spec:\n  group: example.com\n  names: {kind: W, plural: ws}\n  scope: Namespaced\n  versions:\n"
        "  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n"
        "        type: object\n        properties:\n          spec:\n            type: object\n"
        "            required: [size]\n            properties:\n"
        "              size: {type: integer, minimum: 1, maximum: 10}\n"
        "              name: {type: string, pattern: '^[a-z]+$', maxLength: 20}\n"
        "              mode: {type: string, enum: [a, b]}\n"
    ),
}
CR = "apiVersion: example.com/v1\nkind: W\nmetadata: {name: w}\nspec: {size: 3, name: abc, mode: a}\n"
TEXT_SEEDS: dict[str, str] = {
    "Tiltfile": "docker_build('registry.example.com/team/app', '.', dockerfile='Dockerfile', target='t')\n"
    "custom_build('b', 'make', deps=['.'])\nk8s_yaml('deploy.yaml')\n",
    "suppressed.yaml": DEPLOY.replace(
        "spec:\n  selector", "# checkov:skip=CKV_K8S_20 reason\nspec:\n  selector", 1
    )
    + "# manifestlint: disable=k8s-run-as-root\n",
    "Dockerfile": "# hadolint global ignore=DL3008\nFROM alpine:3.19\n# hadolint ignore=DL3018\nRUN apk add curl\n"
    'RUN <<EOF\n# hadolint ignore=DL3008\napt-get install x\nEOF\nCMD ["sh"]\n',
}
TEXT_HOSTILE = [
    "'" + "x" * 100_000 + "'",
    "docker_build(" * 2000,
    "('" + "a" * 5000,
    "# checkov:skip=" + "CKV_K8S_1," * 5000,
    "# hadolint ignore=" + ",".join(["DL3008"] * 5000),
    "# manifestlint: disable=" + "x" * 10_000,
    "\x00\x1b[31m::error::x",
    "#" * 100_000,
]


def _yaml_cases() -> list[tuple[str, str, str]]:
    y = _yaml()
    out = []
    values = [*HOSTILE, *PATHS]
    for name, text in SEEDS.items():
        docs = list(y.load_all(text))
        for d, doc in enumerate(docs):
            for path in _paths(doc):
                for h in range(len(values)):
                    out.append((name, d, path, h))
    rng = random.Random(SEED)
    plan = out if LONG else rng.sample(out, min(SAMPLE, len(out)))
    cases = []
    for name, d, path, h in plan:
        docs = list(y.load_all(SEEDS[name]))
        docs[d] = _replaced(docs[d], path, values[h])
        buffer = io.StringIO()
        y.dump_all(docs, buffer)
        cases.append((f"{name} doc {d} {'.'.join(map(str, path))} = #{h}", name, buffer.getvalue()))
    return cases


def _text_cases() -> list[tuple[str, str, str]]:
    out = []
    for name, text in TEXT_SEEDS.items():
        lines = text.splitlines()
        for n in range(len(lines) + 1):
            for h, value in enumerate(TEXT_HOSTILE):
                mutated = "\n".join([*lines[:n], value, *lines[n:]]) + "\n"
                out.append((f"{name} line {n} = text #{h}", name, mutated))
    return out if LONG else random.Random(SEED).sample(out, min(SAMPLE // 3, len(out)))


def _tree(folder: Path, name: str, text: str) -> None:
    folder.mkdir()
    files = {
        ".manifestlint.yaml": "{}\n", "Dockerfile": "FROM alpine:3.19\nCMD [\"sh\"]\n", "deploy.yaml": DEPLOY,
        "cr.yaml": CR, "patch.yaml": DEPLOY.replace("web, image", "web, imagePullPolicy: Always, image"),
        "j.yaml": "[{op: add, path: /spec/replicas, value: 3}]\n", "base/kustomization.yaml": "resources: []\n",
        "comp/kustomization.yaml": "kind: Component\n", name: text,
    }  # fmt: skip
    for file, content in files.items():
        (folder / file).parent.mkdir(parents=True, exist_ok=True)
        (folder / file).write_text(content, encoding="utf-8", errors="surrogatepass")


def test_hostile_values_in_the_new_readers_never_crash(tmp_path: Path) -> None:
    registry, config = _all_rules()
    cases = _yaml_cases() + _text_cases()
    failures = []
    for n, (case, name, text) in enumerate(cases):
        folder = tmp_path / f"c{n}"
        _tree(folder, name, text)
        try:
            result = lint([str(folder)], registry, config, folder)
        except Exception as exc:  # a crash of the engine itself
            failures.append(f"{case}: {exc!r:.300}")
            continue
        failures += [
            f"{case}: {f.message[:300]}" for f in result.findings if f.rule == "manifestlint-internal-error"
        ]
    _report("readers", len(cases), failures)
    assert failures == [], "\n".join(failures[:20])


def test_hostile_checklist_files_parse_and_render(tmp_path: Path) -> None:
    from manifestlint.checklist.items import parse_checklist
    from manifestlint.output import markdown_text

    seed = (
        "# Title\n## Section\n- [x] Resource limits\n- [ ] Pod Disruption Budgets\n```\n- [x] fenced\n```\n"
    )
    lines = seed.splitlines()
    cases = [
        "\n".join([*lines[:n], value, *lines[n:]])
        for n in range(len(lines) + 1)
        for value in [
            *TEXT_HOSTILE,
            "- [x] " + "a " * 100_000,
            "#" * 5000 + " x",
            "```" * 1000,
            "1. [x] \x00",
        ]
    ]
    for text in cases:
        for item in parse_checklist(text):
            markdown_text(item.text)
            for _level, title in item.headings:
                markdown_text(title)
    _report("checklists", len(cases), [])
