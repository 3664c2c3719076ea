"""The shape of Prometheus' configuration file (prometheus.yml), as its loader decodes it.

Transcribed from prometheus/prometheus config/config.go, model/relabel/relabel.go and
discovery/*/ (the newest release: a superset of older releases' keys) and prometheus/common's
HTTP client types (the tables rules/alertmanager/http_config.py already holds). Each type maps
its keys to what the value must be:

- a scalar kind: "duration", "bool", "uint", "int", "str", "float", "size" (1KB, 512MB),
  "strings" (a list of strings), "labels" (a mapping of strings), "any";
- the name of another type here (a mapping of that type), or ("list", name) (a list of them).

Go's strict decoding refuses any other key ("field scrape_intervall not found in type
config.plain"); types whose keys we do not list (the rarer service discoveries) are `None`:
their keys are not judged.
"""

from __future__ import annotations

from typing import Any

from manifestlint.rules.alertmanager.http_config import (
    AUTHORIZATION_KEYS,
    BASIC_AUTH_KEYS,
    HTTP_KEYS,
    OAUTH2_KEYS,
    TLS_KEYS,
)

D, B, U, N, S, F = "duration", "bool", "uint", "int", "str", "float"

# Service discoveries (discovery/*: each registers `<name>_sd_configs`); the keys of the common
# ones are listed below, the others accept anything here.
SD_NAMES = ("aws", "azure", "consul", "digitalocean", "dns", "docker", "dockerswarm", "ec2", "ecs",
            "elasticache", "eureka", "file", "gce", "hetzner", "http", "ionos", "kubernetes", "kuma",
            "lightsail", "linode", "marathon", "msk", "nerve", "nomad", "oci", "openstack", "outscale",
            "ovhcloud", "puppetdb", "rds", "scaleway", "serverset", "stackit", "triton", "uyuni",
            "vultr")  # fmt: skip
SD_KEYS = frozenset(f"{name}_sd_configs" for name in SD_NAMES) | {"static_configs"}


def _http(**extra: Any) -> dict[str, Any]:
    """prometheus/common HTTPClientConfig, inlined into its holder."""
    fields: dict[str, Any] = dict.fromkeys(HTTP_KEYS, "any")
    fields.update(
        basic_auth="basic_auth", authorization="authorization", oauth2="oauth2", tls_config="tls_config",
        follow_redirects=B, enable_http2=B, bearer_token=S, bearer_token_file=S, proxy_url=S,
        proxy_from_environment=B, no_proxy=S, http_headers="any",
    )  # fmt: skip
    fields.update(extra)
    return fields


def _sd(**extra: Any) -> dict[str, Any]:
    """A holder of service discoveries (scrape config, Alertmanager config)."""
    fields: dict[str, Any] = {key: ("list", key) for key in SD_KEYS}
    fields.update(extra)
    return fields


