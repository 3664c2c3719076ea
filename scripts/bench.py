"""manifestlint speed benchmark: startup, the C-speed floor, and peers side by side.

Why these three numbers (see DESIGN.md, "Speed"):
1. Startup: pre-commit calls us once per commit on a few files, so a one-file call must cost
   little more than starting Python (target <= 6x a bare `python -c pass`).
2. Floor: composing the YAML node graph with ruamel.yaml's C loader is the least any parse with
   marks can cost; the whole lint is reported as a ratio to it (targets <= 2x for the
   foundation, <= 2.5x with all Kubernetes rules), which holds across machines.
3. Peers: hadolint, checkov, promtool and amtool run over the same corpus files in the same run,
   so the "N x faster" claims are measured here, not quoted.

Machines are noisy, so every figure is a median of several runs, and ratios are the headline. Runs
of the things compared are interleaved round-robin; ratios in sections 1 and 2 are the median of
the per-round ratios, in section 3 the ratio of the two medians (peers run fewer rounds).
Peak memory of every subprocess comes from GNU time (%M) on the warm-up call.

    PYTHONPATH=src python scripts/bench.py [--runs 5] [--peer-runs 3] [--json out.json] [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _corpus import corpus_dir as find_corpus

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import random  # noqa: E402

from gen_k8s_docs import app_bundle, deployment, generate, realistic  # noqa: E402

PY = sys.executable
K8S_DIRS = [  # corpus folders that hold mostly Kubernetes / Istio manifests (their *.yaml, *.yml)
    "freeagentics/k8s",
    "kube-prometheus/manifests",
    "kubernetes-examples",
    "istio/samples",
    "kube-linter/tests",
]


# ---------------------------------------------------------------- helpers


def corpus_dir() -> Path | None:
    """$MANIFESTLINT_CORPUS when set, else <repo>/../shared/corpus."""
    return find_corpus()


def child_env() -> dict[str, str]:
    """The environment for our subprocesses: src/ first on PYTHONPATH, so the checkout is measured.

    PYTHONDONTWRITEBYTECODE is dropped: an installed manifestlint has .pyc files (pip compiles
    at install), but with it set every call from src/ recompiles ~50 modules (~50 ms here)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


# Calls without a folder of their own run here, outside any repository: run from the checkout,
# they found its .manifestlint.yaml (and the --baseline tree, not knowing a newer key, exited 2
# at once, which read as a fast start-up).
NEUTRAL_CWD = tempfile.mkdtemp(prefix="bench-cwd-")


def run_once(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, bytes]:
    """(wall seconds, exit code, stdout) of one subprocess; stderr is dropped."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.run(
            cmd, stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env, cwd=NEUTRAL_CWD
        )
        wall = time.perf_counter() - start
        out.seek(0)
        return wall, proc.returncode, out.read()


def peak_rss_kib(cmd: list[str], env: dict[str, str] | None = None) -> int | None:
    """Peak RSS of one call, from GNU time (`/usr/bin/time -f %M`).

    Not from wait4/RUSAGE_CHILDREN: Python spawns with vfork, and Linux carries the parent's
    high-water RSS into the exec'd child's ru_maxrss, so a child of this (large) benchmark
    process would report the benchmark's own peak. GNU time is a tiny parent."""
    gnu_time = "/usr/bin/time"
    if not os.access(gnu_time, os.X_OK):
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        subprocess.run(
            [gnu_time, "-f", "%M", "-o", rss.name, *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            cwd=NEUTRAL_CWD,
            env=env,
        )
        text = Path(rss.name).read_text().strip().splitlines()
    return int(text[-1]) if text and text[-1].isdigit() else None


def cmd_job(cmd: list[str], env: dict[str, str] | None = None) -> tuple[Callable[[], float], dict[str, Any]]:
    """A timed job for `interleave` running `cmd`, and the dict it fills: the command, its peak
    RSS (one untimed warm-up call under GNU time, so the page cache and .pyc files are hot for
    everybody), and the exit code and stdout of the last timed call."""
    info: dict[str, Any] = {"cmd": cmd, "peak_rss_kib": peak_rss_kib(cmd, env)}

    def job() -> float:
        wall, info["exit_code"], info["_stdout"] = run_once(cmd, env)
        info["stdout_bytes"] = len(info["_stdout"])
        return wall

    return job, info


def call_job(fn: Callable[[], object]) -> Callable[[], float]:
    """A timed job for `interleave` calling `fn` in-process (after one untimed warm-up call)."""
    fn()

    def job() -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    return job


def interleave(jobs: dict[str, Callable[[], float]], runs: dict[str, int]) -> dict[str, list[float]]:
    """Run the jobs round-robin (A B C, A B C, ...) and return each job's wall times.

    Round-robin, not A A A then B B B: a burst of load from another process then hits every
    job of the round alike, so per-round ratios (see `paired`) stay meaningful on a busy machine."""
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for i in range(max(runs.values())):
        for name, job in jobs.items():
            if i < runs[name]:
                samples[name].append(job())
    return samples


def summary(walls: list[float], **extra: Any) -> dict[str, Any]:
    return {"median_s": statistics.median(walls), "runs_s": walls, **extra}


def paired(num: list[float], den: list[float]) -> float:
    """Median of the per-round ratios num[i] / den[i] (rounds both ran in)."""
    return statistics.median(a / b for a, b in zip(num, den, strict=False))


def traced_peak(fn: Callable[[], object]) -> int:
    """Peak bytes allocated through Python's allocators during one call (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def ours(*args: str) -> list[str]:
    return [PY, "-m", "manifestlint", "lint", *args]


def findings_count(stdout: bytes) -> int | None:
    try:
        return len(json.loads(stdout)["findings"])
    except (ValueError, KeyError, TypeError):
        return None


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:,.0f} MiB"


# ---------------------------------------------------------------- 1. startup


def importtime_top(cmd: list[str], env: dict[str, str], top: int = 10) -> dict[str, list[list[Any]]]:
    """Top imports by cumulative and by self time (microseconds) from `python -X importtime`,
    to show what a one-file call should import lazily.

    -X importtime only sees `import` statements: modules loaded with importlib.import_module
    (the rule packs, by load_registry) are missing, hence the phase timings next to it."""
    proc = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=NEUTRAL_CWD,
    )
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m[1]), int(m[2]), len(m[3]) // 2, m[4]))
    return {
        "cumulative": [
            [name, cum, self_us] for self_us, cum, _, name in sorted(rows, key=lambda r: -r[1])[:top]
        ],
        "self": [[name, cum, self_us] for self_us, cum, _, name in sorted(rows, key=lambda r: -r[0])[:top]],
        "total_us": sum(r[0] for r in rows),
    }


PHASES_SNIPPET = """
import json, sys, time
t0 = time.perf_counter()
import manifestlint.cli
t1 = time.perf_counter()
from manifestlint.registry import load_registry
registry = load_registry()
t2 = time.perf_counter()
from pathlib import Path
from manifestlint.config import load_config
from manifestlint.engine import lint
config = load_config(None, Path.cwd(), registry)
lint([sys.argv[1]], registry, config, Path.cwd())
t3 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2]))
"""


def startup_phases(small_file: Path, runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds of each phase of a one-file call, measured inside fresh interpreters:
    importing the CLI, load_registry() (rule modules + metadata YAML), config + lint."""
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [PY, "-c", PHASES_SNIPPET, str(small_file)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=NEUTRAL_CWD,
        ).stdout
        samples.append(json.loads(out.strip().splitlines()[-1]))
    names = ("import_cli", "load_registry", "config_and_lint")
    return {name: statistics.median(s[i] for s in samples) for i, name in enumerate(names)}


