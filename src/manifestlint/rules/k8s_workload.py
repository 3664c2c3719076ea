"""Per-object Kubernetes rules: security context, host access, resources, probes, images,
environment, API versions (one object at a time; cross-object rules live in k8s_project.py).

Every rule reads the pod template through `k8s.pod_template`, so Pod, the controllers,
CronJob (`jobTemplate.spec.template`) and PodTemplate are covered alike, and walks only the
parts of the object it needs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from manifestlint.k8s import (
    BATCH_KINDS,
    WORKLOAD_KINDS,
    PodTemplate,
    container_label,
    containers,
    effective,
    image_tag,
    is_api_server_object,
    is_windows_pod,
    name_anchor,
    namespace_of,
    parse_quantity,
    pod_template,
)
from manifestlint.k8s_singleton import is_load_generator
from manifestlint.model import Finding, Span, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule


def container_anchor(container: YMap, *keys: str) -> Span:
    """Where a 'missing field' finding points: the deepest of `keys` present, else the entry."""
    node = container
    anchor = container.start()
    for key in keys:
        if not isinstance(node, YMap) or key not in node:
            break
        anchor = node.key_span(key)
        node = node[key]
    return anchor


@rule("k8s-run-as-root", "kubernetes", kinds=WORKLOAD_KINDS)
def run_as_root(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, _field in containers(pod.spec):
        name = container_label(container)
        user, user_holder = effective(container, pod.spec, "runAsUser")
        non_root, nr_holder = effective(container, pod.spec, "runAsNonRoot")
        if user == 0 and user_holder is not None:
            yield doc_hit(
                doc, user_holder.value_span("runAsUser"), f"container {name!r} runs as root: runAsUser is 0"
            )
        elif isinstance(non_root, str) and nr_holder is not None:
            yield doc_hit(
                doc,
                nr_holder.value_span("runAsNonRoot"),
                f"container {name!r}: runAsNonRoot is the string {non_root!r}, not a boolean; "
                "the API server rejects it",
            )
        elif non_root is False and nr_holder is not None and not (isinstance(user, int) and user > 0):
            yield doc_hit(
                doc,
                nr_holder.value_span("runAsNonRoot"),
                f"container {name!r} may run as root: runAsNonRoot is false",
            )
        elif non_root is not True and not (isinstance(user, int) and not isinstance(user, bool) and user > 0):
            yield doc_hit(
                doc,
                container_anchor(container, "securityContext"),
                f"container {name!r} may run as root: set securityContext.runAsNonRoot: true "
                "or a non-zero runAsUser",
            )


@rule("k8s-missing-resource-limits", "kubernetes", kinds=WORKLOAD_KINDS)
def missing_limits(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    wanted = ["memory"] + (["cpu"] if ctx.options.get("require-cpu-limit") else [])
    for container, _field in containers(pod.spec):
        limits = container.path_get("resources", "limits")
        missing = [r for r in wanted if not (isinstance(limits, dict) and limits.get(r) not in (None, ""))]
        if missing:
            yield doc_hit(
                doc,
                container_anchor(container, "resources", "limits"),
                f"container {container_label(container)!r} has no {' or '.join(missing)} limit",
            )


# Sidecars injected or added beside the application whose readiness nobody routes on: a pod is
# Ready when all its containers are, and a container without a readiness probe counts as ready
# once started, so the application container's probe is the one that gates traffic. Matched by
# container name, or by the last components of the image repository.
SIDECAR_NAMES = frozenset({
    "istio-proxy", "linkerd-proxy", "cloud-sql-proxy", "cloudsql-proxy", "vault-agent",
    "consul-dataplane", "consul-connect-envoy-sidecar", "kuma-sidecar", "aws-appmesh-envoy",
    "kube-rbac-proxy",
})  # fmt: skip
SIDECAR_IMAGES = ("istio/proxyv2", "linkerd/proxy", "cloud-sql-proxy", "cloudsql-docker/gce-proxy",
                  "hashicorp/consul-dataplane", "kumahq/kuma-dp", "aws-appmesh-envoy",
                  "kube-rbac-proxy")  # fmt: skip


def is_sidecar(container: YMap) -> bool:
    """A well-known proxy or agent sidecar (istio-proxy, linkerd-proxy, cloud-sql-proxy, ...)."""
    if str(container.get("name") or "") in SIDECAR_NAMES:
        return True
    image = container.get("image")
    if not isinstance(image, str):
        return False
    head, slash, last = image.strip().partition("@")[0].rpartition("/")
    return (head + slash + last.partition(":")[0]).endswith(SIDECAR_IMAGES)  # without tag or digest


def _missing_probe(doc: YamlDoc, probe: str) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None or pod.kind in BATCH_KINDS:
        return
    if probe == "readinessProbe" and is_load_generator(doc, pod):
        return  # readiness decides whether a Service sends traffic; a load generator takes none
    for container, _field in containers(pod.spec, init=False):
        if probe == "readinessProbe" and is_sidecar(container):
            continue
        if not isinstance(container.get(probe), YMap):
            yield doc_hit(doc, container.start(), f"container {container_label(container)!r} has no {probe}")


@rule("k8s-missing-liveness-probe", "kubernetes", kinds=WORKLOAD_KINDS)
def missing_liveness(doc: YamlDoc, ctx) -> Iterator[Finding]:
    yield from _missing_probe(doc, "livenessProbe")


@rule("k8s-missing-readiness-probe", "kubernetes", kinds=WORKLOAD_KINDS)
def missing_readiness(doc: YamlDoc, ctx) -> Iterator[Finding]:
    yield from _missing_probe(doc, "readinessProbe")


# ---------------------------------------------------------------- shared bits

_FIELD_WORD = {"containers": "container", "initContainers": "init container",
               "ephemeralContainers": "ephemeral container"}  # fmt: skip


def _what(container: YMap, field: str) -> str:
    """`container 'web'` / `init container 'migrate'`: the subject of every message."""
    return f"{_FIELD_WORD.get(field, 'container')} {container_label(container)!r}"


def _security_context(container: YMap) -> YMap | None:
    sc = container.get("securityContext")
    return sc if isinstance(sc, YMap) else None


def _cap_name(value: Any) -> str:
    """Capability names as the runtime reads them: case-insensitive, `CAP_` prefix optional."""
    text = str(value).strip().upper()
    return text[4:] if text.startswith("CAP_") else text


# The capabilities containerd and Docker (moby) grant a container by default.
DEFAULT_CAPABILITIES = (
    "NET_RAW", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP",
)  # fmt: skip


def _added_capability(container: YMap, wanted: str) -> tuple[YList, int] | None:
    added = container.path_get("securityContext", "capabilities", "add")
    if isinstance(added, YList):
        for i, cap in enumerate(added):
            if _cap_name(cap) == wanted:
                return added, i
    return None


def _linux_pod(doc: YamlDoc) -> PodTemplate | None:
    """The pod template, unless it is a Windows pod (Linux-only fields do not apply)."""
    pod = pod_template(doc)
    if pod is None or is_windows_pod(pod.spec):
        return None
    return pod


# ---------------------------------------------------------------- security context


@rule("k8s-privileged-container", "kubernetes", kinds=WORKLOAD_KINDS)
def privileged_container(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec, ephemeral=True):
        sc = _security_context(container)
        if sc is not None and sc.get("privileged") is True:
            yield doc_hit(
                doc,
                sc.value_span("privileged"),
                f"{_what(container, field)} is privileged: it has every capability and the "
                "host's devices, so a compromise is a compromise of the node",
            )


@rule("k8s-privilege-escalation-allowed", "kubernetes", kinds=WORKLOAD_KINDS)
def privilege_escalation(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = _linux_pod(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec, ephemeral=True):
        what = _what(container, field)
        sc = _security_context(container)
        value = sc.get("allowPrivilegeEscalation") if sc is not None else None
        is_privileged = sc is not None and sc.get("privileged") is True
        sys_admin = _added_capability(container, "SYS_ADMIN")
        implied = "privileged: true" if is_privileged else "capability SYS_ADMIN" if sys_admin else ""
        if value is False:
            continue  # with privileged or CAP_SYS_ADMIN the API server refuses it: schema-invalid-value
        if sc is not None and "allowPrivilegeEscalation" in sc:
            shown = "true" if value is True else repr(value)
            yield doc_hit(
                doc,
                sc.value_span("allowPrivilegeEscalation"),
                f"{what} allows privilege escalation: allowPrivilegeEscalation is {shown}, "
                "not the boolean false",
            )
        elif implied:
            yield doc_hit(
                doc,
                container_anchor(container, "securityContext"),
                f"{what} allows privilege escalation: {implied} implies it",
            )
        else:
            yield doc_hit(
                doc,
                container_anchor(container, "securityContext"),
                f"{what} allows privilege escalation (setuid binaries can gain root): set "
                "securityContext.allowPrivilegeEscalation: false",
            )


@rule("k8s-writable-root-filesystem", "kubernetes", kinds=WORKLOAD_KINDS)
def writable_root_filesystem(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = _linux_pod(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec):
        sc = _security_context(container)
        if sc is not None and "readOnlyRootFilesystem" in sc:
            value = sc["readOnlyRootFilesystem"]
            if value is not True:
                shown = "false" if value is False else repr(value)
                yield doc_hit(
                    doc,
                    sc.value_span("readOnlyRootFilesystem"),
                    f"{_what(container, field)} has a writable root filesystem: "
                    f"readOnlyRootFilesystem is {shown}",
                )
        else:
            yield doc_hit(
                doc,
                container_anchor(container, "securityContext"),
                f"{_what(container, field)} has a writable root filesystem: set "
                "securityContext.readOnlyRootFilesystem: true",
            )


@rule("k8s-capabilities-not-dropped", "kubernetes", kinds=WORKLOAD_KINDS)
def capabilities_not_dropped(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = _linux_pod(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec):
        drop = container.path_get("securityContext", "capabilities", "drop")
        dropped = {_cap_name(cap) for cap in drop} if isinstance(drop, list) else set()
        if "ALL" in dropped:
            continue
        what = _what(container, field)
        kept = [cap for cap in DEFAULT_CAPABILITIES if cap not in dropped]
        if not dropped:
            message = (f"{what} keeps the runtime's default capabilities (NET_RAW, CHOWN, SETUID…): "
                       "add securityContext.capabilities.drop: [ALL]")  # fmt: skip
        elif kept:
            shown = ", ".join(kept[:4]) + ("…" if len(kept) > 4 else "")
            message = (f"{what} drops only {', '.join(sorted(dropped))}: it keeps the runtime's other "
                       f"default capabilities ({shown}); drop ALL and add back what it needs")  # fmt: skip
        else:
            message = (f"{what} drops every default capability one by one, which leaves none, but Pod "
                       "Security 'restricted' admission only accepts drop: [ALL] (and a runtime with a "
                       "wider default set keeps the rest)")  # fmt: skip
        yield doc_hit(doc, container_anchor(container, "securityContext", "capabilities", "drop"), message)


@rule("k8s-dangerous-capabilities", "kubernetes", kinds=WORKLOAD_KINDS)
def dangerous_capabilities(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = _linux_pod(doc)
    if pod is None:
        return
    dangerous = {_cap_name(cap) for cap in ctx.options.get("capabilities") or ()}
    for container, field in containers(pod.spec, ephemeral=True):
        added = container.path_get("securityContext", "capabilities", "add")
        if not isinstance(added, YList):
            continue
        for i, cap in enumerate(added):
            name = _cap_name(cap)
            if name in dangerous:
                yield doc_hit(
                    doc,
                    added.item_span(i),
                    f"{_what(container, field)} adds capability {name}"
                    + (": every capability" if name == "ALL" else ""),
                )


@rule("k8s-seccomp-unconfined", "kubernetes", kinds=WORKLOAD_KINDS)
def seccomp_unconfined(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = _linux_pod(doc)
    if pod is None:
        return
    found_containers = list(containers(pod.spec, ephemeral=True))
    pod_profile = pod.spec.path_get("securityContext", "seccompProfile")
    # Containers with their own profile override the pod's; report only if one inherits it.
    inherits = [c for c, _ in found_containers
                if not isinstance(c.path_get("securityContext", "seccompProfile"), dict)]  # fmt: skip
    unconfined = isinstance(pod_profile, YMap) and pod_profile.get("type") == "Unconfined"
    if unconfined and (inherits or not found_containers):
        yield doc_hit(
            doc,
            pod_profile.value_span("type"),
            "the pod's seccompProfile is Unconfined: its containers may use every system call",
        )
    for container, field in found_containers:
        profile = container.path_get("securityContext", "seccompProfile")
        if isinstance(profile, YMap) and profile.get("type") == "Unconfined":
            yield doc_hit(
                doc,
                profile.value_span("type"),
                f"{_what(container, field)} has seccompProfile Unconfined: it may use every system call",
            )
    annotations = pod.metadata.get("annotations")
    if isinstance(annotations, YMap):
        for key, value in annotations.items():
            if not isinstance(key, str) or str(value).strip().lower() != "unconfined":
                continue
            if key == "seccomp.security.alpha.kubernetes.io/pod":
                subject = "the pod"
            elif key.startswith("container.seccomp.security.alpha.kubernetes.io/"):
                subject = f"container {key.rsplit('/', 1)[1]!r}"
            else:
                continue
            yield doc_hit(
                doc,
                annotations.value_span(key),
                f"{subject} asks for an unconfined seccomp profile through the legacy annotation "
                f"{key} (use securityContext.seccompProfile.type: RuntimeDefault)",
            )


@rule("k8s-seccomp-profile-missing", "kubernetes", kinds=WORKLOAD_KINDS)
def seccomp_profile_missing(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """No profile at pod or container level: the runtime default is Unconfined unless every
    node's kubelet runs with --seccomp-default, which the manifest cannot show."""
    pod = _linux_pod(doc)
    if pod is None or isinstance(pod.spec.path_get("securityContext", "seccompProfile"), YMap):
        return
    annotations = pod.metadata.get("annotations")
    if isinstance(annotations, YMap) and "seccomp.security.alpha.kubernetes.io/pod" in annotations:
        return  # the legacy form still sets a profile (k8s-seccomp-unconfined judges its value)
    for container, field in containers(pod.spec):
        if not isinstance(container.path_get("securityContext", "seccompProfile"), YMap):
            yield doc_hit(
                doc,
                container_anchor(container, "securityContext"),
                f"{_what(container, field)} sets no seccompProfile: it runs Unconfined unless the kubelet "
                "defaults to RuntimeDefault",
            )


