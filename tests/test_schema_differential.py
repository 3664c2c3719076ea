"""The fast schema walk against `jsonschema`, the reference: same problems on corpus objects.

Two references:
- Istio and Prometheus Operator kinds: the ORIGINAL `openAPIV3Schema` of their CRDs
  (../shared/schemas-src), turned into JSON Schema with the API server's structural rules
  (fields not in `properties` are pruned: additionalProperties false unless
  x-kubernetes-preserve-unknown-fields; x-kubernetes-int-or-string is integer-or-string).
  This checks the generator and the walk together.
- Kubernetes built-in kinds: the shipped compact table written back as JSON Schema (the raw
  kubernetes-validate files are a dev-time download), with our formats expressed as JSON Schema
  bounds and patterns. This checks the walk's semantics against jsonschema's.

Problems are compared as sets of (kind of problem, path). Constraints the walk deliberately
does not check (oneOf/not mutual exclusions, lengths, item counts, CEL rules) are not asked of
the reference either. `metadata` is left out (the CRDs' own `metadata: {type: object}` is not
what the API server applies).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from manifestlint.classify import document_kind
from manifestlint.model import YList, YMap
from manifestlint.parse.yaml import parse_stream
from manifestlint.schema import validate as v
from manifestlint.schema.catalog import Catalog, _kubernetes
from manifestlint.templating import is_placeholder

DIRS = ["freeagentics/k8s", "kube-prometheus/manifests", "kubernetes-examples", "istio/samples"]
SKIP_KEYWORDS = {
    "oneOf", "anyOf", "allOf", "not", "maxLength", "minLength", "maxItems", "minItems",
    "maxProperties", "minProperties", "x-kubernetes-validations", "uniqueItems", "format",
}  # fmt: skip


# ---------------------------------------------------------------- reference schemas


def structural(schema: Any) -> Any:
    """A CRD openAPIV3Schema as the API server applies it, in plain JSON Schema."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in SKIP_KEYWORDS or key.startswith("x-kubernetes-") or key in ("description", "nullable"):
            continue
        if key == "properties":
            out[key] = {name: structural(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = structural(value)
        else:
            out[key] = value
    if schema.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
    keep = schema.get("x-kubernetes-preserve-unknown-fields")
    if out.get("type") == "object" and "additionalProperties" not in out and not keep:
        out["additionalProperties"] = False
    return out


PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
PORT_NAME = {
    "type": "string",
    "maxLength": 15,
    "pattern": r"^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
}
QUANTITY = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$"
TYPES = {"object": "object", "array": "array", "string": "string", "integer": "integer",
         "number": "number", "boolean": "boolean", "int-or-string": ["integer", "string"],
         "quantity": ["number", "string"]}  # fmt: skip


def from_compact(node: Any) -> dict:
    """The shipped compact table as JSON Schema ($ref into #/$defs for named types)."""
    if isinstance(node, str):
        return {"$ref": f"#/$defs/{node}"}
    out: dict[str, Any] = {}
    if "t" in node:
        out["type"] = TYPES[node["t"]]
    if "p" in node:
        out["properties"] = {k: from_compact(sub) for k, sub in node["p"].items()}
    if "r" in node:
        out["required"] = node["r"]
    if node.get("a") is True or node.get("u"):
        pass
    elif isinstance(node.get("a"), (dict, str)):
        out["additionalProperties"] = from_compact(node["a"])
    elif "p" in node or node.get("t") == "object":
        out["additionalProperties"] = False
    if "i" in node:
        out["items"] = from_compact(node["i"])
    if "e" in node:
        out["enum"] = node["e"]
    fmt = node.get("f")
    if fmt == "int32":
        out.update(minimum=-(2**31), maximum=2**31 - 1)
    elif fmt == "int64":
        out.update(minimum=-(2**63), maximum=2**63 - 1)
    elif fmt == "quantity":
        out["pattern"] = QUANTITY
    elif fmt in ("port", "port-or-zero"):
        out.update(PORT, minimum=0 if fmt == "port-or-zero" else 1)
    elif fmt == "port-name":
        out.update(PORT_NAME)
    elif fmt == "byte":
        out["pattern"] = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
    elif fmt == "port-or-name":
        out["if"] = {"type": "integer"}
        out["then"] = PORT
        out["else"] = PORT_NAME
    if "x" in node:
        out["pattern"] = node["x"]
    if "lo" in node:
        out["minimum"] = node["lo"]
    if "hi" in node:
        out["maximum"] = node["hi"]
    return out


# ---------------------------------------------------------------- the comparison


_TYPE_CHECKER = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "integer",
    lambda _checker, value: type(value) is int,  # Go refuses 1.0 for an int field
)
Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_TYPE_CHECKER)


