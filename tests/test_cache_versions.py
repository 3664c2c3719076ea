"""Several manifestlint versions on one repository (issue 23, item 4): each keeps its own
generation of the context cache (project/generations.py), so two versions called in turn (a
pinned pre-commit hook and a global install) are both warm after their first call, and other
generations are pruned by use and size, never all at once."""

from __future__ import annotations

import os
import time
from pathlib import Path

from test_context_cache import FILES, NAMED, _deployment, _lint, _repo

import manifestlint
from manifestlint.project import generations
from manifestlint.project.cache import CACHE_DIR_NAME


def test_two_versions_alternating_are_both_warm(tmp_path: Path, monkeypatch) -> None:
    """After the first call of each version, no call of either parses a context file or reads
    an index: each finds its own warm model, whatever the other wrote in between."""
    import manifestlint.engine as engine
    import manifestlint.project.cache as cache
    import manifestlint.project.context_files as context_files

    # no dangling reference in the named file (confirming one reads the whole project)
    named = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
    named += "spec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: http}]\n"
    root = _repo(tmp_path / "repo", {**FILES, NAMED: named + "---\n" + _deployment("worker", "worker")})
    want = _lint(root, cache=False)
    for version in ("9.0.0-pinned", "9.1.0-global"):
        monkeypatch.setattr(manifestlint, "__version__", version)
        assert _lint(root) == want  # cold: this version's generation written
    folder = root / CACHE_DIR_NAME
    assert len(list(folder.glob("index-*.json"))) == 2

    def refuse(source, *args, **kwargs):
        if not source.path.endswith(NAMED):
            raise AssertionError(f"{source.path} parsed: a cold call")
        return real_read(source, *args, **kwargs)

    def no_index(self) -> None:
        raise AssertionError("an index was read: no warm model")

    real_read = engine.read_source
    monkeypatch.setattr(engine, "read_source", refuse)
    monkeypatch.setattr(context_files, "read_source", refuse)
    monkeypatch.setattr(cache.ContextCache, "_load", no_index)
    for version in ("9.0.0-pinned", "9.1.0-global") * 2:
        monkeypatch.setattr(manifestlint, "__version__", version)
        assert _lint(root) == want
    assert len(list(folder.glob("index-*.json"))) == 2


def _generation(folder: Path, gen: str, age_days: float, size: int = 10) -> list[Path]:
    files = [
        folder / f"index-{gen}{'0' * 12}.json",
        folder / "docs" / f"{gen}-{'1' * 24}.json",
        folder / "models" / f"{gen}-{'2' * 24}.json",
    ]
    then = time.time() - age_days * 86400
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
        os.utime(path, (then, then))
    return files


def test_other_generations_are_pruned_by_use_age_and_size(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "cache"
    current = _generation(folder, "aaaaaaaa", 30)  # old but current: always kept
    recent = [_generation(folder, f"{n}" * 8, n) for n in range(1, 6)]  # used 1..5 days ago
    stale = _generation(folder, "ffffffff", 20)  # unused for longer than MAX_AGE
    old_style = folder / "docs" / f"{'3' * 24}.json"  # an earlier version's unprefixed shard
    old_style.write_bytes(b"x")
    planted = folder / "docs" / "notes.txt"  # not of the cache's naming: never removed
    planted.write_bytes(b"x")
    generations.prune(folder, "aaaaaaaa", set())
    exists = [all(p.exists() for p in files) for files in recent]
    assert all(p.exists() for p in current)
    assert exists == [True, True, True, False, False]  # the 3 most recently used others
    assert not any(p.exists() for p in stale) and not old_style.exists() and planted.exists()
    # over the size limit: the oldest other generations go first
    monkeypatch.setattr(generations, "MAX_BYTES", 65)  # 30 bytes a generation
    generations.prune(folder, "aaaaaaaa", set())
    exists = [all(p.exists() for p in files) for files in recent[:3]]
    assert exists == [True, False, False] and all(p.exists() for p in current)


def test_a_used_generation_is_marked_as_used(tmp_path: Path) -> None:
    (index, *_) = _generation(tmp_path, "aaaaaaaa", 10)
    generations.mark_used(index)
    assert time.time() - index.stat().st_mtime < 60
