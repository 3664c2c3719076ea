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
from untrusted import DEPLOY

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60


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


# ---------------------------------------------------------------- no lost report


def _many(folder: Path, count: int = 300) -> None:
    for i in range(count):
        (folder / f"p{i}.yaml").write_text(DEPLOY.replace("web", f"w{i}"))


def _fsize_limit() -> None:
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # the default: a write past the limit kills
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
def test_failed_write_keeps_the_previous_report(tmp_path: Path, option: str) -> None:
    """A file-size limit hit part-way used to leave a truncated report: now the previous one
    survives whole and the run exits 2 with one line."""
    _many(tmp_path)
    previous = '{"format": "manifestlint-baseline/1", "fingerprints": []}\n'
    (tmp_path / "r.json").write_text(previous)
    proc = cli("-f", "json", option, "r.json", ".", cwd=tmp_path, preexec=_fsize_limit)
    err = no_traceback(proc)
    assert proc.returncode == 2 and "cannot write" in err and "File too large" in err, err
    assert (tmp_path / "r.json").read_text() == previous
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".yaml")) == ["r.json"]


def test_report_into_a_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(DEPLOY)
    proc = cli("-f", "sarif", "-o", "reports/deep/x.sarif", "a.yaml", cwd=tmp_path)
    no_traceback(proc)
    assert proc.returncode == 1
    import json

    assert json.loads((tmp_path / "reports/deep/x.sarif").read_text())["version"] == "2.1.0"
    assert oct((tmp_path / "reports/deep/x.sarif").stat().st_mode & 0o777) != "0o600"


