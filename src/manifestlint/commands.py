"""The command line declared with click: the `manifestlint` group and its commands.

Imported when click must read the command line (help, --version, every command but an
everyday `lint` call, and any `lint` line manifestlint.argv leaves to click) and by tests.
The lint command's work is manifestlint.cli.run_lint, shared with the click-free path.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from manifestlint import __version__
from manifestlint.argv import FILE_TYPES, FORMATS
from manifestlint.lint_command import Failure, emit, load_rules, run_lint


class UsageFailure(click.ClickException):
    """Exit 2 with a one-line message (click's own usage errors also exit 2): usage,
    configuration and output errors. The message is escaped: it may quote a file name."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        from manifestlint.output import printable

        super().__init__(printable(message))


@contextlib.contextmanager
def _usage_failures() -> Iterator[None]:
    """manifestlint.cli's Failure as click's exit-2 error."""
    try:
        yield
    except Failure as exc:
        raise UsageFailure(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="manifestlint")
def main() -> None:
    """Production-readiness linter for Dockerfiles, Kubernetes/Istio manifests,
    Alertmanager configs and Prometheus alerting rules."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("-c", "--config", "config_path", type=str, help="Configuration file (default: found upward).")
@click.option(
    "--select", multiple=True, help="Only these rule ids or prefixes (repeatable, comma-separated)."
)
@click.option(
    "--ignore", multiple=True, help="Skip these rule ids or prefixes (repeatable, comma-separated)."
)
@click.option("--exclude", multiple=True, help="Glob pattern of paths not to lint (repeatable).")
@click.option(
    "--type", "forced_type", type=click.Choice(FILE_TYPES), help="Treat every given file as this type."
)
@click.option(
    "--stdin-filename",
    default=None,
    help="Name for input read from '-' (its type follows from it) [default: 'stdin' for a "
    "Dockerfile recognised by its content, else 'stdin.yaml'].",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "note", "none"]),
    default=None,
    help="Lowest severity that makes the exit code 1 [default: warning].",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option(
    "--kubernetes-version", default=None, help="Target Kubernetes version for API checks, e.g. 1.33."
)
@click.option("--no-context", is_flag=True, help="Cross-file rules see only the named files.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Parse every context file instead of reading and updating the context cache "
    "(.manifestlint_cache/ in the project root).",
)
@click.option(
    "--sarif-category",
    default=None,
    help="GitHub code scanning category (written as automationDetails.id 'CATEGORY/'); "
    "without it the upload action's `category:` applies.",
)
@click.option(
    "--show-suppressed",
    is_flag=True,
    help="SARIF: also report findings hidden by suppression comments/annotations or the "
    "baseline, marked as suppressed (GitHub shows them dismissed); they never fail the run.",
)
@click.option(
    "--diff-base",
    metavar="REF",
    help="Only files changed since the merge base with REF, and only "
    "findings on changed lines (pull-request review).",
)
@click.option(
    "--baseline", type=click.Path(dir_okay=False), help="Hide findings recorded in this baseline file."
)
@click.option(
    "--write-baseline", type=click.Path(dir_okay=False), help="Record every current finding here and exit 0."
)
@click.option(
    "--step-summary",
    is_flag=True,
    help="Also append the Markdown job summary (what -f github writes) to $GITHUB_STEP_SUMMARY, "
    "whatever the format: one lint pass gives the SARIF and the summary.",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary line in text output.")
@click.option(
    "--statistics",
    "stats",
    is_flag=True,
    help="Counts per rule instead of the findings (text; on stderr for the other formats).",
)
@click.option(
    "--color",
    "color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour text output; auto: on a terminal, unless NO_COLOR is set or FORCE_COLOR forces it.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="List every file linted or skipped, and why, on standard error."
)
@click.option("--force-include", is_flag=True, help="Lint named files even where a folder walk skips them.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes (minimal edits), then report what is left.")
@click.option(
    "--unsafe-fixes", is_flag=True, help="With --fix or --diff: also fixes that may change behaviour."
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print the fixes as a diff, write nothing (exit 1: a diff)."
)
def lint(**params) -> None:
    """Lint files and folders (recursively); '-' reads standard input."""
    with _usage_failures():
        run_lint(**params)  # click's parameter names are run_lint's


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["markdown", "text", "json"]), default="markdown",
    show_default=True,
)  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("-c", "--config", "config_path", type=str, help="Configuration file (default: found upward).")
@click.option(
    "--checklist", "checklist_path", type=click.Path(dir_okay=False),
    help="A Markdown checklist (`- [x] item` lines) to verify instead of the built-in one.",
)  # fmt: skip
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "note", "none"]),
    default=None,
    help="Lowest severity of a failing item that makes the exit code 1 [default: warning].",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when items fail.")
@click.option("--no-context", is_flag=True, help="Cross-file rules see only the named files.")
@click.option(
    "--full", is_flag=True,
    help="Markdown: every finding and citation (the default is compact: it fits a PR comment).",
)  # fmt: skip
def checklist(paths, fmt, output, config_path, checklist_path, fail_on, exit_zero, no_context, full) -> None:
    """The production-readiness checklist with a status per item: verified (with the evidence
    as path:line), failing (with every finding), no evidence, absent, or not statically
    checkable."""
    import gc

    gc.disable()
    from manifestlint.checklist import items as checklist_items
    from manifestlint.checklist import render
    from manifestlint.checklist.evidence import Project
    from manifestlint.checklist.verdict import FAILING, judge
    from manifestlint.config import ConfigError, load_config
    from manifestlint.discover import PathNotFound
    from manifestlint.engine import lint as run_lint
    from manifestlint.model import Severity
    from manifestlint.rules.prometheus.thresholds import project_alerts

    cwd = Path.cwd()
    source = Path(checklist_path) if checklist_path else checklist_items.seed_path()
    from manifestlint.safeio import Unreadable, read_regular

    try:  # a regular file of at most MAX_CHECKLIST_BYTES (a FIFO blocked, /dev/zero took 3.7 GiB)
        checklist_text = read_regular(source, checklist_items.MAX_CHECKLIST_BYTES).decode("utf-8")
    except Unreadable as exc:
        reason = str(exc).removesuffix("; not linted").removesuffix("; not read")
        raise UsageFailure(f"--checklist {source}: {reason}") from None
    except UnicodeDecodeError as exc:
        raise UsageFailure(f"--checklist {source}: cannot read: {exc}") from None
    items = checklist_items.parse_checklist(checklist_text)
    if not items:
        raise UsageFailure(f"--checklist {source}: no `- [ ]` or `- [x]` items found")
    try:
        registry = load_rules()
        config = load_config(config_path, cwd, registry)
        # The checklist judges the named project as one to deploy, wherever it lives (the
        # repository's own examples/freeagentics is a real project): no example notes.
        config.example_severity = "keep"
        result = run_lint(list(paths), registry, config, cwd, use_context=not no_context)
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from None
    except PathNotFound as exc:
        raise UsageFailure(f"no such file or directory: {exc.args[0]}") from None
    from manifestlint.alerts.thresholds import understood_alerts
    from manifestlint.index import Index

    index = result.index or Index()
    alerts = [a for a in project_alerts(index, config.alert_policy) if index.reported(a.groups.doc)]
    understood = understood_alerts(index)
    named = [cwd / p for p in paths]
    project = Project(
        index, config.alert_policy, alerts, understood, result.findings, named, result.artifacts
    )
    verdicts = judge(items, result, registry, project)
    title = f"Production-readiness checklist: {' '.join(paths)}"
    if fmt == "json":
        text = render.as_json(verdicts, title, alerts, understood)
    elif fmt == "text":
        text = render.text(verdicts, title)
    else:
        text = render.markdown(verdicts, title, full=full)
    with _usage_failures():
        emit(text.encode("utf-8", "backslashreplace"), output)

    threshold = fail_on or config.fail_on
    if exit_zero or threshold == "none":
        sys.exit(0)
    level = Severity.parse(threshold)
    failing = [v for v in verdicts if v.status == FAILING and v.severity is not None and v.severity >= level]
    sys.exit(1 if failing else 0)


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default="table")
def list_rules(fmt: str) -> None:
    """List every rule: id, default severity, enabled by default, title."""
    from manifestlint import docs

    click.echo(docs.rules_table(load_rules(), fmt), nl=False)


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Print a rule's full documentation."""
    from manifestlint import docs

    registry = load_rules()
    if rule_id not in registry:
        covering = docs.rules_for_peer_check(registry, rule_id)
        if covering:  # `explain DL3002`: a peer's check id, answered with our rule(s)
            click.echo(f"{rule_id} is another tool's check; manifestlint covers it with:")
            for rule, ref in covering:
                click.echo(f"  {rule.id}  {rule.title}  (references: {ref})")
            if len(covering) == 1:
                click.echo("")
                click.echo(docs.explain_page(covering[0][0]), nl=False)
            return
        import difflib

        close = difflib.get_close_matches(rule_id, [r.id for r in registry], n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageFailure(f"unknown rule id {rule_id!r}{hint} (see `manifestlint rules`)")
    click.echo(docs.explain_page(registry.get(rule_id)), nl=False)
