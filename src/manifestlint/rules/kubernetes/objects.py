"""Kubernetes helpers shared by rule packs: pod templates, containers, namespaces.

Composition helpers instead of base classes (kube-linter's `PerContainerCheck`, not
checkov's four-level hierarchy): a rule asks for the pod spec or iterates containers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from manifestlint.model import FILE_START, YamlDoc, YList, YMap

if TYPE_CHECKING:
    from fractions import Fraction

WORKLOAD_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job",
     "CronJob", "PodTemplate",
     "Rollout"}  # Argo Rollouts: a Deployment replacement with the same spec.template
)  # fmt: skip
# Kinds whose pods are expected to run to completion (no probes, no PDB, no replicas).
BATCH_KINDS = frozenset({"Job", "CronJob"})


@dataclass(slots=True)
class PodTemplate:
    """The pod part of a workload: where its metadata and spec live inside the object."""

    doc: YamlDoc
    kind: str
    metadata: YMap  # the pod template's metadata (labels, annotations); may be empty
    spec: YMap  # the PodSpec
    holder: YMap  # the mapping holding `spec` (the template, or the Pod itself)

    @property
    def labels(self) -> dict[str, Any]:
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}


_EMPTY = YMap.build((), (), (), FILE_START)


# The engine runs every rule on one document before the next, and most Kubernetes rules start
# with pod_template(doc): remember the last answer (holding the doc keeps its identity valid).
_LAST: list[Any] = [None, None]


def pod_template(doc: YamlDoc) -> PodTemplate | None:
    """The pod template of a workload object; None for other kinds or malformed objects."""
    if _LAST[0] is doc:
        return _LAST[1]
    found = _pod_template(doc)
    _LAST[0], _LAST[1] = doc, found
    return found


def _pod_template(doc: YamlDoc) -> PodTemplate | None:
    root = doc.root
    kind = root.get("kind")
    if kind not in WORKLOAD_KINDS:
        return None
    if kind == "Pod":
        holder: Any = root
    elif kind == "PodTemplate":
        holder = root.get("template")
    elif kind == "CronJob":
        holder = root.path_get("spec", "jobTemplate", "spec", "template")
    else:
        holder = root.path_get("spec", "template")
    if not isinstance(holder, YMap):
        return None
    spec = holder.get("spec")
    if not isinstance(spec, YMap):
        return None
    meta = holder.get("metadata")
    return PodTemplate(doc, kind, meta if isinstance(meta, YMap) else _EMPTY, spec, holder)


def containers(spec: YMap, init: bool = True, ephemeral: bool = False) -> Iterator[tuple[YMap, str]]:
    """(container, field) pairs: field is 'containers', 'initContainers' or 'ephemeralContainers'."""
    fields = ["containers"]
    if init:
        fields.append("initContainers")
    if ephemeral:
        fields.append("ephemeralContainers")
    for name in fields:
        items = spec.get(name)
        if isinstance(items, YList):
            for item in items:
                if isinstance(item, YMap):
                    yield item, name


def container_label(container: YMap) -> str:
    return str(container.get("name") or "<unnamed>")


def namespace_of(doc: YamlDoc, default: str = "default") -> str:
    meta = doc.root.get("metadata")
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    return str(ns) if ns else default


def name_of(doc: YamlDoc) -> str:
    meta = doc.root.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return str(name) if name is not None else ""


def name_anchor(doc: YamlDoc):
    """Where a finding about a whole object points: `metadata.name`, else `kind`."""
    root = doc.root
    meta = root.get("metadata")
    if isinstance(meta, YMap) and "name" in meta:
        return meta.value_span("name")
    if "kind" in root:
        return root.value_span("kind")
    return doc.span


def effective(container: YMap, pod_spec: YMap, field: str) -> tuple[Any, YMap | None]:
    """A securityContext field as Kubernetes applies it: the container's value wins over the
    pod's (for the fields PodSecurityContext also has). Returns (value, mapping that set it)."""
    csc = container.get("securityContext")
    if isinstance(csc, YMap) and field in csc:
        return csc[field], csc
    psc = pod_spec.get("securityContext")
    if isinstance(psc, YMap) and field in psc:
        return psc[field], psc
    return None, None


def api_group(api_version: Any) -> str:
    text = str(api_version or "")
    return text.rsplit("/", 1)[0] if "/" in text else ""


