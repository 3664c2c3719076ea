"""The YAML layer: types as Kubernetes reads them, exact spans, and hostile input."""

from __future__ import annotations

import time

from manifestlint.model import Span, YList, YMap
from manifestlint.parse.yaml import MAX_NESTING, parse_stream, resolve_plain


def test_plain_scalars_resolve_like_go_yaml_v2() -> None:
    assert resolve_plain("yes") is True and resolve_plain("Off") is False and resolve_plain("y") is True
    assert resolve_plain("0777") == 0o777 and resolve_plain("0x1F") == 31 and resolve_plain("1_000") == 1000
    assert (
        resolve_plain("1.5") == 1.5
        and resolve_plain("1e3") == 1000.0
        and resolve_plain(".inf") == float("inf")
    )
    assert resolve_plain("~") is None and resolve_plain("null") is None
    assert resolve_plain("1.2.3") == "1.2.3" and resolve_plain("-") == "-" and resolve_plain("v1") == "v1"


def test_quoted_scalars_stay_strings() -> None:
    docs, errors, _ = parse_stream("a: \"true\"\nb: true\nc: '0777'\nd: 0777\ne:\n", "x.yaml")
    root = docs[0].root
    assert root == {"a": "true", "b": True, "c": "0777", "d": 511, "e": None}
    assert not errors


def test_spans_are_one_based_and_end_exclusive() -> None:
    text = "kind: Pod\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n"
    root = parse_stream(text, "x.yaml")[0][0].root
    assert root.key_span("kind") == Span(1, 1, 1, 5)
    assert root.value_span("kind") == Span(1, 7, 1, 10)
    container = root["spec"]["containers"][0]
    assert isinstance(container, YMap) and isinstance(root["spec"]["containers"], YList)
    assert container.value_span("image") == Span(5, 14, 5, 24)
    assert container.start() == Span(4, 7, 4, 11)
    assert root["spec"]["containers"].item_span(0).line == 4


def test_a_broken_document_hides_nothing_else() -> None:
    text = "a: 1\n---\nb: [1,\n---\nc: 3\n---\nd: {e: 4}\n"
    docs, errors, _ = parse_stream(text, "x.yaml")
    assert [d.root for d in docs] == [{"a": 1}, {"c": 3}, {"d": {"e": 4}}]
    assert [d.span.line for d in docs] == [1, 5, 7]
    assert docs[2].root["d"].value_span("e") == Span(7, 8, 7, 9)  # line offset kept after the retry
    assert len(errors) == 1 and errors[0].span.line == 3 and errors[0].span.col == 4  # the unclosed '['


def test_duplicate_keys_are_reported_and_last_wins() -> None:
    docs, _, duplicates = parse_stream("a: 1\nb: 2\na: 3\n", "x.yaml")
    assert docs[0].root["a"] == 3
    assert duplicates == [(Span(3, 1, 3, 2), "duplicate key 'a'")]


