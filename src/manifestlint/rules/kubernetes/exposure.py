"""Credentials in ConfigMaps, SSH exposed, root groups, images from frozen or unlisted
registries or without a digest, and components that are a door into the cluster (the
Kubernetes dashboard, Helm v2's Tiller): the remaining top gaps of the peer comparison.
"""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.objects import WORKLOAD_KINDS, containers, pod_template

SSH_PORTS = frozenset({22})
# Registries frozen by their owners: images there get no updates (security fixes included).
FROZEN_REGISTRIES = {"k8s.gcr.io": "registry.k8s.io (k8s.gcr.io is frozen since April 2023)"}


# ---------------------------------------------------------------- ConfigMap secrets


def _configmap_secret(key: str, value: str) -> str | None:
    """What credential `value` (under `key`) is, as k8s-secret-in-env judges an env var."""
    from manifestlint.rules.kubernetes import environment as env

    text = value.strip()
    if not text or env._is_reference(text) or env._placeholder(key, text):
        return None
    shape = env.secret_value(text)
    if shape is not None:
        return shape
    found = env._URL_PASSWORD.search(text)
    if found and not env._is_reference(found.group(1)):
        return "a URL with a literal password"
    if "\n" in text or " " in text:
        return None  # a file or a sentence: only the shapes above are evidence
    named = env.secret_like_name(key) or (env.key_like_name(key) and env.looks_generated(text))
    if named and text.lower() not in env._LITERAL_NON_SECRETS and not text.startswith("/"):
        return "a literal secret"
    return None


def _inside(doc: YamlDoc, data: YMap, key: str, value: str, needle: str) -> Span:
    """The position of `needle` inside the scalar (a block of a config file), else the value."""
    span = data.value_span(key)
    at = value.find(needle) if needle else -1
    if at < 0:
        return span
    from manifestlint.parse.promql import value_positions

    positions = value_positions(doc.text, span, data.value_style(key), value)
    if not positions or at >= len(positions):
        return span
    line, col = positions[at]
    return Span(line, col, line, col + len(needle.splitlines()[0]))


@rule("k8s-secret-in-configmap", "kubernetes", kinds=("ConfigMap",))
def secret_in_configmap(doc: YamlDoc, ctx) -> Iterator[Finding]:
    data = doc.root.get("data")
    if not isinstance(data, YMap):
        return
    from manifestlint.rules.kubernetes import environment as env

    for key, value in data.items():
        if not isinstance(value, str):
            continue
        what = _configmap_secret(str(key), value)
        if what is None:
            continue
        needle = ""
        for pattern, _ in env._SECRET_VALUES:
            match = pattern.search(value)
            if match:
                needle = match.group()
                break
        yield doc_hit(
            doc,
            _inside(doc, data, key, value, needle),
            f"ConfigMap key {key!r} holds {what}: ConfigMaps are readable by anyone who may read the "
            "namespace's configuration; put it in a Secret",
        )


# ---------------------------------------------------------------- SSH


def _hashable(value: object) -> object:
    """A port value as a set can look it up: a mapping or list written there is no port."""
    return value if isinstance(value, (int, str)) else None


@rule("k8s-ssh-port", "kubernetes", kinds=WORKLOAD_KINDS | {"Service"})
def ssh_port(doc: YamlDoc, ctx) -> Iterator[Finding]:
    if doc.root.get("kind") == "Service":
        ports = doc.root.path_get("spec", "ports")
        for port in ports if isinstance(ports, YList) else ():
            if not isinstance(port, YMap):
                continue
            for key in ("port", "targetPort"):
                if _hashable(port.get(key)) in SSH_PORTS:
                    yield doc_hit(doc, port.value_span(key), f"the Service exposes SSH ({key} {port[key]})")
                    break
        return
    pod = pod_template(doc)
    if pod is None:
        return
    for container, _ in containers(pod.spec):
        ports = container.get("ports")
        for port in ports if isinstance(ports, YList) else ():
            if isinstance(port, YMap) and _hashable(port.get("containerPort")) in SSH_PORTS:
                yield doc_hit(
                    doc,
                    port.value_span("containerPort"),
                    f"container {str(container.get('name'))!r} exposes SSH (port 22): a shell server in a "
                    "container is a second way in that bypasses the API's audit (use kubectl exec)",
                )


# ---------------------------------------------------------------- root group


