"""Which files of a bundle can change what cross-file rules say about the files a call names.

A pre-commit call names one file, but its bundle (a namespace folder of a monorepo) may hold
hundreds: rebuilding all of them from the context cache and running every cross-file rule
over all of them cost time linear in the bundle. Cross-file rules only ever relate objects in
four ways, so a file can matter to a named file only through one of them:

1. **by name**: an HPA's target, a Service's Ingress, a VirtualService's gateway, host or
   DestinationRule, a Deployment's ConfigMap, Secret, ServiceAccount or claim, two objects of
   the same kind and name. A name one file defines (`metadata.name`, an Istio host and its
   dotted parts) appears as a string value in the other.
2. **by labels**: a Service, PDB, NetworkPolicy (and its peers), AuthorizationPolicy or
   Gateway selects pods or namespaces. A selector's labels are a subset of a label set of the
   other file (controller-added keys such as `pod-template-hash` dropped from the selector, an
   expression-only or empty selector selecting everything).
3. **by existence**: "does the bundle run pods in this namespace", "is this an Istio project",
   "the first X in path order". The first file (path order) holding each (kind, namespace) is
   always kept, so every such question gets the same answer.
4. **namespace- and mesh-wide objects** (Namespaces, quotas, PeerAuthentications, Sidecars,
   ServiceEntries, wildcard hosts, string selectors, pods asking for a sidecar) and **alerting** (rule groups,
   PrometheusRules and Alertmanager configs, related by severity labels): always kept.

The files kept are the closure of the named files over these relations (a PDB of the named
Deployment brings the HPA of that Deployment's other workloads). Anything this module cannot
describe makes its file relate to everything (`wild`), which keeps the whole bundle: the
filter may only ever cost speed, never a finding. tests/test_relevance.py runs the corpus with
and without it and requires identical findings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from manifestlint.model import YamlDoc
from manifestlint.rules.kubernetes.objects import WORKLOAD_KINDS, pod_template

# Kinds whose objects apply to a whole namespace or mesh (or match hosts by wildcard): kept.
ALWAYS_KINDS = frozenset({
    "Namespace", "ResourceQuota", "LimitRange", "PeerAuthentication", "Sidecar", "ServiceEntry",
    "RequestAuthentication", "EnvoyFilter", "Telemetry", "AuthorizationPolicy", "WorkloadEntry",
    "WorkloadGroup", "ProxyConfig", "WasmPlugin", "GlobalNetworkPolicy", "ClusterNetworkPolicy",
    "CiliumClusterwideNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
    "PrometheusRule", "AlertmanagerConfig", "Alertmanager", "Prometheus",
    "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
})  # fmt: skip
SELECTOR_KEYS = frozenset(
    {"selector", "podSelector", "namespaceSelector", "labelSelector", "workloadSelector"}
)
HOST_KEYS = frozenset({"host", "hosts"})
# Labels and annotations asking for a sidecar: evidence about a whole namespace.
MESH_KEYS = frozenset({"sidecar.istio.io/inject", "istio.io/rev", "istio.io/dataplane-mode"})
# Labels a controller gives its pods: a selector using them matches pods whose template does
# not say so (the rules compare them by the controller's kind and name: a name relation).
CONTROLLER_LABELS = frozenset({
    "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index", "controller-revision-hash",
    "pod-template-hash", "job-name", "batch.kubernetes.io/job-name", "controller-uid",
    "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-completion-index",
})  # fmt: skip
MAX_WORDS = 4096  # distinct words of a file; beyond, it relates to everything
MAX_WORD = 253  # longest Kubernetes name; longer strings (descriptions, scripts) name nothing
MAX_DEPTH = 200


@dataclass(frozen=True, slots=True)
class Links:
    """What one file offers the relations above. `words`: every short string value and its
    dotted/slashed parts; `names`: names and hosts it defines; `labels` / `selectors`: sorted
    (key, value) tuples; `places`: (kind, namespace as written) of its objects; `wild`: relates
    to every file; `always`: kept whatever was named."""

    names: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    labels: tuple[tuple[tuple[str, str], ...], ...] = ()
    selectors: tuple[tuple[tuple[str, str], ...], ...] = ()
    places: tuple[tuple[str, str], ...] = ()
    wild: bool = False
    always: bool = False


class _Collector:
    __slots__ = ("always", "labels", "names", "selectors", "wild", "words")

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.words: set[str] = set()
        self.labels: set[tuple[tuple[str, str], ...]] = set()
        self.selectors: set[tuple[tuple[str, str], ...]] = set()
        self.wild = False
        self.always = False

    def word(self, text: str) -> None:
        if len(text) > MAX_WORD or " " in text or "\n" in text:
            return
        words = self.words
        words.add(text)
        if "." in text or "/" in text or ":" in text:
            for part in text.replace("/", ".").replace(":", ".").split("."):
                if part:
                    words.add(part)

    def host(self, value: Any) -> None:
        for host in value if isinstance(value, list) else (value,):
            if not isinstance(host, str):
                continue
            if "*" in host:
                self.always = True  # a wildcard host relates by pattern, not by name
            self.names.add(host)
            for part in host.replace("/", ".").split("."):
                if part:
                    self.names.add(part)

    def selector(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            self.always = True  # a string selector (Calico), or something else: unknown reach
            return
        if "matchLabels" in value or "matchExpressions" in value:
            match = value.get("matchLabels")
            if match is not None and not isinstance(match, dict):
                self.always = True
                return
            value = match or {}
        pairs = []
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                self.always = True
                return
            if str(key) not in CONTROLLER_LABELS:
                pairs.append((str(key), str(item)))
        if not pairs:
            self.always = True  # selects everything (of its namespace)
            return
        self.selectors.add(tuple(sorted(pairs)))

    def labelset(self, value: Any) -> None:
        if isinstance(value, dict) and value:
            self.labels.add(
                tuple(sorted((str(k), str(v)) for k, v in value.items() if not isinstance(v, (dict, list))))
            )


def links_of(docs: Iterable[YamlDoc]) -> Links:
    """The Links of a file's documents (Kubernetes objects; other documents relate to nothing
    here: rule files and Alertmanager configs are never cached, so always at hand)."""
    out = _Collector()
    places: set[tuple[str, str]] = set()
    from manifestlint.classify import rule_groups

    for doc in docs:
        root = doc.root
        if doc.kind and (doc.kind != "kubernetes" or rule_groups(doc) is not None):
            out.always = True  # rule groups and Alertmanager routes: judged together, by severity
        if doc.kind != "kubernetes" or not isinstance(root, dict):
            continue
        kind = str(root.get("kind"))
        meta = root.get("metadata")
        ns = ""
        if isinstance(meta, dict):
            name, space = meta.get("name"), meta.get("namespace")
            if isinstance(name, str):
                out.names.add(name)
            ns = space if isinstance(space, str) else ""
        # a workload without a pod template runs no pods: it never answers "are there pods"
        places.add((kind if pod_template(doc) is not None or kind not in WORKLOAD_KINDS else f"{kind}!", ns))
        if kind in ALWAYS_KINDS:
            out.always = True
        if not _walk(root, out):
            out.wild = True
    if len(out.words) > MAX_WORDS:
        out.wild = True
        out.words = set()
    return Links(
        frozenset(out.names),
        frozenset(out.words),
        tuple(sorted(out.labels)),
        tuple(sorted(out.selectors)),
        tuple(sorted(places)),
        out.wild,
        out.always,
    )


def _walk(root: Any, out: _Collector) -> bool:
    """Collect words, hosts, label sets and selectors below `root` (no recursion: documents nest
    up to 1,000 levels); False when deeper than MAX_DEPTH."""
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    if key in SELECTOR_KEYS:
                        if key == "workloadSelector" and isinstance(item, dict):
                            out.selector(item.get("labels"))
                        else:
                            out.selector(item)
                    elif key == "labels":
                        out.labelset(item)
                    elif key == "matchLabels":
                        out.selector({"matchLabels": item})
                    elif key in HOST_KEYS:
                        out.host(item)
                    elif key in MESH_KEYS:
                        out.always = True  # puts its namespace in the mesh (istio-missing-strict-mtls)
                if isinstance(item, str):
                    out.word(item)
                elif isinstance(item, (dict, list)):
                    stack.append((item, depth + 1))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    out.word(item)
                elif isinstance(item, (dict, list)):
                    stack.append((item, depth + 1))
    return True


# ---------------------------------------------------------------------------- encoding


def encode(links: Links) -> list[Any]:
    return [
        sorted(links.names),
        sorted(links.words),
        [[p for pair in s for p in pair] for s in links.labels],
        [[p for pair in s for p in pair] for s in links.selectors],
        [p for place in links.places for p in place],
        links.wild,
        links.always,
    ]


_STR = frozenset({str})


def _strs(value: Any) -> bool:
    return type(value) is list and _STR.issuperset(map(type, value))


def _pairs(value: Any) -> tuple[tuple[tuple[str, str], ...], ...] | None:
    if type(value) is not list:
        return None
    out = []
    for flat in value:
        if not _strs(flat) or len(flat) % 2:
            return None
        out.append(tuple(zip(flat[0::2], flat[1::2], strict=True)))
    return tuple(out)


def decode(value: Any) -> Links | None:
    """Links from their cached form, or None when anything is off (the file is then wild)."""
    if type(value) is not list or len(value) != 7:
        return None
    names, words, labels, selectors, places, wild, always = value
    if not (_strs(names) and _strs(words) and _strs(places) and len(places) % 2 == 0):
        return None
    if type(wild) is not bool or type(always) is not bool:
        return None
    label_sets, selector_sets = _pairs(labels), _pairs(selectors)
    if label_sets is None or selector_sets is None:
        return None
    return Links(
        frozenset(names),
        frozenset(words),
        label_sets,
        selector_sets,
        tuple(zip(places[0::2], places[1::2], strict=True)),
        wild,
        always,
    )


WILD = Links(wild=True)
_NO_FILES: set[Any] = set()


# ---------------------------------------------------------------------------- the closure
# One implementation of the relations, over two ways of looking files up: in memory
# (related_files: the links of every file of the bundle at hand) and from a warm model's
# saved index (related_by_index: numbers, decoded only when the closure reaches them).


class _Lookups:
    """The files a relation reaches, by key (a path, or a position in a saved index)."""

    def links(self, key: Any) -> Links:  # pragma: no cover - interface
        raise NotImplementedError

    def using(self, name: str) -> Iterable[Any]:
        """Files with `name` among their words (they may refer to it)."""
        raise NotImplementedError  # pragma: no cover

    def defining(self, words: frozenset[str]) -> Iterable[Any]:
        """Files that define one of `words` as a name or host."""
        raise NotImplementedError  # pragma: no cover

    def labelled(self, selector: tuple[tuple[str, str], ...]) -> Iterable[Any]:
        """Files carrying every pair of `selector` (candidates: one of their label sets may not)."""
        raise NotImplementedError  # pragma: no cover

    def selecting(self, pair: tuple[str, str]) -> Iterable[Any]:
        """Files with a selector filed under `pair` (candidates)."""
        raise NotImplementedError  # pragma: no cover


def _closure(lookups: _Lookups, start: Iterable[Any], named: Iterable[Links] = ()) -> set[Any] | None:
    """The keys reached from `start` (and from the links of `named` files that have no key)
    over the four relations; None when a wild file is reached (it relates to everything)."""
    reached: set[Any] = set()
    queue: list[Any] = []

    def add(keys: Iterable[Any]) -> None:
        for key in keys:
            if key not in reached:
                reached.add(key)
                queue.append(key)

    def relate(found: Links) -> None:
        for name in found.names:  # by name: files referring to a name this one defines
            add(lookups.using(name))
        add(lookups.defining(found.words))  # and files defining a name this one refers to
        for selector in found.selectors:  # by labels: files whose labels a selector matches
            wanted = set(selector)
            for key in lookups.labelled(selector):
                if key not in reached and any(
                    wanted.issubset(labels) for labels in lookups.links(key).labels
                ):
                    add((key,))
        for labels in found.labels:  # and files whose selectors match these labels
            pairs = set(labels)
            for pair in labels:
                for key in lookups.selecting(pair):
                    if key not in reached and any(pairs.issuperset(s) for s in lookups.links(key).selectors):
                        add((key,))

    add(start)
    for found in named:
        relate(found)
    while queue:
        found = lookups.links(queue.pop())
        if found.wild:
            return None
        relate(found)
    return reached


class _InMemory(_Lookups):
    """Lookups over the links of every file of a bundle."""

    def __init__(self, files: Sequence[Any], links: dict[Any, Links]) -> None:
        self.links_of = links
        self.by_word: dict[str, list[Any]] = defaultdict(list)  # only words some file defines as a name
        self.by_name: dict[str, list[Any]] = defaultdict(list)
        self.by_label: dict[tuple[str, str], set[Any]] = defaultdict(set)  # label pair -> files carrying it
        self.by_selector: dict[tuple[str, str], list[Any]] = defaultdict(list)
        self.names = names = set()
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for path in files:
            found = links.get(path, WILD)
            names.update(found.names)
            for labels in found.labels:
                for pair in labels:
                    counts[pair] += 1
        for path in files:
            found = links.get(path, WILD)
            for word in found.words & names:
                self.by_word[word].append(path)
            for name in found.names:
                self.by_name[name].append(path)
            for labels in found.labels:
                for pair in labels:
                    self.by_label[pair].add(path)
            for pair in {min(selector, key=counts.__getitem__) for selector in found.selectors}:
                self.by_selector[pair].append(path)  # under its rarest pair: labels look up few selectors

    def links(self, key: Any) -> Links:
        return self.links_of.get(key, WILD)

    def using(self, name: str) -> Iterable[Any]:
        return self.by_word.get(name, ())

    def defining(self, words: frozenset[str]) -> Iterable[Any]:
        return [path for word in words & self.names for path in self.by_name[word]]

    def labelled(self, selector: tuple[tuple[str, str], ...]) -> Iterable[Any]:
        return set.intersection(*(self.by_label.get(pair, _NO_FILES) for pair in selector))

    def selecting(self, pair: tuple[str, str]) -> Iterable[Any]:
        return self.by_selector.get(pair, ())


def related_files(
    files: Sequence[Any], links: dict[Any, Links], seeds: Iterable[Any], spaces: dict[Any, str] | None = None
) -> set[Any]:
    """The files of a bundle (`files`, in the bundle's path order) that the `seeds` (the named
    files) relate to, directly or through each other, plus the kept ones; every file when a
    wild file is among them. `spaces`: the namespace kustomize gives a file's objects, which
    decides where they land as much as their own."""
    start: list[Any] = []
    first: set[tuple[str, str, str]] = set()
    spaces = spaces or {}
    for path in files:
        found = links.get(path, WILD)
        if found.wild:
            return set(files)
        if found.always:
            start.append(path)
        space = spaces.get(path, "")
        for kind, ns in found.places:
            if (kind, ns, space) not in first:
                first.add((kind, ns, space))
                start.append(path)  # the first file of each (kind, namespace): existence questions
    start += [path for path in seeds if path in links or path in files]
    reached = _closure(_InMemory(files, links), start)
    return set(files) if reached is None else reached


# ---------------------------------------------------------------------------- a saved index
# A warm call (project/warm.py) must not decode 500 files' links to find the 5 its named file
# relates to: the warm model keeps, per bundle, the context files' links (encoded, decoded
# only when the closure reaches them) and the lookups of related_files built once.


def index_of(files: Sequence[Any], links: dict[Any, Links], named: set[Any]) -> dict[str, Any]:
    """The saved form of a bundle's relations between its context files (every file but the
    `named` ones, whose links are worked out on every call): numbers are positions in
    `files`."""
    raw: list[Any] = []
    by_word: dict[str, list[int]] = defaultdict(list)
    by_name: dict[str, list[int]] = defaultdict(list)
    by_label: dict[str, list[int]] = defaultdict(list)
    by_selector: dict[str, list[int]] = defaultdict(list)
    keep: list[int] = []
    first: set[tuple[str, str]] = set()
    wild = False
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for path in files:
        for labels in links[path].labels if path in links else ():
            for pair in labels:
                counts[pair] += 1
    for i, path in enumerate(files):
        if path in named:
            raw.append(None)
            continue
        found = links.get(path, WILD)
        raw.append(encode(found))
        wild = wild or found.wild
        kept = found.always
        for place in found.places:  # the first of each (kind, namespace) among context files:
            if place not in first:  # a superset of the first among all files
                first.add(place)
                kept = True
        if kept:
            keep.append(i)
        for word in found.words:
            by_word[word].append(i)
        for name in found.names:
            by_name[name].append(i)
        for pair in {pair for labels in found.labels for pair in labels}:
            by_label[f"{pair[0]}\0{pair[1]}"].append(i)
        for pair in {min(selector, key=counts.__getitem__) for selector in found.selectors}:
            by_selector[f"{pair[0]}\0{pair[1]}"].append(i)  # under its rarest pair
    return {
        "raw": raw, "wild": wild, "keep": keep, "word": by_word, "name": by_name,
        "label": by_label, "selector": by_selector,
    }  # fmt: skip


def related_by_index(files: Sequence[Any], saved: Any, named: dict[Any, Links]) -> set[Any] | None:
    """related_files() for a bundle whose context relations were saved (index_of): the same
    files, or a superset; None when the saved index is not well-formed (then the caller reads
    the whole bundle). `named`: the links of the named files of the bundle, as they are now."""
    try:
        return _related_by_index(files, saved, named)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None


def _ints(value: Any, size: int) -> list[int]:
    if type(value) is not list or not all(type(i) is int and 0 <= i < size for i in value):
        raise ValueError("bad file numbers")
    return value


class _Saved(_Lookups):
    """Lookups over a saved index (index_of): file numbers checked, links decoded on first use."""

    def __init__(self, saved: Any, size: int) -> None:
        self.size = size
        self.raw = saved["raw"]
        self.by_word, self.by_name = saved["word"], saved["name"]
        self.by_label, self.by_selector = saved["label"], saved["selector"]
        if type(self.raw) is not list or len(self.raw) != size:
            raise ValueError("bad index")
        if not all(type(d) is dict for d in (self.by_word, self.by_name, self.by_label, self.by_selector)):
            raise ValueError("bad index")
        self.decoded: dict[int, Links] = {}

    def links(self, key: Any) -> Links:
        found = self.decoded.get(key)
        if found is None:
            raw = self.raw[key]
            found = self.decoded[key] = decode(raw) if raw is not None else None
            if found is None:
                raise ValueError("bad links")
        return found

    def using(self, name: str) -> Iterable[Any]:
        return _ints(self.by_word.get(name, []), self.size)

    def defining(self, words: frozenset[str]) -> Iterable[Any]:
        return [i for word in words for i in _ints(self.by_name.get(word, []), self.size)]

    def labelled(self, selector: tuple[tuple[str, str], ...]) -> Iterable[Any]:
        lists = [_ints(self.by_label.get(f"{key}\0{value}", []), self.size) for key, value in selector]
        return set(lists[0]).intersection(*lists[1:])

    def selecting(self, pair: tuple[str, str]) -> Iterable[Any]:
        return _ints(self.by_selector.get(f"{pair[0]}\0{pair[1]}", []), self.size)


def _related_by_index(files: Sequence[Any], saved: Any, named: dict[Any, Links]) -> set[Any]:
    size = len(files)
    wild, keep = saved["wild"], saved["keep"]
    lookups = _Saved(saved, size)
    if type(wild) is not bool:
        raise ValueError("bad index")
    if wild or any(found.wild for found in named.values()):
        return set(files)
    reached = _closure(lookups, _ints(keep, size), named.values())
    if reached is None:
        return set(files)
    return {files[i] for i in reached} | set(named)


__all__ = [
    "ALWAYS_KINDS", "WILD", "Links", "decode", "encode", "index_of", "links_of",
    "related_by_index", "related_files",
]  # fmt: skip