def test_write_errors_exit_2_even_with_exit_zero(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(DEPLOY)
    (tmp_path / "file").write_text("")
    for target in ("/proc/version", "file/x.json"):  # EIO; a folder that is a file
        proc = cli("--exit-zero", "-o", target, "a.yaml", cwd=tmp_path)
        err = no_traceback(proc)
        assert proc.returncode == 2 and len(err.strip().splitlines()) == 1, err
        assert f"cannot write the report to {target}: " in err
        assert ("Input/output error" if target.startswith("/proc") else "Not a directory") in err


def test_concurrent_runs_never_corrupt_the_report(tmp_path: Path) -> None:
    import json

    _many(tmp_path, 150)
    args = [sys.executable, "-m", "manifestlint", "lint", "-f", "json", "-o", "r.json", "."]
    for _ in range(3):
        procs = [subprocess.Popen(args, cwd=tmp_path, stderr=subprocess.DEVNULL) for _ in range(3)]
        assert [p.wait(TIMEOUT) for p in procs] == [1, 1, 1]
        assert len(json.loads((tmp_path / "r.json").read_text())["findings"]) >= 150


def test_closed_stdout_is_quiet_without_traceback(tmp_path: Path) -> None:
    _many(tmp_path, 50)
    proc = subprocess.run(
        f'{sys.executable} -m manifestlint lint . | true; echo "rc=${{PIPESTATUS[0]}}"',
        shell=True,
        executable="/bin/bash",
        cwd=tmp_path,
        capture_output=True,
        timeout=TIMEOUT,
    )
    err = no_traceback(proc)
    # `| head` reading only what it wants: no message, the exit code of the findings (1)
    assert proc.stdout.decode().strip() == "rc=1", (proc.stdout, err)
    assert "Broken pipe" not in err and "cannot write" not in err


# ---------------------------------------------------------------- output cannot inject


def _evil_tree(tmp_path: Path) -> str:
    """A file whose name and values carry ESC, BEL, CR/LF and GitHub workflow commands."""
    (tmp_path / "x").mkdir()
    name = "x/::add-mask::\x1b[31mevil\n::error file=a::name.yaml"
    value = '- name: "web\\r\\n::error file=b::pwned\\u001b]0;title\\u0007 %0A::warning::x"'
    (tmp_path / name).write_text(DEPLOY.replace("- name: web", value))
    (tmp_path / "::warning::top.yaml").write_text(DEPLOY)
    return name


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_output_cannot_inject_commands_or_escapes(tmp_path: Path, fmt: str) -> None:
    _evil_tree(tmp_path)
    proc = cli("-f", fmt, "x", "::warning::top.yaml", cwd=tmp_path)
    no_traceback(proc)
    assert proc.returncode == 1
    out = proc.stdout
    assert not set(out) & (set(range(32)) - {10}) and b"\x7f" not in out, out  # only LF
    lines = out.decode().splitlines()
    if fmt == "text":
        assert all(not line.startswith(("::", "##")) for line in lines), lines
        assert "x/::add-mask::\\x1b[31mevil\\n::error file=a::name.yaml:6:13: " in out.decode()
        assert "./::warning::top.yaml:6:13: " in out.decode()
    else:  # one well-formed command per finding, nothing else
        assert all(line.startswith(("::error file=", "::warning file=", "::notice file=")) for line in lines)
        text = out.decode()
        assert "%0A" not in text.replace("%250A", "") and "%0D" not in text  # LF/CR already escaped
        assert "'web\\r\\n::error file=b::pwned\\x1b]0;title\\x07 %250A::warning::x'" in text


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_non_utf8_file_names(tmp_path: Path, fmt: str) -> None:
    """A pull request could break the SARIF upload with a file name that is not UTF-8."""
    import json

    (tmp_path / "t").mkdir()
    (tmp_path / os.fsdecode(b"t/\xff\xfe.yaml")).write_text(DEPLOY)
    proc = cli("-f", fmt, "t", cwd=tmp_path)
    no_traceback(proc)
    assert proc.returncode == 1
    text = proc.stdout.decode("utf-8")  # valid UTF-8 in every format
    if fmt == "json":
        assert {f["path"] for f in json.loads(text)["findings"]} == {"t/\\xff\\xfe.yaml"}
    elif fmt == "sarif":
        uris = {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(text)["runs"][0]["results"]
        }
        assert uris == {"%FF%FE.yaml"}  # relative to the folder given
    else:
        assert "t/\\xff\\xfe.yaml" in text
    proc = cli("--write-baseline", "b.json", "t", cwd=tmp_path)
    no_traceback(proc)
    assert proc.returncode == 0
    proc = cli("--baseline", "b.json", "t", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout  # every finding hidden by its own baseline


# ---------------------------------------------------------------- configuration and baseline


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("pyproject.toml", "tool = 5\n# tool.manifestlint\n", "[tool.manifestlint] must be a table"),
        ("pyproject.toml", "[tool.manifestlint]\nx = " + "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (".manifestlint.yaml", "exclude: " + "[" * 100_000 + "]" * 100_000, "nesting deeper than"),
        # within the 1,000 levels a manifest may nest, but the schema validator recursed per level
        (".manifestlint.yaml", "exclude: " + "[" * 999 + "]" * 999, "nesting deeper than 50 levels"),
        (
            ".manifestlint.yaml",
            "a: &a [x,x,x,x,x,x,x,x,x]\n"
            + "".join(
                f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            )
            + "exclude: *i\n",
            "alias",
        ),
        (".manifestlint.yaml", "exclude:\n" + "  - 'dir/**'\n" * 50_000, "over the limit of 1,000"),
        (
            ".manifestlint.yaml",
            "exclude:\n" + "  - 'dir/**/*.y*ml'\n" * 100_000,
            "over the 1,048,576-byte limit",
        ),
    ],
)
def test_hostile_configuration_is_exit_2_one_line(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text)
    (tmp_path / "a.yaml").write_text(DEPLOY)
    proc = cli("a.yaml", cwd=tmp_path)
    err = no_traceback(proc)
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1 and message in err, err


@pytest.mark.parametrize(
    "make, what",
    [
        (lambda p: os.mkfifo(p), "a named pipe (FIFO)"),
        (lambda p: p.symlink_to("/dev/zero"), "a character device"),
        (lambda p: p.symlink_to(p.parent / "gone.yaml"), "dangling symbolic link"),
        (lambda p: p.mkdir(), "a directory"),
    ],
    ids=["fifo", "dev-zero", "dangling", "folder"],
)
@pytest.mark.parametrize("name", [".manifestlint.yaml", ".manifestlint.yml", "pyproject.toml"])
def test_config_not_a_regular_file_is_exit_2(tmp_path: Path, make, what: str, name: str) -> None:
    """Discovery stats the configuration, never opens a FIFO or device, and says what it found
    instead of linting silently with defaults the user did not choose (issue 8)."""
    (tmp_path / "sub").mkdir()
    make(tmp_path / name)  # found upward from the folder the lint runs in
    (tmp_path / "sub" / "a.yaml").write_text(DEPLOY)
    proc = cli("a.yaml", cwd=tmp_path / "sub")
    err = no_traceback(proc)
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1, err
    assert f"{tmp_path / name}: {what}" in err and "regular file" in err, err


def test_explicit_configuration_fifo_is_exit_2_not_not_found(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "a.yaml").write_text(DEPLOY)
    proc = cli("--config", "pipe.yaml", "a.yaml", cwd=tmp_path)
    err = no_traceback(proc)
    assert proc.returncode == 2 and "pipe.yaml: a named pipe (FIFO), not a regular file" in err, err


@pytest.mark.parametrize(
    "text",
    [
        '{"format": "manifestlint-baseline/1", "fingerprints": [[1], {"a": 2}]}',
        '{"format": "manifestlint-baseline/1", "fingerprints": {"a": 1}}',
        "[" * 100_000,
        "\xff",
        "",
    ],
)
def test_baseline_of_the_wrong_shape(tmp_path: Path, text: str) -> None:
    (tmp_path / "b.json").write_text(text, encoding="latin-1")
    (tmp_path / "a.yaml").write_text(DEPLOY)
    proc = cli("--baseline", "b.json", "a.yaml", cwd=tmp_path)
    err = no_traceback(proc)
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1 and "b.json" in err, err


def test_a_crash_is_exit_2_in_one_line_never_1(tmp_path: Path) -> None:
    """A bug of ours (simulated: the engine raises) must not look like 'findings' (exit 1)."""
    (tmp_path / "a.yaml").write_text(DEPLOY)
    code = (
        "import sys, manifestlint.engine as engine\n"
        "def boom(*args, **kwargs):\n"
        "    raise RuntimeError('simulated bug')\n"
        "engine.lint = boom\n"
        "from manifestlint.cli import entry\n"
        "sys.argv = ['manifestlint', 'lint', '--exit-zero', 'a.yaml']\n"
        "entry()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, timeout=TIMEOUT, preexec_fn=_limits
    )
    err = no_traceback(proc)
    assert proc.returncode == 2
    assert err.strip() == (
        "manifestlint: internal error: RuntimeError: simulated bug (MANIFESTLINT_DEBUG=1 shows where)"
    )


# ---------------------------------------------------------------- git: nothing from the input runs

_GIT_ID = {
    "GIT_AUTHOR_NAME": "a",
    "GIT_AUTHOR_EMAIL": "a@b",
    "GIT_COMMITTER_NAME": "a",
    "GIT_COMMITTER_EMAIL": "a@b",
}


def git(cwd: Path, *args: str, env: dict | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *args],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
        env={**os.environ, **_GIT_ID, **(env or {})},
    ).stdout.decode()


