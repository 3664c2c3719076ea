"""The PromQL parser: accepts what Prometheus accepts, rejects with the right offset."""

from __future__ import annotations

import pytest

from manifestlint.parse import promql

VALID = [
    "up == 0",
    'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05',
    "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))",
    "predict_linear(node_filesystem_avail_bytes[6h:5m], 4 * 24 * 3600) < 0",
    "max_over_time(x[1h:])",
    "x offset -5m @ start()",
    "x + on(a) group_left(b) y",
    "topk(3, x) by (job)",
    'count_values("v", x)',
    'label_replace(x, "a", "$1", "b", "(.*)")',
    "1 > bool 2",
    '{__name__=~"job:.+"}',
    '{"utf8.metric"}',
    "a:b:c > 0x1f",
    "-x ^ 2",
    "vector(1)",
    "absent(up{job='x'}) # comment",
]

INVALID = [
    ("rate(hi)", "expected type range vector", 5),
    ("test +", "unexpected end of input", 6),
    ("sum(rate(x[5m])", "unclosed left parenthesis", 3),
    ("foo(bar)", "unknown function", 0),
    ("1 > 2", "BOOL modifier", 2),
    ("{}", "at least one non-empty matcher", 0),
    ("rate(x[5m])[5m]", "ranges only allowed", 11),
    ("x > 5x", "bad number or duration", 4),
    ("up == 0 and 1", "set operator", 8),
    ('x{a=~"("}', "error parsing regexp", 5),
    ("topk(x)", "wrong number of arguments", 0),
    ("x[5m] + 1", "binary expression must contain only", 0),
    ("sum(x) )", "unexpected right parenthesis", 7),
]


@pytest.mark.parametrize("expr", VALID)
def test_valid(expr: str) -> None:
    assert promql.check(expr) is None


@pytest.mark.parametrize(("expr", "message", "offset"), INVALID)
def test_invalid(expr: str, message: str, offset: int) -> None:
    error = promql.check(expr)
    assert error is not None and message in error.message
    assert error.offset == offset


def test_ast_exposes_comparison() -> None:
    tree = promql.parse("rate(x[5m]) > 0.5")
    assert tree.kind == "binary" and tree.name == ">" and tree.children[1].value == 0.5


def test_template_errors() -> None:
    from manifestlint.rules.prometheus.templates import template_error

    assert template_error("{{ $labels.instance }}") is None
    assert template_error("{{ $label.instance }}")[0] == 'undefined variable "$label"'
    assert template_error("x {{ $labels.job")[0] == "unclosed action"
    assert template_error("{{ if $value }}x")[0].startswith("unexpected EOF")
    assert template_error('{{ range $i, $v := query "up" }}{{ $v }}{{ end }}') is None
