"""Hostile values in every field every rule reads, and the command line end to end.

The generator walks every YAML fixture (each rule's bad/good files), and for each value it
finds — at any depth — writes a copy where that value is replaced by something hostile: a
huge integer, .inf/.nan, null, a scalar where a list or mapping stood and the reverse, a
100 KB string, a PromQL expression nested thousands deep, a catastrophic regex, terminal
escapes. Rule options get the same treatment (wrong types in the configuration). Dockerfile
fixtures get hostile words. Every case runs with every rule enabled; a rule crash
(`manifestlint-internal-error`) fails the test with the case that caused it.

Seeded and bounded for CI (a few hundred cases). `MANIFESTLINT_FUZZ_LONG=1` runs every
(fixture, path, value) combination; `MANIFESTLINT_FUZZ_SEED` picks another sample.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from ruamel.yaml import YAML

from manifestlint.config import Config, RuleSetting
from manifestlint.engine import lint
from manifestlint.registry import load_registry

LONG = os.environ.get("MANIFESTLINT_FUZZ_LONG") == "1"
SEED = int(os.environ.get("MANIFESTLINT_FUZZ_SEED", "8"))
SAMPLE = int(os.environ.get("MANIFESTLINT_FUZZ_COUNT", "150"))  # cases per run (CI: 150)

HOSTILE: list[Any] = [
    None,
    10**1000,  # an int Python still prints
    "9" * 5000,  # past Python's int/str limit: a string to go-yaml and to us
    -(10**30),
    float("inf"),
    float("-inf"),
    float("nan"),
    True,
    0,
    "",
    "x" * 100_000,
    [],
    {},
    ["a", 1, None],
    {"a": {"b": [1, {"c": None}]}},
    "1e999999999",
    "(" * 3000 + "1" + ")" * 3000,  # PromQL nested past the recursion limit
    "sum(" * 2000 + "x" + ")" * 2000,
    'up{job=~"(.?){60}X"} > 0',
    "(?:x?|y?){40}\\b",
    "\x1b[31m::error::pwned\x07",
    "{{ .Values.x }}",
    "-1",
    "1.5.6",
]


def _yaml() -> YAML:
    y = YAML(typ="safe", pure=True)
    y.width = 1 << 30
    return y


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path (keys and indices) to a value inside a plain document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index))


def _replaced(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {k: (_replaced(v, rest, value) if k == head else v) for k, v in doc.items()}
    return [(_replaced(v, rest, value) if i == head else v) for i, v in enumerate(doc)]


def _yaml_fixtures() -> list[Path]:
    return sorted(p for p in (FIXTURES / "rules").glob("*/*") if p.suffix in (".yaml", ".yml"))


def _docker_fixtures() -> list[Path]:
    return sorted(p for p in (FIXTURES / "rules").glob("*/*") if "Dockerfile" in p.name)


def yaml_cases(count: int | None = None, seed: int = SEED) -> list[tuple[str, str, str]]:
    """(case id, file name, text) for fixture x value path x hostile value: all of them, or a
    seeded sample of `count` (chosen before any text is written: dumping is the slow part)."""
    y = _yaml()
    loaded = []
    for fixture in _yaml_fixtures():
        try:
            loaded.append((fixture, list(y.load_all(fixture.read_text(encoding="utf-8")))))
        except Exception:
            continue  # a fixture of broken YAML: the mutation fuzz test covers those
    plan = [
        (f, d, path, h)
        for f, (_, docs) in enumerate(loaded)
        for d, doc in enumerate(docs)
        for path in _paths(doc)
        for h in range(len(HOSTILE))
    ]
    if count is not None and not LONG:
        plan = random.Random(seed).sample(plan, min(count, len(plan)))
    out = []
    for f, d, path, h in plan:
        fixture, docs = loaded[f]
        mutated = [_replaced(x, path, HOSTILE[h]) if i == d else x for i, x in enumerate(docs)]
        buffer = io.StringIO()
        y.dump_all(mutated, buffer)
        case = f"{fixture.parent.name}/{fixture.name} doc {d} {'.'.join(map(str, path))} = #{h}"
        out.append((case, fixture.name, buffer.getvalue()))
    return out


DOCKER_HOSTILE = [
    "9" * 5000,
    "${A}" * 3000,
    "$" + "{A:-" * 2000 + "x" + "}" * 2000,
    "\x1b]8;;x\x07",
    "--",
    "\\",
]


def docker_cases() -> Iterator[tuple[str, str, str]]:
    for fixture in _docker_fixtures():
        lines = fixture.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines):
            words = line.split()
            for w in range(len(words)):
                for h, value in enumerate(DOCKER_HOSTILE):
                    changed = " ".join([*words[:w], value, *words[w + 1 :]])
                    text = "\n".join([*lines[:n], changed, *lines[n + 1 :]]) + "\n"
                    yield (
                        f"{fixture.parent.name}/{fixture.name} line {n + 1} word {w} = #{h}",
                        "Dockerfile",
                        text,
                    )


def _sample(cases: Iterator[tuple[str, str, str]], count: int, seed: int) -> list[tuple[str, str, str]]:
    """A seeded reservoir sample (every case when LONG)."""
    if LONG:
        return list(cases)
    rng = random.Random(seed)
    sample: list[tuple[str, str, str]] = []
    for n, case in enumerate(cases):
        if n < count:
            sample.append(case)
        else:
            j = rng.randrange(n + 1)
            if j < count:
                sample[j] = case
    return sample


def _all_rules() -> tuple[Any, Config]:
    registry = load_registry()
    return registry, Config(rules={r.id: RuleSetting(enabled=True) for r in registry})


def _crashes(registry: Any, config: Config, folder: Path, name: str, text: str) -> list[str]:
    target = folder / name
    target.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = lint([str(target)], registry, config, folder, use_context=False)
    target.unlink()
    return [f.message for f in result.findings if f.rule == "manifestlint-internal-error"]


def _report(kind: str, tried: int, failures: list[str]) -> None:
    if LONG or "MANIFESTLINT_FUZZ_COUNT" in os.environ:  # figures of a long run
        print(f"\nfuzz {kind}: {tried} inputs, {len(failures)} crashed", file=sys.stderr)
        for failure in failures[:200]:
            print("  " + failure[:300], file=sys.stderr)


@pytest.mark.parametrize("kind", ["yaml", "dockerfile"])
def test_hostile_values_never_crash_a_rule(kind: str, tmp_path: Path) -> None:
    registry, config = _all_rules()
    cases = yaml_cases(SAMPLE) if kind == "yaml" else _sample(docker_cases(), SAMPLE, SEED)
    failures = []
    for case, name, text in cases:
        for message in _crashes(registry, config, tmp_path, name, text):
            failures.append(f"{case}: {message}")
    _report(kind, len(cases), failures)
    assert failures == [], "\n".join(failures[:20])


OPTION_HOSTILE: list[Any] = [
    "abc",
    -1,
    10**1000,
    float("inf"),
    None,
    [],
    {},
    [[]],
    {"a": []},
    ["x"],
    True,
    "1h",
    0,
]


def option_cases() -> Iterator[tuple[str, str, Any]]:
    registry = load_registry()
    for rule in registry:
        for option in sorted(rule.defaults()):
            for value in OPTION_HOSTILE:
                yield rule.id, option, value


def test_hostile_option_values_never_crash_a_rule(tmp_path: Path) -> None:
    """Wrong types in the configuration (a string where a number is read, a list of lists...)
    must never crash a rule: each rule either uses a sane reading or ignores the value."""
    registry = load_registry()
    fixtures = [p for p in _yaml_fixtures() if p.name.startswith("bad")] + _docker_fixtures()
    folder = tmp_path / "all"
    folder.mkdir()
    for n, fixture in enumerate(fixtures):
        (folder / f"{n}-{fixture.name}").write_bytes(fixture.read_bytes())
    cases = list(option_cases())
    if not LONG:
        cases = random.Random(SEED).sample(cases, min(len(cases), 20))
    failures = []
    for rule_id, option, value in cases:
        config = Config(rules={r.id: RuleSetting(enabled=True) for r in registry})
        config.rules[rule_id].options[option] = value
        result = lint([str(folder)], registry, config, folder, use_context=False)
        failures += [
            f"{rule_id}.{option}={value!r:.40}: {f.message[:200]}"
            for f in result.findings
            if f.rule == "manifestlint-internal-error"
        ]
    _report("options", len(cases), failures)
    assert failures == [], "\n".join(failures[:20])


# ------------------------------------------------------------------------- the command line

ODD_NAMES = ["a b.yaml", "é-ü.yaml", "quote'\"name.yaml", "tab\tname.yaml", "-dash.yaml", "::error::x.yaml"]
FORMATS = ["text", "json", "sarif", "github"]


def test_cli_end_to_end_with_hostile_files(tmp_path: Path) -> None:
    """Hostile files under odd names through `manifestlint lint` in every format, to stdout and
    through `-o`: exit 0/1 only, no traceback, parseable JSON/SARIF, no internal error."""
    rng = random.Random(SEED)
    cases = yaml_cases(12 if not LONG else 200, SEED + 1)
    cases += _sample(docker_cases(), 3 if not LONG else 50, SEED + 2)
    cases += [
        ("explicit keys", "deep.yaml", "? " * 40_000 + "a\n"),
        ("huge int", "n.yaml", "a: " + "7" * 5000),
    ]
    tree = tmp_path / "tree"
    tree.mkdir()
    for n, (_, name, text) in enumerate(cases):
        odd = ODD_NAMES[n % len(ODD_NAMES)]
        folder = tree / f"c{n}"
        folder.mkdir()
        target = folder / (name if name == "Dockerfile" else odd)
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        for args in (["-f", fmt, str(tree)], ["-f", fmt, "-o", str(out), str(tree)]):
            proc = subprocess.run(
                [sys.executable, "-m", "manifestlint", "lint", *args], capture_output=True, timeout=300
            )
            err = proc.stderr.decode("utf-8", "replace")
            assert proc.returncode in (0, 1) and "Traceback" not in err, err[-3000:]
            text = out.read_text(encoding="utf-8") if "-o" in args else proc.stdout.decode("utf-8")
            if fmt in ("json", "sarif"):
                data = json.loads(text)
                findings = data["findings"] if fmt == "json" else data["runs"][0]["results"]
                rules = {f.get("rule") or f.get("ruleId") for f in findings}
                assert "manifestlint-internal-error" not in rules, text[:3000]
            if fmt == "github":
                assert "\x1b" not in text
    assert rng is not None
