"""Alert recognition: category and normalised threshold from the PromQL AST, and the rules
built on it. Fixture files in tests/fixtures/alerts carry exact `# expect:` positions."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, expectations, run_file

from manifestlint.alerts.events import SLOW
from manifestlint.alerts.policy import parse_policy
from manifestlint.alerts.thresholds import mentions, recognise
from manifestlint.config import Config

ALERT_FIXTURES = sorted((FIXTURES / "alerts").glob("*.yaml"))
THRESHOLD_RULES = {"prometheus-alert-threshold", "prometheus-alert-for-too-short"}

# (expression, category, threshold as usage percent or seconds, normalised comparison)
RECOGNISED = [
    # cpu: idle complement (percent), avg without cpu, container against quota/period and limits
    ('100 - (avg by (instance) (irate(node_cpu_seconds_total{mode="idle"}[5m])) * 100) > 90', "cpu", 90, ">"),
    ('1 - avg without (cpu) (rate(node_cpu_seconds_total{mode="idle"}[5m])) > .8', "cpu", 80, ">"),
    (
        'sum by (instance) (avg by (mode, instance) (rate(node_cpu_seconds_total{mode!="idle"}[2m]))) > 0.8',
        "cpu",
        80,
        ">",
    ),
    (
        "sum(rate(container_cpu_usage_seconds_total[5m])) / "
        "sum(container_spec_cpu_quota / container_spec_cpu_period)"
        " > 0.95",
        "cpu",
        95,
        ">",
    ),
    (
        "sum(rate(container_cpu_usage_seconds_total[5m])) / "
        'sum(kube_pod_container_resource_limits{resource="cpu"})'
        " * 100 >= 90",
        "cpu",
        90,
        ">=",
    ),
    ('100 - (avg by (instance) (rate(windows_cpu_time_total{mode="idle"}[2m])) * 100) > 80', "cpu", 80, ">"),
    ('netdata_cpu_cpu_percentage_average{dimension="idle"} < 20', "cpu", 80, ">"),
    ("instance:node_cpu_utilisation:ratio > 0.85", "cpu", 85, ">"),
    # memory: available ratio inverted, used ratio, working set against limits, windows
    ("node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.1", "memory", 90, ">"),
    ("node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes <= 0.15", "memory", 85, ">="),
    (
        "(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes) / node_memory_MemTotal_bytes > 0.9",
        "memory",
        90,
        ">",
    ),
    (
        "(node_memory_MemFree_bytes + node_memory_Cached_bytes + node_memory_Buffers_bytes) / "
        "node_memory_MemTotal_bytes * 100 < 10",
        "memory",
        90,
        ">",
    ),
    ("100 - (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100) > 85", "memory", 85, ">"),
    (
        "sum(container_memory_working_set_bytes) / sum(container_spec_memory_limit_bytes > 0) * 100 > 80",
        "memory",
        80,
        ">",
    ),
    (
        "sum(container_memory_working_set_bytes) / "
        'sum(kube_pod_container_resource_limits{resource="memory"}) > 0.9',
        "memory",
        90,
        ">",
    ),
    (
        "100 - ((windows_os_physical_memory_free_bytes / windows_cs_physical_memory_bytes) * 100) > 90",
        "memory",
        90,
        ">",
    ),
    # disk: filesystem and volumes, complement, inverted literal on the left
    ("node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1", "disk", 90, ">"),
    ("1 - node_filesystem_avail_bytes / node_filesystem_size_bytes > 0.9", "disk", 90, ">"),
    ("0.05 > node_filesystem_avail_bytes / node_filesystem_size_bytes", "disk", 95, ">"),
    (
        "kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes * 100 < 10",
        "disk",
        90,
        ">",
    ),
    ("kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > 0.8", "disk", 80, ">"),
    (
        "100 - 100 * (windows_logical_disk_free_bytes / windows_logical_disk_size_bytes) > 80 and "
        "windows_logical_disk_size_bytes > 0",
        "disk",
        80,
        ">",
    ),
    # error rate: ratio, percent, gRPC codes, the successful share as complement
    (
        'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05',
        "error-rate",
        5,
        ">",
    ),
    (
        'sum(rate(istio_requests_total{response_code=~"5.*"}[5m])) / '
        "sum(rate(istio_requests_total[5m])) * 100 > 1",
        "error-rate",
        1,
        ">",
    ),
    (
        'sum(rate(grpc_server_handled_total{grpc_code=~"Internal|Unavailable"}[1m])) / '
        "sum(rate(grpc_server_handled_total[1m])) > 0.01",
        "error-rate",
        1,
        ">",
    ),
    (
        'sum(rate(http_requests_total{code!~"5.."}[5m])) / sum(rate(http_requests_total[5m])) < 0.99',
        "error-rate",
        1,
        ">",
    ),
    # latency: histogram quantile (s and ms), summary quantile, mean duration
    (
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5",
        "latency",
        0.5,
        ">",
    ),
    (
        "histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket[5m]))) > 800",
        "latency",
        0.8,
        ">",
    ),
    ('http_request_duration_seconds{quantile="0.99"} > 2', "latency", 2, ">"),
    (
        "rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m]) > 0.25",
        "latency",
        0.25,
        ">",
    ),
]

NOT_RECOGNISED = [
    "node_filesystem_avail_bytes / node_filesystem_size_bytes < 80",  # a ratio compared with 80
    "pg_stat_activity_count > pg_settings_max_connections * 0.8",  # against another series
    "my_app_cpu_thing > 99",  # unknown metric
    "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes > 0.99",  # plenty free: not usage
    'rate(node_cpu_seconds_total{mode="idle"}[5m]) < 0.01',  # one core
    'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m])) > 0.99',  # cores, not a share
    'avg without (cpu) (rate(node_cpu_seconds_total{mode="iowait"}[5m])) > .10',  # iowait is not usage
    "sum(rate(app_errors_total[5m])) / sum(rate(http_requests_total[5m])) > 0.5",  # two counters
    'sum(rate(http_requests_total{code=~"4.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.5',  # 4xx only
    "histogram_quantile(0.99, rate(http_request_duration_bucket[5m])) > 30",  # no unit suffix
    "histogram_quantile(0.99, rate(etcd_disk_wal_fsync_duration_seconds_bucket[5m])) > 0.5",  # not requests
    "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.01 or "
    "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.01",  # two conditions
    "(node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) < bool 0.1",  # bool: no filter
    "instance:node_cpu:rate5m > 0.9",  # recorded, scale unknown
    "up == 0",
    "rate(x[5m]",  # does not parse
]


@pytest.mark.parametrize(("expr", "category", "threshold", "comparison"), RECOGNISED)
def test_recognised(expr: str, category: str, threshold: float, comparison: str) -> None:
    found = recognise(expr)
    assert found is not None, expr
    assert (found.category, found.threshold, found.comparison) == (category, threshold, comparison)


def test_threshold_literal_offset() -> None:
    expr = "node_filesystem_avail_bytes / node_filesystem_size_bytes < .10"
    found = recognise(expr)
    assert found is not None and expr[found.offset : found.offset + found.width] == ".10"


@pytest.mark.parametrize("expr", NOT_RECOGNISED)
def test_not_recognised(expr: str) -> None:
    assert recognise(expr) is None


def test_mentions_count_unreadable_alerts_as_watching() -> None:
    assert mentions("increase(container_oom_events_total[5m]) > 0") == {"memory"}
    assert mentions("increase(websocket_connection_failures_total[5m]) > 10") == set()
    assert mentions("increase(node_memory_oom_kill_total[5m]) > 0") == {"memory"}
    assert "latency" in mentions(
        "histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[1m])) > x"
    )


@pytest.mark.parametrize("fixture", ALERT_FIXTURES, ids=lambda p: p.name)
def test_alert_fixture(fixture: Path) -> None:
    expected = {(line, rule) for line, rule, _ in expectations(fixture)}
    result = run_file(fixture, enable=THRESHOLD_RULES, use_context=False)
    actual = {(f.span.line, f.rule) for f in result.findings if f.rule in THRESHOLD_RULES}
    assert actual == expected
    for line, rule, col in expectations(fixture):
        if col is not None:
            assert col in {f.span.col for f in result.findings if (f.span.line, f.rule) == (line, rule)}


def test_policy_overrides_and_severities(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "groups:\n"
        "  - name: cpu\n"
        "    rules:\n"
        "      - alert: CPUWarn\n"
        '        expr: 100 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100 > 85\n'
        "        for: 10m\n"
        "        labels: {severity: warning}\n"
        "      - alert: CPUPage\n"
        '        expr: 100 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100 > 97\n'
        "        for: 5m\n"
        "        labels: {severity: critical}\n"
    )
    config = Config()
    config.alert_policy = parse_policy({"cpu": {"above": 90, "by-severity": {"critical": {"above": 95}}}})
    result = run_file(rules, enable={"prometheus-alert-threshold"}, config=config, use_context=False)
    found = [(f.span.line, f.message) for f in result.findings if f.rule == "prometheus-alert-threshold"]
    assert found == [
        (9, "CPU alert 'CPUPage' fires at > 97% after 5m; the policy for severity critical is > 95% for 10m")
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cpu": {"above": 180}}, "alert-policy.cpu.above"),
        ({"gpu": {"above": 80}}, "alert-policy.gpu: unknown category"),
        ({"latency": {"above": "fast"}}, "alert-policy.latency.above"),
        ({"disk": {"for": "5 minutes"}}, "alert-policy.disk.for"),
    ],
)
def test_policy_errors_name_the_key(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_policy(data)


def test_policy_latency_duration() -> None:
    policy = parse_policy({"latency": {"above": "300ms", "for": "2m"}})
    assert (policy.target("latency").above, policy.target("latency").for_seconds) == (0.3, 120)
    assert policy.target("cpu").above == 80


def _project(tmp_path: Path) -> None:
    (tmp_path / ".manifestlint.yaml").write_text("fail-on: error\n")
    # a Service: the project serves requests, so latency and error-rate alerts are asked for
    (tmp_path / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: api}\n"
        "spec: {selector: {app: api}, ports: [{port: 80}]}\n"
    )
    (tmp_path / "b-rules.yaml").write_text(
        "groups:\n  - name: b\n    rules:\n      - alert: DiskFull\n"
        "        expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1\n        for: 5m\n"
    )
    (tmp_path / "a-rules.yaml").write_text(
        "groups:\n  - name: a\n    rules:\n      - alert: Mem\n"
        "        expr: node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.15\n        for: 5m\n"
    )


@pytest.mark.parametrize(
    "named", [["a-rules.yaml", "b-rules.yaml"], ["a-rules.yaml"], ["b-rules.yaml"], ["."]]
)
def test_missing_golden_alert_is_batch_independent(tmp_path: Path, named: list[str]) -> None:
    """Anchored on the first rule file in path order whatever the files named; a file
    that is only context gets no finding, and a category watched in context counts."""
    from manifestlint.config import load_config
    from manifestlint.engine import lint
    from manifestlint.registry import load_registry

    _project(tmp_path)
    registry = load_registry()
    config = load_config(str(tmp_path / ".manifestlint.yaml"), tmp_path, registry)
    config.select = ["prometheus-missing-golden-alert"]
    result = lint(named, registry, config, tmp_path)
    found = sorted((Path(f.path).name, f.span.line, f.message.split(" (")[0]) for f in result.findings)
    if named == ["b-rules.yaml"]:
        assert found == []
    else:
        assert found == [
            ("a-rules.yaml", 1, f"no alert of the project watches {what}")
            for what in ("CPU", "error-rate", "latency")
        ]


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("increase(app_errors_total[5m]) > 0", "increase()"),
        ("changes(process_start_time_seconds[15m]) > 2", "changes()"),
        ("resets(jobs_total[1h]) > 0", "resets()"),
        ("absent(queue_depth)", "absent()"),
        ('absent(up{job="api"})', None),  # a target gone is a lasting state: it needs a `for`
        ("avg_over_time(http_request_duration_seconds:p99[10m]) > 0.5", "avg_over_time()"),
        ("predict_linear(node_filesystem_avail_bytes[6h], 4 * 3600) < 0", "predict_linear()"),
        ("(probe_ssl_earliest_cert_expiry - time()) / 86400 < 14", SLOW),
        ("time() - backup_last_success_timestamp_seconds > 86400", SLOW),
        ("time() - last_request_timestamp_seconds > 60", None),
        ("count_over_time(auth_failure_event[10m]) > 20", "count_over_time()"),
        ("mysql_global_status_uptime < 60", "restart detector (uptime)"),
        ("sysUpTime / 100 < 300", "restart detector (uptime)"),
        ("time() - pg_postmaster_start_time_seconds < 60", "restart detector (time since start)"),
        ("increase(app_errors_total[5m]) > 0 and queue_depth > 100", None),
        ("rate(app_errors_total[5m]) > 0.1", None),
        ("node_uptime_seconds > 3600", None),
        ("up == 0", None),
    ],
)
def test_event_style(expr: str, reason: str | None) -> None:
    from manifestlint.alerts.events import event_style

    assert event_style(expr) == reason


def test_route_endpoints_follow_alertmanager(tmp_path: Path) -> None:
    """First matching child wins, `continue` goes on, receivers are inherited, and a route
    matching on a label the alert does not fix is followed both ways."""
    from manifestlint.parse.yaml import parse_stream
    from manifestlint.rules.alertmanager.escalation import route_endpoints

    text = (
        "route:\n  receiver: root\n  routes:\n"
        '    - matchers: [severity="critical"]\n      continue: true\n      routes:\n'
        '        - matchers: [team="db"]\n          receiver: db\n'
        '    - match_re: {severity: "crit.*"}\n      receiver: second\n'
        '    - matchers: [severity="critical"]\n      receiver: never\n'
    )
    docs, _errors, _dups = parse_stream(text, "am.yaml")
    route = docs[0].root["route"]
    assert [r for _n, r in route_endpoints(route, {"severity": "critical"})] == ["db", "root", "second"]
    assert [r for _n, r in route_endpoints(route, {"severity": "warning"})] == ["root"]


def test_alert_policy_from_the_config_file(tmp_path: Path) -> None:
    """`alert-policy:` is validated by the config schema and read into the policy; a bad
    value is a one-line usage error (exit 2) naming the key."""
    from click.testing import CliRunner

    from manifestlint.cli import main
    from manifestlint.config import ConfigError, load_config
    from manifestlint.registry import load_registry

    cfg = tmp_path / ".manifestlint.yaml"
    cfg.write_text("alert-policy:\n  cpu: {above: 90, for: 15m, by-severity: {critical: {above: 97}}}\n")
    policy = load_config(str(cfg), tmp_path, load_registry()).alert_policy
    assert (policy.target("cpu").above, policy.target("cpu").for_seconds) == (90, 900)
    assert policy.target("cpu", "critical").above == 97 and policy.target("memory").above == 85
    cfg.write_text("alert-policy:\n  cpu: {above: 90, window: 15m}\n")
    with pytest.raises(ConfigError, match=r"alert-policy\.cpu"):
        load_config(str(cfg), tmp_path, load_registry())
    cfg.write_text("alert-policy:\n  disk: {above: 190}\n")
    (tmp_path / "rules.yaml").write_text("groups: []\n")
    result = CliRunner().invoke(main, ["lint", "-c", str(cfg), str(tmp_path / "rules.yaml")])
    assert result.exit_code == 2 and "alert-policy.disk.above" in result.output