def _repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    (path / "base.yaml").write_text(DEPLOY)
    git(path, "add", "-A")
    git(path, "commit", "-qm", "base")
    return path


_TRAPS = ("fsmonitor", "external", "textconv", "diffcommand", "clean", "smudge", "process", "pager", "hook")


def _booby_trap(repo: Path, traps: Path, marker: Path) -> None:
    """Every program a repository can make git run appends its name to `marker`."""
    traps.mkdir()
    for name in _TRAPS:
        passthrough = {"textconv": 'cat "$1"', "clean": "cat", "smudge": "cat", "pager": "cat"}.get(name, "")
        (traps / name).write_text(f"#!/bin/sh\necho {name} >> {marker}\n{passthrough}\nexit 0\n")
        (traps / name).chmod(0o755)
    hooks = repo / ".git" / "hooks"
    for hook in ("post-index-change", "pre-commit", "reference-transaction", "post-checkout"):
        (hooks / hook).write_text(f"#!/bin/sh\n{traps / 'hook'}\n")
        (hooks / hook).chmod(0o755)
    with open(repo / ".git" / "config", "a") as handle:
        handle.write(
            f"[core]\n\tfsmonitor = {traps / 'fsmonitor'}\n\tpager = {traps / 'pager'}\n"
            f"[diff]\n\texternal = {traps / 'external'}\n"
            f'[diff "evil"]\n\ttextconv = {traps / "textconv"}\n\tcommand = {traps / "diffcommand"}\n'
            f'[filter "evil"]\n\tclean = {traps / "clean"}\n\tsmudge = {traps / "smudge"}\n'
            f'[filter "proc"]\n\tprocess = {traps / "process"}\n\trequired = true\n'
            f"[pager]\n\tdiff = {traps / 'pager'}\n"
        )
    (repo / ".gitattributes").write_text("*.yaml diff=evil filter=evil\n*.yml filter=proc\n")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("* diff=evil filter=evil\n")


