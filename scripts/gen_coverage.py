"""Write docs/coverage.md: per peer linter, which of its checks our rules cover, from data.

Two sources, both in the repository:

- `rules/peers/<peer>.tsv`: each peer's check list, transcribed from the peer's own sources
  (the commit is in the file's `# source:` line): `check`, the peer's `condition`, `applies`
  (`yes`, `n/a: <why>` for checks a static linter cannot make, `control-plane` for checkov's
  API-server/kubelet flag checks), `rules` (the rules judged to test that condition: `rule`
  the same condition, `~rule` part of it, `+rule` a stricter superset) and a `note`.
- each rule's `references` in `rules/*.yaml`: `<tool> <check>`, `partial: <tool> <check>` or
  `superset: <tool> <check>`.

The coverage is computed from the references; tests/test_coverage.py keeps the two sides equal
(a rule citing a check must be listed in that check's row, next to the peer's condition text,
and the reverse), and this page current. Formula as in the research note: (full + ½ partly) /
applicable checks.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from manifestlint.registry import Registry, load_registry, peer_reference  # noqa: E402

PEERS = ROOT / "rules" / "peers"
OUT = ROOT / "docs" / "coverage.md"
MARKS = {"": "", "~": "partial", "+": "superset"}
SYMBOL = {"": "✓", "superset": "✓", "partial": "½", None: "—"}
# Peer files in the order of the page (Kubernetes, Dockerfile, Istio, Prometheus, Alertmanager).
ORDER = (
    "pss",
    "polaris",
    "kube-linter",
    "kube-score",
    "kubescape",
    "checkov-kubernetes",
    "trivy-kubernetes",
    "hadolint",
    "checkov-dockerfile",
    "trivy-dockerfile",
    "istioctl",
    "pint",
    "promtool",
    "amtool",
)


@dataclass
class Check:
    check: str
    condition: str
    applies: str  # "yes", "n/a: why", "control-plane"
    rules: dict[str, str]  # rule id -> marker ("", "partial", "superset")
    note: str


@dataclass
class Peer:
    name: str  # file stem
    tool: str  # the first word of a reference
    title: str
    source: str
    checks: list[Check] = field(default_factory=list)


def load_peers(folder: Path = PEERS) -> list[Peer]:
    """Every rules/peers/*.tsv, in page order (unknown files last, by name)."""
    files = sorted(
        folder.glob("*.tsv"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.stem)
    )
    return [read_peer(path) for path in files]


def read_peer(path: Path) -> Peer:
    head: dict[str, str] = {}
    checks: list[Check] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep:
                head[key.strip()] = value.strip()
            continue
        if not line.strip() or line.startswith("check\t"):
            continue
        cells = line.split("\t")
        if len(cells) != 5:
            raise ValueError(f"{path}:{number}: {len(cells)} columns, expected 5")
        check, condition, applies, rules, note = cells
        if applies not in ("yes", "control-plane") and not applies.startswith("n/a: "):
            raise ValueError(f"{path}:{number}: applies must be yes, control-plane or 'n/a: why'")
        marked = {}
        for cell in rules.split():
            mark = cell[0] if cell[0] in "~+" else ""
            marked[cell[len(mark) :]] = MARKS[mark]
        checks.append(Check(check, condition, applies, marked, note))
    return Peer(
        path.stem, head.get("tool", path.stem), head.get("title", path.stem), head.get("source", ""), checks
    )


def cited(registry: Registry) -> dict[tuple[str, str], dict[str, str]]:
    """(tool, check) -> {rule id: marker} from every rule's references."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for rule in registry:
        for ref in rule.references:
            ref_cited = peer_reference(ref)
            if ref_cited:
                tool, check, marker = ref_cited
                out.setdefault((tool, check), {})[rule.id] = marker
    return out


def state(rules: dict[str, str]) -> str | None:
    """The best coverage among the citing rules: "" / "superset" (full), "partial", None."""
    if not rules:
        return None
    markers = set(rules.values())
    if "" in markers:
        return ""
    return "superset" if "superset" in markers else "partial"


@dataclass
class Tally:
    checks: int = 0
    na: int = 0
    full: int = 0
    partial: int = 0
    missing: int = 0

    @property
    def applicable(self) -> int:
        return self.full + self.partial + self.missing

    @property
    def percent(self) -> int:
        return round((self.full + 0.5 * self.partial) * 100 / self.applicable) if self.applicable else 0

    def row(self, label: str) -> str:
        cells = (self.checks, self.na, self.applicable, self.full, self.partial, self.missing)
        return f"| {label} | " + " | ".join(str(c) for c in cells) + f" | {self.percent}% |"


def tally(peer: Peer, refs: dict[tuple[str, str], dict[str, str]], control_plane: bool = True) -> Tally:
    out = Tally()
    for check in peer.checks:
        if check.applies == "control-plane" and not control_plane:
            continue
        out.checks += 1
        if check.applies.startswith("n/a"):
            out.na += 1
            continue
        found = state(refs.get((peer.tool, check.check), {}))
        if found is None:
            out.missing += 1
        elif found == "partial":
            out.partial += 1
        else:
            out.full += 1
    return out


def _rules_cell(rules: dict[str, str]) -> str:
    suffix = {"": "", "partial": " (part)", "superset": " (stricter)"}
    return ", ".join(f"`{rule}`{suffix[mark]}" for rule, mark in sorted(rules.items())) or "—"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def render(peers: list[Peer], registry: Registry) -> str:
    refs = cited(registry)
    enabled = {rule.id for rule in registry if rule.enabled}
    refs_on = {key: {r: m for r, m in rules.items() if r in enabled} for key, rules in refs.items()}
    lines = [
        "# Coverage of peer linters' checks",
        "",
        "Generated by `scripts/gen_coverage.py` (run by `scripts/gen_docs.py`) from each rule's",
        "`references` in `rules/*.yaml` and the peers' check lists in `rules/peers/*.tsv`, which were",
        "transcribed from the peers' own sources (commit in each section). Do not edit by hand.",
        "",
        "✓ = a rule reports the same condition (with its default configuration or a documented",
        "option), or a stricter one (*stricter*); ½ = a rule reports part of the condition (the note",
        "says which part is missing); — = no rule; n/a = not checkable in static files (needs a live",
        "cluster, registry, cloud API or CVE data) or aimed at an object Kubernetes removed.",
        "**Coverage = (✓ + ½·0.5) / applicable checks.** A peer's suppression comment or annotation",
        "silences our rule only where the rule reports the same condition or part of it (never a",
        "*stricter* one). *On by default* counts only the rules enabled without configuration",
        "(options of those rules still count, as in the research; off-by-default house rules do not).",
        "",
        "| Peer | Checks | n/a | Applicable | ✓ | ½ | — | Coverage | On by default |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total = Tally()
    for peer in peers:
        counted = tally(peer, refs)
        default = tally(peer, refs_on).percent
        lines.append(counted.row(f"[{peer.title}](#{_anchor(peer.title)})") + f" {default}% |")
        if any(c.applies == "control-plane" for c in peer.checks):
            without = tally(peer, refs, control_plane=False)
            default = tally(peer, refs_on, control_plane=False).percent
            lines.append(without.row("↳ without the control-plane flag checks") + f" {default}% |")
        for name in ("checks", "na", "full", "partial", "missing"):
            setattr(total, name, getattr(total, name) + getattr(counted, name))
    lines.append(total.row("**All peers**") + " |")
    for peer in peers:
        lines += _section(peer, refs)
    return "\n".join(lines) + "\n"


def _anchor(title: str) -> str:
    keep = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -")
    return keep.replace(" ", "-")


def _section(peer: Peer, refs: dict[tuple[str, str], dict[str, str]]) -> list[str]:
    counted = tally(peer, refs)
    lines = [
        "",
        f"## {peer.title}",
        "",
        f"Source: {peer.source}. {counted.applicable} applicable of {counted.checks}: "
        f"{counted.full} ✓, {counted.partial} ½, {counted.missing} — → **{counted.percent}%**.",
        "",
        "| Check | Condition | | Rules | Note |",
        "|---|---|:-:|---|---|",
    ]
    for check in peer.checks:
        rules = refs.get((peer.tool, check.check), {})
        if check.applies.startswith("n/a"):
            mark, note = "n/a", check.applies[5:]
        else:
            mark, note = SYMBOL[state(rules)], check.note
            if check.applies == "control-plane":
                note = "control-plane flag check" + (f"; {note}" if note else "")
        cells = (f"`{check.check}`", _escape(check.condition), mark, _rules_cell(rules), _escape(note))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    OUT.write_text(render(load_peers(), load_registry()), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
