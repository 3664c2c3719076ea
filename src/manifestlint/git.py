"""Running git on a tree we do not trust, so that nothing configured in it can run.

A linted folder may sit in any `.git` (an unpacked archive, a downloaded artifact, a shared CI
workspace), and that repository's `.git/config` and `.gitattributes` can name programs git runs
by itself: `core.fsmonitor`, diff `textconv` and `command` drivers, `diff.external`, clean and
smudge `filter`s, pagers, hooks, remote helpers and lazy fetches in partial clones. Every git
call goes through `run`, which

- names the repository explicitly (`--git-dir`/`--work-tree`: no discovery of a bare
  repository planted in the tree),
- overrides each of those settings with command-scope configuration, which outranks the
  repository's (`GIT_CONFIG_COUNT`, so no key or value is ever parsed from a string) —
  including every `filter.<driver>` and `diff.<driver>` defined in any configuration file,
- forbids every transport (`GIT_ALLOW_PROTOCOL`), terminal prompts and optional locks,
- and fixes the output options users may have changed (prefixes, colour, quoting).

The user's own global and system configuration still apply otherwise (`safe.directory`,
`core.excludesFile`): they are the user's, not the input's.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# (key, value): every setting here either runs a program or changes the output we parse.
_FIXED = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("core.askPass", ""),
    ("core.sshCommand", "false"),
    ("core.gitProxy", ""),
    ("core.alternateRefsCommand", ""),
    ("core.attributesFile", os.devnull),
    ("core.quotePath", "true"),
    ("core.untrackedCache", "false"),
    ("credential.helper", ""),
    ("diff.external", ""),
    ("diff.noprefix", "false"),
    ("diff.mnemonicPrefix", "false"),
    ("diff.relative", "false"),
    ("diff.ignoreSubmodules", "all"),
    ("diff.renames", "true"),
    ("color.ui", "false"),
    ("color.diff", "false"),
    ("log.showSignature", "false"),
    ("submodule.recurse", "false"),
    ("protocol.allow", "never"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("safe.bareRepository", "explicit"),
)
# Per-driver keys that run programs: `filter.<name>.clean` etc.
_DRIVER_KEYS = {
    "filter": (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")),
    "diff": (("textconv", ""), ("command", ""), ("cachetextconv", "false")),
    "merge": (("driver", ""),),
}
_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ALLOW_PROTOCOL": "none",  # no transport at all (outranks protocol.<name>.allow)
    "GIT_NO_LAZY_FETCH": "1",  # partial clones: never fetch a missing object
    "GIT_OPTIONAL_LOCKS": "0",  # read-only: do not refresh and rewrite the index
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "LC_ALL": "C",  # stable messages
    "LANGUAGE": "C",
}
# The environment that would point git elsewhere or run something: never inherited.
_DROP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_EXTERNAL_DIFF", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS",
         "GIT_PROXY_COMMAND", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_CONFIG_PARAMETERS", "GIT_TRACE",
         "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_COMMON_DIR")  # fmt: skip


class GitError(Exception):
    """git could not answer; the message is git's last line (or why git did not run)."""


def _environment(pairs: list[tuple[str, str]]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROP and not k.startswith("GIT_CONFIG_")}
    env.update(_ENV)
    env["GIT_CONFIG_COUNT"] = str(len(pairs))
    for i, (key, value) in enumerate(pairs):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def _call(args: list[str], env: dict[str, str], timeout: float) -> bytes:
    try:
        proc = subprocess.run(
            ["git", "--no-pager", *args],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=env,
            timeout=timeout,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git did not run: {exc}") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(lines[-1] if lines else f"git {args[2] if len(args) > 2 else ''} failed")
    return proc.stdout


class Repository:
    """One work tree, addressed explicitly, with every program git could run disabled."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._base = [f"--git-dir={root / '.git'}", f"--work-tree={root}"]
        pairs = list(_FIXED)
        self._env = _environment(pairs)
        # Drivers may be defined anywhere (repository, user, system, includes): list their
        # names without running anything, then blank each one's programs.
        try:
            names = _call([*self._base, "config", "--null", "--name-only", "--get-regexp",
                           r"^(filter|diff|merge)\..+\."], self._env, 30)  # fmt: skip
        except GitError:
            names = b""  # no driver defined (exit 1) or no usable repository (found below)
        drivers = set()
        for raw in names.split(b"\0"):
            name = raw.decode("utf-8", "surrogateescape").strip()
            section, _, rest = name.partition(".")
            subsection = rest.rpartition(".")[0]
            if section.lower() in _DRIVER_KEYS and subsection:
                drivers.add((section.lower(), subsection))
        for section, subsection in sorted(drivers):
            pairs += [(f"{section}.{subsection}.{key}", value) for key, value in _DRIVER_KEYS[section]]
        self._env = _environment(pairs)

    def run(self, *args: str, cwd: Path | None = None, timeout: float = 60) -> bytes:
        """git's standard output (bytes) for `args`, run in `cwd` (default: the root)."""
        return _call(["-C", str(cwd or self.root), *self._base, *args], self._env, timeout)


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding `.git` (a folder or a gitfile)."""
    for folder in (start, *start.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return None


_REPOSITORIES: dict[Path, Repository] = {}


def repository(root: Path) -> Repository:
    """The Repository for a work-tree root, set up once per run."""
    if root not in _REPOSITORIES:
        _REPOSITORIES[root] = Repository(root)
    return _REPOSITORIES[root]
