"""The speed indexes change nothing but speed: the cross-file rules find the same findings
with the label/name indexes (manifestlint.rules.kubernetes.objects.SelectorIndex) as with a full scan, on the
real-world corpus and on generated app bundles, and suppression by merged per-rule line
intervals hides exactly what checking every range did."""

from __future__ import annotations

import random
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import manifestlint.rules.kubernetes.objects as k8s
from manifestlint.config import Config
from manifestlint.engine import lint
from manifestlint.model import Finding, Span
from manifestlint.registry import load_registry
from manifestlint.suppress import Directive, Suppressions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from gen_k8s_docs import app_bundle

CROSS_FILE = [
    "k8s-missing-pdb",
    "k8s-pdb-blocks-eviction",
    "k8s-hpa-target-missing",
    "k8s-missing-network-policy",
    "k8s-network-policy-selects-nothing",
    "k8s-service-selector-mismatch",
]


def _keys(result) -> list[tuple]:
    return [(f.rule, f.path, f.span, f.message, f.obj) for f in result.findings]


def _both(monkeypatch, paths: list[str], cwd: Path, config: Config) -> tuple[list, list]:
    registry = load_registry()
    with_index = _keys(lint(paths, registry, config, cwd))
    monkeypatch.setattr(k8s, "USE_SELECTOR_INDEX", False)
    without = _keys(lint(paths, registry, config, cwd))
    return with_index, without


def test_indexes_change_no_finding_on_the_corpus(corpus: Path, monkeypatch) -> None:
    with_index, without = _both(monkeypatch, [str(corpus)], corpus, Config(include_test_data=True))
    assert with_index == without
    assert any(key[0] in CROSS_FILE for key in with_index)  # the rules did run and report


def _bundles(tmp_path: Path) -> Path:
    """App bundles in 5 namespaces, with the mistakes the cross-file rules look for: a PDB
    selecting another component, an HPA naming a missing Deployment, a policy in the wrong
    namespace, a Service selector typo, a PDB that blocks eviction."""
    rnd = random.Random(5)
    text = "".join(app_bundle(i, rnd, f"team-{i % 5}") for i in range(30))
    text = text.replace("app-00003-worker\n", "app-00003-wrker\n", 1)  # a PDB or HPA loses its target
    text = text.replace(
        "app.kubernetes.io/component: api\n  ports", "app.kubernetes.io/component: apx\n  ports", 2
    )
    text = text.replace("  maxUnavailable: 1", "  minAvailable: 100%", 3)
    pdb = (
        "      app.kubernetes.io/name: app-00004\n      app.kubernetes.io/component: {}\n---\napiVersion: po"
    )
    text = text.replace(pdb.format("api"), pdb.format("apx"))  # the api's PDB selects nothing
    text = text.replace(
        "name: app-00007-allow-api\n  namespace: team-2", "name: app-00007-allow-api\n  namespace: other"
    )
    text = text.replace(
        "name: app-00011-default-deny\n  namespace: team-1", "name: app-00011-default-deny\n  namespace: x"
    )
    (tmp_path / "apps.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "apps.yaml"


def test_indexes_change_no_finding_on_app_bundles(tmp_path: Path, monkeypatch) -> None:
    path = _bundles(tmp_path)
    with_index, without = _both(monkeypatch, [str(path)], tmp_path, Config())
    assert with_index == without
    rules = {key[0] for key in with_index}
    assert {"k8s-missing-pdb", "k8s-hpa-target-missing", "k8s-missing-network-policy"} <= rules


@pytest.mark.parametrize("seed", range(20))
def test_directive_index_picks_what_a_scan_picked(seed: int) -> None:
    rnd = random.Random(seed)
    rules = ["k8s-a", "k8s-b", "docker-c"]
    directives = []
    for _ in range(rnd.randint(0, 12)):
        scope = rnd.choice(["lines", "lines", "lines", "file", "object"])
        first = rnd.randint(1, 60)
        selectors = tuple(rnd.sample([*rules, "k8s", "all"], rnd.randint(1, 2)))
        directives.append(
            Directive(selectors, scope, f"d{len(directives)}", first=first, last=first + rnd.randint(-1, 15),
                      doc=rnd.randint(0, 3))
        )  # fmt: skip
    indexed, scanned = Suppressions(directives=directives), [replace(d, used=set()) for d in directives]
    for line in range(0, 80):
        for rule in rules:
            finding = Finding(rule, None, "f.yaml", Span(line, 1, line, 2), "m", "", rnd.randint(0, 3))  # type: ignore[arg-type]
            expected = None
            for d in scanned:
                selector = d.match(finding)
                if selector is not None:
                    d.used.add(selector)
                    expected = d.source
                    break
            assert indexed.hides(finding) == expected
    assert [d.used for d in directives] == [d.used for d in scanned]
