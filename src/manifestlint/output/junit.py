"""JUnit XML (Jenkins, GitLab `reports: junit:`, Azure DevOps, CircleCI): one <testsuite> per
run, one <testcase> per linted file (passing when clean) and one failing <testcase> per finding,
named `rule-id path:line:col`, with `<failure message= type=severity>`. Attributes follow the
common schema those readers share (testsuites/testsuite name, tests, failures, errors, skipped;
testcase name, classname, file, line)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from manifestlint.engine import LintResult
from manifestlint.output import printable

# XML 1.0 cannot hold most C0 controls even escaped: `printable` writes them as visible escapes.


def render(result: LintResult) -> str:
    by_file: dict[str, list] = {path: [] for path in result.artifacts}
    for f in result.findings:
        by_file.setdefault(f.path, []).append(f)
    tests = sum(max(len(found), 1) for found in by_file.values())
    failures = len(result.findings)
    root = ET.Element("testsuites", name="manifestlint", tests=str(tests), failures=str(failures), errors="0")
    suite = ET.SubElement(
        root,
        "testsuite",
        name="manifestlint",
        tests=str(tests),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    for path in sorted(by_file):
        shown = printable(result.relative(path))
        found = by_file[path]
        if not found:
            ET.SubElement(suite, "testcase", name=f"lint {shown}", classname=shown, file=shown)
            continue
        for f in found:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{f.rule} {shown}:{f.span.line}:{f.span.col}",
                classname=shown,
                file=shown,
                line=str(f.span.line),
            )
            failure = ET.SubElement(case, "failure", message=printable(f.message), type=f.severity.label)
            failure.text = (
                f"{shown}:{f.span.line}:{f.span.col}: {f.severity.label} {f.rule} {printable(f.message)}"
            )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
