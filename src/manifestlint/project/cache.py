"""The context cache (`.manifestlint_cache/` in the project root): what a one-file call needs
of the other files of a large repository, without parsing them again.

A pre-commit call names one file; the rest of the repository is context for the cross-file
rules and the project model. Parsing 5,000 context files took 17 s for a call whose own file
takes 60 ms. The cache keeps, per context file:

- its **facts** (project/facts.py: relevant, app, identities, namespaces, kinds), which the
  project model groups files by; all of them are read on every call (`index-<id>.json`);
- its **documents, pruned**: every key of every object except the few subtrees no cross-file
  rule, project model or project-wide lookup reads (container `env`, `envFrom`, `resources`,
  `volumeMounts`, `lifecycle`; a ConfigMap's or Secret's `data`, `stringData`,
  `binaryData`), each key and value with its span, so they are rebuilt as YamlDoc / YMap /
  YList with the same positions and the rules run unchanged. They are stored in shards, one
  per file (`docs/<hash>.json`), and read only for the files of the bundles holding a named
  file that the named files relate to (project/links.py), plus the rare kinds project-wide
  lookups need: CRDs, ServiceAccounts, role bindings;
- **warm models** (`models/<hash>.json`, project/warm.py): what a repeated call with the same
  named files needs of the project model, keyed by every context file's name, size and
  mtime, so that call reads neither the index nor the other files' entries.

Files whose content the pruning would not describe are never cached and are parsed on every
call: Prometheus rule files and PrometheusRules, Alertmanager configs (and ConfigMaps or
Secrets carrying them), documents nested deeper than MAX_DEPTH, values JSON cannot carry
exactly.

Validity. An entry is used when the file's size, mtime_ns and ctime_ns are the recorded ones, else when
the SHA-256 of its bytes is (a touched file); a file modified within RACY_NS of being
recorded is always checked by its hash (a later write within the file system's timestamp
granularity could keep size and mtime). The whole cache is keyed by the cache format,
manifestlint's version and the size/mtime of manifestlint's own modules, and bound to the
cache folder's (device, inode): a cache committed to a repository, copied from another
checkout or written by another version is ignored and rebuilt, since nobody can predict the
inode of a folder created by someone else's checkout. Each version keeps its own generation of
files in the folder (project/generations.py: other generations pruned by use, age and size),
so two versions called in turn on one repository are both warm. Nothing in it depends on the rules or
the config: which files are context is decided on every call, from the walk.

Safety. The cache reads, writes and removes files only in a folder it marked as its own
(project/cachedir.py: a marker naming the folder's inode), removes only files of its own
naming, and a tree's own `cache-dir` must stay inside the tree (config.py); a shared or
tracked folder gets a cache folder of its own inside it. Plain JSON only (never pickle,
never eval), each value type- and size-checked when
read; paths in it are only ever looked up, never opened (shard names are our own hashes).
A corrupt, truncated, hostile or foreign cache is ignored and rebuilt: a failure found before
the project model is built makes that file a miss, one found after raises CacheInvalid and the
engine runs again without the cache (never a crash, never a finding from bad data). Writes go
to a temporary file renamed over the target (no fsync: a cache torn by a power cut is caught
by the same checks). A read-only tree runs without caching.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from manifestlint.model import Span, YamlDoc, YList, YMap
from manifestlint.project.cachedir import CACHE_DIR_NAME, SUBFOLDERS, claim, locate, removable, subfolder
from manifestlint.project.facts import FileFacts
from manifestlint.project.generations import mark_used, prune, short

FORMAT = 5
MAX_CACHE_FILE = 256 * 1024 * 1024  # bytes: a bigger shard is not ours (a folder of 20,000 files: ~100 MB)
MAX_INDEX_FILE = 64 * 1024 * 1024  # bytes: a bigger index or warm model is not read (20,000 files: ~4 MB)
MAX_DEPTH = 100  # nesting of a cached document (deeper files are parsed every time)
MAX_MODELS = 8  # warm models kept (one per set of named files and state of the repository)
RACY_NS = 3_000_000_000  # a file this recent is always checked by its hash
# Kinds project-wide lookups read from every context file, not just the bundle's: CRDs
# validate custom resources (schema), service accounts and their bindings decide
# k8s-service-account-token-automount, Namespaces' Pod Security labels k8s-pod-security-admission;
# OpenShift's own kinds say the platform, and SCCs, roles and bindings who may run pods as root
# there (project/platform.py).
WHOLE_PROJECT_KINDS = frozenset(
    {"CustomResourceDefinition", "ServiceAccount", "RoleBinding", "ClusterRoleBinding", "Namespace", "Role",
     "ClusterRole", "SecurityContextConstraints", "Route", "DeploymentConfig", "ImageStream", "BuildConfig",
     "Template", "Project"}
)  # fmt: skip
# What no cross-file consumer reads (checked against the project rules of rules/kubernetes/ and
# rules/istio/, rules/kubernetes/singleton.py and netpol.py, project/*, the Docker rules' workloads and
# the project-wide lookups): dropped from cached documents to keep shards small.
_CONTAINER_KEYS_DROPPED = frozenset({"env", "envFrom", "resources", "volumeMounts", "lifecycle"})
_DATA_KEYS_DROPPED = {
    "ConfigMap": frozenset({"data", "binaryData"}),
    "Secret": frozenset({"data", "stringData"}),
}
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_SCALARS = (str, int, float, bool, type(None))
_LINE_MASK = (1 << 29) - 1  # model.py keeps a value's scalar style above this in its end line
_HEX = frozenset("0123456789abcdef")


class CacheInvalid(Exception):
    """Cached data found unusable after the project model was built from it: the engine runs
    the call again without the cache."""


class Uncacheable(Exception):
    """A file whose documents the cache cannot describe exactly."""


# ---------------------------------------------------------------------------- positions
# Rebuilt collections get their positions in the stored form YMap/YList keep (flat 0-based
# marks, model.YMap.from_marks), which the cache's position lists already are. Every rebuilt
# collection goes through _map / _list, the one place to change if that form changes.


def _pos(span: Span) -> tuple[int, int, int, int]:
    return (span.line - 1, span.col - 1, span.end_line - 1, span.end_col - 1)


def _map(items: list[tuple[Any, Any]], marks: list[int]) -> YMap:
    """A YMap of (key, value) in order, with its positions in the stored form (ValueError for a
    key given twice or positions that do not fit)."""
    return YMap.from_marks(items, marks, styled=True)


def _list(items: list[Any], marks: list[int]) -> YList:
    """A YList of values in order, with its positions in the stored form."""
    return YList.from_marks(items, marks)


# ---------------------------------------------------------------------------- encoding
# A document is [index, span, positions, tree]. The tree has no positions: a mapping is
# ["m", key, value, key, value, ...], a sequence ["l", item, ...], anything else a scalar.
# `positions` is a flat list of 0-based ints, one block per collection in pre-order: the
# block is what model's from_marks takes (the collection's own span, then per mapping entry
# the key's and the value's, per sequence item the item's), so it is copied, never rebuilt.


def _prune(doc: YamlDoc) -> dict[int, frozenset[str]]:
    """id(mapping) -> keys left out of it, for this document."""
    from manifestlint.rules.kubernetes.objects import pod_template

    drop: dict[int, frozenset[str]] = {}
    root = doc.root
    data_keys = _DATA_KEYS_DROPPED.get(str(root.get("kind")))
    if data_keys:
        drop[id(root)] = data_keys
    template = pod_template(doc)
    if template is not None:
        for field in _CONTAINER_LISTS:
            items = template.spec.get(field)
            for item in items if isinstance(items, YList) else ():
                if isinstance(item, YMap):
                    drop[id(item)] = _CONTAINER_KEYS_DROPPED
    return drop


def _encode_value(value: Any, positions: list[int], drop: dict[int, frozenset[str]], depth: int) -> Any:
    """The tree of `value`; its positions are appended to `positions` one collection at a time
    (the collection's own block, as from_marks takes it, then its nested collections' in
    order). The hot path of a cold call: a collection's stored positions (model's
    stored_marks, a value's scalar style included) are copied in one go; a mapping with keys
    left out goes key by key."""
    if isinstance(value, YMap):
        if depth > MAX_DEPTH:
            raise Uncacheable("too deep")
        dropped = drop.get(id(value), ())
        stored = None if dropped else value.stored_marks()
        if stored is not None:
            positions += stored
        else:
            line, col, end_line, end_col = value.span
            positions += (line - 1, col - 1, end_line - 1, end_col - 1)
        tree: list[Any] = ["m"]
        nested = []
        key_span, value_span = value.key_span, value.value_span
        for key, item in value.items():
            if dropped and key in dropped:
                continue
            if type(key) not in _SCALARS:
                raise Uncacheable("key type")
            if stored is None:
                line, col, end_line, end_col = key_span(key)
                positions += (line - 1, col - 1, end_line - 1, end_col - 1)
                line, col, end_line, end_col = value_span(key)
                positions += (line - 1, col - 1, end_line - 1, end_col - 1)
            tree.append(key)
            tree.append(item)
            if isinstance(item, (YMap, YList)):
                nested.append(len(tree) - 1)
            else:
                tree[-1] = _scalar(item)
        for at in nested:
            tree[at] = _encode_value(tree[at], positions, drop, depth + 1)
        return tree
    if isinstance(value, YList):
        if depth > MAX_DEPTH:
            raise Uncacheable("too deep")
        stored = value.stored_marks()
        if stored and max(stored) > _LINE_MASK:  # an item's scalar style: from_marks takes none
            stored = list(stored)
            for j in range(2, len(stored), 4):
                stored[j] &= _LINE_MASK
        positions += stored
        tree = ["l"]
        nested = []
        for item in value:
            tree.append(item)
            if isinstance(item, (YMap, YList)):
                nested.append(len(tree) - 1)
            else:
                tree[-1] = _scalar(item)
        for at in nested:
            tree[at] = _encode_value(tree[at], positions, drop, depth + 1)
        return tree
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if type(value) not in _SCALARS:
        raise Uncacheable("value type")
    if type(value) is int and not -(2**63) <= value < 2**63:
        raise Uncacheable("int size")  # JSON carries it, but a 5,000-digit int does not parse back
    return value


def encode_docs(docs: list[YamlDoc]) -> list[Any]:
    """The cached form of a context file's documents; raises Uncacheable."""
    out = []
    for doc in docs:
        if doc.kind != "kubernetes" or not isinstance(doc.root, YMap):
            raise Uncacheable("not a Kubernetes object")  # rule files, Alertmanager configs
        if doc.root.get("kind") == "PrometheusRule":
            raise Uncacheable("rule groups")
        positions: list[int] = []
        tree = _encode_value(doc.root, positions, _prune(doc), 0)
        out.append([doc.index, list(_pos(doc.span)), positions, tree])
    return out