TYPES: dict[str, dict[str, Any] | None] = {
    "config": {
        "global": "global", "runtime": "runtime", "alerting": "alerting", "rule_files": "strings",
        "scrape_config_files": "strings", "scrape_configs": ("list", "scrape_config"), "storage": "storage",
        "tracing": "tracing", "remote_write": ("list", "remote_write"),
        "remote_read": ("list", "remote_read"), "otlp": "otlp",
    },
    "global": {
        "scrape_interval": D, "scrape_timeout": D, "scrape_protocols": "strings", "evaluation_interval": D,
        "rule_query_offset": D, "query_log_file": S, "scrape_failure_log_file": S,
        "external_labels": "labels",
        "body_size_limit": "size", "sample_limit": U, "target_limit": U, "label_limit": U,
        "label_name_length_limit": U, "label_value_length_limit": U, "keep_dropped_targets": U,
        "metric_name_validation_scheme": S, "metric_name_escaping_scheme": S, "scrape_native_histograms": B,
        "convert_classic_histograms_to_nhcb": B, "always_scrape_classic_histograms": B,
        "extra_scrape_metrics": B,
    },
    "runtime": {"gogc": N},
    "alerting": {
        "alert_relabel_configs": ("list", "relabel_config"), "alertmanagers": ("list", "alertmanager_config"),
    },
    "alertmanager_config": {
        **_http(), **_sd(), "sigv4": "any", "scheme": S, "path_prefix": S, "timeout": D, "api_version": S,
        "relabel_configs": ("list", "relabel_config"), "alert_relabel_configs": ("list", "relabel_config"),
    },
    "scrape_config": {
        **_http(), **_sd(), "job_name": S, "honor_labels": B, "honor_timestamps": B,
        "track_timestamps_staleness": B, "params": "any", "scrape_interval": D, "scrape_timeout": D,
        "scrape_protocols": "strings", "fallback_scrape_protocol": S, "scrape_native_histograms": B,
        "always_scrape_classic_histograms": B, "convert_classic_histograms_to_nhcb": B,
        "scrape_failure_log_file": S, "metrics_path": S, "scheme": S, "enable_compression": B,
        "body_size_limit": "size", "sample_limit": U, "target_limit": U, "label_limit": U,
        "label_name_length_limit": U, "label_value_length_limit": U, "native_histogram_bucket_limit": U,
        "native_histogram_min_bucket_factor": F, "keep_dropped_targets": U,
        "metric_name_validation_scheme": S, "metric_name_escaping_scheme": S, "extra_scrape_metrics": B,
        "relabel_configs": ("list", "relabel_config"), "metric_relabel_configs": ("list", "relabel_config"),
    },
    "relabel_config": {
        "source_labels": "strings", "separator": S, "regex": S, "modulus": U, "target_label": S,
        "replacement": S, "action": S,
    },
    "static_configs": {"targets": "strings", "labels": "labels"},
    "file_sd_configs": {"files": "strings", "refresh_interval": D},
    "dns_sd_configs": {"names": "strings", "refresh_interval": D, "type": S, "port": N},
    "http_sd_configs": {**_http(), "url": S, "refresh_interval": D},
    "kubernetes_sd_configs": {
        **_http(), "api_server": S, "role": S, "kubeconfig_file": S, "namespaces": "k8s_namespaces",
        "selectors": ("list", "k8s_selector"), "attach_metadata": "k8s_metadata",
    },
    "k8s_namespaces": {"own_namespace": B, "names": "strings"},
    "k8s_selector": {"role": S, "label": S, "field": S},
    "k8s_metadata": {"node": B, "namespace": B, "deployment": B, "job": B, "cronjob": B},
    "consul_sd_configs": {
        **_http(), "server": S, "path_prefix": S, "token": S, "datacenter": S, "namespace": S, "partition": S,
        "tag_separator": S, "scheme": S, "username": S, "password": S, "allow_stale": B,
        "refresh_interval": D, "services": "strings", "tags": "strings", "node_meta": "labels", "filter": S,
        "health_filter": S,
    },
    "remote_write": {
        **_http(), "url": S, "remote_timeout": D, "headers": "labels",
        "write_relabel_configs": ("list", "relabel_config"), "name": S, "send_exemplars": B,
        "send_native_histograms": B, "round_robin_dns": B, "protobuf_message": S,
        "failed_request_logging": B, "queue_config": "queue_config", "metadata_config": "metadata_config",
        "sigv4": "any", "azuread": "any", "google_iam": "any",
    },
    "queue_config": {
        "capacity": N, "max_shards": N, "min_shards": N, "max_samples_per_send": N, "batch_send_deadline": D,
        "min_backoff": D, "max_backoff": D, "retry_on_http_429": B, "sample_age_limit": D,
    },
    "metadata_config": {"send": B, "send_interval": D, "max_samples_per_send": N},
    "remote_read": {
        **_http(), "url": S, "remote_timeout": D, "chunked_read_limit": U, "headers": "labels",
        "read_recent": B, "name": S, "required_matchers": "labels", "filter_external_labels": B,
    },
    "storage": {"tsdb": "tsdb", "exemplars": "exemplars"},
    "tsdb": {
        "out_of_order_time_window": D, "stale_series_compaction_threshold": F,
        "chunk_encoding": "chunk_encoding", "retention": "retention",
    },
    "chunk_encoding": {"floats": S},
    "retention": {"time": D, "size": "size", "percentage": F},
    "exemplars": {"max_exemplars": N},
    "tracing": {
        "client_type": S, "endpoint": S, "sampling_fraction": F, "insecure": B, "tls_config": "tls_config",
        "headers": "labels", "compression": S, "timeout": D,
    },
    "otlp": {
        "promote_all_resource_attributes": B, "promote_resource_attributes": "strings",
        "ignore_resource_attributes": "strings", "translation_strategy": S,
        "keep_identifying_resource_attributes": B, "convert_histograms_to_nhcb": B,
        "promote_scope_metadata": B, "label_name_underscore_sanitization": B,
        "label_name_preserve_multiple_underscores": B,
    },
    "tls_config": {**dict.fromkeys(TLS_KEYS, S), "insecure_skip_verify": B},
    "basic_auth": dict.fromkeys(BASIC_AUTH_KEYS, S),
    "authorization": dict.fromkeys(AUTHORIZATION_KEYS, S),
    "oauth2": {**dict.fromkeys(OAUTH2_KEYS, "any"), "tls_config": "tls_config"},
}  # fmt: skip
for _name in SD_KEYS:
    TYPES.setdefault(_name, None)
