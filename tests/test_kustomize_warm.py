"""Warm calls in Kustomize trees (issue 23, item 1): a one-file call in a tree holding
kustomizations is answered from a warm model (project/warm.py) with the kustomize half saved
(the named files' transforms, the relations of relabelled bundles as deployed, the changes of
the trees deploying them), and its findings are those of the uncached call and of the whole
project in one call, for every file of the fixture projects with kustomizations and of a
generated Kustomize monorepo; any change of what kustomize reads makes the model unused."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from manifestlint import engine
from manifestlint.config import Config
from manifestlint.registry import load_registry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from bench import make_kustomize_monorepo
from check_relevance import candidates, compare, keys

FIXTURES = Path(__file__).parent / "fixtures" / "projects"
KUSTOMIZE_PROJECTS = ["kustomize", "overlays", "precision/kustomize"]
registry = load_registry()


def _aged(root: Path) -> None:
    """Every file an hour old: past the cache's racy window (a warm model is then saved)."""
    then = time.time() - 3600
    for path in root.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            os.utime(path, (then, then))


def _copy(name: str, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / name, root)
    (root / ".manifestlint.yaml").write_text("{}\n", encoding="utf-8")
    _aged(root)
    return root


def _config(root: Path, cache: Path) -> Config:
    config = Config(path=root / ".manifestlint.yaml")
    config.cache_dir = str(cache)
    return config


def _warm_models(cache: Path) -> int:
    return len(list((cache / "models").glob("*.json")))


@pytest.mark.parametrize("name", KUSTOMIZE_PROJECTS)
def test_every_file_alone_warm_equals_uncached_and_the_whole_project(tmp_path: Path, name: str) -> None:
    """Each YAML file named alone: cold, warm (the relevance filter on, through the saved
    relations) and uncached, equal to each other and to its findings in one call over the
    whole project (batch independence)."""
    root = _copy(name, tmp_path)
    cache = tmp_path / "cache"
    names = candidates(root)
    assert compare(root, names, cache, uncached=True) == []
    assert _warm_models(cache) > 0  # warm models were saved in a tree with kustomizations
    config = _config(root, tmp_path / "whole-cache")
    whole = keys(engine.lint(["."], registry, config, root))
    for one in names:
        alone = keys(engine.lint([one], registry, config, root, use_cache=True))
        assert sorted(alone) == sorted(k for k in whole if k[1] == one), one


