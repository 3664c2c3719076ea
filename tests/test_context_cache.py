"""The context cache (project/cache.py): a one-file call reads the other files' facts and
pruned documents from `.manifestlint_cache/` instead of parsing them, and its report is byte
for byte the report of a call without the cache — cold, warm, after edits, renames, deletions
and touches of context files, and whatever a corrupt, hostile or foreign cache holds."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import corpus_dir

from manifestlint.cli import main
from manifestlint.config import Config
from manifestlint.engine import lint
from manifestlint.project.cache import CACHE_DIR_NAME, decode_docs, encode_docs
from manifestlint.registry import load_registry

NAMED = "shop/web.yaml"


def _deployment(name: str, app: str, replicas: int = 2, port: int = 8080) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {app}}}
  template:
    metadata:
      labels: {{app: {app}}}
    spec:
      serviceAccountName: {app}
      containers:
        - name: main
          image: registry.example.com/{app}:1.0
          command: [serve]
          ports:
            - containerPort: {port}
              name: http
          env:
            - {{name: MODE, value: prod}}
          resources:
            limits: {{cpu: 500m, memory: 256Mi}}
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
"""


FILES = {
    # the named file: a Service whose pods are in a context file (their ports decide a finding
    # with a related location there), a Service whose pods exist nowhere (a dangling reference,
    # confirmed on the whole project) and a workload that context PDB, HPA, policy and
    # ServiceAccount apply to
    NAMED: "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
    "spec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: metrics}]\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: ghost, namespace: shop}\n"
    "spec:\n  selector: {app: nobody}\n  ports: [{port: 80, targetPort: http}]\n"
    "---\n" + _deployment("worker", "worker"),
    "shop/deploy.yaml": _deployment("web", "web").replace(
        "serviceAccountName: web", "serviceAccountName: web"
    ),
    "shop/pdb.yaml": "apiVersion: policy/v1\nkind: PodDisruptionBudget\n"
    "metadata: {name: worker, namespace: shop}\n"
    "spec:\n  maxUnavailable: 1\n  selector:\n    matchLabels: {app: worker}\n",
    "shop/hpa.yaml": "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
    "metadata: {name: worker, namespace: shop}\nspec:\n"
    "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}\n"
    "  minReplicas: 2\n  maxReplicas: 3\n",
    "shop/policy.yaml": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
    "metadata: {name: worker, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: worker}}\n"
    "  policyTypes: [Ingress]\n",
    "shop/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: shop}\n"
    "data:\n  app.properties: |\n    a=1\n",
    "shop/account.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: worker, namespace: shop}\n"
    "automountServiceAccountToken: false\n",
    "billing/api.yaml": _deployment("api", "api", replicas=1, port=9090).replace(
        "namespace: shop", "namespace: billing"
    ),
    "billing/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: billing}\n"
    "spec:\n  selector: {app: api}\n  ports: [{port: 80, targetPort: 9090}]\n",
    "notes.yaml": "title: not a manifest\n",
}


