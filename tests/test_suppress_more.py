"""Suppressions users already have: other tools' directives for the checks we share (mapped by
the rules' `references`), kubectl-style lists under a suppressed key, `all` and id prefixes,
unreadable and unused directives — through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from manifestlint.cli import main
from manifestlint.registry import load_registry
from manifestlint.suppress import other_tools_map


def findings(cwd: Path, *args: str) -> list[tuple[int, str]]:
    result = CliRunner().invoke(main, ["lint", "-f", "json", *args])
    assert result.exit_code in (0, 1), result.output
    import json

    return sorted((f["line"], f["rule"]) for f in json.loads(result.stdout)["findings"])


@pytest.fixture()
def work(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


KUBECTL_STYLE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      # manifestlint: disable=k8s-run-as-root
      containers:
      - name: a
        image: a:1
      - name: b
        image: b:1
      volumes:
      - name: v
        emptyDir: {}
"""


def test_disable_above_a_key_covers_list_items_at_the_same_indentation(work: Path) -> None:
    (work / "d.yaml").write_text(KUBECTL_STYLE)
    assert [r for r in findings(work, "d.yaml", "--select", "k8s-run-as-root")] == []
    unsuppressed = KUBECTL_STYLE.replace("      # manifestlint: disable=k8s-run-as-root\n", "")
    (work / "d.yaml").write_text(unsuppressed)
    assert findings(work, "d.yaml", "--select", "k8s-run-as-root") == [
        (9, "k8s-run-as-root"),
        (11, "k8s-run-as-root"),
    ]
    # the block ends at the next key of the same indentation: `volumes:` is not covered
    text = KUBECTL_STYLE.replace("      # manifestlint: disable=k8s-run-as-root\n", "").replace(
        "      volumes:", "      # manifestlint: disable=k8s-run-as-root\n      volumes:"
    )
    (work / "d.yaml").write_text(text)
    assert findings(work, "d.yaml", "--select", "k8s-run-as-root") == [
        (9, "k8s-run-as-root"),
        (11, "k8s-run-as-root"),
    ]


def test_all_and_prefixes(work: Path) -> None:
    (work / "d.yaml").write_text(KUBECTL_STYLE.replace("disable=k8s-run-as-root", "disable=all"))
    assert not [f for f in findings(work, "d.yaml") if 9 <= f[0] <= 13]
    (work / "d.yaml").write_text(KUBECTL_STYLE.replace("disable=k8s-run-as-root", "disable=k8s-missing"))
    inside = [rule for line, rule in findings(work, "d.yaml") if 9 <= line <= 13]
    assert inside and not any(rule.startswith("k8s-missing-") for rule in inside)
    assert "k8s-run-as-root" in inside
    (work / "d.yaml").write_text(KUBECTL_STYLE.replace("disable=k8s-run-as-root", "disable=k8s-mising"))
    assert (8, "manifestlint-unknown-rule") in findings(work, "d.yaml")


def test_invalid_directives_are_reported(work: Path) -> None:
    for comment in (
        "# manifestlint: disable",
        "# manifestlint disable=k8s-run-as-root",
        "# manifestlint: ignore=k8s-run-as-root",
        "# manifestlint: disable-next-line=k8s-run-as-root",
        "# manifestlint: disable=",
    ):
        (work / "d.yaml").write_text(
            KUBECTL_STYLE.replace("# manifestlint: disable=k8s-run-as-root", comment)
        )
        found = findings(work, "d.yaml")
        assert (8, "manifestlint-invalid-suppression") in found, comment
        assert (10, "k8s-run-as-root") in found, comment  # and it suppressed nothing


def test_unused_suppressions_off_by_default(work: Path) -> None:
    text = KUBECTL_STYLE.replace("disable=k8s-run-as-root", "disable=k8s-run-as-root,k8s-host-port")
    (work / "d.yaml").write_text(text)
    assert not [f for f in findings(work, "d.yaml") if f[1] == "manifestlint-unused-suppression"]
    found = findings(work, "d.yaml", "--select", "k8s,manifestlint-unused-suppression")
    assert [f for f in found if f[1] == "manifestlint-unused-suppression"] == [
        (8, "manifestlint-unused-suppression")  # k8s-host-port: nothing to hide
    ]
    # a rule that did not run cannot be judged unused
    found = findings(work, "d.yaml", "--select", "k8s-run-as-root,manifestlint-unused-suppression")
    assert [f for f in found if f[1] == "manifestlint-unused-suppression"] == []


# ----------------------------------------------------------------------- other tools' forms


def test_mapping_comes_from_rule_references() -> None:
    mapping = other_tools_map(load_registry())
    assert mapping[("hadolint", "DL3002")] == ("docker-root-user",)
    assert "k8s-run-as-root" in mapping[("kube-linter", "run-as-non-root")]
    assert "k8s-run-as-root" in mapping[("checkov", "CKV_K8S_23")]
    assert "k8s-run-as-root" in mapping[("polaris", "runAsRootAllowed")]


def hadolint_codes(rule_id: str) -> list[str]:
    return [ref.split()[1] for ref in load_registry().get(rule_id).references if ref.startswith("hadolint ")]