def bench_startup(small_file: Path, runs: int) -> dict[str, Any]:
    """One-file call (what pre-commit does) against a bare interpreter start."""
    env = child_env()
    result: dict[str, Any] = {"file": str(small_file)}
    # startup is ~100 ms and jittery: take at least 10 samples
    n = max(runs * 2, 10)
    jobs: dict[str, Callable[[], float]] = {}
    infos: dict[str, dict[str, Any]] = {}
    jobs["python_c_pass"], infos["python_c_pass"] = cmd_job([PY, "-c", "pass"], env)
    jobs["python_m_manifestlint"], infos["python_m_manifestlint"] = cmd_job(
        ours("--exit-zero", str(small_file)), env
    )
    script = shutil.which("manifestlint") or (
        str(Path(PY).parent / "manifestlint") if (Path(PY).parent / "manifestlint").exists() else None
    )
    if BASELINE_SRC is not None:
        before = dict(env, PYTHONPATH=os.pathsep.join((str(BASELINE_SRC), os.environ.get("PYTHONPATH", ""))))
        jobs["python_m_manifestlint@before"], infos["python_m_manifestlint@before"] = cmd_job(
            ours("--exit-zero", str(small_file)), before
        )
    if script:
        jobs["console_script"], infos["console_script"] = cmd_job(
            [script, "lint", "--exit-zero", str(small_file)], env
        )
    else:
        result["console_script"] = None
        result["console_script_skipped"] = (
            "no `manifestlint` console script on PATH or next to the interpreter"
        )
    samples = interleave(jobs, dict.fromkeys(jobs, n))
    for name, walls in samples.items():
        result[name] = summary(walls, **infos[name])
        if name != "python_c_pass":
            result[name]["ratio"] = paired(walls, samples["python_c_pass"])
    result["phases_s"] = startup_phases(small_file, n, env)
    result["importtime"] = importtime_top(ours("--exit-zero", str(small_file)), env)
    return result


def print_startup(r: dict[str, Any]) -> None:
    print("\n== 1. Startup: one small Kubernetes file (target <= 6x `python -c pass`)")
    bare = r["python_c_pass"]
    print(
        f"  python -c pass                : {ms(bare['median_s']):>9}   peak RSS {mib(bare['peak_rss_kib'])}"
    )
    for name in variants(r, ("python_m_manifestlint",)):
        m = r[name]
        label = "python -m manifestlint lint" + (" (before)" if name.endswith("@before") else "")
        print(
            f"  {label:<30}: {ms(m['median_s']):>9}   {m['ratio']:.1f}x   "
            f"peak RSS {mib(m['peak_rss_kib'])}   {verdict(m['ratio'] <= 6)}"
        )
    if r["console_script"]:
        c = r["console_script"]
        print(
            f"  manifestlint lint (script)    : {ms(c['median_s']):>9}   {c['ratio']:.1f}x   "
            f"{verdict(c['ratio'] <= 6)}"
        )
    else:
        print(f"  console script: skipped ({r['console_script_skipped']})")
    ph = r["phases_s"]
    print(
        "  phases (median, in a fresh interpreter): "
        + ", ".join(f"{name} {ms(sec)}" for name, sec in ph.items())
        + f"; interpreter start ~{ms(bare['median_s'])}"
    )
    it = r["importtime"]
    print(
        f"  -X importtime: {it['total_us'] / 1000:.0f} ms of imports in total "
        "(rule packs loaded by importlib.import_module not included); top 10 cumulative:"
    )
    for name, cum, self_us in it["cumulative"]:
        print(f"    {cum / 1000:7.1f} ms cumulative  {self_us / 1000:6.1f} ms self  {name}")
    print("  top 10 by self time:")
    for name, _cum, self_us in it["self"]:
        print(f"    {self_us / 1000:7.1f} ms self  {name}")


# ---------------------------------------------------------------- 2. floor


def bench_floor(big_file: Path, runs: int) -> dict[str, Any]:
    """Compose with the C loader (the floor) vs our in-process lint vs the whole CLI."""
    from ruamel.yaml.cyaml import CBaseLoader

    from manifestlint.config import Config
    from manifestlint.engine import lint
    from manifestlint.registry import load_registry

    def compose() -> int:
        loader = CBaseLoader(big_file.read_text(encoding="utf-8"))
        n = 0
        try:
            while loader.check_node():
                loader.get_node()
                n += 1
        finally:
            loader.dispose()
        return n

    def compose_keep() -> list[object]:
        # lint keeps every document for the cross-file index: the fair memory baseline
        loader = CBaseLoader(big_file.read_text(encoding="utf-8"))
        try:
            nodes = []
            while loader.check_node():
                nodes.append(loader.get_node())
            return nodes
        finally:
            loader.dispose()

    def compose_nogc() -> int:
        # lint() pauses the cyclic GC for its run; the floor must run under the same rule
        gc.disable()
        try:
            return compose()
        finally:
            gc.enable()

    registry = load_registry()
    cwd = big_file.parent

    def lint_all() -> object:
        return lint([str(big_file)], registry, Config(), cwd, use_context=False)

    def lint_foundation() -> object:
        # only the engine's own rules: read, parse, model, classify, index, suppress, sort
        return lint([str(big_file)], registry, Config(select=["manifestlint-"]), cwd, use_context=False)

    def lint_no_schema() -> object:
        # every rule but the schema-* ones: the difference is what schema validation costs
        return lint([str(big_file)], registry, Config(ignore=["schema"]), cwd, use_context=False)

    from manifestlint.classify import document_kind
    from manifestlint.parse.yaml import parse_stream
    from manifestlint.schema.check import prepare

    parsed_docs = parse_stream(big_file.read_text(encoding="utf-8"), str(big_file))[0]
    for doc in parsed_docs:
        doc.kind = document_kind(doc.root)

    def schema_pass() -> None:
        # the schema pass alone, on documents parsed beforehand (what lint() adds for it)
        gc.disable()  # as lint() runs it
        try:
            prepare(parsed_docs, parsed_docs, Config().kubernetes_version, True)
        finally:
            gc.enable()

    docs = compose()
    findings = len(lint_all().findings)  # type: ignore[attr-defined]
    r: dict[str, Any] = {"file": str(big_file), "bytes": big_file.stat().st_size, "documents": docs}
    r["findings"] = findings
    cli_job, cli_info = cmd_job(ours("-f", "json", "--exit-zero", "--no-context", str(big_file)), child_env())
    samples = interleave(
        {
            "compose": call_job(compose_nogc),
            "compose_gc_on": call_job(compose),
            "lint_foundation": call_job(lint_foundation),
            "lint_all_rules": call_job(lint_all),
            "lint_no_schema": call_job(lint_no_schema),
            "schema_pass": call_job(schema_pass),
            "cli": cli_job,
        },
        dict.fromkeys(
            (
                "compose",
                "compose_gc_on",
                "lint_foundation",
                "lint_all_rules",
                "lint_no_schema",
                "schema_pass",
                "cli",
            ),
            runs,
        ),
    )
    for name, walls in samples.items():
        r[name] = summary(walls, ratio=paired(walls, samples["compose"]))
    r["cli"].update(cli_info)
    r["tracemalloc_peak"] = {
        "compose": traced_peak(compose_nogc),
        "compose_keep_all": traced_peak(compose_keep),
        "lint_all_rules": traced_peak(lint_all),
    }
    r["compose_rss_kib"] = peak_rss_kib(
        [
            PY,
            "-c",
            "import sys; from ruamel.yaml.cyaml import CBaseLoader as L; l = L(open(sys.argv[1]).read())\n"
            "while l.check_node(): l.get_node()",
            str(big_file),
        ]
    )
    return r