def selector_matches(selector: Any, labels: Any) -> bool:
    """A label selector (matchLabels/matchExpressions, or a plain map for Services) vs labels.

    An empty selector matches everything, as in Kubernetes."""
    if not isinstance(labels, dict):
        labels = {}
    if not isinstance(selector, dict):
        return False
    if "matchLabels" in selector or "matchExpressions" in selector:
        match = selector.get("matchLabels") or {}
        exprs = selector.get("matchExpressions") or []
    else:
        match, exprs = selector, []
    if not isinstance(match, dict):
        return False
    for key, value in match.items():
        if str(labels.get(key)) != str(value) or key not in labels:
            return False
    for expr in exprs if isinstance(exprs, list) else []:
        if not isinstance(expr, dict):
            return False
        key, op = expr.get("key"), expr.get("operator")
        listed = expr.get("values")
        values = [str(v) for v in listed] if isinstance(listed, list) else []  # `values: true`: none
        present = key in labels
        if op == "In" and not (present and str(labels[key]) in values):
            return False
        if op == "NotIn" and present and str(labels[key]) in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def selector_pair(selector: Any) -> tuple[Any, str] | None:
    """One (key, value as text) label every label set that `selector` matches must carry (its
    first matchLabels entry, or a plain map's), or None when it requires no particular label
    (empty, matchExpressions only, not a selector). See `SelectorIndex`."""
    if not isinstance(selector, dict):
        return None
    if "matchLabels" in selector or "matchExpressions" in selector:
        match = selector.get("matchLabels")
    else:
        match = selector
    if not isinstance(match, dict) or not match:
        return None
    key, value = next(iter(match.items()))
    try:
        hash(key)
    except TypeError:
        return None
    return key, str(value)


# Off only in tests: with it off, `SelectorIndex.candidates` returns every item, so the
# rules' findings can be compared with and without the index (tests/test_selector_index.py).
USE_SELECTOR_INDEX = True

T = TypeVar("T")


@dataclass(slots=True)
class SelectorIndex(Generic[T]):
    """Items carrying a label selector (PDBs, network policies) or a label set (workloads),
    found by namespace and label instead of scanning all of them for every workload: the
    cross-file rules were quadratic (k8s-missing-network-policy took 8.6 s on 20,000
    documents). `candidates` returns a superset of the items that can match, in the order
    added; callers still apply the exact test (namespace, `selector_matches`), so findings
    are the same as with a full scan. An item filed under namespace None is a candidate in
    every namespace (cluster-wide policies)."""

    _items: list[T] = field(default_factory=list)
    _by_pair: dict[tuple[Any, Any, str], list[int]] = field(default_factory=dict)
    _any_label: dict[Any, list[int]] = field(default_factory=dict)  # ns -> items needing no label

    def add(self, ns: str | None, pairs: Iterable[tuple[Any, str]] | None, item: T) -> None:
        """File `item` under each (key, value) of `pairs` in `ns`; under the namespace alone
        when `pairs` is None (it may match any label set there)."""
        position = len(self._items)
        self._items.append(item)
        if pairs is None:
            self._any_label.setdefault(ns, []).append(position)
            return
        for key, value in pairs:
            self._by_pair.setdefault((ns, key, value), []).append(position)

    def add_selector(self, ns: str | None, selector: Any, item: T) -> None:
        """File an item by the one label its selector requires (`selector_pair`)."""
        pair = selector_pair(selector)
        self.add(ns, None if pair is None else (pair,), item)

    def add_labels(self, ns: str | None, labels: Any, item: T) -> None:
        """File an item by every label it carries (a selector requiring one of them finds it)."""
        pairs = []
        if isinstance(labels, dict):
            for key, value in labels.items():
                try:
                    hash(key)
                except TypeError:
                    continue
                pairs.append((key, str(value)))
        self.add(ns, pairs, item)

    def candidates(self, ns: str, labels: Any) -> list[T]:
        """Items filed by selector that may match pods with `labels` in `ns`."""
        if not USE_SELECTOR_INDEX:
            return list(self._items)
        found: set[int] = set()
        for space in (ns, None):
            found.update(self._any_label.get(space, ()))
            if isinstance(labels, dict):
                for key, value in labels.items():
                    try:
                        found.update(self._by_pair.get((space, key, str(value)), ()))
                    except TypeError:  # an unhashable key: no selector can name it
                        continue
        return [self._items[i] for i in sorted(found)]

    def labelled(self, ns: str, selector: Any) -> list[T]:
        """Items filed by labels that a selector in `ns` may select."""
        if not USE_SELECTOR_INDEX:
            return list(self._items)
        pair = selector_pair(selector)
        if pair is None:
            return list(self._items)
        return [self._items[i] for i in self._by_pair.get((ns, *pair), ())]


# ---------------------------------------------------------------- quantities and images

_QUANTITY = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?\Z")
_SUFFIX_SCALE = {
    "": (1, 1), "n": (1, 10**9), "u": (1, 10**6), "m": (1, 1000), "k": (10**3, 1), "M": (10**6, 1),
    "G": (10**9, 1), "T": (10**12, 1), "P": (10**15, 1), "E": (10**18, 1), "Ki": (2**10, 1),
    "Mi": (2**20, 1), "Gi": (2**30, 1), "Ti": (2**40, 1), "Pi": (2**50, 1), "Ei": (2**60, 1),
}  # fmt: skip


