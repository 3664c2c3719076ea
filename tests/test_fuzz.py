"""Mutated real manifests never crash the pipeline: every problem is a finding.

Seeded and bounded (a few hundred cases, about a second): truncations, byte flips, inserted
indentation, brackets and anchors applied to fixtures of every file type, run through the whole
engine with every rule enabled."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import FIXTURES

from manifestlint.config import Config, RuleSetting
from manifestlint.engine import lint
from manifestlint.registry import load_registry

SEEDS = sorted(
    p for p in (FIXTURES / "rules").glob("*/bad*") if p.suffix in (".yaml", ".yml") or "Dockerfile" in p.name
)
NOISE = [
    ":",
    "- ",
    "  ",
    "\t",
    "[",
    "{",
    "}",
    "]",
    "&a ",
    "*a",
    "'",
    '"',
    "#",
    "\\",
    "<<EOF",
    "\n",
    "---\n",
    "\x00",
    "é",
]


def mutate(text: str, rng: random.Random) -> str:
    choice = rng.randrange(4)
    if choice == 0 or not text:
        return text[: rng.randrange(len(text) + 1)]
    pos = rng.randrange(len(text))
    if choice == 1:
        return text[:pos] + rng.choice(NOISE) + text[pos:]
    if choice == 2:
        return text[:pos] + text[pos + rng.randrange(1, 8) :]
    lines = text.splitlines(keepends=True)
    i = rng.randrange(len(lines))
    return "".join([*lines[:i], " " * rng.randrange(1, 6) + lines[i], *lines[i + 1 :]])


@pytest.mark.parametrize("seed", range(4))
def test_mutated_fixtures_never_crash(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    registry = load_registry()
    config = Config(rules={r.id: RuleSetting(enabled=True) for r in registry})  # default-off rules too
    for n in range(60):
        source = rng.choice(SEEDS)
        text = source.read_text(encoding="utf-8", errors="replace")
        for _ in range(rng.randrange(1, 4)):
            text = mutate(text, rng)
        target = tmp_path / f"{n}-{source.name}"
        target.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        result = lint([str(target)], registry, config, tmp_path, use_context=False)
        internal = [f for f in result.findings if f.rule == "manifestlint-internal-error"]
        assert internal == [], (source.name, text[:400])
        for f in result.findings:
            assert f.span.line >= 1 and f.span.col >= 1, f
