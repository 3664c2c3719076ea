"""JSON Schema / OpenAPI v3 -> the compact node format the validator walks.

Used twice: by scripts/gen_schemas.py for the shipped schemas, and at run time for the
CustomResourceDefinitions found in the linted project (their `openAPIV3Schema` validates
the project's own custom resources). The node format is documented in scripts/gen_schemas.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

TYPE_WORDS = {"object", "array", "string", "integer", "number", "boolean"}


def _types(schema: dict) -> list[str]:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    return [k for k in kinds if isinstance(k, str) and k in TYPE_WORDS]


def compact(schema: Any, ref_name: Callable[[str], Any]) -> Any:
    """One JSON-Schema / OpenAPI node -> the compact node format (module docstring)."""
    if not isinstance(schema, dict):
        return {}
    if "$ref" in schema:
        return ref_name(schema["$ref"])
    out: dict[str, Any] = {}
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    types = _types(schema)
    if schema.get("x-kubernetes-int-or-string"):
        out["t"] = "int-or-string"
    elif alternatives and not types and all(set(a) <= {"type"} for a in alternatives):
        alt = {t for a in alternatives for t in _types(a)}
        if alt == {"string", "integer"}:
            out["t"] = "int-or-string"
        elif alt == {"string", "number"}:
            out["t"] = "quantity"
    elif len(types) == 1:
        out["t"] = types[0]
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        out["u"] = 1
    props = schema.get("properties")
    if isinstance(props, dict) and props:
        out["p"] = {
            name: compact(sub, ref_name) for name, sub in sorted(props.items()) if isinstance(name, str)
        }
    required = schema.get("required")
    if isinstance(required, list) and required:
        out["r"] = sorted(name for name in required if isinstance(name, str))
    extra = schema.get("additionalProperties")
    if extra is True or (isinstance(extra, dict) and not extra):
        out["a"] = True
    elif isinstance(extra, dict):
        out["a"] = compact(extra, ref_name)
    items = schema.get("items")
    if isinstance(items, dict):
        out["i"] = compact(items, ref_name)
    if isinstance(schema.get("enum"), list):
        out["e"] = schema["enum"]
    fmt = schema.get("format")
    if fmt in ("int32", "int64", "byte", "date-time"):
        out["f"] = fmt
    if isinstance(schema.get("pattern"), str):
        out["x"] = schema["pattern"]
    if isinstance(schema.get("minimum"), (int, float)):
        out["lo"] = schema["minimum"]
    if isinstance(schema.get("maximum"), (int, float)):
        out["hi"] = schema["maximum"]
    return out


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def crd_kinds(crd: dict) -> dict[str, Any]:
    """`group/version|Kind` -> compact schema of every served version of one CRD.

    apiextensions v1beta1 CRDs keep unknown fields unless `preserveUnknownFields: false`
    (v1 always prunes them), so their unknown fields are not reported."""
    spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
    group, kind = spec.get("group"), _get(spec, "names", "kind")
    if not isinstance(group, str) or not isinstance(kind, str):
        return {}
    preserve = spec.get("preserveUnknownFields", str(crd.get("apiVersion")).endswith("v1beta1")) is True
    shared = _get(spec, "validation", "openAPIV3Schema")
    versions = spec.get("versions") if isinstance(spec.get("versions"), list) else []
    if not versions and isinstance(spec.get("version"), str):
        versions = [{"name": spec["version"]}]
    out = {}
    for version in versions:
        schema = _get(version, "schema", "openAPIV3Schema") or shared
        if (
            not isinstance(version, dict)
            or version.get("served", True) is False
            or not isinstance(schema, dict)
        ):
            continue
        out[f"{group}/{version.get('name')}|{kind}"] = compact_crd(schema, preserve)
    return out


def _keep_unknown(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("t", "object") == "object":
            node["u"] = 1
        for sub in (node.get("p") or {}).values():
            _keep_unknown(sub)
        _keep_unknown(node.get("i"))
        _keep_unknown(node.get("a"))


def compact_crd(schema: dict, preserve: bool = False) -> dict:
    """A CRD version's schema; `metadata` is always ObjectMeta (the API server's own)."""
    node = compact(schema, lambda ref: {})
    if preserve:
        _keep_unknown(node)
    if not set(node.get("p", {})) - {"apiVersion", "kind", "metadata"}:
        # `openAPIV3Schema: {type: object}`: a stub CRD (test setups, dry runs) that says
        # nothing about the object's fields; the API server would prune them all, but
        # reporting every field of every such object is noise, not a finding.
        node["u"] = 1
    props = node.setdefault("p", {})
    props["apiVersion"] = {"t": "string"}
    props["kind"] = {"t": "string"}
    props["metadata"] = OBJECT_META
    return node