def test_booby_trapped_repository_runs_nothing(tmp_path: Path) -> None:
    """`core.fsmonitor` and a diff textconv driver ran commands from the linted tree's
    .git/config. Plain git runs them (the control); no git call of manifestlint does:
    folder walks, a named file's context set, --diff-base."""
    repo = _repo(tmp_path / "repo")
    git(repo, "checkout", "-qb", "pr")
    marker = tmp_path / "marker"
    _booby_trap(repo, tmp_path / "traps", marker)
    (repo / "base.yaml").write_text(DEPLOY.replace("replicas: 1", "replicas: 1\n  paused: false"))
    (repo / "new.yaml").write_text(DEPLOY)
    (repo / "k8s").mkdir()
    (repo / "k8s" / "app.yml").write_text(DEPLOY)
    for args in (["ls-files", "--others"], ["diff", "main"], ["diff", "--no-ext-diff", "main"]):
        subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=TIMEOUT)
    control = set(marker.read_text().split())
    assert {"fsmonitor", "diffcommand", "textconv", "clean"} <= control, control
    marker.unlink()
    for args in (
        ["."],
        ["k8s/app.yml"],
        ["--diff-base", "main", "."],
        ["-f", "sarif", "--diff-base", "main", "k8s"],
    ):
        proc = cli(*args, cwd=repo)
        no_traceback(proc)
        assert proc.returncode == 1, (args, proc.stderr)
        assert not marker.exists(), (args, marker.read_text())


def _pr_with(
    tmp_path: Path, name: str, attributes: str = "", user_config: str = ""
) -> subprocess.CompletedProcess:
    repo = _repo(tmp_path / "repo")
    git(repo, "checkout", "-qb", "pr")
    if attributes:
        (repo / ".gitattributes").write_text(attributes)
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(DEPLOY)
    (repo / "base.yaml").write_text(DEPLOY.replace("replicas: 1", "replicas: 1  # edited"))
    (repo / "plus.yaml").write_text("a: |\n++ not a header\n")  # its patch line reads `+++ ...`
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "pr")
    env = {}
    if user_config:
        home = tmp_path / "home"
        home.mkdir()
        (home / ".gitconfig").write_text(user_config)
        env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    return cli("-f", "json", "--diff-base", "main", ".", cwd=repo, env=env)


def _linted(proc: subprocess.CompletedProcess) -> dict[str, set[int]]:
    import json

    no_traceback(proc)
    out: dict[str, set[int]] = {}
    for f in json.loads(proc.stdout)["findings"]:
        out.setdefault(f["path"], set()).add(f["line"])
    return out


@pytest.mark.parametrize(
    "name", ["a b.yaml", "dé.yaml", 'q"x.yaml', "t\tx.yaml", "b\\x.yaml", "sp ace/x y.yml"]
)
def test_diff_base_changed_files_with_unusual_names(tmp_path: Path, name: str) -> None:
    """Such files were dropped (exit 0, nothing linted); the edited line of base.yaml too."""
    proc = _pr_with(tmp_path, name)
    assert proc.returncode == 1
    found = _linted(proc)
    assert name in found and found["base.yaml"] == {6}, found


@pytest.mark.parametrize(
    "attributes, user_config",
    [
        ("*.yaml -diff\n", ""),
        ("*.yaml binary\n", ""),
        ("", "[diff]\n\tmnemonicPrefix = true\n"),
        ("", "[diff]\n\tnoprefix = true\n"),
        ("", '[color]\n\tui = always\n[color "diff"]\n\tnew = red\n'),
        ("", "[diff]\n\trelative = true\n\tcontext = 9\n\tinterHunkContext = 20\n\trenames = false\n"),
        ("", "[core]\n\tquotePath = false\n"),
    ],
)
def test_diff_base_is_not_blinded(tmp_path: Path, attributes: str, user_config: str) -> None:
    proc = _pr_with(tmp_path, "sub/c.yaml", attributes, user_config)
    assert proc.returncode == 1
    found = _linted(proc)
    assert "sub/c.yaml" in found and found["base.yaml"] == {6}, found


def test_diff_base_in_a_shallow_clone_says_fetch_depth_0(tmp_path: Path) -> None:
    upstream = _repo(tmp_path / "up")
    for i in range(3):
        (upstream / f"f{i}.yaml").write_text(DEPLOY)
        git(upstream, "add", "-A")
        git(upstream, "commit", "-qm", str(i))
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{upstream}", "clone")
    for base in ("HEAD~2", "origin/no-such-branch"):
        proc = cli("--diff-base", base, ".", cwd=tmp_path / "clone")
        err = no_traceback(proc)
        assert proc.returncode == 2 and len(err.strip().splitlines()) == 1, err
        assert "shallow clone" in err and "fetch-depth: 0" in err, err


