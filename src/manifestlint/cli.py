"""Command line: `manifestlint lint`, `manifestlint checklist`, `manifestlint rules`,
`manifestlint explain`.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage,
configuration or output error (one line on stderr; also with --exit-zero), or an internal
error — never 1, which means findings. Heavy modules are imported inside the commands so that a one-file
pre-commit call starts fast.

This module imports no click: the commands and their options are declared with click in
manifestlint.commands, but an everyday `lint` command line is read by manifestlint.argv into
the same parameters without importing click (about a third of a one-file call's start-up),
and `run_lint` (manifestlint.lint_command) does the work either way. `from manifestlint.cli
import main` still gives the click group.
"""

from __future__ import annotations

import contextlib
import sys

from manifestlint.argv import FILE_TYPES, FORMATS
from manifestlint.lint_command import Failure, run_lint, silence_stdout

__all__ = ["FILE_TYPES", "FORMATS", "Failure", "entry", "run_lint"]


_CLICK_NAMES = frozenset({"main", "UsageFailure", "lint", "checklist", "list_rules", "explain"})


def __getattr__(name: str) -> object:
    """The click group and commands (`from manifestlint.cli import main`), from
    manifestlint.commands, imported on first use."""
    if name in _CLICK_NAMES:
        from manifestlint import commands

        return getattr(commands, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def entry() -> None:
    """The console script and `python -m manifestlint`: the command, then a hard exit.

    An everyday `lint` command line runs without click (manifestlint.argv); any other goes
    through the click group. Tearing down the interpreter frees the whole parsed model
    object by object (100 ms on the 500-file Kubernetes corpus); a linter has nothing left
    to clean up once its report is flushed. Tests call `main` and keep the normal exit."""
    import os

    from manifestlint.argv import read_lint_argv

    try:  # not standalone: click would turn a closed pipe or Ctrl-C into exit 1 (findings)
        params = read_lint_argv(sys.argv[1:])
        if params is None:
            from manifestlint.commands import main

            main.main(standalone_mode=False)
        else:
            _run_without_click(params)
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    except (KeyboardInterrupt, EOFError):
        code = 130
    except Exception as exc:
        code = _click_exit(exc)
        if code is None:  # a bug of ours: one line and exit 2, never 1 (findings)
            if os.environ.get("MANIFESTLINT_DEBUG"):
                import traceback

                traceback.print_exc()
            from manifestlint.output import printable

            detail = printable(f"{type(exc).__name__}: {exc}")[:500]
            sys.stderr.write(f"manifestlint: internal error: {detail} (MANIFESTLINT_DEBUG=1 shows where)\n")
            code = 2
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
        code = 2
    try:
        sys.stdout.flush()
    except OSError:
        silence_stdout()
        code = 2 if code in (0, 1, None) else code
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0)


def _run_without_click(params: dict) -> None:
    """run_lint on a command line manifestlint.argv has read, ending the way click's
    non-standalone main ends the same call: a Failure as click's exit-2 error (raised, for
    entry to show), Ctrl-C as click.Abort after a blank line, a closed pipe as exit 1."""
    import errno

    try:
        run_lint(**params)
    except Failure as exc:
        from manifestlint.commands import UsageFailure

        raise UsageFailure(str(exc)) from None
    except (EOFError, KeyboardInterrupt) as exc:
        import click

        click.echo(file=sys.stderr)  # the blank line closes the terminal's ^C echo
        raise click.exceptions.Abort() from exc
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        from click.utils import _PacifyFlushWrapper

        sys.stdout = _PacifyFlushWrapper(sys.stdout)  # type: ignore[assignment]
        sys.stderr = _PacifyFlushWrapper(sys.stderr)  # type: ignore[assignment]
        sys.exit(1)


def _click_exit(exc: Exception) -> object:
    """The exit code (after its message) of one of click's exceptions; None for any other.
    Click is imported only if something already did: no other exception is click's."""
    click = sys.modules.get("click")
    if click is None:
        return None
    if isinstance(exc, click.UsageError):  # one line, like every other exit 2
        from manifestlint.output import printable

        where = exc.ctx.command_path if exc.ctx is not None else "manifestlint"
        sys.stderr.write(f"Error: {printable(exc.format_message())} (see `{where} --help`)\n")
        return exc.exit_code
    if isinstance(exc, click.ClickException):
        exc.show()
        return exc.exit_code
    if isinstance(exc, click.exceptions.Exit):  # --help, --version
        return exc.exit_code
    if isinstance(exc, click.exceptions.Abort):
        return 130
    return None


if __name__ == "__main__":  # pragma: no cover
    entry()
