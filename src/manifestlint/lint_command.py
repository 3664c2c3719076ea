"""The `lint` command's work, whichever way its command line was read (click in
manifestlint.commands, or manifestlint.argv without click for an everyday line): configure,
lint (manifestlint.engine), apply --diff-base and the baseline, render the report in its
format, write it whole or not at all, and exit 0 (nothing at or above --fail-on), 1 (findings
at or above it) or 2 (usage, configuration or output error, one line on stderr).

Imports nothing heavy at module level: a one-file pre-commit call starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path


class Failure(Exception):
    """A usage, configuration or output error: exit 2 with one line. Under click it becomes
    commands.UsageFailure (a click.ClickException); the click-free path shows it the same way."""


def _echo(message: str) -> None:
    """One line on standard error, written by click.echo as before (imported only when a
    warning or a listing is printed)."""
    import click

    click.echo(message, err=True)


def load_rules():
    from manifestlint.registry import load_registry

    return load_registry()


def run_lint(
    paths, fmt, output, config_path, select, ignore, exclude, forced_type, stdin_filename, fail_on, exit_zero,
    kubernetes_version, no_context, no_cache, sarif_category, show_suppressed, diff_base, baseline,
    write_baseline, quiet, stats, color, verbose, step_summary=False, force_include=False, fix=False,
    unsafe_fixes=False, show_diff=False,
) -> None:  # fmt: skip
    """The lint command: its parameters as click passes them (manifestlint.commands.lint), or as
    manifestlint.argv reads an everyday command line without click."""
    import gc

    # A short-lived process: with the cyclic collector left on, scanning the parsed model after
    # the lint and again at interpreter exit cost more than the lint itself (0.8 s on 2,000
    # documents). Reference counting still frees everything that matters.
    gc.disable()
    from manifestlint.config import ConfigError
    from manifestlint.discover import PathNotFound
    from manifestlint.engine import lint as run_lint

    cwd = Path.cwd()
    try:
        registry = load_rules()
        config = _configure(
            config_path, cwd, registry, select, ignore, exclude, kubernetes_version, fmt, output
        )
        config.force_include = config.force_include or force_include
        stdin = None
        if "-" in paths:  # bytes, bounded: decoded and size-checked like any file
            from manifestlint.safeio import MAX_FILE_BYTES

            stdin = (stdin_filename, sys.stdin.buffer.read(MAX_FILE_BYTES + 1))
        targets, changed = list(paths), None
        if diff_base:
            targets, changed = _changed_targets(diff_base, paths, cwd, config.include_test_data)
        use_context, use_cache = not no_context, not no_cache
        if stdin is not None and not stdin_filename and all(p == "-" for p in paths):
            # standard input is one file without a project: the checkout the command runs in
            # says nothing about where the piped text belongs (--stdin-filename places it)
            use_context = False
        if unsafe_fixes and not (fix or show_diff):
            raise Failure("--unsafe-fixes goes with --fix or --diff")
        if fix or show_diff:
            result = _fix(
                lambda: run_lint(targets, registry, config, cwd, forced_type, stdin, use_context, use_cache),
                registry, cwd, stdin, unsafe_fixes, show_diff, quiet,
            )  # fmt: skip
        else:
            result = run_lint(targets, registry, config, cwd, forced_type, stdin, use_context, use_cache)
        if result.rendered and result.findings:
            from manifestlint.project import rendered  # `helm template` output -> the chart

            rendered.apply(result)
        _explain_listing(result.listing, verbose, quiet, result, config.path)
        if changed is not None:  # by the file's own name (a link's target may lie elsewhere)
            result.findings = [
                f for f in result.findings if f.span.line in changed.get(_own(cwd / f.path), ())
            ]
        if write_baseline:
            _write_baseline(result, write_baseline)
        if baseline:
            _apply_baseline(result, baseline)
    except ConfigError as exc:
        raise Failure(str(exc)) from None
    except PathNotFound as exc:
        raise Failure(f"no such file or directory: {exc.args[0]}") from None

    pieces = _render(result, config, fmt, sarif_category, show_suppressed, fail_on, exit_zero)
    pieces = _render_with_statistics(result, fmt, stats, pieces, color, output, quiet)
    if step_summary and fmt != "github":  # -f github wrote it already when GitHub provides one
        _write_step_summary(result)
    if stats and fmt != "text":
        from manifestlint.output import text as text_out

        for line in text_out.statistics(result):
            _echo(f"manifestlint: {line}")
    # Written piece by piece (SARIF and JSON yield one result at a time): a report of 33,000
    # results held whole as text and again as bytes cost ~60 MB at its peak.
    emit((piece.encode("utf-8", "backslashreplace") for piece in pieces), output)

    threshold = fail_on or config.fail_on
    if exit_zero or threshold == "none":
        sys.exit(0)
    from manifestlint.model import Severity

    level = Severity.parse(threshold)
    sys.exit(1 if any(f.severity >= level for f in result.findings) else 0)


def _fix(lint_once, registry, cwd: Path, stdin, unsafe: bool, show_diff: bool, quiet: bool):
    """--fix / --unsafe-fixes / --diff (manifestlint.fixes): lint, fix and lint again until
    nothing more applies; write the files (--fix) or print the diff and exit 1 when there is
    one (--diff, which writes nothing). The result is the last lint: what is left."""
    from manifestlint import fixes

    if stdin is not None:
        raise Failure("--fix and --diff rewrite files: standard input ('-') cannot be fixed")
    fixable = {rule.id: rule.fixable for rule in registry if rule.fixable}
    result, outcome = fixes.run(lint_once, fixable, unsafe, cwd)
    for note in outcome.skipped:
        _echo(f"manifestlint: {note}")
    if show_diff:
        text = "".join(fixes.diff(outcome))
        emit(text.encode("utf-8", "backslashreplace"), None)
        sys.exit(1 if text else 0)
    written = fixes.write(outcome)
    for note in outcome.not_written:
        _echo(f"manifestlint: {note}")
    if outcome.not_written:  # the report must be of the files as they are on disk
        result = lint_once()
    if not quiet:
        counts: dict[str, int] = {}
        for fixed in written:
            for rule, n in fixed.fixed.items():
                counts[rule] = counts.get(rule, 0) + n
        detail = ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items()))
        total = sum(counts.values())
        _echo(
            f"manifestlint: fixed {total} finding(s) in {len(written)} file(s)"
            + (f" ({detail})" if detail else "")
        )
    return result


def _own(path: Path) -> Path:
    """A path with its folders resolved but not its last component (a link stays itself)."""
    import os

    return Path(os.path.realpath(os.path.dirname(os.path.abspath(path)))) / path.name


def _configure(config_path, cwd: Path, registry, select, ignore, exclude, kubernetes_version, fmt, output):
    """The configuration file with the command line's --select, --ignore, --exclude and
    --kubernetes-version applied, and `-o FORMAT` without -f refused (raises ConfigError)."""
    from manifestlint.argv import FORMATS
    from manifestlint.config import (
        ConfigError,
        check_selectors,
        expand_renamed,
        kubernetes_minor,
        load_config,
    )

    config = load_config(config_path, cwd, registry)
    cli_select = [s.strip() for item in select for s in item.split(",") if s.strip()]
    cli_ignore = [s.strip() for item in ignore for s in item.split(",") if s.strip()]
    cli_select = expand_renamed(cli_select, "--select")
    cli_ignore = expand_renamed(cli_ignore, "--ignore")
    check_selectors(cli_select + cli_ignore, registry, "--select/--ignore")
    if cli_select:
        config.select = cli_select
    config.ignore += cli_ignore
    config.exclude += list(exclude)
    if kubernetes_version:
        config.kubernetes_version = kubernetes_minor(kubernetes_version, "--kubernetes-version")
    if output and fmt == "text" and output in FORMATS:  # checkov's habit: `-o sarif`
        raise ConfigError(
            f"-o {output} writes the text report into a file named {output!r}; did you mean "
            f"`-f {output}`? (to write a file of that name, give -o ./{output})"
        )
    return config


def _write_baseline(result, write_baseline: str) -> None:
    """--write-baseline: record every current finding and exit 0."""
    from manifestlint.baseline import write

    try:
        write(Path(write_baseline), result.findings, result.fingerprints(), result.relative)
    except OSError as exc:
        raise Failure(f"cannot write the baseline {write_baseline}: {_reason(exc)}") from None
    _echo(f"manifestlint: recorded {len(result.findings)} finding(s) in {write_baseline}")
    sys.exit(0)


def _apply_baseline(result, baseline: str) -> None:
    """--baseline: hide the findings recorded there (kept as suppressed for SARIF)."""
    from manifestlint.baseline import BaselineError, hide
    from manifestlint.suppress import Suppressed

    before = result.findings
    try:
        result.findings, hidden = hide(Path(baseline), result.findings, result.fingerprints())
    except BaselineError as exc:
        raise Failure(str(exc)) from None
    kept = {id(f) for f in result.findings}
    result.suppressed += [
        Suppressed(f, "external", f"recorded in the baseline {baseline}") for f in before if id(f) not in kept
    ]
    if hidden:
        _echo(f"manifestlint: {hidden} finding(s) hidden by the baseline {baseline}")


def _render(result, config, fmt: str, sarif_category, show_suppressed, fail_on, exit_zero) -> Iterable[str]:
    """The report's pieces in `fmt` (the text format: _render_with_statistics)."""
    if fmt == "sarif":
        from manifestlint.output import sarif

        pieces: Iterable[str] = sarif.render_pieces(result, sarif_category, config.docs_url, show_suppressed)
        warning = sarif.limits_warning(len(result.findings))
        if warning:
            _echo(f"manifestlint: warning: {warning}")
        return pieces
    if fmt == "json":
        from manifestlint.output import json as json_out

        return json_out.render_pieces(result)
    if fmt == "github":
        import os

        from manifestlint.output import github

        workspace = os.environ.get("GITHUB_WORKSPACE") or None
        pieces = (github.render(result, workspace),)
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            _append_summary(summary_file, github.step_summary(result, workspace))
        warning = github.limits_warning(result.findings, summary_written=bool(summary_file))
        if warning:
            _echo(f"manifestlint: warning: {warning}")
        return pieces
    if fmt == "gitlab":
        from manifestlint.output import gitlab

        return (gitlab.render(result),)
    if fmt == "junit":
        from manifestlint.model import Severity
        from manifestlint.output import junit

        threshold = "none" if exit_zero else (fail_on or config.fail_on)
        return (junit.render(result, None if threshold == "none" else Severity.parse(threshold)),)
    return ()


