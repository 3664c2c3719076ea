"""The relevance filter (project/links.py): cross-file rules read only the files of a bundle
that the named files relate to, and what they say about a named file never changes.

Each relation the module names is exercised in a project whose every file but the named one
is context, with the filter on and off; the corpus (and, in scripts/check_relevance.py, any
repository) is compared file by file."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from conftest import corpus_dir

from manifestlint import engine
from manifestlint.config import Config
from manifestlint.parse.yaml import parse_stream
from manifestlint.project.links import Links, decode, encode, links_of, related_files
from manifestlint.registry import load_registry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from check_relevance import compare

registry = load_registry()


def _links(text: str) -> Links:
    docs, _, _ = parse_stream(text, "x.yaml")
    for doc in docs:
        doc.kind = "kubernetes"
    return links_of(docs)


def test_names_words_labels_and_selectors() -> None:
    found = _links(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: web, pod-template-hash: abc}}\n"
        "  template:\n    metadata: {labels: {app: web, tier: front}}\n"
        "    spec:\n      serviceAccountName: web-sa\n      containers:\n"
        "        - {name: c, image: registry.example.com/team/web:1.0,"
        " command: [sh, -c, 'exec serve --port 8080']}\n"
    )
    assert "web" in found.names and "web-sa" in found.words
    assert {"registry", "example", "team", "web"} <= found.words  # dotted and slashed parts
    assert not any(" " in w for w in found.words)  # a command line names nothing
    assert (("app", "web"), ("tier", "front")) in found.labels
    assert found.selectors == ((("app", "web"),),)  # the controller's own label dropped
    assert found.places == (("Deployment", "shop"),) and not found.always and not found.wild
    assert decode(encode(found)) == found


@pytest.mark.parametrize(
    "text",
    [
        # an empty podSelector selects every pod of the namespace
        "kind: NetworkPolicy\nmetadata: {name: deny}\nspec: {podSelector: {}}\n",
        # expressions only: no subset test can say which pods
        "kind: PodDisruptionBudget\nmetadata: {name: p}\nspec:\n  selector:\n"
        "    matchExpressions: [{key: app, operator: In, values: [a, b]}]\n",
        # Calico's string selectors
        "kind: NetworkPolicy\napiVersion: projectcalico.org/v3\nmetadata: {name: c}\n"
        "spec: {selector: app == 'web'}\n",
        # a wildcard host relates by pattern
        "kind: DestinationRule\nmetadata: {name: all}\nspec: {host: '*.shop.svc.cluster.local'}\n",
        "kind: ResourceQuota\nmetadata: {name: q}\nspec: {hard: {pods: '10'}}\n",
        "kind: PrometheusRule\nmetadata: {name: r}\nspec: {groups: []}\n",
    ],
)
def test_what_reaches_everything_is_always_kept(text: str) -> None:
    assert _links("apiVersion: v1\n" + text if "apiVersion" not in text else text).always


def test_a_file_too_rich_to_describe_relates_to_everything() -> None:
    values = "".join(f"  k{i}: value-{i}\n" for i in range(5000))
    found = _links(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata:\n{values}")
    assert found.wild
    assert related_files(["a", "b"], {"a": Links(), "b": found}, ["a"]) == {"a", "b"}


def test_the_closure_follows_names_labels_and_keeps_the_first_of_each_kind() -> None:
    links = {
        "named": Links(
            names=frozenset({"web"}),
            words=frozenset({"web", "web-config"}),
            labels=((("app", "web"),),),
            places=(("Deployment", "shop"),),
        ),
        "config": Links(
            names=frozenset({"web-config"}), words=frozenset({"web-config"}), places=(("ConfigMap", "shop"),)
        ),
        "pdb": Links(
            names=frozenset({"web-pdb"}),
            words=frozenset({"web-pdb"}),
            selectors=((("app", "web"),),),
            places=(("PodDisruptionBudget", "shop"),),
        ),
        # second order: the HPA of the workload another selected file names
        "hpa": Links(
            names=frozenset({"web-pdb-hpa"}),
            words=frozenset({"web-pdb"}),
            places=(("HorizontalPodAutoscaler", "shop"),),
        ),
        "other-config": Links(
            names=frozenset({"api-config"}), words=frozenset({"api-config"}), places=(("ConfigMap", "shop"),)
        ),
        "other-pdb": Links(
            names=frozenset({"api"}),
            words=frozenset({"api"}),
            selectors=((("app", "api"),),),
            places=(("PodDisruptionBudget", "shop"),),
        ),
        "other-app": Links(
            names=frozenset({"api"}),
            words=frozenset({"api"}),
            labels=((("app", "api"),),),
            places=(("Deployment", "shop"),),
        ),
    }
    order = ["config", "hpa", "named", "other-app", "other-config", "other-pdb", "pdb"]
    kept = related_files(order, links, ["named"])
    # config (name), pdb (selects its labels), hpa (names the pdb) and the first file of each
    # (kind, namespace): config for ConfigMap, hpa for the HPA, other-app for Deployment
    assert kept == {"named", "config", "pdb", "hpa", "other-app", "other-pdb"}
    assert "other-config" not in kept


FILES = {
    "shop/named.yaml": """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      volumes: [{name: data, persistentVolumeClaim: {claimName: web-data}}]
      containers:
        - name: web
          image: registry.example.com/web:1.0
          ports: [{containerPort: 8080, name: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: api}}