def _monorepo(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "mono"
    staged = make_kustomize_monorepo(root, 24, teams=3)
    _aged(root)
    return root, staged.as_posix()


def test_the_generated_kustomize_monorepo_is_warm_and_exact(tmp_path: Path, monkeypatch) -> None:
    """bench.py's Kustomize monorepo (each app a base, staging/prod overlays per team with a
    namespace, commonLabels, an image rewrite and a patch of the staged file's Deployment):
    the second one-file call reads no index and parses no other file, and every sample
    file's findings equal the uncached call's."""
    root, staged = _monorepo(tmp_path)
    cache = tmp_path / "cache"
    sample = [staged, "deploy/team-01/app-00004/app.yaml", "deploy/team-07/overlays/prod/replicas.yaml"]
    sample += ["deploy/team-00/overlays/staging/kustomization.yaml"]
    sample += ["deploy/team-02/app-00002/kustomization.yaml"]
    sample = [s for s in sample if (root / s).exists()]
    assert compare(root, sample, cache, uncached=True) == []
    import manifestlint.project.cache as cache_module
    import manifestlint.project.context_files as context_files
    import manifestlint.project.kustomize as kustomize

    config = _config(root, cache)
    want = keys(engine.lint([staged], registry, config, root, use_cache=True))
    parsed: list[str] = []
    real_read = context_files.read_source

    def no_index(self) -> None:
        raise AssertionError("the index was read: no warm model")

    def count(source, *args, **kwargs):
        parsed.append(source.path)
        return real_read(source, *args, **kwargs)

    def refuse_parse(*args, **kwargs):
        raise AssertionError("every kustomization read again on a warm call")

    monkeypatch.setattr(cache_module.ContextCache, "_load", no_index)
    monkeypatch.setattr(context_files, "read_source", count)
    monkeypatch.setattr(kustomize, "parse", refuse_parse)
    got = keys(engine.lint([staged], registry, config, root, use_cache=True))
    assert got == want and parsed == []


CHANGES = {
    # an overlay's image rewrite: a kustomization is a context file (its stat is in the key)
    "image": ("deploy/team-01/overlays/prod/kustomization.yaml", "newTag: prod-1.0.1", "newTag: latest"),
    # the patch a tree applies to the named file's Deployment
    "patch": ("deploy/team-01/overlays/prod/replicas.yaml", "replicas: 3", "replicas: 1"),
    # an overlay's labels: selectors and pods relabelled
    "labels": ("deploy/team-01/overlays/staging/kustomization.yaml", "env: staging", "env: stage"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_of_what_kustomize_reads_is_followed(tmp_path: Path, change: str) -> None:
    root, _ = _monorepo(tmp_path)
    named = "deploy/team-01/app-00001/app.yaml"
    cache = tmp_path / "cache"
    config = _config(root, cache)
    for _ in range(2):  # cold, then warm
        engine.lint([named], registry, config, root, use_cache=True)
    file, old, new = CHANGES[change]
    text = (root / file).read_text(encoding="utf-8")
    assert old in text
    (root / file).write_text(text.replace(old, new), encoding="utf-8")
    _aged(root)
    want = keys(engine.lint([named], registry, config, root, use_cache=False))
    for _ in range(2):
        assert keys(engine.lint([named], registry, config, root, use_cache=True)) == want


def test_a_makefile_setting_an_image_is_followed(tmp_path: Path) -> None:
    """A Makefile's `kustomize edit set image` is a kustomize input no context file covers:
    a new one (a new name of the root) gives the warm model another key."""
    root, _ = _monorepo(tmp_path)
    named = "deploy/team-01/app-00001/app.yaml"
    config = _config(root, tmp_path / "cache")
    before = [keys(engine.lint([named], registry, config, root, use_cache=True)) for _ in range(2)]
    assert before[0] == before[1]
    make = "deploy:\n\tcd deploy && kustomize edit set image ghcr.io/acme/app-00001-worker=${IMG}\n"
    (root / "Makefile").write_text(make, encoding="utf-8")
    _aged(root)
    want = keys(engine.lint([named], registry, config, root, use_cache=False))
    assert keys(engine.lint([named], registry, config, root, use_cache=True)) == want


def _variants(model: dict) -> list:
    return model["kustomize"]["variants"]


HOSTILE = {
    "not-a-mapping": lambda m: m.update(kustomize=[]),
    "missing": lambda m: m.pop("kustomize"),
    "input-changed": lambda m: m["kustomize"]["inputs"].append(["deploy/nothing.yaml", [1, 2, 3, 4]]),
    "input-outside": lambda m: m["kustomize"]["inputs"].append(["../../etc/passwd", None]),
    "variant-outside": lambda m: [v[2].append("../../etc/kustomization.yaml") for v in _variants(m)],
    "variant-unknown-file": lambda m: [v.__setitem__(0, "deploy/other.yaml") for v in _variants(m)],
    "transform-wrong-type": lambda m: [
        item.__setitem__(2, ["ns", {"a": 1}, {}]) for b in m["bundles"] for item in b[2] if len(item) == 3
    ],
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_spoilt_kustomize_half_is_ignored(tmp_path: Path, name: str, monkeypatch) -> None:
    """A warm model whose kustomize half is not well-formed, names a path outside the root or
    an input that changed is ignored: the call builds the model again."""
    import json

    from manifestlint.project import warm

    read: list = []
    real_read = warm.read
    monkeypatch.setattr(warm, "read", lambda *args: read.append(real_read(*args)) or read[-1])

    root, staged = _monorepo(tmp_path)
    cache = tmp_path / "cache"
    config = _config(root, cache)
    want = keys(engine.lint([staged], registry, config, root, use_cache=False))
    assert keys(engine.lint([staged], registry, config, root, use_cache=True)) == want
    models = list((cache / "models").glob("*.json"))
    assert models
    for path in models:
        data = json.loads(path.read_text(encoding="utf-8"))
        HOSTILE[name](data["model"])
        path.write_text(json.dumps(data), encoding="utf-8")
    read.clear()
    assert keys(engine.lint([staged], registry, config, root, use_cache=True)) == want
    assert read == [None]  # loaded, found wanting, ignored
