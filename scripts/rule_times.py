"""CPU time per rule of one whole lint, to check that every rule stays near-linear in objects.

Issue 8 measured `k8s-missing-pdb` at 58 s on 1,600 realistic files (3 MB). This lints a path
once (context included, as the CLI does) with the engine's rule runner wrapped, and prints
the CPU seconds of the whole lint and of the slowest rules, cross-file (project) rules marked.
CPU time, not wall time: on a shared machine the wall clock measures the neighbours.

    PYTHONPATH=src python scripts/rule_times.py --make 1600 /tmp/apps   # write the tree first
    PYTHONPATH=src python scripts/rule_times.py /tmp/apps [--top 15]

`--make N DIR` writes N files into one folder (one bundle, the worst case for cross-file
rules): each a Deployment and a Service from scripts/gen_k8s_docs.py, every second one with a
PodDisruptionBudget selecting its pods (about 1.7 KB a file: 1,600 files are 2.7 MB).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gen_k8s_docs import deployment, service


def make(count: int, folder: Path, seed: int = 3) -> None:
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        deploy = deployment(i, rnd)
        name = re.search(r"name: (\S+)", deploy).group(1)  # type: ignore[union-attr]
        namespace = re.search(r"namespace: (\S+)", deploy)
        parts = [deploy, service(i, rnd)]
        if i % 2:
            ns = f"  namespace: {namespace.group(1)}\n" if namespace else ""
            parts.append(
                f"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\n{ns}spec:\n"
                f"  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}\n"
            )
        text = "---\n".join(p if p.endswith("\n") else p + "\n" for p in parts)
        (folder / f"app-{i:05d}.yaml").write_text(text, encoding="utf-8")


def measure(target: str, top: int) -> None:
    import manifestlint.engine as engine
    import manifestlint.runner as runner
    from manifestlint.config import Config
    from manifestlint.registry import load_registry

    spent: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    run_rule = runner.run_rule

    def timed(rule, subject, ctx, out, fallback_path=""):
        start = time.process_time()
        run_rule(rule, subject, ctx, out, fallback_path)
        spent[rule.id] += time.process_time() - start
        calls[rule.id] += 1

    runner.run_rule = timed  # per-file rules and project/crossfile.py call it through the module
    registry = load_registry()
    wall, cpu = time.perf_counter(), time.process_time()
    result = engine.lint([target], registry, Config(), Path.cwd())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    size = sum(p.stat().st_size for p in Path(target).rglob("*.y*ml")) if Path(target).is_dir() else 0
    project = {r.id for r in registry if r.scope == "project"}
    print(f"{target}: {size:,} bytes, {len(result.findings):,} findings")
    print(f"whole lint: {cpu:.2f} s CPU ({wall:.2f} s wall)")
    print(f"all {len(project)} cross-file rules: {sum(spent[r] for r in project) * 1000:,.0f} ms CPU")
    for rule_id, seconds in spent.most_common(top):
        mark = "  (cross-file)" if rule_id in project else ""
        print(f"  {seconds * 1000:8,.0f} ms  {calls[rule_id]:7,} calls  {rule_id}{mark}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--make", type=int, metavar="N", help="first write N files into PATH")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    if args.make:
        make(args.make, Path(args.path))
        return 0
    measure(args.path, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
