"""Docker rules on their fixtures, without the engine.

The lead's tests/test_rule_fixtures.py runs the whole engine on the same fixtures; this module
runs the parser and the rule functions directly, so the docker pack is tested on its own and
pins columns (`rule@col`) as well as lines. Every enabled docker rule runs on every fixture,
plus the fixture's own rule even when it is off by default, so a bad fixture must declare all
docker findings it triggers.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from ruamel.yaml import YAML

from manifestlint.parse.dockerfile import parse_dockerfile
from manifestlint.registry import _FUNCS, import_all_packs

import_all_packs()  # registers the rules (every topic module of rules/docker/ among them)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "rules"
META = {
    rec["id"]: rec
    for path in [*sorted((REPO / "rules" / "docker").glob("*.yaml")), REPO / "rules" / "syntax.yaml"]
    for rec in YAML(typ="safe").load(path.read_text())
    if rec["id"].startswith("docker-")
}
EXPECT = re.compile(r"^\s*#\s*expect:\s*(.+)$")
CASES = sorted(FIXTURES.glob("docker-*/*.Dockerfile"))


def expected(lines: list[str]) -> set[tuple[int, str, int | None]]:
    """(line, rule, column or None) from `# expect:` comments: each applies to the next line
    that is neither blank nor a comment."""
    out = set()
    pending: list[tuple[str, int | None]] = []
    for number, line in enumerate(lines, 1):
        m = EXPECT.match(line)
        if m:
            for item in m.group(1).split(","):
                rule_id, _, col = item.strip().partition("@")
                pending.append((rule_id, int(col) if col else None))
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        out.update((number, rule_id, col) for rule_id, col in pending)
        pending = []
    return out


def configured(path: Path) -> dict[str, dict]:
    """Rule options from the fixture's sidecar `<name>.config.yaml`, if any."""
    sidecar = path.with_name(path.name + ".config.yaml")
    if not sidecar.exists():
        return {}
    rules = YAML(typ="safe").load(sidecar.read_text()).get("rules") or {}
    return {rule_id: (setting or {}).get("options") or {} for rule_id, setting in rules.items()}


def run(path: Path, own_rule: str) -> set[tuple[int, str, int]]:
    df = parse_dockerfile(path.read_text(encoding="utf-8"), str(path))
    config = configured(path)
    found = {(span.line, "docker-syntax-error", span.col) for span, _ in df.errors}
    for rule_id, (scope, func) in _FUNCS.items():
        meta = META.get(rule_id)
        if scope != "dockerfile" or meta is None or not (meta.get("enabled", True) or rule_id == own_rule):
            continue
        options = {name: spec.get("default") for name, spec in (meta.get("options") or {}).items()}
        options.update(config.get(rule_id, {}))
        for finding in func(df, SimpleNamespace(options=options)):
            found.add((finding.span.line, rule_id, finding.span.col))
    return found


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(path: Path) -> None:
    own_rule = path.parent.name
    want = expected(path.read_text(encoding="utf-8").splitlines())
    got = run(path, own_rule)
    got_lines = {(line, rule_id) for line, rule_id, _ in got}
    assert got_lines == {(line, rule_id) for line, rule_id, _ in want}
    for line, rule_id, col in want:
        if col is not None:
            assert (line, rule_id, col) in got, f"{rule_id} at {line}: expected column {col}"
    if path.name.startswith("bad"):
        assert any(rule_id == own_rule for _, rule_id, _ in want), "a bad fixture must expect its rule"


def test_every_rule_has_fixtures() -> None:
    for rule_id in META:
        folder = FIXTURES / rule_id
        assert list(folder.glob("bad*.Dockerfile")), f"{rule_id}: no bad fixture"
        assert list(folder.glob("good*.Dockerfile")), f"{rule_id}: no good fixture"


def test_metadata_matches_functions() -> None:
    registered = {rid for rid, (scope, _) in _FUNCS.items() if scope == "dockerfile"}
    assert registered == set(META) - {"docker-syntax-error"}
    for rec in META.values():
        assert "dockerfile" in rec["tags"] and len(rec["tags"]) < 10
        assert rec["severity"] in ("error", "warning", "note")
        assert ("security" in rec["tags"]) == ("security-severity" in rec), rec["id"]
        assert rec["rationale"].strip() and rec["fix"].strip() and rec["title"].strip()
