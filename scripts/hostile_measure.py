"""Worst time and peak memory of each hostile-input class of issue 8, through the CLI.

usage: python scripts/hostile_measure.py [MANIFESTLINT_EXECUTABLE]
Writes the crafted inputs under a temporary folder, runs `manifestlint lint -f sarif` once per
class under `/usr/bin/time` (peak RSS of the child) with a 120 s timeout, and prints one
Markdown table row per class: wall time, peak memory, exit code, results and their rule ids.
A dev-time measurement (the regression tests with timeouts are tests/test_hostile*.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cases(folder: Path) -> list[tuple[str, list[str]]]:
    def put(name: str, content: str | bytes) -> str:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path)

    rule = 'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up{{job=~"{}"}} == 0\n'
    os.symlink("/dev/zero", folder / "zero.yaml")
    os.mkfifo(folder / "fifo.yaml")
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: NAME}\nspec: {containers: [{name: c, image: 'a:1'}]}\n"
    regexes = rule.format("(?:x?|y?){40}\\\\b") + rule.format("(.?){60}X")
    quantity = pod.replace("image: 'a:1'", "image: 'a:1', resources: {limits: {cpu: '1e999999999'}}")
    flat = "".join(f"- item-{i:07d}\n" for i in range(666_000))
    stages = "FROM alpine:3.19 AS s0\n" + "".join(f"FROM s{i} AS s{i + 1}\nRUN true\n" for i in range(4000))
    args = "FROM alpine:3.19\nARG A=x\n" + "ARG A=${A}${A}\n" * 60_000
    promql = (
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: " + "(" * 100_000 + "up" + ")" * 100_000 + "\n"
    )
    return [
        ("catastrophic user regexes", [put("re.yaml", regexes)]),
        ("cpu: 1e999999999", [put("q.yaml", quantity)]),
        ("symlink to /dev/zero", [str(folder / "zero.yaml")]),
        ("FIFO", [str(folder / "fifo.yaml")]),
        ("40,000 explicit-key levels", [put("qk.yaml", "? " * 40000 + "a\n")]),
        ("100,000 [", [put("flow.yaml", "[" * 100000 + "\n")]),
        ("alias bomb", [put("bomb.yaml", bomb)]),
        ("10 MB flat list", [put("flat.yaml", flat)]),
        ("100k merge keys", [put("merge.yaml", "base: &b {x: 1}\nm:\n" + "  <<: *b\n" * 100_000)]),
        ("4,000-stage Dockerfile", [put("Dockerfile.stages", stages)]),
        ("60,000 self-doubling ARGs", [put("Dockerfile.args", args)]),
        ("3,600-digit name", [put("digits.yaml", pod.replace("NAME", "9" * 3600))]),
        ("1 MB nested PromQL", [put("expr.yaml", promql)]),
        ("non-UTF-8 file", [put("latin1.yaml", "a: caf\xe9\n".encode("latin-1"))]),
        ("binary file", [put("bin.yaml", bytes(range(256)) * 100)]),
    ]


def main() -> None:
    exe = sys.argv[1] if len(sys.argv) > 1 else shutil.which("manifestlint") or "manifestlint"
    exe = str(Path(exe).absolute()) if os.sep in exe else exe  # the calls run in the inputs' folder
    folder = Path(tempfile.mkdtemp(prefix="manifestlint-hostile-"))
    rss_file = folder / "rss"
    print("| class | wall | peak RSS | exit | results |\n|---|---:|---:|---|---|")
    try:
        for name, args in cases(folder):
            cmd = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), exe, "lint", "-f", "sarif"]
            cmd += ["--exit-zero", "--no-cache", *args]
            start = time.monotonic()
            try:
                proc = subprocess.run(cmd, capture_output=True, timeout=120, cwd=folder, check=False)
                code, out = str(proc.returncode), proc.stdout
            except subprocess.TimeoutExpired:
                code, out = "TIMEOUT", b""
            wall = time.monotonic() - start
            try:
                rss = f"{int(rss_file.read_text().split()[-1]) // 1024} MiB"
            except (OSError, ValueError, IndexError):
                rss = "?"
            try:
                results = [r for run in json.loads(out)["runs"] for r in run["results"]]
                summary = f"{len(results)}: " + ", ".join(sorted({r["ruleId"] for r in results}))[:80]
            except (ValueError, KeyError):
                summary = "?"
            print(f"| {name} | {wall:.2f} s | {rss} | {code} | {summary} |", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
