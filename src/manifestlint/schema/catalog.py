"""Which schema validates an object: shipped Kubernetes, Istio and Prometheus Operator schemas
plus the project's own CustomResourceDefinitions. Files are read on first use and each kind
is compiled once per process (a run with only Deployments never reads the Istio schemas).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from manifestlint.registry import data_dir
from manifestlint.schema.compile import crd_kinds
from manifestlint.schema.validate import Compiler, Node

CRD_SOURCES = ("istio", "prometheus-operator")
SOURCE_NAMES = {"istio": "Istio's CRDs", "prometheus-operator": "the Prometheus Operator's CRDs"}
# Groups the Kubernetes API server serves itself (besides those of the shipped schema):
# a kind of these groups missing from the schema is "not served by this version".
REMOVED_BUILTIN_GROUPS = frozenset({"extensions"})


def _schemas() -> Path:
    return data_dir("schemas")


@cache
def kubernetes_versions() -> tuple[str, ...]:
    files = (_schemas() / "kubernetes").glob("v1.*.json")
    found = sorted(int(p.stem.split(".")[1]) for p in files if p.stem.split(".")[1].isdigit())
    return tuple(f"1.{minor}" for minor in found)


def pick_version(wanted: str) -> str:
    """The shipped version nearest to `wanted` (1.N); the newest when it cannot be read."""
    versions = kubernetes_versions()
    match = re.match(r"v?1\.(\d+)", str(wanted or "").strip())
    if not versions:
        return ""
    if not match:
        return versions[-1]
    minor = int(match.group(1))
    return min(versions, key=lambda v: (abs(int(v.split(".")[1]) - minor), v))


@cache
def _kubernetes(version: str) -> dict[str, Any]:
    if not version:
        return {"kinds": {}, "types": {}}
    return json.loads((_schemas() / "kubernetes" / f"v{version}.json").read_text(encoding="utf-8"))


@cache
def _compiler(version: str) -> Compiler:
    return Compiler(_kubernetes(version)["types"])


@cache
def _shipped_node(version: str, gvk: str) -> Node:
    """Compiled once per process: a shipped schema never changes within a run or between runs."""
    kinds = _kubernetes(version)["kinds"]
    if gvk in kinds:
        return _compiler(version).compile(kinds[gvk])
    for name in CRD_SOURCES:
        if gvk in _crd_index(name):
            return _compiler(version).compile(_crd_kind(name, gvk))
    raise KeyError(gvk)


@cache
def _crd_index(source: str) -> dict[str, str]:
    path = _schemas() / source / "index.json"
    return json.loads(path.read_text(encoding="utf-8"))["kinds"] if path.is_file() else {}


@cache
def _crd_kind(source: str, gvk: str) -> Any:
    name = _crd_index(source)[gvk]
    return json.loads((_schemas() / source / name).read_text(encoding="utf-8"))["kinds"][gvk]


@cache
def _builtin_groups(version: str) -> frozenset[str]:
    return frozenset(key.split("|")[0].rpartition("/")[0] for key in _kubernetes(version)["kinds"])


def builtin_group(group: str, version: str) -> bool:
    return group in _builtin_groups(version) or group in REMOVED_BUILTIN_GROUPS


class Catalog:
    """Schema lookup for one run: a Kubernetes version plus the project's CRDs."""

    def __init__(self, kubernetes_version: str) -> None:
        self.version = pick_version(kubernetes_version)
        self.compiler = Compiler(_kubernetes(self.version)["types"])  # project CRDs: per run
        self.project: dict[str, Any] = {}  # gvk -> compact node, from the project's CRDs
        self.project_origin: dict[str, str] = {}  # gvk -> metadata.name of the CRD
        self.project_home: dict[str, tuple[str, bool]] = {}  # gvk -> (CRD's file, CRDs only?)
        self._nodes: dict[str, Node | None] = {}
        self._sources: dict[str, str | None] = {}

    def add_crd(self, crd: dict, where: str, path: str = "", dedicated: bool = True) -> None:
        """`path` is the CRD's file; `dedicated` says that file holds only CRDs (see `near`)."""
        try:
            kinds = crd_kinds(crd)
        except (RecursionError, TypeError, ValueError, AttributeError):
            return  # a CRD of odd shapes (a mapping where a type name stands): no schema from it
        for gvk, node in kinds.items():
            if gvk in self.project and (self.project_home[gvk][1] or not dedicated):
                continue  # the first one wins, but a CRD file of its own over an install's copy
            self.project[gvk] = node
            self.project_origin[gvk] = where
            self.project_home[gvk] = (path, dedicated)

    def near(self, gvk: str, path: str) -> bool:
        """Whether the project CRD for `gvk` describes the API a custom resource at `path` was
        written for. A CRD file of its own (`crds/`, `config/crd/bases/`) declares the project's
        API, and so does a CRD in the resource's own file or folder, or in a folder above it.
        A CRD that comes inside another app's all-in-one install in a sibling folder is a copy
        of that app's release: Istio's samples keep SPIRE's quickstart (an older
        ClusterFederatedTrustDomain without `className`) beside a federation sample installed
        from SPIRE's Helm chart, whose CRD has it. Such a CRD does not judge the resource."""
        home, dedicated = self.project_home.get(gvk, ("", True))
        if dedicated or not home or not path or home == path:
            return True
        return Path(path).parent.is_relative_to(Path(home).parent)

    def lookup(self, api_version: str, kind: str) -> tuple[Node | None, str]:
        """(compiled node, source) for apiVersion/kind; source names where the schema came
        from ("kubernetes 1.33", "istio", "prometheus-operator", "project CRD at …")."""
        gvk = f"{api_version}|{kind}"
        source = self._source(gvk)
        if source is None:
            return None, ""
        node = self._nodes.get(gvk)
        if node is None:
            try:
                node = self._compile(gvk, source)
            except RecursionError:  # a pathological project CRD
                return None, ""
            self._nodes[gvk] = node
        return node, source

    def _source(self, gvk: str) -> str | None:
        if gvk not in self._sources:
            self._sources[gvk] = self._find(gvk)
        return self._sources[gvk]

    def _find(self, gvk: str) -> str | None:
        if gvk in self.project:
            return f"the project's CustomResourceDefinition {self.project_origin[gvk]}"
        if gvk in _kubernetes(self.version)["kinds"]:
            return f"Kubernetes {self.version}"
        for source in CRD_SOURCES:
            if gvk in _crd_index(source):
                return SOURCE_NAMES[source]
        return None

    def _compile(self, gvk: str, source: str) -> Node:
        if gvk in self.project:
            return self.compiler.compile(self.project[gvk])
        return _shipped_node(self.version, gvk)

    def served_versions(self, group: str, kind: str) -> list[str]:
        """apiVersions under which `kind` of `group` has a schema (for the unknown-kind note)."""
        out = set()
        keys = list(self.project) + list(_kubernetes(self.version)["kinds"])
        for source in CRD_SOURCES:
            keys += list(_crd_index(source))
        for key in keys:
            api, _, name = key.partition("|")
            if name == kind and api.rpartition("/")[0] == group:
                out.add(api)
        return sorted(out)

    def builtin(self, group: str) -> bool:
        return builtin_group(group, self.version)

    def known_crd_group(self, group: str) -> bool:
        """Whether a shipped CRD source covers `group` (istio.io, monitoring.coreos.com)."""
        for source in CRD_SOURCES:
            if any(key.split("|")[0].rpartition("/")[0] == group for key in _crd_index(source)):
                return True
        return any(key.split("|")[0].rpartition("/")[0] == group for key in self.project)
