"""EnvoyFilter patches that Istio ignores or applies in an order nobody chose (istioctl's
IST0151-IST0155): one rule, the operation/applyTo combinations as data."""

from __future__ import annotations

from collections.abc import Iterator

from manifestlint.model import Finding, YamlDoc, YList, YMap, doc_hit
from manifestlint.registry import rule
from manifestlint.rules.istio.common import istio_spec

ROUTE_TARGETS = {"ROUTE_CONFIGURATION", "HTTP_ROUTE"}
REPLACEABLE = {"HTTP_FILTER", "NETWORK_FILTER"}
# Operations positioned against other filters: their result depends on the order filters apply.
RELATIVE = {"INSERT_BEFORE", "INSERT_AFTER", "REPLACE", "REMOVE"}
# (operation, applyTo set, applies when applyTo is in the set?) -> why the patch is ignored
IGNORED = (
    ("ADD", ROUTE_TARGETS, True, "ADD is ignored on {target}: routes are added with a VirtualService"),
    ("REMOVE", ROUTE_TARGETS, True, "REMOVE is ignored on {target}"),
    ("REPLACE", REPLACEABLE, False, "REPLACE works only on HTTP_FILTER and NETWORK_FILTER, not on {target}"),
)


def _patches(spec: YMap) -> Iterator[tuple[YMap, YMap]]:
    items = spec.get("configPatches")
    for item in items if isinstance(items, YList) else ():
        if isinstance(item, YMap) and isinstance(item.get("patch"), YMap):
            yield item, item["patch"]


def _filter_name(item: YMap, patch: YMap) -> str:
    """The filter a patch is about: its value's name, else the listener filter it matches."""
    value = patch.get("value")
    if isinstance(value, YMap) and "name" in value:
        return str(value["name"])
    name = item.path_get("match", "listener", "filterChain", "filter", "name")
    return str(name) if name is not None else ""


def _ignored(operation: str, target: str) -> str | None:
    for op, targets, inside, why in IGNORED:
        if operation == op and (target in targets) == inside:
            return why.format(target=target)
    return None


@rule("istio-envoyfilter-patch", "kubernetes", kinds=("EnvoyFilter",))
def envoyfilter_patch(doc: YamlDoc, ctx) -> Iterator[Finding]:
    """A patch Envoy never sees, or a relative patch whose place depends on the (undefined)
    order in which EnvoyFilters of equal priority apply."""
    spec = istio_spec(doc, "EnvoyFilter")
    if spec is None:
        return
    priority = spec.get("priority")
    versioned: set[str] = set()  # filters an earlier patch of this object matched by proxyVersion
    for item, patch in _patches(spec):
        operation = str(patch.get("operation") or "")
        target = str(item.get("applyTo") or "")
        where = patch.value_span("operation") if "operation" in patch else patch.start()
        name = _filter_name(item, patch)
        why = _ignored(operation, target)
        if why is not None:
            yield doc_hit(doc, where, f"{why}: the patch has no effect")
        elif operation in RELATIVE and not priority:
            if name and name in versioned:
                yield doc_hit(
                    doc,
                    where,
                    f"{operation} on {name} without priority, while another patch of {name} is limited to a "
                    "proxyVersion: after an upgrade the patches apply in another order",
                )
            else:
                yield doc_hit(
                    doc,
                    where,
                    f"{operation} is relative to other filters, and this EnvoyFilter sets no priority: "
                    "its place depends on the order EnvoyFilters are applied",
                )
        if item.path_get("match", "proxy", "proxyVersion"):
            versioned.add(name)
