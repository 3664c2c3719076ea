"""What Alertmanager refuses to load: unknown fields, wrong types, routes, receivers, matchers, durations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache, partial
from typing import Any

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.parse.promql import regex_error
from manifestlint.registry import rule
from manifestlint.rules.alertmanager.common import (
    _MATCHER,
    _global,
    _integrations,
    _receivers,
    _routes,
    _set,
    _unknown_keys,
)
from manifestlint.rules.alertmanager.http_config import HTTP_KEYS, TLS_KEYS, _text
from manifestlint.rules.prometheus.common import duration_seconds
from manifestlint.schema.validate import suggest
from manifestlint.templating import is_placeholder
from manifestlint.yaml_fix import move_key

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")


# Keys users write from other tools' vocabulary, with what Alertmanager calls them: said when
# no close spelling explains the key (`body` is not a misspelling of `html`).
_MEANT = {
    ("email.plain", "body"): "the message body is `html` (HTML) or `text` (plain text)",
    ("email.plain", "subject"): "the subject is a header: `headers: {Subject: ...}`",
    ("email.plain", "cc"): "copies go in `to` (comma-separated) or `headers: {Cc: ...}`",
    ("slack.plain", "webhook_url"): "Slack's incoming-webhook URL is `api_url`",
    (
        "webhook.plain",
        "headers",
    ): "a webhook's headers go under `http_config` (e.g. `http_config.authorization`)",
}


@rule("alertmanager-invalid-field", "alertmanager")
def invalid_field(doc: YamlDoc, ctx) -> Iterator[Finding]:
    if doc.schema is not None and "alertmanager-invalid-field" in doc.schema:
        yield from doc.schema["alertmanager-invalid-field"]  # found before typos were corrected
        return
    for mapping, key, allowed, type_name in _unknown_keys(doc.root):
        meant = suggest(key, sorted(allowed)) if isinstance(key, str) else None
        hint = f" (did you mean '{meant}'?)" if meant else ""
        fix = None
        if not meant and allowed is HTTP_KEYS and key in TLS_KEYS:  # the classic slip
            hint = " (a tls_config field: write it under http_config.tls_config)"
            fix = partial(move_key, doc, mapping, key, mapping, "tls_config", f"move {key} under tls_config")
        elif not meant and (type_name, key) in _MEANT:
            hint = f" ({_MEANT[type_name, key]})"
        yield doc_hit(doc, mapping.key_span(key), f"field {key} not found in type {type_name}{hint}", fix=fix)


# Fields whose Go type is not a string: go-yaml's strict unmarshal refuses another YAML type
# (`continue: "yes"` is "cannot unmarshal !!str `yes` into bool"). From Alertmanager's
# config/config.go and config/notifiers.go (v0.27).
_BOOL, _INT, _UINT, _LIST, _MAP = "bool", "int", "uint64", "[]string", "map[string]string"


# Matchers (match, match_re, matchers) are alertmanager-invalid-matcher's.
ROUTE_TYPES = {
    "continue": _BOOL, "group_by": _LIST, "mute_time_intervals": _LIST, "active_time_intervals": _LIST,
    "routes": "[]*config.Route",
}  # fmt: skip


INHIBIT_TYPES = {"equal": _LIST}


GLOBAL_TYPES = {"smtp_require_tls": _BOOL}


INTEGRATION_TYPES: dict[str, dict[str, str]] = {
    "email_configs": {"require_tls": _BOOL, "force_implicit_tls": _BOOL, "headers": _MAP},
    "slack_configs": {
        "short_fields": _BOOL,
        "link_names": _BOOL,
        "update_message": _BOOL,
        "mrkdwn_in": _LIST,
    },
    "webhook_configs": {"max_alerts": _UINT},
    "incidentio_configs": {"max_alerts": _UINT},
    "opsgenie_configs": {"update_alerts": _BOOL, "details": _MAP},
    "pushover_configs": {"html": _BOOL, "monospace": _BOOL},
    "telegram_configs": {"chat_id": "int64", "message_thread_id": _INT, "disable_notifications": _BOOL},
    "rocketchat_configs": {"short_fields": _BOOL, "link_names": _BOOL},
    "pagerduty_configs": {"details": _MAP},
    "victorops_configs": {"custom_fields": _MAP},
}


_TAGS = {bool: "!!bool", int: "!!int", float: "!!float", str: "!!str", YMap: "!!map", YList: "!!seq"}


def _type_ok(value: Any, go_type: str) -> bool:
    if value is None:
        return True
    if go_type == _BOOL:
        return type(value) is bool
    if go_type in (_INT, "int64"):
        return type(value) is int
    if go_type == _UINT:
        return type(value) is int and value >= 0
    if go_type == _MAP:
        return type(value) is YMap
    return type(value) is YList


def _type_problems(doc: YamlDoc, mapping: Any, types: dict[str, str]) -> Iterator[Finding]:
    if not isinstance(mapping, YMap):
        return
    for key, go_type in types.items():
        value = mapping.get(key)
        if key in mapping and not _type_ok(value, go_type):
            shown = value if isinstance(value, (str, int, float)) else ""
            text = f" `{str(shown).lower() if type(value) is bool else shown}`" if shown != "" else ""
            yield doc_hit(
                doc,
                mapping.where(key),
                f"{key}: cannot unmarshal {_TAGS.get(type(value), '!!str')}{text} into {go_type}",
            )


@rule("alertmanager-invalid-type", "alertmanager")
def invalid_type(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    yield from _type_problems(doc, root.get("global"), GLOBAL_TYPES)
    for route, _depth in _routes(root):
        yield from _type_problems(doc, route, ROUTE_TYPES)
    inhibits = root.get("inhibit_rules")
    for inhibit in inhibits if isinstance(inhibits, YList) else ():
        yield from _type_problems(doc, inhibit, INHIBIT_TYPES)
    for _receiver, key, cfg in _integrations(root):
        yield from _type_problems(doc, cfg, {"send_resolved": _BOOL, **INTEGRATION_TYPES.get(key, {})})
        http = cfg.get("http_config")
        yield from _type_problems(doc, http, {"follow_redirects": _BOOL, "enable_http2": _BOOL})
        tls = http.get("tls_config") if isinstance(http, YMap) else None
        yield from _type_problems(doc, tls, {"insecure_skip_verify": _BOOL})


@rule("alertmanager-invalid-route", "alertmanager")
def invalid_route(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    route = root.get("route")
    if not isinstance(route, YMap):
        anchor = root.key_span("route") if "route" in root else root.start()
        yield doc_hit(doc, anchor, "no route provided in config")
        return
    if not _set(route, "receiver"):
        yield doc_hit(doc, route.start(), "root route must specify a default receiver")
    for key in ("match", "match_re", "matchers"):
        if route.get(key):
            yield doc_hit(doc, route.key_span(key), "root route must not have any matchers")
    if route.get("continue") is True:
        yield doc_hit(doc, route.value_span("continue"), "cannot have continue in root route")
    for key in ("mute_time_intervals", "active_time_intervals"):
        if route.get(key):
            what = key.removesuffix("_time_intervals")
            yield doc_hit(doc, route.key_span(key), f"root route must not have any {what} time intervals")
    intervals: set[str] = set()
    for key in ("mute_time_intervals", "time_intervals"):
        what = key.removesuffix("s").replace("_", " ")  # one name space for both lists, as config.go
        for ti in root.get(key) if isinstance(root.get(key), list) else ():
            if not isinstance(ti, YMap):
                continue
            if ti.get("name") in (None, ""):
                yield doc_hit(doc, ti.start(), f"missing name in {what}")
                continue
            if str(ti["name"]) in intervals:
                yield doc_hit(doc, ti.value_span("name"), f'{what} "{ti["name"]}" is not unique')
            intervals.add(str(ti["name"]))
            entries = ti.get("time_intervals")
            for entry in entries if isinstance(entries, YList) else ():
                if isinstance(entry, YMap):
                    yield from time_interval_problems(doc, entry)
    for node, _depth in _routes(root):
        group_by = node.get("group_by")
        if isinstance(group_by, YList):
            labels = [str(x) for x in group_by]
            if "..." in labels and len(labels) > 1:
                yield doc_hit(
                    doc,
                    node.key_span("group_by"),
                    "cannot have wildcard group_by (`...`) and other labels at the same time",
                )
            seen: set[str] = set()
            for i, label in enumerate(labels):
                if label in seen:
                    yield doc_hit(doc, group_by.item_span(i), f'duplicated label "{label}" in group_by')
                seen.add(label)
        for key in ("group_interval", "repeat_interval"):
            if key in node and duration_seconds(node[key]) == 0:
                yield doc_hit(doc, node.value_span(key), f"{key} cannot be zero")
        for key in ("mute_time_intervals", "active_time_intervals"):
            names = node.get(key)
            for i, name in enumerate(names if isinstance(names, YList) else ()):
                if str(name) not in intervals:
                    yield doc_hit(doc, names.item_span(i), f'undefined time interval "{name}" used in route')


@rule("alertmanager-invalid-receiver", "alertmanager")
def invalid_receiver(doc: YamlDoc, ctx) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for receiver in _receivers(doc.root):
        name = receiver.get("name")
        if name in (None, ""):
            yield doc_hit(doc, receiver.start(), "missing name in receiver")
            continue
        if str(name) in seen:
            yield doc_hit(
                doc,
                receiver.value_span("name"),
                f'notification config name "{name}" is not unique (first at line {seen[str(name)]})',
            )
        else:
            seen[str(name)] = receiver.value_span("name").line
        labels = receiver.get("labels")
        if isinstance(labels, YMap) and "name" in labels and str(labels["name"]) != str(name):
            yield doc_hit(
                doc,
                labels.value_span("name"),
                f'receiver label "name" must match receiver name "{name}", got "{labels["name"]}"',
            )


def _matcher_problems(doc: YamlDoc, holder: YMap, prefix: str) -> Iterator[Finding]:
    for key in (f"{prefix}match", f"{prefix}match_re"):
        match = holder.get(key)
        if key in holder and match is not None and not isinstance(match, YMap):
            yield doc_hit(doc, holder.where(key), f"'{key}' must be a mapping of label names to values")
            continue
        for label, value in (match or {}).items():
            if not _LABEL_NAME.match(str(label)):
                yield doc_hit(doc, match.key_span(label), f'"{label}" is not a valid label name')
            if key.endswith("_re"):
                if value is None:
                    yield doc_hit(
                        doc, match.key_span(label), f"invalid regular expression for {label}: empty"
                    )
                    continue
                problem = regex_error(f"^(?:{value})$")
                if problem:
                    yield doc_hit(doc, match.value_span(label), f"error parsing regexp: {problem}: {value}")
    key = f"{prefix}matchers"
    matchers = holder.get(key)
    if key in holder and matchers is not None and not isinstance(matchers, YList):
        yield doc_hit(doc, holder.where(key), f"'{key}' must be a list of matcher strings")
        return
    for i, text in enumerate(matchers or ()):
        found = _MATCHER.match(str(text)) if isinstance(text, str) else None
        if found is None:
            yield doc_hit(doc, matchers.item_span(i), f"bad matcher format: {text}")
            continue
        op, value = found.group(2), found.group(3)
        if value[:1] == '"' and (len(value) < 2 or value[-1] != '"'):
            yield doc_hit(doc, matchers.item_span(i), f"bad matcher format: {text}")
            continue
        if op in ("=~", "!~"):
            raw = value[1:-1] if value[:1] == '"' else value
            problem = regex_error(f"^(?:{raw})$")
            if problem:
                yield doc_hit(doc, matchers.item_span(i), f"error parsing regexp: {problem}: {raw}")


@rule("alertmanager-invalid-matcher", "alertmanager")
def invalid_matcher(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    for node, _depth in _routes(root):
        yield from _matcher_problems(doc, node, "")
    inhibits = root.get("inhibit_rules")
    for inhibit in inhibits if isinstance(inhibits, YList) else ():
        if isinstance(inhibit, YMap):
            yield from _matcher_problems(doc, inhibit, "source_")
            yield from _matcher_problems(doc, inhibit, "target_")


@rule("alertmanager-invalid-duration", "alertmanager")
def invalid_duration(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    holders: list[tuple[YMap, tuple[str, ...]]] = [(_global(root), ("resolve_timeout",))]
    holders += [(n, ("group_wait", "group_interval", "repeat_interval")) for n, _d in _routes(root)]
    for holder, keys in holders:
        for key in keys:
            value = holder.get(key)
            if value is not None and duration_seconds(value) is None and not is_placeholder(value):
                yield doc_hit(doc, holder.where(key), f'not a valid duration string: "{holder[key]}"')


WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")  # fmt: skip


_CLOCK = re.compile(r"^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)")


def _member(text: str, what: str) -> int | str:
    """One end of a range as timeinterval.go reads it: an int, or the problem."""
    if what == "weekday":
        return WEEKDAYS.index(text) if text in WEEKDAYS else f"{text} is not a valid weekday"
    if what == "month" and text in MONTHS:
        return MONTHS.index(text) + 1
    try:
        return int(text, 10)
    except ValueError:
        return (
            f"{text} is not a valid month"
            if what == "month"
            else f'strconv.Atoi: parsing "{text}": invalid syntax'
        )


def _range_problem(raw: str, what: str) -> str | None:
    """timeinterval.go's stringableRangeFromString and the checks of each range type."""
    text = raw.lower()
    parts = text.split(":") if ":" in text else [text, text]
    if len(parts) != 2:
        return f"couldn't parse range {text}, invalid format"
    begin, end = (_member(p, what) for p in parts)
    for end_value in (begin, end):
        if isinstance(end_value, str):
            return end_value
    assert isinstance(begin, int) and isinstance(end, int)
    if what == "weekday":
        if begin > end:
            return "start day cannot be before end day"
        if not (0 <= begin <= 6 and 0 <= end <= 6):
            return f"{raw} is not a valid day of the week: out of range"
    elif what == "day of the month":
        for day in (begin, end):
            if day == 0 or not -31 <= day <= 31:
                return f"{day} is not a valid day of the month: out of range"
        if begin < 0 < end:
            return "end day must be negative if start day is negative"
        if (28 + begin if begin < 0 else begin) > (28 + end if end < 0 else end):
            return f"end day {end} is always before start day {begin}"
    elif begin > end:
        if what == "month":
            return f"end month {MONTHS[end - 1] if 1 <= end <= 12 else end} is before start month " + (
                MONTHS[begin - 1] if 1 <= begin <= 12 else str(begin)
            )
        return f"end year {end} is before start year {begin}"
    return None


