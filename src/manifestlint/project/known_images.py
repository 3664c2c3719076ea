"""What well-known images are, without pulling them: who they run as, and whether they serve.

One table for every rule that asks (issue 19, principles 1 and 6): the Dockerfile rules ask
about a `FROM` image (docker-root-user, docker-missing-healthcheck), the Kubernetes rules about
a container's `image:` (k8s-run-as-root). An image's own USER is part of its image
configuration, which a static linter cannot read; these tables record what the images'
publishers document (their Dockerfiles or docs), so that "the image already runs as a
non-root user" is evidence instead of a guess.

- `NON_ROOT_IMAGES`: patterns on the image name (and tag) -> the user the image sets. Numeric
  users matter for Kubernetes: the kubelet can verify `runAsNonRoot` only for a numeric USER.
- `ROOT_IMAGES`: distribution, language and official server images whose configuration sets no
  USER (or root): a Dockerfile on them without USER runs as uid 0 for sure.
- Anything else is unknown: the rules say so (a note naming the image) instead of guessing.
- `CLI_IMAGES`: images of command-line programs and load generators (k6, artillery, cfssl,
  logcli, kubectl ...): a container of one runs a command and exits or drives traffic, it
  serves nothing, so nobody health-checks it.

Patterns are fnmatch patterns matched against the short name (`python`, `grafana/grafana`,
`quay.io/prometheus/node-exporter`), the short name with its tag (`distroless/static:nonroot`)
and the full reference.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache

# ------------------------------------------------------------------------------ references


def split_ref(ref: str) -> tuple[str, str | None]:
    """(repository, tag) of an image reference; a registry `host:port` is not a tag."""
    ref = ref.strip().partition("@")[0]
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :]
    return ref, None


def short_name(ref: str) -> str:
    """`docker.io/library/python:3.12` -> `python`; other registries keep their path."""
    name = split_ref(ref)[0].lower()
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        name = name.removeprefix(prefix)
    return name.removeprefix("library/")


def _candidates(ref: str) -> tuple[str, ...]:
    name, tag = split_ref(ref)
    short = short_name(ref)
    full = f"{short}:{tag}" if tag else short
    return (full, short, f"{name.lower()}:{tag}" if tag else name.lower(), ref.strip().lower())


# ------------------------------------------------------------------------------ the tables

# Images whose configuration sets a non-root USER: pattern -> that user (from each image's
# Dockerfile or documentation). Order matters only within ROOT_EXCEPTIONS, checked first.
NON_ROOT_IMAGES: tuple[tuple[str, str], ...] = (
    # distroless, Chainguard, Bitnami, Microsoft chiseled, Red Hat UBI language images
    ("gcr.io/distroless/*:*nonroot*", "65532"),
    ("*distroless*:*nonroot*", "65532"),
    ("cgr.dev/chainguard/*", "65532"),
    ("bitnami/*", "1001"),
    ("docker.io/bitnami/*", "1001"),
    ("bitnamisecure/*", "1001"),
    ("mcr.microsoft.com/dotnet/*:*-chiseled*", "1654"),
    ("mcr.microsoft.com/dotnet/*:*-distroless*", "1654"),
    ("registry.access.redhat.com/ubi*/nodejs-*", "1001"),
    ("registry.access.redhat.com/ubi*/python-*", "1001"),
    ("registry.access.redhat.com/ubi*/openjdk-*", "185"),
    # web servers and proxies built to run unprivileged
    ("nginxinc/nginx-unprivileged*", "101"),
    ("ghcr.io/nginxinc/nginx-unprivileged*", "101"),
    ("registry.k8s.io/ingress-nginx/controller*", "101"),
    ("quay.io/oauth2-proxy/oauth2-proxy*", "65532"),
    # monitoring: Prometheus and its exporters, Grafana's servers, collectors, tracing
    ("prom/*", "nobody"),
    ("quay.io/prometheus/*", "nobody"),
    ("quay.io/prometheus-operator/*", "nobody"),
    ("quay.io/thanos/thanos*", "nobody"),
    ("thanosio/thanos*", "nobody"),
    ("registry.k8s.io/kube-state-metrics/kube-state-metrics*", "65534"),
    ("registry.k8s.io/metrics-server/metrics-server*", "65534"),
    ("quay.io/brancz/kube-rbac-proxy*", "65532"),
    ("gcr.io/kubebuilder/kube-rbac-proxy*", "65532"),
    ("openzipkin/zipkin*", "zipkin"),
    ("mcr.microsoft.com/windows/nanoserver*", "ContainerUser"),
    ("grafana/grafana*", "472"),
    ("grafana/loki*", "10001"),
    ("grafana/tempo*", "10001"),
    ("grafana/k6*", "12345"),
    ("loadimpact/k6*", "12345"),
    ("otel/opentelemetry-collector*", "10001"),
    ("jaegertracing/*", "10001"),
    # platform controllers
    ("ghcr.io/stefanprodan/podinfo*", "app"),
    ("stefanprodan/podinfo*", "app"),
    ("registry.k8s.io/git-sync/git-sync*", "65533"),
    ("k8s.gcr.io/git-sync/git-sync*", "65533"),
    ("quay.io/argoproj/argocd*", "999"),
    ("argoproj/argocd*", "999"),
    ("ghcr.io/fluxcd/*", "65534"),
    ("quay.io/jetstack/cert-manager-*", "1000"),
    ("registry.k8s.io/external-dns/external-dns*", "65534"),
    ("ghcr.io/dexidp/dex*", "1001"),
    # data stores, search, streaming and data platforms
    ("docker.elastic.co/elasticsearch/*", "1000"),
    ("docker.elastic.co/kibana/*", "1000"),
    ("docker.elastic.co/logstash/*", "1000"),
    ("opensearchproject/opensearch*", "1000"),
    ("quay.io/keycloak/keycloak*", "1000"),
    ("confluentinc/*", "appuser"),
    ("apache/kafka*", "appuser"),
    ("apache/airflow*", "50000"),
    ("apache/spark*", "185"),
    ("apache/superset*", "superset"),
    ("memcached*", "memcache"),
    ("jetty*", "jetty"),
    # notebooks, CI servers, browsers and tools
    ("jupyter/*", "1000"),
    ("quay.io/jupyter/*", "1000"),
    ("jenkins/jenkins*", "1000"),
    ("sonarqube*", "1000"),
    ("sonatype/nexus3*", "200"),
    ("selenium/*", "1200"),
    ("curlimages/curl*", "curl_user"),
    ("gitea/gitea:*rootless*", "1000"),
    ("openpolicyagent/opa:*rootless*", "1000"),
)
# The first release whose image runs as the table's user; older tags ran as root (their
# Dockerfiles set no USER), so a pinned old tag is a root image, not a non-root one. A tag that
# is not a version (`latest`, a digest) is taken as a current release.
NON_ROOT_SINCE: dict[str, tuple[int, ...]] = {
    "quay.io/brancz/kube-rbac-proxy*": (0, 7),  # v0.7.0: distroless :nonroot, USER 65532
    "gcr.io/kubebuilder/kube-rbac-proxy*": (0, 7),
    "jaegertracing/*": (1, 50),  # 1.50.0: USER 10001 (jaeger#4783)
    "grafana/grafana*": (5, 1),  # 5.1.0: USER grafana (472)
}
_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")

# Root despite the families above (they ship a shell or package manager for building on).
ROOT_EXCEPTIONS = ("cgr.dev/chainguard/wolfi-base*", "cgr.dev/chainguard/busybox*", "bitnami/minideb*")

# Official distribution and language images: a shell, a REPL or a toolchain, no USER.
DISTRO_IMAGES = frozenset(
    {"alpine", "busybox", "debian", "ubuntu", "fedora", "centos", "rockylinux", "almalinux",
     "amazonlinux", "archlinux", "opensuse/leap", "opensuse/tumbleweed", "oraclelinux", "photon",
     "clearlinux", "python", "pypy", "node", "golang", "ruby", "perl", "rust", "openjdk",
     "eclipse-temurin", "amazoncorretto", "ibm-semeru-runtimes", "sapmachine", "maven", "gradle",
     "buildpack-deps", "bash", "php", "dart", "swift", "elixir", "erlang", "haskell", "julia",
     "r-base", "clojure", "mcr.microsoft.com/dotnet/sdk", "docker"}
)  # fmt: skip
# Images known to run as root (uid 0) unless the Dockerfile or the pod sets a user.
ROOT_IMAGES: tuple[str, ...] = (
    *sorted(DISTRO_IMAGES),
    "scratch", "gcr.io/distroless/*", "nginx", "httpd", "tomcat", "caddy", "traefik", "haproxy",
    "envoyproxy/envoy*", "cypress/*", "mcr.microsoft.com/dotnet/aspnet", "mcr.microsoft.com/dotnet/runtime",
    "mcr.microsoft.com/dotnet/runtime-deps", "mcr.microsoft.com/openjdk/jdk", "azul/zulu-openjdk*",
    "nvidia/cuda", "nvcr.io/nvidia/cuda", "registry.access.redhat.com/ubi?",
    "registry.access.redhat.com/ubi?/ubi*", "registry.access.redhat.com/ubi?-minimal", "redhat/ubi?*",
    "quay.io/centos/centos", "quay.io/fedora/fedora*",
    "continuumio/miniconda3", "continuumio/anaconda3", "condaforge/miniforge3", "tensorflow/tensorflow",
    "pytorch/pytorch", "ghcr.io/astral-sh/uv", "registry.k8s.io/debian-base*", "k8s.gcr.io/debian-base*",
    "registry.k8s.io/build-image/debian-base*", "mcr.microsoft.com/windows/servercore",
    "mcr.microsoft.com/windows/server", "mcr.microsoft.com/windows",  # ContainerAdministrator
)  # fmt: skip

# Command-line programs and load generators: a container of one runs a command (or drives
# traffic at others) and serves nothing a HEALTHCHECK could probe. Matched on the last path
# component of the image name.
CLI_IMAGES = frozenset(
    {"k6", "artillery", "locust", "locustio", "vegeta", "hey", "jmeter", "gatling", "wrk",
     "logcli", "cfssl", "kubectl", "helm", "kustomize", "aws-cli", "azure-cli", "cloud-sdk",
     "google-cloud-cli", "terraform", "promtool", "amtool", "mc", "git", "curl", "jq", "yq",
     "kafkacat", "kcat", "psql", "mysql-client", "redis-cli", "awscli", "gsutil", "trivy",
     "cosign", "crane", "skopeo", "grpcurl", "ghz", "oha", "bombardier", "siege"}
)  # fmt: skip


# ------------------------------------------------------------------------------ questions


_WILDCARDS = re.compile(r"[*?\[]")
_TRANSLATED: dict[str, re.Pattern[str]] = {}


@lru_cache(maxsize=256)
def _prefixed(patterns: tuple[str, ...]) -> list[tuple[str, str]]:
    """Each fnmatch pattern with its literal prefix (its text before the first wildcard)."""
    return [(_WILDCARDS.split(p, 1)[0], p) for p in patterns]


def _matches(name: str, prefixed: list[tuple[str, str]]) -> bool:
    """fnmatch.fnmatch(name, p) for some pattern p (POSIX: case-sensitive, as fnmatch is here).

    A name that does not start with a pattern's literal prefix cannot match it, so most of the
    table's ~120 patterns are passed over with one `startswith`, and a pattern is compiled only
    when a name gets past its prefix (fnmatch.fnmatch was called 52,000 times on the corpus,
    and a one-file call compiled every pattern of the table)."""
    for prefix, pattern in prefixed:
        if name.startswith(prefix):
            rx = _TRANSLATED.get(pattern)
            if rx is None:
                rx = _TRANSLATED[pattern] = re.compile(fnmatch.translate(pattern))
            if rx.match(name):
                return True
    return False


_PREFIXED: list | None = None  # (ROOT_EXCEPTIONS, [(NON_ROOT_IMAGES prefixed pattern, entry)]), on first use


def _version(tag: str | None) -> tuple[int, ...] | None:
    match = _VERSION.match(tag or "")
    return tuple(int(part) for part in match.groups() if part is not None) if match else None


@lru_cache(maxsize=1024)
def _table_entry(ref: str) -> tuple[str, str] | None:
    """(pattern, user) of the table entry the image matches, or None."""
    if "$" in ref or not ref.strip():
        return None
    global _PREFIXED
    if _PREFIXED is None:
        _PREFIXED = [_prefixed(ROOT_EXCEPTIONS), [(_prefixed((p,)), (p, u)) for p, u in NON_ROOT_IMAGES]]
    exceptions, table = _PREFIXED
    candidates = _candidates(ref)
    if any(_matches(c, exceptions) for c in candidates):
        return None
    for prefixed, entry in table:
        if any(_matches(c, prefixed) for c in candidates):
            return entry
    return None


def _older_release(ref: str, pattern: str) -> bool:
    """Whether the image's tag is a release from before its publisher made it non-root."""
    since = NON_ROOT_SINCE.get(pattern)
    version = _version(split_ref(ref)[1]) if since else None
    return version is not None and since is not None and version < since


