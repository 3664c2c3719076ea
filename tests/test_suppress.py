"""Inline suppression: next line, block, trailing, file-level, annotation, Dockerfile."""

from __future__ import annotations

from pathlib import Path

from conftest import run_file

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        {comment_a}
        - name: a
          image: a:1
        - name: b
          image: b:1
"""


def rules_at(path: Path, rule: str) -> list[int]:
    return sorted(f.span.line for f in run_file(path).findings if f.rule == rule)


def test_no_suppression_baseline(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DEPLOY.format(comment_a="# nothing here"))
    assert rules_at(path, "k8s-run-as-root") == [10, 12]


def test_next_line_block_covers_the_list_item_only(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(
        DEPLOY.format(comment_a="# manifestlint: disable=k8s-run-as-root,k8s-missing-resource-limits")
    )
    assert rules_at(path, "k8s-run-as-root") == [12]
    assert rules_at(path, "k8s-missing-resource-limits") == [12]
    assert rules_at(path, "k8s-missing-liveness-probe") == [10, 12]


def test_comment_before_a_key_covers_its_block(tmp_path: Path) -> None:
    text = DEPLOY.format(comment_a="").replace(
        "      containers:", "      # manifestlint: disable=k8s-run-as-root\n      containers:"
    )
    path = tmp_path / "d.yaml"
    path.write_text(text)
    assert rules_at(path, "k8s-run-as-root") == []


def test_comment_before_a_document_covers_the_object(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("---\n# manifestlint: disable=k8s-run-as-root\n" + DEPLOY.format(comment_a="") + "---\n"
                    + DEPLOY.format(comment_a=""))  # fmt: skip
    lines = rules_at(path, "k8s-run-as-root")
    assert len(lines) == 2 and min(lines) > 16  # only the second document's containers


def test_trailing_comment_and_file_level(tmp_path: Path) -> None:
    text = DEPLOY.format(comment_a="").replace(
        "- name: b", "- name: b  # manifestlint: disable=k8s-run-as-root"
    )
    path = tmp_path / "d.yaml"
    path.write_text(text)
    assert rules_at(path, "k8s-run-as-root") == [10]
    path.write_text("# manifestlint: disable-file=k8s-run-as-root\n" + DEPLOY.format(comment_a=""))
    assert rules_at(path, "k8s-run-as-root") == []


def test_annotation_suppresses_the_object(tmp_path: Path) -> None:
    text = DEPLOY.format(comment_a="").replace(
        "  name: web\n",
        "  name: web\n  annotations:\n"
        '    manifestlint.io/ignore: "k8s-run-as-root, k8s-missing-liveness-probe"\n',
    )
    path = tmp_path / "d.yaml"
    path.write_text(text)
    assert rules_at(path, "k8s-run-as-root") == []
    assert rules_at(path, "k8s-missing-liveness-probe") == []
    assert rules_at(path, "k8s-missing-readiness-probe") == [12, 14]


def test_dockerfile_next_instruction(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.20\n# manifestlint: disable=docker-root-user\nUSER root\n")
    assert rules_at(path, "docker-root-user") == []
    path.write_text("FROM alpine:3.20\nUSER root\n")
    assert rules_at(path, "docker-root-user") == [2]


def test_unknown_ids_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DEPLOY.format(comment_a="# manifestlint: disable=k8s-run-as-rot"))
    findings = run_file(path).findings
    assert [(f.span.line, f.span.col) for f in findings if f.rule == "manifestlint-unknown-rule"] == [(9, 9)]
    assert rules_at(path, "k8s-run-as-root") == [10, 12]