def test_diff_base_refuses_option_like_refs(tmp_path: Path) -> None:
    """A ref is never taken as a git option (`--output=...` would write a file)."""
    repo = _repo(tmp_path / "repo")
    proc = cli(f"--diff-base=--output={tmp_path / 'written'}", ".", cwd=repo)
    err = no_traceback(proc)
    assert proc.returncode == 2 and "unknown revision" in err and not (tmp_path / "written").exists()


def test_side_files_that_are_fifos_or_devices_do_not_hang(tmp_path: Path) -> None:
    """Kustomizations, Compose/Skaffold files and .env are read by the project model too:
    a FIFO or a link to /dev/zero under those names must not block or exhaust memory."""
    (tmp_path / ".manifestlint.yaml").write_text("{}\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "deploy.yaml").write_text(DEPLOY)
    (tmp_path / "app" / "Dockerfile").write_text("FROM nginx:1.27\n")
    (tmp_path / "app" / "kustomization.yaml").symlink_to("/dev/zero")
    for name in ("docker-compose.yml", "compose.yaml", "skaffold.yaml", ".env", "Tiltfile"):
        os.mkfifo(tmp_path / "app" / name)
    proc = cli("-f", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert _unreadable(proc)["app/kustomization.yaml"] == "a character device, not a regular file; not read"


def test_file_swapped_for_a_fifo_mid_run_does_not_hang(tmp_path: Path) -> None:
    """Between the check and the open, x.yaml keeps being replaced by a FIFO and back: the
    open never blocks (O_NONBLOCK) and fstat on the open file decides."""
    import threading

    (tmp_path / "regular").write_text(DEPLOY)
    os.mkfifo(tmp_path / "fifo")
    stop = threading.Event()

    def swap() -> None:
        while not stop.is_set():
            for source in ("regular", "fifo"):
                os.link(tmp_path / source, tmp_path / "next")
                os.replace(tmp_path / "next", tmp_path / "x.yaml")

    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        for _ in range(8):
            proc = cli("-f", "json", "x.yaml", cwd=tmp_path)  # raises TimeoutExpired on a hang
            no_traceback(proc)
            assert proc.returncode == 1
    finally:
        stop.set()
        swapper.join()


@pytest.mark.parametrize(
    "args", [["--bogus", "."], [], ["-f", "xml", "."], ["--fail-on=x", "."], ["-o", ".", "a.yaml"]]
)
def test_usage_errors_are_exit_2_in_one_line(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a.yaml").write_text(DEPLOY)
    proc = cli(*args, cwd=tmp_path)
    err = no_traceback(proc)
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1 and err.startswith("Error: "), err


def test_context_links_leaving_the_tree_are_not_read(tmp_path: Path) -> None:
    """A context file linked from outside the project must not change a verdict: the PDB
    outside does not cover the Deployment; the same PDB inside does."""
    pdb = (
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
        "spec:\n  minAvailable: 1\n  selector: {matchLabels: {app: web}}\n"
    )
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "pdb.yaml").write_text(pdb)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".manifestlint.yaml").write_text("{}\n")
    (tree / "deploy.yaml").write_text(DEPLOY.replace("replicas: 1", "replicas: 3"))
    (tree / "pdb.yaml").symlink_to(tmp_path / "outside" / "pdb.yaml")

    def rules() -> set[str]:
        import json

        proc = cli("-f", "json", "deploy.yaml", cwd=tree)
        no_traceback(proc)
        return {f["rule"] for f in json.loads(proc.stdout)["findings"]}

    assert "k8s-missing-pdb" in rules()
    (tree / "pdb.yaml").unlink()
    (tree / "pdb.yaml").write_text(pdb)
    assert "k8s-missing-pdb" not in rules()


def test_verbose_listing_escapes_file_names(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a\x1b[2J\n::error::b.yaml").write_text(DEPLOY)
    proc = cli("-v", "x", cwd=tmp_path)
    err = no_traceback(proc)
    assert proc.returncode == 1 and "\x1b" not in err and "a\\x1b[2J\\n::error::b.yaml" in err, err
    assert all(line.startswith("manifestlint: ") for line in err.splitlines()), err