# Kubernetes stores a quantity as a decimal rounded up to nano units and capped at 2^63-1
# (resource.ParseQuantity); its exponent must fit an int32. Reproducing that keeps every
# number we build small, however many digits or how large an exponent the file writes.
_MAX_QUANTITY = 2**63 - 1
_NANO = 10**9
_INT32 = 2**31 - 1
_SIGNIFICANT = 60  # digits kept before the round-up: far beyond int64 nanos (28 digits)


_QUANTITIES: dict[str, Fraction | None] = {}  # text -> parse_quantity(text): `500m`, `256Mi` repeat
_QUANTITIES_MAX = 4096


def parse_quantity(value: Any) -> Fraction | None:
    """A Kubernetes resource quantity (`500m`, `1.5Gi`, `2e3`, `1`) as the API server stores it.

    None when Kubernetes would not accept it (the API server rejects the object). Strings are
    remembered (a bounded number of them): a manifest set repeats a handful of quantities, and
    the exact arithmetic costs ~10 µs each time."""
    if type(value) is str:
        known = _QUANTITIES.get(value, _QUANTITIES)
        if known is not _QUANTITIES:
            return known  # type: ignore[return-value]
        parsed = _parse_quantity(value)
        if len(_QUANTITIES) < _QUANTITIES_MAX and len(value) <= 64:
            _QUANTITIES[value] = parsed
        return parsed
    return _parse_quantity(value)


def _parse_quantity(value: Any) -> Fraction | None:
    from fractions import Fraction  # only quantities need it (fractions imports decimal: ~5 ms)

    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        if value != value or abs(value) == float("inf"):
            return None
        value = repr(value)
    if isinstance(value, int):
        value = str(value) if abs(value) < 10**40 else ("-" if value < 0 else "") + "1" + "0" * 40
    match = _QUANTITY.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    if suffix[:1] in ("e", "E") and len(suffix) > 1 and suffix[1] != "i":
        exponent, factor = int(suffix[1:]) if len(suffix) < 14 else _INT32 + 1, Fraction(1)
        if abs(exponent) > _INT32:
            return None  # ParseInt(exponent, 10, 32) fails: the API server rejects it
    else:
        exponent, factor = 0, Fraction(*_SUFFIX_SCALE[suffix])
    sign = -1 if number.startswith("-") else 1
    whole, _, frac = number.lstrip("+-").partition(".")
    digits = (whole + frac).lstrip("0")
    if not digits:
        return Fraction(0)
    # value = int(digits) * 10**scale * factor, with len(digits) significant digits
    scale = exponent - len(frac)
    magnitude = len(digits) + scale  # value < 10**magnitude * factor
    if magnitude > 40:
        return Fraction(sign * _MAX_QUANTITY)
    if magnitude < -40:
        return Fraction(sign, _NANO)  # any non-zero amount rounds up to 1n
    sticky = False
    if len(digits) > _SIGNIFICANT:
        sticky = digits[_SIGNIFICANT:].strip("0") != ""
        scale += len(digits) - _SIGNIFICANT
        digits = digits[:_SIGNIFICANT]
    exact = Fraction(int(digits)) * Fraction(10) ** scale * factor
    nanos = exact * _NANO
    rounded = -((-nanos.numerator) // nanos.denominator)  # ceiling
    if sticky and rounded == nanos:
        rounded += 1
    amount = min(Fraction(rounded, _NANO), Fraction(_MAX_QUANTITY))
    return sign * amount


def image_tag(image: str) -> tuple[str | None, str | None]:
    """(tag, digest) of an image reference; a registry `host:port` is not a tag.

    `localhost:5000/app` -> (None, None); `app:1.2@sha256:…` -> ('1.2', 'sha256:…')."""
    ref, _, digest = image.partition("@")
    last = ref.rsplit("/", 1)[-1]
    _, colon, tag = last.partition(":")
    return (tag if colon else None), (digest or None)


def is_windows_pod(spec: YMap) -> bool:
    """`spec.os.name: windows`: Linux-only securityContext fields do not apply (and are rejected)."""
    os_ = spec.get("os")
    return isinstance(os_, dict) and os_.get("name") == "windows"


# The objects the API server creates for itself: the `kubernetes` Service of the `default`
# namespace (no selector; its Endpoints and EndpointSlice list the API server's addresses).
# They appear in cluster dumps and `kubectl get -o yaml` exports; nobody authors or moves them.
_API_SERVER_OBJECTS = frozenset({"Service", "Endpoints", "EndpointSlice"})


def is_api_server_object(doc: YamlDoc) -> bool:
    """`default/kubernetes` Service, Endpoints or EndpointSlice: owned by the API server."""
    root = doc.root
    if root.get("kind") not in _API_SERVER_OBJECTS or namespace_of(doc) != "default":
        return False
    if root.get("kind") == "EndpointSlice":
        labels = root.path_get("metadata", "labels")
        return isinstance(labels, dict) and labels.get("kubernetes.io/service-name") == "kubernetes"
    return name_of(doc) == "kubernetes"
