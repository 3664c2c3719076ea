"""Pod Security Standards: every control of the baseline and restricted levels, as one table
(rules in pod_security.py).

`violations(pod, level, version)` walks a pod template once per control and yields each value
outside the control's allow-list, at the offending field (or, for a missing field, where it
belongs), in the standard's own words (kubernetes.io, pod-security-standards, incl. v1.34's
host probes). Several controls have a rule of their own, older than this table
(k8s-privileged-container, k8s-host-namespace, ...): the violation names that *owner*, and
k8s-pod-security reports only the ones nobody else does, so one condition gives one finding.
k8s-pod-security-admission reports every violation of the level a namespace enforces (the
API server refuses it: an error), warns or audits (a warning), whoever owns it; the engine
then drops the owner's finding at the same place (engine.SUPERSEDES).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from manifestlint.model import Span, YList, YMap
from manifestlint.rules.kubernetes.objects import PodTemplate, containers, effective, is_windows_pod

LEVELS = ("privileged", "baseline", "restricted")
LATEST = (99, 0)
BASELINE_CAPS = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})  # fmt: skip
# Safe sysctls and the version that made each one safe.
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced": (1, 0), "net.ipv4.ip_local_port_range": (1, 0),
    "net.ipv4.ip_unprivileged_port_start": (1, 22), "net.ipv4.tcp_syncookies": (1, 0),
    "net.ipv4.ping_group_range": (1, 18), "net.ipv4.ip_local_reserved_ports": (1, 27),
    "net.ipv4.tcp_keepalive_time": (1, 29), "net.ipv4.tcp_fin_timeout": (1, 29),
    "net.ipv4.tcp_keepalive_intvl": (1, 29), "net.ipv4.tcp_keepalive_probes": (1, 29),
    "net.ipv4.tcp_rmem": (1, 32), "net.ipv4.tcp_wmem": (1, 32),
}  # fmt: skip
SELINUX_TYPES = {"container_t": (1, 0), "container_init_t": (1, 0), "container_kvm_t": (1, 0),
                 "container_engine_t": (1, 31)}  # fmt: skip
RESTRICTED_VOLUMES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected",
    "secret",
})  # fmt: skip
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


class Violation(NamedTuple):
    control: str  # the standard's name for it: "HostPath Volumes"
    span: Span
    text: str  # what is wrong, for a message
    owner: str = ""  # the rule that reports this on its own ("" = k8s-pod-security)


def parse_version(text: Any) -> tuple[int, int]:
    """`v1.30` / `1.30` -> (1, 30); `latest`, empty or unreadable -> latest."""
    value = str(text or "latest").strip().lstrip("v")
    major, _, minor = value.partition(".")
    if major.isdigit() and minor.isdigit():
        return int(major), int(minor)
    return LATEST


def _who(container: YMap) -> str:
    return f"container {str(container.get('name'))!r}"


def _contexts(pod: PodTemplate) -> Iterator[tuple[YMap, str]]:
    """The security contexts of the pod and of every container (incl. init, ephemeral)."""
    sc = pod.spec.get("securityContext")
    if isinstance(sc, YMap):
        yield sc, "the pod"
    for container, _field in containers(pod.spec, ephemeral=True):
        sc = container.get("securityContext")
        if isinstance(sc, YMap):
            yield sc, _who(container)


def _container_anchor(container: YMap, *keys: str) -> Span:
    """Where the owning rules point for a missing field (containers.container_anchor)."""
    from manifestlint.rules.kubernetes.containers import container_anchor

    return container_anchor(container, "securityContext", *keys)


# ---------------------------------------------------------------- baseline


def _host_process(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    for sc, who in _contexts(pod):
        options = sc.get("windowsOptions")
        if isinstance(options, YMap) and options.get("hostProcess") is True:
            yield Violation(
                "HostProcess", options.value_span("hostProcess"), f"{who} is a Windows HostProcess"
            )


def _host_namespaces(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.spec.get(key) is True:
            yield Violation("Host Namespaces", pod.spec.value_span(key), f"{key}: true", "k8s-host-namespace")


def _privileged(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    for container, _ in containers(pod.spec, ephemeral=True):
        sc = container.get("securityContext")
        if isinstance(sc, YMap) and sc.get("privileged") is True:
            yield Violation("Privileged Containers", sc.value_span("privileged"),
                            f"{_who(container)} is privileged", "k8s-privileged-container")  # fmt: skip


def _added(pod: PodTemplate, allowed: frozenset[str], control: str, opts) -> Iterator[Violation]:
    dangerous = opts.get("dangerous-capabilities", frozenset())
    for container, _ in containers(pod.spec, ephemeral=True):
        added = container.path_get("securityContext", "capabilities", "add")
        for i, cap in enumerate(added if isinstance(added, YList) else ()):
            if str(cap) not in allowed:
                name = str(cap).upper().removeprefix("CAP_")
                owner = "k8s-dangerous-capabilities" if name in dangerous else ""
                yield Violation(control, added.item_span(i),
                                f"{_who(container)} adds capability {cap}", owner)  # fmt: skip


def _capabilities(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    yield from _added(pod, BASELINE_CAPS, "Capabilities", opts)


def _host_path(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    volumes = pod.spec.get("volumes")
    reported = opts.get("host-path-reported", lambda path: False)
    for volume in volumes if isinstance(volumes, YList) else ():
        host = volume.get("hostPath") if isinstance(volume, YMap) else None
        if isinstance(host, YMap):
            path = host.get("path")
            owner = "k8s-host-path-mount" if isinstance(path, str) and reported(path) else ""
            span = host.value_span("path") if "path" in host else volume.key_span("hostPath")
            yield Violation(
                "HostPath Volumes",
                span,
                f"volume {str(volume.get('name'))!r} mounts the node's {path}",
                owner,
            )


def _host_ports(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    for container, _ in containers(pod.spec):
        ports = container.get("ports")
        for port in ports if isinstance(ports, YList) else ():
            if isinstance(port, YMap) and port.get("hostPort") not in (None, 0):
                yield Violation(
                    "Host Ports", port.value_span("hostPort"), f"hostPort {port['hostPort']}", "k8s-host-port"
                )


def _handlers(container: YMap) -> Iterator[tuple[str, Any]]:
    for probe in PROBES:
        yield probe, container.get(probe)
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, YMap):
        for hook in ("postStart", "preStop"):
            yield f"lifecycle.{hook}", lifecycle.get(hook)


def _host_probes(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    if version < (1, 34):
        return
    for container, _ in containers(pod.spec, ephemeral=True):
        for where, handler in _handlers(container):
            for kind in ("httpGet", "tcpSocket"):
                action = handler.get(kind) if isinstance(handler, YMap) else None
                if isinstance(action, YMap) and action.get("host") not in (None, ""):
                    yield Violation("Host Probes / Lifecycle Hooks", action.value_span("host"),
                                    f"{where}.{kind} of {_who(container)} targets host "
                                    f"{action['host']!r}")  # fmt: skip


def _app_armor(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    for sc, who in _contexts(pod):
        profile = sc.get("appArmorProfile")
        if isinstance(profile, YMap) and profile.get("type") not in (None, "RuntimeDefault", "Localhost"):
            yield Violation(
                "AppArmor", profile.value_span("type"), f"{who} sets AppArmor profile {profile['type']}"
            )
    annotations = pod.metadata.get("annotations")
    for key, value in annotations.items() if isinstance(annotations, YMap) else ():
        if isinstance(key, str) and key.startswith("container.apparmor.security.beta.kubernetes.io/"):
            text = str(value)
            if text != "runtime/default" and not text.startswith("localhost/"):
                yield Violation("AppArmor", annotations.value_span(key), f"annotation {key}: {text}")


def _selinux(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    for sc, who in _contexts(pod):
        options = sc.get("seLinuxOptions")
        if not isinstance(options, YMap):
            continue
        kind = options.get("type")
        if kind not in (None, "") and not (
            str(kind) in SELINUX_TYPES and version >= SELINUX_TYPES[str(kind)]
        ):
            yield Violation("SELinux", options.value_span("type"), f"{who} sets SELinux type {kind}")
        for key in ("user", "role"):
            if options.get(key) not in (None, ""):
                yield Violation(
                    "SELinux", options.value_span(key), f"{who} sets SELinux {key} {options[key]}"
                )


def _proc_mount(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    for container, _ in containers(pod.spec, ephemeral=True):
        sc = container.get("securityContext")
        if isinstance(sc, YMap) and sc.get("procMount") not in (None, "Default"):
            yield Violation("/proc Mount Type", sc.value_span("procMount"),
                            f"{_who(container)} sets procMount {sc['procMount']}")  # fmt: skip


def _seccomp_unconfined(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    for sc, who in _contexts(pod):
        profile = sc.get("seccompProfile")
        if isinstance(profile, YMap) and profile.get("type") == "Unconfined":
            yield Violation(
                "Seccomp",
                profile.value_span("type"),
                f"{who} sets seccomp Unconfined",
                "k8s-seccomp-unconfined",
            )


def _sysctls(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    sysctls = pod.spec.path_get("securityContext", "sysctls")
    for item in sysctls if isinstance(sysctls, YList) else ():
        name = item.get("name") if isinstance(item, YMap) else None
        if name is not None and not (str(name) in SAFE_SYSCTLS and version >= SAFE_SYSCTLS[str(name)]):
            yield Violation("Sysctls", item.value_span("name"), f"sysctl {name} is not in the safe set")


# ---------------------------------------------------------------- restricted


def _volume_types(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    volumes = pod.spec.get("volumes")
    for volume in volumes if isinstance(volumes, YList) else ():
        if not isinstance(volume, YMap):
            continue
        for key in volume:
            if key not in ("name", "hostPath") and key not in RESTRICTED_VOLUMES:
                yield Violation("Volume Types", volume.key_span(key),
                                f"volume {str(volume.get('name'))!r} is of type {key}")  # fmt: skip


def _linux(pod: PodTemplate) -> bool:
    return not is_windows_pod(pod.spec)


def _privilege_escalation(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    if not _linux(pod):
        return
    for container, _ in containers(pod.spec, ephemeral=True):
        sc = container.get("securityContext")
        value = sc.get("allowPrivilegeEscalation") if isinstance(sc, YMap) else None
        if value is not False:
            span = (
                sc.value_span("allowPrivilegeEscalation")
                if value is not None
                else _container_anchor(container)
            )
            yield Violation("Privilege Escalation", span,
                            f"{_who(container)} does not set allowPrivilegeEscalation: false",
                            "k8s-privilege-escalation-allowed")  # fmt: skip


def _non_root(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    for container, _ in containers(pod.spec, ephemeral=True):
        non_root, holder = effective(container, pod.spec, "runAsNonRoot")
        if non_root is True:
            continue
        user, _ = effective(container, pod.spec, "runAsUser")
        positive = isinstance(user, int) and not isinstance(user, bool) and user > 0
        # k8s-run-as-root reports a container that may run as root; with a non-zero runAsUser
        # only admission's "runAsNonRoot must be true" is left.
        owner = "" if positive or (non_root is False and positive) else "k8s-run-as-root"
        span = holder.value_span("runAsNonRoot") if holder is not None else _container_anchor(container)
        yield Violation("Running as Non-root", span,
                        f"{_who(container)} does not set runAsNonRoot: true", owner)  # fmt: skip


def _non_root_user(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    if version < (1, 23):
        return
    for sc, who in _contexts(pod):
        if sc.get("runAsUser") == 0 and "runAsUser" in sc:
            yield Violation(
                "Running as Non-root user",
                sc.value_span("runAsUser"),
                f"{who} sets runAsUser: 0",
                "k8s-run-as-root",
            )


def _seccomp_required(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    if version < (1, 19) or not _linux(pod):
        return
    pod_type = pod.spec.path_get("securityContext", "seccompProfile", "type")
    for container, _ in containers(pod.spec, ephemeral=True):
        own = container.path_get("securityContext", "seccompProfile", "type")
        if own is None and pod_type in ("RuntimeDefault", "Localhost"):
            continue
        if own is None:
            yield Violation("Seccomp", _container_anchor(container),
                            f"{_who(container)} sets no seccomp profile "
                            "(RuntimeDefault or Localhost, here or on the pod)",
                            "k8s-seccomp-profile-missing")  # fmt: skip


def _restricted_capabilities(pod: PodTemplate, version, opts) -> Iterator[Violation]:
    if version < (1, 22) or not _linux(pod):
        return
    for container, _ in containers(pod.spec, ephemeral=True):
        drop = container.path_get("securityContext", "capabilities", "drop")
        if not (isinstance(drop, list) and "ALL" in [str(d) for d in drop]):
            span = _container_anchor(container, "capabilities", "drop")
            yield Violation("Capabilities", span,
                            f"{_who(container)} does not drop ALL capabilities",
                            "k8s-capabilities-not-dropped")  # fmt: skip
    yield from _added(pod, frozenset({"NET_BIND_SERVICE"}), "Capabilities", opts)


# (level, function): the standard's controls in its order.
CONTROLS = (
    ("baseline", _host_process), ("baseline", _host_namespaces), ("baseline", _privileged),
    ("baseline", _capabilities), ("baseline", _host_path), ("baseline", _host_ports),
    ("baseline", _host_probes), ("baseline", _app_armor), ("baseline", _selinux),
    ("baseline", _proc_mount), ("baseline", _seccomp_unconfined), ("baseline", _sysctls),
    ("restricted", _volume_types), ("restricted", _privilege_escalation), ("restricted", _non_root),
    ("restricted", _non_root_user), ("restricted", _seccomp_required),
    ("restricted", _restricted_capabilities),
)  # fmt: skip


def violations(pod: PodTemplate, level: str, version=LATEST, opts=None) -> list[Violation]:
    """Every value of `pod` outside `level` (baseline, restricted) as of `version`. An added
    capability outside both allow-lists is restricted's (the narrower one) only."""
    if level not in ("baseline", "restricted"):
        return []
    wanted = ("baseline",) if level == "baseline" else ("baseline", "restricted")
    out: dict[tuple[str, Span], Violation] = {}
    for control_level, check in CONTROLS:
        if control_level in wanted:
            for found in check(pod, version, opts or {}):
                out[(found.control, found.span)] = found
    return list(out.values())


def by_place(found: list[Violation]) -> dict[Span, list[Violation]]:
    """Violations grouped by where they point (a container without securityContext misses
    four restricted controls at once): one finding per place."""
    out: dict[Span, list[Violation]] = {}
    for violation in found:
        out.setdefault(violation.span, []).append(violation)
    return out
