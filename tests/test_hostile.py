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

import pytest

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


# ---------------------------------------------------------------- devices, FIFOs, symlinks


def _unreadable(proc: subprocess.CompletedProcess) -> dict[str, str]:
    """display path -> message of every manifestlint-unreadable-file finding (JSON report)."""
    import json

    no_traceback(proc)
    report = json.loads(proc.stdout)
    return {
        f["path"]: f["message"] for f in report["findings"] if f["rule"] == "manifestlint-unreadable-file"
    }


@pytest.mark.parametrize("how", ["named", "walked", "context"])
def test_devices_and_fifos_are_findings_not_reads(tmp_path: Path, how: str) -> None:
    """`x.yaml -> /dev/zero` exhausted memory and a FIFO blocked forever: now only regular
    files are opened, and each refused path is a finding (never silence)."""
    (tmp_path / ".manifestlint.yaml").write_text("{}\n")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "a.yaml").write_text(DEPLOY)
    args = {"named": ["zero.yaml", "pipe.yaml"], "walked": ["."], "context": ["a.yaml"]}[how]
    proc = cli("-f", "json", *args, cwd=tmp_path)
    assert proc.returncode == 1
    found = _unreadable(proc)
    if how == "context":  # context files are read for their objects only, never reported
        assert found == {}
    else:
        assert found == {
            "zero.yaml": "a character device, not a regular file; not read",
            "pipe.yaml": "a named pipe (FIFO), not a regular file; not read",
        }


def test_dev_stdin_named_is_not_read(tmp_path: Path) -> None:
    proc = cli("-f", "json", "--type", "kubernetes", "/dev/stdin", cwd=tmp_path, stdin=b"")
    assert proc.returncode == 1
    assert list(_unreadable(proc).values()) == ["a named pipe (FIFO), not a regular file; not read"]


def test_symlinks_leaving_the_tree_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(DEPLOY.replace("nginx", "s3cr3t-token"))
    tree = tmp_path / "tree"
    (tree / "k8s").mkdir(parents=True)
    (tree / "base.yaml").write_text(DEPLOY)
    (tree / ".manifestlint.yaml").write_text("{}\n")  # the project: links may point anywhere in it
    (tree / "k8s" / "inside.yaml").symlink_to("../base.yaml")  # stays inside: followed
    (tree / "k8s" / "leak.yaml").symlink_to(outside / "secret.yaml")
    (tree / "k8s" / "loop.yaml").symlink_to("loop.yaml")
    (tree / "k8s" / "dangling.yaml").symlink_to("nowhere.yaml")
    for args in (["k8s"], ["k8s/leak.yaml", "k8s/inside.yaml", "k8s/loop.yaml", "k8s/dangling.yaml"]):
        proc = cli("-f", "json", *args, cwd=tree)
        assert b"s3cr3t" not in proc.stdout
        found = _unreadable(proc)
        assert (
            found["k8s/leak.yaml"].startswith("symbolic link to ")
            and "not followed" in found["k8s/leak.yaml"]
        )
        assert found["k8s/loop.yaml"] == "symbolic link loop; not linted"
        assert found["k8s/dangling.yaml"] == "dangling symbolic link (to 'nowhere.yaml'); not linted"
        assert "k8s/inside.yaml" not in found and b'"k8s/inside.yaml"' in proc.stdout


def test_over_long_paths_are_reported(tmp_path: Path) -> None:
    """A folder whose path exceeds PATH_MAX cannot be listed: one finding names it."""
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(24):  # 24 x 201 characters: past Linux's 4,096
            os.mkdir("d" * 200, dir_fd=fd)
            new = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
        with open(os.open("deep.yaml", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as handle:
            handle.write(DEPLOY)
    finally:
        os.close(fd)
    proc = cli("-f", "json", ".", cwd=tmp_path)
    found = _unreadable(proc)
    assert len(found) == 1 and "path too long" in next(iter(found.values())), found


@pytest.mark.skipif(os.geteuid() == 0, reason="root can list any folder")
def test_unlistable_folder_is_reported(tmp_path: Path) -> None:
    (tmp_path / "closed").mkdir()
    (tmp_path / "closed" / "a.yaml").write_text(DEPLOY)
    os.chmod(tmp_path / "closed", 0)
    try:
        found = _unreadable(cli("-f", "json", ".", cwd=tmp_path))
    finally:
        os.chmod(tmp_path / "closed", 0o755)
    assert found == {"closed": "folder not listed (cannot read: Permission denied); its files are not linted"}


def test_stdin_is_bounded_and_decoded(tmp_path: Path) -> None:
    """Standard input had no size limit (20 MB: 2.8 GB) and non-UTF-8 was a traceback."""
    proc = cli("-f", "json", "-", cwd=tmp_path, stdin=b"- a\n" * 5_000_000)
    assert list(_unreadable(proc).values()) == [
        "standard input is over the 10,485,760-byte limit; not linted"
    ]
    proc = cli("-f", "json", "-", cwd=tmp_path, stdin=b"kind: \xff\xfe\n")
    assert list(_unreadable(proc).values()) == ["not valid UTF-8 (byte 0xff at offset 6); not linted"]