class _Reader:
    """Rebuilds one cached document, checking every type and bound on the way (positions
    were checked as a whole by decode_docs: ints in range; from_marks checks the rest)."""

    __slots__ = ("at", "positions")

    def __init__(self, positions: list[Any]) -> None:
        self.positions = positions
        self.at = 0

    def block(self, size: int) -> list[int]:
        at = self.at
        chunk = self.positions[at : at + size]
        if len(chunk) != size:
            raise ValueError("positions run out")
        self.at = at + size
        return chunk

    def value(self, tree: Any, depth: int) -> Any:
        if type(tree) is not list:
            if type(tree) not in _SCALARS:
                raise ValueError("bad scalar")
            return tree
        if depth > MAX_DEPTH or not tree:
            raise ValueError("bad collection")
        tag = tree[0]
        if tag == "m":
            size = len(tree)
            if size % 2 != 1:
                raise ValueError("odd mapping")
            marks = self.block(4 + 4 * (size - 1))
            items = []
            for i in range(1, size, 2):
                key, value = tree[i], tree[i + 1]
                if type(key) not in _SCALARS:
                    raise ValueError("bad key")
                items.append((key, value))
            for i, (key, value) in enumerate(items):
                if type(value) is list:
                    items[i] = (key, self.value(value, depth + 1))
                elif type(value) not in _SCALARS:
                    raise ValueError("bad scalar")
            return _map(items, marks)
        if tag == "l":
            values = tree[1:]
            marks = self.block(4 + 4 * len(values))
            for i, value in enumerate(values):
                if type(value) is list:
                    values[i] = self.value(value, depth + 1)
                elif type(value) not in _SCALARS:
                    raise ValueError("bad scalar")
            return _list(values, marks)
        raise ValueError("bad tag")