def print_floor(r: dict[str, Any]) -> None:
    print(
        f"\n== 2. C-speed floor: {r['documents']:,} Kubernetes documents, {r['bytes']:,} bytes "
        f"({r['findings']} findings)"
    )
    floor = r["compose"]["median_s"]
    print("  (ratio = median of per-round ratios to the floor; lint() pauses the GC, so the floor does too)")
    print(f"  CBaseLoader compose (GC off)     : {ms(floor):>9}   1.00x  (the floor)")
    print(
        f"  CBaseLoader compose (GC on)      : {ms(r['compose_gc_on']['median_s']):>9}   "
        f"{r['compose_gc_on']['ratio']:.2f}x"
    )
    f = r["lint_foundation"]
    print(
        f"  engine.lint, foundation only     : {ms(f['median_s']):>9}   {f['ratio']:.2f}x  "
        f"{verdict(f['ratio'] <= 2)} (<= 2x)"
    )
    a = r["lint_all_rules"]
    print(
        f"  engine.lint, all rules           : {ms(a['median_s']):>9}   {a['ratio']:.2f}x  "
        f"{verdict(a['ratio'] <= 2.5)} (<= 2.5x)"
    )
    n = r["lint_no_schema"]
    print(f"  engine.lint, all but schema-*    : {ms(n['median_s']):>9}   {n['ratio']:.2f}x")
    sp = r["schema_pass"]
    print(f"  schema pass alone (2,000 objects): {ms(sp['median_s']):>9}   {sp['ratio']:.2f}x")
    c = r["cli"]
    print(
        f"  CLI subprocess (-f json)         : {ms(c['median_s']):>9}   {c['ratio']:.2f}x  "
        f"{verdict(c['ratio'] <= 2.5)} (<= 2.5x)   peak RSS {mib(c['peak_rss_kib'])}"
    )
    t = r["tracemalloc_peak"]
    print(
        f"  memory (tracemalloc peak): compose streaming {t['compose'] / 2**20:.1f} MiB, "
        f"compose keeping all nodes {t['compose_keep_all'] / 2**20:.1f} MiB, "
        f"lint {t['lint_all_rules'] / 2**20:.1f} MiB "
        f"({t['lint_all_rules'] / t['compose_keep_all']:.1f}x kept)"
    )
    print(
        f"  memory (peak RSS): compose-only process {mib(r['compose_rss_kib'])}, CLI {mib(c['peak_rss_kib'])}"
    )


# ---------------------------------------------------------------- 3. peers


def corpus_sets(corpus: Path) -> dict[str, list[str]]:
    """The file sets each peer gets, from the corpus tree and INDEX.tsv kinds."""
    dockerfiles = sorted(
        str(p)
        for p in corpus.rglob("*")
        if p.is_file() and (p.name.startswith("Dockerfile") or p.name.endswith(".Dockerfile"))
    )
    kinds: dict[str, list[str]] = {}
    index = corpus / "INDEX.tsv"
    if index.exists():
        for line in index.read_text(encoding="utf-8").splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) >= 2:
                kinds.setdefault(parts[1], []).append(str(corpus / parts[0]))
    return {
        "dockerfile": dockerfiles,
        "k8s": sorted(
            str(p)
            for d in K8S_DIRS
            for p in (corpus / d).rglob("*")
            if p.suffix in (".yaml", ".yml") and p.is_file()
        ),
        "prometheus-rules": sorted(kinds.get("prometheus-rules", [])),
        "alertmanager": sorted(kinds.get("alertmanager", [])),
    }


def peer_binary(name: str, *extra: str) -> str | None:
    """A peer from PATH, next to our interpreter, or one of the given absolute paths."""
    for candidate in (shutil.which(name), str(Path(PY).parent / name), *extra):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def bench_peers(corpus: Path, runs: int, peer_runs: int) -> list[dict[str, Any]]:
    """One call over the whole set per tool; each peer, then ours, on the same files in the same run."""
    sets = corpus_sets(corpus)
    env = child_env()
    hadolint = peer_binary("hadolint")
    checkov = peer_binary("checkov", "/opt/checkov/bin/checkov", "/opt/checkov-bench/bin/checkov")
    promtool = peer_binary("promtool")
    amtool = peer_binary("amtool")
    tasks: list[tuple[str, str, int, list[str] | None, list[str], str]] = [
        (
            "Dockerfiles",
            "hadolint",
            len(sets["dockerfile"]),
            [hadolint, "--no-fail", "-f", "json", *sets["dockerfile"]] if hadolint else None,
            ours("-f", "json", "--exit-zero", *sets["dockerfile"]),
            "x faster, target >= 2",
        ),
        (
            "Kubernetes yaml",
            "checkov",
            len(sets["k8s"]),
            # -f with every file, not several -d: checkov 3.3.30 scans only the first -d folder
            # (and prints its report once per -d)
            [
                checkov,
                "--skip-download",
                "--quiet",
                "--compact",
                "-o",
                "json",
                "--framework",
                "kubernetes",
                "-f",
                *sets["k8s"],
            ]
            if checkov
            else None,
            ours("-f", "json", "--exit-zero", *sets["k8s"]),
            "x faster, target >= 15",
        ),
        (
            "Prometheus rules",
            "promtool",
            len(sets["prometheus-rules"]),
            [promtool, "check", "rules", *sets["prometheus-rules"]] if promtool else None,
            ours("-f", "json", "--exit-zero", "--type", "prometheus-rules", *sets["prometheus-rules"]),
            "x faster",
        ),
        (
            "Alertmanager configs",
            "amtool",
            len(sets["alertmanager"]),
            [amtool, "check-config", *sets["alertmanager"]] if amtool else None,
            ours("-f", "json", "--exit-zero", "--type", "alertmanager", *sets["alertmanager"]),
            "x faster",
        ),
    ]
    rows = []
    for task, peer, nfiles, peer_cmd, our_cmd, target in tasks:
        row: dict[str, Any] = {"task": task, "peer": peer, "files": nfiles, "target": target}
        if not nfiles:
            row["skipped"] = "no such files in the corpus"
        elif peer_cmd is None:
            row["skipped"] = f"{peer} not installed"
        else:
            print(f"  {task}: {peer} x{peer_runs}, manifestlint x{runs} ...", flush=True)
            peer_job, peer_info = cmd_job(peer_cmd, env)
            our_job, our_info = cmd_job(our_cmd, env)
            samples = interleave({"peer": peer_job, "ours": our_job}, {"peer": peer_runs, "ours": runs})
            row["peer_result"] = summary(samples["peer"], **peer_info)
            row["ours_result"] = summary(samples["ours"], **our_info)
            row["ours_result"]["findings"] = findings_count(our_info["_stdout"])
            row["ratio"] = row["peer_result"]["median_s"] / row["ours_result"]["median_s"]
        rows.append(row)
    return rows


def print_peers(rows: list[dict[str, Any]]) -> None:
    print("\n== 3. Peers, one call over the whole set each (ratio = peer median / ours median)")
    header = (
        f"  {'task':<21} {'peer':<9} {'files':>5} {'peer median':>12} {'ours median':>12} {'ratio':>7}  "
        f"{'peer RSS':>9} {'ours RSS':>9}"
    )
    print(header)
    for row in rows:
        if "skipped" in row:
            print(f"  {row['task']:<21} {row['peer']:<9} {row['files']:>5}  skipped: {row['skipped']}")
            continue
        p, o = row["peer_result"], row["ours_result"]
        print(
            f"  {row['task']:<21} {row['peer']:<9} {row['files']:>5} "
            f"{ms(p['median_s']):>12} {ms(o['median_s']):>12} {row['ratio']:>6.1f}x  "
            f"{mib(p['peak_rss_kib']):>9} {mib(o['peak_rss_kib']):>9}   ({row['target']})"
        )


