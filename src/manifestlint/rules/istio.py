"""Istio rules: mTLS posture, authorization, gateways, traffic policy, references."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.k8s import api_group
from manifestlint.model import Finding, YamlDoc, YMap, doc_hit
from manifestlint.registry import rule


def is_istio(doc: YamlDoc, kind: str) -> bool:
    root = doc.root
    return root.get("kind") == kind and api_group(root.get("apiVersion")).endswith("istio.io")


@rule("istio-mtls-permissive", "kubernetes")
def mtls_permissive(doc: YamlDoc, ctx) -> Iterator[Finding]:
    if not is_istio(doc, "PeerAuthentication"):
        return
    spec = doc.root.get("spec")
    if not isinstance(spec, YMap):
        return
    mtls = spec.get("mtls")
    if isinstance(mtls, YMap) and mtls.get("mode") == "PERMISSIVE":
        yield doc_hit(doc, mtls.value_span("mode"), "mTLS mode PERMISSIVE accepts plaintext traffic")
    ports = spec.get("portLevelMtls")
    if isinstance(ports, YMap):
        for port, setting in ports.items():
            if isinstance(setting, YMap) and setting.get("mode") == "PERMISSIVE":
                yield doc_hit(
                    doc,
                    setting.value_span("mode"),
                    f"mTLS mode PERMISSIVE on port {port} accepts plaintext traffic",
                )
