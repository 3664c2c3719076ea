"""Every rule's bad and good fixtures, with exact (line, rule[, column]) expectations.

The fixtures are the rules' documentation (docs/rules/*.md embeds them) and their tests:
a bad fixture declares each finding it must produce with `# expect:` comments; a good
fixture must produce no finding of its rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, expectations, run_file

from manifestlint.config import load_config

RULE_FIXTURES = sorted(p for p in (FIXTURES / "rules").glob("*/*") if p.name.startswith(("bad", "good"))
                       and not p.name.endswith((".expect", ".config.yaml")))  # fmt: skip


def _config(fixture: Path, registry):
    """A fixture may carry its own configuration in a sidecar `<name>.config.yaml`."""
    cfg = fixture.with_name(fixture.name + ".config.yaml")
    return load_config(str(cfg), fixture.parent, registry) if cfg.exists() else None


@pytest.mark.parametrize("fixture", RULE_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(fixture: Path, registry) -> None:
    rule_id = fixture.parent.name
    assert rule_id in registry, f"fixture folder for unknown rule {rule_id}"
    expected = expectations(fixture)
    checked = {rule_id} | {rule for _, rule, _ in expected}
    result = run_file(fixture, enable=checked, config=_config(fixture, registry), use_context=False)
    actual = {(f.span.line, f.rule) for f in result.findings if f.rule in checked}
    assert actual == {(line, rule) for line, rule, _ in expected}
    for line, rule, col in expected:
        if col is not None:
            cols = {f.span.col for f in result.findings if f.rule == rule and f.span.line == line}
            assert col in cols, f"{rule} at line {line}: columns {cols}, expected {col}"
    if fixture.name.startswith("bad"):
        assert any(rule == rule_id for _, rule, _ in expected), "a bad fixture must expect its own rule"
    else:
        assert not any(f.rule == rule_id for f in result.findings)