def _table_user(ref: str) -> str | None:
    entry = _table_entry(ref)
    if entry is None or _older_release(ref, entry[0]):
        return None
    return entry[1]


def image_user(ref: str, patterns: tuple[str, ...] = ()) -> str | None:
    """The non-root user a well-known image runs as, from the table (or `patterns` from the
    configuration: those only say "non-root", so they give the name `nonroot`); None when
    the image is unknown or runs as root. A reference with an unresolved variable is unknown."""
    user = _table_user(ref)
    if user is not None or not patterns or "$" in ref:
        return user
    candidates = _candidates(ref)
    if any(fnmatch.fnmatch(c, p) for c in candidates for p in patterns):
        return "nonroot"
    return None


@lru_cache(maxsize=1024)
def known_root_image(ref: str) -> bool:
    """A well-known image that runs as uid 0 unless USER (or the pod) says otherwise."""
    if "$" in ref or not ref.strip():
        return False
    entry = _table_entry(ref)
    if entry is not None:
        return _older_release(ref, entry[0])  # an old release of a now non-root image ran as root
    if "nonroot" in (split_ref(ref)[1] or ""):
        return False
    short = short_name(ref)
    return short in DISTRO_IMAGES or _matches(short, _prefixed(ROOT_IMAGES))


def cli_image(ref: str) -> str | None:
    """The program a command-line or load-generator image runs (`grafana/k6:0.50` -> `k6`),
    or None."""
    if "$" in ref:
        return None
    last = short_name(ref).rpartition("/")[2]
    return last if last in CLI_IMAGES else None
