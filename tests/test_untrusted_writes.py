"""Issue 18, class 1: nothing written or removed outside the repository and the cache it owns.

A linted tree is hostile input (CI lints pull requests): its own configuration, the links and
FIFOs it commits, the folder an environment variable names for the cache. Every case runs the
real command line (tests/untrusted.py: audited, with CPU and memory limits) and compares the
folders outside the repository before and after.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from untrusted import DEPLOY, run, snapshot, tree

OTHERS = {  # another tool's files, named as the cache names its own
    "index-0123456789abcdef0123.json": "{}",
    "docs/report.json": '{"format": 3}',
    "docs/0123456789abcdef01234567.json": "{}",
    "models/0123456789abcdef01234567.json": "{}",
    "notes.txt": "keep me",
}


def _victim(folder: Path) -> Path:
    for name, text in OTHERS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def _project(tmp_path: Path, config: str = "{}\n", name: str = ".manifestlint.yaml") -> Path:
    files = {"a.yaml": DEPLOY, "b.yaml": DEPLOY.replace("web", "b"), "c/d.yaml": DEPLOY.replace("web", "d")}
    return tree(tmp_path, {**files, name: config})


@pytest.mark.parametrize("name", [".manifestlint.yaml", "pyproject.toml"])
@pytest.mark.parametrize(
    "value, message",
    [
        ("../victim", "must be a folder inside the project"),
        ("{victim}", "must be a folder inside the project"),
        ("~/victim", "must be a folder inside the project"),
        ("sub/../../victim", "must be a folder inside the project"),
        ("link", "a symbolic link on the way leads outside the project"),
        ("link/deeper", "a symbolic link on the way leads outside the project"),
        ("nul\\u0000x", "a NUL character is not allowed"),
    ],
)
def test_a_trees_own_cache_dir_stays_inside_it(tmp_path: Path, name: str, value: str, message: str) -> None:
    """`cache-dir` from the linted tree's configuration pointing outside it (`..`, absolute, a
    committed link): the cache rebuild removed files there it never wrote. Now a
    configuration error naming the key (exit 2), and nothing outside is touched."""
    victim = _victim(tmp_path / "victim")
    value = value.replace("{victim}", str(victim))
    text = f'cache-dir: "{value}"\n'
    if name == "pyproject.toml":
        text = f'[tool.manifestlint]\ncache-dir = "{value}"\n'
    root = _project(tmp_path, text, name)
    (root / "link").symlink_to(victim)
    before = snapshot(tmp_path / "victim")
    result = run("-f", "json", "a.yaml", cwd=root).check(forbidden=[victim], writable=[root], codes=(2,))
    assert "cache-dir" in result.err and message in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1
    assert snapshot(tmp_path / "victim") == before


def _cold_and_warm(root: Path, *args: str, env: dict | None = None, writable: list[Path] = ()) -> None:
    """A cold call, an edit (so the cache rewrites and cleans up), and a warm call."""
    for step in range(3):
        if step == 1:
            (root / "b.yaml").write_text(DEPLOY.replace("web", "b2"))
        run("-f", "json", *args, "a.yaml", cwd=root, env=env).check(writable=[root, *writable])


def test_cache_dir_naming_a_tracked_folder_removes_nothing_of_it(tmp_path: Path) -> None:
    """`cache-dir: deploy` removed the project's own files there. The cache now only removes
    files in a folder it marked as its own: here one it creates inside `deploy/`."""
    root = _project(tmp_path, "cache-dir: deploy\n")
    _victim(root / "deploy")
    before = snapshot(root / "deploy")
    _cold_and_warm(root)
    after = snapshot(root / "deploy")
    assert {k: v for k, v in after.items() if "/.manifestlint_cache" not in k} == before
    assert list((root / "deploy" / ".manifestlint_cache").glob("index-*.json"))


@pytest.mark.parametrize("how", ["folder", "link-to-folder"])
def test_a_shared_cache_folder_keeps_everyone_elses_files(tmp_path: Path, how: str) -> None:
    """MANIFESTLINT_CACHE_DIR pointing at a folder others use (a shared CI cache, /tmp): their
    files are neither read nor removed; the cache lives in a folder of its own inside."""
    shared = _victim(tmp_path / "shared")
    named = shared
    if how == "link-to-folder":
        named = tmp_path / "link"
        named.symlink_to(shared)
    root = _project(tmp_path)
    before = snapshot(shared)
    env = {"MANIFESTLINT_CACHE_DIR": str(named)}
    _cold_and_warm(root, env=env, writable=[shared / ".manifestlint_cache"])
    after = snapshot(shared)
    assert {k: v for k, v in after.items() if "/.manifestlint_cache" not in k} == before
    assert list((shared / ".manifestlint_cache").glob("index-*.json"))


def test_a_forged_cache_marker_is_not_trusted(tmp_path: Path) -> None:
    """A committed `.manifestlint_cache` with a marker of the cache's own format and files of
    its naming: the marker names another inode, so the folder is not the cache's; its files
    are neither read nor removed."""
    root = _project(tmp_path)
    folder = root / ".manifestlint_cache"
    _victim(folder)
    (folder / ".manifestlint-cache").write_text('{"id": "x", "dev": 1, "ino": 2}')
    before = snapshot(folder)
    _cold_and_warm(root)
    after = snapshot(folder)
    assert {k: v for k, v in after.items() if k.count(".manifestlint_cache") == 1} == before


def _outputs(tmp_path: Path) -> tuple[Path, Path]:
    root = _project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "bashrc").write_text("original\n")
    os.mkfifo(outside / "fifo")
    (root / "reports").symlink_to(outside)  # a committed folder link
    (root / "to-fifo.json").symlink_to(outside / "fifo")
    (root / "to-file.json").symlink_to(outside / "bashrc")
    os.mkfifo(root / "fifo.json")
    return root, outside


@pytest.mark.parametrize(
    "target, reason",
    [
        ("reports/bashrc", "its folder leads outside the repository"),
        ("reports/new/r.sarif", "its folder leads outside the repository"),
        ("to-fifo.json", "a symbolic link in the repository"),
        ("to-file.json", "a symbolic link in the repository"),
        ("fifo.json", "a named pipe (FIFO) in the repository, not a regular file"),
    ],
)
@pytest.mark.parametrize("option", ["-o", "--write-baseline", "checklist -o"])
def test_reports_never_go_through_a_committed_link_or_into_a_fifo(
    tmp_path: Path, target: str, reason: str, option: str
) -> None:
    """`-o` into a committed folder link wrote outside the checkout; a report named like a
    committed FIFO (or a link to one) blocked the run. Now exit 2 with the reason, at once."""
    root, outside = _outputs(tmp_path)
    before = snapshot(outside)
    command = "checklist" if option.startswith("checklist") else "lint"
    result = run(option.split()[-1], target, "a.yaml", cwd=root, command=command, timeout=30)
    result.check(forbidden=[outside], writable=[root], codes=(2,))
    assert f"{target}: {reason}" in result.err, result.err
    assert snapshot(outside) == before


def test_step_summary_is_only_appended_to_a_regular_file(tmp_path: Path) -> None:
    root, outside = _outputs(tmp_path)
    before = snapshot(outside)
    for name in ("to-fifo.json", "fifo.json", "reports/summary.md"):
        env = {"GITHUB_STEP_SUMMARY": str(root / name)}
        result = run("-f", "github", "a.yaml", cwd=root, env=env, timeout=30)
        result.check(forbidden=[outside], writable=[root], codes=(2,))
        assert "cannot write the step summary" in result.err, result.err
    assert snapshot(outside) == before
    summary = tmp_path / "summary.md"  # the runner's own file, outside the checkout
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    run("-f", "github", "a.yaml", cwd=root, env=env).check(writable=[root, summary])
    assert summary.read_text().startswith("## manifestlint")


def test_reports_inside_and_outside_the_tree_still_work(tmp_path: Path) -> None:
    root, _ = _outputs(tmp_path)
    run("-f", "sarif", "-o", "out/r.sarif", "a.yaml", cwd=root).check(writable=[root])
    assert (root / "out" / "r.sarif").is_file()
    elsewhere = tmp_path / "elsewhere" / "r.sarif"  # the user's own choice: written as named
    run("-f", "sarif", "-o", elsewhere, "a.yaml", cwd=root).check(writable=[root, elsewhere.parent])
    assert elsewhere.is_file()
    result = run("-f", "json", "-o", "/dev/stdout", "a.yaml", cwd=root)
    result.check(writable=[root, Path("/dev/stdout")])
    assert result.findings()