# ---------------------------------------------------------------- host access

_HOST_NAMESPACES = {
    "hostNetwork": "the node's network namespace (it can sniff and bind every host interface)",
    "hostPID": "the node's process namespace (it can see and signal every process on the node)",
    "hostIPC": "the node's IPC namespace (it can read other processes' shared memory)",
}


@rule("k8s-host-namespace", "kubernetes", kinds=WORKLOAD_KINDS)
def host_namespace(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for key, what in _HOST_NAMESPACES.items():
        if pod.spec.get(key) is True:
            yield doc_hit(doc, pod.spec.value_span(key), f"{key}: true shares {what}")


def _normalise_path(path: str) -> str:
    parts = [p for p in path.split("/") if p and p != "."]
    return "/" + "/".join(parts)


def _under(path: str, prefixes: list[str]) -> str | None:
    for prefix in prefixes:
        if path == prefix or (prefix != "/" and path.startswith(prefix + "/")):
            return prefix
    return None


def _inside(path: str, sensitive: list[str], allowed: list[str]) -> list[str]:
    """Sensitive paths strictly inside `path` (mounting /var hands over /var/lib/kubelet and
    /var/run/docker.sock), leaving out those an allowed path covers."""
    base = "/" if path == "/" else path + "/"
    return [p for p in sensitive if p != path and p.startswith(base) and not _under(p, allowed)]


@rule("k8s-host-path-mount", "kubernetes", kinds=WORKLOAD_KINDS)
def host_path_mount(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    volumes = pod.spec.get("volumes")
    if not isinstance(volumes, YList):
        return
    sensitive = [_normalise_path(str(p)) for p in ctx.options.get("sensitive-paths") or ()]
    allowed = [_normalise_path(str(p)) for p in ctx.options.get("allowed-paths") or ()]
    mounts: dict[str, list[tuple[str, bool]]] | None = None
    for volume in volumes:
        host_path = volume.get("hostPath") if isinstance(volume, YMap) else None
        if not isinstance(host_path, YMap) or not isinstance(host_path.get("path"), str):
            continue
        path = _normalise_path(host_path["path"])
        if _under(path, allowed):
            continue
        holds = [] if _under(path, sensitive) else _inside(path, sensitive, allowed)
        if not holds and not _under(path, sensitive):
            continue
        if mounts is None:  # which containers mount which volume, built once per object
            mounts = {}
            for container, _field in containers(pod.spec, ephemeral=True):
                listed = container.get("volumeMounts")
                for mount in listed if isinstance(listed, list) else ():
                    if isinstance(mount, dict):
                        mounts.setdefault(str(mount.get("name")), []).append(
                            (container_label(container), mount.get("readOnly") is True)
                        )
        users = mounts.get(str(volume.get("name")), [])
        writable = [name for name, read_only in users if not read_only]
        if writable:
            how = f"writable by container {writable[0]!r}" + (" and others" if len(writable) > 1 else "")
        elif users:
            how = "read-only"
        else:
            how = "not mounted by any container"
        which = ""
        if holds:
            which = f", which holds {', '.join(holds[:3])}{' and more' if len(holds) > 3 else ''}"
        yield doc_hit(
            doc,
            host_path.value_span("path"),
            f"volume {volume.get('name')!r} mounts the node's {host_path['path']}{which} ({how})",
        )


@rule("k8s-host-port", "kubernetes", kinds=WORKLOAD_KINDS)
def host_port(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec):
        ports = container.get("ports")
        if not isinstance(ports, YList):
            continue
        for port in ports:
            if isinstance(port, YMap) and port.get("hostPort") not in (None, 0) and "hostPort" in port:
                yield doc_hit(
                    doc,
                    port.value_span("hostPort"),
                    f"{_what(container, field)} binds host port {port['hostPort']} on its node",
                )


@rule("k8s-service-account-token-automount", "kubernetes", kinds=WORKLOAD_KINDS)
def service_account_token(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None or "automountServiceAccountToken" in pod.spec:
        # An explicit `true` is a deliberate opt-in (operators, controllers); false is the fix.
        return
    account = pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount") or "default"
    account_doc = ctx.index.get("ServiceAccount", namespace_of(doc), str(account))
    if account_doc is not None and account_doc.root.get("automountServiceAccountToken") is False:
        return
    if _has_rbac_binding(ctx.index, namespace_of(doc, ""), str(account)):
        return  # the project grants the account API rights: its pods call the API
    yield doc_hit(
        doc,
        pod.holder.key_span("spec"),
        f"pods mount an API token of service account {str(account)!r}: set "
        "automountServiceAccountToken: false on the pod spec (or the ServiceAccount) unless they "
        "call the Kubernetes API",
    )


def _bound_accounts(binding: YamlDoc) -> Iterator[tuple[str, str]]:
    """(namespace, name) of the service accounts a RoleBinding/ClusterRoleBinding grants rights
    to; '*' for a name means every account of the namespace, and for a namespace every one
    (`system:serviceaccounts` groups). A ServiceAccount subject without a namespace is in the
    binding's namespace, as the authorizer reads it."""
    own = namespace_of(binding, "")
    subjects = binding.root.get("subjects")
    for subject in subjects if isinstance(subjects, list) else ():
        if not isinstance(subject, dict):
            continue
        kind, name = subject.get("kind"), str(subject.get("name") or "")
        if kind == "ServiceAccount" and name:
            yield str(subject.get("namespace") or own), name
        elif kind == "User" and name.startswith("system:serviceaccount:") and name.count(":") == 3:
            _, _, ns, account = name.split(":")
            yield ns, account
        elif kind == "Group" and name == "system:serviceaccounts":
            yield "*", "*"
        elif kind == "Group" and name.startswith("system:serviceaccounts:"):
            yield name.rsplit(":", 1)[1], "*"


def _has_rbac_binding(index, ns: str, account: str) -> bool:
    """Whether a RoleBinding or ClusterRoleBinding of the project binds this service account
    (a namespace unset on either side counts as the same: it is decided at apply time)."""
    for binding in index.of_kind("RoleBinding", "ClusterRoleBinding"):
        if not isinstance(binding.root, YMap):
            continue
        for bound_ns, bound_name in _bound_accounts(binding):
            if bound_name in ("*", account) and (bound_ns in ("*", "") or not ns or bound_ns == ns):
                return True
    return False


# ---------------------------------------------------------------- environment

_WORDS = re.compile(r"[A-Z]+[0-9]*(?![a-z])|[A-Z]?[a-z]+[0-9]*|[0-9]+")
_SECRET_WORDS = frozenset({"PASSWORD", "PASSWD", "PASS", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY",
                           "CREDENTIAL", "CREDENTIALS", "PRIVATEKEY"})  # fmt: skip
_KEY_QUALIFIERS = frozenset({"API", "PRIVATE", "SECRET", "ACCESS", "ENCRYPTION", "SIGNING", "MASTER", "AUTH"})
# A name ending in one of these holds a reference or a setting about the secret, not the secret.
_NOT_SECRET_SUFFIXES = frozenset({
    "NAME", "FILE", "PATH", "DIR", "REF", "ID", "URL", "URI", "ENDPOINT", "HOST", "PORT", "TTL", "EXPIRY",
    "EXPIRATION", "EXPIRES", "LIFETIME", "TIMEOUT", "LENGTH", "LEN", "MIN", "MAX", "HEADER", "TYPE",
    "ENABLED", "ENABLE", "DISABLED", "REQUIRED", "LOCATION", "ARN", "MOUNT", "VERSION", "ALGORITHM", "ALG",
    "ISSUER", "AUDIENCE", "SECONDS", "MINUTES", "HOURS", "DAYS", "POLICY", "PROVIDER", "STORE", "SOURCE",
    "FIELD", "PARAM", "MODE", "FORMAT", "KIND", "COUNT", "SIZE", "ROTATION", "INTERVAL", "REFRESH", "USER",
    "USERNAME", "EXPIRE", "DURATION", "PREFIX", "SUFFIX", "ENV", "VAR", "KEYS",
})  # fmt: skip
_URL_PASSWORD = re.compile(r"://[^/\s:@]+:([^/\s@]+)@")
_LITERAL_NON_SECRETS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "none", "enabled",
                                  "disabled"})  # fmt: skip


# `AZURE_STORAGE_KEY`, `OCI_..._KEY`: a key named after a cloud or SaaS provider is its credential.
_KEY_PROVIDERS = frozenset({
    "AZURE", "AWS", "GCP", "GOOGLE", "OCI", "STRIPE", "SENDGRID", "OPENAI", "ANTHROPIC", "MAILGUN",
    "TWILIO", "SLACK", "GITHUB", "GITLAB", "DATADOG",
})  # fmt: skip
# Keys that are public by design, or are not cryptographic at all.
_NOT_SECRET_KEYS = frozenset({
    "PUBLIC", "PUBLISHABLE", "SITE", "PUB", "PARTITION", "SORT", "CACHE", "PRIMARY", "FOREIGN",
    "OBJECT", "ROUTING", "HASH", "SHARD", "LOOKUP", "I18N", "MESSAGE",
})  # fmt: skip
# The last word of a name that holds key material itself (OCI_CLI_KEY_CONTENT).
_KEY_MATERIAL = frozenset({"CONTENT", "CONTENTS", "DATA", "MATERIAL", "PEM"})


def secret_like_name(name: str) -> bool:
    """`DB_PASSWORD`, `apiKey`, `SECRET_BLAH`, `AZURE_BATCH_KEY`, `OCI_CLI_KEY_CONTENT`: yes;
    `SECRET_NAME`, `TOKEN_TTL`, `PWD`, `CACHE_KEY`, `PUBLIC_KEY_CONTENT`: no."""
    words = [w.upper() for w in _WORDS.findall(name)]
    if len(words) >= 2 and words[-1] in _KEY_MATERIAL and words[-2] == "KEY":
        return len(words) < 3 or words[-3] not in _NOT_SECRET_KEYS
    if not words or words[-1] in _NOT_SECRET_SUFFIXES:
        return False
    for i, word in enumerate(words):
        if word in _SECRET_WORDS:
            return True
        if word == "KEY" and i > 0 and words[i - 1] in _KEY_QUALIFIERS:
            return True
    return words[-1] == "KEY" and words[0] in _KEY_PROVIDERS and words[-2] not in _NOT_SECRET_KEYS


def key_like_name(name: str) -> bool:
    """`STRIPE_KEY`, `encryptionKey`: a name ending in KEY that may hold a credential (reported
    only when its value looks generated, see `looks_generated`); `PUBLIC_KEY`, `CACHE_KEY`: no."""
    words = [w.upper() for w in _WORDS.findall(name)]
    return len(words) >= 2 and words[-1] == "KEY" and words[-2] not in _NOT_SECRET_KEYS


_GENERATED = re.compile(r"[A-Za-z0-9+/=_\-.]{16,}")


def looks_generated(value: str) -> bool:
    """A random-looking credential (`sk_3f8e37f2b1c94d6e8a7b`, base64), not a word-made
    identifier (`orders-by-customer-id`, `user_session_cache_v2`)."""
    if not _GENERATED.fullmatch(value) or sum(c.isdigit() for c in value) < 2:
        return False
    if sum(c.isalpha() for c in value) < 4:
        return False
    words = [
        part for part in re.split(r"[-_.:/]", value) if part.isalpha() and part.islower() and len(part) >= 3
    ]
    if len(words) >= 2:
        return False
    counts = [value.count(c) for c in set(value)]
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts)
    return entropy >= 3.5


