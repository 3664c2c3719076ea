"""Rule documentation generated from rule metadata (and the rule's fixtures, in the docs).

One source for `manifestlint explain`, `manifestlint rules`, `docs/rules/*.md` and SARIF
help text, so they cannot drift apart."""

from __future__ import annotations

import json
import re
from pathlib import Path

from manifestlint.model import Severity
from manifestlint.registry import Registry, Rule, peer_reference

FIX_TEXT = {
    "safe": "safe, applied by `manifestlint lint --fix` (`--diff` shows it first)",
    "unsafe": "unsafe (may change behaviour), applied by `--fix --unsafe-fixes` only",
}


def rule_page(rule: Rule, examples: list[tuple[str, str, str]] | None = None) -> str:
    """Markdown page; `examples` are (label, language, text) pairs from the rule's fixtures."""
    lines = [
        f"# {rule.id}",
        "",
        f"**{rule.title}**",
        "",
        f"- Default severity: `{rule.severity.label}`",
        f"- Enabled by default: {'yes' if rule.enabled else 'no'}",
        f"- Applies to: {rule.scope if rule.scope != 'engine' else 'any file of its type (engine)'}",
        f"- Tags: {', '.join(rule.tags) or '-'}",
    ]
    if rule.fixable:
        lines.append(f"- Fix: {FIX_TEXT[rule.fixable]}")
    if rule.security_severity is not None:
        lines.append(f"- Security severity: {rule.security_severity:.1f}")
    if rule.checklist:
        lines.append(f"- Checklist item(s): {'; '.join(rule.checklist)}")
    lines += ["", "## Why is this bad?", "", rule.rationale]
    if rule.severity_evidence:
        lines += ["", "## Severity and evidence", "", rule.severity_evidence]
    lines += ["", "## How to fix it", "", rule.fix]
    if rule.options:
        lines += ["", "## Options", ""]
        for opt in rule.options:
            lines.append(f"- `{opt.name}` (default `{json.dumps(opt.default)}`): {opt.description}")
    for label, lang, text in examples or ():
        lines += ["", f"## {label}", "", f"```{lang}", text.rstrip("\n"), "```"]
    lines += [
        "",
        "## Suppressing it",
        "",
        f"- One line or block: `# manifestlint: disable={rule.id}` on the line before (or at its end).",
        f"- One file: `# manifestlint: disable-file={rule.id}`.",
        f'- One Kubernetes object: annotation `manifestlint.io/ignore: "{rule.id}"`.',
        f"- Everywhere: `rules: {{{rule.id}: off}}` in `.manifestlint.yaml`.",
    ]
    cited = [peer_reference(ref) for ref in rule.references]
    others = [
        f"{c[0]} {c[1]}"
        for c in cited
        if c and c[0] in ("hadolint", "kube-linter", "checkov", "polaris", "pint") and c[2] != "superset"
    ]
    if others:
        lines.append(
            "- Other tools' suppressions of the same check are honoured ("
            + ", ".join(f"`{ref}`" for ref in others)
            + "), unless `other-tools-suppressions: false`."
        )
    if rule.references:
        lines += ["", "## References", ""] + [_reference_line(ref) for ref in rule.references]
    return "\n".join(lines) + "\n"


def rules_for_peer_check(registry: Registry, query: str) -> list[tuple[Rule, str]]:
    """Our rules whose references name a peer's check: `DL3002`, `CKV_K8S_23`, `hadolint DL3002`
    or `checkov:CKV_K8S_23` (a user switching tools knows the ids of the old one)."""
    wanted = query.strip().lower().replace(":", " ").split()
    if not wanted:
        return []
    found = []
    for rule in registry:
        for ref in rule.references:
            cited = peer_reference(ref)  # "partial: trivy KSV-0012" is trivy's KSV-0012
            text = f"{cited[0]} {cited[1]}" if cited else ref
            words = text.lower().replace(":", " ").replace(",", " ").split()
            if (len(wanted) == 1 and wanted[0] in words) or words[: len(wanted)] == wanted:
                found.append((rule, ref))
                break
    return found


_MARKER_TEXT = {"": "", "partial": " (part of its condition)", "superset": " (ours is stricter)"}