def test_merge_keys_fill_missing_keys_only() -> None:
    text = "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 9\n"
    root = parse_stream(text, "x.yaml")[0][0].root
    assert root["c"] == {"x": 9, "y": 2}
    assert root["c"].value_span("y") == Span(1, 20, 1, 21)  # where the merged value was written


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    started = time.perf_counter()
    docs, errors, _ = parse_stream("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - started < 5
    assert not docs and errors[0].refused and "alias" in errors[0].message


def test_deep_nesting_is_refused_without_crashing() -> None:
    docs, errors, _ = parse_stream("[" * (MAX_NESTING * 100), "deep.yaml")
    assert not docs and errors[0].refused and "nesting" in errors[0].message
    docs, errors, _ = parse_stream("a:\n" + "".join(" " * i + "- \n" for i in range(1, 3000)), "deep2.yaml")
    assert errors and errors[0].refused


def test_tags_never_construct_objects() -> None:
    text = "a: !!python/object/apply:os.system ['echo pwned']\nb: !Ref thing\nc: !!binary aGVsbG8=\n"
    root = parse_stream(text, "x.yaml")[0][0].root
    assert root["a"] == ["echo pwned"] and root["b"] == "thing" and root["c"] == "aGVsbG8="


def test_colon_inside_flow_scalar_is_valid_as_go_yaml_reads_it() -> None:
    """libyaml refuses `[host:8080/ready]`; go-yaml v2 (kubectl) and YAML 1.2 accept it. Seen
    in bank-of-anthos' Prometheus probes (a ServiceMonitor's `params`): six false syntax errors."""
    text = "kind: ServiceMonitor\nspec:\n  params:\n    target: [balancereader:8080/ready]\n---\nb: [\n"
    docs, errors, _ = parse_stream(text, "x.yaml")
    assert docs[0].root["spec"]["params"]["target"] == ["balancereader:8080/ready"]
    assert docs[0].root["spec"]["params"].value_span("target") == Span(4, 13, 4, 39)
    assert [(e.span.line, e.span.col) for e in errors] == [(6, 4)]  # the real error is still reported


def test_shared_strings_are_short_and_bounded() -> None:
    """Scalars' strings are shared through a memo kept across files: a long value (a literal
    block of a ConfigMap) must never be kept alive past its file by it."""
    from manifestlint.parse import yaml as parse_yaml

    long_value = "x" * 10_000
    root = parse_stream(f"a: name\nb: {long_value}\n---\nname: 1\n", "x.yaml")[0][0].root
    assert root["b"] == long_value and long_value not in parse_yaml._MEMO
    assert "name" in parse_yaml._MEMO and len(parse_yaml._MEMO) <= parse_yaml._MEMO_MAX


_EVENT_TEXT = """\
base: &base {a: 1, 'b': "two", c: [x, y]}
merged:
  <<: *base
  a: 3
  dup: 1
  dup: 2
list:
- &item plain
- *item
- |
  block
- 0777
---
hosts: [host:8080/path]
---
kind: Pod
metadata: {name: web, labels: {app: web}}
---
broken: [unclosed
---
after: ok
"""


def _spans_of(value: object) -> list[object]:
    """Every collection's packed marks, depth first: the positions parse_stream recorded."""
    if isinstance(value, YMap):
        return [value._spans, *(s for v in value.values() for s in _spans_of(v))]
    if isinstance(value, YList):
        return [value._spans, *(s for v in value for s in _spans_of(v))]
    return []


def test_copied_events_build_what_the_fast_path_builds(monkeypatch) -> None:
    """The C parser builds our event classes directly; an extension that does not pick them
    up gets its events copied into them (`_adapted`, also ruamel's pure parser): both give
    the same values, positions, errors and duplicate keys."""
    import manifestlint.parse.yaml as yaml_mod

    assert yaml_mod._fast_events(__import__("_ruamel_yaml")) is True  # ruamel.yaml.clib
    fast = parse_stream(_EVENT_TEXT, "x.yaml")
    monkeypatch.setattr(yaml_mod, "_FAST", False)
    copied = parse_stream(_EVENT_TEXT, "x.yaml")
    assert [d.root for d in fast[0]] == [d.root for d in copied[0]]
    assert [_spans_of(d.root) for d in fast[0]] == [_spans_of(d.root) for d in copied[0]]
    assert [d.span for d in fast[0]] == [d.span for d in copied[0]]
    assert [(e.span, e.message) for e in fast[1]] == [(e.span, e.message) for e in copied[1]]
    assert fast[2] == copied[2] and len(fast[2]) == 1 and len(fast[1]) == 1
    assert fast[0][1].root == {"hosts": ["host:8080/path"]}  # the pure parser's fallback ran too


def test_ruamel_event_classes_are_restored_after_parsing() -> None:
    """Our event classes stand in for ruamel's only while a stream is read, even one that
    fails: ruamel's own loaders keep working in the same process."""
    import _ruamel_yaml
    import ruamel.yaml.events as events
    from ruamel.yaml import YAML

    from manifestlint.parse.yaml import load_plain_yaml

    parse_stream(_EVENT_TEXT, "x.yaml")
    parse_stream("a: *undefined\n", "x.yaml")
    parse_stream("a: [1\n", "x.yaml")
    for name in ("ScalarEvent", "MappingStartEvent", "StreamEndEvent", "AliasEvent"):
        assert getattr(_ruamel_yaml, name) is getattr(events, name)
    assert load_plain_yaml("a: [1, 2]\n") == {"a": [1, 2]}
    assert [type(e).__name__ for e in YAML(typ="base", pure=False).parse("a: 1\n")][3] == "ScalarEvent"


def test_long_collections_keep_every_position() -> None:
    """Marks of a long collection are moved into a packed array as it grows (parse/yaml.py
    _SPILL): every key, value and item keeps its exact span, also a duplicate key whose first
    occurrence was moved out long before, and keys merged in at the end."""
    n = 5000
    lines = ["base: &b {merged: 1}", "big:"] + [f"  k{i}: v{i}" for i in range(n)]
    lines += ["  k0: again", "  <<: *b", "items:"] + [f"- item{i}" for i in range(n)]
    docs, errors, duplicates = parse_stream("\n".join(lines) + "\n", "x.yaml")
    assert not errors and [message for _, message in duplicates] == ["duplicate key 'k0'"]
    big, items = docs[0].root["big"], docs[0].root["items"]
    assert len(big) == n + 1 and big["k0"] == "again" and big["merged"] == 1
    for i in (1, 17, 4095, 4096, 4999):
        line = 3 + i
        assert big.key_span(f"k{i}") == Span(line, 3, line, 4 + len(str(i)))
        assert big.value_span(f"k{i}") == Span(line, 6 + len(str(i)), line, 7 + 2 * len(str(i)))
    assert big.key_span("k0") == Span(n + 3, 3, n + 3, 5)
    assert big.value_span("k0") == Span(n + 3, 7, n + 3, 12)
    assert big.value_span("merged") == Span(1, 19, 1, 20)  # where the merged key stands in its source
    first = n + 6
    for i in (0, 2047, 2048, 4999):
        assert items.item_span(i) == Span(first + i, 3, first + i, 7 + len(str(i)))
