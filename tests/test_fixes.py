"""`lint --fix` / `--diff` (manifestlint/fixes.py): every fix has a before/after fixture pair in
tests/fixtures/fix/<rule-id>/ (`before*.X` -> `after*.X`; `kept*.X`: the rule reports, no fix
is offered, the file stays as it is), and for each pair, with only that rule's fixes on:

- the result is byte for byte the `after` file, with LF and with CRLF line endings;
- (a) the parsed documents differ only at what the fix changed (Dockerfile: only the
  instructions on edited lines; YAML: only the paths named in `# fixed: a.b.0.c` comments);
- (b) every line outside the edited lines is unchanged, byte for byte;
- (c) linting the result no longer reports the rule, and no rule reports more than before;
- (d) a second --fix changes nothing.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, run_file

from manifestlint import fixes
from manifestlint.model import Edit, Fix, Span, fix_of
from manifestlint.registry import load_registry

FIX_FIXTURES = FIXTURES / "fix"


def _pairs() -> list[tuple[str, Path, Path | None]]:
    out = []
    for folder in sorted(FIX_FIXTURES.iterdir()):
        for before in sorted(p for p in folder.glob("before*") if p.suffix != ".fixed"):
            out.append((folder.name, before, before.with_name(before.name.replace("before", "after", 1))))
        for kept in sorted(folder.glob("kept*")):
            out.append((folder.name, kept, None))
    return out


PAIRS = _pairs()


def _target(tmp_path: Path, fixture: Path) -> Path:
    """Where the fixture is linted: a Dockerfile by name, YAML as deploy.yaml (or its own name
    for Prometheus rule files and Alertmanager configs, which are recognised by content)."""
    name = "Dockerfile" if fixture.suffix == ".Dockerfile" else f"deploy{fixture.suffix}"
    return tmp_path / name


def _config(folder: Path):
    """The fixture folder's config.yaml (e.g. a target Kubernetes version), else defaults."""
    from manifestlint.config import Config, load_config

    found = folder / "config.yaml"
    return load_config(str(found), folder, load_registry()) if found.exists() else Config()


def _lint(path: Path, folder: Path):
    return run_file(path, config=_config(folder))


def _fix(path: Path, rule: str | None, folder: Path) -> tuple[fixes.Outcome, object]:
    registry = load_registry()
    fixable = {r.id: r.fixable for r in registry if r.fixable and (rule is None or r.id == rule)}
    result, outcome = fixes.run(lambda: _lint(path, folder), fixable, True, path.parent)
    return outcome, result


def _text_after(path: Path, outcome: fixes.Outcome) -> bytes:
    changed = outcome.changed()
    assert len(changed) <= 1
    return fixes._encoded(changed[0]) if changed else path.read_bytes()


def _edited_lines(path: Path, rule: str, folder: Path) -> set[int]:
    """Lines of the original that a fix of `rule` edits (first pass)."""
    lines: set[int] = set()
    for f in _lint(path, folder).findings:
        fix = fix_of(f) if f.rule == rule else None
        if fix is not None:
            for edit in fix.edits:
                lines.update(range(edit.span.line, edit.span.end_line + 1))
    return lines


def _rule_counts(path: Path, folder: Path) -> Counter:
    return Counter(f.rule for f in _lint(path, folder).findings)


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize(("rule", "before", "after"), PAIRS, ids=lambda v: getattr(v, "name", v))
def test_fix_pair(rule: str, before: Path, after: Path | None, crlf: bool, tmp_path: Path) -> None:
    original = before.read_bytes()
    expected = after.read_bytes() if after is not None else original
    if crlf:
        original, expected = original.replace(b"\n", b"\r\n"), expected.replace(b"\n", b"\r\n")
    target = _target(tmp_path, before)
    target.write_bytes(original)
    folder = before.parent
    counts = _rule_counts(target, folder)
    assert counts[rule], f"the fixture must trigger {rule}"

    outcome, _ = _fix(target, rule, folder)
    result = _text_after(target, outcome)
    assert result == expected
    if after is None:  # no fix offered, or one skipped with its reason (anchors, merge keys)
        assert all("not fixed" in note for note in outcome.skipped), outcome.skipped
        return
    assert not outcome.skipped

    edited = _edited_lines(target, rule, folder)
    _only_edited_lines_changed(original, result, edited)  # (b)
    fixed_path = tmp_path / "fixed" / target.name
    fixed_path.parent.mkdir()
    fixed_path.write_bytes(result)
    _only_fixed_paths_changed(target, fixed_path, edited, _fixed_paths(before))  # (a)
    counts_after = _rule_counts(fixed_path, folder)  # (c)
    assert counts_after[rule] == 0
    assert all(n <= counts[r] for r, n in counts_after.items()), counts_after - counts
    again, _ = _fix(fixed_path, rule, folder)  # (d)
    assert not again.changed()


