"""Schema validation: typos reported once at the typo, versions, project CRDs, shipped data."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FIXTURES, run_file

from manifestlint.config import Config
from manifestlint.registry import data_dir
from manifestlint.schema.validate import suggest

UNKNOWN = FIXTURES / "rules" / "schema-unknown-field" / "bad.yaml"


def _by_line(path: Path, **kwargs) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for f in run_file(path, use_context=False, **kwargs).findings:
        out.setdefault(f.span.line, set()).add(f.rule)
    return out


def test_misspelt_fields_are_reported_once_at_the_typo() -> None:
    result = run_file(UNKNOWN, use_context=False)
    # livenessprobe / resource (the Deployment, lines 3-24) and lables (the PrometheusRule, lines
    # 66-77) are read as meant: nothing says they are absent.
    misleading = {
        "k8s-missing-liveness-probe",
        "k8s-missing-resource-limits",
        "k8s-missing-resource-requests",
        "prometheus-alert-missing-severity",
    }
    assert not [
        f for f in result.findings if f.rule in misleading and (f.span.line <= 24 or 66 <= f.span.line <= 77)
    ]
    assert "k8s-missing-resource-limits" in {
        f.rule for f in result.findings
    }  # the CronJob's container has none
    messages = {
        (f.span.line, f.span.col): f.message for f in result.findings if f.rule == "schema-unknown-field"
    }
    assert "did you mean `livenessProbe`?" in messages[(18, 11)]
    assert "did you mean `resources`?" in messages[(22, 11)]
    assert "did you mean `successfulJobsHistoryLimit`?" in messages[(32, 3)]
    assert "did you mean `http`?" in messages[(48, 3)]
    assert "did you mean `labels`?" in messages[(77, 11)]
    assert "did you mean `retentionDays`?" in messages[(109, 3)]
    # the misplaced outlier-detection fields have no near-miss under connectionPool.http
    assert messages[(63, 9)].startswith("unknown field `consecutiveGatewayErrors` in spec.trafficPolicy")
    assert messages[(63, 9)].endswith("is a field of spec.trafficPolicy.outlierDetection: misplaced?")


def test_without_the_schema_rule_the_typo_is_not_corrected() -> None:
    """Ignoring schema-unknown-field must not hide what the other rules then see."""
    config = Config(ignore=["schema-unknown-field"])
    rules = {f.rule for f in run_file(UNKNOWN, config=config, use_context=False).findings}
    assert "k8s-missing-liveness-probe" in rules


def test_one_finding_per_problem_with_specific_rules() -> None:
    """`runAsNonRoot: "true"` is k8s-run-as-root's finding; the schema rule does not repeat it."""
    lines = _by_line(FIXTURES / "rules" / "k8s-run-as-root" / "bad.yaml")
    assert "k8s-run-as-root" in lines[23] and "schema-invalid-type" not in lines[23]


def test_suggestions() -> None:
    fields = ["livenessProbe", "readinessProbe", "resources", "name", "image", "ports"]
    assert suggest("livenessprobe", fields) == "livenessProbe"
    assert suggest("resource", fields) == "resources"
    assert suggest("imgae", fields) == "image"  # a swap of neighbours is one edit
    assert suggest("command", fields) is None
    assert suggest("nam", ["name", "nat"]) is None  # two equally near: no guess


def test_target_version_decides_what_is_served(tmp_path: Path) -> None:
    doc = tmp_path / "vap.yaml"
    doc.write_text(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
        "metadata: {name: p}\nspec: {}\n"
    )
    old = {
        f.rule for f in run_file(doc, config=Config(kubernetes_version="1.29"), use_context=False).findings
    }
    new = {
        f.rule for f in run_file(doc, config=Config(kubernetes_version="1.33"), use_context=False).findings
    }
    assert "schema-unknown-kind" in old  # GA (admissionregistration.k8s.io/v1) in 1.30
    assert "schema-unknown-kind" not in new


