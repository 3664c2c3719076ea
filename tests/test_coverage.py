"""docs/coverage.md is generated and current, and every peer check a rule cites is one that
tests the same condition (issue 20, item 6: a peer's suppression must silence only that).

The peers' check lists (rules/peers/*.tsv) record, next to each peer's own condition text,
which rules were judged to test it; a rule's `references` must say exactly the same, so a
reference cannot be added (or a rule changed) without looking at the peer's condition."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import gen_coverage  # noqa: E402

from manifestlint.registry import PEER_TOOLS, load_registry, peer_reference  # noqa: E402
from manifestlint.suppress import other_tools_map  # noqa: E402


def test_coverage_page_is_current() -> None:
    expected = gen_coverage.render(gen_coverage.load_peers(), load_registry())
    assert (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8") == expected, (
        "docs/coverage.md is stale: run scripts/gen_docs.py"
    )


def test_every_peer_file_names_a_known_tool_and_unique_checks() -> None:
    seen: set[tuple[str, str]] = set()
    for peer in gen_coverage.load_peers():
        assert peer.tool in PEER_TOOLS, peer.name
        assert peer.source, f"{peer.name}: no '# source:' line"
        for check in peer.checks:
            key = (peer.tool, check.check)
            assert key not in seen, f"{key} listed twice"
            assert " " not in check.check and check.condition, key
            seen.add(key)


def test_references_and_peer_rows_agree() -> None:
    """Each cited peer check exists and lists the rule with the same marker, and the reverse."""
    registry = load_registry()
    rows = {
        (peer.tool, check.check): check.rules for peer in gen_coverage.load_peers() for check in peer.checks
    }
    problems = []
    for rule in registry:
        for ref in rule.references:
            cited = peer_reference(ref)
            if cited is None:
                first = ref.split(" ", 1)[0].rstrip(":")
                if first in PEER_TOOLS or first in ("partial", "superset"):
                    problems.append(f"{rule.id}: unreadable peer reference {ref!r}")
                continue
            tool, check, marker = cited
            if (tool, check) not in rows:
                problems.append(f"{rule.id}: cites {tool} {check}, which is not in rules/peers/")
            elif rows[(tool, check)].get(rule.id) != marker:
                problems.append(
                    f"{rule.id}: cites {ref!r}, but rules/peers/ lists "
                    f"{rows[(tool, check)] or 'no rule'} for that check"
                )
    cited_by = gen_coverage.cited(registry)
    for (tool, check), rules in rows.items():
        for rule_id, marker in rules.items():
            if rule_id not in registry:
                problems.append(f"rules/peers: {tool} {check} names unknown rule {rule_id}")
            elif cited_by.get((tool, check), {}).get(rule_id) != marker:
                problems.append(
                    f"rules/peers: {tool} {check} lists {rule_id}, whose references do not cite it so"
                )
    assert not problems, "\n".join(problems)


def test_rules_that_cited_other_conditions_no_longer_do() -> None:
    """checkov CKV_K8S_35 asks for secrets as files (it flags secretKeyRef), the opposite of a
    literal secret in env; Polaris insecureCapabilities and kube-linter drop-net-raw-capability
    are about not dropping capabilities, not about adding dangerous ones."""
    registry = load_registry()
    assert "checkov CKV_K8S_35" not in registry.get("k8s-secret-in-env").references
    dangerous = {peer_reference(r)[:2] for r in registry.get("k8s-dangerous-capabilities").references}
    assert ("polaris", "insecureCapabilities") not in dangerous
    assert ("kube-linter", "drop-net-raw-capability") not in dangerous


def test_superset_references_do_not_honour_peer_suppressions() -> None:
    """Our rule reports more than checkov CKV_K8S_28 (NET_RAW): drop ALL. A skip of the narrower
    check must not hide the rest; a check our rule tests as stated keeps working."""
    mapping = other_tools_map(load_registry())
    assert "k8s-capabilities-not-dropped" not in mapping.get(("checkov", "CKV_K8S_28"), ())
    assert "k8s-capabilities-not-dropped" in mapping[("checkov", "CKV_K8S_37")]
    assert "k8s-host-path-mount" in mapping[("polaris", "hostPathSet")]  # partial: ours is within it


def test_percentages_follow_the_formula() -> None:
    tally = gen_coverage.Tally(checks=20, na=2, full=9, partial=5, missing=4)
    assert tally.applicable == 18
    assert tally.percent == round((9 + 2.5) * 100 / 18)
