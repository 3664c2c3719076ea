"""A one-file call imports only what it uses (issue 23, item 2: start-up at interpreter speed).

Each test runs the real command line (`python -m manifestlint lint ...`) in a fresh interpreter
and lists `sys.modules` at the moment the process would exit: import time is most of a
pre-commit call, and a module imported at the top of a shared module is paid by every call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Runs the command line as `python -m manifestlint` does, then prints the loaded modules when
# the CLI ends the process (it leaves through os._exit, skipping interpreter teardown).
PROBE = """
import json, os, runpy, sys
real_exit = os._exit
def _exit(code):
    sys.stdout.flush()
    sys.stderr.write("MODULES " + json.dumps(sorted(sys.modules)) + "\\n")
    sys.stderr.flush()
    real_exit(code)
os._exit = _exit
sys.argv = ["manifestlint", *sys.argv[1:]]
runpy.run_module("manifestlint", run_name="__main__")
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
"""


def loaded_modules(tmp_path: Path, *args: str) -> set[str]:
    """sys.modules of one `manifestlint lint ARGS` call run in `tmp_path` (no repository)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANIFESTLINT")}
    env["PYTHONPATH"] = str(SRC)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "lint", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line[len("MODULES ") :]))


def test_one_small_file_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    """Linting one Kubernetes file outside a repository, text out: no context cache (so none
    of project/cache.py, cachedir.py, tempfile, shutil and the compression modules shutil pulls
    in, nor secrets with its hashing), no
    click (the everyday command line is read by manifestlint.argv), no other output format,
    and none of ruamel.yaml's round-trip loader and dumper (only the C parser is used)."""
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT, encoding="utf-8")
    loaded = loaded_modules(tmp_path, "deploy.yaml")
    assert "manifestlint.rules.kubernetes.pods" in loaded and "_ruamel_yaml" in loaded  # it did lint
    unused = {
        "manifestlint.project.cache",
        "manifestlint.project.warm",
        "manifestlint.project.cachedir",
        "secrets",
        "hmac",
        "tempfile",
        "shutil",
        "bz2",
        "lzma",
        "click",
        "manifestlint.commands",
        "manifestlint.output.sarif",
        "manifestlint.output.json",
        "manifestlint.output.junit",
        "manifestlint.output.github",
        "manifestlint.output.gitlab",
        "manifestlint.parse.promql",
        "manifestlint.parse.dockerfile",
        "ruamel.yaml.main",
        "ruamel.yaml.cyaml",
        "ruamel.yaml.loader",
        "ruamel.yaml.dumper",
    }
    assert not loaded & unused, sorted(loaded & unused)


def test_ruamel_package_still_whole_for_other_users(tmp_path: Path) -> None:
    """The deferred ruamel.yaml package (parse/yaml.py) completes itself on first use: a
    program that parses with manifestlint and then uses ruamel.yaml itself gets the library."""
    probe = (
        "from manifestlint.parse.yaml import parse_stream\n"
        "docs = parse_stream('a: 1\\n', 'x.yaml')[0]\n"
        "import ruamel.yaml\n"
        "from ruamel.yaml import YAML\n"
        "print(docs[0].root['a'], YAML(typ='safe').load('b: [1, 2]')['b'], bool(ruamel.yaml.__version__))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=True,
    )
    assert proc.stdout.split() == ["1", "[1,", "2]", "True"]
