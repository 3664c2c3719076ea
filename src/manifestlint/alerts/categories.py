"""The five alert categories the checklist fixes thresholds for, and how figures are shown.

Kept apart from the recognition code so that the configuration can name categories
without importing the PromQL parser (a Dockerfile-only run never loads it)."""

from __future__ import annotations

import re

CATEGORIES = ("error-rate", "latency", "cpu", "memory", "disk")
LABELS = {"cpu": "CPU", "memory": "memory", "disk": "disk", "error-rate": "error-rate", "latency": "latency"}
_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_UNIT_SECONDS = (31536000, 604800, 86400, 3600, 60, 1, 0.001)


def format_value(category: str, value: float) -> str:
    """`95%`, `500ms` or `2s`: a normalised figure as a reader writes it."""
    if category == "latency":
        return f"{_num(value * 1000)}ms" if value < 1 else f"{_num(value)}s"
    return f"{_num(value)}%"


def _num(value: float) -> str:
    value = round(value, 6)
    return str(int(value)) if value == int(value) else f"{value:g}"


def duration_seconds(text: object) -> float | None:
    """A Prometheus duration (`10m`, `1h30m`, `0`) in seconds; None when invalid."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        return None
    text = str(text)
    if text == "0":
        return 0.0
    match = _DURATION.fullmatch(text) if len(text) <= 200 else None  # (5,000 digits: not a duration)
    if not text or match is None or any(n and len(n) > 18 for n in match.groups()):
        return None
    return float(sum(int(n) * unit for n, unit in zip(match.groups(), _UNIT_SECONDS, strict=True) if n))