# ---------------------------------------------------------------- 4. where users wait

# A tiny launcher between the benchmark and the measured call: its getrusage(RUSAGE_CHILDREN)
# gives the child's CPU time and peak RSS. Not measured from this process: Python spawns with
# vfork and Linux carries the parent's high-water RSS into the exec'd child, so a child of the
# (large) benchmark process would report the benchmark's own peak; the launcher's own ~10 MiB
# is the most that can leak into a figure this way.
LAUNCHER = """
import json, resource, subprocess, sys, time
out = open(sys.argv[2], "wb") if sys.argv[2] != "-" else subprocess.DEVNULL
start = time.perf_counter()
proc = subprocess.run(
    sys.argv[3:], cwd=sys.argv[1], stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
)
wall = time.perf_counter() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, proc.returncode]))
"""


def measured(cmd: list[str], cwd: Path, env: dict[str, str], stdout: Path | None = None) -> dict[str, Any]:
    """One call of `cmd` in `cwd`: wall and CPU seconds, peak RSS (KiB) and exit code, from the
    launcher's getrusage of its child."""
    out = subprocess.run(
        [PY, "-c", LAUNCHER, str(cwd), str(stdout) if stdout else "-", *cmd],
        capture_output=True, text=True, env=env, check=True,
    ).stdout  # fmt: skip
    wall, cpu, rss, code = json.loads(out.strip().splitlines()[-1])
    return {"wall": wall, "cpu": cpu, "rss_kib": rss, "exit_code": code}


BASELINE_SRC: Path | None = None  # --baseline SRC: every section-4 call also runs from there


def measured_series(
    jobs: dict[str, tuple[list[str], Path]],
    runs: int,
    env: dict[str, str],
    warm_up: bool = True,
    floor: tuple[Path, list[float]] | None = None,
    no_baseline: tuple[str, ...] = (),
) -> dict[str, dict[str, Any]]:
    """Each command `runs` times, round-robin after one untimed warm-up call each; medians of
    wall, CPU and peak RSS, and the per-round samples (for paired ratios). With --baseline,
    each manifestlint call also runs from the baseline tree in the same round ("NAME@before"),
    so before and after are measured side by side. `floor` (file, list): the C compose floor
    of that file is measured once per round too, appended to the list, so that CPU ratios to
    it pair calls and floor measured moments apart (another process's load moves both)."""
    envs = {name: env for name in jobs}
    if BASELINE_SRC is not None:
        before = dict(env, PYTHONPATH=os.pathsep.join((str(BASELINE_SRC), os.environ.get("PYTHONPATH", ""))))
        # Its own context cache: a cache written by another version is rebuilt, and the
        # rebuild removes the other version's files, so two trees sharing one folder would
        # make every call of both a cold one.
        before["MANIFESTLINT_CACHE_DIR"] = ".manifestlint_cache_before"
        for name, job in list(jobs.items()):
            if "manifestlint" in job[0] and name not in no_baseline:
                jobs[f"{name}@before"] = job
                envs[f"{name}@before"] = before
    for name, (cmd, cwd) in jobs.items() if warm_up else ():
        measured(cmd, cwd, envs[name])
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, (cmd, cwd) in jobs.items():
            samples[name].append(measured(cmd, cwd, envs[name]))
        if floor is not None:
            floor[1].append(compose_cpu(floor[0], 1)[0])
    out = {}
    for name, rows in samples.items():
        out[name] = {
            "cmd": jobs[name][0],
            "wall_s": statistics.median(r["wall"] for r in rows),
            "cpu_s": statistics.median(r["cpu"] for r in rows),
            "peak_rss_kib": max(r["rss_kib"] for r in rows),
            "exit_code": rows[-1]["exit_code"],
            "walls": [r["wall"] for r in rows],
            "cpus": [r["cpu"] for r in rows],
        }
    return out


def bench_dockerfiles(corpus: Path, runs: int) -> dict[str, Any] | None:
    """The Dockerfile rows side by side, CPU and wall: hadolint, manifestlint with its default
    rules, and with docker-shellcheck turned on (one ShellCheck process for all files); with
    --baseline also the default rules from the baseline tree. Issue 21's targets: >= 15x
    hadolint without ShellCheck, >= 5x with it (else docker-shellcheck stays opt-in)."""
    files = corpus_sets(corpus)["dockerfile"]
    hadolint = peer_binary("hadolint")
    if not files or hadolint is None:
        print("\n== 3d. Dockerfiles: skipped (no corpus Dockerfiles or no hadolint)")
        return None
    jobs = {
        "hadolint": ([hadolint, "--no-fail", "-f", "json", *files], REPO),
        "manifestlint": (ours("-f", "json", "--exit-zero", *files), REPO),
        "manifestlint+shellcheck": (
            ours("-f", "json", "--exit-zero", "--select", "docker,docker-shellcheck", *files),
            REPO,
        ),
    }
    print(f"\n== 3d. Dockerfiles: {len(files)} corpus files, one call each, {runs} rounds round-robin")
    rows = measured_series(jobs, runs, child_env(), no_baseline=("manifestlint+shellcheck",))
    peer = rows["hadolint"]
    print(f"  {'call':<28} {'wall median':>12} {'CPU median':>11} {'x hadolint wall':>16} {'x CPU':>7}")
    for name, row in rows.items():
        row["x_wall"] = peer["wall_s"] / row["wall_s"]
        row["x_cpu"] = peer["cpu_s"] / row["cpu_s"]
        print(
            f"  {name:<28} {ms(row['wall_s']):>12} {ms(row['cpu_s']):>11} {row['x_wall']:>15.1f}x "
            f"{row['x_cpu']:>6.1f}x"
        )
    return rows


