"""The registry is complete: every rule has metadata, fixtures and an up-to-date doc page."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, ROOT

from manifestlint.docs import fixture_examples, rule_page
from manifestlint.registry import load_registry

# Rules no input can trigger on purpose (a rule crashing); tested in test_engine.py instead.
NO_FIXTURES = {"manifestlint-internal-error"}
DOMAINS = ("docker-", "k8s-", "istio-", "alertmanager-", "prometheus-", "schema-", "manifestlint-")


def all_rules():
    return list(load_registry())


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_rule_is_complete(rule) -> None:
    assert rule.id.startswith(DOMAINS), "rule ids carry a domain prefix"
    assert rule.id == rule.id.lower() and " " not in rule.id
    assert rule.title and len(rule.title) < 100 and "\n" not in rule.title
    assert len(rule.rationale) > 40, "rationale must say why this is bad"
    assert rule.fix
    assert len(rule.tags) < 10
    if rule.security_severity is not None:
        assert 0.0 < rule.security_severity <= 10.0
        assert "security" in rule.tags
    if rule.id in NO_FIXTURES:
        return
    folder = FIXTURES / "rules" / rule.id
    assert any(folder.glob("bad*")), f"{rule.id} has no bad fixture"
    assert any(folder.glob("good*")), f"{rule.id} has no good fixture"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_doc_page_is_generated(rule) -> None:
    page = ROOT / "docs" / "rules" / f"{rule.id}.md"
    expected = rule_page(rule, fixture_examples(rule.id, FIXTURES / "rules"))
    assert page.exists(), "run scripts/gen_docs.py"
    assert page.read_text(encoding="utf-8") == expected, "docs are stale: run scripts/gen_docs.py"


def test_compiled_metadata_is_current() -> None:
    from manifestlint.registry import COMPILED, compiled_metadata

    folder = ROOT / "rules"
    current = (folder / COMPILED).read_text(encoding="utf-8")
    assert current == compiled_metadata(folder), "rules/compiled.json is stale: run scripts/gen_docs.py"