def _reference_line(ref: str) -> str:
    cited = peer_reference(ref)
    if cited is None:
        return f"- {ref}"
    return f"- {cited[0]} `{cited[1]}`{_MARKER_TEXT[cited[2]]}"


def _on(rule: Rule) -> str:
    return "on" if rule.enabled else "off"


def rules_table(registry: Registry, fmt: str = "table") -> str:
    rules = list(registry)
    if fmt == "json":
        data = [
            {
                "id": r.id,
                "severity": r.severity.label,
                "enabled": r.enabled,
                "title": r.title,
                "tags": list(r.tags),
                "checklist": list(r.checklist),
                "references": list(r.references),
                "fix": r.fixable or None,
                "docs": f"docs/rules/{r.id}.md",
            }
            for r in rules
        ]
        return json.dumps(data, indent=2) + "\n"
    if fmt == "markdown":
        out = ["| rule | severity | default | title |", "|---|---|---|---|"]
        out += [f"| [`{r.id}`](rules/{r.id}.md) | {r.severity.label} | {_on(r)} | {r.title} |" for r in rules]
        return "\n".join(out) + "\n"
    width = max(len(r.id) for r in rules)
    out = [f"{'RULE'.ljust(width)}  SEVERITY  DEFAULT  TITLE"]
    out += [f"{r.id.ljust(width)}  {r.severity.label.ljust(8)}  {_on(r).ljust(7)}  {r.title}" for r in rules]
    return "\n".join(out) + "\n"


_EXPECT = re.compile(r"[ \t]*#\s*expect:\s*.+$")


def without_test_markers(text: str) -> str:
    """A fixture as a user-facing example: `# expect: rule` markers (what the tests check)
    removed — a marker on its own line goes with its line, a trailing one with its padding."""
    out = []
    for line in text.splitlines(keepends=True):
        match = _EXPECT.search(line)
        if match is None:
            out.append(line)
        elif line[: match.start()].strip():
            out.append(line[: match.start()].rstrip() + ("\n" if line.endswith("\n") else ""))
    return "".join(out)


def explain_page(rule: Rule) -> str:
    """What `manifestlint explain` prints: the rule's documentation page with its examples
    (the generated docs/rules/<id>.md, shipped in the wheel), else the page without them."""
    from manifestlint.registry import data_dir

    page = data_dir("docs") / "rules" / f"{rule.id}.md"
    try:
        return page.read_text(encoding="utf-8")
    except OSError:
        return rule_page(rule)


EXT_LANG = {".yaml": "yaml", ".yml": "yaml", ".Dockerfile": "dockerfile", ".json": "json"}


def fixture_examples(rule_id: str, fixtures: Path) -> list[tuple[str, str, str]]:
    """Bad and good examples for a rule from tests/fixtures/rules/<id>/."""
    folder = fixtures / rule_id
    out = []
    for stem, label in (("bad", "Example (flagged)"), ("good", "Use instead (not flagged)")):
        for path in sorted(folder.glob(f"{stem}*")):
            if path.suffix == ".expect":
                continue
            text = without_test_markers(path.read_bytes().decode("utf-8", errors="backslashreplace"))
            out.append(
                (label, EXT_LANG.get(path.suffix, "dockerfile" if "Dockerfile" in path.name else ""), text)
            )
    return out


def error_proof_page(registry: Registry) -> str:
    """The rules that can emit `error` (a finding's severity is capped by evidence, never
    raised, so these are the rules whose default is error) and the proof each requires: its
    `severity-evidence` metadata, as on its page (issue 19, principle 1)."""
    rules = sorted((r for r in registry if r.severity is Severity.ERROR), key=lambda r: r.id)
    lines = [
        "# Rules that can report an error, and the proof each requires",
        "",
        f"{len(rules)} rules have `error` as their severity; no other rule can report one (evidence "
        "only lowers a finding: examples, node agents, the platform, an image whose user is not "
        "known). Generated by `scripts/gen_docs.py` from each rule's `severity-evidence` metadata; "
        "docs/precision.md explains the principles.",
        "",
        "| rule | the proof it requires (and what lowers it) |",
        "|---|---|",
    ]
    for rule in rules:
        proof = " ".join(rule.severity_evidence.split()).replace("|", "\\|") or "(not stated)"
        lines.append(f"| [`{rule.id}`](rules/{rule.id}.md) | {proof} |")
    return "\n".join(lines) + "\n"