def make_monorepo(folder: Path, files: int, seed: int = 7) -> Path:
    """A git repository of `files` app bundles (scripts/gen_k8s_docs.py `app_bundle`: 10
    documents each) in 40 namespace folders, committed, with one file edited and staged: what
    pre-commit names. Returns the staged file (relative to `folder`)."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True)
    for i in range(files):
        ns = f"team-{i % 40:02d}"
        target = folder / "deploy" / ns / f"app-{i:05d}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(app_bundle(i, rnd, ns), encoding="utf-8")
    git = ["git", "-C", str(folder), "-c", "user.email=bench@example.com", "-c", "user.name=bench"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], check=True)
    staged = Path("deploy") / "team-07" / f"app-{7:05d}.yaml"
    with (folder / staged).open("a", encoding="utf-8") as f:
        f.write("# edited\n")
    subprocess.run([*git, "add", str(staged)], check=True)
    return staged


KUSTOMIZE_TEAMS = 40


def make_kustomize_monorepo(folder: Path, files: int, seed: int = 7, teams: int = KUSTOMIZE_TEAMS) -> Path:
    """The monorepo of `make_monorepo` laid out the Kustomize way: each app folder a base
    (`deploy/team-NN/app-NNNNN/{app.yaml,kustomization.yaml}`), each team a `staging` and a
    `prod` overlay over its apps (`deploy/team-NN/overlays/ENV/`: `namespace`, `commonLabels`,
    an `images:` rewrite of the team's first app and one strategic-merge patch of its api
    Deployment). `files` app files, plus one kustomization per app and 4 files per team;
    committed, one app file edited and staged. Returns the staged file (relative)."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True)
    apps: dict[int, list[str]] = {}
    for i in range(files):
        team = i % teams
        base = folder / "deploy" / f"team-{team:02d}" / f"app-{i:05d}"
        base.mkdir(parents=True, exist_ok=True)
        (base / "app.yaml").write_text(app_bundle(i, rnd, f"team-{team:02d}"), encoding="utf-8")
        (base / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - app.yaml\n",
            encoding="utf-8",
        )
        apps.setdefault(team, []).append(f"app-{i:05d}")
    for team, names in apps.items():
        first = names[0]
        for env, replicas in (("staging", 1), ("prod", 3)):
            overlay = folder / "deploy" / f"team-{team:02d}" / "overlays" / env
            overlay.mkdir(parents=True, exist_ok=True)
            lines = [
                "apiVersion: kustomize.config.k8s.io/v1beta1",
                "kind: Kustomization",
                f"namespace: team-{team:02d}-{env}",
                "commonLabels:",
                f"  team: team-{team:02d}",
                f"  env: {env}",
                "resources:",
                *(f"  - ../../{name}" for name in names),
                "images:",
                f"  - name: ghcr.io/acme/{first}-api",
                f"    newTag: {env}-1.0.{team}",
                "patchesStrategicMerge:",
                "  - replicas.yaml",
            ]
            (overlay / "kustomization.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
            patch = [
                "apiVersion: apps/v1",
                "kind: Deployment",
                "metadata:",
                f"  name: {first}-api",
                f"  namespace: team-{team:02d}",  # the base's, before the overlay's namespace
                "spec:",
                f"  replicas: {replicas}",
            ]
            (overlay / "replicas.yaml").write_text("\n".join(patch) + "\n", encoding="utf-8")
    git = ["git", "-C", str(folder), "-c", "user.email=bench@example.com", "-c", "user.name=bench"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], check=True)
    staged = Path("deploy") / f"team-{7 % teams:02d}" / f"app-{7:05d}" / "app.yaml"
    with (folder / staged).open("a", encoding="utf-8") as f:
        f.write("# edited\n")
    subprocess.run([*git, "add", str(staged)], check=True)
    return staged


def compose_cpu(path: Path, runs: int) -> list[float]:
    """CPU seconds of composing `path` with the C loader, GC paused (the floor), `runs` times."""
    from ruamel.yaml.cyaml import CBaseLoader

    out = []
    text_once = path.read_text(encoding="utf-8")
    for _ in range(runs + 1):
        gc.disable()
        start = time.process_time()
        try:
            loader = CBaseLoader(path.read_text(encoding="utf-8"))
            try:
                while loader.check_node():
                    loader.get_node()
            finally:
                loader.dispose()
        finally:
            gc.enable()
        out.append(time.process_time() - start)
    del text_once
    return out[1:]


# A cold call: the context cache removed first (inside the measured call: rmtree of a few
# dozen files, noise next to parsing the repository), then the usual `python -m manifestlint`.
COLD_CALL = (
    "import runpy, shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True); "
    "sys.argv = ['manifestlint', *sys.argv[2:]]; runpy.run_module('manifestlint', run_name='__main__')"
)


def cold(cache: Path, *args: str) -> list[str]:
    return [PY, "-c", COLD_CALL, str(cache), "lint", *args]


def bench_users(
    runs: int,
    big_repo: bool,
    tmp: Path,
    heavy_runs: int = 1,
    monorepo_only: bool = False,
    cpu_only: bool = False,
) -> dict[str, Any]:
    """The calls users wait for: one staged file in a monorepo (pre-commit), the realistic mix
    with SARIF out (CI), and SARIF on the 2,000-document file.

    The one-file call is measured warm (the context cache written by the previous call: what
    every pre-commit call but the first meets), cold (the cache removed first: the first call,
    and what it costs to write the cache), with `--no-cache` (every context file parsed: the
    call as it was before the cache) and with `--no-context`. Cold and `--no-cache` calls take
    seconds to minutes, so they run `heavy_runs` times each, without a warm-up of their own
    (the warm series' warm-up has read the repository into the page cache). `cpu_only` skips
    the repositories: only the mix (4b) and the 2,000-document file (4c)."""
    env = child_env()
    r: dict[str, Any] = {"monorepo": [], "mix": [], "sarif": None}
    sizes = [] if cpu_only else [500, 5000] + ([20000] if big_repo else [])
    for files in sizes:
        repo = tmp / f"repo-{files}"
        print(f"  monorepo of {files:,} files: generating ...", flush=True)
        staged = make_monorepo(repo, files)
        size = sum(p.stat().st_size for p in (repo / "deploy").rglob("*.yaml"))
        cache = repo / ".manifestlint_cache"
        jobs = {
            "python_c_pass": ([PY, "-c", "pass"], repo),
            "one_file": (ours("--exit-zero", str(staged)), repo),  # warm: its warm-up writes the cache
            "one_file_no_context": (ours("--exit-zero", "--no-context", str(staged)), repo),
        }
        print(f"  monorepo of {files:,} files: warm calls ...", flush=True)
        res = measured_series(jobs, runs, env)
        bare = res["python_c_pass"]["walls"]
        print(f"  monorepo of {files:,} files: cold and --no-cache calls ...", flush=True)
        heavy = {
            "one_file_cold": (cold(cache, "--exit-zero", str(staged)), repo),
            "one_file_no_cache": (ours("--exit-zero", "--no-cache", str(staged)), repo),
        }
        res.update(measured_series(heavy, heavy_runs, env, warm_up=False))
        cache_bytes = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) if cache.is_dir() else 0
        row = {"files": files, "documents": files * 10, "bytes": size, "cache_bytes": cache_bytes, **res}
        for name in variants(res, ("one_file", "one_file_no_context")):
            row[name]["ratio"] = paired(res[name]["walls"], bare)
        for name in variants(res, ("one_file_cold", "one_file_no_cache")):
            row[name]["ratio"] = res[name]["wall_s"] / statistics.median(bare)
        r["monorepo"].append(row)
        shutil.rmtree(repo)
        r.setdefault("kustomize", []).append(bench_kustomize_monorepo(files, runs, env, tmp, heavy_runs))
    if monorepo_only:
        return r
    for docs in (2000, 20000):
        path = tmp / f"mix-{docs}.yaml"
        path.write_text(realistic(docs), encoding="utf-8")
        print(f"  realistic mix of {docs:,} documents, SARIF out ...", flush=True)
        floors: list[float] = []
        calls = {"sarif": (ours("-f", "sarif", "--exit-zero", str(path)), tmp)}
        res = measured_series(calls, runs, env, floor=(path, floors))
        size = path.stat().st_size
        row = {"documents": docs, "bytes": size, "floor_cpu_s": statistics.median(floors), **res}
        for name in variants(res, ("sarif",)):
            row[name]["cpu_ratio"] = paired(res[name]["cpus"], floors)
            row[name]["rss_per_input_byte"] = res[name]["peak_rss_kib"] * 1024 / row["bytes"]
        r["mix"].append(row)
    big = tmp / "k8s-2000.yaml"
    if not big.exists():
        big.write_text(generate(2000), encoding="utf-8")
    print("  2,000-document file: text, json, sarif ...", flush=True)
    calls = {
        fmt: (ours("-f", fmt, "--exit-zero", "--no-context", str(big)), tmp)
        for fmt in ("text", "json", "sarif")
    }
    # the same JSON call without the schema-* rules (the schema pass then does not run at all):
    # the paired difference is what schema validation costs the whole CLI (issue 11)
    calls["json_no_schema"] = (
        ours("-f", "json", "--exit-zero", "--no-context", "--ignore", "schema", str(big)),
        tmp,
    )
    floors = []
    res = measured_series(calls, runs, env, floor=(big, floors))
    floor = statistics.median(floors)
    for name in res:
        res[name]["cpu_ratio"] = paired(res[name]["cpus"], floors)
    if "json" in res:
        cost = [a - b for a, b in zip(res["json"]["cpus"], res["json_no_schema"]["cpus"], strict=True)]
        res["json"]["schema_cpu_s"] = statistics.median(cost)
        res["json"]["schema_cpu_ratio"] = paired(cost, floors)
    r["sarif"] = {"documents": 2000, "bytes": big.stat().st_size, "floor_cpu_s": floor, **res}
    return r


