"""k8s-hpa-vpa-conflict: a VerticalPodAutoscaler that applies its recommendations and a
HorizontalPodAutoscaler scaling on CPU or memory act on the same workload.

The VPA project documents the combination as unsupported ("Vertical Pod Autoscaler should
not be used with the Horizontal Pod Autoscaler (HPA) on the same resource metric (CPU or
memory)", autoscaler/vertical-pod-autoscaler README, Known limitations): the VPA raises the
requests, which lowers the utilisation the HPA scales on, and the two chase each other. A
VPA acts when its `updatePolicy.updateMode` is Auto, Recreate or InPlaceOrRecreate, or
unset (the default is Auto); `Off` and `Initial` only recommend or set requests at pod
creation. An HPA scales on a resource metric through `metrics[].resource` (or
`containerResource`), `targetCPUUtilizationPercentage` (autoscaling/v1), or no metrics at
all (the default is CPU at 80%). Files cannot show what the cluster runs, so a warning.
"""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.index import Index
from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.objects import name_of, namespace_of

ACTING = ("Auto", "Recreate", "InPlaceOrRecreate")
RESOURCES = ("cpu", "memory")


def _spec(doc: YamlDoc) -> YMap:
    spec = doc.root.get("spec")
    return spec if isinstance(spec, YMap) else YMap()


def _target(doc: YamlDoc, key: str) -> tuple[str, str, str] | None:
    ref = _spec(doc).get(key)
    if not isinstance(ref, YMap) or not ref.get("name"):
        return None
    return (str(ref.get("kind")), namespace_of(doc), str(ref.get("name")))


def _vpa_resources(doc: YamlDoc) -> tuple[set[str], str, Span]:
    """(resources the VPA changes, its mode, where the mode is) — no resources when it only
    recommends."""
    spec = _spec(doc)
    policy = spec.get("updatePolicy")
    mode = policy.get("updateMode") if isinstance(policy, YMap) else None
    if isinstance(policy, YMap) and "updateMode" in policy:
        anchor = policy.value_span("updateMode")
    else:
        anchor = spec.key_span("targetRef") if "targetRef" in spec else doc.span
    shown = str(mode) if mode is not None else "Auto (updateMode unset)"
    if mode is not None and str(mode) not in ACTING:
        return set(), shown, anchor
    resources: set[str] = set()
    containers = spec.path_get("resourcePolicy", "containerPolicies")
    policies = [p for p in containers if isinstance(p, YMap)] if isinstance(containers, YList) else []
    acting = [p for p in policies if str(p.get("mode", "Auto")) != "Off"]
    if policies and not acting:
        return set(), shown, anchor
    for p in acting or [YMap()]:
        controlled = p.get("controlledResources")
        if isinstance(controlled, YList):
            resources.update(str(r) for r in controlled if str(r) in RESOURCES)
        else:
            resources.update(RESOURCES)
    return resources, shown, anchor


def _hpa_resources(doc: YamlDoc) -> set[str]:
    spec = _spec(doc)
    if "targetCPUUtilizationPercentage" in spec:
        return {"cpu"}
    metrics = spec.get("metrics")
    if not isinstance(metrics, YList) or not metrics:
        return {"cpu"}  # autoscaling/v2 and v1 default: 80% CPU utilisation
    out = set()
    for metric in metrics:
        if not isinstance(metric, YMap):
            continue
        for key in ("resource", "containerResource"):
            source = metric.get(key)
            if isinstance(source, YMap) and str(source.get("name")) in RESOURCES:
                out.add(str(source.get("name")))
    return out


@rule("k8s-hpa-vpa-conflict", "project")
def hpa_vpa_conflict(index: Index, ctx) -> Iterator[Finding]:
    hpas: dict[tuple[str, str, str], list[YamlDoc]] = {}
    for doc in index.of_kind("HorizontalPodAutoscaler"):
        key = _target(doc, "scaleTargetRef")
        if key is not None:
            hpas.setdefault(key, []).append(doc)
    for vpa in index.of_kind("VerticalPodAutoscaler"):
        if not index.reported(vpa):
            continue  # one anchor whatever the batch: the VPA (its HPAs may live in any file)
        key = _target(vpa, "targetRef")
        if key is None or key not in hpas:
            continue
        changed, mode, anchor = _vpa_resources(vpa)
        for hpa in hpas[key]:
            shared = sorted(changed & _hpa_resources(hpa))
            if not shared:
                continue
            where = f"{hpa.path}:{hpa.root.key_span('spec').line if 'spec' in hpa.root else hpa.span.line}"
            message = (
                f"VerticalPodAutoscaler {name_of(vpa)} (updateMode {mode}) and HorizontalPodAutoscaler "
                f"{name_of(hpa)} ({where}) both act on {' and '.join(shared)} of {key[0]} {key[1]}/{key[2]}: "
                "the VPA project documents this as unsupported (the VPA's new requests move the utilisation "
                "the HPA scales on); scale the HPA on custom or external metrics, or set updateMode: Off"
            )
            if index.reported(vpa):
                yield doc_hit(vpa, anchor, message)
            elif index.reported(hpa):
                yield doc_hit(
                    hpa, _spec(hpa).key_span("metrics") if "metrics" in _spec(hpa) else hpa.span, message
                )
