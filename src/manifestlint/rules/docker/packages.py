"""Package managers in RUN: what they install (recommends, upgrades, build tools) and
the caches they leave in the image's layers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifestlint.model import Finding, Fix, hit
from manifestlint.parse.dockerfile import Dockerfile, Instruction
from manifestlint.registry import rule
from manifestlint.rules.docker.common import (
    Word,
    _chain_instructions,
    _commands,
    _invocations,
    _prog_name,
    _program,
    _role,
    _scripts,
    _stage_label,
    _word_span,
    after_word,
    calls,
)


def _subcommand(words: list[Word], i: int) -> tuple[str, int]:
    """First non-option word after the program (e.g. `install`), with its index."""
    j = i + 1
    while j < len(words):
        word = words[j][0]
        if word in ("-o", "-c", "-t", "-X", "--repository", "-y", "-q"):
            j += 1 if word in ("-y", "-q") else 2
            continue
        if not word.startswith("-"):
            return word, j
        j += 1
    return "", len(words)


def _has_opt(words: list[Word], *options: str) -> bool:
    return any(w[0] in options or w[0].split("=", 1)[0] in options for w in words)


def _short_flag(words: list[Word], letter: str) -> bool:
    """A single-letter option, alone or bundled (`-yR`)."""
    return any(re.fullmatch(rf"-[A-Za-z]*{letter}[A-Za-z]*", w[0]) for w in words)


def _mounts(instr: Instruction) -> list[dict[str, str]]:
    if instr.keyword == "ONBUILD" and instr.onbuild is not None:
        instr = instr.onbuild  # an ONBUILD RUN's --mount flags belong to its trigger
    out = []
    for spec in instr.flags.get("mount", []):
        fields = {}
        for part in spec.split(","):
            key, _, value = part.partition("=")
            fields[key.strip().lower()] = value.strip()
        fields.setdefault("type", "bind")
        out.append(fields)
    return out


def _cache_mounted(instr: Instruction, *paths: str) -> bool:
    """A cache or tmpfs mount over one of `paths` keeps that cache out of the image."""
    for mount in _mounts(instr):
        if mount["type"] not in ("cache", "tmpfs"):
            continue
        target = mount.get("target") or mount.get("dst") or mount.get("destination") or ""
        if any(target.rstrip("/").startswith(p) or p.startswith(target.rstrip("/") + "/") for p in paths):
            return True
    return False


def _apt(prog: str) -> bool:
    return prog in ("apt-get", "apt", "aptitude")


@rule("docker-apt-no-install-recommends", "dockerfile")
def apt_no_install_recommends(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        for prog, words, i, span_fn, _ in _invocations(instr):
            if not _apt(prog):
                continue
            sub, j = _subcommand(words, i)
            if sub != "install":
                continue
            if _has_opt(words, "--no-install-recommends", "-s", "--simulate", "--dry-run") or any(
                "install-recommends=" in w[0].lower() for w in words
            ):
                continue
            if prog == "aptitude" and (_has_opt(words, "--without-recommends") or _short_flag(words, "R")):
                continue
            fix = None
            if prog in ("apt-get", "apt"):
                fix = after_word(
                    df, words, j, span_fn, "--no-install-recommends", "add --no-install-recommends"
                )
            yield hit(
                df.path,
                _word_span(words, i, span_fn, j),
                f"{prog} install without --no-install-recommends pulls in optional packages",
                _stage_label(df, instr),
                fix=fix,
            )


def _cleanup_after(text: str, start: int, pattern: str) -> bool:
    return re.search(pattern, text[start:]) is not None


def _env_in_chain(df: Dockerfile, name: str) -> bool:
    return any(
        key == name for i in _chain_instructions(df) if i.keyword in ("ENV", "ARG") for key, _, _ in i.pairs
    )


@rule("docker-apt-lists-not-cleaned", "dockerfile")
def apt_lists_not_cleaned(df: Dockerfile, ctx) -> Iterator[Finding]:
    chain = _chain_instructions(df)
    for at, instr in enumerate(chain):
        if _cache_mounted(instr, "/var/lib/apt/lists", "/var/lib/apt"):
            continue
        for prog, words, i, span_fn, text in _invocations(instr):
            if not _apt(prog) or _subcommand(words, i)[0] not in ("install", "update"):
                continue
            if _cleanup_after(text, words[i][1], r"/var/lib/apt/lists|\bdist-clean\b"):
                break
            yield hit(
                df.path,
                _word_span(words, i, span_fn, _subcommand(words, i)[1]),
                "apt lists are left in the image: end this RUN with `rm -rf /var/lib/apt/lists/*`",
                _stage_label(df, instr),
                fix=None if _lists_needed_later(chain[at + 1 :]) else _cleanup_fix(df, instr),
            )
            break


_NEEDS_LISTS = frozenset(
    {"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download"}
)


def _lists_needed_later(later: list[Instruction]) -> bool:
    """A later RUN installs with apt without updating first: removing the lists now would
    break it (`RUN apt-get update` then `RUN apt-get install` in the next instruction)."""
    for instr in later:
        updated = False
        for prog, words, i, _, _ in _invocations(instr):
            if prog == "apt-cache" or (
                _apt(prog) and _subcommand(words, i)[0] in _NEEDS_LISTS and not updated
            ):
                return True
            updated = updated or (_apt(prog) and _subcommand(words, i)[0] == "update")
    return False


def _cleanup_fix(df: Dockerfile, instr: Instruction) -> Fix | None:
    """`&& rm -rf /var/lib/apt/lists/*` after the last word of a shell-form RUN (not after an
    operator, a subshell or a heredoc, where appending would change what runs)."""
    scripts = _scripts(instr)
    if len(scripts) != 1:
        return None
    text, span_fn = scripts[0]
    commands = _commands(text)
    if not commands or not commands[-1][1] or text.rstrip()[-1:] in ";&|()\\":
        return None
    words = commands[-1][1]
    if any(w[0].startswith("#") for _, found in commands for w in found):
        return None  # a comment: what follows it would not run
    if text.rstrip() != text[: words[-1][1] + words[-1][2]].rstrip():
        return None  # a comment or an operator after the last word
    return after_word(
        df, words, len(words) - 1, span_fn, "&& rm -rf /var/lib/apt/lists/*", "remove the apt lists"
    )


@rule("docker-apt-upgrade", "dockerfile")
def apt_upgrade(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        for prog, words, i, span_fn, _ in _invocations(instr):
            if not _apt(prog):
                continue
            sub, j = _subcommand(words, i)
            if sub in ("upgrade", "dist-upgrade", "full-upgrade", "safe-upgrade"):
                yield hit(
                    df.path,
                    _word_span(words, i, span_fn, j),
                    f"{prog} {sub} makes the build unreproducible; update the base image instead",
                    _stage_label(df, instr),
                )


def _is_pip_install(prog: str, words: list[Word], i: int) -> int:
    """Index of the `install` word of a pip invocation, or -1."""
    if re.fullmatch(r"pip[0-9.]*", prog):
        sub, j = _subcommand(words, i)
        return j if sub == "install" else -1
    if re.fullmatch(r"python[0-9.]*", prog):
        for k in range(i + 1, min(i + 4, len(words) - 1)):
            if words[k][0] == "-m" and re.fullmatch(r"pip[0-9.]*", words[k + 1][0]):
                sub, j = _subcommand(words, k + 1)
                return j if sub == "install" else -1
    return -1


@rule("docker-pip-no-cache-dir", "dockerfile")
def pip_no_cache_dir(df: Dockerfile, ctx) -> Iterator[Finding]:
    if _env_in_chain(df, "PIP_NO_CACHE_DIR"):
        return
    for instr in _chain_instructions(df):
        if _cache_mounted(instr, "/root/.cache/pip", "/root/.cache"):
            continue
        for prog, words, i, span_fn, text in _invocations(instr):
            j = _is_pip_install(prog, words, i)
            if j < 0 or _has_opt(words, "--no-cache-dir"):
                continue
            if any(w[0].startswith("PIP_NO_CACHE_DIR=") for w in words[:i]):
                continue  # `PIP_NO_CACHE_DIR=1 pip install ...`
            if re.search(r"\bexport\s+(\w+=\S*\s+)*PIP_NO_CACHE_DIR=", text[: words[i][1]]):
                continue  # exported earlier in the same script
            yield hit(
                df.path,
                _word_span(words, i, span_fn, j),
                "pip install keeps its download cache in the image; add --no-cache-dir",
                _stage_label(df, instr),
                fix=after_word(df, words, j, span_fn, "--no-cache-dir", "add --no-cache-dir"),
            )


@rule("docker-apk-no-cache", "dockerfile")
def apk_no_cache(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in _chain_instructions(df):
        if _cache_mounted(instr, "/var/cache/apk", "/etc/apk/cache"):
            continue
        for prog, words, i, span_fn, text in _invocations(instr):
            if prog != "apk":
                continue
            sub, j = _subcommand(words, i)
            if sub not in ("add", "upgrade") or _has_opt(words, "--no-cache", "--no-network"):
                continue
            if _cleanup_after(text, words[i][1], r"/var/cache/apk|apk cache (clean|purge)"):
                continue
            yield hit(
                df.path,
                _word_span(words, i, span_fn, j),
                f"apk {sub} without --no-cache leaves the package index in the image",
                _stage_label(df, instr),
                fix=after_word(df, words, j, span_fn, "--no-cache", "add --no-cache"),
            )


# Sub-commands (and dnf's aliases) that download metadata and packages into the cache.
_RPM_FETCH = frozenset(
    {"install", "in", "update", "up", "upgrade", "upgrade-minimal", "up-min", "update-minimal",
     "groupinstall", "reinstall", "rei", "localinstall", "distro-sync", "dsync", "downgrade", "dg"}
)  # fmt: skip


# dnf4 caches in /var/cache/dnf, dnf5 in /var/cache/libdnf5, microdnf (and yum) in /var/cache/yum.
_RPM_CACHES = {"yum": ("/var/cache/yum",), "dnf": ("/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/yum")}


def _rpm_clean(manager: str):
    def check(df: Dockerfile, ctx) -> Iterator[Finding]:
        caches = _RPM_CACHES[manager]
        names = ("yum",) if manager == "yum" else ("dnf", "dnf5", "microdnf", "tdnf")
        cleaned = "|".join(re.escape(c) for c in caches)
        for instr in _chain_instructions(df):
            if _cache_mounted(instr, *caches):
                continue
            for prog, words, i, span_fn, text in _invocations(instr):
                if prog not in names:
                    continue
                sub, j = _subcommand(words, i)
                if sub not in _RPM_FETCH:
                    continue
                if _cleanup_after(text, words[i][1], rf"\b{prog} (-\S+ )*clean\b|{cleaned}"):
                    break
                yield hit(
                    df.path,
                    _word_span(words, i, span_fn, j),
                    f"{prog} {sub} without `{prog} clean all` in the same RUN leaves its cache in the image",
                    _stage_label(df, instr),
                )
                break

    return check


yum_clean = rule("docker-yum-clean", "dockerfile")(_rpm_clean("yum"))


dnf_clean = rule("docker-dnf-clean", "dockerfile")(_rpm_clean("dnf"))


_BUILD_TOOLS = frozenset(
    {
        "build-essential",
        "gcc",
        "g++",
        "gcc-c++",
        "make",
        "cmake",
        "clang",
        "autoconf",
        "automake",
        "libtool",
        "linux-headers",
        "musl-dev",
        "alpine-sdk",
        "golang",
        "rust",
        "cargo",
        "gfortran",
        "gcc-gfortran",
        "nasm",
        "yasm",
    }
)


_VALUE_OPTS = frozenset({"-t", "--virtual", "-X", "--repository", "-o", "--target-release", "--setopt"})


def _install_args(words: list[Word], j: int) -> Iterator[int]:
    """Indices of the package words after `install` / `add` at index j."""
    k = j + 1
    while k < len(words):
        word = words[k][0]
        if word in _VALUE_OPTS:
            k += 2
            continue
        if not word.startswith("-"):
            yield k
        k += 1


_TOOL_VERSIONED = re.compile(r"(gcc|g\+\+|clang|llvm|gfortran|cpp)(-\d+(\.\d+)*)?")


_INSTALLERS = frozenset({"apt-get", "apt", "aptitude", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper"})


_REMOVERS = frozenset({"purge", "remove", "autoremove", "del", "erase", "rm"})


def _removed_after(text: str, start: int) -> set[str]:
    """Package names (and apk --virtual groups) a later command of the same script removes.
    `apt-get autoremove` alone removes nothing that was installed by name."""
    removed: set[str] = set()
    for _, words in _commands(text):
        if not words or words[0][1] <= start:
            continue
        i = _program(words)
        if _prog_name(words, i) not in _INSTALLERS:
            continue
        sub, j = _subcommand(words, i)
        if sub in _REMOVERS:
            removed.update(words[k][0] for k in _install_args(words, j))
    return removed


def _is_build_tool(name: str, extra: set[str]) -> bool:
    return (
        name in _BUILD_TOOLS
        or name in extra
        or name.endswith(("-dev", "-devel"))
        or _TOOL_VERSIONED.fullmatch(name) is not None
    )


@rule("docker-build-tools-in-final-stage", "dockerfile")
def build_tools_in_final_stage(df: Dockerfile, ctx) -> Iterator[Finding]:
    """Reads the whole image: the final stage and every stage it is built FROM."""
    final = df.final_stage
    if final is None or not _role(df, ctx).service:
        return  # a build, dev or CI image holds its toolchain by design
    extra = set(ctx.options.get("packages") or ())
    for instr in _chain_instructions(df):
        for prog, words, i, span_fn, text in _invocations(instr):
            if prog not in _INSTALLERS:
                continue
            sub, j = _subcommand(words, i)
            if sub not in ("install", "add", "in"):
                continue
            removed = _removed_after(text, words[i][1])
            virtual = [
                words[k + 1][0] for k in range(j, len(words) - 1) if words[k][0] in ("-t", "--virtual")
            ]
            virtual += [w[0].split("=", 1)[1] for w in words if w[0].startswith("--virtual=")]
            if any(v in removed for v in virtual):
                continue  # `apk add --virtual .build-deps ... && apk del .build-deps`
            tools = []
            for k in _install_args(words, j):
                name = re.split(r"[=<>~]", words[k][0], maxsplit=1)[0]
                if _is_build_tool(name, extra) and name not in removed and words[k][0] not in removed:
                    tools.append(k)
            if tools:
                names = ", ".join(words[k][0] for k in tools[:5]) + (" …" if len(tools) > 5 else "")
                where = "" if instr.stage == final.index else f" (installed in {_stage_label(df, instr)}, "
                where += "which the final stage is built FROM)" if where else ""
                yield hit(
                    df.path,
                    _word_span(words, tools[0], span_fn),
                    f"build tools in the final image ({names}){where}; build in an earlier stage and "
                    "COPY only the result",
                    final.label,
                )


_ZYPPER_FETCH = frozenset({"install", "in", "update", "up", "patch", "dist-upgrade", "dup", "source-install"})


@rule("docker-zypper-clean", "dockerfile")
def zypper_clean(df: Dockerfile, ctx) -> Iterator[Finding]:
    chain = {id(i) for i in _chain_instructions(df)}
    done: set[int] = set()
    for instr, _, words, i, span_fn, text in calls(df, "zypper"):
        if id(instr) not in chain or id(instr) in done or _cache_mounted(_trigger(instr), "/var/cache/zypp"):
            continue
        sub, j = _subcommand(words, i)
        if sub not in _ZYPPER_FETCH:
            continue
        done.add(id(instr))
        after = text[words[i][1] :]
        if re.search(r"\bzypper\s+(-\S+\s+)*(clean|cc)\b|/var/cache/zypp", after):
            continue
        yield hit(
            df.path,
            _word_span(words, i, span_fn, j),
            f"zypper {sub} without `zypper clean` in the same RUN leaves its cache in the image",
            _stage_label(df, instr),
        )


@rule("docker-zypper-dist-upgrade", "dockerfile")
def zypper_dist_upgrade(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr, _, words, i, span_fn, _ in calls(df, "zypper"):
        sub, j = _subcommand(words, i)
        if sub in ("dist-upgrade", "dup"):
            yield hit(
                df.path,
                _word_span(words, i, span_fn, j),
                f"zypper {sub} can move the image to a new distribution release; "
                "update the base image instead",
                _stage_label(df, instr),
            )


@rule("docker-yarn-cache", "dockerfile")
def yarn_cache(df: Dockerfile, ctx) -> Iterator[Finding]:
    chain = {id(i) for i in _chain_instructions(df)}
    done: set[int] = set()
    for instr, _, words, i, span_fn, text in calls(df, "yarn"):
        if id(instr) not in chain or id(instr) in done or i + 1 >= len(words) or words[i + 1][0] != "install":
            continue
        if any(
            m.get("type") in ("cache", "tmpfs")
            and "yarn" in (m.get("target") or m.get("dst") or m.get("destination") or "")
            for m in _mount_specs(_trigger(instr))
        ):
            continue
        done.add(id(instr))
        if re.search(r"\byarn\s+cache\s+clean\b", text[words[i][1] :]):
            continue
        yield hit(
            df.path,
            _word_span(words, i, span_fn, i + 1),
            "yarn install without `yarn cache clean` in the same RUN leaves its cache in the image",
            _stage_label(df, instr),
        )


def _trigger(instr: Instruction) -> Instruction:
    """The RUN an `ONBUILD RUN` runs (its --mount flags are the trigger's), else `instr`."""
    return instr.onbuild if instr.keyword == "ONBUILD" and instr.onbuild is not None else instr


def _mount_specs(instr: Instruction) -> list[dict[str, str]]:
    out = []
    for spec in instr.flags.get("mount", []):
        fields = dict(part.partition("=")[::2] for part in spec.split(","))
        fields.setdefault("type", "bind")
        out.append(fields)
    return out
