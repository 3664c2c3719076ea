"""Hostile input and untrusted trees, through the command line (issue 8, hardenA part).

Every test runs `python -m manifestlint lint ...` in a subprocess with a timeout and an
address-space limit, as a user or a CI job would: nothing from the input executed, no hang,
no traceback, no lost report, no injected CI commands, and tests that pass without the corpus.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60
DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
"""


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def cli(
    *args: str, cwd: Path, stdin: bytes | None = None, env: dict | None = None, preexec=None
) -> subprocess.CompletedProcess:
    """The real command line, in its own process: 2 GiB of address space, TIMEOUT seconds."""

    def pre() -> None:
        _limits()
        if preexec:
            preexec()

    return subprocess.run(
        [sys.executable, "-m", "manifestlint", "lint", *args],
        cwd=cwd,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=TIMEOUT,
        env={**os.environ, **(env or {})},
        preexec_fn=pre,
    )


def no_traceback(proc: subprocess.CompletedProcess) -> str:
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "Exception ignored" not in err, err
    return err


# ---------------------------------------------------------------- tests pass on any clean clone


def test_suite_collects_without_the_corpus() -> None:
    """With the corpus hidden, collection succeeds (corpus tests skip with their reason) and no
    test or script names a machine path."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        env={**os.environ, "MANIFESTLINT_CORPUS": "/nonexistent"},
    )
    assert proc.returncode == 0, proc.stdout.decode()[-2000:]
    for folder in ("tests", "scripts", ".ci"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ""} and path.is_file() and path.name != "test_hostile.py":
                assert "/work/" not in path.read_text(encoding="utf-8", errors="replace"), path


def test_corpus_absent_means_absent(tmp_path: Path, monkeypatch) -> None:
    """An explicitly set MANIFESTLINT_CORPUS is the only place looked at (no fallback)."""
    from conftest import corpus_dir

    monkeypatch.setenv("MANIFESTLINT_CORPUS", str(tmp_path / "missing"))
    assert corpus_dir() is None
    monkeypatch.setenv("MANIFESTLINT_CORPUS", str(tmp_path))
    assert corpus_dir() == tmp_path.resolve()