def _only_edited_lines_changed(before: bytes, after: bytes, edited: set[int]) -> None:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            assert set(range(i1 + 1, i2 + 1)) <= edited, f"lines {i1 + 1}-{i2} changed, edited: {edited}"
        elif tag == "insert":  # a new line goes next to an edited one
            assert {i1, i1 + 1} & edited, f"a line inserted at {i1 + 1}, edits were on {edited}"


def _fixed_paths(fixture: Path) -> set[tuple]:
    """The document paths a YAML fixture's fixes may change: `# fixed: 0.spec.x` comments, or
    lines of a `<name>.fixed` file beside it (JSON has no comments); the leading number is the
    document's index in the stream."""
    sidecar = fixture.with_name(fixture.name + ".fixed")
    text = sidecar.read_text(encoding="utf-8") if sidecar.exists() else fixture.read_text(encoding="utf-8")
    found = re.findall(r"# fixed: (\S+)", text) if not sidecar.exists() else text.split()
    return {tuple(_key(k) for k in item.split(".")) for item in found}


def _only_fixed_paths_changed(before: Path, after: Path, edited: set[int], wanted: set[tuple]) -> None:
    if before.name == "Dockerfile":
        from manifestlint.parse.dockerfile import parse_dockerfile

        old = parse_dockerfile(before.read_text(encoding="utf-8"), "a").instructions
        new = parse_dockerfile(after.read_text(encoding="utf-8"), "b").instructions
        same = {"COPY": "ADD"}  # ADD -> COPY is a fix, not a new instruction
        aligned = difflib.SequenceMatcher(
            a=[same.get(i.keyword, i.keyword) for i in old], b=[same.get(i.keyword, i.keyword) for i in new]
        )
        pairs = []
        for tag, i1, i2, j1, j2 in aligned.get_opcodes():
            if tag == "insert":  # only a SHELL (pipefail) or USER (root user) line may be added
                assert all(i.keyword in ("SHELL", "USER") for i in new[j1:j2])
            else:
                assert i2 - i1 == j2 - j1, (old[i1:i2], new[j1:j2])
                pairs += zip(old[i1:i2], new[j1:j2], strict=True)
        for a, b in pairs:
            if not set(range(a.span.line, a.span.end_line + 1)) & edited:
                assert (a.keyword, a.args) == (b.keyword, b.args)  # off the edited lines: the same
                continue
            assert b.keyword == a.keyword or (a.keyword, b.keyword) == ("ADD", "COPY")
            words = difflib.SequenceMatcher(a=a.args.split(), b=b.args.split(), autojunk=False)
            old_words, new_words = a.args.split(), b.args.split()
            for tag, i1, i2, j1, j2 in words.get_opcodes():  # words added, or a word lengthened
                lengthened = zip(old_words[i1:i2], new_words[j1:j2], strict=False)
                assert tag in ("equal", "insert") or (
                    tag == "replace" and all(y.startswith(x) for x, y in lengthened)
                ), (a.args, b.args)
        return
    from manifestlint.parse.yaml import parse_stream

    text = before.read_text(encoding="utf-8")
    old_docs, _, _ = parse_stream(text, "a")
    new_docs, _, _ = parse_stream(after.read_text(encoding="utf-8"), "b")
    assert len(old_docs) == len(new_docs)
    changed = set()
    for n, (a, b) in enumerate(zip(old_docs, new_docs, strict=True)):
        changed |= {(n, *p) for p in _differences(a.root, b.root, ())}
    assert changed and all(any(path[: len(w)] == w for w in wanted) for path in changed), changed


def _key(text: str) -> object:
    return int(text) if text.isdigit() else text


