"""Network policies that isolate pods for ingress: Kubernetes NetworkPolicy, Cilium
(CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy) and Calico (projectcalico.org
NetworkPolicy, GlobalNetworkPolicy), reduced to one question: does this policy make these pods
(labels, namespace) refuse ingress traffic it does not allow? (And the same question for egress,
read from the other half of each policy.)

Kubernetes: `policyTypes` decides; when absent it always contains Ingress (and Egress only
with an `egress` section), so an egress-only policy is one that lists policyTypes without
Ingress. Cilium: a rule (`spec` or each of `specs`) with an `endpointSelector` isolates the
endpoints it selects in the direction it has rules for (`ingress` / `ingressDeny`), unless
`enableDefaultDeny.ingress` is false. Calico: `types` decides; when absent it is Ingress
unless the policy has only egress rules. A selector we cannot evaluate (a Calico expression
outside the supported grammar, reserved labels whose values the manifest cannot show)
counts as selecting the pods: the rule that uses this stays quiet rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from manifestlint.model import YamlDoc, YMap
from manifestlint.rules.kubernetes.objects import api_group, namespace_of, selector_matches

# Every kind a network policy of one of the three APIs has (filter by API group afterwards).
POLICY_KINDS = (
    "NetworkPolicy",
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "GlobalNetworkPolicy",
)

# Selects(labels, namespace) -> bool
Selects = Callable[[dict[str, Any], str], bool]


@dataclass(slots=True)
class IngressPolicy:
    """One policy (or one rule of a Cilium `specs` list) that isolates pods for ingress."""

    doc: YamlDoc
    namespace: str  # '' when unset, or cluster-wide (then `cluster_wide` is True)
    cluster_wide: bool
    selects: Selects
    # the Kubernetes podSelector, so an index can file the policy by a label it requires
    # (objects.SelectorIndex); None for the other APIs: a candidate for every pod
    selector: Any = None

    def applies_to(self, labels: dict[str, Any], ns: str, compatible: Callable[[str, str], bool]) -> bool:
        if not self.cluster_wide and not compatible(self.namespace, ns):
            return False
        return self.selects(labels, ns)


def is_kubernetes_policy(doc: YamlDoc) -> bool:
    """A networking.k8s.io (or legacy extensions) NetworkPolicy, not Calico's kind of that name."""
    return doc.root.get("kind") == "NetworkPolicy" and api_group(doc.root.get("apiVersion")) in (
        "networking.k8s.io",
        "extensions",
    )


def is_calico(doc: YamlDoc) -> bool:
    return api_group(doc.root.get("apiVersion")).endswith("projectcalico.org")


def is_cilium(doc: YamlDoc) -> bool:
    return api_group(doc.root.get("apiVersion")) == "cilium.io"


def is_policy(doc: YamlDoc) -> bool:
    """A network policy of any of the three APIs (whatever its direction)."""
    kind = doc.root.get("kind")
    if kind == "NetworkPolicy":
        return is_kubernetes_policy(doc) or is_calico(doc)
    if kind == "GlobalNetworkPolicy":
        return is_calico(doc)
    return kind in ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy") and is_cilium(doc)


def is_cluster_wide(doc: YamlDoc) -> bool:
    return doc.root.get("kind") in ("CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy")


def ingress_policies(docs: list[YamlDoc], direction: str = "Ingress") -> list[IngressPolicy]:
    """The policies among `docs` that isolate some pods for ingress (or, with `direction`
    "Egress", for egress: the same reading with the other half of each policy)."""
    out: list[IngressPolicy] = []
    for doc in docs:
        root = doc.root
        if not isinstance(root, YMap):
            continue
        kind = root.get("kind")
        ns = namespace_of(doc, "")
        if is_kubernetes_policy(doc):
            policy = _kubernetes(doc, ns, direction)
            if policy is not None:
                out.append(policy)
        elif kind in ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy") and is_cilium(doc):
            out.extend(_cilium(doc, ns, kind == "CiliumClusterwideNetworkPolicy", direction))
        elif kind in ("NetworkPolicy", "GlobalNetworkPolicy") and is_calico(doc):
            policy = _calico(doc, ns, kind == "GlobalNetworkPolicy", direction)
            if policy is not None:
                out.append(policy)
    return out


# ------------------------------------------------------------------------------ Kubernetes


