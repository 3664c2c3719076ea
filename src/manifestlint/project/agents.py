"""Node agents: DaemonSets whose job is the node itself (issue 19, principle 5).

A log shipper reads /var/log of its node, an exporter reads /proc and /sys, a CNI plugin writes
/etc/cni and runs in the host's network namespace, a CSI node plugin mounts into the kubelet's
folders: their host access is what they are for. Reporting it as an error on each of them says
nothing a reviewer would act on; reporting it as a note that names the privilege keeps it
visible. The evidence is structural: a DaemonSet (one pod per node) with a host namespace or a
hostPath mount of a node folder, plus, for a DaemonSet that mounts only other host paths, a
short list of known agents by name or image. A Deployment with the same access is never an
agent: nothing ties it to one node's job.
"""

from __future__ import annotations

import re
from typing import Any

from manifestlint.model import YamlDoc, YMap
from manifestlint.project.roles import Role
from manifestlint.rules.kubernetes.objects import containers, name_of, pod_template

# Host folders that only an agent of the node has a reason to mount (their contents describe or
# configure the node: its processes, kernel, logs, devices, container runtime, kubelet, CNI).
NODE_PATHS = (
    "/proc", "/sys", "/dev", "/var/log", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd",
    "/run/containerd", "/var/run/containerd", "/var/run/docker.sock", "/run/docker.sock", "/var/run/crio",
    "/etc/cni", "/opt/cni", "/var/lib/cni", "/run/netns", "/var/run/netns", "/lib/modules", "/boot",
    "/etc/machine-id", "/run/udev", "/var/lib/calico", "/run/xtables.lock", "/host", "/rootfs", "/",
)  # fmt: skip

# Known node agents, by a word of their name or image (documented in docs/precision.md).
KNOWN_AGENTS = re.compile(
    r"node[-_]?exporter|fluent[-_]?bit|fluentd|promtail|grafana[-_]?agent|alloy|vector|filebeat|"
    r"metricbeat|auditbeat|datadog|newrelic[-_]?infra|falco|sysdig|tetragon|cilium|calico|flannel|"
    r"weave|multus|kube[-_]?proxy|aws[-_]?node|csi|device[-_]?plugin|nvidia|gpu[-_]?operator|"
    r"longhorn|rook|ceph|openebs|spire[-_]?agent|skydive|forwarder|cadvisor|kured|"
    r"node[-_]?problem[-_]?detector|image[-_]?puller|pre[-_]?puller|nsm",
    re.I,
)

_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")


def _host_paths(spec: YMap) -> list[str]:
    volumes = spec.get("volumes")
    out = []
    for volume in volumes if isinstance(volumes, list) else ():
        host = volume.get("hostPath") if isinstance(volume, dict) else None
        path = host.get("path") if isinstance(host, dict) else None
        if isinstance(path, str) and path:
            out.append("/" + "/".join(p for p in path.split("/") if p and p != "."))
    return out


def _node_path(path: str) -> bool:
    return any(path == p or (p != "/" and path.startswith(p + "/")) for p in NODE_PATHS)


def node_agent(doc: YamlDoc) -> str | None:
    """Why `doc` is a node agent (one sentence for the finding and the listing), or None."""
    if not isinstance(doc.root, dict) or doc.root.get("kind") != "DaemonSet":
        return None
    template = pod_template(doc)
    if template is None:
        return None
    spec = template.spec
    shared = [key for key in _NAMESPACES if spec.get(key) is True]
    paths = _host_paths(spec)
    node = [p for p in paths if _node_path(p)]
    name = name_of(doc)
    if shared or node:
        what = ", ".join([*(f"{k}" for k in shared), *(f"hostPath {p}" for p in node[:2])])
        return f"DaemonSet {name} is a node agent ({what}): host access is its job"
    if paths:
        images = " ".join(str(c.get("image", "")) for c, _ in containers(spec))
        if KNOWN_AGENTS.search(name) or KNOWN_AGENTS.search(images):
            return f"DaemonSet {name} is a known node agent (hostPath {paths[0]}): host access is its job"
    return None


__all__ = ["KNOWN_AGENTS", "NODE_PATHS", "node_agent"]


def agent_role(pf: Any) -> Role | None:
    """The role of a file (load.ParsedFile) holding a node agent: its host-access findings are
    notes (project/evidence.py); shown by the verbose listing."""
    if not pf.docs or pf.dockerfile is not None:
        return None
    for doc in pf.docs:
        why = node_agent(doc) if doc.kind == "kubernetes" else None
        if why is not None:
            return Role("node-agent", why)
    return None