def _differences(a: object, b: object, path: tuple) -> set[tuple]:
    """Paths where two plain documents differ (the first differing key or item)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = set()
        for key in {*a, *b}:
            both = key in a and key in b
            out |= _differences(a.get(key), b.get(key), (*path, key)) if both else {(*path, key)}
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return {p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _differences(x, y, (*path, i))}
    return set() if a == b and type(a) is type(b) else {path}


# Fixable rules whose fix needs a project around the file (a linked Dockerfile), tested by the
# named test instead of a single-file fixture pair.
PROJECT_FIX_TESTS = {"k8s-run-as-non-root-image-user": "test_run_as_user_from_the_dockerfiles_uid"}


def test_every_fixable_rule_has_fix_fixtures() -> None:
    registry = load_registry()
    fixable = {r.id for r in registry if r.fixable}
    with_pairs = {rule for rule, _, after in PAIRS if after is not None}
    assert fixable == with_pairs | set(PROJECT_FIX_TESTS)
    assert all(name in globals() for name in PROJECT_FIX_TESTS.values())
    for _, before, after in PAIRS:
        assert after is None or after.exists(), f"{before.name} has no {after.name}"


# ------------------------------------------------------------------------ the edit engine


def test_overlapping_fixes_wait_for_the_next_pass() -> None:
    text = "RUN apt-get install curl\n"
    word = Span(1, 13, 1, 20)
    first = Fix("a", (Edit(word, "install -y", "install"),))
    second = Fix("b", (Edit(word, "install --no-install-recommends", "install"),))
    new, applied, skipped = fixes.apply(text, [("r1", first), ("r2", second)])
    assert (new, applied, skipped) == ("RUN apt-get install -y curl\n", ["r1"], [])


def test_the_same_edit_from_two_findings_is_made_once() -> None:
    edit = Edit(Span(2, 1, 2, 4), 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN', "RUN")
    text = "FROM debian\r\nRUN a | b\r\nRUN c | d\r\n"
    new, applied, _ = fixes.apply(text, [("p", Fix("x", (edit,))), ("p", Fix("x", (edit,)))])
    assert new == 'FROM debian\r\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\r\nRUN a | b\r\nRUN c | d\r\n'
    assert applied == ["p", "p"]


def test_an_edit_that_does_not_fit_the_text_is_skipped() -> None:
    text = "RUN apt-get install curl\n"
    fix = Fix("a", (Edit(Span(1, 5, 1, 12), "apt-get", "apt"),))
    new, applied, skipped = fixes.apply(text, [("r", fix)])
    assert new == text and not applied and "is not 'apt'" in skipped[0]
    off = Fix("a", (Edit(Span(9, 1, 9, 2), "x", "y"),))
    assert "not in the file" in fixes.apply(text, [("r", off)])[2][0]


# ------------------------------------------------------------------------ writing


def test_a_file_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM a\n")
    assert "changed on disk" in fixes.write_back(path, b"FROM b\n", b"FROM c\n")
    assert path.read_bytes() == b"FROM a\n"
    assert fixes.write_back(path, b"FROM a\n", b"FROM c\n") == ""
    assert path.read_bytes() == b"FROM c\n"


def test_a_symbolic_link_is_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.write_bytes(b"FROM a\n")
    link = tmp_path / "Dockerfile"
    link.symlink_to(outside)
    assert "symbolic link" in fixes.write_back(link, b"FROM a\n", b"FROM c\n")
    assert outside.read_bytes() == b"FROM a\n" and link.is_symlink()


def test_mode_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM a\n")
    path.chmod(0o640)
    assert fixes.write_back(path, b"FROM a\n", b"FROM c\n") == ""
    assert (path.stat().st_mode & 0o777) == 0o640


# ------------------------------------------------------------------------ the command line

_DOCKERFILE = "FROM debian:12\n# keep me\nRUN apt-get update && apt install curl\nADD app.py /app/\n"


def _cli(args: list[str], cwd: Path):
    from click.testing import CliRunner

    from manifestlint.cli import main

    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args)
    finally:
        os.chdir(old)


def test_diff_prints_the_fixes_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(_DOCKERFILE)
    run = _cli(["lint", "--diff", "Dockerfile"], tmp_path)
    assert run.exit_code == 1, run.output
    assert "\n-ADD app.py /app/\n" in run.output and "\n+COPY app.py /app/\n" in run.output
    assert "+RUN apt-get update && apt-get install -y --no-install-recommends curl" in run.output
    assert (tmp_path / "Dockerfile").read_text() == _DOCKERFILE


def test_fix_writes_then_reports_what_is_left_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(_DOCKERFILE)
    run = _cli(["lint", "--fix", "Dockerfile"], tmp_path)
    fixed = (tmp_path / "Dockerfile").read_text()
    assert fixed == (
        "FROM debian:12\n# keep me\nRUN apt-get update && apt-get install -y --no-install-recommends curl"
        " && rm -rf /var/lib/apt/lists/*\nCOPY app.py /app/\n"
    )
    assert not re.search(r":\d+: \w+ docker-apt-cli ", run.output) and "docker-root-user" in run.output
    again = _cli(["lint", "--diff", "Dockerfile"], tmp_path)
    assert again.exit_code == 0 and again.output == ""


def test_unsafe_fixes_alone_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(_DOCKERFILE)
    run = _cli(["lint", "--unsafe-fixes", "Dockerfile"], tmp_path)
    assert run.exit_code == 2 and (tmp_path / "Dockerfile").read_text() == _DOCKERFILE


def test_standard_input_cannot_be_fixed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from manifestlint.cli import main

    run = CliRunner().invoke(main, ["lint", "--fix", "-"], input=_DOCKERFILE)
    assert run.exit_code == 2


_POD = """apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    runAsNonRoot: true
  containers:
    - name: web
      image: example/web:1.0
