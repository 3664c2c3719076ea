"""Side-by-side: `promtool check rules` and `amtool check-config` vs manifestlint.

Runs each peer once per file over the corpus' plain Prometheus rule files and Alertmanager
configurations, prints an agreement table (file, peer verdict, our verdict), then times
one call over all files for each tool (median of 3). Peers are dev-time only
(`apt-get install prometheus prometheus-alertmanager`).

    python scripts/compare_promtool.py [CORPUS_DIR]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _corpus import corpus_dir

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from manifestlint.classify import document_kind  # noqa: E402
from manifestlint.config import Config  # noqa: E402
from manifestlint.engine import lint  # noqa: E402
from manifestlint.parse.yaml import parse_stream  # noqa: E402
from manifestlint.registry import load_registry  # noqa: E402


def corpus_files(corpus: Path) -> tuple[list[Path], list[Path]]:
    rules, configs = [], []
    for path in sorted(corpus.rglob("*.y*ml")):
        if "EXPECTED" in path.name:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "alertmanager/" in path.relative_to(corpus).as_posix()[:13] and "testdata" in path.as_posix():
            configs.append(path)  # labelled Alertmanager cases, including unparsable ones
            continue
        docs, _errors, _dups = parse_stream(text, str(path))
        kinds = {document_kind(d.root) for d in docs}
        if kinds == {"prometheus-rules"} or (not docs and "groups:" in text and "rulefmt" in path.as_posix()):
            rules.append(path)
        elif kinds == {"alertmanager"}:
            configs.append(path)
    return rules, configs


def peer_verdict(cmd: list[str]) -> tuple[str, str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    out = (proc.stdout + proc.stderr).strip().splitlines()
    detail = next((line.strip() for line in out if "FAILED" in line or "error" in line.lower()), "")
    return ("valid" if proc.returncode == 0 else "invalid"), detail


def our_verdict(path: Path, forced: str) -> tuple[str, list[str]]:
    result = lint([str(path)], load_registry(), Config(), path.parent, forced_type=forced, use_context=False)
    bad = [
        f.rule
        for f in result.findings
        if "-invalid-" in f.rule or f.rule == "alertmanager-undefined-receiver"
    ]
    return ("invalid" if bad else "valid"), sorted(set(bad))


def timed(cmd: list[str]) -> float:
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def table(title: str, files: list[Path], corpus: Path, peer: list[str], forced: str) -> tuple[int, int]:
    print(f"\n## {title}\n")
    print("| file | peer | manifestlint | agree | our invalid rules |")
    print("|---|---|---|---|---|")
    agree = 0
    for path in files:
        theirs, _detail = peer_verdict([*peer, str(path)])
        ours, rules = our_verdict(path, forced)
        agree += theirs == ours
        mark = "yes" if theirs == ours else "**no**"
        print(f"| {path.relative_to(corpus)} | {theirs} | {ours} | {mark} | {', '.join(rules)} |")
    print(f"\nagreement: {agree}/{len(files)}")
    return agree, len(files)


def main() -> int:
    corpus = corpus_dir(sys.argv[1] if len(sys.argv) > 1 else None) or Path("corpus-not-found")
    if not shutil.which("promtool") or not shutil.which("amtool"):
        print(
            "promtool/amtool not found: apt-get install prometheus prometheus-alertmanager", file=sys.stderr
        )
        return 2
    rules, configs = corpus_files(corpus)
    table("promtool check rules", rules, corpus, ["promtool", "check", "rules"], "prometheus-rules")
    table("amtool check-config", configs, corpus, ["amtool", "check-config"], "alertmanager")
    ml = [sys.executable, "-m", "manifestlint", "lint", "-q", "--no-context", "--exit-zero"]
    env_ml = ["env", f"PYTHONPATH={ROOT / 'src'}", *ml]
    print("\n## timing (one call over all files, median of 3)\n")
    print("| tool | files | seconds |")
    print("|---|---|---|")
    seconds = timed(["promtool", "check", "rules", *map(str, rules)])
    print(f"| promtool check rules | {len(rules)} | {seconds:.3f} |")
    print(f"| manifestlint (rule files) | {len(rules)} | "
          f"{timed([*env_ml, '--type', 'prometheus-rules', *map(str, rules)]):.3f} |")  # fmt: skip
    seconds = timed(["amtool", "check-config", *map(str, configs)])
    print(f"| amtool check-config | {len(configs)} | {seconds:.3f} |")
    print(f"| manifestlint (alertmanager) | {len(configs)} | "
          f"{timed([*env_ml, '--type', 'alertmanager', *map(str, configs)]):.3f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
