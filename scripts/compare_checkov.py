"""Side-by-side comparison of manifestlint and checkov on the Kubernetes part of the corpus.

Prints (1) an agreement table for the checks both tools have: per check pair, the objects
both flag, only checkov flags and only manifestlint flags (keyed by file + kind + name, since
checkov reports whole resources like `Deployment.default.web`), with a few example keys of each
disagreement; and (2) the wall-clock median of N runs of each tool over the same folders.

checkov is a dev-time peer, never a dependency: install it into its own venv
(`python3 -m venv /opt/checkov && /opt/checkov/bin/pip install checkov`). It runs offline
with `--skip-download`.

    python scripts/compare_checkov.py                       # default corpus folders, 3 runs
    python scripts/compare_checkov.py --runs 1 DIR [DIR ...]
    python scripts/compare_checkov.py --src /path/to/other/src   # another manifestlint checkout
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _corpus import corpus_dir

ROOT = Path(__file__).resolve().parents[1]
CORPUS = corpus_dir() or ROOT.parent / "shared" / "corpus"
DEFAULT_DIRS = ["freeagentics/k8s", "kube-prometheus/manifests", "kubernetes-examples", "istio/samples"]

# checkov check ids -> the manifestlint rule that checks the same thing (per object).
PAIRS: list[tuple[tuple[str, ...], str, str]] = [
    (("CKV_K8S_16",), "k8s-privileged-container", "privileged"),
    (("CKV_K8S_20",), "k8s-privilege-escalation-allowed", "allowPrivilegeEscalation"),
    (("CKV_K8S_23",), "k8s-run-as-root", "runAsNonRoot / root"),
    (("CKV_K8S_22",), "k8s-writable-root-filesystem", "readOnlyRootFilesystem"),
    (("CKV_K8S_37", "CKV_K8S_28"), "k8s-capabilities-not-dropped", "capabilities drop ALL / NET_RAW"),
    (("CKV_K8S_25", "CKV_K8S_39"), "k8s-dangerous-capabilities", "added / SYS_ADMIN capabilities"),
    (("CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"), "k8s-host-namespace", "hostPID / hostIPC / hostNetwork"),
    (("CKV_K8S_26",), "k8s-host-port", "hostPort"),
    (("CKV_K8S_13",), "k8s-missing-resource-limits", "memory limit"),
    (("CKV_K8S_10", "CKV_K8S_12"), "k8s-missing-resource-requests", "cpu / memory requests"),
    (("CKV_K8S_8",), "k8s-missing-liveness-probe", "liveness probe"),
    (("CKV_K8S_9",), "k8s-missing-readiness-probe", "readiness probe"),
    (("CKV_K8S_14",), "k8s-image-latest-tag", "image tag latest / missing"),
    (("CKV_K8S_21",), "k8s-default-namespace", "default namespace"),
    (("CKV_K8S_31",), "k8s-seccomp-unconfined", "seccomp profile"),
    (("CKV_K8S_38",), "k8s-service-account-token-automount", "automountServiceAccountToken"),
    (("CKV_K8S_27",), "k8s-host-path-mount", "docker.sock / hostPath"),
    (("CKV_K8S_35",), "k8s-secret-in-env", "secrets in env"),
    (("CKV2_K8S_6",), "k8s-missing-network-policy", "pod without NetworkPolicy (cross-object)"),
]


def checkov_cmd(checkov: str, folder: Path) -> list[str]:
    # One -d: with several, checkov 3.3.30 prints one JSON document per folder and joins
    # file_abs_path wrongly, so the folders are copied under one temporary root instead.
    return [checkov, "--skip-download", "--framework", "kubernetes", "-o", "json", "--quiet", "--compact",
            "-d", str(folder)]  # fmt: skip


def manifestlint_cmd(python: str, folder: Path, select: list[str] | None) -> list[str]:
    cmd = [python, "-m", "manifestlint", "lint", "--format", "json", "--fail-on", "none"]
    if select:
        cmd += ["--select", ",".join(select)]
    return [*cmd, str(folder)]


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def checkov_keys(output: str) -> dict[str, set[tuple[str, str, str]]]:
    """check id -> {(absolute file, kind, name)} of failed checks."""
    reports: list[dict] = []
    decoder, pos, text = json.JSONDecoder(), 0, output.strip()
    while pos < len(text):  # several -d folders: one JSON document per folder, back to back
        data, end = decoder.raw_decode(text, pos)
        reports.extend(data if isinstance(data, list) else [data])
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    out: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for report in reports:
        for failed in report.get("results", {}).get("failed_checks", []):
            parts = str(failed.get("resource", "")).split(".")
            kind = parts[0]
            name = ".".join(parts[2:]) if len(parts) >= 3 else parts[-1]
            path = str(Path(failed.get("file_abs_path") or failed["file_path"]).resolve())
            out[failed["check_id"]].add((path, kind, name))
    return out


def manifestlint_keys(output: str, cwd: Path) -> dict[str, set[tuple[str, str, str]]]:
    """rule id -> {(absolute file, kind, name)} of findings."""
    out: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for finding in json.loads(output)["findings"]:
        obj = finding.get("object") or ""
        kind, _, rest = obj.partition(" ")
        name = rest.rsplit("/", 1)[-1]
        out[finding["rule"]].add((str((cwd / finding["path"]).resolve()), kind, name))
    return out


def _graph_key(key: tuple[str, str, str], ours: set[tuple[str, str, str]]) -> tuple[str, str, str]:
    """checkov's graph checks (CKV2_K8S_6) name a pod `<workload>.<label>-<value>...`: map it to
    the workload of the same file we report."""
    path, kind, name = key
    if kind != "Pod":
        return key
    for cand in ours:
        if cand[0] == path and (name == cand[2] or name.startswith(cand[2] + ".")):
            return cand
    return key


def short(key: tuple[str, str, str], base: Path) -> str:
    return f"{key[0].removeprefix(str(base) + '/')} {key[1]}/{key[2]}"


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("dirs", nargs="*", help="folders (default: the Kubernetes part of the corpus)")
    parser.add_argument("--checkov", default=os.environ.get("CHECKOV", "/opt/checkov/bin/checkov"))
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs manifestlint")
    parser.add_argument("--src", default=str(ROOT / "src"), help="manifestlint source folder (PYTHONPATH)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each tool (median reported)")
    parser.add_argument("--examples", type=int, default=3, help="example keys shown per disagreement")
    args = parser.parse_args()

    dirs = [Path(d).resolve() for d in args.dirs] or [CORPUS / d for d in DEFAULT_DIRS]
    dirs = [d for d in dirs if d.is_dir()]
    if not dirs:
        sys.exit("no folders to compare (is the corpus present?)")
    env = {**os.environ, "PYTHONPATH": args.src}

    from_registry = subprocess.run(
        [args.python, "-m", "manifestlint", "rules", "--format", "json"], capture_output=True, text=True,
        env=env, cwd=ROOT, check=False)  # fmt: skip
    known = {r["id"] for r in json.loads(from_registry.stdout)} if from_registry.returncode == 0 else set()
    mapped = sorted({rule for _, rule, _ in PAIRS if rule in known})

    with tempfile.TemporaryDirectory(prefix="compare-checkov-") as tmp:
        base = Path(tmp).resolve()
        for folder in dirs:
            label = str(folder.relative_to(CORPUS)) if folder.is_relative_to(CORPUS) else folder.name
            shutil.copytree(folder, base / label.replace("/", "_"))
        # checkov's CKV2_K8S_6 flags every pod; compare with ours in the same mode
        (base / ".manifestlint.yaml").write_text(
            "rules:\n  k8s-missing-network-policy:\n    options: {when: always}\n", encoding="utf-8"
        )
        report(args, env, base, known, mapped, [str(d) for d in dirs])


def report(args, env, base: Path, known: set[str], mapped: list[str], labels: list[str]) -> None:
    _, ck_out = run(checkov_cmd(args.checkov, base), env, base)
    _, ml_out = run(manifestlint_cmd(args.python, base, mapped), env, base)
    ck, ml = checkov_keys(ck_out), manifestlint_keys(ml_out, base)

    print(f"## Agreement on {', '.join(labels)}\n")
    print("Objects keyed by file + kind + name. `n/a`: manifestlint has no such rule in this checkout.\n")
    print("| checkov | manifestlint | what | both | only checkov | only manifestlint |")
    print("|---|---|---|---:|---:|---:|")
    details = []
    for ids, rule, what in PAIRS:
        theirs = set().union(*(ck.get(i, set()) for i in ids))
        if rule not in known:
            print(f"| {', '.join(ids)} | n/a ({rule}) | {what} | - | {len(theirs)} | - |")
            continue
        ours = ml.get(rule, set())
        theirs = {_graph_key(k, ours) for k in theirs}
        both, only_ck, only_ml = theirs & ours, theirs - ours, ours - theirs
        print(f"| {', '.join(ids)} | {rule} | {what} | {len(both)} | {len(only_ck)} | {len(only_ml)} |")
        for label, keys in (("only checkov", only_ck), ("only manifestlint", only_ml)):
            if keys:
                shown = "; ".join(short(k, base) for k in sorted(keys)[: args.examples])
                details.append(f"- {rule} / {', '.join(ids)}, {label} ({len(keys)}): {shown}")
    if details:
        print("\nExamples of disagreements:\n")
        print("\n".join(details))

    ck_times, ml_times = [], []
    for _ in range(args.runs):
        ck_times.append(run(checkov_cmd(args.checkov, base), env, base)[0])
        ml_times.append(run(manifestlint_cmd(args.python, base, None), env, base)[0])
    ck_med, ml_med = statistics.median(ck_times), statistics.median(ml_times)
    files = sum(1 for p in base.rglob("*") if p.suffix in (".yaml", ".yml"))
    print(f"\n## Timing ({files} YAML files; median of {args.runs} runs, wall clock, same folder)\n")
    print("| tool | median s | runs |")
    print("|---|---:|---|")
    print(f"| checkov | {ck_med:.2f} | {', '.join(f'{t:.2f}' for t in ck_times)} |")
    print(f"| manifestlint (all default rules) | {ml_med:.2f} | {', '.join(f'{t:.2f}' for t in ml_times)} |")
    print(f"\nmanifestlint is {ck_med / ml_med:.1f}x faster than checkov.")
    print(f"\ncheckov: `{' '.join(checkov_cmd(args.checkov, Path('<copy>')))}`")
    ml_cmd = " ".join(manifestlint_cmd(args.python, Path("<copy>"), None))
    print(f"manifestlint: `PYTHONPATH={args.src} {ml_cmd}`")


if __name__ == "__main__":
    main()