def _repo(root: Path, files: dict[str, str] | None = None, age: float = 3600.0) -> Path:
    """A project (its root marked by a config file) whose files are `age` seconds old: older
    than the racy window, so the cache trusts size and mtime as it would on a real tree."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".manifestlint.yaml").write_text("include-test-data: false\n", encoding="utf-8")
    for name, text in (FILES if files is None else files).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _age(root, age)
    return root


def _age(root: Path, age: float) -> None:
    then = time.time() - age
    for path in root.rglob("*.yaml"):
        if CACHE_DIR_NAME not in path.parts:
            os.utime(path, (then, then))


def _lint(root: Path, *args: str, cache: bool = True, env: dict[str, str] | None = None) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(root)
    try:
        extra = [] if cache else ["--no-cache"]
        result = CliRunner().invoke(
            main, ["lint", "-f", "json", "--exit-zero", *extra, *args, NAMED], env=env or {}
        )
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


def _same(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """The cached call's report, asserted identical to the uncached one's."""
    want = _lint(root, *args, cache=False, env=env)
    got = _lint(root, *args, env=env)
    assert got == want
    return got[1]


def _rules(report: str) -> list[tuple[str, int]]:
    return sorted((f["rule"], f["line"]) for f in json.loads(report)["findings"])


def _index_file(folder: Path) -> Path:
    (found,) = folder.glob("index-*.json")  # named after the folder's inode and the key
    return found


def _index(root: Path) -> dict:
    return json.loads(_index_file(root / CACHE_DIR_NAME).read_text(encoding="utf-8"))


def _shards(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR_NAME / "docs").glob("*.json"))


def test_cold_and_warm_reports_equal_the_uncached_one(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    cold = _same(root)
    cache = root / CACHE_DIR_NAME
    assert (cache / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    entries = _index(root)["files"]
    # named files are parsed, never read from the cache; the config file is a YAML file too
    assert set(entries) == set(FILES) - {NAMED} | {".manifestlint.yaml"}
    warm = _same(root)
    assert warm == cold
    rules = {rule for rule, _ in _rules(warm)}
    # cross-file findings that need the context: the Service's target port is no port of the
    # pods in shop/deploy.yaml (a related location there), the ghost Service selects nothing
    # in the whole project; the PDB, policy and ServiceAccount of context files are seen
    assert {"k8s-service-target-port-mismatch", "k8s-service-selector-mismatch"} <= rules
    related = [
        f["related"] for f in json.loads(warm)["findings"] if f["rule"] == "k8s-service-target-port-mismatch"
    ]
    assert related and related[0][0]["path"] == "shop/deploy.yaml" and related[0][0]["line"] == 4
    assert not rules & {
        "k8s-missing-pdb",
        "k8s-missing-network-policy",
        "k8s-service-account-token-automount",
    }


def test_warm_call_reads_no_context_file(tmp_path: Path, monkeypatch) -> None:
    """Warm, no context file is read or parsed: every one comes from the cache."""
    root = _repo(tmp_path / "repo")
    cold = _lint(root)
    import manifestlint.engine as engine
    import manifestlint.project.context_files as context_files

    def refuse(source, *args, **kwargs):
        if not source.path.endswith(NAMED):
            raise AssertionError(f"{source.path} parsed on a warm call")
        return real_read(source, *args, **kwargs)

    real_read = engine.read_source
    monkeypatch.setattr(engine, "read_source", refuse)
    monkeypatch.setattr(context_files, "read_source", refuse)  # where context files are read
    assert _lint(root) == cold


def test_cached_documents_keep_positions_and_drop_only_unread_subtrees() -> None:
    from manifestlint.parse.yaml import parse_stream

    docs, _, _ = parse_stream(FILES["shop/deploy.yaml"] + "---\n" + FILES["shop/config.yaml"], "x.yaml")
    for doc in docs:
        doc.kind = "kubernetes"
    rebuilt = decode_docs(json.loads(json.dumps(encode_docs(docs))), "x.yaml")
    assert [d.span for d in rebuilt] == [d.span for d in docs]
    deployment, original = rebuilt[0].root, docs[0].root
    container = deployment.path_get("spec", "template", "spec", "containers", 0)
    assert "env" not in container and "resources" not in container  # never read by cross-file rules
    assert (
        container["readinessProbe"]
        == original.path_get("spec", "template", "spec", "containers", 0)["readinessProbe"]
    )
    meta, was = deployment["metadata"], original["metadata"]
    assert meta.value_span("name") == was.value_span("name") and meta.key_span("name") == was.key_span("name")
    ports = deployment.path_get("spec", "template", "spec", "containers", 0, "ports")
    assert ports.item_span(0) == original.path_get(
        "spec", "template", "spec", "containers", 0, "ports"
    ).item_span(0)
    assert deployment.span == original.span and deployment.start() == original.start()
    assert "data" not in rebuilt[1].root and rebuilt[1].root["metadata"]["name"] == "web"


def _write_later(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    later = time.time()
    os.utime(path, (later, later))


def test_edits_renames_deletions_and_touches(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    _same(root)
    # an edit: the PDB now selects other pods (a different size)
    _write_later(root / "shop/pdb.yaml", FILES["shop/pdb.yaml"].replace("{app: worker}", "{app: other}"))
    assert "k8s-missing-pdb" in {rule for rule, _ in _rules(_same(root))}
    # an edit of the same size that keeps the mtime too (a write within the file system's
    # timestamp granularity): the entry was recorded while racy, so its hash is checked
    pdb = root / "shop/pdb.yaml"
    _write_later(pdb, FILES["shop/pdb.yaml"].replace("{app: worker}", "{app: workex}"))
    assert "k8s-missing-pdb" in {rule for rule, _ in _rules(_same(root))}
    stamp = pdb.stat().st_mtime_ns
    pdb.write_text(FILES["shop/pdb.yaml"], encoding="utf-8")
    os.utime(pdb, ns=(stamp, stamp))
    assert "k8s-missing-pdb" not in {rule for rule, _ in _rules(_same(root))}
    # a touch (same content, new mtime) is a hit after a hash check
    _age(root, 7200)
    before = _same(root)
    os.utime(root / "shop/deploy.yaml")
    assert _same(root) == before
    # a rename: the old path leaves the index, the new one joins it
    (root / "shop/deploy.yaml").rename(root / "shop/web.yml")
    renamed = _same(root)
    assert "shop/deploy.yaml" not in _index(root)["files"] and "shop/web.yml" in _index(root)["files"]
    assert _rules(renamed) == _rules(before) and "shop/web.yml" in renamed
    (root / "shop/web.yml").rename(root / "shop/deploy.yaml")
    # a deletion: the policy is gone, and so is its entry
    (root / "shop/hpa.yaml").unlink()
    _same(root)
    assert "shop/hpa.yaml" not in _index(root)["files"]
    # a new file
    (root / "shop/hpa.yaml").write_text(FILES["shop/hpa.yaml"], encoding="utf-8")
    _same(root)
    assert "shop/hpa.yaml" in _index(root)["files"]
    # the ServiceAccount (read by a per-object rule from the whole project) goes away
    (root / "shop/account.yaml").unlink()
    assert "k8s-service-account-token-automount" in {rule for rule, _ in _rules(_same(root))}
    # the pods of the Service change their port: the mismatch is gone
    _write_later(root / "shop/deploy.yaml", FILES["shop/deploy.yaml"].replace("name: http", "name: metrics"))
    assert "k8s-service-target-port-mismatch" not in {rule for rule, _ in _rules(_same(root))}


def _rewrite_index(root: Path, change) -> None:
    path = _index_file(root / CACHE_DIR_NAME)
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _rewrite_shards(root: Path, change) -> None:
    """Each shard as {"files": {rel: [sha, documents]}}, changed by `change`, packed back."""
    from manifestlint.project.cache import ContextCache, pack_shard, unpack_shard

    key = ContextCache(root / CACHE_DIR_NAME, root).key
    for shard in _shards(root):
        found = unpack_shard(shard.read_bytes(), key)
        assert found.files, shard
        data = {"files": {rel: [found.get(rel)[0], json.loads(found.get(rel)[1])] for rel in found.files}}
        change(data)
        packed = [(rel, sha, json.dumps(docs).encode()) for rel, (sha, docs) in data["files"].items()]
        shard.write_bytes(pack_shard(key, packed))


def _deep(depth: int) -> list:
    value: list = ["l"]
    for _ in range(depth):
        value = ["l", value]
    return value


HOSTILE_INDEX = {
    "truncated": lambda d: d.clear(),
    "files-not-a-dict": lambda d: d.update(files=[1, 2, 3]),
    "entry-wrong-types": lambda d: [e.__setitem__(0, "big") for e in d["files"].values()],
    "entry-huge-numbers": lambda d: [e.__setitem__(0, 10**30) for e in d["files"].values()],
    "facts-wrong-types": lambda d: [e.__setitem__(4, [1, 2, 3, {}, None, 7]) for e in d["files"].values()],
    "path-escaping": lambda d: d["files"].update({"../../etc/passwd.yaml": next(iter(d["files"].values()))}),
    "other-version": lambda d: d.update(key="0" * 64),
    "other-checkout": lambda d: d.update(owner=[1, 2]),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_INDEX))
def test_a_corrupt_or_hostile_index_is_ignored(tmp_path: Path, name: str) -> None:
    root = _repo(tmp_path / "repo")
    want = _lint(root, cache=False)
    _lint(root)
    shutil.rmtree(root / CACHE_DIR_NAME / "models")  # else a warm model answers without the index
    _rewrite_index(root, HOSTILE_INDEX[name])
    assert _lint(root) == want
    assert _lint(root) == want  # and the rebuilt cache is good


HOSTILE_SHARD = {
    "garbage": None,
    "wrong-sha": lambda d: [v.__setitem__(0, "f" * 64) for v in d["files"].values()],
    "wrong-types": lambda d: [v.__setitem__(1, {"a": 1}) for v in d["files"].values()],
    "huge-position": lambda d: [doc[2].__setitem__(0, 2**80) for v in d["files"].values() for doc in v[1]],
    "deep-nesting": lambda d: [doc.__setitem__(3, _deep(500)) for v in d["files"].values() for doc in v[1]],
    "positions-short": lambda d: [doc[2].clear() for v in d["files"].values() for doc in v[1]],
    "unhashable-key": lambda d: [
        doc.__setitem__(3, ["m", [1], "x"]) for v in d["files"].values() for doc in v[1]
    ],
}


def _spoil(root: Path, files: list[Path], rewrite, change) -> None:
    """Garbage bytes in `files` (change None), else `rewrite(root, change)`."""
    assert files
    if change is None:
        for path in files:
            path.write_bytes(b"\x00{not json" * 100)
    else:
        rewrite(root, change)


@pytest.mark.parametrize("name", sorted(HOSTILE_SHARD))
def test_a_corrupt_or_hostile_shard_is_ignored(tmp_path: Path, name: str) -> None:
    root = _repo(tmp_path / "repo")
    want = _lint(root, cache=False)
    _lint(root)
    _spoil(root, _shards(root), _rewrite_shards, HOSTILE_SHARD[name])
    assert _lint(root) == want
    assert _lint(root) == want


def _models(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR_NAME / "models").glob("*.json"))


def test_a_warm_model_answers_without_the_index_and_follows_every_change(tmp_path: Path, monkeypatch) -> None:
    """The second call saves nothing new and reads neither the index nor any entry: its warm
    model (project/warm.py) says which files it needs. Any change of a context file (size,
    mtime), of the named file's facts, or a new file gives another key: the model is built
    again, and every report equals the uncached one."""
    import manifestlint.project.cache as cache

    # no dangling reference in the named file (confirming one reads the whole project)
    named_text = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
    named_text += "spec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: http}]\n"
    named_text += "---\n" + _deployment("worker", "worker")
    root = _repo(tmp_path / "repo", {**FILES, NAMED: named_text})
    want = _same(root)
    (model,) = _models(root)
    real_load = cache.ContextCache._load

    def refuse(self) -> None:
        raise AssertionError("the index was read on a warm call")

    monkeypatch.setattr(cache.ContextCache, "_load", refuse)
    assert _lint(root) == (0, want)
    assert _models(root) == [model]
    monkeypatch.setattr(cache.ContextCache, "_load", real_load)
    # an edit of a context file, aged past the racy window: a new key, the same report as uncached
    pdb = root / "shop/pdb.yaml"
    pdb.write_text(FILES["shop/pdb.yaml"].replace("{app: worker}", "{app: other}"), encoding="utf-8")
    _age(root, 3600)
    edited = _same(root)
    assert "k8s-missing-pdb" in {rule for rule, _ in _rules(edited)} and len(_models(root)) == 2
    assert _same(root) == edited
    # a new context file relating to the named one
    (root / "shop/pdb2.yaml").write_text(
        FILES["shop/pdb.yaml"].replace("name: worker", "name: w2"), encoding="utf-8"
    )
    _age(root, 3600)
    assert "k8s-missing-pdb" not in {rule for rule, _ in _rules(_same(root))}
    # the named file's facts change (another object): the model is keyed by them too
    named = root / NAMED
    named.write_text(named_text + "---\n" + _deployment("extra", "extra"), encoding="utf-8")
    _age(root, 3600)
    assert "k8s-missing-pdb" in {rule for rule, _ in _rules(_same(root))}
    assert _same(root) == _same(root)
    # a file modified within the racy window: no key, no model saved, the report unchanged
    before = len(_models(root))
    _write_later(root / "shop/config.yaml", FILES["shop/config.yaml"] + "# touched\n")
    _same(root)
    assert len(_models(root)) == before


def _rewrite_models(root: Path, change) -> None:
    for path in _models(root):
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data["model"])
        path.write_text(json.dumps(data), encoding="utf-8")


def _files_of(model: dict) -> list[list]:
    return [item for bundle in model["bundles"] for item in bundle[2]]


def _relations(model: dict) -> list[dict]:
    return [bundle[4] for bundle in model["bundles"]]


HOSTILE_MODEL = {
    "garbage": None,
    "not-a-mapping": lambda m: m.update(bundles=7),
    "unknown-file": lambda m: m["bundles"][0][2].append(["../../etc/passwd.yaml", "a" * 64]),
    "parsed-unknown": lambda m: m.update(parsed=["nowhere.yaml"]),
    "wrong-sha": lambda m: [item.__setitem__(1, "f" * 64) for item in _files_of(m) if item[1]],
    "sha-not-hex": lambda m: [item.__setitem__(1, "z" * 64) for item in _files_of(m) if item[1]],
    "whole-facts-wrong-types": lambda m: [item.__setitem__(2, [1, 2, 3]) for item in m["whole"]],
    "namespace-wrong-type": lambda m: [bundle.__setitem__(3, 7) for bundle in m["bundles"]],
    "relations-not-a-mapping": lambda m: [bundle.__setitem__(4, [1]) for bundle in m["bundles"]],
    "relations-bad-numbers": lambda m: [r.update(keep=[10**9, -1, "x"]) for r in _relations(m)],
    "relations-bad-links": lambda m: [r.update(raw=[{"a": 1}] * len(r["raw"])) for r in _relations(m)],
    "relations-missing": lambda m: [r.clear() for r in _relations(m)],
    # relations that relate nothing: the filter would leave out files that matter, were they
    # believed (a forgery in the user's own cache folder, as a forged shard would be)
    "relations-empty": lambda m: [
        r.update(keep=[], word={}, name={}, label={}, selector={}) for r in _relations(m)
    ],
    "bundles-dropped": lambda m: m.update(bundles=[]),
    "roles-forged": lambda m: m.update(roles=[["shop/web.yaml", "kustomize-patch", "forged"]]),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_MODEL))
def test_a_corrupt_or_hostile_warm_model_is_ignored_or_harmless(tmp_path: Path, name: str) -> None:
    """A model that does not describe the files at hand is ignored; one that names documents
    the shards do not hold makes the call start again without it. The only damage a forged
    model that passes every check can do is within the cache folder's owner's own files: the
    same trust as the shards (see project/cache.py, Safety)."""
    root = _repo(tmp_path / "repo")
    want = _lint(root, cache=False)
    _lint(root)
    _spoil(root, _models(root), _rewrite_models, HOSTILE_MODEL[name])
    got = _lint(root)
    if name in ("relations-empty", "bundles-dropped", "roles-forged"):
        assert got[0] == want[0]  # believed (it is well-formed): a local forgery, no crash
    else:
        assert got == want
    shutil.rmtree(root / CACHE_DIR_NAME / "models")
    assert _lint(root) == want


def test_a_cache_copied_from_another_checkout_is_not_trusted(tmp_path: Path) -> None:
    """A cache committed to a repository (or copied with it) belongs to another folder: it is
    rebuilt, even when its entries would match the files by hash."""
    first = _repo(tmp_path / "a")
    _lint(first)
    second = _repo(
        tmp_path / "b",
        {**FILES, "shop/pdb.yaml": FILES["shop/pdb.yaml"].replace("{app: worker}", "{app: zzz}")},
    )
    shutil.copytree(first / CACHE_DIR_NAME, second / CACHE_DIR_NAME)
    assert _lint(second) == _lint(second, cache=False)
    assert "k8s-missing-pdb" in {rule for rule, _ in _rules(_lint(second)[1])}


def test_cache_dir_settings_and_an_unwritable_place(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    elsewhere = tmp_path / "elsewhere"
    want = _lint(root, cache=False)
    assert _lint(root, env={"MANIFESTLINT_CACHE_DIR": str(elsewhere)}) == want
    assert _index_file(elsewhere).is_file() and not (root / CACHE_DIR_NAME).exists()
    (root / ".manifestlint.yaml").write_text("cache-dir: build/configured\n", encoding="utf-8")
    assert _lint(root) == want
    assert _index_file(root / "build" / "configured").is_file()
    (root / ".manifestlint.yaml").write_text("cache-dir: ../configured\n", encoding="utf-8")
    assert _lint(root)[0] == 2  # outside the project: a configuration error (issue 18)
    (root / ".manifestlint.yaml").write_text("include-test-data: false\n", encoding="utf-8")
    assert _lint(root, "build") == _lint(root, "build", cache=False)  # its folder is never linted
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder\n", encoding="utf-8")
    assert _lint(root, env={"MANIFESTLINT_CACHE_DIR": str(blocker / "cache")}) == want  # no crash


def test_uncacheable_files_are_parsed_every_time(tmp_path: Path) -> None:
    """Rule files and Alertmanager configs carry more than the pruning describes: never cached."""
    files = {
        **FILES,
        "monitoring/rules.yaml": "groups:\n  - name: g\n    rules:\n"
        "      - alert: Down\n        expr: up == 0\n",
    }
    root = _repo(tmp_path / "repo", files)
    assert _same(root) == _same(root)
    assert "monitoring/rules.yaml" not in _index(root)["files"]


def test_corpus_reports_equal_with_and_without_the_cache(tmp_path: Path, monkeypatch) -> None:
    """Files of the shared corpus named alone (the rest of the corpus as context), without the
    cache, with a cold cache and with a warm one: identical findings, related locations and
    identities included. The cache lives in tmp_path, never in the corpus."""
    corpus = corpus_dir()
    if corpus is None:
        pytest.skip("the shared corpus ($MANIFESTLINT_CORPUS or ../shared/corpus) is not present")
    registry = load_registry()
    config = Config(path=corpus / ".manifestlint.yaml")
    monkeypatch.setenv("MANIFESTLINT_CACHE_DIR", str(tmp_path / "cache"))  # a tree's own: inside it
    named = [
        "kubernetes-examples/web/guestbook/frontend-deployment.yaml",
        "istio/samples/bookinfo/platform/kube/bookinfo.yaml",
        "kube-prometheus/manifests/alertmanager-podDisruptionBudget.yaml",
    ]
    named = [n for n in named if (corpus / n).is_file()]
    assert named

    def keys(result) -> list[tuple]:
        return [(f.rule, f.path, f.span, f.message, f.obj, f.doc, f.related) for f in result.findings]

    for i, name in enumerate(named):
        want = keys(lint([name], registry, config, corpus))
        if i == 0:
            assert keys(lint([name], registry, config, corpus, use_cache=True)) == want  # cold
            assert _index_file(tmp_path / "cache").is_file()
        assert keys(lint([name], registry, config, corpus, use_cache=True)) == want  # warm


def test_a_linked_cache_folder_is_not_written_through(tmp_path: Path) -> None:
    """A repository may commit `.manifestlint_cache` (or its docs/ folder) as a symbolic link
    to somewhere else: nothing is written there, and the report is the uncached one."""
    target = tmp_path / "elsewhere"
    target.mkdir()
    root = _repo(tmp_path / "repo")
    (root / CACHE_DIR_NAME).symlink_to(target)
    assert _lint(root) == _lint(root, cache=False)
    assert list(target.iterdir()) == []
    (root / CACHE_DIR_NAME).unlink()
    (root / CACHE_DIR_NAME).mkdir()
    (root / CACHE_DIR_NAME / "docs").symlink_to(target)
    assert _lint(root) == _lint(root, cache=False)
    assert list(target.iterdir()) == []


def test_a_fifo_in_place_of_the_index_does_not_hang(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    (root / CACHE_DIR_NAME).mkdir()
    from manifestlint.project.cache import ContextCache

    os.mkfifo(ContextCache(root / CACHE_DIR_NAME, root)._index_file())
    assert _lint(root) == _lint(root, cache=False)


def test_a_cache_it_cannot_read_back_falls_back_to_parsing(tmp_path: Path, monkeypatch) -> None:
    """Even a bug of ours (documents written that do not read back) costs time, not findings."""
    import manifestlint.project.cache as cache

    root = _repo(tmp_path / "repo")
    want = _lint(root, cache=False)

    def broken(encoded, path):
        raise ValueError("cannot read back")

    monkeypatch.setattr(cache, "decode_docs", broken)
    assert _lint(root) == want
    assert _lint(root) == want


def test_a_committed_cache_is_never_opened_and_never_removed(tmp_path: Path) -> None:
    """Files a repository plants in the cache folder (a huge index, shards) are not read: the
    index's name depends on the folder's inode. Nor are they removed: the cache removes only
    what it wrote, in a folder it marked as its own (issue 18), here a folder inside."""
    root = _repo(tmp_path / "repo")
    folder = root / CACHE_DIR_NAME
    (folder / "docs").mkdir(parents=True)
    (folder / "models").mkdir()
    planted = [folder / "index.json", folder / "index-0000.json", folder / "docs" / "x.json"]
    planted.append(folder / "models" / "m.json")
    for path in planted:
        path.write_text('{"format": 2, "files": {"shop/pdb.yaml": "lie"}}', encoding="utf-8")
    assert _lint(root) == _lint(root, cache=False)
    assert all(path.exists() for path in planted)
    assert _index_file(folder / CACHE_DIR_NAME).is_file()
    assert _lint(root) == _lint(root, cache=False)