"""


def test_unsafe_fixes_only_when_asked_and_insertions_into_one_mapping_merge(tmp_path: Path) -> None:
    """readOnlyRootFilesystem (unsafe) only with --unsafe-fixes; the keys three rules add to
    one container's new securityContext are written as one mapping in one pass."""
    (tmp_path / "pod.yaml").write_text(_POD)
    safe = _cli(["lint", "--diff", "pod.yaml"], tmp_path)
    assert safe.exit_code == 1 and "readOnlyRootFilesystem" not in safe.output
    assert safe.output.count("+    - securityContext:") == 1
    assert "+    - securityContext:\n+        capabilities:\n+          drop: [ALL]\n" in safe.output
    assert "+        allowPrivilegeEscalation: false\n" in safe.output
    assert "+    seccompProfile:\n+      type: RuntimeDefault\n" in safe.output
    unsafe = _cli(["lint", "--diff", "--unsafe-fixes", "pod.yaml"], tmp_path)
    assert "+        readOnlyRootFilesystem: true\n" in unsafe.output
    assert (tmp_path / "pod.yaml").read_text() == _POD
    _cli(["lint", "--fix", "--unsafe-fixes", "pod.yaml"], tmp_path)
    again = _cli(["lint", "--diff", "--unsafe-fixes", "pod.yaml"], tmp_path)
    assert again.exit_code == 0 and again.output == ""


def test_two_insertions_at_one_place_merge_and_a_clash_waits() -> None:
    from manifestlint import yaml_fix

    where = Span(3, 5, 3, 9)
    text = "spec:\n  containers:\n  - name: c\n"

    def insert(keys: tuple, value: object) -> Fix:
        items = ((keys, value),)
        new = yaml_fix.render("block", "    ", items)
        return Fix("x", (Edit(where, f"{new}name", "name", ("block", "    ", items)),))

    first = insert(("securityContext", "a"), False)
    second = insert(("securityContext", "b"), True)
    new, applied, _ = fixes.apply(text, [("r1", first), ("r2", second)])
    assert new == "spec:\n  containers:\n  - securityContext:\n      a: false\n      b: true\n    name: c\n"
    assert applied == ["r1", "r2"]
    clash = insert(("securityContext", "a"), True)
    new, applied, _ = fixes.apply(text, [("r1", first), ("r3", clash)])
    assert applied == ["r1"] and "a: false" in new


def test_shared_text_is_skipped_with_a_note(tmp_path: Path) -> None:
    """A pod spec with a merge key: the fix is skipped and says why (issue 25: anchors, merge
    keys ... skipped with a note)."""
    target = tmp_path / "deploy.yaml"
    target.write_bytes((FIX_FIXTURES / "k8s-seccomp-profile-missing" / "kept.yaml").read_bytes())
    outcome, _ = _fix(target, "k8s-seccomp-profile-missing", tmp_path)
    assert not outcome.changed()
    assert outcome.skipped == [
        "deploy.yaml: fix of k8s-seccomp-profile-missing: not fixed at line 6: its mapping's text has an "
        "anchor, alias or merge key; skipped"
    ]


