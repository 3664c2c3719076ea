"""A workload that sets `replicas` while an autoscaler scales it: every apply resets the count."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from manifestlint.model import Finding, YamlDoc, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.objects import name_of, namespace_of

SCALED_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "Rollout")


def _same_tree(hpa: YamlDoc, doc: YamlDoc) -> bool:
    """Whether one file's folder holds the other's: an overlay's autoscaler over a base's workload
    (sibling folders) is left alone, since the overlay's patches decide the replicas it deploys."""
    a, b = posixpath.dirname(hpa.path.replace("\\", "/")), posixpath.dirname(doc.path.replace("\\", "/"))
    return a == b or a.startswith(b + "/") or b.startswith(a + "/") or not a or not b


@rule("k8s-replicas-with-hpa", "project")
def replicas_with_hpa(index, ctx) -> Iterator[Finding]:
    scalers: dict[tuple[str, str], list[YamlDoc]] = {}  # (kind, name) -> autoscalers naming it
    for hpa in index.of_kind("HorizontalPodAutoscaler", "ScaledObject"):
        ref = hpa.root.path_get("spec", "scaleTargetRef") if isinstance(hpa.root, YMap) else None
        if isinstance(ref, dict) and ref.get("name"):
            kind = ref.get("kind") or ("Deployment" if hpa.root.get("kind") == "ScaledObject" else "")
            scalers.setdefault((str(kind), str(ref["name"])), []).append(hpa)
    if not scalers:
        return
    for doc in index.of_kind(*SCALED_KINDS):
        if not isinstance(doc.root, YMap) or not index.reported(doc):
            continue
        spec = doc.root.get("spec")
        if not isinstance(spec, YMap) or "replicas" not in spec:
            continue
        ns = namespace_of(doc, "")
        found = [
            hpa
            for hpa in scalers.get((str(doc.root.get("kind")), name_of(doc)), ())
            if (not ns or not namespace_of(hpa, "") or namespace_of(hpa, "") == ns) and _same_tree(hpa, doc)
        ]
        if found:
            scaler = f"{found[0].root.get('kind')} {name_of(found[0])!r}"
            yield doc_hit(
                doc,
                spec.value_span("replicas"),
                f"replicas: {spec['replicas']} while {scaler} scales this {doc.root.get('kind')}: each apply "
                "resets the count the autoscaler chose (drop replicas)",
                related=found[:1],
            )
