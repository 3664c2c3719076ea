"""Cross-document lookups for project rules (Service -> Deployment, VS -> DR, alert -> route).

The index holds every document of the *context set* (all manifests under the project
root), while findings are reported only for the files the user named (`report_paths`):
linting one changed file in pre-commit still sees the PDB that lives in another file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from manifestlint.classify import RuleGroups, rule_groups
from manifestlint.model import YamlDoc
from manifestlint.rules.kubernetes.objects import name_of, namespace_of


@dataclass(slots=True)
class Index:
    objects: list[YamlDoc] = field(default_factory=list)  # Kubernetes objects (Istio, CRDs included)
    alertmanager: list[YamlDoc] = field(default_factory=list)
    rule_groups: list[RuleGroups] = field(default_factory=list)
    prometheus_configs: list[YamlDoc] = field(default_factory=list)  # prometheus.yml documents
    report_paths: set[str] = field(default_factory=set)
    base: str = ""  # the folder display paths are relative to (rules that order files by path)
    _by_kind: dict[str, list[YamlDoc]] = field(default_factory=lambda: defaultdict(list))
    _by_key: dict[tuple[str, str, str], YamlDoc] = field(default_factory=dict)

    def add(self, docs: Iterable[YamlDoc]) -> None:
        for doc in docs:
            if doc.kind == "kubernetes":
                self.objects.append(doc)
                kind = str(doc.root.get("kind"))
                self._by_kind[kind].append(doc)
                self._by_key.setdefault((kind, namespace_of(doc), name_of(doc)), doc)
            elif doc.kind == "alertmanager":
                self.alertmanager.append(doc)
            elif doc.kind == "prometheus-config":
                self.prometheus_configs.append(doc)
            groups = rule_groups(doc)
            if groups is not None:
                self.rule_groups.append(groups)

    def of_kind(self, *kinds: str) -> list[YamlDoc]:
        """Objects of the given kinds, in discovery order."""
        if len(kinds) == 1:
            return list(self._by_kind.get(kinds[0], ()))
        return [doc for kind in kinds for doc in self._by_kind.get(kind, ())]

    def get(self, kind: str, namespace: str, name: str) -> YamlDoc | None:
        return self._by_key.get((kind, namespace, name))

    def sort_path(self, path: str) -> str:
        """A file's absolute path: the same whether it was named (relative) or found as
        context, so "the first file in path order" does not depend on what was named."""
        import os

        return os.path.normpath(os.path.join(self.base, path))

    def reported(self, doc: YamlDoc) -> bool:
        """Whether findings on `doc` will be shown (it is in a file the user named)."""
        return doc.path in self.report_paths
