"""How packages are installed: pinned versions, prompts, the apt command-line front end, and
index updates cached apart from their installs.

Every package manager is one row of data (`MANAGERS`): the programs that invoke it, its
install sub-commands, the options that take a value, and what a pinned package word looks
like. The rules read the rows, so "apt-get install without -y" and "zypper install without
-n" are one rule, as are the nine pinning checks hadolint has one id each for (DL3008,
DL3013, DL3016, DL3018, DL3028, DL3033, DL3037, DL3041, DL3062).

Words holding a variable (`$PKG`) are never judged: what they expand to is not in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from manifestlint.model import Finding, hit
from manifestlint.parse.dockerfile import Dockerfile, Instruction
from manifestlint.registry import rule
from manifestlint.rules.docker.common import (
    Word,
    _stage_label,
    _word_span,
    after_word,
    calls,
    program_index,
    word_fix,
)


@dataclass(frozen=True, slots=True)
class Manager:
    """One package manager as the rules see it."""

    name: str
    programs: frozenset[str]
    installs: frozenset[str]  # sub-commands that install named packages
    value_options: frozenset[str]  # options whose value is the next word
    pinned: Callable[[str], bool]  # a package word that names a version
    local: Callable[[str], bool]  # a file, folder or URL rather than a package name
    yes: tuple[str, ...] = ()  # options that answer prompts (empty: the manager never prompts)
    prompting: frozenset[str] = frozenset()  # sub-commands that prompt without `yes`


def _path_like(word: str) -> bool:
    return word.startswith(("/", "./", "../", "~")) or word == "."


def _apt_local(word: str) -> bool:
    return _path_like(word) or word.endswith(".deb")


def _rpm_pinned(word: str) -> bool:
    """`name-1.2`, `name-1:1.2` (epoch), `name:stream` (modules), `name = 1.2` comparisons."""
    return bool(re.search(r"-\d|:|[<>=]", word))


def _pip_local(word: str) -> bool:
    return (
        _path_like(word)
        or ("/" in word and not word.startswith(("git+", "hg+", "svn+", "bzr+")))
        or word.endswith((".whl", ".tar.gz", ".zip", ".tgz", ".tar.bz2"))
        or word.startswith(("http://", "https://", "file:"))
    )


def _pip_pinned(word: str) -> bool:
    if word.startswith(("git+", "hg+", "svn+", "bzr+")):
        return bool(re.search(r"\.git@|@[^/#]+(#|$)", word.split("://", 1)[-1].split("/", 1)[-1]))
    return bool(re.search(r"[=<>~!]=|[<>]|@", word))


def _npm_local(word: str) -> bool:
    return _path_like(word) or word.endswith((".tgz", ".tar", ".tar.gz")) or ("://" in word and "#" in word)


def _npm_pinned(word: str) -> bool:
    if "://" in word or word.startswith("git+"):
        return "#" in word
    name = word[1:] if word.startswith("@") else word
    return "@" in name


def _go_local(word: str) -> bool:
    return _path_like(word) or word.endswith(".go")


def _go_pinned(word: str) -> bool:
    _, at, version = word.partition("@")
    return bool(at) and version not in ("", "latest", "master", "main", "HEAD")


MANAGERS: tuple[Manager, ...] = (
    Manager(
        "apt",
        frozenset({"apt-get", "apt", "aptitude"}),
        frozenset({"install"}),
        frozenset({"-o", "-t", "--target-release", "-c", "--config-file", "--default-release"}),
        lambda w: "=" in w or "/" in w,
        _apt_local,
        ("-y", "--yes", "--assume-yes", "-qq", "--force-yes"),
        frozenset({"install", "remove", "purge", "upgrade", "dist-upgrade", "full-upgrade", "autoremove"}),
    ),
    Manager(
        "apk",
        frozenset({"apk"}),
        frozenset({"add"}),
        frozenset({"-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch", "--keys-dir"}),
        lambda w: bool(re.search(r"[=~<>]", w)),
        lambda w: _path_like(w) or w.endswith(".apk"),
    ),
    Manager(
        "pip",
        frozenset(),  # pip, pip3, pip3.12, python -m pip, pipx: see _pip_invocation
        frozenset({"install"}),
        frozenset(
            {
                *("-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url"),
                *("--extra-index-url", "--trusted-host", "-t", "--target", "--prefix", "--root"),
                *("-b", "--build", "--src", "--platform", "--python-version", "--implementation"),
                *("--abi", "--root-user-action", "--progress-bar", "--log", "--cache-dir", "-f"),
                *("--find-links", "--upgrade-strategy", "--global-option", "--install-option"),
                *("-C", "--config-settings", "--python", "--pip-args", "--suffix", "--index"),
            }
        ),
        _pip_pinned,
        _pip_local,
    ),
    Manager(
        "npm",
        frozenset({"npm"}),
        frozenset({"install", "i", "add", "isntall", "in"}),
        frozenset({"--registry", "--loglevel", "--prefix", "--cache", "--tag", "-w", "--workspace"}),
        _npm_pinned,
        _npm_local,
    ),
    Manager(
        "gem",
        frozenset({"gem"}),
        frozenset({"install", "i"}),
        frozenset({"-v", "--version", "-s", "--source", "-i", "--install-dir", "-n", "--bindir"}),
        lambda w: ":" in w,
        lambda w: _path_like(w) or w.endswith(".gem") or w in ("true", "false"),
    ),
    Manager(
        "yum",
        frozenset({"yum", "dnf", "dnf5", "microdnf", "tdnf"}),
        frozenset({"install", "in"}),
        frozenset({"-c", "--config", "--releasever", "--installroot", "-d", "-e", "-x", "--exclude"}),
        _rpm_pinned,
        lambda w: _path_like(w) or w.endswith(".rpm") or w.startswith("@") or "://" in w,
        ("-y", "--assumeyes"),
        frozenset({"install", "in", "remove", "erase", "update", "upgrade", "groupinstall", "reinstall"}),
    ),
    Manager(
        "zypper",
        frozenset({"zypper"}),
        frozenset({"install", "in"}),
        frozenset({"-t", "--type", "-r", "--repo", "--from", "-R", "--root"}),
        lambda w: bool(re.search(r"[=<>]", w)),
        lambda w: _path_like(w) or w.endswith(".rpm"),
        ("-n", "--non-interactive", "-y", "--no-confirm"),
        frozenset({"install", "in", "remove", "rm", "update", "up", "patch", "dist-upgrade", "dup"}),
    ),
    Manager(
        "go",
        frozenset({"go"}),
        frozenset({"install", "get", "run"}),
        frozenset(
            {
                *("-C", "-o", "-p", "-covermode", "-coverpkg", "-asmflags", "-buildmode", "-compiler"),
                *("-gccgoflags", "-gcflags", "-installsuffix", "-ldflags", "-mod", "-modfile"),
                *("-overlay", "-pgo", "-pkgdir", "-tags", "-toolexec", "-exec"),
            }
        ),
        _go_pinned,
        _go_local,
    ),
)


_BY_PROGRAM = {program: m for m in MANAGERS for program in m.programs}


_PIP = next(m for m in MANAGERS if m.name == "pip")


_PIP_PROGRAM = re.compile(r"pip[0-9.]*|pipx")


_PYTHON = re.compile(r"python[0-9.]*")


def _manager_call(prog: str, words: list[Word], i: int) -> tuple[Manager, int] | None:
    """The manager a command runs and the index of its program word (after `python -m`)."""
    if _PIP_PROGRAM.fullmatch(prog):
        return _PIP, i
    if _PYTHON.fullmatch(prog):
        for k in range(i + 1, min(i + 4, len(words) - 1)):
            if words[k][0] == "-m" and re.fullmatch(r"pip[0-9.]*", words[k + 1][0]):
                return _PIP, k + 1
        return None
    manager = _BY_PROGRAM.get(prog)
    return (manager, i) if manager is not None else None


def _sub(manager: Manager, words: list[Word], i: int) -> tuple[str, int]:
    """The sub-command after the program (skipping options and their values), with its index.
    `dnf module install` and `dnf group install` count as `module`/`group`."""
    j = i + 1
    while j < len(words):
        word = words[j][0]
        if word.startswith("-"):
            j += 2 if word in manager.value_options else 1
            continue
        return word, j
    return "", len(words)


def _arguments(manager: Manager, words: list[Word], j: int) -> Iterator[int]:
    """Indexes of the package words after sub-command index `j` (options and values skipped;
    `--` ends them, so does a redirection or shell keyword)."""
    k = j + 1
    while k < len(words):
        word = words[k][0]
        if word == "--" or word.startswith((">", "<", "2>", "&>")) or word in ("then", "do", "fi", "done"):
            return
        if word.startswith("-"):
            k += 2 if word in manager.value_options and "=" not in word else 1
            continue
        yield k
        k += 1


def _manager_programs(df: Dockerfile) -> list[str]:
    index = program_index(df)
    return [p for p in index if p in _BY_PROGRAM or _PIP_PROGRAM.fullmatch(p) or _PYTHON.fullmatch(p)]


def _installs(df: Dockerfile) -> Iterator[tuple[Manager, str, list[Word], int, int, Callable, Instruction]]:
    """(manager, program, words, program index, sub-command index, span function, instruction)
    of every package-manager command of `df`."""
    for instr, prog, words, i, span_fn, _ in calls(df, *_manager_programs(df)):
        found = _manager_call(prog, words, i)
        if found is None:
            continue
        manager, p = found
        sub, j = _sub(manager, words, p)
        if sub in ("module",) and manager.name == "yum":
            sub, j = _sub(manager, words, j)
            if sub == "install":
                yield manager, prog, words, p, j, span_fn, instr
            continue
        yield manager, prog, words, p, j, span_fn, instr


def _yes(manager: Manager, words: list[Word]) -> bool:
    for word, _, _ in words:
        if word in manager.yes or word.split("=", 1)[0] in manager.yes:
            return True
        if re.fullmatch(r"-[a-zA-Z]*y[a-zA-Z]*", word) and manager.name != "zypper":
            return True
        if manager.name == "zypper" and re.fullmatch(r"-[a-zA-Z]*n[a-zA-Z]*", word):
            return True
        if "assume-yes" in word.lower() or "assumeyes" in word.lower():
            return True  # `-o APT::Get::Assume-Yes=true`, `--setopt=assumeyes=1`
    if manager.name == "apt":
        quiet = [w for w, _, _ in words if re.fullmatch(r"-q+|--quiet", w)]
        levels = sum(len(w) - 1 if w.startswith("-q") else 1 for w in quiet)
        if levels >= 2 or any(w in ("-q=2", "--quiet=2") for w, _, _ in words):
            return True  # -qq implies -y
    return False


@rule("docker-unpinned-packages", "dockerfile")
def unpinned_packages(df: Dockerfile, ctx) -> Iterator[Finding]:
    skip = set(ctx.options.get("managers-not-pinned") or ())
    for manager, prog, words, _i, j, span_fn, instr in _installs(df):
        if manager.name in skip or j >= len(words) or words[j][0] not in manager.installs:
            continue
        if manager.name == "gem" and any(w[0] in ("-v", "--version") or w[0].startswith("--version=")
                                         for w in words):  # fmt: skip
            continue
        if manager is _PIP and any(w[0].split("=", 1)[0] in ("-c", "--constraint", "-r", "--requirement")
                                   for w in words):  # fmt: skip
            continue  # versions come from the constraints or requirements file
        if manager.name == "go" and words[j][0] == "run":
            args = list(_arguments(manager, words, j))[:1]
        else:
            args = list(_arguments(manager, words, j))
        loose = [
            k
            for k in args
            if "$" not in words[k][0] and not manager.local(words[k][0]) and not manager.pinned(words[k][0])
        ]
        if not loose:
            continue
        names = ", ".join(words[k][0] for k in loose[:5]) + (", ..." if len(loose) > 5 else "")
        yield hit(
            df.path,
            _word_span(words, loose[0], span_fn),
            f"{prog} {words[j][0]} without a pinned version: {names}",
            _stage_label(df, instr),
        )


_SIMULATE = frozenset({"-s", "--simulate", "--dry-run", "--just-print", "--no-act", "--recon", "--assumeno"})


@rule("docker-install-without-yes", "dockerfile")
def install_without_yes(df: Dockerfile, ctx) -> Iterator[Finding]:
    for manager, prog, words, i, j, span_fn, instr in _installs(df):
        if not manager.yes or j >= len(words) or words[j][0] not in manager.prompting:
            continue
        if manager.name == "apt" and prog == "aptitude":
            continue
        if _yes(manager, words) or any(w[0] in _SIMULATE for w in words):
            continue
        flag = "-n" if manager.name == "zypper" else "-y"
        # zypper takes -n before its sub-command (a global option); the others after it
        at = i if manager.name == "zypper" else j
        yield hit(
            df.path,
            _word_span(words, i, span_fn, j),
            f"{prog} {words[j][0]} without {flag}: a build cannot answer its prompt and aborts",
            _stage_label(df, instr),
            fix=after_word(df, words, at, span_fn, flag, f"add {flag}"),
        )


@rule("docker-apt-cli", "dockerfile")
def apt_cli(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr, _, words, i, span_fn, _ in calls(df, "apt"):
        if len(words) <= i + 1:
            continue
        fix = None
        if _subcommand_word(words, i) in _APT_GET_SAME:  # apt-get does the same under the same name
            fix = word_fix(df, _word_span(words, i, span_fn), "use apt-get", lambda old: old + "-get")
        yield hit(
            df.path,
            _word_span(words, i, span_fn),
            "apt is meant for people at a terminal and has no stable command-line interface; "
            "use apt-get (or apt-cache) in scripts",
            _stage_label(df, instr),
            fix=fix,
        )


# apt's sub-commands that apt-get has under the same name and with the same meaning (`list`,
# `search`, `show` and `full-upgrade` are not among them)
_APT_GET_SAME = frozenset(
    {"install", "update", "upgrade", "remove", "purge", "autoremove", "dist-upgrade", "clean", "autoclean"}
)


def _subcommand_word(words: list[Word], i: int) -> str:
    """apt's sub-command: the first word after the program that is not an option (options
    taking a value, `-o x=y`, `-c file`, `-t release`, skipped with it)."""
    k = i + 1
    while k < len(words) and words[k][0].startswith("-"):
        k += 2 if words[k][0] in ("-o", "-c", "-t") else 1
    return words[k][0] if k < len(words) else ""


# index refresh commands: (program, sub-commands)
_REFRESH = {
    "apt-get": ("update",),
    "apt": ("update",),
    "aptitude": ("update",),
    "apk": ("update",),
    "zypper": ("refresh", "ref"),
    "yum": ("makecache",),
    "dnf": ("makecache",),
    "microdnf": ("makecache",),
}


_INSTALLING = frozenset(
    {
        *("install", "add", "upgrade", "dist-upgrade", "full-upgrade", "in", "groupinstall"),
        *("localinstall", "update", "reinstall", "source-install", "build-dep", "up", "dup", "patch"),
    }
)


@rule("docker-update-alone", "dockerfile")
def update_alone(df: Dockerfile, ctx) -> Iterator[Finding]:
    index = program_index(df)
    if not any(p in index for p in _REFRESH):
        return
    per_instr: dict[int, list] = {}
    for call in calls(df, *(p for p in index if p in _BY_PROGRAM or p in _REFRESH)):
        per_instr.setdefault(id(call.instr), []).append(call)
    for group in per_instr.values():
        instr = group[0].instr
        refresh = None
        installs = False
        for _, prog, words, i, span_fn, _ in group:
            manager = _BY_PROGRAM.get(prog)
            sub, j = (
                _sub(manager, words, i) if manager else (words[i + 1][0] if i + 1 < len(words) else "", i + 1)
            )
            if sub in _REFRESH.get(prog, ()) and not (prog == "yum" and sub == "update"):
                refresh = refresh or (prog, sub, _word_span(words, i, span_fn, j))
            elif sub in _INSTALLING or "--update" in (w[0] for w in words):
                installs = True
        if refresh is not None and not installs:
            prog, sub, span = refresh
            yield hit(
                df.path,
                span,
                f"`{prog} {sub}` alone in a RUN: its layer is cached, so a later install reads an "
                "index as old as that cache; update and install in the same RUN",
                _stage_label(df, instr),
            )