def decode_docs(encoded: Any, path: str) -> list[YamlDoc]:
    """YamlDocs (display path `path`) from their cached form; raises ValueError/TypeError."""
    if type(encoded) is not list:
        raise ValueError("docs")
    out = []
    for item in encoded:
        if type(item) is not list or len(item) != 4:
            raise ValueError("doc")
        index, span, positions, tree = item
        if type(index) is not int or not 0 <= index < 2**31 or type(positions) is not list:
            raise ValueError("doc")
        if type(span) is not list or len(span) != 4:
            raise ValueError("doc span")
        flat = span + positions
        if not _INT.issuperset(map(type, flat)) or (flat and not 0 <= min(flat) <= max(flat) < 2**32):
            raise ValueError("bad position")
        reader = _Reader(flat)
        line, col, end_line, end_col = reader.block(4)
        root = reader.value(tree, 0)
        if reader.at != len(span) + len(positions) or not isinstance(root, YMap):
            raise ValueError("doc shape")
        span = Span(line + 1, col + 1, end_line + 1, end_col + 1)
        out.append(YamlDoc(path, index, root, span, "kubernetes"))
    return out


def _encode_facts(facts: FileFacts) -> list[Any]:
    flat = [part for identity in facts.identities for part in identity]
    return [
        facts.relevant,
        facts.app,
        facts.istio,
        flat,
        sorted(facts.namespaces),
        sorted(facts.kinds),
        facts.partial,
    ]