# Credentials recognisable by their value, whatever the variable is called.
_SECRET_VALUES = (
    (re.compile(r"-{3,}\s*BEGIN [A-Z0-9 ]*PRIVATE KEY\s*-{3,}", re.I), "a private key"),
    (re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bbearer\s+[A-Za-z0-9\-._~+/]{8,}=*", re.I), "a bearer token"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{22,}"), "a GitHub token"),
    (re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"), "a GitLab token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"), "a Slack token"),
    (re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}"), "a Stripe secret key"),
    (re.compile(r"\bAIza[0-9A-Za-z\-_]{35}\b"), "a Google API key"),
)
_PLACEHOLDER = re.compile(
    r"^<.*>$|^x{3,}$|^\*{3,}$|change[-_ ]?me|replace[-_ ]?(me|with)|your[-_ ]|[-_ ]here$|placeholder|redacted"
    r"|^(todo|fixme|dummy|example|sample|none|null|secret|password|token)$",
    re.I,
)


def _placeholder(name: str, value: str) -> bool:
    """`GOOGLE_API_KEY_VAL`, `<your-token>`, `changeme`, `xxx`: a value to be replaced at deploy
    time (by sed, envsubst or a human), not a secret."""
    named = len(name) >= 4 and re.sub(r"[^A-Z0-9]", "", name.upper()) in re.sub(
        r"[^A-Z0-9]", "", value.upper()
    )
    return named or bool(_PLACEHOLDER.search(value))