def bench_kustomize_monorepo(files: int, runs: int, env: dict[str, str], tmp: Path, heavy_runs: int) -> dict:
    """One staged file in the Kustomize monorepo of `files` apps (make_kustomize_monorepo):
    warm, cold and with --no-cache, as the plain monorepo's rows (issue 23: warm <= 30x
    `python -c pass` and <= 150 MB at 5,000 files, <= 1.5x that at 20,000)."""
    repo = tmp / f"kustomize-{files}"
    print(f"  Kustomize monorepo of {files:,} apps: generating ...", flush=True)
    staged = make_kustomize_monorepo(repo, files)
    cache = repo / ".manifestlint_cache"
    jobs = {
        "python_c_pass": ([PY, "-c", "pass"], repo),
        "one_file": (ours("--exit-zero", str(staged)), repo),  # warm: its warm-up writes the cache
    }
    res = measured_series(jobs, runs, env)
    bare = res["python_c_pass"]["walls"]
    heavy = {
        "one_file_cold": (cold(cache, "--exit-zero", str(staged)), repo),
        "one_file_no_cache": (ours("--exit-zero", "--no-cache", str(staged)), repo),
    }
    res.update(measured_series(heavy, heavy_runs, env, warm_up=False))
    row = {"files": files, **res}
    for name in variants(res, ("one_file",)):
        row[name]["ratio"] = paired(res[name]["walls"], bare)
    for name in variants(res, ("one_file_cold", "one_file_no_cache")):
        row[name]["ratio"] = res[name]["wall_s"] / statistics.median(bare)
    shutil.rmtree(repo)
    return row


def print_kustomize(rows: list[dict[str, Any]]) -> None:
    """The Kustomize monorepo rows (bench_kustomize_monorepo), with issue 23's aims."""
    if not rows:
        return
    print("  a') pre-commit in a Kustomize monorepo: each app a base, staging/prod overlays per team")
    warm_5k = None
    for row in rows:
        bare = row["python_c_pass"]
        for name in variants(row, ("one_file", "one_file_cold", "one_file_no_cache")):
            m = row[name]
            aim = ""
            if name == "one_file" and row["files"] == 5000:
                warm_5k = m["wall_s"]
                aim = f"  {verdict(m['ratio'] <= 30 and m['peak_rss_kib'] <= 150 * 1024)} (<= 30x, <= 150 MB)"
            if name == "one_file" and row["files"] == 20000 and warm_5k:
                grown = m["wall_s"] / warm_5k
                aim = f"  {grown:.2f}x the 5,000-app call: {verdict(grown <= 1.5)} (<= 1.5x)"
            label = {"one_file": "one_file (warm cache)"}.get(name, name)
            print(
                f"    {row['files']:>6,} apps {label:<26}: {ms(m['wall_s']):>9} {m['ratio']:6.1f}x "
                f"python -c pass ({ms(bare['wall_s'])})  peak RSS {mib(m['peak_rss_kib'])}{aim}"
            )