def test_options_after_one_word_merge_into_one_edit(tmp_path: Path) -> None:
    """-y and --no-install-recommends after the same `install`: one edit in one pass (short
    options first), not a second round of linting."""
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:12\nRUN apt-get install curl && rm -rf /var/lib/apt/lists/*\n"
    )
    registry = load_registry()
    fixable = {r.id: r.fixable for r in registry if r.fixable}
    passes = []

    def lint_once():
        passes.append(1)
        return run_file(tmp_path / "Dockerfile")

    _, outcome = fixes.run(lint_once, fixable, False, tmp_path)
    assert fixes._encoded(outcome.changed()[0]).splitlines()[1] == (
        b"RUN apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*"
    )
    assert len(passes) == 2  # the fixes, then the report


def test_a_file_not_written_is_reported_as_it_is_on_disk(tmp_path: Path) -> None:
    """A fix held in memory for a file that is then not written (a link) must not hide the
    finding from the report."""
    (tmp_path / "real.Dockerfile").write_text(_DOCKERFILE)
    (tmp_path / "Dockerfile").symlink_to("real.Dockerfile")
    run = _cli(["lint", "--fix", "Dockerfile"], tmp_path)
    assert "symbolic link" in run.output and "not written" in run.output
    assert re.search(r":\d+: \w+ docker-apt-cli ", run.output)
    assert (tmp_path / "real.Dockerfile").read_text() == _DOCKERFILE


def _image_user_project(root: Path, useradd: str) -> None:
    """A Deployment with runAsNonRoot and an image its Makefile builds from app/Dockerfile,
    whose USER is a name."""
    import subprocess

    (root / "app").mkdir()
    (root / "app/Dockerfile").write_text(
        f'FROM python:3.12-slim\nRUN {useradd}\nUSER app\nCMD ["python", "-m", "http.server"]\n'
    )
    (root / "Makefile").write_text("build:\n\tdocker build -t registry.example.com/team/app:1.0.0 app\n")
    (root / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n"
        "  selector: {matchLabels: {app: app}}\n  template:\n    metadata: {labels: {app: app}}\n"
        "    spec:\n      securityContext:\n        runAsNonRoot: true\n      containers:\n"
        "        - name: app\n          image: registry.example.com/team/app:1.0.0\n"
    )
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)


def test_run_as_user_from_the_dockerfiles_uid(tmp_path: Path) -> None:
    """k8s-run-as-non-root-image-user (unsafe): runAsUser set to the uid the image's own
    Dockerfile gives the named user, beside runAsNonRoot; only with --unsafe-fixes."""
    _image_user_project(tmp_path, "useradd --create-home -u 10001 app")
    select = ["--select", "k8s-run-as-non-root-image-user"]
    safe = _cli(["lint", *select, "--diff", "deploy.yaml"], tmp_path)
    assert "+        runAsUser" not in safe.output
    unsafe = _cli(["lint", *select, "--diff", "--unsafe-fixes", "deploy.yaml"], tmp_path)
    assert unsafe.exit_code == 1 and "+        runAsUser: 10001\n" in unsafe.output, unsafe.output
    _cli(["lint", *select, "--fix", "--unsafe-fixes", "deploy.yaml"], tmp_path)
    text = (tmp_path / "deploy.yaml").read_text()
    assert "      securityContext:\n        runAsUser: 10001\n        runAsNonRoot: true\n" in text
    after = _cli(["lint", *select, "-f", "json", "deploy.yaml"], tmp_path)
    assert '"findings": []' in after.output, after.output


def test_run_as_user_needs_the_uid_in_the_dockerfile(tmp_path: Path) -> None:
    """No uid for the name in the Dockerfile (useradd without -u): no number to write, no fix."""
    _image_user_project(tmp_path, "useradd --create-home app")
    select = ["--select", "k8s-run-as-non-root-image-user"]
    run = _cli(["lint", *select, "--diff", "--unsafe-fixes", "deploy.yaml"], tmp_path)
    assert "runAsUser" not in run.output.replace("numeric runAsUser", "").replace("Set runAsUser", "")
    report = _cli(["lint", *select, "deploy.yaml"], tmp_path)
    assert "k8s-run-as-non-root-image-user" in report.output  # the finding stands, unfixed
