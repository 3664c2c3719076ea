"""prometheus.yml: manifestlint vs Prometheus' own labelled cases and `promtool check config`.

Reads a prometheus/prometheus checkout at run time (nothing of it is copied here):
config/config_test.go's `expectedErrors` names each `testdata/*.bad.yml` Prometheus must
refuse (with the error it gives); every `testdata/*.good.yml` must load. For each file it
prints Prometheus' label, promtool's verdict (`--syntax-only`: the files a configuration names
are not the syntax's business) and ours (invalid = a prometheus-invalid-* finding), then the
agreement counts. The corpus' own prometheus.yml files (and those embedded in ConfigMaps) are
compared with promtool too.

    python scripts/compare_promtool_config.py PROMETHEUS_CHECKOUT [CORPUS_DIR]
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from _corpus import corpus_dir

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from manifestlint.config import Config  # noqa: E402
from manifestlint.engine import lint  # noqa: E402
from manifestlint.registry import load_registry  # noqa: E402

_CASE = re.compile(r'filename:\s*"([^"]+)",\s*errMsg:\s*(?:`([^`]*)`|"((?:[^"\\]|\\.)*)")', re.S)
# Debian's promtool is built without most service discoveries: it refuses them as unknown fields.
_DEBIAN_SD = re.compile(r"field \w+_sd_configs not found")


def labelled_cases(checkout: Path) -> list[tuple[Path, str, str]]:
    """(file, 'invalid' | 'valid', Prometheus' message) from config_test.go and the file names."""
    testdata = checkout / "config" / "testdata"
    source = (checkout / "config" / "config_test.go").read_text(encoding="utf-8")
    block = source[source.index("var expectedErrors") :]
    block = block[: block.index("\n}\n")]
    cases = [
        (testdata / m.group(1), "invalid", m.group(2) or m.group(3) or "") for m in _CASE.finditer(block)
    ]
    cases += [(path, "valid", "") for path in sorted(testdata.glob("*.good.yml"))]
    return [case for case in cases if case[0].is_file()]


def promtool(path: Path) -> tuple[str, str]:
    proc = subprocess.run(
        ["promtool", "check", "config", "--syntax-only", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    out = (proc.stdout + proc.stderr).strip()
    detail = next((line.strip() for line in out.splitlines() if "FAILED" in line or "line " in line), "")
    errors = [line for line in out.splitlines() if re.match(r"\s+line \d+:", line)]
    if proc.returncode != 0 and errors and all(_DEBIAN_SD.search(line) for line in errors):
        return "valid", "(Debian build lacks the SD)"
    return ("valid" if proc.returncode == 0 else "invalid"), detail[:100]


def ours(path: Path) -> tuple[str, list[str]]:
    config = Config()
    config.force_include = True
    result = lint([str(path)], load_registry(), config, path.parent, forced_type="prometheus-config",
                  use_context=False)  # fmt: skip
    bad = sorted({f.rule for f in result.findings if f.rule.startswith("prometheus-invalid")})
    return ("invalid" if bad else "valid"), bad


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    checkout = Path(sys.argv[1])
    corpus = corpus_dir(sys.argv[2] if len(sys.argv) > 2 else None)
    have_promtool = shutil.which("promtool") is not None
    cases = labelled_cases(checkout)
    print("| file | Prometheus | promtool 2.x | manifestlint | our rules | Prometheus' error |")
    print("|---|---|---|---|---|---|")
    agree_label = agree_tool = 0
    for path, label, message in cases:
        tool, _detail = promtool(path) if have_promtool else ("?", "")
        verdict, rules = ours(path)
        agree_label += verdict == label
        agree_tool += verdict == tool
        mark = "" if verdict == label else " **≠**"
        print(f"| {path.name} | {label} | {tool} | {verdict}{mark} | {', '.join(rules)} | {message[:70]} |")
    print(f"\nagreement with Prometheus' labels: {agree_label}/{len(cases)}")
    if have_promtool:
        print(f"agreement with promtool --syntax-only: {agree_tool}/{len(cases)}")
    if corpus is not None and have_promtool:
        print("\n| corpus file | promtool | manifestlint | our rules |\n|---|---|---|---|")
        for path in sorted(corpus.rglob("prometheus*.y*ml")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if not re.search(r"^scrape_configs\s*:", text, re.M):
                continue  # embedded in a manifest: promtool reads plain files only
            tool, _detail = promtool(path)
            verdict, rules = ours(path)
            print(f"| {path.relative_to(corpus)} | {tool} | {verdict} | {', '.join(rules)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