def secret_value(value: str) -> str | None:
    """What credential a value holds by its shape (`a private key`, ...), else None."""
    for pattern, what in _SECRET_VALUES:
        found = pattern.search(value)
        if found and "EXAMPLE" not in found.group().upper() and not _is_reference(found.group()):
            return what
    return None


def _is_reference(value: str) -> bool:
    return "$(" in value or "${" in value or "{{" in value


@rule("k8s-secret-in-env", "kubernetes", kinds=WORKLOAD_KINDS)
def secret_in_env(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec):
        env = container.get("env")
        if not isinstance(env, YList):
            continue
        for item in env:
            if not isinstance(item, YMap) or not isinstance(item.get("value"), str):
                continue
            name, value = str(item.get("name") or ""), item["value"].strip()
            if not value or _is_reference(value):
                continue
            if _placeholder(name, value):
                continue
            url_password = _URL_PASSWORD.search(value)
            shape = secret_value(value)
            if shape is not None:
                yield doc_hit(
                    doc,
                    item.value_span("value"),
                    f"{_what(container, field)}: env {name} holds {shape}; take it from a Secret "
                    "(valueFrom.secretKeyRef)",
                )
            elif url_password and not _is_reference(url_password.group(1)):
                yield doc_hit(
                    doc,
                    item.value_span("value"),
                    f"{_what(container, field)}: env {name} holds a URL with a literal password; "
                    "take it from a Secret (valueFrom.secretKeyRef)",
                )
            elif ((secret_like_name(name) or (key_like_name(name) and looks_generated(value)))
                  and value.lower() not in _LITERAL_NON_SECRETS and not value.startswith("/")):  # fmt: skip
                yield doc_hit(
                    doc,
                    item.value_span("value"),
                    f"{_what(container, field)}: env {name} holds a literal secret; "
                    "take it from a Secret (valueFrom.secretKeyRef)",
                )


