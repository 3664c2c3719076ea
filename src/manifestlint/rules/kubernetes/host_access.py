"""What a pod can reach of its node and the API: host namespaces, hostPath, hostPort, the
service-account token."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.containers import _what
from manifestlint.rules.kubernetes.objects import (
    WORKLOAD_KINDS,
    container_label,
    containers,
    namespace_of,
    pod_template,
)
from manifestlint.yaml_fix import set_key

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
        # unsafe: a client library may call the API without any binding of the project's own
        fix=partial(set_key, doc, pod.spec, ("automountServiceAccountToken",), False,
                    "set automountServiceAccountToken: false"),
    )  # fmt: skip


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