@cache
def _known_zone(name: str) -> bool | None:
    """Whether Go's time.LoadLocation knows `name`; None when no time zone database is here."""
    if name in ("", "UTC", "Local"):
        return True
    try:
        import zoneinfo

        zones = zoneinfo.available_timezones()
    except (ImportError, OSError):  # no database, no verdict
        return None
    return (name in zones) if zones else None


def time_interval_problems(doc: YamlDoc, interval: YMap) -> Iterator[Finding]:
    """One entry of a named interval's `time_intervals` list (timeinterval.TimeInterval)."""
    for key, what in (("weekdays", "weekday"), ("days_of_month", "day of the month"), ("months", "month"),
                      ("years", "year")):  # fmt: skip
        ranges = interval.get(key)
        for i, raw in enumerate(ranges if isinstance(ranges, YList) else ()):
            text = _text(raw)
            problem = _range_problem(text, what) if text not in (None, "") else None
            if problem:
                yield doc_hit(doc, ranges.item_span(i), problem)
    times = interval.get("times")
    for item in times if isinstance(times, YList) else ():
        if not isinstance(item, YMap) or any(key not in ("start_time", "end_time") for key in item):
            continue  # `end: 17:00` is alertmanager-invalid-field's: one finding for one slip
        start, end = _text(item.get("start_time")), _text(item.get("end_time"))
        if not start or not end:
            yield doc_hit(doc, item.start(), "both start and end times must be provided")
            continue
        bad = next((k for k, v in (("start_time", start), ("end_time", end)) if not _CLOCK.match(v)), None)
        if bad is not None:
            yield doc_hit(
                doc,
                item.value_span(bad),
                f"couldn't parse timestamp {_text(item[bad])}, invalid format (HH:MM)",
            )
        elif start >= end:  # zero-padded HH:MM compares as text
            yield doc_hit(
                doc, item.value_span("start_time"), "start time cannot be equal or greater than end time"
            )
    location = interval.get("location")
    if isinstance(location, str) and _known_zone(location) is False:
        yield doc_hit(doc, interval.value_span("location"), f"unknown time zone {location}")
