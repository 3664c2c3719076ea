"""Issue 18, class 2: nothing read outside the linted root, nothing from outside in a report.

Every reader of a file some other file names — kustomizations (resources, patches,
components), Makefiles, Compose/Skaffold/Tilt build files and the Dockerfiles they name, the
configuration's `images:`, `action.yml`, `.env`, a named folder, the configuration file and
`--diff-base`'s untracked files — decides on the real path. A pull request commits links (or
`..` paths) to a CI machine's files; the audit hook of tests/untrusted.py sees every open, and
SECRET (in every file outside) must appear in no report format.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from untrusted import DEPLOY, SECRET, outside_secrets, run, tree

DOCKERFILE = 'FROM alpine:3.19\nRUN apk add --no-cache curl\nCMD ["sh"]\n'
SERVICES = "services:\n  a:\n    "
APP = DEPLOY.replace("image: nginx", "image: registry.example.com/team/app:1.0")


def _files(case: str, out: Path) -> tuple[dict[str, str], dict[str, Path], list[str]]:
    """(files, links to create, extra command-line arguments) of one case."""
    base = {"app/deploy.yaml": APP, "app/Dockerfile": DOCKERFILE, ".manifestlint.yaml": "{}\n"}
    kust = "app/kustomization.yaml"
    cases: dict[str, tuple[dict[str, str], dict[str, Path], list[str]]] = {
        "kustomize-resource-link": (
            {kust: "resources: [deploy.yaml, leak.yaml]\n"},
            {"app/leak.yaml": out / "secret.yaml"},
            [],
        ),
        "kustomize-resource-dotdot": (
            {kust: "resources: [deploy.yaml, ../../outside/secret.yaml]\n"},
            {},
            [],
        ),
        "kustomize-folder-link": ({kust: "resources: [deploy.yaml, base]\n"}, {"app/base": out}, []),
        "kustomize-component-link": (
            {kust: "resources: [deploy.yaml]\ncomponents: [base]\n"},
            {"app/base": out},
            [],
        ),
        "kustomize-patch-link": (
            {kust: "resources: [deploy.yaml]\npatches: [{path: p.yaml}]\npatchesStrategicMerge: [q.yaml]\n"},
            {"app/p.yaml": out / "secret.yaml", "app/q.yaml": out / "secret.yaml"},
            [],
        ),
        "kustomization-itself-a-link": (
            {},
            {kust: out / "kustomization.yaml", "app/secret.yaml": out / "secret.yaml"},
            [],
        ),
        "makefile-link": (
            {kust: "resources: [deploy.yaml]\n"},
            {"Makefile": out / "Makefile", "app/x.mk": out / "Makefile"},
            [],
        ),
        "compose-context": (
            {
                "docker-compose.yml": SERVICES
                + "build: {context: ../outside}\n    image: registry.example.com/team/app\n"
                "  b:\n    build: {context: ., dockerfile: %s}\n    image: b\n" % (out / "Dockerfile")
            },
            {},
            [],
        ),
        "compose-dockerfile-link": (
            {
                "docker-compose.yml": SERVICES + "build: {context: ., dockerfile: Dockerfile.leak}\n"
                "    image: registry.example.com/team/app\n"
            },
            {"Dockerfile.leak": out / "Dockerfile"},
            [],
        ),
        "compose-dotenv-link": (
            {
                "docker-compose.yml": SERVICES + "build: app\n    image: app:${aws_secret_access_key}\n"
                "    healthcheck: {test: [CMD, true]}\n"
            },
            {".env": out / "credentials"},
            [],
        ),
        "skaffold-context": (
            {
                "skaffold.yaml": "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n"
                "  - image: registry.example.com/team/app\n    context: ../outside\n"
            },
            {},
            [],
        ),
        "tilt-context": (
            {"Tiltfile": "docker_build('registry.example.com/team/app', '../outside')\n"},
            {},
            [],
        ),
        "tilt-link": ({}, {"Tiltfile": out / "Tiltfile"}, []),
        "images-config": (
            {".manifestlint.yaml": "images:\n  registry.example.com/team/app: ../outside\n"},
            {},
            [],
        ),
        "action-yml-link": ({}, {"app/action.yml": out / "action.yml"}, []),
        "named-folder-link": ({}, {"k8s": out}, ["k8s"]),
        "named-file-in-folder-link": ({}, {"k8s": out}, ["k8s/secret.yaml"]),
    }
    files, links, args = cases[case]
    if case == "tilt-link":
        (out / "Tiltfile").write_text(f"docker_build('registry.example.com/team/{SECRET.lower()}', 'app')\n")
    return {**base, **files}, links, args or ["."]


CASES = [
    *("kustomize-resource-link", "kustomize-resource-dotdot", "kustomize-folder-link"),
    *("kustomize-component-link", "kustomize-patch-link", "kustomization-itself-a-link", "makefile-link"),
    *("compose-context", "compose-dockerfile-link", "compose-dotenv-link", "skaffold-context"),
    *("tilt-context", "tilt-link", "images-config", "action-yml-link", "named-folder-link"),
    "named-file-in-folder-link",
]


@pytest.mark.parametrize("case", CASES)
def test_no_reader_follows_a_path_out_of_the_tree(tmp_path: Path, case: str) -> None:
    out = outside_secrets(tmp_path)
    files, links, args = _files(case, out)
    root = tree(tmp_path, files)
    for name, target in links.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(target)
    for fmt in ("json", "sarif", "text", "github"):
        result = run("-f", fmt, *args, cwd=root).check(forbidden=[out], writable=[root])
        assert SECRET not in result.text and SECRET.lower() not in result.text, result.text[:3000]
    if case.startswith("named"):
        report = run("-f", "json", *args, cwd=root).check(forbidden=[out])
        assert any("outside" in f["message"] and "not followed" in f["message"] for f in report.findings())


def test_the_configuration_is_not_read_through_a_link_out_of_the_tree(tmp_path: Path) -> None:
    out = outside_secrets(tmp_path)
    (out / "config.yaml").write_text(f"ignore: [{SECRET}]\n")
    root = tree(tmp_path, {"a.yaml": DEPLOY})
    (root / ".manifestlint.yaml").symlink_to(out / "config.yaml")
    result = run("-f", "json", "a.yaml", cwd=root).check(forbidden=[out], codes=(2,))
    assert "outside" in result.err and SECRET not in result.err, result.err


def test_diff_base_does_not_read_untracked_links_out_of_the_tree(tmp_path: Path) -> None:
    out = outside_secrets(tmp_path)
    root = tree(tmp_path, {"a.yaml": DEPLOY})
    git = ["git", "-C", str(root), "-c", "user.name=a", "-c", "user.email=a@b"]
    subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True, capture_output=True)
    (root / "leak.yaml").symlink_to(out / "secret.yaml")
    (root / "zero.yaml").symlink_to("/dev/zero")
    result = run("-f", "json", "--diff-base", "HEAD", ".", cwd=root).check(forbidden=[out])
    assert SECRET not in result.text
    messages = {f["path"]: f["message"] for f in result.findings()}
    assert "not followed" in messages["leak.yaml"] and "character device" in messages["zero.yaml"], messages