def test_hadolint_ignore_next_instruction_and_global(work: Path) -> None:
    code = hadolint_codes("docker-root-user")[0]  # DL3002: last USER should not be root
    base = "FROM alpine:3.20\nUSER nobody\n{comment}USER root\n"
    (work / "Dockerfile").write_text(base.format(comment=""))
    assert (3, "docker-root-user") in findings(work, "Dockerfile")
    (work / "Dockerfile").write_text(base.format(comment=f"# hadolint ignore=DL3008,{code}\n"))
    assert (3, "docker-root-user") not in findings(work, "Dockerfile")
    (work / "Dockerfile").write_text(f"# hadolint global ignore={code}\n" + base.format(comment=""))
    assert (4, "docker-root-user") not in findings(work, "Dockerfile")
    # an ignore for another instruction does not reach this one
    (work / "Dockerfile").write_text(f"FROM alpine:3.20\n# hadolint ignore={code}\nUSER nobody\nUSER root\n")
    assert (4, "docker-root-user") in findings(work, "Dockerfile")


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    {annotation}
spec:
  containers:
    - name: c
      image: c:1.0
---
apiVersion: v1
kind: Pod
metadata:
  name: q
spec:
  containers:
    - name: c
      image: c:1.0
"""


@pytest.mark.parametrize(
    "annotation",
    [
        'ignore-check.kube-linter.io/run-as-non-root: "runs as root by design"',
        'kube-linter.io/ignore-all: "legacy"',
        'polaris.fairwinds.com/runAsRootAllowed-exempt: "true"',
        'polaris.fairwinds.com/exempt: "true"',
        'checkov.io/skip1: "CKV_K8S_23=runs as root by design"',
    ],
)
def test_kubernetes_annotations_of_other_tools(work: Path, annotation: str) -> None:
    (work / "p.yaml").write_text(POD.format(annotation=annotation))
    found = findings(work, "p.yaml", "--select", "k8s-run-as-root")
    assert found == [(18, "k8s-run-as-root")]  # the annotated Pod only
    (work / ".manifestlint.yaml").write_text("other-tools-suppressions: false\n")
    assert findings(work, "p.yaml", "--select", "k8s-run-as-root") == [
        (9, "k8s-run-as-root"),
        (18, "k8s-run-as-root"),
    ]


def test_polaris_exemption_must_be_true(work: Path) -> None:
    (work / "p.yaml").write_text(
        POD.format(annotation='polaris.fairwinds.com/runAsRootAllowed-exempt: "false"')
    )
    assert findings(work, "p.yaml", "--select", "k8s-run-as-root") == [
        (9, "k8s-run-as-root"),
        (18, "k8s-run-as-root"),
    ]


def test_checkov_skip_comments(work: Path) -> None:
    text = POD.format(annotation="a: b").replace(
        "  name: p\n", "  name: p  # checkov:skip=CKV_K8S_23:by design\n"
    )
    (work / "p.yaml").write_text(text)
    assert findings(work, "p.yaml", "--select", "k8s-run-as-root") == [(18, "k8s-run-as-root")]
    (work / "Dockerfile").write_text("FROM alpine:3.20\n#checkov:skip=CKV_DOCKER_3:a tool image\nUSER root\n")
    docker = [f for f in findings(work, "Dockerfile") if f[1] == "docker-root-user"]
    assert docker == []


def test_suppressed_by_another_tool_shows_in_sarif_with_its_source(work: Path) -> None:
    import json

    (work / "p.yaml").write_text(POD.format(annotation='ignore-check.kube-linter.io/run-as-non-root: "x"'))
    result = CliRunner().invoke(
        main, ["lint", "p.yaml", "-f", "sarif", "--show-suppressed", "--select", "k8s-run-as-root"]
    )
    results = json.loads(result.stdout)["runs"][0]["results"]
    suppressed = [r["suppressions"][0]["justification"] for r in results if r["suppressions"]]
    assert suppressed == ["annotation ignore-check.kube-linter.io/run-as-non-root on line 6"]


def test_pint_comments_silence_the_rules_citing_pint_checks() -> None:
    """Issue 24: pint users' rule files carry `# pint disable/snooze/ignore` comments; they hide
    our findings for the mapped checks (exact lines in the fixture), and only those."""
    from conftest import FIXTURES, expectations, run_file

    fixture = FIXTURES / "suppress" / "pint-comments.yml"
    rule = "prometheus-alert-missing-for"
    result = run_file(fixture, enable={rule}, use_context=False)
    assert {(f.span.line, f.rule) for f in result.findings if f.rule == rule} == {
        (line, r) for line, r, _ in expectations(fixture)
    }
    hidden = {s.finding.span.line for s in result.suppressed if s.finding.rule == rule}
    assert hidden == {7, 9, 11, 21, 24}
    plain = run_file(fixture, enable={rule}, use_context=False, config=_no_other_tools())
    assert len([f for f in plain.findings if f.rule == rule]) == 8  # other-tools-suppressions: false


def _no_other_tools():
    from manifestlint.config import Config

    config = Config()
    config.other_tools_suppressions = False
    return config


def test_files_that_are_not_ours_get_no_suppression_findings(tmp_path) -> None:
    """`manifestlint lint .` in this repository reported 7 suppression problems in its own rule
    metadata and rules/compiled.json (directives quoted as documentation; JSON has no comments):
    a file with no document of ours and no finding is not scanned for directives."""
    from conftest import run_file

    (tmp_path / "meta.yaml").write_text(
        "- id: x\n  fix: 'write `# manifestlint: disable=RULE` on the line before'"
        "  # manifestlint: disable=nope\n"
    )
    (tmp_path / "data.json").write_text('{"text": "# manifestlint: disable=RULE"}\n')
    for name in ("meta.yaml", "data.json"):
        assert run_file(tmp_path / name, use_context=False).findings == [], name
    # a manifest of ours keeps reporting them
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}  # manifestlint: disable=nope\n"
    )
    rules = {f.rule for f in run_file(tmp_path / "cm.yaml", use_context=False).findings}
    assert "manifestlint-unknown-rule" in rules