@rule("k8s-root-group", "kubernetes", kinds=WORKLOAD_KINDS)
def root_group(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    contexts: list[tuple[YMap, str]] = []
    sc = pod.spec.get("securityContext")
    if isinstance(sc, YMap):
        contexts.append((sc, "the pod"))
        groups = sc.get("supplementalGroups")
        for i, group in enumerate(groups if isinstance(groups, YList) else ()):
            if group == 0 and not isinstance(group, bool):
                yield doc_hit(
                    doc, groups.item_span(i), "the pod adds group 0 (root) to every container's groups"
                )
        if sc.get("fsGroup") == 0 and not isinstance(sc.get("fsGroup"), bool):
            yield doc_hit(
                doc, sc.value_span("fsGroup"), "fsGroup 0: the pod's volumes are owned by group root"
            )
    for container, _ in containers(pod.spec, ephemeral=True):
        own = container.get("securityContext")
        if isinstance(own, YMap):
            contexts.append((own, f"container {str(container.get('name'))!r}"))
    for context, who in contexts:
        value = context.get("runAsGroup")
        if value == 0 and not isinstance(value, bool) and "runAsGroup" in context:
            yield doc_hit(
                doc,
                context.value_span("runAsGroup"),
                f"{who} runs with primary group 0 (root): files only root's group may write are writable",
            )


# ---------------------------------------------------------------- images


def _images(doc: YamlDoc) -> Iterator[tuple[YMap, str]]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, _ in containers(pod.spec, ephemeral=True):
        image = container.get("image")
        if isinstance(image, str) and image.strip():
            yield container, image.strip()


def _registry(image: str) -> str:
    """The registry host of an image reference (Docker Hub for a bare `name` or `org/name`)."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return "docker.io"


@rule("k8s-image-registry", "kubernetes", kinds=WORKLOAD_KINDS)
def image_registry(doc: YamlDoc, ctx) -> Iterator[Finding]:
    allowed = [str(r).lower().rstrip("/") for r in ctx.options.get("allowed") or ()]
    frozen = {str(k).lower(): str(v) for k, v in (ctx.options.get("frozen") or {}).items()}
    for container, image in _images(doc):
        if "$" in image or "{{" in image:
            continue
        registry = _registry(image)
        span = container.value_span("image")
        if registry in frozen:
            yield doc_hit(doc, span, f"image {image} comes from {registry}: use {frozen[registry]}")
        elif allowed and not any(image.lower().startswith(f"{a}/") or registry == a for a in allowed):
            yield doc_hit(doc, span, f"image {image} is not from an allowed registry ({', '.join(allowed)})")


@rule("k8s-image-not-digest-pinned", "kubernetes", kinds=WORKLOAD_KINDS)
def image_not_digest_pinned(doc: YamlDoc, ctx) -> Iterator[Finding]:
    for container, image in _images(doc):
        if "@sha256:" not in image and "$" not in image and "{{" not in image:
            yield doc_hit(
                doc,
                container.value_span("image"),
                f"image {image} is not pinned by digest: the tag can be moved to other content",
            )


# ---------------------------------------------------------------- risky components

_DASHBOARD = (
    "the Kubernetes dashboard is deployed: a web console into the cluster, a favourite way in "
    "when exposed or over-privileged"
)
_TILLER = (
    "Helm v2's Tiller is deployed: it installs anything for anyone who can reach its port (Helm 3 "
    "has no server part)"
)
_COMPONENTS = (
    ("kubernetesui/dashboard", _DASHBOARD),
    ("kubernetes-dashboard", _DASHBOARD),
    ("kubernetes-helm/tiller", _TILLER),
    ("/tiller:", _TILLER),
)  # fmt: skip


def _component(image: str) -> str | None:
    lowered = image.lower()
    for needle, what in _COMPONENTS:
        if needle in lowered:
            return what
    return None


@rule("k8s-risky-component", "kubernetes", kinds=WORKLOAD_KINDS | {"Service"})
def risky_component(doc: YamlDoc, ctx) -> Iterator[Finding]:
    if doc.root.get("kind") == "Service":
        meta = doc.root.get("metadata")
        if isinstance(meta, YMap) and meta.get("name") == "tiller-deploy":
            yield doc_hit(doc, meta.value_span("name"), "Service tiller-deploy: " + _TILLER)
        return
    for container, image in _images(doc):
        what = _component(image)
        if what is not None:
            yield doc_hit(doc, container.value_span("image"), what)
