"""Telemetry resources: access logging that names no provider (istioctl's IST0157)."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.index import Index
from manifestlint.model import Finding, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.mesh import objects


def _mesh_has_default_access_log(index: Index) -> bool:
    """The project's mesh config (IstioOperator, the `istio` ConfigMap) names a default
    access-log provider."""
    for doc in index.of_kind("IstioOperator"):
        if doc.root.path_get("spec", "meshConfig", "defaultProviders", "accessLogging"):
            return True
    for doc in index.of_kind("ConfigMap"):
        mesh = doc.root.path_get("data", "mesh")
        if isinstance(mesh, str) and "defaultProviders" in mesh and "accessLogging" in mesh:
            return True
    return False


@rule("istio-telemetry-empty-providers", "project")
def telemetry_empty_providers(index: Index, ctx) -> Iterator[Finding]:
    """An accessLogging entry without providers uses the mesh's default providers; where the
    mesh names none, the entry (its filter included) turns on nothing."""
    found = list(objects(index, "Telemetry"))
    if not found or _mesh_has_default_access_log(index):
        return
    for doc, spec in found:
        entries = spec.get("accessLogging")
        for i, entry in enumerate(entries if isinstance(entries, YList) else ()):
            if not isinstance(entry, YMap) or entry.get("disabled") in (True, "true"):
                continue
            providers = entry.get("providers")
            if isinstance(providers, YList) and providers:
                continue
            yield doc_hit(
                doc,
                entries.item_span(i),
                "accessLogging entry without providers: it uses the mesh's default access-log providers, "
                "and no mesh config of the project names one: unless the installation does, "
                "nothing is logged",
            )
