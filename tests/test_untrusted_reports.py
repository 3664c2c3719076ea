"""Issue 18, class 7: every report format escapes what it embeds for its own syntax.

The checklist's Markdown and the step summary go into PR comments and $GITHUB_STEP_SUMMARY: a
file name or YAML value wrote a heading ("# All checks passed"), a `javascript:` link, an
@mention and a remote image. The text checklist forwarded terminal escapes and `::error`
workflow commands. JUnit with control characters was not well-formed XML (the report lost).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from untrusted import DEPLOY, run, tree

EVIL = (
    "# All checks passed [Approve](javascript:alert(1)) @octocat ![i](https://evil.example/p.png) <img src=x>"
)
EVIL_NAME = (
    "x` ## All checks passed [Approve](javascript:alert(1)) @octocat ![i](https://evil.example/p.png).yaml"
)
CONTROL = "\x1b]0;title\x07\x1b[2J\r\n::error file=a::pwned\x01\ufffe"
MARKUP = ("[Approve]", "](", "<img", "@octocat", "://evil", "![")


def _without_code_spans(markdown: str) -> str:
    """The Markdown with every code span removed (CommonMark: a run of N backticks up to the
    next run of exactly N)."""
    out, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\":  # an escaped character (a backtick too) opens nothing
            out.append(markdown[i : i + 2])
            i += 2
            continue
        if markdown[i] != "`":
            out.append(markdown[i])
            i += 1
            continue
        run = len(markdown[i:]) - len(markdown[i:].lstrip("`"))
        close = re.compile(rf"(?<!`)`{{{run}}}(?!`)").search(markdown, i + run)
        if close is None:
            out.append(markdown[i : i + run])
            i += run
            continue
        i = close.end()
    # escaped characters and entities are text, never markup: a placeholder each
    return re.sub(r"\\[^\n]|&#?\w+;", "\x00", "".join(out))


def _hostile_tree(tmp_path: Path) -> Path:
    value = EVIL.replace("'", "")
    deploy = DEPLOY.replace("image: nginx", f"image: 'nginx:{value}'").replace(
        "name: web\n", f"name: '{value}'\n", 1
    )
    root = tree(
        tmp_path,
        {EVIL_NAME: deploy, "list.md": f"# {EVIL}\n## {EVIL}\n- [x] {EVIL}\n- [x] Resource limits\n"},
    )
    return root


def test_checklist_markdown_embeds_input_only_in_code_spans(tmp_path: Path) -> None:
    root = _hostile_tree(tmp_path)
    for extra in ([], ["--full"], ["--checklist", "list.md"]):
        result = run("-f", "markdown", *extra, ".", cwd=root, command="checklist").check()
        bare = _without_code_spans(result.text)
        assert not [m for m in MARKUP if m in bare], bare[:3000]
        assert not [line for line in bare.splitlines() if re.match(r"#+ All checks", line)]


def test_step_summary_embeds_input_only_in_code_spans(tmp_path: Path) -> None:
    root = _hostile_tree(tmp_path)
    summary = tmp_path / "summary.md"
    result = run("-f", "github", ".", cwd=root, env={"GITHUB_STEP_SUMMARY": str(summary)})
    result.check(writable=[root, summary])
    text = summary.read_text()
    bare = _without_code_spans(text)
    assert not [m for m in MARKUP if m in bare], bare[:3000]
    assert all(
        row.count(" | ") == 3 for row in text.splitlines() if row.startswith("| ") and "---" not in row
    )


def test_text_checklist_has_no_escapes_and_no_workflow_commands(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {"x/a.yaml": DEPLOY.replace("image: nginx", "image: 'nginx:" + CONTROL.replace("'", "") + "'")},
    )
    (root / "x" / f"::error::{CONTROL.splitlines()[0]}.yaml").write_text(DEPLOY)
    (root / "list.md").write_text(
        "## ::error file=a::heading\n- [x] ::warning::item\n- [x] Resource limits\n"
    )
    for extra in ([], ["--checklist", "list.md"]):
        result = run("-f", "text", *extra, "x", cwd=root, command="checklist").check()
        assert not set(result.out) & (set(range(32)) - {10}), result.out[:2000]
        lines = result.text.splitlines()
        assert not [line for line in lines if line.lstrip().startswith(("::", "##"))], lines


def test_junit_is_well_formed_whatever_the_names_and_values(tmp_path: Path) -> None:
    root = tree(tmp_path)
    (root / "x").mkdir()
    (root / "x" / "a\x01\x1b\ufffeb.yaml").write_text(DEPLOY.replace("nginx", "'nginx:\ufffe\uffff'"))
    (root / "x" / "ok.yaml").write_text(DEPLOY.replace("nginx", '"nginx:\\x01\\x1b\\x08"'))
    result = run("-f", "junit", "x", cwd=root).check()
    suites = ET.fromstring(result.out)  # well-formed, or this raises
    assert int(suites.get("failures")) > 0
