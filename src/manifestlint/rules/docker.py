"""Dockerfile rules: pure functions of a parsed `Dockerfile`.

Conventions shared by every rule here:

- "The image" is the final stage plus the stages it is built `FROM` (its parent chain). Rules
  about what ships (user, healthcheck, caches, build tools) look only there; a builder stage's
  layers never reach production, and flagging them is hadolint's most complained-about noise.
- Shell text is read by a small tokenizer (`_commands`): words with their offsets, split into
  simple commands at `&&`, `||`, `;`, `|`, `&` and newlines. That is enough to see
  `apt-get install` as a command rather than a substring, without a full shell parser.
- A finding points at the offending token (a tag, a flag value, a command word); a missing
  property points at the stage's last relevant instruction, else its FROM.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator

from manifestlint.model import Finding, Span, hit
from manifestlint.parse.dockerfile import Dockerfile, Instruction, Stage, substitute, unquote
from manifestlint.project.images import (
    SERVICE,
    ImageRole,
    base_user,
    final_user,
    image_chain,
    name_role,
)
from manifestlint.registry import rule

# --------------------------------------------------------------------------------- shell helpers

_TOKEN = re.compile(
    r"""(?P<op>&&|\|\||[;|&\n()])|(?P<word>(?:>&|[^\s"';&|()]|"(?:\\.|[^"\\])*"?|'[^']*'?)+)"""
)
_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = frozenset({"sudo", "env", "exec", "command", "nohup", "time", "nice", "doas"})
_SHELL_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})

Word = tuple[str, int, int]  # (unquoted text, offset, raw length)
SpanFn = Callable[[int, int], Span]


def _scripts(instr: Instruction) -> list[tuple[str, SpanFn]]:
    """Shell text a RUN executes: its shell-form body and any heredoc fed to a shell. An
    `ONBUILD RUN` trigger is judged like a RUN: it runs in every image built FROM this one."""
    if instr.keyword == "ONBUILD" and instr.onbuild is not None and instr.onbuild.keyword == "RUN":
        return _scripts(instr.onbuild)
    if instr.keyword != "RUN" or instr.exec_form is not None:
        return []
    base = instr.body_start
    out: list[tuple[str, SpanFn]] = [(instr.body, lambda off, n, i=instr, b=base: i.span_of(off + b, n))]
    if instr.heredocs:
        lead = re.sub(r"\d*<<-?\S+", " ", instr.body).split()
        while lead and _ASSIGN.match(lead[0]):
            lead.pop(0)
        if not lead or lead[0].rsplit("/", 1)[-1] in _SHELLS:
            for doc in instr.heredocs:
                out.append((doc.body, doc.span_of))
    return out


_COMMANDS: dict[str, list[tuple[str, list[Word]]]] = {}


def _commands(text: str) -> list[tuple[str, list[Word]]]:
    """Simple commands of a shell snippet: (operator before it, words).

    Memoised: some twenty rules read the same RUN scripts, and tokenizing dominated the pack's
    time. Callers only read the result."""
    cached = _COMMANDS.get(text)
    if cached is None:
        if len(_COMMANDS) >= 4096:
            _COMMANDS.clear()
        cached = _COMMANDS[text] = _tokenize_commands(text)
    return cached


def _tokenize_commands(text: str) -> list[tuple[str, list[Word]]]:
    result: list[tuple[str, list[Word]]] = []
    words: list[Word] = []
    op = ""
    for m in _TOKEN.finditer(text):
        if m.group("op") is not None:
            if words:
                result.append((op, words))
                words = []
            op = m.group("op")
        else:
            raw = m.group("word")
            words.append((unquote(raw), m.start(), len(raw)))
    if words:
        result.append((op, words))
    return result


def _program(words: list[Word]) -> int:
    """Index of the program word: skips `VAR=x` prefixes and wrappers such as sudo / env."""
    i = 0
    while i < len(words):
        word = words[i][0]
        if _ASSIGN.match(word) or word in _SHELL_KEYWORDS:
            i += 1
        elif word in _WRAPPERS:
            i += 1
            while i < len(words) and words[i][0].startswith("-"):
                i += 2 if words[i][0] in ("-u", "-g") else 1
        else:
            return i
    return len(words)


def _prog_name(words: list[Word], i: int) -> str:
    return words[i][0].rsplit("/", 1)[-1] if i < len(words) else ""


def _invocations(instr: Instruction) -> Iterator[tuple[str, list[Word], int, SpanFn, str]]:
    """(program, words, program index, span function, the whole script) for each command."""
    for text, span_fn in _scripts(instr):
        for _, words in _commands(text):
            i = _program(words)
            if i < len(words):
                yield _prog_name(words, i), words, i, span_fn, text


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


def _word_span(words: list[Word], i: int, span_fn: SpanFn, last: int | None = None) -> Span:
    start = words[i][1]
    end_word = words[last if last is not None else i]
    return span_fn(start, end_word[1] + end_word[2] - start)


def _has_opt(words: list[Word], *options: str) -> bool:
    return any(w[0] in options or w[0].split("=", 1)[0] in options for w in words)


def _short_flag(words: list[Word], letter: str) -> bool:
    """A single-letter option, alone or bundled (`-yR`)."""
    return any(re.fullmatch(rf"-[A-Za-z]*{letter}[A-Za-z]*", w[0]) for w in words)


# --------------------------------------------------------------------------------- stage helpers


def _stage_label(df: Dockerfile, instr: Instruction, outside: str = "") -> str:
    """The stage an instruction belongs to; instructions before any FROM (a broken file, or
    global ARGs) belong to none."""
    return df.stages[instr.stage].label if 0 <= instr.stage < len(df.stages) else outside


_chain = image_chain  # the final stage and the stages it is built FROM, final first


def _chain_instructions(df: Dockerfile) -> list[Instruction]:
    """Instructions that build the final image, in file order."""
    return [i for stage in reversed(_chain(df)) for i in stage.instructions]


def _mounts(instr: Instruction) -> list[dict[str, str]]:
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


def _split_image(ref: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference; the tag sits only in the last path part."""
    name, _, digest = ref.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest or None


def _external(df: Dockerfile, stage: Stage) -> bool:
    """The stage's base is a real image we can judge (not scratch, a stage or a variable)."""
    base = stage.base_resolved
    return bool(base) and stage.parent_stage is None and base.lower() != "scratch" and "$" not in base


def _role(df: Dockerfile, ctx) -> ImageRole:
    """The image's role (project/images.py): service, or a tool/CI/test/dev image that the
    service rules (HEALTHCHECK, root user, build tools, minimal base) do not apply to."""
    project = getattr(ctx, "project", None)
    if project is not None:
        return project.role(df)
    name = df.path.replace("\\", "/").rsplit("/", 1)[-1]
    return name_role(name) or ImageRole(SERVICE, "no evidence")


# ----------------------------------------------------------------------------------------- rules


def _is_root(user: str) -> bool:
    name = user.split(":", 1)[0].strip()
    return name in ("root", "0") or name.lower() == "containeradministrator"


@rule("docker-root-user", "dockerfile")
def root_user(df: Dockerfile, ctx) -> Iterator[Finding]:
    final = df.final_stage
    if final is None or not _role(df, ctx).service:
        return  # a GitHub Docker action must run as root; dev, test and tool images may
    project = getattr(ctx, "project", None)
    if project is not None and project.user_elsewhere(df):
        return  # it runs only under Kubernetes, and every pod sets a non-root runAsUser
    last_user: Instruction | None = None
    for instr in _chain_instructions(df):
        if instr.keyword == "USER":
            last_user = instr
    if last_user is None:
        base = _chain(df)[-1]
        if base.base_resolved.lower() == "scratch":
            return  # nothing in scratch has a user database; PID 1 runs as 0 — still root
        patterns = tuple(ctx.options.get("non-root-images") or ())
        if base_user(base.base_resolved, patterns) is not None:
            return  # the base image sets a non-root USER itself (table in project/images.py)
        yield hit(
            df.path,
            final.from_instr.keyword_span,
            f"the final stage never sets USER, so the container runs as root (base {base.base!r})",
            final.label,
        )
        return
    user = substitute(last_user.body.strip(), df.global_args)
    if _is_root(user):
        where = last_user.span_of(last_user.body_start, len(last_user.body.rstrip()))
        if last_user.stage != final.index:
            where = final.from_instr.keyword_span
        yield hit(
            df.path,
            where,
            f"the final stage runs as {user!r} (USER on line {last_user.line}); "
            "switch to an unprivileged user",
            final.label,
        )


@rule("docker-missing-healthcheck", "dockerfile")
def missing_healthcheck(df: Dockerfile, ctx) -> Iterator[Finding]:
    final = df.final_stage
    if final is None or not _role(df, ctx).service:
        return  # tool, CI, test and dev images are not long-running services
    if any(i.keyword == "HEALTHCHECK" for i in _chain_instructions(df)):
        return  # `HEALTHCHECK NONE` is an explicit, respected choice
    project = getattr(ctx, "project", None)
    if project is not None and project.health_elsewhere(df):
        return  # Kubernetes probes or a Compose healthcheck watch the containers of this image
    yield hit(
        df.path,
        final.from_instr.keyword_span,
        "the final stage has no HEALTHCHECK: nothing tells Docker/Compose when the service is unhealthy",
        final.label,
    )


@rule("docker-unpinned-base-image", "dockerfile")
def unpinned_base_image(df: Dockerfile, ctx) -> Iterator[Finding]:
    for stage in df.stages:
        if not _external(df, stage):
            continue
        _, tag, digest = _split_image(stage.base_resolved)
        if digest:
            continue
        instr = stage.from_instr
        if tag is None:
            yield hit(
                df.path,
                stage.base_span(),
                f"base image {stage.base_resolved!r} has no tag, which means ':latest'; pin a release tag",
                stage.label,
            )
        elif tag == "latest":
            at = stage.base.rfind(":latest")
            where = instr.span_of(stage.base_offset + at, len(":latest")) if at >= 0 else stage.base_span()
            yield hit(
                df.path,
                where,
                f"base image {stage.base_resolved!r} uses ':latest'; pin a release tag",
                stage.label,
            )

    for instr in df.instructions:
        if instr.keyword not in ("COPY", "ADD") or "from" not in instr.flags or instr.stage < 0:
            continue
        raw = instr.flags["from"][0]
        ref = substitute(raw, df.global_args)
        if not ref or "$" in ref or not any(c in ref for c in "/:@") or df.stage_by_ref(ref) is not None:
            continue  # a bare name is a stage or a typo of one: docker-copy-from-unknown-stage
        _, tag, digest = _split_image(ref)
        if digest or (tag is not None and tag != "latest"):
            continue
        yield hit(
            df.path,
            instr.span_of(instr.flag_offsets["from"], len(raw)),
            f"{instr.keyword} --from image {ref!r} "
            + ("uses ':latest'" if tag else "has no tag, which means ':latest'")
            + "; pin a release tag",
            _stage_label(df, instr),
        )


@rule("docker-base-image-not-digest-pinned", "dockerfile")
def base_image_not_digest_pinned(df: Dockerfile, ctx) -> Iterator[Finding]:
    for stage in df.stages:
        if _external(df, stage) and "@sha256:" not in stage.base_resolved:
            yield hit(
                df.path,
                stage.base_span(),
                f"base image {stage.base_resolved!r} is not pinned by digest (@sha256:…)",
                stage.label,
            )


_SECRET_NAME = re.compile(
    r"passw(or)?d|passwd|(^|_)pwd($|_)|secret|token|api_?key|private_?key|access_?key|"
    r"credential|auth_?key|signing_?key|encryption_?key",
    re.IGNORECASE,
)
_NOT_SECRET_SUFFIX = re.compile(
    r"_(file|path|dir|url|uri|host|port|user|username|name|length|len|ttl|expiry|expires|timeout|"
    r"header|enabled|type|endpoint|env|var|id)$",
    re.IGNORECASE,
)
_NOT_SECRET_VALUE = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null"})
# Half of a credential pair despite the `_id` suffix: AWS_ACCESS_KEY_ID and the like.
_SECRET_ID = re.compile(r"access_?key_?id$", re.IGNORECASE)


def _secret_name(key: str) -> bool:
    name = key.replace("-", "_")
    if _SECRET_ID.search(name):
        return True
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_SUFFIX.search(name)


@rule("docker-secret-in-env", "dockerfile")
def secret_in_env(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword not in ("ENV", "ARG"):
            continue
        for key, value, offset in instr.pairs:
            if not _secret_name(key):
                continue
            if instr.keyword == "ARG" and (value is None or not value.strip()):
                yield hit(
                    df.path,
                    instr.span_of(offset, len(key)),
                    f"ARG {key} takes a secret with --build-arg: its value is recorded in the image "
                    "history of every RUN that follows (use RUN --mount=type=secret,id=...)",
                    _stage_label(df, instr, "global"),
                )
                continue
            if value is None or not value.strip() or value.lower() in _NOT_SECRET_VALUE:
                continue
            if re.fullmatch(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(:?-)?\}?", value.strip()):
                continue  # only a reference to another variable
            stage = _stage_label(df, instr, "global")
            yield hit(
                df.path,
                instr.span_of(offset, len(key)),
                f"{instr.keyword} {key} holds a literal secret-like value; it stays in the image "
                "metadata and history (use RUN --mount=type=secret or runtime configuration)",
                stage,
            )


_ARCHIVE = re.compile(r"\.(tar|tgz|tbz2?|txz|tzst|gz|bz2|xz|zst|lz4|lzma)$", re.IGNORECASE)
_REMOTE = re.compile(r"^(https?|ftp)://|^git@|\.git(#.*)?$", re.IGNORECASE)


def _add_sources(instr: Instruction) -> list[tuple[str, int]]:
    """Source words of ADD/COPY (destination dropped), with offsets in args."""
    if instr.exec_form is not None:
        return [(s, instr.body_start) for s in instr.exec_form[:-1]]
    words = [(m.group(), m.start() + instr.body_start) for m in re.finditer(r"\S+", instr.body)]
    return [(unquote(w), off) for w, off in words[:-1] if not w.startswith("<<")]


@rule("docker-add-instead-of-copy", "dockerfile")
def add_instead_of_copy(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "ADD" or {"checksum", "keep-git-dir"} & set(instr.flags):
            continue
        sources = _add_sources(instr)
        if instr.heredocs or not sources:
            pass
        elif any(_REMOTE.search(s) or _ARCHIVE.search(s) or "$" in s for s, _ in sources):
            continue
        yield hit(
            df.path,
            instr.keyword_span,
            "ADD of local files: use COPY (ADD also fetches URLs and unpacks archives; "
            "COPY says plainly that it only copies)",
            _stage_label(df, instr),
        )


@rule("docker-add-remote-url", "dockerfile")
def add_remote_url(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "ADD" or "checksum" in instr.flags:
            continue
        for src, offset in _add_sources(instr):
            if re.match(r"^(https?|ftp)://", src, re.IGNORECASE) and not src.lower().split("#")[0].endswith(
                ".git"
            ):
                yield hit(
                    df.path,
                    instr.span_of(offset, len(src)),
                    "ADD downloads a remote file without verifying it; add --checksum=sha256:… "
                    "or download and verify it in a RUN",
                    _stage_label(df, instr),
                )


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
            yield hit(
                df.path,
                _word_span(words, i, span_fn, j),
                f"{prog} install without --no-install-recommends pulls in optional packages",
                _stage_label(df, instr),
            )


def _cleanup_after(text: str, start: int, pattern: str) -> bool:
    return re.search(pattern, text[start:]) is not None


def _env_in_chain(df: Dockerfile, name: str) -> bool:
    return any(
        key == name for i in _chain_instructions(df) if i.keyword in ("ENV", "ARG") for key, _, _ in i.pairs
    )


@rule("docker-apt-lists-not-cleaned", "dockerfile")
def apt_lists_not_cleaned(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in _chain_instructions(df):
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
            )
            break


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


@rule("docker-curl-pipe-shell", "dockerfile")
def curl_pipe_shell(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        for text, span_fn in _scripts(instr):
            commands = _commands(text)
            for (_, left), (op, right) in itertools.pairwise(commands):
                li, ri = _program(left), _program(right)
                if op != "|" or _prog_name(left, li) not in ("curl", "wget"):
                    continue
                shell = _prog_name(right, ri)
                if shell in _SHELLS or re.fullmatch(r"python[0-9.]*|perl|ruby|node", shell):
                    start = left[li][1]
                    end = right[ri][1] + right[ri][2]
                    yield hit(
                        df.path,
                        span_fn(start, end - start),
                        f"a downloaded script is piped into {shell} without verification; download, "
                        "check a checksum or signature, then run it",
                        _stage_label(df, instr),
                    )


@rule("docker-sudo", "dockerfile")
def sudo(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        for text, span_fn in _scripts(instr):
            for _, words in _commands(text):
                for k, word in enumerate(words):
                    if _ASSIGN.match(word[0]):
                        continue
                    if word[0] == "sudo":
                        yield hit(
                            df.path,
                            _word_span(words, k, span_fn),
                            "sudo in a Dockerfile: RUN already runs as root; switch with USER, or use "
                            "gosu/su-exec in the entrypoint",
                            _stage_label(df, instr),
                        )
                    break


_WORLD_WRITABLE = re.compile(r"^0*[0-7]?[0-7][0-7][2367]$")
_SYMBOLIC_WORLD = re.compile(r"^(a|o|ugo|oug|uog|go|og)?\+[rxX]*w[rxX]*$")


def _bad_mode(mode: str) -> bool:
    if _WORLD_WRITABLE.match(mode):
        return not (len(mode) == 4 and mode[0] in "13")  # 1777/3777: sticky /tmp-style directory
    return any(_SYMBOLIC_WORLD.match(part) and not part.startswith(("u", "g+")) for part in mode.split(","))


@rule("docker-chmod-777", "dockerfile")
def chmod_777(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        label = _stage_label(df, instr)
        for mode in instr.flags.get("chmod", []):
            if _bad_mode(mode):
                off = instr.flag_offsets["chmod"]
                yield hit(df.path, instr.span_of(off, len(mode)), f"--chmod={mode} is world-writable", label)
        for prog, words, i, span_fn, text in _invocations(instr):
            if prog != "chmod":
                continue
            for k in range(i + 1, len(words)):
                mode = words[k][0]
                if mode.startswith("-"):
                    continue
                target = words[k + 1][0] if k + 1 < len(words) else ""
                removed = r"\brm\s+-\w*[rR]\w*\s+[^;&|]*" + re.escape(target)
                if target and re.search(removed, text[words[k][1] :]):
                    break  # a scratch directory deleted again in the same RUN never ships
                if _bad_mode(mode):
                    yield hit(
                        df.path,
                        _word_span(words, k, span_fn),
                        f"chmod {mode} makes files world-writable; grant only the owner what it needs",
                        label,
                    )
                break


@rule("docker-shell-form-entrypoint", "dockerfile")
def shell_form_entrypoint(df: Dockerfile, ctx) -> Iterator[Finding]:
    final = df.final_stage
    if final is None:
        return
    last: dict[str, Instruction] = {}
    for instr in _chain_instructions(df):
        if instr.keyword in ("CMD", "ENTRYPOINT"):
            last[instr.keyword] = instr
    if "ENTRYPOINT" in last and last["ENTRYPOINT"].exec_form is None:
        last.pop("CMD", None)  # a shell-form ENTRYPOINT ignores CMD altogether
    for kw in ("ENTRYPOINT", "CMD"):
        instr = last.get(kw)
        if instr is not None and instr.exec_form is not None:
            yield from _shell_wrapper(df, instr, final)
            continue
        if instr is None or not instr.body.strip():
            continue
        if instr.body.lstrip().startswith(("exec ", "[")):  # `[`: reported as docker-syntax-error
            continue  # `sh -c 'exec app'` replaces the shell, so the app is PID 1
        yield hit(
            df.path,
            instr.span_of(instr.body_start, len(instr.body.rstrip())),
            f"shell-form {kw} runs under /bin/sh -c: the app is not PID 1 and never receives SIGTERM; "
            'use the JSON form ["app", "arg"]',
            final.label,
        )


def _shell_wrapper(df: Dockerfile, instr: Instruction, final: Stage) -> Iterator[Finding]:
    """`["sh", "-c", "app --flag"]` is the shell form written as JSON: the shell is PID 1
    unless the script `exec`s the app."""
    argv = instr.exec_form or []
    if len(argv) < 3 or argv[0].rsplit("/", 1)[-1] not in _SHELLS:
        return
    flag = next((k for k in range(1, len(argv) - 1) if re.fullmatch(r"-[a-z]*c[a-z]*", argv[k])), None)
    if flag is None:
        return
    script = argv[flag + 1]
    if len(_commands(script)) < 2:
        return  # bash, dash and ash exec a lone simple command of `-c` themselves
    for _, words in _commands(script):
        first = next((w[0] for w in words if not _ASSIGN.match(w[0])), "")
        if first == "exec":
            return  # the shell replaces itself with the app
    at = instr.args.find(json_quote(script))
    where = instr.span_of(at, len(json_quote(script))) if at >= 0 else instr.keyword_span
    yield hit(
        df.path,
        where,
        f"{instr.keyword} runs its command through {argv[0]} -c: the shell is PID 1 and does not forward "
        "SIGTERM; start the script's last command with `exec`, or list the program and its arguments",
        final.label,
    )


def json_quote(text: str) -> str:
    import json

    return json.dumps(text)


def _repeated(keyword: str):
    def check(df: Dockerfile, ctx) -> Iterator[Finding]:
        for stage in df.stages:
            found = [i for i in stage.instructions if i.keyword == keyword]
            for instr in found[:-1]:
                yield hit(
                    df.path,
                    instr.keyword_span,
                    f"this {keyword} has no effect: a later {keyword} on line {found[-1].line} replaces it",
                    stage.label,
                )

    return check


multiple_cmd = rule("docker-multiple-cmd", "dockerfile")(_repeated("CMD"))
multiple_entrypoint = rule("docker-multiple-entrypoint", "dockerfile")(_repeated("ENTRYPOINT"))


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


_MINIMAL_TAG = re.compile(r"slim|alpine|minimal|distroless|busybox|nanoserver|micro|jre|runtime|nonroot")
_FULL_IMAGES = {
    "ubuntu": "debian:<ver>-slim or a distroless image",
    "debian": "debian:<ver>-slim",
    "centos": "a ubi-minimal / ubi-micro image",
    "fedora": "fedora-minimal",
    "rockylinux": "rockylinux:<ver>-minimal",
    "almalinux": "almalinux:<ver>-minimal",
    "python": "python:<ver>-slim (or a distroless image)",
    "node": "node:<ver>-slim / -alpine",
    "ruby": "ruby:<ver>-slim",
    "perl": "perl:<ver>-slim",
    "php": "php:<ver>-fpm-alpine",
    "golang": "a runtime-only image (distroless/static, alpine) holding the built binary",
    "rust": "a runtime-only image (distroless/cc, debian-slim) holding the built binary",
    "openjdk": "an eclipse-temurin *-jre image",
    "maven": "an eclipse-temurin *-jre image holding the built jar",
    "gradle": "an eclipse-temurin *-jre image holding the built jar",
    "buildpack-deps": "debian:<ver>-slim",
}


@rule("docker-non-minimal-base", "dockerfile")
def non_minimal_base(df: Dockerfile, ctx) -> Iterator[Finding]:
    chain = _chain(df)
    if not chain or not _role(df, ctx).service:
        return
    base = chain[-1]
    if not _external(df, base):
        return
    name, tag, _ = _split_image(base.base_resolved)
    short = name.lower()
    for prefix in ("docker.io/", "index.docker.io/", "library/"):
        short = short.removeprefix(prefix)
    if short not in _FULL_IMAGES or (tag and _MINIMAL_TAG.search(tag.lower())):
        return
    yield hit(
        df.path,
        base.base_span(),
        f"the final image is built on the full {short!r} image; consider {_FULL_IMAGES[short]}",
        df.final_stage.label,
    )


@rule("docker-cd-in-run", "dockerfile")
def cd_in_run(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        scripts = _scripts(instr)
        if not scripts:
            continue
        text, span_fn = scripts[0]
        commands = _commands(text)
        if not commands:
            continue
        words = commands[0][1]
        i = _program(words)
        if _prog_name(words, i) != "cd":
            continue
        only = len(commands) == 1 and len(scripts) == 1
        yield hit(
            df.path,
            _word_span(words, i, span_fn, min(i + 1, len(words) - 1)),
            "this RUN only changes directory, which has no effect on later instructions: use WORKDIR"
            if only
            else "RUN starts with cd: set the directory with WORKDIR instead",
            _stage_label(df, instr),
        )


@rule("docker-relative-workdir", "dockerfile")
def relative_workdir(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "WORKDIR":
            continue
        raw = instr.body.strip()
        path = unquote(raw)
        if not path or path.startswith(("/", "$")) or re.match(r"^[A-Za-z]:[\\/]|^\\", path):
            continue
        yield hit(
            df.path,
            instr.span_of(instr.body_start, len(raw)),
            f"WORKDIR {path!r} is relative to the previous WORKDIR; use an absolute path",
            _stage_label(df, instr),
        )


@rule("docker-copy-from-unknown-stage", "dockerfile")
def copy_from_unknown_stage(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword not in ("COPY", "ADD") or "from" not in instr.flags or instr.stage < 0:
            continue
        raw = instr.flags["from"][0]
        ref = substitute(raw, df.global_args)
        if not ref or "$" in ref or any(c in ref for c in "/:@"):
            continue
        where = instr.span_of(instr.flag_offsets["from"], len(raw))
        stage = df.stages[instr.stage]
        target = df.stage_by_ref(ref)
        if target is not None and target.index < stage.index:
            continue
        if target is not None and target.index == stage.index:
            msg = f"COPY --from={raw} names the stage it is in"
        elif target is not None:
            msg = f"COPY --from={raw} names a stage defined later; define it before this stage"
        elif ref.isdigit():
            msg = f"COPY --from={raw}: there is no earlier stage with index {ref}"
        else:
            msg = (
                f"COPY --from={raw} is not an earlier stage; Docker will pull the image '{ref}:latest' "
                "(write image:tag if that is intended)"
            )
        yield hit(df.path, where, msg, stage.label)


@rule("docker-duplicate-stage-name", "dockerfile")
def duplicate_stage_name(df: Dockerfile, ctx) -> Iterator[Finding]:
    seen: dict[str, Stage] = {}
    for stage in df.stages:
        if stage.name is None:
            continue
        if stage.name in seen:
            instr = stage.from_instr
            low = instr.args.lower()
            off = low.rfind(stage.name)
            yield hit(
                df.path,
                instr.span_of(off, len(stage.name)) if off >= 0 else instr.keyword_span,
                f"stage name {stage.name!r} is already used on line {seen[stage.name].from_instr.line}",
                stage.label,
            )
        else:
            seen[stage.name] = stage


@rule("docker-maintainer-deprecated", "dockerfile")
def maintainer_deprecated(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword == "MAINTAINER":
            yield hit(
                df.path,
                instr.keyword_span,
                'MAINTAINER is deprecated; use LABEL org.opencontainers.image.authors="…"',
                _stage_label(df, instr),
            )


_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(\w+))?$")


@rule("docker-expose-invalid-port", "dockerfile")
def expose_invalid_port(df: Dockerfile, ctx) -> Iterator[Finding]:
    for instr in df.instructions:
        if instr.keyword != "EXPOSE":
            continue
        for m in re.finditer(r"\S+", instr.body):
            word = m.group()
            if "$" in word:
                continue
            pm = _PORT.match(word)
            ok = (
                bool(pm)
                and all(p is None or (len(p) <= 5 and int(p) <= 65535) for p in (pm.group(1), pm.group(2)))
                and (pm.group(3) or "tcp").lower() in ("tcp", "udp", "sctp")
            )
            if not ok:
                yield hit(
                    df.path,
                    instr.span_of(instr.body_start + m.start(), len(word)),
                    f"EXPOSE {word!r} is not a port (0-65535, optionally /tcp, /udp or /sctp)",
                    _stage_label(df, instr),
                )


_WINDOWS_BASE = re.compile(r"windows|nanoserver|servercore|ltsc\d{4}", re.IGNORECASE)
_NON_POSIX_SHELL = re.compile(r"(pwsh|powershell|cmd)(\.exe)?$", re.IGNORECASE)
_PIPEFAIL_SET = re.compile(r"\bset\b[^;&|\n]*\bpipefail\b|-o\s+pipefail\b")
_CANNOT_FAIL = frozenset({"echo", "printf", "yes", "true"})


@rule("docker-pipefail", "dockerfile")
def pipefail(df: Dockerfile, ctx) -> Iterator[Finding]:
    if df.directives.get("escape", ("\\",))[0] == "`":
        return  # a Windows Dockerfile: cmd / PowerShell
    # Per stage: does RUN's shell fail on a failed pipe stage (SHELL with -o pipefail), or is
    # it no POSIX shell at all (PowerShell, cmd)? A stage built FROM another inherits its SHELL.
    guarded: dict[int, bool] = {}
    for stage in df.stages:
        if stage.parent_stage is not None:
            ok = guarded.get(stage.parent_stage, False)
        else:
            ok = bool(_WINDOWS_BASE.search(stage.base_resolved))
        for instr in stage.instructions:
            if instr.keyword == "SHELL" and instr.exec_form:
                argv = instr.exec_form
                ok = "pipefail" in argv or bool(_NON_POSIX_SHELL.search(argv[0].rsplit("\\", 1)[-1]))
            elif not ok:
                yield from _unguarded_pipe(df, stage, instr)
        guarded[stage.index] = ok


def _unguarded_pipe(df: Dockerfile, stage: Stage, instr: Instruction) -> Iterator[Finding]:
    for text, span_fn in _scripts(instr):
        commands = _commands(text)
        for k, ((_, left), (op, right)) in enumerate(itertools.pairwise(commands)):
            if op != "|" or not left or not right:
                continue
            if (k + 2 < len(commands) and commands[k + 2][0] == ")") or any(w[0] == "case" for w in left):
                continue  # `case $x in a|b)`: alternatives of a case pattern, not a pipe
            li, ri = _program(left), _program(right)
            if li >= len(left) or ri >= len(right) or _prog_name(left, li) in _CANNOT_FAIL:
                continue
            if _PIPEFAIL_SET.search(text, 0, left[li][1]):
                break  # `set -o pipefail` earlier in the same script
            start, end = left[li][1], right[ri][1] + right[ri][2]
            yield hit(
                df.path,
                span_fn(start, end - start),
                f"`{_prog_name(left, li)} | {_prog_name(right, ri)}`: without pipefail a failure of "
                f"{_prog_name(left, li)} is ignored and the build goes on; add "
                'SHELL ["/bin/bash", "-o", "pipefail", "-c"] (or `set -o pipefail` in this RUN)',
                stage.label,
            )
            return  # one finding per RUN


@rule("docker-non-numeric-user", "dockerfile")
def non_numeric_user(df: Dockerfile, ctx) -> Iterator[Finding]:
    final = df.final_stage
    if final is None or not _role(df, ctx).service:
        return
    if any(_WINDOWS_BASE.search(s.base_resolved) for s in _chain(df)):
        return  # Windows users (ContainerUser) are names by design
    user = final_user(df)
    if user.instr is None or user.user is None or user.root or user.numeric or not user.name:
        return
    instr = user.instr
    yield hit(
        df.path,
        instr.span_of(instr.body_start, len(instr.body.rstrip())),
        f"the final USER {user.user!r} is a name: Kubernetes cannot verify runAsNonRoot for it (the "
        "kubelet refuses the pod unless runAsUser is set); use the numeric id, e.g. USER 10001:10001",
        final.label,
    )
