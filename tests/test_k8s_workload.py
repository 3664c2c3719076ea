"""Unit tests for the helpers behind the per-object Kubernetes rules."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from conftest import FIXTURES

from manifestlint.rules.kubernetes.deprecated_api import _DEPRECATED_APIS
from manifestlint.rules.kubernetes.environment import secret_like_name
from manifestlint.rules.kubernetes.objects import image_tag, parse_quantity


@pytest.mark.parametrize(("text", "value"), [
    ("500m", Fraction(1, 2)), ("1", 1), (1, 1), (0.5, Fraction(1, 2)), ("1.5Gi", 3 * 2**29),
    ("1G", 10**9), ("1k", 1000), ("2e3", 2000), ("1e-3", Fraction(1, 1000)), ("1E", 10**18),
    ("1Ei", 2**60), (".5", Fraction(1, 2)), ("100n", Fraction(1, 10**7)),
])  # fmt: skip
def test_quantities_parse_exactly(text, value) -> None:
    assert parse_quantity(text) == value
    assert parse_quantity(text) == value  # again: strings come from the memo the second time


@pytest.mark.parametrize("text", ["1K", "abc", "", "2e3m", "1Gib", True, None, "1 Gi"])
def test_invalid_quantities(text) -> None:
    assert parse_quantity(text) is None
    assert parse_quantity(text) is None


@pytest.mark.parametrize(("image", "tag", "digest"), [
    ("nginx", None, None), ("nginx:latest", "latest", None), ("localhost:5000/app", None, None),
    ("localhost:5000/app:1.2", "1.2", None), ("a/b@sha256:ab", None, "sha256:ab"),
    ("a:1@sha256:ab", "1", "sha256:ab"), ("registry.io:443/team/app:v2", "v2", None),
])  # fmt: skip
def test_image_tags(image, tag, digest) -> None:
    assert image_tag(image) == (tag, digest)


@pytest.mark.parametrize(("name", "secret"), [
    ("DB_PASSWORD", True), ("apiKey", True), ("SECRET_BLAH", True), ("GITHUB_TOKEN", True),
    ("AWS_SECRET_ACCESS_KEY", True), ("jwtSecret", True), ("REDIS_PASS", True),
    ("SECRET_NAME", False), ("TOKEN_TTL", False), ("PWD", False), ("PASSWORD_FILE", False),
    ("AWS_ACCESS_KEY_ID", False), ("CACHE_KEY", False), ("TOKENIZER_MODEL", False),
    ("OCI_CLI_KEY_CONTENT", True), ("AZURE_BATCH_KEY", True), ("PUBLIC_KEY_CONTENT", False),
    ("RECAPTCHA_SITE_KEY", False), ("STRIPE_PUBLISHABLE_KEY", False),
])  # fmt: skip
def test_secret_like_names(name, secret) -> None:
    assert secret_like_name(name) is secret


def test_api_table_rows_are_consistent() -> None:
    for (api, kind), (deprecated, removed, replacement) in _DEPRECATED_APIS.items():
        assert "/" in api or api == "v1", api
        assert kind[0].isupper() and replacement
        assert removed is None or removed > deprecated, (api, kind)


def _messages(text: str, rule: str) -> list[str]:
    from manifestlint.config import Config
    from manifestlint.engine import lint
    from manifestlint.registry import load_registry

    result = lint(["-"], load_registry(), Config(), Path.cwd(), stdin=("pod.yaml", text), use_context=False)
    return [f.message for f in result.findings if f.rule == rule]


def test_capabilities_dropped_one_by_one_are_named_not_called_defaults() -> None:
    text = (FIXTURES / "rules" / "k8s-capabilities-not-dropped" / "bad-one-by-one.yaml").read_text()
    some, every = _messages(text, "k8s-capabilities-not-dropped")
    assert "drops only MKNOD, NET_RAW" in some and "keeps the runtime's other default" in some
    assert "CHOWN" in some and "keeps the runtime's default capabilities" not in some
    assert "drops every default capability one by one" in every and "drop: [ALL]" in every


def test_host_path_message_names_what_the_mount_holds() -> None:
    text = (FIXTURES / "rules" / "k8s-host-path-mount" / "bad-contains.yaml").read_text()
    messages = _messages(text, "k8s-host-path-mount")
    var = next(m for m in messages if "'var'" in m)
    assert "which holds /var/lib/kubelet" in var and "(writable by container 'agent')" in var
    assert any("'var-run'" in m and "/var/run/docker.sock" in m for m in messages)


def test_images_built_by_skaffold_or_tilt_are_not_untagged(tmp_path: Path) -> None:
    """The fixture project is copied beside a `.git` (the project root) and its manifest linted
    with context: exact (line, rule) pairs from its `# expect:` markers."""
    import shutil

    from conftest import expectations

    from manifestlint.config import Config, RuleSetting
    from manifestlint.engine import lint
    from manifestlint.registry import load_registry

    project = tmp_path / "shop"
    shutil.copytree(FIXTURES / "projects" / "skaffold-images", project)
    (project / ".git").mkdir()
    config = Config()
    config.rules["k8s-image-latest-tag"] = RuleSetting(enabled=True)
    result = lint(["k8s/app.yaml"], load_registry(), config, project)
    found = {(f.span.line, f.rule) for f in result.findings if f.rule == "k8s-image-latest-tag"}
    expected = {(line, rule) for line, rule, _ in expectations(project / "k8s" / "app.yaml")}
    assert found == expected and len(expected) == 2
