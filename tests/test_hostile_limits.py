"""Hostile input through the real command line (issue 8, hardenB part): no crash, no hang, no blow-up.

Every case runs `manifestlint lint` in a subprocess with a timeout (a SIGSEGV or a hang in
the process is exactly what these tests exist to catch; an in-process call would die with
the test runner or never return) and checks the exit code and the findings in JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from gen_k8s_docs import realistic
from untrusted import crashing_rule_script

POD = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: a:1\n"
)


def lint(*args: str | Path, timeout: float = 60, cwd: Path | None = None) -> tuple[int, list[dict], str]:
    """(exit code, JSON findings, stderr) of `manifestlint lint -f json ARGS` in a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "manifestlint", "lint", "-f", "json", *map(str, args)],
        capture_output=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    assert proc.returncode in (0, 1), (proc.returncode, proc.stderr.decode(errors="replace")[-2000:])
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")[-2000:]
    return proc.returncode, json.loads(proc.stdout)["findings"], proc.stderr.decode(errors="replace")


def rules_at(findings: list[dict], path: str) -> list[tuple[int, str]]:
    return [(f["line"], f["rule"]) for f in findings if f["path"].endswith(path)]


# ------------------------------------------------------------------------------------- nesting

DEEP = 40_000  # 80 KB of indicators: far past libyaml's recursion limit on an 8 MB stack
NESTINGS = {
    "explicit-keys": "? " * DEEP + "a\n",
    "compact-sequences": "- " * DEEP + "a\n",
    "explicit-values": "? a\n" + ": " * DEEP + "b\n",
    "flow-sequences": "[" * DEEP + "]" * DEEP + "\n",
    "flow-mappings": "{a: " * DEEP + "b" + "}" * DEEP + "\n",
    "quoted-closers": '[ "]" ' * DEEP + "\n",  # a `]` inside a string must not hide the depth
    "block-indentation": "".join(" " * i + "a:\n" for i in range(3000)) + " " * 3000 + "b\n",
    "cr-line-breaks": "".join(" " * i + "a:\r" for i in range(3000)) + " " * 3000 + "b\r",
    "unicode-line-breaks": "".join(" " * i + "a:\u2028" for i in range(3000)) + " " * 3000 + "b\n",
    "sequence-in-mapping": "".join(" " * i + "a:\n" + " " * i + "-\n" for i in range(2000)),
    "tagged": "- !!seq " * DEEP + "a\n",
    "mixed": "- ? [{a: " * 5000 + "b\n",
}


