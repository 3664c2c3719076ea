"""Issue 19's principles as fixture projects with exact (file, line, rule[, severity]) sets.

Each folder `tests/fixtures/precision/<principle>/<case>/` is one small project, linted as a
whole (a folder walk, with its cross-file context). Its `CHECKS` file lists the rules the case
is about, one per line; for those rules the findings must be exactly the `# expect:` markers
of its files (`# expect: rule` or `# expect: rule=note` to pin the severity too). A case with
markers shows what stays reported; a checked rule without a marker shows what stays quiet."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXPECT, FIXTURES

from manifestlint.config import Config, RuleSetting
from manifestlint.engine import lint
from manifestlint.registry import load_registry

CASES = sorted(p.parent for p in (FIXTURES / "precision").glob("*/*/CHECKS"))


def _expected(folder: Path) -> set[tuple[str, int, str, str]]:
    """(file, line, rule, severity or '') from every file's `# expect:` markers."""
    out: set[tuple[str, int, str, str]] = set()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "CHECKS"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            match = EXPECT.search(line)
            if match is None:
                continue
            target = number
            if not line[: match.start()].strip():
                target = next(
                    n for n in range(number + 1, len(lines) + 1)
                    if lines[n - 1].strip() and not lines[n - 1].strip().startswith("#")
                )  # fmt: skip
            for item in match.group(1).split(","):
                rule, _, severity = item.strip().partition("=")
                out.add((path.relative_to(folder).as_posix(), target, rule, severity))
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_precision_case(case: Path) -> None:
    checked = set((case / "CHECKS").read_text().split())
    registry = load_registry()
    assert checked <= set(registry.rules), checked - set(registry.rules)
    config = Config()
    config.path = case.resolve() / ".manifestlint.yaml"  # each case is a project of its own
    for rule_id in checked:
        config.rules.setdefault(rule_id, RuleSetting(enabled=True))
    result = lint([str(case)], registry, config, case)
    expected = _expected(case)
    pinned = {(f, line, rule) for f, line, rule, severity in expected if severity}
    actual = set()
    for finding in result.findings:
        if finding.rule not in checked:
            continue
        rel = Path(finding.path).as_posix()  # relative to the case folder, the run's cwd
        key = (rel, finding.span.line, finding.rule)
        actual.add((*key, finding.severity.label if key in pinned else ""))
    assert actual == expected