def _render_with_statistics(
    result, fmt: str, stats, pieces: Iterable[str], color, output, quiet
) -> Iterable[str]:
    """The text format, its --statistics inside it (the other formats' pieces as they are)."""
    if fmt in ("sarif", "json", "github", "gitlab", "junit"):
        return pieces
    from manifestlint.output import text as text_out

    colour = _use_colour(color, output is None and sys.stdout.isatty())
    return (text_out.render(result, colour=colour, summary=not quiet, stats=stats),)


def _use_colour(choice: str, terminal: bool) -> bool:
    """--color always/never wins; auto: NO_COLOR (non-empty) turns colour off, FORCE_COLOR
    (non-empty, not 0) turns it on even without a terminal (CI logs), else a terminal decides."""
    import os

    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0", "false"):
        return True
    return terminal


def _write_step_summary(result) -> None:
    """--step-summary with any format: the job summary -f github writes, appended to
    $GITHUB_STEP_SUMMARY when GitHub provides it (elsewhere nothing to do)."""
    import os

    from manifestlint.output import github

    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        _append_summary(summary_file, github.step_summary(result, os.environ.get("GITHUB_WORKSPACE") or None))


def _append_summary(path: str, markdown: str) -> None:
    """Append to the job summary file GitHub gives each step (other steps write it too)."""
    from manifestlint.atomic import open_append

    try:
        with open_append(Path(path)) as handle:
            handle.write(markdown.encode("utf-8", "backslashreplace"))
    except OSError as exc:
        raise Failure(f"cannot write the step summary to {path}: {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def emit(data: bytes | Iterable[bytes], output: str | None) -> None:
    """The report (bytes, or its pieces in order), whole or not at all: atomically into
    `output` (manifestlint.atomic), or to standard output. Any failure is exit 2 with one
    line, whatever --exit-zero says."""
    if output:
        from manifestlint.atomic import write_atomic

        try:
            write_atomic(Path(output), data)
        except OSError as exc:
            raise Failure(f"cannot write the report to {output}: {_reason(exc)}") from None
        return
    try:
        sys.stdout.flush()
        for chunk in [data] if isinstance(data, bytes) else data:
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head` read what it wanted: no message, the usual exit code
        silence_stdout()
    except OSError as exc:  # a full disk behind a redirection
        silence_stdout()
        raise Failure(f"cannot write the report to standard output: {_reason(exc)}") from None


def silence_stdout() -> None:
    """Point the closed standard output at /dev/null so that no later flush raises again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _explain_listing(listing: list, verbose: bool, quiet: bool, result=None, config_path=None) -> None:
    """With -v, every file linted or skipped and why; without it, a hint when nothing at all
    was linted (a folder of test data or chart templates must not pass silently)."""
    from manifestlint.listing import LINTED, render, summary

    if verbose:
        from manifestlint.output import printable  # file names may hold control characters

        if config_path is not None:
            _echo(f"manifestlint: configuration: {printable(str(config_path))}")
        else:
            _echo("manifestlint: configuration: none found (defaults)")

        for line in render(listing):
            _echo(f"manifestlint: {printable(line)}")
        if result is not None and result.model is not None:  # what deploys together (bundles)
            for line in result.model.bundle_lines(
                result.cwd, [e.path for e in listing if e.action == LINTED]
            ):
                _echo(f"manifestlint: {printable(line)}")
        _echo(f"manifestlint: {summary(listing)}")
    elif not quiet and not any(entry.action == LINTED for entry in listing):
        hint = "; rerun with -v to see why" if listing else ""
        _echo(f"manifestlint: no file was linted: {summary(listing)}{hint}")
        if any(entry.role.name == "test-data" for entry in listing):
            _echo(
                "manifestlint: test-data folders are skipped in folder walks; name the files, "
                "or set `include-test-data: true` in .manifestlint.yaml"
            )


def _changed_targets(
    base: str, paths: tuple[str, ...], cwd: Path, include_test_data: bool = False
) -> tuple[list[str], dict[Path, set[int]]]:
    """Changed, lintable files below the given paths, and their changed lines. Below a folder,
    the walk's choices apply: `*.rules` by content, test data only with include-test-data."""
    from pathlib import PurePosixPath

    from manifestlint.classify import file_type_by_name
    from manifestlint.discover import type_by_content
    from manifestlint.gitdiff import DiffError, changed_lines
    from manifestlint.project.roles import in_test_data

    def wanted(path: Path, root: Path) -> bool:
        if path == root:
            return True
        if root not in path.parents:
            return False
        rel = PurePosixPath(path.relative_to(root).as_posix())
        if not include_test_data and in_test_data(rel):
            return False
        return bool(file_type_by_name(path.name) or type_by_content(path))

    try:
        changed = changed_lines(base, cwd)
    except DiffError as exc:
        raise Failure(f"--diff-base {base}: {exc}") from None
    roots = [(cwd / p).resolve() for p in paths if p != "-"]
    targets = [str(path) for path in sorted(changed) if any(wanted(path, r) for r in roots)]
    return targets, changed
