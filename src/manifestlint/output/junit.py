"""JUnit XML (Jenkins, GitLab `reports: junit:`, Azure DevOps, CircleCI): one <testsuite> per
run, one <testcase> per linted file (passing when clean) and one <testcase> per finding.

A finding at or above `--fail-on` is a `<failure message= type=severity>`; one below it is a
passing test case whose `<system-out>` says what was found, so the report agrees with the job's
exit code (157 notes were failures of a passing job). Test-case names are unique and stable:
`rule-id path:line:col #digest`, the digest a short hash of the message (and, for findings that
still share all of it, their order), because GitLab keys test cases by suite, class and name
and silently kept one of two findings at one position. Attributes follow the common schema
those readers share (testsuites/testsuite name, tests, failures, errors, skipped; testcase name,
classname, file, line)."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

from manifestlint.engine import LintResult
from manifestlint.model import Severity
from manifestlint.output import printable, xml_safe

# XML 1.0 cannot hold most C0 controls even escaped: `printable` writes them as visible escapes.


def _digest(text: str) -> str:
    return hashlib.blake2s(text.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def render(result: LintResult, fail_level: Severity | None = Severity.NOTE) -> str:
    """`fail_level`: the lowest severity that fails the job (None: nothing fails, --exit-zero
    or `--fail-on none`)."""
    by_file: dict[str, list] = {path: [] for path in result.artifacts}
    for f in result.findings:
        by_file.setdefault(f.path, []).append(f)
    tests = sum(max(len(found), 1) for found in by_file.values())
    failing = [f for f in result.findings if fail_level is not None and f.severity >= fail_level]
    failures = str(len(failing))
    root = ET.Element("testsuites", name="manifestlint", tests=str(tests), failures=failures, errors="0")
    suite = ET.SubElement(
        root, "testsuite", name="manifestlint", tests=str(tests), failures=failures, errors="0", skipped="0"
    )
    names: set[str] = set()
    for path in sorted(by_file):
        shown = printable(result.relative(path))
        found = by_file[path]
        if not found:
            ET.SubElement(suite, "testcase", name=f"lint {shown}", classname=shown, file=shown)
            continue
        for f in found:
            where = f"{shown}:{f.span.line}:{f.span.col}"
            name = f"{f.rule} {where} #{_digest(f.rule + where + f.message)}"
            n = 1
            while name in names:  # the same rule, place and message twice: order decides
                n += 1
                name = f"{f.rule} {where} #{_digest(f.rule + where + f.message)}-{n}"
            names.add(name)
            case = ET.SubElement(
                suite, "testcase", name=name, classname=shown, file=shown, line=str(f.span.line)
            )
            text = f"{where}: {f.severity.label} {f.rule} {printable(f.message)}"
            if fail_level is not None and f.severity >= fail_level:
                failure = ET.SubElement(case, "failure", message=printable(f.message), type=f.severity.label)
                failure.text = text
            else:
                ET.SubElement(case, "system-out").text = text
    ET.indent(root)
    body = xml_safe(ET.tostring(root, encoding="unicode"))  # whatever a name or value held
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
