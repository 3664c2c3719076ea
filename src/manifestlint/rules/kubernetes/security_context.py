"""The container's securityContext: user, privileges, capabilities, root filesystem, seccomp."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from manifestlint.model import Finding, Severity, YamlDoc, YList, YMap, at_most, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.containers import _what, container_anchor
from manifestlint.rules.kubernetes.image_user import image_verdict, windows_pod
from manifestlint.rules.kubernetes.objects import (
    WORKLOAD_KINDS,
    PodTemplate,
    container_label,
    containers,
    effective,
    is_windows_pod,
    pod_template,
)
from manifestlint.yaml_fix import set_key


@rule("k8s-run-as-root", "kubernetes", kinds=WORKLOAD_KINDS)
def run_as_root(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """Error only on proof (issue 19, principle 1; rules/kubernetes/image_user.py): `runAsUser:
    0`, a string `runAsNonRoot` (refused), or no non-root setting on an image known to run as
    root. A warning when the image's own USER is not known; nothing on an image known to run
    as a non-root user, nor on Windows pods."""
    pod = pod_template(doc)
    if pod is None or windows_pod(pod.spec):
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
        elif non_root is True or (isinstance(user, int) and not isinstance(user, bool) and user > 0):
            continue
        elif isinstance(effective(container, pod.spec, "windowsOptions")[0], dict):
            continue  # a Windows container: its runAsUserName decides, not a Linux uid
        else:
            verdict = image_verdict(container.get("image"), ctx)
            if verdict is None:
                continue  # the image runs as a non-root user
            proven, why = verdict
            if non_root is False and nr_holder is not None:
                span, what = nr_holder.value_span("runAsNonRoot"), "runAsNonRoot is false"
            else:
                span = container_anchor(container, "securityContext")
                what = "set securityContext.runAsNonRoot: true or a non-zero runAsUser"
            found = doc_hit(
                doc, span, f"container {name!r} {'runs' if proven else 'may run'} as root: {what}; {why}"
            )
            yield found if proven else at_most(found, Severity.WARNING)


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
                fix=partial(set_key, doc, container, ("securityContext", "allowPrivilegeEscalation"), False,
                            "set allowPrivilegeEscalation: false"),
            )  # fmt: skip


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
                # unsafe: a process that writes outside its volumes fails until they are mounted
                fix=partial(set_key, doc, container, ("securityContext", "readOnlyRootFilesystem"), True,
                            "set readOnlyRootFilesystem: true"),
            )  # fmt: skip


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
        fix = None
        if (
            not dropped
            and not container.path_get("securityContext", "capabilities", "add")
            and _non_root(container, pod.spec)
        ):  # a root process may need its default capabilities (bind :80, switch user): no fix
            fix = partial(
                set_key, doc, container, ("securityContext", "capabilities", "drop"), ["ALL"], "drop ALL"
            )
        yield doc_hit(
            doc, container_anchor(container, "securityContext", "capabilities", "drop"), message, fix=fix
        )


def _non_root(container: YMap, spec: YMap) -> bool:
    """The container runs as a non-root user by its own or its pod's securityContext."""
    user = effective(container, spec, "runAsUser")[0]
    if isinstance(user, int) and not isinstance(user, bool):
        return user > 0
    return effective(container, spec, "runAsNonRoot")[0] is True


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
    # one fix for the pod (its containers inherit the profile): the same edit for each finding
    fix = partial(set_key, doc, pod.spec, ("securityContext", "seccompProfile", "type"), "RuntimeDefault",
                  "set the pod's seccompProfile to RuntimeDefault")  # fmt: skip
    for container, field in containers(pod.spec):
        if not isinstance(container.path_get("securityContext", "seccompProfile"), YMap):
            yield doc_hit(
                doc,
                container_anchor(container, "securityContext"),
                f"{_what(container, field)} sets no seccompProfile: it runs Unconfined unless the kubelet "
                "defaults to RuntimeDefault",
                fix=fix,
            )