_STR = frozenset({str})
_INT = frozenset({int})


def _strings(value: Any) -> bool:
    return type(value) is list and _STR.issuperset(map(type, value))


def _decode_facts(value: Any) -> FileFacts | None:
    if type(value) is not list or len(value) != 7:
        return None
    relevant, app, istio, flat, namespaces, kinds, partial = value
    if not (type(relevant) is bool and type(app) is bool and type(istio) is bool and type(partial) is bool):
        return None
    if not (_strings(flat) and len(flat) % 3 == 0 and _strings(namespaces) and _strings(kinds)):
        return None
    identities = tuple(zip(flat[0::3], flat[1::3], flat[2::3], strict=True))
    return FileFacts(relevant, app, identities, frozenset(namespaces), frozenset(kinds), istio, partial)


# ---------------------------------------------------------------------------- the store


def cache_key() -> str:
    """Cache format, version and manifestlint's own modules (size and mtime): a cache
    written by other code is never read."""
    from manifestlint import __version__

    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"{FORMAT}|{__version__}".encode())
    for folder, _, names in sorted(os.walk(package)):
        for name in sorted(names):
            if name.endswith(".py"):
                file = os.path.join(folder, name)
                with contextlib.suppress(OSError):
                    st = os.stat(file)
                    digest.update(f"|{os.path.relpath(file, package)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def _read_json(path: Path) -> Any:
    """A cache file's JSON, or None (missing, a link, not a regular file, too large, not JSON,
    too deep). Opened without blocking: a FIFO planted in its place never hangs the call."""
    from manifestlint.safeio import Unreadable, read_regular

    try:
        if os.path.islink(path):
            return None
        return json.loads(read_regular(path, MAX_INDEX_FILE))  # size-checked before reading
    except (Unreadable, OSError, ValueError, RecursionError):
        return None


def _read_bytes(path: Path) -> bytes | None:
    """A cache file's bytes, or None (missing, a link, not a regular file, too large); never
    blocks on a FIFO planted in its place."""
    from manifestlint.safeio import Unreadable, read_regular

    try:
        return None if os.path.islink(path) else read_regular(path, MAX_CACHE_FILE)
    except (Unreadable, OSError):
        return None


def _write(path: Path, data: bytes) -> None:
    """Atomically: a temporary file in the same folder renamed over the target."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _shard_of(rel: str) -> str:
    """One shard per folder (a shard per file made a cold call over 20,000 files write 20,000
    files); a shard is packed so that reading one file's documents parses only them."""
    folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
    return hashlib.sha256(folder.encode("utf-8", "surrogatepass")).hexdigest()[:20]


# A shard is one line of JSON, {"format", "key", "files": {rel: [sha, start, length]}}, a
# newline, then the files' encoded documents (JSON, UTF-8) one after another: `start` and
# `length` are byte offsets into that body. The header of a 500-file folder is a few KB, so a
# call needing 5 of its files parses 5 documents' JSON, not 5 MB.


def pack_shard(key: str, files: list[tuple[str, str, bytes]]) -> bytes:
    """A shard's bytes from (rel, sha, encoded documents) of each file."""
    body = bytearray()
    index: dict[str, list[Any]] = {}
    for rel, sha, blob in files:
        index[rel] = [sha, len(body), len(blob)]
        body += blob
    head = json.dumps({"format": FORMAT, "key": key, "files": index}, separators=(",", ":"))
    return head.encode("utf-8", "surrogatepass") + b"\n" + bytes(body)


class _Shard:
    """A shard read back: each file's sha and encoded documents (bytes), on demand."""

    __slots__ = ("body", "files")

    def __init__(self, files: dict[str, tuple[str, int, int]], body: bytes) -> None:
        self.files, self.body = files, body

    def get(self, rel: str) -> tuple[str, bytes] | None:
        found = self.files.get(rel)
        if found is None:
            return None
        sha, start, length = found
        return sha, self.body[start : start + length]


_EMPTY_SHARD = _Shard({}, b"")


def unpack_shard(data: bytes | None, key: str) -> _Shard:
    """The shard in `data` when it is one of ours for `key` (every offset within the body),
    else an empty one."""
    if not data:
        return _EMPTY_SHARD
    cut = data.find(b"\n")
    try:
        head = json.loads(data[:cut]) if cut >= 0 else None
    except (ValueError, RecursionError):
        return _EMPTY_SHARD
    if not isinstance(head, dict) or head.get("format") != FORMAT or head.get("key") != key:
        return _EMPTY_SHARD
    index = head.get("files")
    if type(index) is not dict:
        return _EMPTY_SHARD
    body = data[cut + 1 :]
    files: dict[str, tuple[str, int, int]] = {}
    for rel, value in index.items():
        if type(value) is not list or len(value) != 3:
            return _EMPTY_SHARD
        sha, start, length = value
        if type(sha) is not str or type(start) is not int or type(length) is not int:
            return _EMPTY_SHARD
        if not (start >= 0 and length >= 0 and start + length <= len(body)):
            return _EMPTY_SHARD
        files[rel] = (sha, start, length)
    return _Shard(files, body)


class _Entry:
    __slots__ = ("ctime", "facts", "mtime", "racy", "sha", "size")

    def __init__(self, size: int, mtime: int, ctime: int, sha: str, racy: bool, facts: FileFacts) -> None:
        self.size, self.mtime, self.ctime, self.sha, self.racy, self.facts = (
            size,
            mtime,
            ctime,
            sha,
            racy,
            facts,
        )


def _entry(value: Any) -> _Entry | None:
    if type(value) is not list or len(value) != 6:
        return None
    size, mtime, ctime, sha, racy, facts = value
    if type(size) is not int or type(mtime) is not int or type(ctime) is not int or type(racy) is not bool:
        return None
    if not (0 <= size <= 2**62 and 0 <= mtime < 2**63 and 0 <= ctime < 2**63):
        return None
    if type(sha) is not str or len(sha) != 64 or not _HEX.issuperset(sha):
        return None
    decoded = _decode_facts(facts)
    return None if decoded is None else _Entry(size, mtime, ctime, sha, racy, decoded)


class ContextCache:
    """One run's view of the cache folder: lookups, lazy document loads, and what to write."""

    def __init__(self, folder: Path, root: Path, chosen: str | bool = False) -> None:
        self.root = root
        # Only a folder marked as the cache's own is read, written or cleaned (cachedir.py): a
        # tree's own `cache-dir` stays inside the tree, a shared or tracked folder gets a
        # folder of ours inside it, and a symbolic link planted where the cache's folders are
        # (a repository can commit one) means no cache. A folder the user chose may be a link.
        located = locate(folder, bool(chosen))
        self.folder = located[0] if located is not None else folder
        self.ours = located is not None and located[1]
        self.disabled = located is None or any(os.path.islink(self.folder / sub) for sub in SUBFOLDERS)
        self.key = cache_key()
        self.entries: dict[str, _Entry] = {}
        self._raw: dict[str, Any] | None = None  # rel -> raw index value (read on first use)
        self.new_docs: dict[str, str] = {}  # rel -> JSON of the documents recorded this run
        self.shards: dict[str, _Shard] = {}  # shard -> its files, as loaded
        self.dirty: set[str] = set()  # shards to rewrite
        self.index_dirty = False
        self.seen: set[str] = set()
        self.owner: list[int] | None = None
        self.loaded = False  # a valid index of this folder, key and format was read
        self.models_written: set[Path] = set()
        # entries taken from a warm model (trust()): read documents by them, never saved (a
        # warm model does not carry every file's facts)
        self.trusted: dict[str, _Entry] = {}
        if not self.disabled and self.ours:
            with contextlib.suppress(OSError):
                st = os.stat(self.folder)
                self.owner = [st.st_dev, st.st_ino]

    @property
    def raw(self) -> dict[str, Any]:
        """The index's entries, read on first use: a call answered from a warm model
        (load_model) never reads the index of a 20,000-file repository."""
        if self._raw is None:
            self._raw = {}
            self._load()
        return self._raw

    @raw.setter
    def raw(self, value: dict[str, Any]) -> None:
        self._raw = value

    def _load(self) -> None:
        if self.disabled or self.owner is None:
            return
        # The index's name carries the folder's (device, inode) and the key: a cache committed
        # to a repository or copied from elsewhere is never even opened, whatever its size.
        data = _read_json(self._index_file())
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != self.key:
            return
        if data.get("owner") != self.owner or type(data.get("files")) is not dict:
            return  # another checkout's (or a committed) cache
        self._raw = data["files"]
        self.loaded = True
        mark_used(self._index_file())

    def _salt(self) -> str:
        return f"{FORMAT}|{self.key}|{self.owner}"

    def _generation(self) -> str:
        """This cache's generation (project/generations.py): one per version and folder."""
        return hashlib.sha256(self._salt().encode()).hexdigest()[:20]

    def _index_file(self) -> Path:
        return self.folder / f"index-{self._generation()}.json"

    def _shard_file(self, name: str) -> Path:
        """Shard files are named after this folder's owner and key too (never a planted one),
        prefixed with the generation (several versions share the folder)."""
        digest = hashlib.sha256(f"{self._salt()}|{name}".encode()).hexdigest()[:24]
        return self.folder / "docs" / f"{short(self._generation())}-{digest}.json"

    # -- lookups (before the model is built: a bad entry is just a miss)

    def lookup(self, rel: str, abspath: Path, st: os.stat_result | None = None) -> FileFacts | None:
        """The cached facts of a context file when its entry is still valid, else None. `st`:
        the file's stat, when the caller has just taken it."""
        self.seen.add(rel)
        entry = self.entries.get(rel)
        if entry is None:
            entry = _entry(self.raw.get(rel))
            if entry is None:
                return None
            self.entries[rel] = entry
        if st is None:
            try:
                st = os.stat(abspath)
            except OSError:
                return None
        # ctime too: an edit that keeps the size and puts the mtime back (`touch -d`, a tool
        # restoring timestamps) still changes it, and nobody can set it
        same = st.st_size == entry.size and st.st_mtime_ns == entry.mtime and st.st_ctime_ns == entry.ctime
        if same and not entry.racy:
            return entry.facts
        if st.st_size != entry.size:
            return None
        try:
            from manifestlint.safeio import Unreadable, read_regular

            data = read_regular(abspath, entry.size + 1)
        except (Unreadable, OSError):
            return None
        if hashlib.sha256(data).hexdigest() != entry.sha:
            return None
        # touched, or recorded while racy: the same content; remember the new stat
        entry.mtime, entry.ctime, entry.racy = st.st_mtime_ns, st.st_ctime_ns, _racy(st.st_mtime_ns)
        self.index_dirty = True
        return entry.facts

    def trust(self, rel: str, st: os.stat_result, sha: str, facts: FileFacts) -> None:
        """Take a file's entry from a warm model (load_model), whose key already vouches for
        the file's size and mtime: its documents are then read as lookup() would allow."""
        self.trusted[rel] = _Entry(st.st_size, st.st_mtime_ns, st.st_ctime_ns, sha, False, facts)

    # -- warm models: what a repeated call needs of the project model, keyed by everything
    # the model depends on (project/warm_start.py), so a call whose key is known reads neither the
    # index nor any other file's entry

    def _model_file(self, key: str) -> Path:
        digest = hashlib.sha256(f"{self._salt()}|model|{key}".encode()).hexdigest()[:24]
        return self.folder / "models" / f"{short(self._generation())}-{digest}.json"

    def load_model(self, key: str) -> dict[str, Any] | None:
        """The warm model saved under `key` (format and key checked; its content is checked
        by the caller), or None."""
        if self.disabled or self.owner is None:
            return None
        data = _read_json(self._model_file(key))
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
            return None
        model = data.get("model")
        if not isinstance(model, dict):
            return None
        mark_used(self._index_file())  # a warm call reads no index: its generation is in use
        return model

    def save_model(self, key: str, model: dict[str, Any]) -> None:
        """Write a warm model, keeping the MAX_MODELS newest (a model is a few KB per bundle
        file); silently nothing on a read-only tree."""
        if self.disabled:
            return
        with contextlib.suppress(OSError, ValueError, TypeError, RecursionError):
            folder = self._prepare("models")
            target = self._model_file(key)
            payload = {"format": FORMAT, "key": key, "model": model}
            _write(target, json.dumps(payload, separators=(",", ":")).encode())
            self.models_written.add(target)
            kept = sorted(  # this generation's: other versions keep theirs
                (p for p in folder.glob(f"{short(self._generation())}-*.json") if removable(p)),
                key=lambda p: p.stat().st_mtime_ns,
                reverse=True,
            )
            for stale in kept[MAX_MODELS:]:
                if stale != target:
                    with contextlib.suppress(OSError):
                        stale.unlink()

    # -- documents (after the model is built: a bad shard invalidates the run)

    def docs(self, rel: str, display: str) -> list[YamlDoc]:
        """The cached documents of a file lookup() accepted (or trust() took); raises
        CacheInvalid."""
        entry = self.entries.get(rel) or self.trusted.get(rel)
        if entry is None:
            raise CacheInvalid(rel)
        text: str | bytes | None = self.new_docs.get(rel)
        if text is None:
            stored = self._shard(_shard_of(rel)).get(rel)
            if stored is None or stored[0] != entry.sha:
                raise CacheInvalid(rel)
            text = stored[1]
        try:
            return decode_docs(json.loads(text), display)
        except (ValueError, TypeError, RecursionError) as exc:
            raise CacheInvalid(rel) from exc

    def _shard(self, name: str) -> _Shard:
        found = self.shards.get(name)
        if found is None:
            data = _read_bytes(self._shard_file(name)) if self.owner is not None else None
            found = self.shards[name] = unpack_shard(data, self.key)
        return found

    # -- recording

    def record(
        self, rel: str, st: os.stat_result, data: bytes, docs: list[YamlDoc], facts: FileFacts
    ) -> bool:
        """Remember a context file parsed in this run; False when its documents cannot be
        cached. Kept as JSON text: the caller may drop the parsed documents (a cold call over
        20,000 files held 6 GB of them) and read them back through docs() when a bundle
        needs them, as a warm call would."""
        try:  # only JSON's own types come out (big ints refused)
            text = json.dumps(encode_docs(docs), separators=(",", ":"))
        except (Uncacheable, ValueError, TypeError, RecursionError):
            if rel in self.raw or rel in self.entries:
                self.entries.pop(rel, None)
                self.raw.pop(rel, None)
                self.index_dirty = True
            return False
        sha = hashlib.sha256(data).hexdigest()
        self.entries[rel] = _Entry(
            st.st_size, st.st_mtime_ns, st.st_ctime_ns, sha, _racy(st.st_mtime_ns), facts
        )
        self.new_docs[rel] = text
        self.dirty.add(_shard_of(rel))
        self.index_dirty = True
        return True

    def forget(self, rel: str) -> None:
        """A context file that could not be recorded (changed while read): drop its entry."""
        if self.entries.pop(rel, None) is not None or self.raw.pop(rel, None) is not None:
            self.index_dirty = True

    def save(self) -> None:
        """Write changed shards, then the index; silently nothing on a read-only tree."""
        if self._raw is None and not self.index_dirty and not self.dirty:
            return  # the index was never needed (a warm model answered): nothing changed
        for rel in list(self.raw):
            if rel not in self.seen and (not _clean(rel) or not os.path.isfile(self.root / rel)):
                del self.raw[rel]  # deleted (or renamed away): gone from the index
                self.entries.pop(rel, None)
                self.dirty.add(_shard_of(rel))
                self.index_dirty = True
        if self.disabled or (not self.index_dirty and not self.dirty):
            return
        with contextlib.suppress(OSError, ValueError, TypeError, RecursionError):  # read-only, disk full...
            self._save()

    def _prepare(self, sub: str) -> Path:
        """The cache folder claimed (created and marked as ours, with its `.gitignore`) and
        its subfolder `sub` made; OSError when the place is not safe to write. The owner is
        the cache folder's (device, inode), taken once it is ours."""
        if not self.ours:
            claim(self.folder)
            self.ours = True
            st = os.stat(self.folder)
            self.owner = [st.st_dev, st.st_ino]
        return subfolder(self.folder, sub)

    def _save(self) -> None:
        folder = self.folder
        self._prepare("docs")
        files: dict[str, Any] = {}
        for rel, raw in self.raw.items():
            entry = self.entries.get(rel) or _entry(raw)
            if entry is not None:
                files[rel] = entry
        files.update(self.entries)
        by_shard: dict[str, list[str]] = {}
        for rel in files:
            by_shard.setdefault(_shard_of(rel), []).append(rel)
        dropped: set[str] = set()
        written: set[Path] = set()
        for name in sorted(self.dirty):
            parts = []
            for rel in by_shard.get(name, ()):
                entry = files[rel]
                text = self.new_docs.get(rel)
                if text is None:
                    stored = self._shard(name).get(rel)  # read only when something is kept from it
                    if stored is None or stored[0] != entry.sha:
                        dropped.add(rel)  # its documents are gone: the entry goes too
                        continue
                    blob = stored[1]
                else:
                    blob = text.encode("utf-8", "surrogatepass")
                parts.append((rel, entry.sha, blob))
            target = self._shard_file(name)
            _write(target, pack_shard(self.key, parts))
            written.add(target)
        index = {
            rel: [e.size, e.mtime, e.ctime, e.sha, e.racy, _encode_facts(e.facts)]
            for rel, e in files.items()
            if rel not in dropped
        }
        payload = {"format": FORMAT, "key": self.key, "owner": self.owner, "files": index}
        target = self._index_file()
        _write(target, json.dumps(payload, separators=(",", ":")).encode())
        if not self.loaded:  # a new generation: other versions' files pruned by use and size
            written.add(target)
            written |= self.models_written
            prune(folder, short(self._generation()), written)
            self.loaded = True


def _clean(rel: str) -> bool:
    """A relative path below the root as this module writes them (anything else in an index
    was not written by it, and is dropped unread)."""
    parts = rel.split("/")
    return bool(rel) and "\0" not in rel and all(p not in ("", ".", "..") for p in parts)


def _racy(mtime_ns: int) -> bool:
    return mtime_ns >= time.time_ns() - RACY_NS


def cache_folder(root: Path, configured: str | None, cwd: Path) -> tuple[Path, str]:
    """(folder, who chose it: "env", "config" or ""): MANIFESTLINT_CACHE_DIR (relative to the
    working directory), else the config's `cache-dir` (already absolute, inside the project:
    config.py checks it), else `.manifestlint_cache` in the project root."""
    env = os.environ.get("MANIFESTLINT_CACHE_DIR")
    if env:
        return Path(os.path.abspath(cwd / env)), "env"
    if configured:
        return Path(configured), "config"
    return root / CACHE_DIR_NAME, ""


__all__ = [
    "CACHE_DIR_NAME",
    "WHOLE_PROJECT_KINDS",
    "CacheInvalid",
    "ContextCache",
    "cache_folder",
    "decode_docs",
    "encode_docs",
    "pack_shard",
    "unpack_shard",
]