@pytest.mark.parametrize("name", sorted(NESTINGS))
def test_every_way_of_nesting_costs_only_its_own_finding(name: str, tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text(NESTINGS[name], newline="")
    (tmp_path / "pod.yaml").write_text(POD)
    code, findings, _ = lint(tmp_path)
    assert code == 1
    deep = rules_at(findings, "deep.yaml")
    assert len(deep) == 1 and deep[0][1] in {
        "manifestlint-unreadable-file",
        "manifestlint-yaml-syntax",
        "k8s-syntax-error",
    }, deep
    assert (6, "k8s-run-as-root") in rules_at(findings, "pod.yaml")  # the other file is linted


def _nested(shape: str, levels: int) -> str:
    """A ConfigMap whose unknown field `x` holds a value `levels` collections deep: with the
    document's own mapping, levels + 1 in all (`mixed` nests two levels per step)."""
    block = "".join(" " * i + "a:\n" for i in range(1, levels)) + " " * levels + "a: b\n"
    body = {
        "flow-sequences": "x: " + "[" * levels + "]" * levels + "\n",
        "flow-mappings": "x: " + "{a: " * levels + "b" + "}" * levels + "\n",
        "block-mappings": "x:\n" + block,
        "block-sequences": "x:\n " + "- " * levels + "b\n",
        "explicit-keys": "x:\n " + "? " * levels + "b\n",
        "mixed": "x: " + "[{a: " * (levels // 2) + "b" + "}]" * (levels // 2) + "\n",
    }[shape]
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n" + body


SHAPES = ["flow-sequences", "flow-mappings", "block-mappings", "block-sequences", "explicit-keys", "mixed"]


@pytest.mark.parametrize("shape", SHAPES)
def test_nesting_up_to_the_limit_is_linted_one_more_level_is_one_finding(shape: str, tmp_path: Path) -> None:
    """1,000 levels (MAX_NESTING) are built and every rule runs on them (the recursive converter
    stopped at ~450 with "nesting too deep", and rules that str() a deep value hit Python's
    recursion limit); 1,001 levels are refused with one finding where the nesting goes too deep,
    and a document before the deep one is still linted."""
    (tmp_path / "ok.yaml").write_text(POD + "---\n" + _nested(shape, 999))
    (tmp_path / "deep.yaml").write_text(POD + "---\n" + _nested(shape, 1000))
    code, findings, err = lint(tmp_path)
    assert code == 1 and "internal error" not in err
    ok = rules_at(findings, "ok.yaml")
    assert (6, "k8s-run-as-root") in ok and (12, "schema-unknown-field") in ok
    assert not [rule for _, rule in ok if rule.startswith("manifestlint-")], ok
    deep = [f for f in findings if f["path"].endswith("deep.yaml") and f["rule"].startswith("manifestlint-")]
    assert [(f["rule"], f["message"]) for f in deep] == [
        ("manifestlint-unreadable-file", "nesting deeper than 1000 levels; not parsed")
    ]
    assert deep[0]["line"] >= 12  # at the collection that goes too deep, not at line 1
    assert (6, "k8s-run-as-root") in rules_at(findings, "deep.yaml")


def test_moderate_nesting_is_still_parsed(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(
        POD.replace("image: a:1", "image: a:1\n      args: " + "[" * 50 + "]" * 50)
    )
    _, findings, _ = lint(tmp_path / "pod.yaml")
    assert (6, "k8s-run-as-root") in rules_at(findings, "pod.yaml")


# ------------------------------------------------------------------------------ user regexes

CATASTROPHIC = ["(.?){60}X", "(?:x?|y?){40}\\\\b", "(a|aa)*c", "(x+x+)+y"]


def _rules_file(pattern: str) -> str:
    return (
        "groups:\n- name: g\n  rules:\n"
        f'  - alert: A\n    expr: up{{severity=~"{pattern}", job="a"}} == 0\n'
        "    for: 5m\n    labels: {severity: critical}\n"
        "    annotations: {summary: s, runbook_url: 'https://r'}\n"
    )


def _alertmanager(pattern: str) -> str:
    return (
        "route:\n  receiver: r\n  group_by: [alertname]\n  routes:\n  - receiver: pager\n"
        f"    match_re:\n      severity: '{pattern}'\n"
        f"  - receiver: pager\n    matchers: ['severity=~\"{pattern}\"']\n"
        # critical alerts must reach a paging integration (alertmanager-no-critical-route)
        "receivers:\n- name: r\n- name: pager\n  pagerduty_configs:\n  - routing_key_file: /pd\n"
    )


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_user_regexes_run_in_linear_time(pattern: str, tmp_path: Path) -> None:
    """Backtracking patterns against the values rules match them with (severities, alert
    labels): Python's re ran past 60 s on the first; RE2 takes microseconds."""
    (tmp_path / "rules.yaml").write_text(_rules_file(pattern))
    (tmp_path / "alertmanager.yml").write_text(_alertmanager(pattern.replace("\\\\", "\\")))
    code, findings, _ = lint(tmp_path, timeout=30)
    assert code in (0, 1)
    assert not [
        f for f in findings if f["rule"] in ("prometheus-invalid-expr", "alertmanager-invalid-matcher")
    ]


REFUSED_BY_GO = {
    "lookahead": "a(?=b)",
    "lookbehind": "(?<=a)b",
    "backreference": "(a)\\\\1",
    "possessive": "a*+",
    "repeat-count": "a{1001}",
    "any-byte": "\\\\C",
    "perl-Z": "a\\\\Z",
}
ACCEPTED_BY_GO = [
    "(?P<n>a)",
    "(?<n>a)",
    "a\\\\z",
    "[[:alpha:]]+",
    "\\\\pL+",
    "\\\\Qa.b\\\\E",
    "x{2,1000}",
    "(?i)crit",
]


@pytest.mark.parametrize("name", sorted(REFUSED_BY_GO))
def test_regex_syntax_go_refuses_is_reported(name: str, tmp_path: Path) -> None:
    pattern = REFUSED_BY_GO[name]
    (tmp_path / "rules.yaml").write_text(_rules_file(pattern))
    (tmp_path / "alertmanager.yml").write_text(_alertmanager(pattern.replace("\\\\", "\\")))
    _, findings, _ = lint(tmp_path)
    assert (5, "prometheus-invalid-expr") in rules_at(findings, "rules.yaml")
    am = rules_at(findings, "alertmanager.yml")
    assert (7, "alertmanager-invalid-matcher") in am and (9, "alertmanager-invalid-matcher") in am, am
    message = next(f["message"] for f in findings if f["rule"] == "prometheus-invalid-expr")
    assert "error parsing regexp" in message


@pytest.mark.parametrize("pattern", ACCEPTED_BY_GO)
def test_regex_syntax_go_accepts_is_quiet(pattern: str, tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(_rules_file(pattern))
    (tmp_path / "alertmanager.yml").write_text(_alertmanager(pattern.replace("\\\\", "\\")))
    _, findings, _ = lint(tmp_path)
    bad = [f for f in findings if f["rule"] in ("prometheus-invalid-expr", "alertmanager-invalid-matcher")]
    assert not bad, bad


def test_regex_routing_still_matches(tmp_path: Path) -> None:
    """A route whose match_re covers `critical` satisfies alertmanager-no-critical-route (RE2
    is fully anchored as Alertmanager anchors it: `crit` alone does not)."""
    (tmp_path / "am.yml").write_text(_alertmanager("crit.*|page"))
    _, findings, _ = lint(tmp_path / "am.yml")
    assert "alertmanager-no-critical-route" not in {f["rule"] for f in findings}
    (tmp_path / "am.yml").write_text(_alertmanager("crit"))
    _, findings, _ = lint(tmp_path / "am.yml")
    assert "alertmanager-no-critical-route" in {f["rule"] for f in findings}


# ------------------------------------------------------------------------ numbers and quantities

DEPLOY_RESOURCES = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  template:
    spec:
      containers:
      - name: a
        image: a:1
        resources:
          requests: {{cpu: {request}}}
          limits: {{cpu: {limit}}}
"""


@pytest.mark.parametrize(
    ("request_", "limit", "exceeds"),
    [
        ('"1e999999999"', '"1"', True),  # capped at 2^63-1 as ParseQuantity caps it
        ('"1e-999999999"', '"1n"', False),  # rounds up to 1n: equal, not greater
        ('"1e99999999999"', '"1"', False),  # exponent beyond int32: rejected, not compared
        ("9" * 5000, "1", True),  # a 5,000-digit integer: a string to go-yaml, still a quantity
        ('"0.' + "0" * 5000 + '1"', '"1n"', False),
        ('"1.5Gi"', '"1Gi"', True),
    ],
)
def test_quantities_are_bounded_like_kubernetes(
    request_: str, limit: str, exceeds: bool, tmp_path: Path
) -> None:
    (tmp_path / "d.yaml").write_text(DEPLOY_RESOURCES.format(name="d", request=request_, limit=limit))
    _, findings, _ = lint(tmp_path, timeout=30)
    assert ((11, "k8s-requests-exceed-limits") in rules_at(findings, "d.yaml")) is exceeds
    assert "k8s-syntax-error" not in {f["rule"] for f in findings}


@pytest.mark.parametrize("digits", [3600, 4400, 20_000])
def test_huge_integers_cost_no_finding(digits: int, tmp_path: Path) -> None:
    """A metadata.name or replica count of thousands of digits: no traceback, no syntax error
    hiding the file's other findings."""
    text = DEPLOY_RESOURCES.format(name="1" * digits, request="100m", limit="1")
    text = text.replace("spec:\n  template", f"spec:\n  replicas: {'7' * digits}\n  template", 1)
    (tmp_path / "d.yaml").write_text(text)
    for fmt in ("text", "json", "sarif", "github"):
        proc = subprocess.run(
            [sys.executable, "-m", "manifestlint", "lint", "-f", fmt, str(tmp_path)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 1 and b"Traceback" not in proc.stderr, proc.stderr[-2000:]
    _, findings, _ = lint(tmp_path)
    rules = {f["rule"] for f in findings}
    assert "k8s-run-as-root" in rules and not rules & {"k8s-syntax-error", "manifestlint-internal-error"}


# --------------------------------------------------------------------------- bounded output


def test_findings_per_rule_and_file_are_capped_with_a_summary(tmp_path: Path) -> None:
    pods = "---\n".join(POD.replace("name: p", f"name: p{i}") for i in range(700))
    (tmp_path / "pods.yaml").write_text(pods)
    _, findings, _ = lint(tmp_path, timeout=120)
    root = [f for f in findings if f["rule"] == "k8s-run-as-root"]
    assert len(root) == 501
    assert "200 more k8s-run-as-root finding(s)" in root[-1]["message"]
    assert root[-1]["line"] == 500 * 8 + 6  # where the first finding not shown stands


def test_arg_expansions_do_not_blow_up_the_report(tmp_path: Path) -> None:
    """`FROM ${A}${A}...` 150 times with a 1,000-character ARG, 1,500 times: was a 225 MB
    report, 883 MB of memory and 28 s; an expansion past 8 KiB is left unresolved."""
    lines = ["ARG A=" + "a" * 1000] + ["FROM " + "${A}" * 150 + "\nRUN echo hi"] * 1500
    (tmp_path / "Dockerfile").write_text("\n".join(lines) + "\n")
    proc = subprocess.run(
        [sys.executable, "-m", "manifestlint", "lint", str(tmp_path)], capture_output=True, timeout=60
    )
    assert proc.returncode == 1 and len(proc.stdout) < 100_000, len(proc.stdout)


def test_long_values_are_clipped_in_messages(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD.replace("image: a:1", "image: " + "x" * 200_000))
    _, findings, _ = lint(tmp_path)
    assert findings and all(len(f["message"]) <= 1000 and len(f.get("object", "")) <= 200 for f in findings)


CRASHING_PROJECT_RULE = crashing_rule_script("k8s-missing-pdb")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_cross_file_rule_crash_is_a_finding_in_every_format(fmt: str, tmp_path: Path) -> None:
    """A crash in a cross-file rule was printed on stderr only; it is a finding like any
    per-file crash (here forced by replacing the rule's function, the CLI is the real one)."""
    deploy = POD.replace("kind: Pod", "kind: Deployment").replace("apiVersion: v1", "apiVersion: apps/v1")
    (tmp_path / "d.yaml").write_text(deploy)
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_PROJECT_RULE, "lint", "-f", fmt, "--select", "k8s-missing-pdb",
         str(tmp_path)],
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    out = proc.stdout.decode()
    assert proc.returncode != 0 and "manifestlint-internal-error" in out and "k8s-missing-pdb" in out, out
    assert b"Traceback" not in proc.stderr


# ------------------------------------------------------------------------ near-linear rules


def _timed_lint(path: Path) -> float:
    import time

    start = time.perf_counter()
    lint(path, timeout=60)
    return time.perf_counter() - start


def test_many_merge_keys_are_linear(tmp_path: Path) -> None:
    """100k `<<:` keys in one mapping took 38 s (list concatenation per key)."""
    (tmp_path / "m.yaml").write_text(
        "base: &b {x: 1}\nm:\n" + "  <<: *b\n" * 100_000 + POD.replace("apiVersion", "---\napiVersion")
    )
    assert _timed_lint(tmp_path) < 20


def test_many_stages_are_linear(tmp_path: Path) -> None:
    """4,000 stages, each FROM the previous one: over 60 s (a dataclass `in` list per step)."""
    stages = "".join(
        f"FROM s{i - 1} AS s{i}\nRUN echo {i}\nCOPY --from=s{i - 1} /a /a\n" for i in range(1, 4000)
    )
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.19 AS s0\n" + stages)
    assert _timed_lint(tmp_path) < 20


# ------------------------------------------------- rule crashes found by test_fuzz_hostile

CRASHERS = {
    "expose.Dockerfile": "FROM a:1\nEXPOSE " + "9" * 5000 + "\n",
    "weights.yaml": (
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec:\n"
        "  hosts: [a]\n  http:\n  - route:\n    - destination: {host: a}\n      weight: .inf\n"
        "    - destination: {host: b}\n      weight: 1\n"
    ),
    "am.yml": "route: {receiver: r}\nreceivers: [{name: r}]\ntime_intervals: 5\n",
    "mounts.yaml": POD.replace("image: a:1", "image: a:1\n      volumeMounts: .inf")
    + "      volumes: [{name: h, hostPath: {path: /}}]\n",
}


@pytest.mark.parametrize("name", sorted(CRASHERS))
def test_odd_values_found_by_fuzzing_crash_no_rule(name: str, tmp_path: Path) -> None:
    target = tmp_path / ("Dockerfile" if name.endswith("Dockerfile") else name)
    target.write_text(CRASHERS[name])
    _, findings, _ = lint(target)
    assert findings and "manifestlint-internal-error" not in {f["rule"] for f in findings}, findings


# -------------------------------------------------------------------------------------- memory

RSS_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def peak_rss(*args: str | Path) -> int:
    """Peak RSS in bytes of one `manifestlint lint --exit-zero ARGS`, read by a small launcher
    process: Linux carries a vfork parent's high-water RSS into the child it execs, so a call
    measured straight from pytest would report pytest's own peak."""
    proc = subprocess.run(
        [sys.executable, "-c", RSS_LAUNCHER, sys.executable, "-m", "manifestlint", "lint", "--exit-zero",
         *map(str, args)],
        capture_output=True, text=True, timeout=300, check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip
    return int(proc.stdout.split()[-1]) * 1024


def _workloads(count: int) -> str:
    """`count` documents of a Deployment + Service + ConfigMap mix, each with its own names."""
    docs = []
    for i in range(count // 3):
        app = f"app-{i:05d}"
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}\n  namespace: team-{i % 7}\n"
            f"  labels: {{app: {app}, tier: web}}\nspec:\n  replicas: 2\n  selector:\n"
            f"    matchLabels: {{app: {app}}}\n  template:\n    metadata:\n"
            f"      labels: {{app: {app}, tier: web}}\n    spec:\n      containers:\n"
            f"      - name: web\n        image: registry.example.com/{app}:1.{i}\n        ports:\n"
            f"        - containerPort: 8080\n        resources:\n"
            f"          requests: {{cpu: 100m, memory: 128Mi}}\n"
        )
        docs.append(
            f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\n  namespace: team-{i % 7}\nspec:\n"
            f"  selector: {{app: {app}}}\n  ports:\n  - port: 80\n    targetPort: 8080\n"
        )
        docs.append(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}-config\n  namespace: team-{i % 7}\n"
            f'data:\n  LOG_LEVEL: info\n  FEATURE_{i}: "true"\n'
        )
    return "---\n".join(docs)


def _pods(count: int) -> str:
    return "---\n".join(
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\nspec:\n  containers:\n"
        f"  - name: app\n    image: registry.example.com/app:{i}\n"
        for i in range(count)
    )


# (input text for a size factor, CLI options, bound on peak RSS above the small input's, per
# byte of input more). Measured: the realistic mix 12.7x (56.5x before compact positions),
# the flat list 12.0x (25.6x before); docs/benchmarks.md ("Memory") has the whole table.
MEMORY_CASES = {
    "flat-list": (lambda n: "".join(f"- item-{i:07d}\n" for i in range(14_000 * n)), ["-f", "json"], 20),
    "realistic-mix": (lambda n: realistic(200 * n), ["-f", "sarif"], 20),
}


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss units and vfork accounting are Linux's")
@pytest.mark.parametrize("name", sorted(MEMORY_CASES))
def test_memory_grows_linearly_within_the_documented_bound(name: str, tmp_path: Path) -> None:
    """Issue 8 (at most 40x the input) and issue 10 (20x on the realistic mix): what a call
    costs beyond a small input of the same shape, per byte of input more. Positions were node
    graphs kept alive, and the whole of each file's was composed before conversion."""
    make, options, bound = MEMORY_CASES[name]
    small, big = tmp_path / "small.yaml", tmp_path / "big.yaml"
    small.write_text(make(1))
    big.write_text(make(10))
    extra = big.stat().st_size - small.stat().st_size
    grown = peak_rss(*options, big) - peak_rss(*options, small)
    assert grown <= bound * extra, f"{grown / extra:.1f}x the input bytes (bound {bound}x)"


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss units and vfork accounting are Linux's")
def test_a_large_sarif_report_is_written_without_holding_it_whole(tmp_path: Path) -> None:
    """Bare Pods give a SARIF report 12x the size of the input (~10 results each). It was held
    as result dicts, then as text, then as bytes: 14.9x the report's size above a small call
    (1 MB of Pods in 300 files: 303 MiB). Now each result is encoded and written as it is
    built: what remains is the findings themselves (3.6x the report here)."""
    (tmp_path / "small.yaml").write_text(_pods(100))
    (tmp_path / "big.yaml").write_text(_pods(2000))
    base = peak_rss("-f", "sarif", "-o", tmp_path / "small.out", tmp_path / "small.yaml")
    peak = peak_rss("-f", "sarif", "-o", tmp_path / "big.out", tmp_path / "big.yaml")
    report = (tmp_path / "big.out").stat().st_size
    extra = (tmp_path / "big.yaml").stat().st_size - (tmp_path / "small.yaml").stat().st_size
    assert report > 10 * extra  # the report really is the large thing here
    assert peak - base <= 6 * report, f"{(peak - base) / report:.2f}x the report ({report:,} bytes)"


def test_cross_file_rules_take_odd_ports(tmp_path: Path) -> None:
    """Found by a 2,500-case fuzz run (seed 31): a Service whose targetPort is a 5,000-digit
    string (past Python's int/str limit) and an Ingress backend whose Service has `ports: true`
    crashed k8s-service-target-port-mismatch and k8s-ingress-backend-missing."""
    (tmp_path / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: w, image: 'w:1', ports: [{containerPort: 80}]}]}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n"
        f"  ports: [{{port: 80, targetPort: '{'9' * 5000}'}}]\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: odd}\n"
        "spec: {selector: {app: web}, ports: true}\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: in}\nspec:\n  rules:\n"
        "  - http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
        "        backend: {service: {name: odd, port: {number: 80}}}\n"
    )
    _, findings, stderr = lint(
        "--select",
        "k8s-service-target-port-mismatch,k8s-ingress-backend-missing,manifestlint-internal-error",
        tmp_path / "app.yaml",
    )
    assert "internal error" not in stderr
    assert not [f for f in findings if f["rule"] == "manifestlint-internal-error"]