@rule("k8s-duplicate-env", "kubernetes", kinds=WORKLOAD_KINDS)
def duplicate_env(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec, ephemeral=True):
        env = container.get("env")
        if not isinstance(env, YList):
            continue
        seen: set[str] = set()
        for item in env:
            if not isinstance(item, YMap) or not isinstance(item.get("name"), str):
                continue
            name = item["name"]
            if name in seen:
                yield doc_hit(
                    doc,
                    item.value_span("name"),
                    f"{_what(container, field)} sets env {name} a second time; the last definition "
                    "silently wins",
                )
            else:
                seen.add(name)


# ---------------------------------------------------------------- resources


@rule("k8s-missing-resource-requests", "kubernetes", kinds=WORKLOAD_KINDS)
def missing_requests(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec):
        requests = container.path_get("resources", "requests")
        limits = container.path_get("resources", "limits")
        missing = [
            res for res in ("cpu", "memory")
            # A limit without a request makes Kubernetes default the request to the limit.
            if not (isinstance(requests, dict) and requests.get(res) not in (None, ""))
            and not (isinstance(limits, dict) and limits.get(res) not in (None, ""))
        ]  # fmt: skip
        if missing:
            yield doc_hit(
                doc,
                container_anchor(container, "resources", "requests"),
                f"{_what(container, field)} has no {' or '.join(missing)} request",
            )