def plain(value: Any, top: bool = True) -> Any:
    """YMap/YList -> dict/list without nulls (null means "not set" to the API server) and
    without the object's own metadata."""
    if isinstance(value, dict):
        return {
            k: plain(sub, False)
            for k, sub in value.items()
            if sub is not None and not (top and k == "metadata")
        }
    if isinstance(value, list):
        return [plain(sub, False) for sub in value if sub is not None]
    return value


_VALIDATORS: dict[int, Any] = {}


def reference_problems(instance: Any, schema: dict) -> set[tuple[str, tuple]]:
    out = set()
    validator = _VALIDATORS.get(id(schema))
    if validator is None:
        validator = _VALIDATORS[id(schema)] = Validator(schema)
    for error in validator.iter_errors(instance):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            known = set(error.schema.get("properties", {}))
            out |= {(v.UNKNOWN, (*path, key)) for key in error.instance if key not in known}
        elif error.validator == "type":
            out.add((v.TYPE, path))
        elif error.validator in ("enum", "pattern", "minimum", "maximum", "maxLength"):
            out.add((v.VALUE, path))
        elif error.validator == "required":
            out.add((v.REQUIRED, (*path, error.message.split("'")[1])))
    typed = {p for kind, p in out if kind == v.TYPE}
    return {(kind, p) for kind, p in out if kind == v.TYPE or p not in typed}


def same(ours: set, reference: set) -> bool:
    """Equal, but for the one deliberate difference: a required field whose misspelling is
    present is reported once, as the misspelling (schema-unknown-field), not also as missing."""
    typos = {(p[:-1], p[-1]) for kind, p in ours if kind == v.UNKNOWN and isinstance(p[-1], str)}
    excused = {
        (kind, p) for kind, p in reference - ours
        if kind == v.REQUIRED and any(parent == p[:-1] and v.suggest(k, [p[-1]]) for parent, k in typos)
    }  # fmt: skip
    return ours == reference - excused


def flat(path: tuple) -> tuple:
    parts: list[Any] = []
    while path:
        path, step = path
        parts.append(step)
    return tuple(reversed(parts))


def our_problems(root: YMap, node: v.Node) -> set[tuple[str, tuple]]:
    walker = v.Walker()
    walker.mapping(root, node, ())
    return {
        (kind, flat(path)) for kind, _h, _k, _m, path in walker.problems if flat(path)[:1] != ("metadata",)
    }


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_placeholder(k) or _has_placeholder(sub) for k, sub in value.items())
    if isinstance(value, list):
        return any(_has_placeholder(sub) for sub in value)
    # templating.py's predicate: text still to be substituted is not judged by either side
    return isinstance(value, str) and (is_placeholder(value) or value.startswith("<complex key"))


def corpus_objects(corpus: Path) -> list[tuple[str, YMap]]:
    out = []
    for folder in DIRS:
        for path in sorted((corpus / folder).rglob("*.y*ml")):
            docs = parse_stream(path.read_text(encoding="utf-8", errors="replace"), str(path))[0]
            for doc in docs:
                root = doc.root
                if (
                    isinstance(root, YMap)
                    and document_kind(root) == "kubernetes"
                    and not _has_placeholder(root)
                ):
                    out.append((str(path.relative_to(corpus)), root))
    return out


def crd_originals(shared: Path) -> dict[str, dict]:
    out = {}
    sources = [
        shared / "istio" / "crd-all.gen.yaml",
        *sorted((shared / "prometheus-operator").glob("0*.yaml")),
    ]
    for src in sources:
        for doc in parse_stream(src.read_text(encoding="utf-8"), str(src))[0]:
            spec = doc.root["spec"]
            for version in spec["versions"]:
                schema = structural(version["schema"]["openAPIV3Schema"])
                schema.setdefault("properties", {}).pop("metadata", None)
                schema["properties"].update(apiVersion={"type": "string"}, kind={"type": "string"})
                out[f"{spec['group']}/{version['name']}|{spec['names']['kind']}"] = schema
    return out


@pytest.fixture(scope="module")
def objects(corpus: Path) -> list[tuple[str, YMap]]:
    return corpus_objects(corpus)


@pytest.fixture(scope="module")
def originals(corpus: Path) -> dict[str, dict]:
    shared = corpus.parent / "schemas-src"
    if not shared.is_dir():
        pytest.skip("../shared/schemas-src (the upstream CRDs) is not present")
    return crd_originals(shared)


def test_crd_kinds_agree_with_jsonschema_on_the_original_crds(objects, originals) -> None:
    catalog = Catalog("1.33")
    compared = 0
    for where, root in objects:
        gvk = f"{root.get('apiVersion')}|{root.get('kind')}"
        if gvk not in originals:
            continue
        node, _source = catalog.lookup(str(root["apiVersion"]), str(root["kind"]))
        assert node is not None, gvk
        ours = our_problems(root, node)
        reference = reference_problems(plain(root), originals[gvk])
        assert ours == reference, where
        compared += 1
    assert compared >= 100  # Istio samples, kube-prometheus, FreeAgentics


