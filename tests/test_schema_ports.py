"""Port values (schema-invalid-value, formerly k8s-invalid-value-type) against kube-linter's labelled
invalid-target-ports fixture."""

from __future__ import annotations

from pathlib import Path

from conftest import run_file


def test_kube_linter_invalid_target_ports(corpus: Path) -> None:
    path = corpus / "kube-linter" / "tests" / "checks" / "invalid-target-ports.yaml"
    found = [(f.span.line, f.message) for f in run_file(path).findings if f.rule == "schema-invalid-value"]
    lines = [line for line, _ in found]
    # kube-linter's four reports: targetPort 123456 and 'n234567890123456' on the Service, port
    # names 'n234567890123456' and '123456' on the Deployment (EXPECTED.tsv: 4 reports).
    assert {10, 11, 26, 28} <= set(lines)
    # One more, deliberately: containerPort 123456 is outside 1-65535, which the API server
    # rejects too (kube-linter's check only looks at names and target ports).
    assert set(lines) == {10, 11, 26, 28, 29}
    assert not any(line in (9, 24) for line in lines)  # 'n-3456789012345' and n23456789012345 are valid