@rule("k8s-requests-exceed-limits", "kubernetes", kinds=WORKLOAD_KINDS)
def requests_exceed_limits(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec):
        requests = container.path_get("resources", "requests")
        limits = container.path_get("resources", "limits")
        if not isinstance(requests, YMap) or not isinstance(limits, dict):
            continue
        for res, wanted in requests.items():
            if res not in limits:
                continue
            request, limit = parse_quantity(wanted), parse_quantity(limits[res])
            if request is not None and limit is not None and request > limit:
                yield doc_hit(
                    doc,
                    requests.value_span(res),
                    f"{_what(container, field)}: {res} request {wanted} is greater than its limit "
                    f"{limits[res]}; the API server rejects the object",
                )


# ---------------------------------------------------------------- probes

_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")


def _handler(probe: Any) -> tuple[str, Any] | None:
    if isinstance(probe, dict):
        for name in _HANDLERS:
            if name in probe:
                return name, probe[name]
    return None


@rule("k8s-identical-probes", "kubernetes", kinds=WORKLOAD_KINDS)
def identical_probes(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec):
        liveness = _handler(container.get("livenessProbe"))
        if liveness is None or liveness[0] == "tcpSocket":
            continue  # a TCP connect only asks "is the port open?", a fair question for both
        if liveness == _handler(container.get("readinessProbe")):
            yield doc_hit(
                doc,
                container.key_span("livenessProbe"),
                f"{_what(container, field)}: livenessProbe runs the same {liveness[0]} check as "
                "readinessProbe, so a slow dependency or overload restarts the pods instead of "
                "only taking them out of the Service",
            )