def variants(res: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    """Each name, followed by its `NAME@before` row when a baseline was measured."""
    return [v for name in names for v in (name, f"{name}@before") if v in res]


def print_users(r: dict[str, Any]) -> None:
    print("\n== 4. Where users wait (medians; CPU and peak RSS from getrusage of the child)")
    if r["monorepo"]:
        print("  a) pre-commit: one staged file named in a generated git repo of app bundles (10 docs/file)")
    warm_5k = None
    for row in r["monorepo"]:
        bare = row["python_c_pass"]
        names = ("one_file", "one_file_cold", "one_file_no_cache", "one_file_no_context")
        for name in variants(row, names):
            m = row[name]
            aim = ""
            if name == "one_file" and row["files"] == 5000:
                warm_5k = m["wall_s"]
                aim = f"  {verdict(m['ratio'] <= 30 and m['peak_rss_kib'] <= 300 * 1024)} (<= 30x, <= 300 MB)"
            if name == "one_file" and row["files"] == 20000 and warm_5k:
                grown = m["wall_s"] / warm_5k
                aim = f"  {grown:.2f}x the 5,000-file call: {verdict(grown <= 1.5)} (<= 1.5x)"
            label = {"one_file": "one_file (warm cache)"}.get(name, name)
            print(
                f"    {row['files']:>6,} files ({row['bytes'] / 2**20:,.0f} MiB) {label:<26}: "
                f"{ms(m['wall_s']):>9} {m['ratio']:6.1f}x python -c pass ({ms(bare['wall_s'])})  "
                f"peak RSS {mib(m['peak_rss_kib'])}{aim}"
            )
        print(f"    {row['files']:>6,} files: context cache {row['cache_bytes'] / 2**20:,.1f} MiB on disk")
    print(
        "  b) realistic mix in one call, -f sarif (CPU time; ratio: median of per-round ratios to the C "
        "compose floor's CPU time, measured in the same rounds)"
    )
    for row in r["mix"]:
        for name in variants(row, ("sarif",)):
            m = row[name]
            aim = ""
            if row["documents"] == 20000 and name == "sarif":
                ok_mem = verdict(m["rss_per_input_byte"] <= 20)
                aim = f"  {verdict(m['cpu_ratio'] <= 3)} (<= 3x), memory {ok_mem} (<= 20x)"
            print(
                f"    {row['documents']:>6,} docs ({row['bytes'] / 2**20:.1f} MiB) {name:<13}: "
                f"CPU {ms(m['cpu_s']):>9} {m['cpu_ratio']:5.2f}x floor ({ms(row['floor_cpu_s'])})  "
                f"wall {ms(m['wall_s'])}  peak RSS {mib(m['peak_rss_kib'])} "
                f"({m['rss_per_input_byte']:.0f}x the input){aim}"
            )
    s = r["sarif"]
    if s is None:
        return
    print(
        f"  c) 2,000-document file ({s['bytes']:,} bytes), whole CLI, --no-context "
        f"(CPU, per-round ratio to the floor, median {ms(s['floor_cpu_s'])})"
    )
    for name in variants(s, ("text", "json", "json_no_schema", "sarif")):
        m = s[name]
        aim = f"  {verdict(m['cpu_ratio'] <= 2.5)} (<= 2.5x)" if name in ("sarif", "json") else ""
        if "schema_cpu_s" in m:
            aim += f"; schema validation {ms(m['schema_cpu_s'])} = {m['schema_cpu_ratio']:.2f}x (paired)"
        print(
            f"    -f {name:<15}: CPU {ms(m['cpu_s']):>9}  {m['cpu_ratio']:5.2f}x floor  "
            f"wall {ms(m['wall_s'])}  peak RSS {mib(m['peak_rss_kib'])}{aim}"
        )


# ---------------------------------------------------------------- 5. memory

POD = """apiVersion: v1
kind: Pod
metadata:
  name: pod-{i}
  labels: {{app: pod-{i}}}
spec:
  containers:
  - name: app
    image: registry.example.com/team/app:{i}
    ports: [{{containerPort: 8080}}]
    env:
    - {{name: MODE, value: production}}
"""


def memory_inputs(folder: Path) -> list[tuple[str, Path, list[str], int]]:
    """(name, path, extra CLI options, input bytes) of the memory rows: the shapes issue 8 and
    issue 10 name (a 10 MB flat list, 1 MB of Pods in 300 files written as SARIF, the
    20,000-document mix) and the shapes that cost the most per input byte (empty collections
    in a flow list, many tiny documents)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    flat = folder / "flat-list.yaml"
    flat.write_text("".join(f"- item-{i:07d}\n" for i in range(666_000)), encoding="utf-8")
    rows.append(("10 MB flat list (666,000 items), -f json", flat, ["-f", "json"]))
    pods = folder / "pods"
    pods.mkdir(exist_ok=True)
    count = 0
    for f in range(300):
        text = "---\n".join(POD.format(i=f * 100 + k) for k in range(11))
        (pods / f"pods-{f:03d}.yaml").write_text(text, encoding="utf-8")
        count += 11
    rows.append((f"1 MB of Pods in 300 files ({count:,} Pods), -f sarif", pods, ["-f", "sarif"]))
    mix = folder / "mix-20000.yaml"
    mix.write_text(realistic(20000), encoding="utf-8")
    rows.append(("realistic mix, 20,000 documents, -f sarif", mix, ["-f", "sarif"]))
    empties = folder / "empty-maps.yaml"
    half = "[" + "{}, " * 900_000 + "{}]\n"
    empties.write_text(half + "---\n" + half, encoding="utf-8")
    rows.append(("1,800,000 empty mappings in flow lists, -f json", empties, ["-f", "json"]))
    tiny = folder / "tiny-docs.yaml"
    tiny.write_text("---\na: b\n" * 1_000_000, encoding="utf-8")
    rows.append(("1,000,000 tiny documents (`a: b`), -f json", tiny, ["-f", "json"]))
    out = []
    for name, path, opts in rows:
        size = sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size
        out.append((name, path, opts, size))
    return out


def bench_memory(tmp: Path) -> list[dict[str, Any]]:
    """Peak RSS of one CLI call per input (and from --baseline's tree, in the same run), as a
    multiple of the input's bytes. One call each: peak RSS barely moves between runs."""
    env = child_env()
    trees = {"after": env}
    if BASELINE_SRC is not None:
        path = os.pathsep.join((str(BASELINE_SRC), os.environ.get("PYTHONPATH", "")))
        trees["before"] = dict(env, PYTHONPATH=path)
    rows = []
    for name, path, opts, size in memory_inputs(tmp / "memory"):
        print(f"  {name} ...", flush=True)
        row: dict[str, Any] = {"name": name, "bytes": size}
        for tree, tree_env in trees.items():
            m = measured(ours(*opts, "--exit-zero", str(path)), tmp, tree_env)
            m["rss_per_input_byte"] = m["rss_kib"] * 1024 / size
            row[tree] = m
        rows.append(row)
    return rows


def print_memory(rows: list[dict[str, Any]]) -> None:
    print("\n== 5. Memory: peak RSS of one CLI call as a multiple of the input bytes (aim <= 40x)")
    for row in rows:
        for tree in ("before", "after"):
            m = row.get(tree)
            if m is None:
                continue
            print(
                f"    {row['name']:<52} {tree:<6}: {row['bytes'] / 2**20:5.1f} MiB in, peak RSS "
                f"{mib(m['rss_kib']):>9} = {m['rss_per_input_byte']:5.1f}x  CPU {ms(m['cpu'])}  "
                f"{verdict(m['rss_per_input_byte'] <= 40)}"
            )


# ---------------------------------------------------------------- 6. stages

# Budget per pipeline stage of the corpus call: its CPU time may be at most this multiple of
# the same stage in the --baseline tree (issue 23: the corpus call at <= 1.1x the first
# release's CPU). A stage over its budget is flagged in its row, so a change that slows one
# stage shows there even when another stage got faster.
STAGE_BUDGETS = {"start-up": 1.1, "read/parse": 1.1, "project model": 1.1, "rules": 1.1, "report": 1.1}
TOTAL_BUDGET = 1.1

# Runs the command line in-process as `python -m manifestlint` does, with the engine's stage
# functions wrapped to add up their CPU time, and prints the stages when the process ends.
# The names it wraps exist in every tree since the first release: engine.discover and
# engine.read_source (read/parse: the named files, and in the first release its context
# files too), the rule runner (runner.run_rule, the first release's engine._run_rule: the rule
# functions themselves), engine.lint (the whole engine); the project model is the rest of
# engine.lint (project model, schema preparation, bundles, suppressions and the engine's own
# work between rule calls); start-up is everything before engine.lint (interpreter, imports,
# registry, configuration, discovery of the config file), report everything after it (the
# output format, writing it). The wrappers cost about 1 us per rule call, in both trees.
STAGES_SNIPPET = """
import json, os, runpy, sys, time
acc = {"read": 0.0, "rules": 0.0, "lint": 0.0}
marks = {}
def wrap(module, name, key):
    fn = getattr(module, name, None)
    if fn is None:
        return False
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            end = time.process_time()
            acc[key] += end - start
            if key == "lint":
                marks.setdefault("lint_start", start)
                marks["lint_end"] = end
    setattr(module, name, timed)
    return True
import manifestlint.engine as engine
wrap(engine, "discover", "read")
wrap(engine, "read_source", "read")
if not wrap(engine, "_run_rule", "rules"):
    import manifestlint.runner as runner
    wrap(runner, "run_rule", "rules")
wrap(engine, "lint", "lint")
def report():
    end = time.process_time()
    stages = {
        "start-up": marks.get("lint_start", end), "read/parse": acc["read"],
        "project model": acc["lint"] - acc["read"] - acc["rules"], "rules": acc["rules"],
        "report": end - marks.get("lint_end", end), "total": end,
    }
    sys.stderr.write("STAGES " + json.dumps(stages) + "\\n")
    sys.stderr.flush()
real_exit = os._exit
def _exit(code):
    report()
    real_exit(code)
os._exit = _exit
sys.argv = ["manifestlint", *sys.argv[1:]]
try:
    runpy.run_module("manifestlint", run_name="__main__")
except SystemExit:
    report()
"""


def stage_times(args: list[str], env: dict[str, str]) -> dict[str, float] | None:
    """CPU seconds per stage of one `manifestlint ARGS` call (STAGES_SNIPPET), or None."""
    proc = subprocess.run(
        [PY, "-c", STAGES_SNIPPET, *args],
        capture_output=True, text=True, env=env, check=False, cwd=NEUTRAL_CWD,
    )  # fmt: skip
    for line in reversed(proc.stderr.splitlines()):
        if line.startswith("STAGES "):
            return json.loads(line[len("STAGES ") :])
    return None


def bench_stages(corpus: Path, runs: int) -> dict[str, Any]:
    """The corpus call (`lint -f json` over the whole corpus) split into pipeline stages, CPU
    time of each, side by side with the --baseline tree in the same rounds (interleaved), and
    each stage's ratio (median of the per-round ratios) against its budget."""
    args = ["lint", "-f", "json", "--exit-zero", str(corpus)]
    envs = {"after": child_env()}
    if BASELINE_SRC is not None:
        envs["before"] = dict(
            child_env(), PYTHONPATH=os.pathsep.join((str(BASELINE_SRC), os.environ.get("PYTHONPATH", "")))
        )
    for env in envs.values():
        stage_times(args, env)  # warm-up: page cache, .pyc files
    samples: dict[str, list[dict[str, float]]] = {tree: [] for tree in envs}
    for _ in range(runs):
        for tree, env in envs.items():
            found = stage_times(args, env)
            if found is not None:
                samples[tree].append(found)
    out: dict[str, Any] = {"args": args, "runs": runs, "stages": {}}
    names = [*STAGE_BUDGETS, "total"]
    for name in names:
        row: dict[str, Any] = {}
        for tree, rows in samples.items():
            if rows:
                row[f"{tree}_cpu_s"] = statistics.median(r[name] for r in rows)
        before, after = samples.get("before") or [], samples["after"]
        pairs = [(a[name], b[name]) for a, b in zip(after, before, strict=False) if b[name] > 0]
        if pairs:
            row["ratio"] = statistics.median(a / b for a, b in pairs)
            row["budget"] = STAGE_BUDGETS.get(name, TOTAL_BUDGET)
        out["stages"][name] = row
    return out


def print_stages(r: dict[str, Any]) -> None:
    print(
        f"\n== 6. Stages of the corpus call (`{' '.join(r['args'][:4])} CORPUS`): CPU per stage, median of "
        f"{r['runs']} interleaved runs; ratio = median of per-round ratios to the baseline tree"
    )
    for name, row in r["stages"].items():
        after = ms(row["after_cpu_s"]) if "after_cpu_s" in row else "n/a"
        line = f"  {name:<14}: {after:>9}"
        if "before_cpu_s" in row:
            line += f"   baseline {ms(row['before_cpu_s']):>9}"
        if "ratio" in row:
            over = row["ratio"] > row["budget"]
            line += f"   {row['ratio']:5.2f}x  budget <= {row['budget']}x  {'OVER BUDGET' if over else 'ok'}"
        print(line)


# ---------------------------------------------------------------- main


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def strip_private(obj: Any) -> Any:
    """Drop captured stdout (keys starting with '_') before writing JSON."""
    if isinstance(obj, dict):
        return {k: strip_private(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [strip_private(v) for v in obj]
    return obj


def main() -> int:
    parser = argparse.ArgumentParser(description="manifestlint speed benchmark (see the module docstring).")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement of ours (median)")
    parser.add_argument("--peer-runs", type=int, default=3, help="runs per peer measurement (median)")
    parser.add_argument("--docs", type=int, default=2000, help="documents in the generated Kubernetes file")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--quick", action="store_true", help="1 run, no peers: a smoke test")
    parser.add_argument("--no-peers", action="store_true", help="skip the peer comparison")
    parser.add_argument(
        "--only-dockerfiles",
        action="store_true",
        help="only the Dockerfile rows: hadolint, manifestlint, manifestlint with docker-shellcheck "
        "(--baseline: also the baseline tree), CPU and wall",
    )
    parser.add_argument(
        "--only-users",
        action="store_true",
        help="only section 4 (where users wait): skip startup, floor, peers",
    )
    parser.add_argument(
        "--baseline", type=Path, help="a src/ folder of another tree: section 4 also runs it, side by side"
    )
    parser.add_argument("--no-users", action="store_true", help="skip section 4 (monorepo, mix, SARIF)")
    parser.add_argument(
        "--memory", action="store_true", help="also section 5: peak memory per input byte (a few minutes)"
    )
    parser.add_argument(
        "--users-cpu-only",
        action="store_true",
        help="section 4: only the CPU rows (4b realistic mix, 4c 2,000-document file), no repositories",
    )
    parser.add_argument(
        "--only-startup", action="store_true", help="only section 1 (--baseline: both trees side by side)"
    )
    parser.add_argument("--only-memory", action="store_true", help="only section 5 (--baseline: both trees)")
    parser.add_argument(
        "--only-stages",
        action="store_true",
        help="only section 6: the corpus call split into stages (--baseline: both trees, with budgets)",
    )
    parser.add_argument("--no-stages", action="store_true", help="skip section 6 (the corpus call by stage)")
    parser.add_argument(
        "--monorepo-20k",
        action="store_true",
        help="also the 20,000-file repository (its cold and --no-cache calls take minutes)",
    )
    parser.add_argument(
        "--heavy-runs",
        type=int,
        default=1,
        help="runs of the cold and --no-cache one-file calls per repository (median; default 1)",
    )
    parser.add_argument(
        "--monorepo-only",
        action="store_true",
        help="section 4: only the one-file calls in generated repositories (no mix, no SARIF rows)",
    )
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    global BASELINE_SRC
    BASELINE_SRC = args.baseline.resolve() if args.baseline else None
    info = machine()
    print(
        f"manifestlint bench  {info['date']}  nproc={info['nproc']}  cpu={info['cpu']}  "
        f"python {info['python']}"
    )
    print(f"interpreter: {PY}   runs={runs} peer-runs={args.peer_runs}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (a busy machine inflates every figure)")
    report: dict[str, Any] = {"machine": info, "runs": runs, "peer_runs": args.peer_runs}
    report["loadavg_start"] = os.getloadavg()[0]
    if args.only_stages:
        corpus = corpus_dir()
        if corpus is None:
            print("\n== 6. Stages: skipped, no corpus found (set MANIFESTLINT_CORPUS)")
        else:
            report["stages"] = bench_stages(corpus, runs)
            print_stages(report["stages"])
        if args.json:
            args.json.write_text(json.dumps(strip_private(report), indent=2) + "\n", encoding="utf-8")
        print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
        return 0
    if args.only_dockerfiles:
        corpus = corpus_dir()
        report["dockerfiles"] = bench_dockerfiles(corpus, runs) if corpus is not None else None
        if args.json:
            args.json.write_text(json.dumps(strip_private(report), indent=2) + "\n", encoding="utf-8")
        print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
        return 0
    with tempfile.TemporaryDirectory(prefix="manifestlint-bench-") as tmp:
        big = Path(tmp) / "k8s-2000.yaml"
        big.write_text(generate(args.docs), encoding="utf-8")
        small = Path(tmp) / "deployment.yaml"
        small.write_text(deployment(0, random.Random(3)) + "\n", encoding="utf-8")  # one realistic Deployment

        if args.memory or args.only_memory:
            report["memory"] = bench_memory(Path(tmp))
            print_memory(report["memory"])

        if not (args.only_users or args.only_memory):
            report["startup"] = bench_startup(small, runs)
            print_startup(report["startup"])

        if not (args.only_users or args.only_memory or args.only_startup):
            report["floor"] = bench_floor(big, runs)
            print_floor(report["floor"])

        if not (args.no_users or args.only_memory or args.only_startup):
            report["users"] = bench_users(
                runs, args.monorepo_20k, Path(tmp), args.heavy_runs, args.monorepo_only, args.users_cpu_only
            )
            print_users(report["users"])
            print_kustomize(report["users"].get("kustomize", []))

    corpus = corpus_dir()
    if args.quick or args.no_peers or args.only_users or args.only_memory or args.only_startup:
        report["peers"] = "skipped (--quick/--no-peers)"
    elif corpus is None:
        report["peers"] = "skipped (no corpus: set MANIFESTLINT_CORPUS)"
        print("\n== 3. Peers: skipped, no corpus found (set MANIFESTLINT_CORPUS)")
    else:
        print(f"\n== 3. Peers on {corpus}")
        report["corpus"] = str(corpus)
        report["peers"] = bench_peers(corpus, runs, args.peer_runs)
        print_peers(report["peers"])
    if corpus is not None and not (
        args.quick or args.no_stages or args.only_users or args.only_memory or args.only_startup
    ):
        report["stages"] = bench_stages(corpus, runs)
        print_stages(report["stages"])

    report["loadavg_end"] = os.getloadavg()[0]
    print(f"\nload average at end: {report['loadavg_end']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(strip_private(report), indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