""",
    # context that relates: an HPA naming the named Deployment, a PDB and a policy selecting
    # its pods, a claim it mounts, pods its Service selects, the HPA of the workload its PDB
    # selects (second order)
    "shop/hpa.yaml": "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
    "metadata: {name: web, namespace: shop}\nspec:\n"
    "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
    "  minReplicas: 1\n  maxReplicas: 4\n",
    "shop/pdb.yaml": "apiVersion: policy/v1\nkind: PodDisruptionBudget\n"
    "metadata: {name: web, namespace: shop}\n"
    "spec:\n  maxUnavailable: 1\n  selector: {matchLabels: {app: web}}\n",
    "shop/claim.yaml": "apiVersion: v1\nkind: PersistentVolumeClaim\n"
    "metadata: {name: web-data, namespace: shop}\n"
    "spec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n",
    "shop/api.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
    "spec:\n  replicas: 2\n  selector: {matchLabels: {app: api}}\n  template:\n"
    "    metadata: {labels: {app: api}}\n"
    "    spec:\n      containers: [{name: api, image: r.example.com/api:1}]\n",
    "shop/api-hpa.yaml": "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
    "metadata: {name: api, namespace: shop}\nspec:\n"
    "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n"
    "  minReplicas: 3\n  maxReplicas: 5\n",
    "shop/deny.yaml": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
    "metadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n",
    # context that does not relate: other apps of the namespace
    **{
        f"shop/app-{i}.yaml": "apiVersion: apps/v1\nkind: Deployment\n"
        f"metadata: {{name: app-{i}, namespace: shop}}\n"
        f"spec:\n  replicas: 1\n  selector: {{matchLabels: {{app: app-{i}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: app-{i}}}}}\n"
        f"    spec:\n      containers: [{{name: c, image: r.example.com/app-{i}:1}}]\n"
        for i in range(8)
    },
}


def _project(root: Path) -> Path:
    """The project, its files an hour old: past the cache's racy window, so a call saves a
    warm model and the next reads the bundle's relations from it."""
    root.mkdir()
    (root / ".manifestlint.yaml").write_text("{}\n", encoding="utf-8")
    then = time.time() - 3600
    for name, text in {**FILES, ".manifestlint.yaml": "{}\n"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
        os.utime(root / name, (then, then))
    return root


def test_every_relation_gives_the_same_findings_and_unrelated_files_stay_out(
    tmp_path: Path, monkeypatch
) -> None:
    root = _project(tmp_path / "p")
    config = Config(path=root / ".manifestlint.yaml")
    config.cache_dir = str(tmp_path / "cache")
    assert compare(root, sorted(FILES), tmp_path / "cache") == []
    read: list[str] = []
    real_index = engine.project_context.bundle_index

    def spy(*args, **kwargs):
        index, originals = real_index(*args, **kwargs)
        read.extend(Path(doc.path).name for doc in index.objects)
        return index, originals

    monkeypatch.setattr(engine.project_context, "bundle_index", spy)
    assert any((tmp_path / "cache" / "models").glob("*.json"))  # compare() saved warm models
    result = engine.lint(["shop/named.yaml"], registry, config, root, use_cache=True)
    rules = {f.rule for f in result.findings}
    # what the related context decides: the HPA scales the Deployment (no single-replica
    # finding), the PDB and the default-deny policy cover its pods, the Service's targetPort
    # is a port of its pods, the api PDB's minAvailable 2 is below the 3 replicas the api
    # HPA keeps (second order: no eviction block). No dangling reference either, so the
    # whole project is never read.
    assert rules and not rules & {
        "k8s-single-replica", "k8s-missing-pdb", "k8s-missing-network-policy", "k8s-pdb-blocks-eviction",
        "k8s-service-target-port-mismatch", "k8s-service-selector-mismatch",
    }  # fmt: skip
    unrelated = {f"app-{i}.yaml" for i in range(1, 8)}  # app-0 is the first Deployment of shop: kept
    assert read and not unrelated & set(read), read


def test_the_filter_changes_no_finding_on_the_corpus(tmp_path: Path) -> None:
    """A fixed sample of corpus files named alone, the rest of the corpus as context (through
    a warm cache), with and without the filter."""
    corpus = corpus_dir()
    if corpus is None:
        pytest.skip("the shared corpus ($MANIFESTLINT_CORPUS or ../shared/corpus) is not present")
    import random

    from check_relevance import candidates

    names = []
    for folder in ("istio", "kube-prometheus", "kubernetes-examples", "freeagentics", "kube-linter"):
        found = candidates(corpus, folder)
        names += random.Random(7).sample(found, min(5, len(found)))
    assert len(names) >= 20
    differ = compare(corpus, names, tmp_path / "cache")
    assert differ == [], [name for name, _, _ in differ]
