"""The alerting policy: per category, the level an alert must fire at and its `for`.

Defaults are the production-readiness checklist's "Alert Thresholds": error rate > 1% for
5 minutes, response time > 500 ms for 5 minutes, CPU > 80% for 10 minutes, memory > 85%
for 10 minutes, disk > 90% for 5 minutes. The config's `alert-policy:` replaces any of
them, and `by-severity:` sets a stricter (or laxer) target for alerts of one severity:

    alert-policy:
      cpu: {above: 85, for: 10m}
      latency:
        above: 300ms
        by-severity:
          critical: {above: 1s, for: 2m}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from manifestlint.alerts.categories import CATEGORIES, duration_seconds, format_value

DEFAULTS: dict[str, tuple[float, str]] = {
    "error-rate": (1.0, "5m"),
    "latency": (0.5, "5m"),
    "cpu": (80.0, "10m"),
    "memory": (85.0, "10m"),
    "disk": (90.0, "5m"),
}


@dataclass(frozen=True, slots=True)
class Target:
    above: float  # percent, or seconds for latency
    for_seconds: float
    for_text: str

    def shown(self, category: str) -> str:
        return f"> {format_value(category, self.above)} for {self.for_text}"


@dataclass(slots=True)
class Policy:
    targets: dict[str, Target] = field(default_factory=dict)
    by_severity: dict[str, dict[str, Target]] = field(default_factory=dict)  # category -> severity -> target
    label: str = "severity"

    def target(self, category: str, severity: str | None = None) -> Target:
        if severity is not None and severity in self.by_severity.get(category, {}):
            return self.by_severity[category][severity]
        return self.targets[category]


def _seconds(text: Any) -> float | None:
    return duration_seconds(text)


def _above(category: str, value: Any, where: str) -> float:
    if category == "latency" and isinstance(value, str):
        seconds = _seconds(value)
        if seconds is None:
            raise ValueError(
                f"{where}: expected a number of seconds or a duration such as 500ms, got {value!r}"
            )
        return seconds
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    if category != "latency" and not 0 <= value <= 100:
        raise ValueError(f"{where}: a percentage between 0 and 100, got {value!r}")
    return float(value)


def _target(category: str, spec: Any, base: Target, where: str) -> Target:
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: expected a mapping with 'above' and/or 'for'")
    above = _above(category, spec["above"], f"{where}.above") if "above" in spec else base.above
    for_text, for_seconds = base.for_text, base.for_seconds
    if "for" in spec:
        for_text = str(spec["for"])
        seconds = _seconds(for_text)
        if seconds is None:
            raise ValueError(f"{where}.for: not a Prometheus duration: {spec['for']!r}")
        for_seconds = seconds
    return Target(above, for_seconds, for_text)


def default_policy() -> Policy:
    return parse_policy(None)


def parse_policy(data: Any) -> Policy:
    """The policy from the config's `alert-policy:` mapping; ValueError names the bad key."""
    policy = Policy()
    for category, (above, for_text) in DEFAULTS.items():
        policy.targets[category] = Target(above, float(_seconds(for_text) or 0), for_text)
    if data is None:
        return policy
    if not isinstance(data, dict):
        raise ValueError("alert-policy: expected a mapping of categories")
    for key, spec in data.items():
        where = f"alert-policy.{key}"
        if key == "severity-label":
            policy.label = str(spec)
            continue
        if key not in CATEGORIES:
            raise ValueError(f"{where}: unknown category (expected one of {', '.join(CATEGORIES)})")
        base = _target(key, spec, policy.targets[key], where)
        policy.targets[key] = base
        for severity, override in (spec.get("by-severity") or {}).items():
            target = _target(key, override, base, f"{where}.by-severity.{severity}")
            policy.by_severity.setdefault(key, {})[str(severity)] = target
    return policy