def kubernetes_isolates_ingress(spec: Any, direction: str = "Ingress") -> bool:
    types = spec.get("policyTypes") if isinstance(spec, dict) else None
    if isinstance(types, list):
        return any(str(t) == direction for t in types)
    if direction == "Egress":
        return isinstance(spec, dict) and "egress" in spec
    return True  # defaulted: Ingress always, plus Egress when an egress section exists


def _kubernetes(doc: YamlDoc, ns: str, direction: str = "Ingress") -> IngressPolicy | None:
    spec = doc.root.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    if not kubernetes_isolates_ingress(spec, direction):
        return None
    selector = spec.get("podSelector")
    selector = selector if isinstance(selector, dict) else {}  # missing or null: every pod
    return IngressPolicy(doc, ns, False, lambda labels, _ns: selector_matches(selector, labels), selector)


# ------------------------------------------------------------------------------ Cilium

_CILIUM_PREFIXES = ("k8s:", "any:", "container:", "reserved:")
_CILIUM_NAMESPACE = "io.kubernetes.pod.namespace"


def _cilium_key(key: Any) -> str:
    text = str(key)
    for prefix in _CILIUM_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _cilium_selects(selector: dict) -> Selects:
    """An endpointSelector: labels with Cilium's source prefixes stripped, the pod namespace as
    `io.kubernetes.pod.namespace`; other reserved `io.cilium.` / `io.kubernetes.` labels
    (service account, cluster) are not known from a manifest and are assumed to match."""
    match = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), dict) else {}
    exprs = selector.get("matchExpressions") if isinstance(selector.get("matchExpressions"), list) else []

    def known(key: str, ns: str) -> bool:
        if key == _CILIUM_NAMESPACE:
            return bool(ns)
        return not key.startswith(("io.cilium.", "io.kubernetes.", "reserved."))

    def selects(labels: dict[str, Any], ns: str) -> bool:
        seen = dict(labels)
        if ns:
            seen[_CILIUM_NAMESPACE] = ns
        plain = {_cilium_key(k): v for k, v in match.items() if known(_cilium_key(k), ns)}
        rest = []
        for expr in exprs:
            if isinstance(expr, dict) and known(_cilium_key(expr.get("key")), ns):
                rest.append({**expr, "key": _cilium_key(expr.get("key"))})
        return selector_matches({"matchLabels": plain, "matchExpressions": rest}, seen)

    return selects


def _cilium(doc: YamlDoc, ns: str, cluster_wide: bool, direction: str = "Ingress") -> list[IngressPolicy]:
    field = direction.lower()
    root = doc.root
    rules = [root["spec"]] if isinstance(root.get("spec"), dict) else []
    if isinstance(root.get("specs"), list):
        rules += [r for r in root["specs"] if isinstance(r, dict)]
    out = []
    for rule in rules:
        selector = rule.get("endpointSelector")
        if not isinstance(selector, dict):
            continue  # a nodeSelector (host policy) or nothing: no pods selected
        deny = rule.get("enableDefaultDeny")
        if isinstance(deny, dict) and deny.get(field) is False:
            continue
        if field not in rule and field + "Deny" not in rule:
            continue  # no rules of this direction: the endpoints' traffic is not restricted
        out.append(IngressPolicy(doc, ns, cluster_wide, _cilium_selects(selector)))
    return out


# ------------------------------------------------------------------------------ Calico


def _calico(doc: YamlDoc, ns: str, cluster_wide: bool, direction: str = "Ingress") -> IngressPolicy | None:
    spec = doc.root.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    types = spec.get("types")
    if isinstance(types, list):
        if not any(str(t) == direction for t in types):
            return None
    elif direction == "Egress":
        if not spec.get("egress"):
            return None  # defaulted: Egress only when the policy has egress rules
    elif spec.get("egress") and not spec.get("ingress"):
        return None  # defaulted to [Egress]: only egress rules
    pod_selector = parse_calico_selector(spec.get("selector", "all()"))
    ns_text = spec.get("namespaceSelector") if cluster_wide else None
    ns_selector = parse_calico_selector(ns_text) if ns_text not in (None, "") else _ALL

    def selects(labels: dict[str, Any], pod_ns: str) -> bool:
        if pod_selector is None or ns_selector is None:
            return True  # not understood: assume it selects (stay quiet)
        if ns_selector is not _ALL:
            if not pod_ns or not ns_selector.references_only({"projectcalico.org/name"}):
                return True  # the namespace's labels are not known from its pods
            if not ns_selector({"projectcalico.org/name": pod_ns}):
                return False
        seen = dict(labels)
        if pod_ns:
            seen["projectcalico.org/namespace"] = pod_ns
        return pod_selector.references_unknown(seen) or pod_selector(seen)

    return IngressPolicy(doc, ns, cluster_wide, selects)


