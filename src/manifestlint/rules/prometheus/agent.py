"""Prometheus in agent mode (`--agent`, formerly `--enable-feature=agent`) refuses a
configuration with `rule_files`, `alerting` or `remote_read`: an agent only scrapes and
forwards. Which configurations an agent loads is read from the evidence the project shows:
the configuration's own name (`prometheus-agent.yml`), a Kubernetes container running
Prometheus with `--agent` and `--config.file=` naming this file, or the rule's option.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.prometheus.config_files import embedded

AGENT_REFUSES = ("rule_files", "alerting", "remote_read")
_AGENT_NAME = re.compile(r"(^|[-_.])agent([-_.]|$)")
_AGENT_FLAG = ("--agent", "--enable-feature=agent")


def _containers(doc: YamlDoc) -> Iterator[YMap]:
    """Containers of a workload's pod template (or a Pod)."""
    spec = doc.root.get("spec")
    template = spec.get("template") if isinstance(spec, YMap) else None
    pod = (
        template.get("spec")
        if isinstance(template, YMap)
        else spec
        if doc.root.get("kind") == "Pod"
        else None
    )
    for key in ("containers", "initContainers"):
        items = pod.get(key) if isinstance(pod, YMap) else None
        for container in items if isinstance(items, YList) else ():
            if isinstance(container, YMap):
                yield container


def _run_as_agent(index, name: str) -> str:
    """The workload that runs an agent on a configuration file called `name`, or ''."""
    for obj in index.objects:
        for container in _containers(obj):
            words = [
                str(w)
                for key in ("command", "args")
                for w in (container.get(key) or [])
                if isinstance(w, str)
            ]
            if not any(
                w in _AGENT_FLAG or (w.startswith("--enable-feature=") and "agent" in w) for w in words
            ):
                continue
            configs = [w.split("=", 1)[1] for w in words if w.startswith("--config.file=")]
            if any(os.path.basename(c) == name for c in configs):
                meta = obj.root.get("metadata")
                return str(meta.get("name")) if isinstance(meta, YMap) else str(obj.root.get("kind"))
    return ""


def agent_evidence(doc: YamlDoc, ctx) -> str:
    """Why this configuration is an agent's, or '' when nothing says so."""
    patterns = [str(p) for p in ctx.options.get("agent-configs") or []]
    if any(fnmatchcase(doc.path, p) for p in patterns):
        return "the agent-configs option names it"
    if embedded(doc):
        return ""
    name = os.path.basename(doc.path)
    if _AGENT_NAME.search(os.path.splitext(name)[0].lower()):
        return f"its name ({name}) says it is an agent's"
    runner = _run_as_agent(ctx.index, name)
    return f"{runner} runs Prometheus with --agent on it" if runner else ""


@rule("prometheus-agent-config", "prometheus-config")
def agent_config(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """What an agent refuses: rule evaluation, alerting and remote read are the server's."""
    present = [key for key in AGENT_REFUSES if key in doc.root and doc.root.get(key) not in (None, [], {})]
    if not present:
        return
    why = agent_evidence(doc, ctx)
    if not why:
        return
    for key in present:
        yield doc_hit(
            doc,
            doc.root.key_span(key),
            f"field {key} is not allowed in agent mode ({why}): Prometheus in agent mode refuses this "
            "configuration",
        )
