"""hadolint's own rule specs run through manifestlint: the agreement per DL code.

Dev-time only. hadolint is GPL-3.0, so its test files are never copied here: this script reads
a checkout fetched next to the repository (e.g. with `git clone https://github.com/hadolint/hadolint`
into /tmp/repos/hadolint) and turns each assertion into a case at run time (scripts/hadolint_spec.py).

A case is mapped when some manifestlint rule cites the DL code in its metadata `references`. The
case's Dockerfile is linted with those rules enabled (also the ones off by default) and the
case's hadolint configuration translated (allowedRegistries -> docker-untrusted-registry
trusted-registries, labelSchema -> docker-invalid-label schema and docker-label-policy required,
strictLabels -> docker-label-policy strict). A text without FROM gets `FROM debian:12` in front,
as hadolint checks instruction lists without one. Agreement: "catches" cases need a finding of a
mapped rule, "catches not" cases none.

    PYTHONPATH=src python scripts/compare_hadolint_spec.py --hadolint /tmp/repos/hadolint [--details]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hadolint_spec import Case, read_specs  # noqa: E402

from manifestlint.config import Config, RuleSetting  # noqa: E402
from manifestlint.engine import lint  # noqa: E402
from manifestlint.registry import load_registry  # noqa: E402

SCHEMA_TYPES = {"RawText": "text", "Url": "url", "Rfc3339": "rfc3339", "Spdx": "spdx",
                "GitHash": "hash", "SemVer": "semver", "Email": "email"}  # fmt: skip


def mapping(registry) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for rule in registry:
        for ref in rule.references:
            tool, _, code = ref.partition(" ")
            if tool == "hadolint" and re.fullmatch(r"DL\d{4}|ShellCheck", code):
                out[code].append(rule.id)
    return out


def text_of(case: Case) -> str:
    text = case.text
    if case.onbuild:
        text = re.sub(r"(?m)^RUN ", "ONBUILD RUN ", text)
    if not re.search(r"(?im)^\s*FROM\s", text):
        # a registry policy case judges the images it names, not the base we add
        text = ("FROM scratch\n" if "allowedRegistries" in case.config else "FROM debian:12\n") + text
    return text


def config_of(case: Case, rules: list[str]) -> Config:
    config = Config(other_tools_suppressions=False)
    for rule_id in rules:
        config.rules[rule_id] = RuleSetting(enabled=True)
    cfg = case.config
    if "allowedRegistries" in cfg:
        config.rules["docker-untrusted-registry"].options["trusted-registries"] = list(
            cfg["allowedRegistries"]
        )
    if "labelSchema" in cfg:
        schema = {k: SCHEMA_TYPES.get(v, "text") for k, v in cfg["labelSchema"]}
        if "docker-invalid-label" in config.rules:
            config.rules["docker-invalid-label"].options.update(schema=schema, **{"oci-schema": False})
        if "docker-label-policy" in config.rules:
            config.rules["docker-label-policy"].options["required"] = list(schema)
            config.rules["docker-label-policy"].options["strict"] = cfg.get("strictLabels") == "True"
    return config


def run(case: Case, rules: list[str], registry, folder: Path) -> bool:
    path = folder / "Dockerfile"
    path.write_text(text_of(case), encoding="utf-8")
    result = lint([str(path)], registry, config_of(case, rules), folder, use_context=False)
    return any(f.rule in rules for f in result.findings)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hadolint", type=Path, default=Path("/tmp/repos/hadolint"))
    ap.add_argument("--details", action="store_true", help="list every disagreement")
    args = ap.parse_args()
    registry = load_registry()
    mapped = mapping(registry)
    cases, unread = read_specs(args.hadolint)
    per_code: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    unmapped: dict[str, int] = defaultdict(int)
    disagreements: list[tuple[Case, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for case in cases:
            rules = mapped.get(case.code)
            if not rules:
                unmapped[case.code] += 1
                continue
            found = run(case, rules, registry, folder)
            per_code[case.code][1] += 1
            if found == case.catches:
                per_code[case.code][0] += 1
            else:
                disagreements.append((case, found))
    agree = sum(a for a, _ in per_code.values())
    total = sum(t for _, t in per_code.values())
    print(
        f"{len(cases)} assertions read from {args.hadolint}/test/Hadolint/Rule ({unread} in forms not read)"
    )
    print(f"unmapped (no manifestlint rule cites the code): {sum(unmapped.values())} "
          f"({', '.join(f'{c}:{n}' for c, n in sorted(unmapped.items()))})")  # fmt: skip
    print(f"mapped: {total}; agree: {agree} = {100 * agree / max(total, 1):.1f}%\n")
    print(f"{'code':<8} {'rules':<44} {'agree':>6} {'of':>4}")
    for code in sorted(per_code):
        a, t = per_code[code]
        print(f"{code:<8} {','.join(mapped[code]):<44} {a:>6} {t:>4}{'' if a == t else '  <'}")
    if args.details and disagreements:
        print("\ndisagreements (hadolint expects / manifestlint found):")
        for case, found in disagreements:
            want = "finding" if case.catches else "none"
            got = "finding" if found else "none"
            cfg = f" config={case.config}" if case.config else ""
            onbuild = " (ONBUILD)" if case.onbuild else ""
            print(
                f"  {case.code} {case.spec}:{case.line}{onbuild} wants {want}, got {got}{cfg}: {case.text!r}"
            )


if __name__ == "__main__":
    main()
