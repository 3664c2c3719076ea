"""What the per-object rules read of a container: anchors for findings, its securityContext,
capability names, sidecars."""

from __future__ import annotations

from manifestlint.model import Span, YMap
from manifestlint.rules.kubernetes.objects import (
    container_label,
)
from manifestlint.templating import is_placeholder


def container_anchor(container: YMap, *keys: str) -> Span:
    """Where a 'missing field' finding points: the deepest of `keys` present, else the entry."""
    node = container
    anchor = container.start()
    for key in keys:
        if not isinstance(node, YMap) or key not in node:
            break
        anchor = node.key_span(key)
        node = node[key]
    return anchor


_FIELD_WORD = {"containers": "container", "initContainers": "init container",
               "ephemeralContainers": "ephemeral container"}  # fmt: skip


def _what(container: YMap, field: str) -> str:
    """`container 'web'` / `init container 'migrate'`: the subject of every message."""
    return f"{_FIELD_WORD.get(field, 'container')} {container_label(container)!r}"


def _is_reference(value: str) -> bool:
    """Text still to be substituted (templating.py: the one predicate of value rules)."""
    return is_placeholder(value)


def _built_by_dev_tool(ctx, image: str) -> bool:
    project = getattr(ctx, "project", None)
    return project is not None and project.built_by_dev_tool(image) is not None
