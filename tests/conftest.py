"""Shared test helpers: run the real engine on fixtures and read expectations from them."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from manifestlint.config import Config, RuleSetting
from manifestlint.engine import LintResult, lint
from manifestlint.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(.+?)\s*$")


def corpus_dir() -> Path | None:
    """The shared real-world corpus: `$MANIFESTLINT_CORPUS` when it is set (and then only it:
    `MANIFESTLINT_CORPUS=/nonexistent` runs the suite as a clone without the corpus does),
    else `../shared/corpus` beside this checkout. No machine path: a clean clone anywhere
    runs the same tests, with the corpus ones skipped."""
    env = os.environ.get("MANIFESTLINT_CORPUS")
    candidate = Path(env) if env else ROOT.parent / "shared" / "corpus"
    # resolved: a symlinked corpus must not turn display paths absolute
    return candidate.resolve() if candidate.is_dir() else None


@pytest.fixture(scope="session")
def corpus() -> Path:
    found = corpus_dir()
    if found is None:
        pytest.skip("the shared corpus (../shared/corpus or $MANIFESTLINT_CORPUS) is not present")
    return found


@pytest.fixture(scope="session")
def registry():
    return load_registry()


def expectations(path: Path) -> set[tuple[int, str, int | None]]:
    """(line, rule, column or None) written in a fixture.

    `# expect: rule[@col], rule` at the end of a line means that line; on a line of its own,
    the next line that is neither blank nor a comment. A sidecar `<name>.expect` file holds
    `line rule` pairs for fixtures that cannot carry comments (binary, non-UTF-8)."""
    sidecar = path.with_name(path.name + ".expect")
    out: set[tuple[int, str, int | None]] = set()
    if sidecar.exists():
        for row in sidecar.read_text().splitlines():
            if row.strip() and not row.startswith("#"):
                line, rule = row.split()[:2]
                out.add((int(line), rule, None))
        return out
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        match = EXPECT.search(line)
        if match is None:
            continue
        if line[: match.start()].strip():
            target = number
        else:
            target = next(
                n for n in range(number + 1, len(lines) + 1)
                if lines[n - 1].strip() and not lines[n - 1].strip().startswith("#")
            )  # fmt: skip
        for item in match.group(1).split(","):
            rule, _, col = item.strip().partition("@")
            out.add((target, rule, int(col) if col else None))
    return out


def load_plain_yaml_file(path: Path):
    from manifestlint.parse.yaml import load_plain_yaml

    return load_plain_yaml(path.read_text(encoding="utf-8"))


def run_file(
    path: Path, enable: set[str] = frozenset(), config: Config | None = None, **kwargs
) -> LintResult:
    registry = load_registry()
    config = config or Config()
    config.force_include = True  # fixtures live below tests/: named, they are linted on purpose
    for rule_id in enable:
        config.rules.setdefault(rule_id, RuleSetting(enabled=True))
    return lint([str(path)], registry, config, path.parent, **kwargs)


@pytest.fixture(autouse=True)
def _restore_gc():
    """The CLI pauses the cyclic GC for its (short-lived) process; tests run many CLIs in one."""
    import gc

    yield
    gc.enable()
