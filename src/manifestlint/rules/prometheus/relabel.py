"""Relabelling rules as Prometheus validates them (model/relabel/relabel.go: Config.Validate
and the action's UnmarshalYAML); shared by scrape, metric, Alertmanager and remote-write
relabelling of prometheus.yml."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.model import Finding, YamlDoc, YMap, doc_hit
from manifestlint.parse.promql import regex_error
from manifestlint.templating import is_placeholder

ACTIONS = ("replace", "keep", "drop", "keepequal", "dropequal", "hashmod", "labelmap", "labeldrop",
           "labelkeep", "lowercase", "uppercase")  # fmt: skip
_NEEDS_TARGET = ("replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal")
# The fields each action alone may set besides `action` (keepequal/dropequal: source_labels and
# target_label; labeldrop/labelkeep: regex); anything else set is refused.
_ONLY = {
    "keepequal": ("source_labels", "target_label"),
    "dropequal": ("source_labels", "target_label"),
    "labeldrop": ("regex",),
    "labelkeep": ("regex",),
}
_DEFAULTS = {"separator": ";", "regex": "(.*)", "modulus": 0, "replacement": "$1", "target_label": ""}


def relabel_problems(doc: YamlDoc, cfg: YMap) -> Iterator[Finding]:
    """Every refusal of one relabel config, at the offending key or value."""
    raw = cfg.get("action", "replace")
    if "action" in cfg and (raw in (None, "")):
        yield doc_hit(doc, cfg.where("action"), "relabel action cannot be empty")
        return
    if not isinstance(raw, str) or is_placeholder(raw):
        return
    action = raw.lower()
    if action not in ACTIONS:
        yield doc_hit(
            doc, cfg.value_span("action"), f'unknown relabel action "{raw}" (one of: {", ".join(ACTIONS)})'
        )
        return
    regex = cfg.get("regex")
    if isinstance(regex, str) and not is_placeholder(regex):
        problem = regex_error(f"^(?s:{regex})$")
        if problem:
            yield doc_hit(doc, cfg.value_span("regex"), f"error parsing regexp: {problem}")
    where = cfg.value_span("action") if "action" in cfg else cfg.key_span(next(iter(cfg)))
    if action == "hashmod" and not cfg.get("modulus"):
        yield doc_hit(doc, where, "relabel configuration for hashmod requires non-zero modulus")
    if action in _NEEDS_TARGET and cfg.get("target_label") in (None, ""):
        yield doc_hit(doc, where, f"relabel configuration for {action} action requires 'target_label' value")
    if action in ("lowercase", "uppercase") and _set(cfg, "replacement"):
        yield doc_hit(doc, cfg.key_span("replacement"), f"'replacement' can not be set for {action} action")
    allowed = _ONLY.get(action)
    if allowed is not None:
        extra = [key for key in cfg if key != "action" and key not in allowed and _set(cfg, key)]
        if extra:
            fields = "'source_labels' and 'target_label'" if "target_label" in allowed else "'regex'"
            yield doc_hit(
                doc, cfg.key_span(extra[0]), f"{action} action requires only {fields}, and no other fields"
            )


def _set(cfg: YMap, key: str) -> bool:
    """Set to something other than its default (the loader compares with the defaults)."""
    value = cfg.get(key)
    if value is None:
        return False
    if key == "source_labels":
        return True
    return str(value) != str(_DEFAULTS.get(key, ""))