def test_project_crd_in_another_file_validates_custom_resources(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the project root: its CRDs are context
    crd = (FIXTURES / "rules" / "schema-invalid-value" / "bad.yaml").read_text().split("---\n")
    (tmp_path / "crd.yaml").write_text(next(part for part in crd if "CustomResourceDefinition" in part))
    (tmp_path / "backup.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Backup\nmetadata: {name: b}\nspec:\n  storageClass: cold\n"
    )
    found = [(f.rule, f.span.line, f.span.col) for f in run_file(tmp_path / "backup.yaml").findings]
    assert ("schema-invalid-value", 5, 17) in found
    alone = [f.rule for f in run_file(tmp_path / "backup.yaml", use_context=False).findings]
    assert alone == []  # without its CRD: never an error, and by default not even a note


def test_shipped_schemas_record_their_origin() -> None:
    folder = data_dir("schemas")
    versions = sorted((folder / "kubernetes").glob("v1.*.json"))
    assert any(p.name == "v1.33.json" for p in versions)  # the default --kubernetes-version
    for path in versions:
        data = json.loads(path.read_text())
        assert "kubernetes-validate" in data["origin"]["source"] and data["origin"]["sha256"]
    for source in ("istio", "prometheus-operator"):
        index = json.loads((folder / source / "index.json").read_text())
        assert index["origin"]["commit"] and index["origin"]["files"]
        assert all((folder / source / name).is_file() for name in index["kinds"].values())


AM_CONFIG = """\
route:
  receiver: team
  group_by: [alertname]
  group_wiat: 30s
  routes:
    - receiver: pager
      continue: "yes"
recievers:
  - name: team
    webhook_configs:
      - url_file: /etc/alertmanager/team-url
  - name: pager
    opsgenie_configs:
      - api_key_file: /etc/alertmanager/opsgenie-key
        send_resolved: "true"
"""


def test_alertmanager_config_typo_once_and_wrong_types(tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text(AM_CONFIG)
    found = {(f.span.line, f.span.col, f.rule): f.message for f in run_file(path, use_context=False).findings}
    assert "did you mean 'group_wait'?" in found[(4, 3, "alertmanager-invalid-field")]
    assert "did you mean 'receivers'?" in found[(8, 1, "alertmanager-invalid-field")]
    assert found[(7, 17, "alertmanager-invalid-type")] == "continue: cannot unmarshal !!str `yes` into bool"
    assert (15, 24, "alertmanager-invalid-type") in found
    # `recievers` is read as meant: its receivers are defined, so no undefined-receiver finding
    assert not [key for key in found if key[2] == "alertmanager-undefined-receiver"]


def test_rule_file_typo_once(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(
        "groups:\n  - name: web\n    rules:\n      - alert: WebDown\n        expr: up == 0\n"
        "        for: 5m\n        lables: {severity: critical}\n"
    )
    found = [(f.span.line, f.span.col, f.rule) for f in run_file(path, use_context=False).findings]
    assert (7, 9, "prometheus-invalid-field") in found
    assert not [f for f in found if f[2] == "prometheus-alert-missing-severity"]


def test_freeagentics_outlier_detection_misplaced_under_connection_pool(corpus: Path) -> None:
    """The expected true finding of issue 11: five outlier-detection fields written under
    connectionPool.http, which Istio's CRD prunes (so outlier detection is never configured)."""
    path = corpus / "freeagentics" / "k8s" / "istio-service-mesh.yaml"
    found = [f for f in run_file(path, use_context=False).findings if f.rule.startswith("schema-")]
    unknown = [(f.span.line, f.span.col) for f in found if f.rule == "schema-unknown-field"]
    assert unknown == [(131, 9), (132, 9), (133, 9), (134, 9), (135, 9)]
    assert all("outlierDetection: misplaced?" in f.message for f in found if f.rule == "schema-unknown-field")
    # EnvoyFilter is served as networking.istio.io/v1alpha3 only: the API server has no v1beta1 of it
    kinds = [(f.span.line, f.message) for f in found if f.rule == "schema-unknown-kind"]
    assert kinds == [(356, "networking.istio.io/v1beta1 EnvoyFilter is not served by the "
                      "CustomResourceDefinitions known (shipped or in the project) "
                      "(served: networking.istio.io/v1alpha3)")]  # fmt: skip


def test_stub_crd_does_not_report_every_field(tmp_path: Path) -> None:
    """A CRD whose schema is only `type: object` says nothing about fields: no unknown-field
    findings for its objects (a CRD with properties does prune and report)."""
    path = tmp_path / "stub.yaml"
    path.write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: ws.example.com}\n"
        "spec:\n  group: example.com\n  names: {kind: W, plural: ws}\n  scope: Namespaced\n  versions:\n"
        "    - name: v1\n      served: true\n      storage: true\n      schema:\n"
        "        openAPIV3Schema: {type: object}\n---\n"
        "apiVersion: example.com/v1\nkind: W\nmetadata: {name: w}\nspec: {anything: 1}\n"
    )
    assert not [f for f in run_file(path, use_context=False).findings if f.rule.startswith("schema-")]


def test_crd_inside_another_apps_install_does_not_judge_a_sibling_folder(tmp_path: Path) -> None:
    """A CRD copied with an all-in-one install in a sibling folder is that app's release, not
    necessarily the API a resource elsewhere was written for (Istio's SPIRE quickstart beside a
    federation sample installed from SPIRE's Helm chart): quiet there. A CRD file of its own,
    or one in the resource's own folder or above it, still validates."""
    (tmp_path / ".git").mkdir()
    crd = next(
        part
        for part in (FIXTURES / "rules" / "schema-invalid-value" / "bad.yaml").read_text().split("---\n")
        if "CustomResourceDefinition" in part
    )
    workload = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: controller}\n"
    backup = "apiVersion: example.com/v1\nkind: Backup\nmetadata: {name: b}\nspec:\n  storageClass: cold\n"
    (tmp_path / "quickstart").mkdir()
    (tmp_path / "quickstart" / "install.yaml").write_text(crd.rstrip("\n") + "\n---\n" + workload)
    (tmp_path / "quickstart" / "backup.yaml").write_text(backup)
    (tmp_path / "federation").mkdir()
    (tmp_path / "federation" / "backup.yaml").write_text(backup)
    (tmp_path / "backup.yaml").write_text(backup)

    def schema(path: Path) -> list[tuple[str, int]]:
        return [(f.rule, f.span.line) for f in run_file(path).findings if f.rule.startswith("schema-")]

    assert schema(tmp_path / "quickstart" / "backup.yaml") == [("schema-invalid-value", 5)]  # same folder
    assert schema(tmp_path / "federation" / "backup.yaml") == []  # a sibling app's copy
    assert schema(tmp_path / "backup.yaml") == []  # above the install: not its folder either
    (tmp_path / "z-crds").mkdir()  # read after the install: a CRD file of its own still wins
    (tmp_path / "z-crds" / "backup-crd.yaml").write_text(crd)
    assert schema(tmp_path / "federation" / "backup.yaml") == [("schema-invalid-value", 5)]


def test_byte_fields_say_what_they_take(tmp_path) -> None:
    """A webhook's caBundle was told to use a Secret's `stringData`: only a Secret's `data`
    gets that advice; other byte fields say they take base64 (issue 24)."""
    from conftest import run_file

    (tmp_path / "w.yaml").write_text(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\n"
        "metadata: {name: w}\nwebhooks:\n- name: w.example.com\n  clientConfig:\n"
        '    caBundle: "-----BEGIN CERTIFICATE-----"\n    service: {name: s, namespace: n}\n'
        "  admissionReviewVersions: [v1]\n  sideEffects: None\n---\n"
        'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: "not base64!"\n'
    )
    found = run_file(tmp_path / "w.yaml", use_context=False).findings
    messages = {f.span.line: f.message for f in found if f.rule == "schema-invalid-value"}
    assert set(messages) == {7, 16}
    assert "stringData" not in messages[7] and "base64" in messages[7]
    assert "stringData" in messages[16]