def test_builtin_kinds_agree_with_jsonschema(objects) -> None:
    data = _kubernetes("1.33")
    defs = {name: from_compact(node) for name, node in data["types"].items()}
    catalog = Catalog("1.33")
    compared = found = 0
    for where, root in objects:
        gvk = f"{root.get('apiVersion')}|{root.get('kind')}"
        if gvk not in data["kinds"]:
            continue
        node, _source = catalog.lookup(str(root["apiVersion"]), str(root["kind"]))
        schema = {"$defs": defs, **from_compact(data["types"][data["kinds"][gvk]])}
        schema["properties"].pop("metadata", None)
        ours = our_problems(root, node)
        reference = reference_problems(plain(root), schema)
        assert ours == reference, where
        compared += 1
        found += len(ours)
    # the corpus has a few real problems (a fifth, fc.yaml's `lun: '<ADD LUN ID Here>'`, is a
    # sample's blank: templating.py leaves it alone)
    assert compared >= 500 and found >= 4


def test_yaml_typing_is_shared(tmp_path: Path) -> None:
    """Both sides read the same values: a quoted "3" is a string, plain yes a boolean."""
    root = parse_stream("a: '3'\nb: yes\nc: 1.0\n", "x.yaml")[0][0].root
    assert isinstance(root, YMap) and not isinstance(root["a"], YList)
    assert plain(root) == {"a": "3", "b": True, "c": 1.0}


def _rebuild(value: Any) -> Any:
    """A deep copy made of plain YMap/YList (the walk reads keys and values only)."""
    if isinstance(value, dict):
        out = YMap()
        out.update((k, _rebuild(sub)) for k, sub in value.items())
        return out
    if isinstance(value, list):
        return YList(_rebuild(sub) for sub in value)
    return value


def mutate(root: YMap, rnd) -> YMap:
    """One random edit of the kind authors make: a typo'd key, a quoted number, a wrong word,
    a deleted field, a list where a scalar belongs."""
    copy_ = _rebuild(root)
    maps: list[YMap] = []

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            maps.append(value)
            for key, sub in value.items():
                if key != "metadata":
                    collect(sub)
        elif isinstance(value, list):
            for sub in value:
                collect(sub)

    collect(copy_)
    target = rnd.choice(maps[1:] or maps)
    keys = [k for k in target if target[k] is not None]
    if not keys:
        return copy_
    key = rnd.choice(keys)
    op = rnd.randrange(5)
    if op == 0:
        target[str(key) + "x"] = target.pop(key)
    elif op == 1 and type(target[key]) in (int, bool):
        target[key] = str(target[key]).lower()
    elif op == 2 and isinstance(target[key], str):
        target[key] = "Bogus_Value"
    elif op == 3:
        del target[key]
    else:
        target[key] = YList([1])
    return copy_


def test_mutated_objects_agree_with_jsonschema(objects) -> None:
    """The corpus has few problems: mutate its objects so every kind of problem is compared."""
    import random

    rnd = random.Random(11)
    data = _kubernetes("1.33")
    defs = {name: from_compact(node) for name, node in data["types"].items()}
    catalog = Catalog("1.33")
    schemas: dict[str, dict] = {}
    seen: dict[str, int] = {}
    for where, root in objects:
        gvk = f"{root.get('apiVersion')}|{root.get('kind')}"
        if gvk not in data["kinds"]:
            continue
        node, _source = catalog.lookup(str(root["apiVersion"]), str(root["kind"]))
        if gvk not in schemas:
            schemas[gvk] = {"$defs": defs, **from_compact(data["types"][data["kinds"][gvk]])}
            schemas[gvk]["properties"].pop("metadata", None)
        for _ in range(3):
            changed = mutate(root, rnd)
            ours = our_problems(changed, node)
            reference = reference_problems(plain(changed), schemas[gvk])
            assert same(ours, reference), (where, ours ^ reference)
            for kind, _path in ours:
                seen[kind] = seen.get(kind, 0) + 1
    assert set(seen) == {v.UNKNOWN, v.TYPE, v.VALUE, v.REQUIRED}, seen


def test_mutated_custom_resources_agree_with_the_original_crds(objects, originals) -> None:
    import random

    rnd = random.Random(7)
    catalog = Catalog("1.33")
    seen: dict[str, int] = {}
    for where, root in objects:
        gvk = f"{root.get('apiVersion')}|{root.get('kind')}"
        if gvk not in originals:
            continue
        node, _source = catalog.lookup(str(root["apiVersion"]), str(root["kind"]))
        for _ in range(5):
            changed = mutate(root, rnd)
            ours = our_problems(changed, node)
            reference = reference_problems(plain(changed), originals[gvk])
            assert same(ours, reference), (where, ours ^ reference)
            for kind, _path in ours:
                seen[kind] = seen.get(kind, 0) + 1
    assert {v.UNKNOWN, v.TYPE, v.VALUE} <= set(seen), seen
