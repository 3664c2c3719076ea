"""Workloads that run one replica by design, decided by evidence in the manifests.

`replicas: 2` does not make these more available, it breaks them:

- a single-primary datastore (PostgreSQL, MySQL, MongoDB, Redis, ...): a second replica is a
  second, independent database (a StatefulSet gives it its own empty volume) or a second
  process writing the same files; availability needs the datastore's own replication (an
  operator, a primary/replica pair), which a replica count cannot express;
- a Deployment whose pods share a ReadWriteOnce claim, or that mounts a claim and uses the
  `Recreate` strategy: the volume attaches to one node, so a second pod never starts elsewhere
  (Recreate is how authors say "never two at once");
- a workload named as a datastore (`carts-db`, `orders-mongo`; not `redis-exporter`,
  `db-proxy`) or as the one instance of its role (`*-standalone`, `*-primary`);
- a load generator (locust, k6, microservices-demo's loadgenerator, robot-shop's `load`): it
  serves nothing, and more copies only multiply the load;
- a program its authors require to run alone: the Thanos compactor (`thanos compact`),
  Loki's compactor (`-target=compactor`).

Anything else is not evidence: a web server at one replica is still reported.
"""

from __future__ import annotations

import re

from manifestlint.index import Index
from manifestlint.model import YamlDoc
from manifestlint.rules.kubernetes.objects import PodTemplate, containers, name_of, namespace_of

# The last component of the image repository of a single-primary datastore.
DATASTORE_IMAGES = frozenset({
    "postgres", "postgresql", "postgis", "timescaledb", "mysql", "mariadb", "percona-server", "mongo",
    "mongodb", "redis", "redis-stack", "redis-stack-server", "valkey", "influxdb", "mssql/server",
})  # fmt: skip
# Name words of a workload that is the single instance of its role.
# (Not "master": sock-shop's queue-master is an ordinary service.)
SINGLE_ROLE_WORDS = frozenset({"standalone", "singleton", "primary"})
# Name words of a datastore (`carts-db`, `user-db`, `orders-mongo`), unless another word says
# the workload only sits beside one (`redis-exporter`, `db-proxy`, `postgres-operator`).
DATASTORE_WORDS = frozenset({"db", "database", "postgres", "postgresql", "mysql", "mariadb", "mongo",
                             "mongodb", "redis", "valkey"})  # fmt: skip
BESIDE_WORDS = frozenset({
    "exporter", "proxy", "pooler", "pgbouncer", "bouncer", "admin", "ui", "web", "commander",
    "operator", "backup", "migrate", "migration", "migrations", "api",
})  # fmt: skip
# Load generators: name fragments, image components, and the command they run.
LOAD_NAME = re.compile(
    r"(^|[-_])(load-?gen(erator)?|load-?test(er|s)?|traffic-?gen(erator)?|locust)($|[-_])|(^|[-_])load$"
)
LOAD_IMAGES = frozenset({"locust", "locustio", "k6", "vegeta", "jmeter", "gatling", "artillery", "hey"})
LOAD_COMMAND = re.compile(r"\blocust\b|\bk6 run\b|\bvegeta attack\b")
# Programs their authors say must run as one instance: the Thanos compactor ("not
# semantically concurrency safe and must be deployed as a singleton against a bucket") and
# Loki's compactor (a singleton service, its main mode still one when scaled out).
SINGLETON_PROGRAMS = (
    (
        "thanos",
        re.compile(r"^(thanos )?compact( |$)"),
        "the Thanos compactor must run as a singleton per bucket",
    ),
    ("loki", re.compile(r"(^| )--?target[= ]compactor( |$)"), "Loki's compactor runs as a singleton"),
)


def _image_component(image: object) -> str:
    """`docker.io/library/postgres:16@sha256:…` -> `postgres`; `mcr.microsoft.com/mssql/server`
    -> `mssql/server` (a bare `server` says nothing)."""
    if not isinstance(image, str):
        return ""
    head, _, last = image.strip().partition("@")[0].rpartition("/")
    last = last.partition(":")[0].lower()
    return "mssql/server" if last == "server" and head.lower().endswith("mssql") else last


def load_generator_evidence(doc: YamlDoc, template: PodTemplate | None) -> str | None:
    """Why this workload is a load generator (locust, k6, a `loadgenerator`), or None."""
    name = name_of(doc).lower()
    found = [c for c, _ in containers(template.spec, init=False)] if template is not None else []
    images = [_image_component(c.get("image")) for c in found]
    if LOAD_NAME.search(name) or any(LOAD_NAME.search(i) or i in LOAD_IMAGES for i in images):
        return "a load generator serves no traffic"
    if LOAD_COMMAND.search(" ".join(_command_text(c) for c in found)):
        return "a load generator serves no traffic (it runs one)"
    return None


def is_load_generator(doc: YamlDoc, template: PodTemplate | None) -> bool:
    return load_generator_evidence(doc, template) is not None


def singleton_evidence(doc: YamlDoc, template: PodTemplate | None, index: Index) -> str | None:
    """Why this workload runs one replica by design, or None when nothing says so."""
    name = name_of(doc).lower()
    kind = doc.root.get("kind")
    found = [c for c, _ in containers(template.spec, init=False)] if template is not None else []
    images = [_image_component(c.get("image")) for c in found]
    load = load_generator_evidence(doc, template)
    if load is not None:
        return load
    datastores = [i for i in images if i in DATASTORE_IMAGES]
    if datastores:
        return f"{datastores[0]} is a single-primary datastore: a second replica is a second database"
    words = set(re.split(r"[-_.]", name))
    if words & DATASTORE_WORDS and not words & BESIDE_WORDS:
        word = sorted(words & DATASTORE_WORDS)[0]
        return f"its name marks a datastore ({word}): a second replica is a second database"
    if words & SINGLE_ROLE_WORDS:
        return f"its name marks the single {sorted(words & SINGLE_ROLE_WORDS)[0]} instance of its role"
    for container, image in zip(found, images, strict=True):
        for program, command, why in SINGLETON_PROGRAMS:
            if image == program and command.search(_command_text(container)):
                return why
    if kind == "Deployment" and template is not None:
        claims = _claims(template)
        strategy = doc.root.path_get("spec", "strategy", "type")
        if claims and strategy == "Recreate":
            return "it mounts a volume claim and uses the Recreate strategy (never two pods at once)"
        for claim in claims:
            pvc = index.get("PersistentVolumeClaim", namespace_of(doc), claim)
            modes = pvc.root.path_get("spec", "accessModes") if pvc is not None else None
            if (
                isinstance(modes, list)
                and modes
                and all(m in ("ReadWriteOnce", "ReadWriteOncePod") for m in modes)
            ):
                return f"its pods share the ReadWriteOnce claim {claim} (it attaches to one node)"
    return None


def _command_text(container: dict) -> str:
    parts = []
    for key in ("command", "args"):
        value = container.get(key)
        if isinstance(value, list):
            parts.extend(str(v) for v in value if isinstance(v, (str, int)))
    return " ".join(parts)


def _claims(template: PodTemplate) -> list[str]:
    volumes = template.spec.get("volumes")
    out = []
    for volume in volumes if isinstance(volumes, list) else ():
        claim = volume.get("persistentVolumeClaim") if isinstance(volume, dict) else None
        if isinstance(claim, dict) and claim.get("claimName"):
            out.append(str(claim["claimName"]))
    return out