@rule("k8s-probe-port-not-exposed", "kubernetes", kinds=WORKLOAD_KINDS)
def probe_port_not_exposed(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    check_numbers = ctx.options.get("numeric-ports", False)
    for container, field in containers(pod.spec):
        if not any(isinstance(container.get(p), YMap) for p in _PROBES):
            continue
        by_name: dict[str, str] = {}
        tcp_numbers: set[int] = set()
        ports = container.get("ports")
        for port in ports if isinstance(ports, list) else ():
            if isinstance(port, dict):
                protocol = str(port.get("protocol") or "TCP")
                if port.get("name") is not None:
                    by_name[str(port["name"])] = protocol
                if protocol == "TCP" and isinstance(port.get("containerPort"), int):
                    tcp_numbers.add(port["containerPort"])
        what = _what(container, field)
        for probe_key in _PROBES:
            handler = _handler(container.get(probe_key))
            if handler is None or handler[0] == "exec" or not isinstance(handler[1], YMap):
                continue
            kind, action = handler
            if "port" not in action:
                continue
            port, span = action["port"], action.value_span("port")
            where = f"{what}: {probe_key} {kind}"
            if isinstance(port, bool):
                continue
            if isinstance(port, int):
                if check_numbers and tcp_numbers and port not in tcp_numbers:
                    yield doc_hit(
                        doc,
                        span,
                        f"{where} port {port} is not among the container's TCP ports "
                        f"({', '.join(str(n) for n in sorted(tcp_numbers))})",
                    )
            elif str(port).isdigit():
                yield doc_hit(
                    doc,
                    span,
                    f"{where} port {port!r} is a quoted number, which Kubernetes reads "
                    "as a port name; the API server rejects it (write it unquoted)",
                )
            elif str(port) not in by_name:
                yield doc_hit(
                    doc, span, f"{where} port {port!r} names no port of the container; the probe always fails"
                )
            elif by_name[str(port)] != "TCP":
                yield doc_hit(
                    doc,
                    span,
                    f"{where} port {port!r} is a {by_name[str(port)]} port; the probe "
                    "connects over TCP and always fails",
                )


# ---------------------------------------------------------------- images


def _built_by_dev_tool(ctx, image: str) -> bool:
    project = getattr(ctx, "project", None)
    return project is not None and project.built_by_dev_tool(image) is not None


@rule("k8s-image-latest-tag", "kubernetes", kinds=WORKLOAD_KINDS)
def image_latest_tag(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec, ephemeral=True):
        image = container.get("image")
        if not isinstance(image, str) or not image.strip() or _is_reference(image):
            continue
        tag, digest = image_tag(image.strip())
        if digest is not None or (tag in (None, "latest") and _built_by_dev_tool(ctx, image.strip())):
            continue  # pinned, or a Skaffold/Tilt artifact: the tool deploys it with its own tag
        if tag is None:
            yield doc_hit(
                doc,
                container.value_span("image"),
                f"{_what(container, field)} image {image} has no tag, so it means :latest",
            )
        elif tag == "latest":
            yield doc_hit(
                doc,
                container.value_span("image"),
                f"{_what(container, field)} image {image} uses the mutable latest tag",
            )


# ---------------------------------------------------------------- API versions
# From the Kubernetes deprecated API migration guide. Alpha versions are left out (off by
# default in clusters). Columns: deprecated in, removed in (- = not yet), apiVersion, kinds,
# replacement.
_API_TABLE = """
1.9  1.16  extensions/v1beta1 Deployment,DaemonSet,ReplicaSet apps/v1
1.9  1.16  apps/v1beta1 Deployment,StatefulSet,ControllerRevision apps/v1
1.9  1.16  apps/v1beta2 Deployment,StatefulSet,DaemonSet,ReplicaSet,ControllerRevision apps/v1
1.9  1.16  extensions/v1beta1 NetworkPolicy networking.k8s.io/v1
1.11 1.16  extensions/v1beta1 PodSecurityPolicy Pod Security Admission
1.14 1.22  extensions/v1beta1 Ingress networking.k8s.io/v1
1.19 1.22  networking.k8s.io/v1beta1 Ingress,IngressClass networking.k8s.io/v1
1.16 1.22  admissionregistration.k8s.io/v1beta1 MutatingWebhookConfiguration,ValidatingWebhookConfiguration \
           admissionregistration.k8s.io/v1
1.16 1.22  apiextensions.k8s.io/v1beta1 CustomResourceDefinition apiextensions.k8s.io/v1
1.19 1.22  apiregistration.k8s.io/v1beta1 APIService apiregistration.k8s.io/v1
1.19 1.22  authentication.k8s.io/v1beta1 TokenReview authentication.k8s.io/v1
1.19 1.22  authorization.k8s.io/v1beta1 SubjectAccessReview,LocalSubjectAccessReview,SelfSubjectAccessReview \
           authorization.k8s.io/v1
1.19 1.22  certificates.k8s.io/v1beta1 CertificateSigningRequest certificates.k8s.io/v1
1.19 1.22  coordination.k8s.io/v1beta1 Lease coordination.k8s.io/v1
1.17 1.22  rbac.authorization.k8s.io/v1beta1 ClusterRole,ClusterRoleBinding,Role,RoleBinding \
           rbac.authorization.k8s.io/v1
1.14 1.22  scheduling.k8s.io/v1beta1 PriorityClass scheduling.k8s.io/v1
1.19 1.22  storage.k8s.io/v1beta1 CSIDriver,CSINode,StorageClass,VolumeAttachment storage.k8s.io/v1
1.21 1.25  batch/v1beta1 CronJob batch/v1
1.21 1.25  discovery.k8s.io/v1beta1 EndpointSlice discovery.k8s.io/v1
1.19 1.25  events.k8s.io/v1beta1 Event events.k8s.io/v1
1.22 1.25  autoscaling/v2beta1 HorizontalPodAutoscaler autoscaling/v2
1.21 1.25  policy/v1beta1 PodDisruptionBudget policy/v1
1.21 1.25  policy/v1beta1 PodSecurityPolicy Pod Security Admission
1.20 1.25  node.k8s.io/v1beta1 RuntimeClass node.k8s.io/v1
1.23 1.26  autoscaling/v2beta2 HorizontalPodAutoscaler autoscaling/v2
1.23 1.26  flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema,PriorityLevelConfiguration \
           flowcontrol.apiserver.k8s.io/v1
1.24 1.27  storage.k8s.io/v1beta1 CSIStorageCapacity storage.k8s.io/v1
1.26 1.29  flowcontrol.apiserver.k8s.io/v1beta2 FlowSchema,PriorityLevelConfiguration \
           flowcontrol.apiserver.k8s.io/v1
1.29 1.32  flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema,PriorityLevelConfiguration \
           flowcontrol.apiserver.k8s.io/v1
1.19 -     v1 ComponentStatus the API server's /livez and /readyz endpoints
1.33 -     v1 Endpoints discovery.k8s.io/v1 EndpointSlice
"""

_V = tuple[int, int]


def _parse_version(text: str) -> _V:
    major, minor = text.split(".")
    return int(major), int(minor)


def _load_api_table(text: str) -> dict[tuple[str, str], tuple[_V, _V | None, str]]:
    table: dict[tuple[str, str], tuple[_V, _V | None, str]] = {}
    for row in text.strip().splitlines():  # a backslash-newline continues a row
        deprecated, removed, api, kinds, replacement = row.split(None, 4)
        entry = (_parse_version(deprecated), None if removed == "-" else _parse_version(removed), replacement)
        for kind in kinds.split(","):
            table[(api, kind)] = entry
    return table


_DEPRECATED_APIS = _load_api_table(_API_TABLE)
_VERSION = re.compile(r"v?(\d+)\.(\d+)")


def target_version(ctx) -> _V:
    match = _VERSION.match(str(getattr(ctx.config, "kubernetes_version", "") or "").strip())
    return (int(match.group(1)), int(match.group(2))) if match else (1, 33)


def _api_status(doc: YamlDoc, ctx) -> tuple[str, str, _V, _V | None, str, _V] | None:
    root = doc.root
    api, kind = root.get("apiVersion"), root.get("kind")
    entry = _DEPRECATED_APIS.get((str(api), str(kind)))
    if entry is None or "apiVersion" not in root or is_api_server_object(doc):
        return None  # the API server writes its own Endpoints; nobody can migrate them
    return str(api), str(kind), *entry, target_version(ctx)


def _v(version: _V) -> str:
    return f"{version[0]}.{version[1]}"


@rule("k8s-removed-api", "kubernetes")
def removed_api(doc: YamlDoc, ctx) -> Iterator[Finding]:
    status = _api_status(doc, ctx)
    if status is None:
        return
    api, kind, _deprecated, removed, replacement, target = status
    if removed is not None and target >= removed:
        yield doc_hit(
            doc,
            doc.root.value_span("apiVersion"),
            f"{api} {kind} was removed in Kubernetes {_v(removed)} (target {_v(target)}): the API "
            f"server refuses it; use {replacement}",
        )


@rule("k8s-deprecated-api", "kubernetes")
def deprecated_api(doc: YamlDoc, ctx) -> Iterator[Finding]:
    status = _api_status(doc, ctx)
    if status is None:
        return
    api, kind, deprecated, removed, replacement, target = status
    if target >= deprecated and (removed is None or target < removed):
        until = f"is removed in {_v(removed)}" if removed else "will be removed in a later release"
        yield doc_hit(
            doc,
            doc.root.value_span("apiVersion"),
            f"{api} {kind} is deprecated since Kubernetes {_v(deprecated)} and {until}; use {replacement}",
        )


# ---------------------------------------------------------------- namespaces

# Cluster-scoped kinds never have a namespace (only consulted by the `flag-missing` option).
CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "PriorityLevelConfiguration", "FlowSchema", "IngressClass",
    "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "PodSecurityPolicy", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "CertificateSigningRequest", "ComponentStatus", "ClusterIssuer", "ClusterSecretStore",
    "DeviceClass", "IPAddress", "ServiceCIDR", "VolumeAttributesClass",
})  # fmt: skip


# A Role or RoleBinding in `default` grants rights *in* that namespace (e.g. letting Prometheus
# scrape it): naming the namespace is the point, not an accident.
_NAMESPACE_GRANTS = frozenset({"Role", "RoleBinding"})


@rule("k8s-default-namespace", "kubernetes")
def default_namespace(doc: YamlDoc, ctx) -> Iterator[Finding]:
    root = doc.root
    kind = root.get("kind")
    meta = root.get("metadata")
    if (not isinstance(kind, str) or kind in CLUSTER_SCOPED_KINDS or kind in _NAMESPACE_GRANTS
            or not isinstance(meta, YMap)):  # fmt: skip
        return
    namespace = meta.get("namespace")
    if is_api_server_object(doc):
        return  # default/kubernetes belongs to the API server (a cluster export, not a placement)
    if namespace == "default":
        yield doc_hit(
            doc,
            meta.value_span("namespace"),
            f"{kind} {meta.get('name')!r} is placed in the default namespace",
        )
    elif namespace in (None, "") and ctx.options.get("flag-missing"):
        yield doc_hit(
            doc,
            name_anchor(doc),
            f"{kind} {meta.get('name')!r} sets no namespace: it lands in whatever namespace "
            "kubectl is pointed at, usually default",
        )