class CalicoSelector:
    """A parsed Calico selector: a predicate over labels that knows which keys it reads."""

    def __init__(self, func: Callable[[dict[str, Any]], bool], keys: frozenset[str]) -> None:
        self.func, self.keys = func, keys

    def __call__(self, labels: dict[str, Any]) -> bool:
        return self.func(labels)

    def references_only(self, keys: set[str]) -> bool:
        return self.keys <= keys

    def references_unknown(self, labels: dict[str, Any]) -> bool:
        """Whether it reads a reserved `projectcalico.org/` label the manifest cannot show."""
        return any(k.startswith("projectcalico.org/") and k not in labels for k in self.keys)


_ALL = CalicoSelector(lambda labels: True, frozenset())

_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\||==|!=|!|\(|\)|\{|\}|,)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<word>[A-Za-z0-9_./\-]+))"
)


def _tokens(text: str) -> list[str] | None:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if found is None or found.end() == pos:
            return None
        out.append(found.group().strip())
        pos = found.end()
    return out


def parse_calico_selector(text: Any) -> CalicoSelector | None:
    """Calico's selector language (`all()`, `has(k)`, `k == 'v'`, `k != 'v'`, `k in {...}`,
    `k not in {...}`, `!`, `&&`, `||`, parentheses); None for anything else."""
    if not isinstance(text, str):
        return None
    tokens = _tokens(text)
    if not tokens:
        return None
    parser = _Parser(tokens)
    try:
        result = parser.parse_or()
    except (IndexError, ValueError):
        return None
    return result if parser.pos == len(tokens) else None


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.tokens[self.pos]
        if expected is not None and token != expected:
            raise ValueError(token)
        self.pos += 1
        return token

    def parse_or(self) -> CalicoSelector:
        left = self.parse_and()
        while self.peek() == "||":
            self.take()
            right = self.parse_and()
            left = CalicoSelector(
                lambda labels, a=left, b=right: a(labels) or b(labels), left.keys | right.keys
            )
        return left

    def parse_and(self) -> CalicoSelector:
        left = self.parse_unary()
        while self.peek() == "&&":
            self.take()
            right = self.parse_unary()
            left = CalicoSelector(
                lambda labels, a=left, b=right: a(labels) and b(labels), left.keys | right.keys
            )
        return left

    def parse_unary(self) -> CalicoSelector:
        if self.peek() == "!":
            self.take()
            inner = self.parse_unary()
            return CalicoSelector(lambda labels: not inner(labels), inner.keys)
        if self.peek() == "(":
            self.take()
            inner = self.parse_or()
            self.take(")")
            return inner
        return self.parse_term()

    def _string(self) -> str:
        token = self.take()
        if len(token) < 2 or token[0] not in "'\"" or token[-1] != token[0]:
            raise ValueError(token)
        return token[1:-1]

    def parse_term(self) -> CalicoSelector:
        word = self.take()
        if word in ("all", "global") and self.peek() == "(":
            self.take("(")
            self.take(")")
            return _ALL
        if word == "has" and self.peek() == "(":
            self.take("(")
            key = self.take()
            self.take(")")
            return CalicoSelector(lambda labels: key in labels, frozenset({key}))
        key = word
        if not re.fullmatch(r"[A-Za-z0-9_./\-]+", key):
            raise ValueError(key)
        op = self.take()
        if op in ("==", "!="):
            value = self._string()
            if op == "==":
                return CalicoSelector(
                    lambda labels: key in labels and str(labels[key]) == value, frozenset({key})
                )
            return CalicoSelector(
                lambda labels: str(labels.get(key)) != value or key not in labels, frozenset({key})
            )
        negate = op == "not"
        if negate:
            op = self.take()
        if op != "in":
            raise ValueError(op)
        self.take("{")
        values = set()
        while self.peek() != "}":
            values.add(self._string())
            if self.peek() == ",":
                self.take()
        self.take("}")
        if negate:
            return CalicoSelector(
                lambda labels: key not in labels or str(labels[key]) not in values, frozenset({key})
            )
        return CalicoSelector(lambda labels: key in labels and str(labels[key]) in values, frozenset({key}))
