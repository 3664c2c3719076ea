"""Images in the project model: what role a Dockerfile's image plays, and where it runs.

Two questions the Dockerfile rules cannot answer from the Dockerfile alone (issue 7, causes 7
and 8):

- **Role.** A Tilt dev image, a protobuf generator, a Cypress runner or a GitHub Action is not
  a service: it needs no HEALTHCHECK, a Docker action *must* run as root, and a build
  environment is full of compilers by design. `role()` decides `service | tool | ci | test | dev`
  from evidence, in this order, and keeps the evidence as one sentence for the verbose
  listing: the config's `roles:` globs; an `action.yml` with `runs.using: docker` beside the
  Dockerfile; the file name (`Dockerfile.test`, `.dev`, `.debug`, `.tilt`, `.cypress`...);
  a folder (`.github/`, `test/`, `hack/`, `tools/`, `.devcontainer/`...); a Tiltfile or a
  Skaffold debug/dev profile that builds it under a name of its own. The content is no
  evidence: an image without CMD may be a worker whose command comes from Compose.
- **Where it runs.** `links()` maps image names to the Dockerfiles that build them from safe,
  textual evidence only (nothing is executed): the config's `images:` mapping, a Compose
  service with `build:` and `image:`, Skaffold `build.artifacts`, Tilt `docker_build(...)`
  calls read as text, and an image whose last path component names the folder of a
  `Dockerfile`. With it, `health_elsewhere()` finds Kubernetes probes or a Compose healthcheck
  that make a HEALTHCHECK redundant, and the `k8s-run-as-non-root-image-user` rule finds the
  USER a pod's image runs as.

Everything is lazy: a Dockerfile-only run reads the project's Compose/Skaffold/Tilt files only
when a rule asks, and the manifests only when a Dockerfile without HEALTHCHECK needs them.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from manifestlint.project.families import (  # the image facts live there (no import cycle)
    ImageUser as ImageUser,
)
from manifestlint.project.families import (
    base_dockerfile,
    build_links,
    image_chain,
    is_build_file,
)
from manifestlint.project.families import (
    final_user as final_user,
)
from manifestlint.project.known_images import (
    image_user,
    known_root_image,
    short_name,
)

SERVICE, TOOL, CI, TEST, DEV, DATA = "service", "tool", "ci", "test", "dev", "data"
ROLES = (SERVICE, TOOL, CI, TEST, DEV, DATA)


@dataclass(frozen=True, slots=True)
class ImageRole:
    """A Dockerfile's role with the evidence that decided it (one sentence)."""

    name: str
    evidence: str

    @property
    def service(self) -> bool:
        return self.name == SERVICE


# ------------------------------------------------------------------------------ role evidence

# Words of a Dockerfile's own name (`Dockerfile.dev-tools`, `test.Dockerfile`, `Dockerfile_ci`).
NAME_WORDS = {
    **dict.fromkeys(("test", "tests", "testing", "e2e", "cypress", "playwright", "selenium"), TEST),
    **dict.fromkeys(("integration-test", "integrationtest", "unittest", "unit"), TEST),
    **dict.fromkeys(("dev", "devel", "develop", "development", "debug", "tilt", "local"), DEV),
    **dict.fromkeys(("devcontainer", "devenv", "sandbox"), DEV),
    **dict.fromkeys(("ci", "action", "actions"), CI),
    **dict.fromkeys(("tools", "tool", "toolbox", "tooling", "builder", "codegen", "genproto"), TOOL),
}
# Folder names between the project root and the Dockerfile.
FOLDER_WORDS = {
    **dict.fromkeys((".github", ".gitlab", ".circleci", ".buildkite", ".woodpecker", ".drone"), CI),
    **dict.fromkeys(("test", "tests", "testing", "e2e", "e2e-tests", "testdata", "fixtures"), TEST),
    **dict.fromkeys(("integration-tests", "integration-test", "cypress", "playwright"), TEST),
    **dict.fromkeys((".devcontainer", "devcontainer", "dev", "development"), DEV),
    **dict.fromkeys(("hack", "tools", "tooling", "scripts", "dev-tools", "devtools", "genproto"), TOOL),
}
_NAME_SPLIT = re.compile(r"[._]|-(?=[a-z])")


def name_words(filename: str) -> list[str]:
    """The words of a Dockerfile name besides `Dockerfile` itself, compound words kept too."""
    low = filename.lower()
    words = [w for w in _NAME_SPLIT.split(low) if w and w not in ("dockerfile", "containerfile")]
    compound = [w for w in re.split(r"[._]", low) if "-" in w]
    return compound + words


def name_role(filename: str) -> ImageRole | None:
    for word in name_words(filename):
        role = NAME_WORDS.get(word)
        if role:
            return ImageRole(role, f"its file name {filename!r} says {word!r}")
    return None


def folder_role(folders: tuple[str, ...]) -> ImageRole | None:
    """The innermost folder word wins: `tools/test/Dockerfile` is a test image."""
    for i in range(len(folders) - 1, -1, -1):
        low = folders[i].lower()
        role = FOLDER_WORDS.get(low) or (DEV if low.startswith(("dev-", "dev_")) else None)
        if role:
            where = "/".join(folders[: i + 1])
            return ImageRole(role, f"it lives in the folder {where}/")
    return None


def config_role(relpath: str | None, roles: dict[str, str]) -> ImageRole | None:
    """The first `roles:` glob of the configuration that matches (relative to its folder)."""
    if relpath is None:
        return None
    for pattern, role in roles.items():
        if glob_match(relpath, pattern):
            return ImageRole(role, f"the configuration's roles: {pattern!r} -> {role}")
    return None


def glob_match(relpath: str, pattern: str) -> bool:
    """fnmatch on the root-relative path (`*` also crosses `/`); a folder pattern matches
    everything below it (`tools`, `tools/`, `tools/**`)."""
    pat = pattern.strip().removeprefix("./")
    return fnmatch.fnmatch(relpath, pat) or fnmatch.fnmatch(relpath, pat.rstrip("/") + "/*")


def action_role(folder: Path, root: Path | None = None) -> ImageRole | None:
    """A GitHub Action (`action.yml`/`action.yaml` with `runs.using: docker`) beside the
    Dockerfile. GitHub runs Docker actions as root: the workspace is mounted root-owned."""
    for name in ("action.yml", "action.yaml"):
        data = _read_yaml(folder / name, root)
        if data:
            runs = data[0].get("runs") if isinstance(data[0], dict) else None
            if isinstance(runs, dict) and str(runs.get("using", "")).lower() == "docker":
                return ImageRole(CI, f"{name} beside it is a Docker GitHub Action (runs.using: docker)")
    return None


# ------------------------------------------------------------------------------ image facts


def data_image(df: Any) -> bool:
    """An image nobody runs: built FROM scratch with no CMD or ENTRYPOINT anywhere in its
    chain (an OLM bundle of manifests, a layer of files other images COPY --from). Such an
    image has no process to run as root or to health-check."""
    chain = image_chain(df)
    if not chain or str(chain[-1].base_resolved).lower() != "scratch":
        return False
    return not any(i.keyword in ("CMD", "ENTRYPOINT") for stage in chain for i in stage.instructions)


# The tables of well-known images live in project/known_images.py (shared with the Kubernetes
# rules); these names are kept for the Dockerfile rules.
base_user = image_user
known_root_base = known_root_image


# ------------------------------------------------------------------------------ reading files

MAX_SIDE_FILE = 1024 * 1024  # Compose/Skaffold/Tilt/action files larger than this are ignored


def _read_text(path: Path, root: Path | None = None) -> str | None:
    """A side file's text: only a regular file (a FIFO or /dev/zero named like a side file
    must not hang) whose real path lies inside `root` (a committed link to a credentials file
    outside the checkout is never read, so its content cannot reach a report)."""
    from manifestlint.safeio import Unreadable, read_inside

    try:
        return read_inside(path, root, MAX_SIDE_FILE).decode("utf-8", errors="replace")
    except Unreadable:
        return None


def _file(path: Path, root: Path | None) -> bool:
    """A regular file inside `root`; False for a path the OS refuses (too long, NUL)."""
    from manifestlint.safeio import regular_inside

    return regular_inside(path, root)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _read_yaml(path: Path, root: Path | None = None) -> list[Any]:
    """Plain documents of a small YAML file (our bounded composer; never raises)."""
    text = _read_text(path, root)
    if text is None:
        return []
    from manifestlint.parse.yaml import parse_stream

    try:
        docs, _, _ = parse_stream(text, str(path))
    except Exception:  # a side file we cannot read is no evidence, never a crash
        return []
    return [d.root for d in docs]


# ------------------------------------------------------------------------------ links


def image_key(ref: str) -> str:
    """How image references are compared: repository without tag/digest, Docker Hub's
    implicit prefixes dropped, lower case."""
    return short_name(ref)


@dataclass(slots=True)
class Links:
    """What the project's build files say about images."""

    by_image: dict[str, set[str]] = field(default_factory=dict)  # image key -> Dockerfile paths
    compose_health: dict[str, str] = field(default_factory=dict)  # Dockerfile -> evidence
    compose_built: dict[str, str] = field(default_factory=dict)  # Dockerfile -> evidence
    dev_only: dict[str, str] = field(default_factory=dict)  # Dockerfile -> evidence
    evidence: dict[tuple[str, str], str] = field(default_factory=dict)  # (image, Dockerfile) -> why
    # image key -> evidence, for every image a Skaffold or Tilt config builds (any builder, with
    # or without a Dockerfile we can see): the dev tool deploys it under a tag of its own
    built: dict[str, str] = field(default_factory=dict)
    targets: dict[tuple[str, str], str] = field(default_factory=dict)  # built with --target
    root: Path | None = None  # side files and the Dockerfiles they name are read only below it
    # run as interactive shells by Compose (stdin_open + tty): development environments
    interactive: dict[str, str] = field(default_factory=dict)  # Dockerfile -> evidence
    interactive_images: dict[str, str] = field(default_factory=dict)  # image key -> evidence

    def add(self, image: str, dockerfile: Path, why: str, target: Any = None) -> None:
        key, path = image_key(image), _norm(dockerfile)
        self.by_image.setdefault(key, set()).add(path)
        self.evidence.setdefault((key, path), why)
        if isinstance(target, str) and target:
            self.targets[(key, path)] = target


def _norm(path: Path | str) -> str:
    return os.path.normpath(os.path.abspath(path))


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _interpolate(text: Any, env: dict[str, str]) -> str | None:
    """Compose-style `${VAR}` / `${VAR:-default}` from the `.env` file; None if unresolved."""
    if not isinstance(text, str):
        return None
    unresolved = False

    def repl(m: re.Match) -> str:
        nonlocal unresolved
        name = m.group(1) or m.group(3)
        if name in env and env[name] != "":
            return env[name]
        if m.group(2) is not None:
            return m.group(2)
        unresolved = True
        return ""

    out = _VAR.sub(repl, text)
    return None if unresolved else out


def _dotenv(folder: Path, root: Path | None = None) -> dict[str, str]:
    text = _read_text(folder / ".env", root) or ""
    env = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        env[key.strip()] = value.strip().strip("'\"")
    return env


def compose_links(path: Path, links: Links) -> None:
    """A Compose service with `build:` builds its image from a Dockerfile; its `image:` names
    it, and its `healthcheck:` makes a Dockerfile HEALTHCHECK redundant."""
    folder = path.parent
    env = _dotenv(folder, links.root)
    for doc in _read_yaml(path, links.root):
        services = doc.get("services") if isinstance(doc, dict) else None
        if not isinstance(services, dict):
            continue
        for name, svc in services.items():
            if not isinstance(svc, dict):
                continue
            if _interactive(svc):
                _interactive_links(path, name, svc, env, links)
            if "build" not in svc:
                continue
            build = svc["build"]
            context, dockerfile = (build, "Dockerfile") if isinstance(build, str) else (None, None)
            if isinstance(build, dict):
                context, dockerfile = build.get("context", "."), build.get("dockerfile", "Dockerfile")
            context = _interpolate(context, env)
            dockerfile = _interpolate(dockerfile, env)
            if context is None or dockerfile is None:
                continue
            if len(context) + len(dockerfile) > 4096:
                continue
            target = (folder / context / dockerfile) if not os.path.isabs(dockerfile) else Path(dockerfile)
            if not _file(target, links.root):
                continue
            links.compose_built.setdefault(
                _norm(target), f"Compose service {name!r} in {path.name} builds it"
            )
            image = _interpolate(svc.get("image"), env)
            if image:
                stage = build.get("target") if isinstance(build, dict) else None
                links.add(
                    image, target, f"Compose service {name!r} in {path.name} builds it as {image}", stage
                )
            health = svc.get("healthcheck")
            if isinstance(health, dict) and (health.get("test") or health.get("disable")):
                links.compose_health.setdefault(
                    _norm(target), f"Compose service {name!r} in {path.name} has a healthcheck"
                )


def _interactive(svc: dict) -> bool:
    """A Compose service run as an interactive shell (`stdin_open` and `tty`, as `docker run
    -it`): a development environment, not a server."""
    return svc.get("stdin_open") in (True, "true") and svc.get("tty") in (True, "true")


_BRACKET = re.compile(r"\[[^\]/]+\]")


def _interactive_links(path: Path, name: str, svc: dict, env: dict[str, str], links: Links) -> None:
    """What an interactive service runs: its image, and the Dockerfiles it builds (a build path
    with `[placeholder]` segments, a template of the Compose file, matches every Dockerfile it
    can stand for)."""
    why = f"Compose service {name!r} in {path.name} runs it interactively (stdin_open, tty)"
    image = _interpolate(svc.get("image"), env)
    if image and not _BRACKET.search(image):
        links.interactive_images.setdefault(image_key(image), why)
    build = svc.get("build")
    context, dockerfile = (build, "Dockerfile") if isinstance(build, str) else (None, None)
    if isinstance(build, dict):
        context, dockerfile = build.get("context", "."), build.get("dockerfile", "Dockerfile")
    context, dockerfile = _interpolate(context, env), _interpolate(dockerfile, env)
    if context is None or dockerfile is None or os.path.isabs(dockerfile):
        return
    pattern = (PurePosixPath(context) / dockerfile).as_posix()
    if _BRACKET.search(pattern):
        targets = sorted(path.parent.glob(_BRACKET.sub("*", pattern)))[:200]
    else:
        targets = [path.parent / pattern]
    for target in targets:
        if _file(target, links.root):  # never a Dockerfile outside the project
            links.interactive.setdefault(_norm(target), why)


_DEBUG_PROFILE = re.compile(r"debug|dev", re.I)


def skaffold_links(path: Path, links: Links) -> None:
    """Skaffold `build.artifacts` (image, context, docker.dockerfile), also in profiles; a
    Dockerfile that only a debug/dev profile selects is a dev image."""
    folder = path.parent
    for doc in _read_yaml(path, links.root):
        if not isinstance(doc, dict) or not str(doc.get("apiVersion", "")).startswith("skaffold/"):
            continue
        builds = [doc.get("build")] + [
            p.get("build") for p in _list(doc.get("profiles")) if isinstance(p, dict)
        ]
        for build in builds:
            artifacts = build.get("artifacts") if isinstance(build, dict) else None
            for art in artifacts if isinstance(artifacts, list) else ():
                if isinstance(art, dict) and isinstance(art.get("image"), str) and art["image"]:
                    links.built.setdefault(
                        image_key(art["image"]), f"{path.name} builds it (build.artifacts)"
                    )
        base_artifacts = _artifacts(doc.get("build"))
        for image, context, dockerfile, stage in base_artifacts:
            target = folder / context / dockerfile
            if _file(target, links.root):
                links.add(image, target, f"Skaffold artifact {image!r} in {path.name}", stage)
        for profile in _list(doc.get("profiles")):
            if not isinstance(profile, dict):
                continue
            pname = str(profile.get("name", ""))[:200]
            activation = " ".join(
                str(a.get("command", ""))[:200]
                for a in _list(profile.get("activation"))
                if isinstance(a, dict)
            )
            dev = bool(_DEBUG_PROFILE.search(pname) or _DEBUG_PROFILE.search(activation))
            for image, context, dockerfile, stage in _artifacts(profile.get("build")):
                target = folder / context / dockerfile
                if _file(target, links.root):
                    links.add(
                        image, target, f"Skaffold profile {pname!r} artifact {image!r} in {path.name}", stage
                    )
                    if dev:
                        links.dev_only.setdefault(_norm(target), f"Skaffold profile {pname!r} builds it")
            for patch in _list(profile.get("patches")):
                if not isinstance(patch, dict) or not isinstance(patch.get("value"), str):
                    continue
                m = re.fullmatch(r"/build/artifacts/(\d{1,9})/docker/dockerfile", str(patch.get("path", "")))
                if m and int(m.group(1)) < len(base_artifacts):
                    image, context, _, _ = base_artifacts[int(m.group(1))]
                    target = folder / context / patch["value"]
                    if _file(target, links.root):
                        links.add(image, target, f"Skaffold profile {pname!r} patches artifact {image!r}")
                        if dev:
                            links.dev_only.setdefault(
                                _norm(target), f"only the Skaffold {pname!r} profile builds it"
                            )


def _artifacts(build: Any) -> list[tuple[str, str, str, Any]]:
    out = []
    if not isinstance(build, dict):
        return out
    for art in _list(build.get("artifacts")):
        if not isinstance(art, dict) or not isinstance(art.get("image"), str):
            continue
        docker = art.get("docker") if isinstance(art.get("docker"), dict) else {}
        if "docker" not in art and any(k in art for k in ("jib", "bazel", "ko", "buildpacks", "custom")):
            continue
        dockerfile = docker.get("dockerfile") or "Dockerfile"
        out.append((art["image"], str(art.get("context") or "."), str(dockerfile), docker.get("target")))
    return out


MAX_TILT_CALLS = 1000  # build calls read per Tiltfile (each reads up to 4,000 characters of arguments)
_TILT_CALL = re.compile(r"\b(docker_build|docker_build_with_restart)\s*\(")
_TILT_BUILD = re.compile(r"\b(docker_build|docker_build_with_restart|custom_build)\s*\(")
_STRING = re.compile(r"""(?:(\w+)\s*=\s*)?(['"])((?:\\.|(?!\2).)*)\2""")


def tilt_links(path: Path, links: Links) -> None:
    """`docker_build('img', 'ctx', dockerfile='...')` calls of a Tiltfile, read as text (never
    executed): string literals only. Tilt is a dev loop: a Dockerfile it builds under a name of
    its own (`Dockerfile.tilt`) is a dev image; the default `Dockerfile` is the service's."""
    text = _read_text(path, links.root)
    if not text or "_build" not in text:
        return
    for m in itertools.islice(_TILT_BUILD.finditer(text), MAX_TILT_CALLS):
        positional = [value for key, value in _call_args(text, m.end()) if key is None]
        if positional and positional[0]:
            links.built.setdefault(image_key(positional[0]), f"{path.name} builds it ({m.group(1)})")
    folder = path.parent
    for m in itertools.islice(_TILT_CALL.finditer(text), MAX_TILT_CALLS):
        args = _call_args(text, m.end())
        positional = [value for key, value in args if key is None]
        named = {key: value for key, value in args if key is not None}
        if not positional:
            continue
        image = positional[0]
        context = named.get("context", positional[1] if len(positional) > 1 else None)
        if context is None:
            continue
        dockerfile = named.get("dockerfile")
        target = folder / (dockerfile if dockerfile else Path(context) / "Dockerfile")
        if not _file(target, links.root):
            continue
        links.add(image, target, f"{path.name} docker_build({image!r}, {context!r})", named.get("target"))
        if dockerfile and PurePosixPath(dockerfile).name not in ("Dockerfile", "Containerfile"):
            links.dev_only.setdefault(_norm(target), f"{path.name} builds it for Tilt's dev loop")


def _call_args(text: str, start: int) -> list[tuple[str | None, str]]:
    """String-literal arguments of a call whose `(` ends at `start`, up to its `)`; arguments
    that are not plain string literals are skipped (we never evaluate Starlark)."""
    depth, i, end = 1, start, min(len(text), start + 4000)
    while i < end and depth:
        ch = text[i]
        if ch in "'\"":
            close = text.find(ch, i + 1)
            i = close if close > 0 else end
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        i += 1
    body = text[start : i - 1]
    out = []
    for part in _split_top(body):
        m = _STRING.fullmatch(part.strip())
        if m:
            out.append((m.group(1), m.group(3)))
    return out


def _split_top(body: str) -> list[str]:
    parts, depth, quote, cur = [], 0, "", []
    for ch in body:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _is_compose(name: str) -> bool:
    low = name.lower()
    return (low.startswith(("docker-compose", "compose")) and low.endswith((".yml", ".yaml"))) or low in (
        "compose.yml",
        "compose.yaml",
    )


def _is_skaffold(name: str) -> bool:
    low = name.lower()
    return low.startswith("skaffold") and low.endswith((".yml", ".yaml"))


def _is_tiltfile(name: str) -> bool:
    return name == "Tiltfile" or name.endswith(".tiltfile") or name.startswith("Tiltfile.")


def _is_dockerfile(name: str) -> bool:
    low = name.lower()
    return low in ("dockerfile", "containerfile")


# ------------------------------------------------------------------------------ the project


@dataclass(slots=True)
class Workload:
    """One container of a pod template that runs an image."""

    doc: Any  # YamlDoc
    template: Any  # k8s.PodTemplate
    container: Any  # YMap
    image: str

    @property
    def probed(self) -> bool:
        return any(
            isinstance(self.container.get(p), dict)
            for p in ("livenessProbe", "readinessProbe", "startupProbe")
        )


class ImageProject:
    """Lazy image facts of one run: roles, image <-> Dockerfile links, workloads.

    `root` is the project root (None with --no-context or outside a project: then only the
    Dockerfile's own path and content count); `config_root` is the folder the config's
    `roles:` and `images:` globs are relative to; `load_objects` returns every Kubernetes
    document of the project (the engine reads the context files only when asked)."""

    def __init__(
        self,
        root: Path | None,
        cwd: Path,
        roles: dict[str, str] | None = None,
        images: dict[str, str] | None = None,
        config_root: Path | None = None,
        load_objects: Callable[[], list] | None = None,
        files: Callable[[Path], list[Path]] | None = None,
    ) -> None:
        self.root = root
        self.cwd = cwd
        self.roles = roles or {}
        self.images = images or {}
        self.config_root = config_root or root
        self._load_objects = load_objects or (lambda: [])
        self._files = files
        self._role_cache: dict[str, ImageRole] = {}
        self._links: Links | None = None
        self._workloads: dict[str, list[Workload]] | None = None
        self._all_files: list[Path] | None = None
        self._parsed: dict[str, Any] = {}
        # what side files and linked Dockerfiles are read below: the project, else the folder
        # the configuration's globs are relative to, else the working directory
        self.boundary = root or config_root or cwd
        self._deciding: set[str] = set()  # Dockerfiles whose role is being decided (FROM cycles)

    def objects(self) -> list:
        """Every Kubernetes object of the project (read now when the call has not)."""
        return self._load_objects()

    # -- roles

    def abspath(self, df_path: str) -> Path:
        return Path(_norm(self.cwd / df_path))

    def _rel(self, path: Path, base: Path | None) -> str | None:
        if base is None:
            return None
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            try:
                return path.resolve().relative_to(base.resolve()).as_posix()
            except ValueError:
                return None

    def role(self, df: Any) -> ImageRole:
        """The role of the image a parsed Dockerfile builds, with its evidence."""
        cached = self._role_cache.get(df.path)
        if cached is None:
            cached = self._role_cache[df.path] = self._decide(df)
        return cached

    def _decide(self, df: Any) -> ImageRole:
        path = self.abspath(df.path)
        found = config_role(self._rel(path, self.config_root), self.roles)
        if found:
            return found
        found = action_role(path.parent, self.boundary) or name_role(path.name)
        if found:
            return found
        rel = self._rel(path, self.root) or self._rel(path, self.cwd)  # never folders above both
        folders = PurePosixPath(rel).parts[:-1] if rel else ()
        found = folder_role(tuple(p for p in folders if p not in ("..", ".")))
        if found:
            return found
        key = _norm(path)
        links = self.links()
        dev = links.dev_only.get(key)
        if dev and key not in links.compose_built:  # Compose runs it as a service
            return ImageRole(DEV, dev)
        if key in links.interactive:
            return ImageRole(DEV, links.interactive[key])
        found = self._family_role(df)
        if found:
            return found
        if data_image(df):
            return ImageRole(DATA, "FROM scratch with no CMD or ENTRYPOINT: files for others, never run")
        return ImageRole(SERVICE, "no tool, test, CI or dev evidence")

    def _family_role(self, df: Any) -> ImageRole | None:
        """A development image by its family (issue 19, principles 5 and 6): its base image runs
        as an interactive development environment, or is built by a dev image of the repository."""
        chain = image_chain(df)
        base = str(chain[-1].base_resolved) if chain else ""
        known = base and "$" not in base
        interactive = self.links().interactive_images.get(image_key(base)) if known else None
        if interactive:
            return ImageRole(DEV, f"its base image {base} is a development environment: {interactive}")
        if df.path in self._deciding:
            return None  # a cycle of FROMs: no evidence either way
        self._deciding.add(df.path)
        try:
            parent = base_dockerfile(self, df)
            role = self.role(parent[2]) if parent is not None else None
        finally:
            self._deciding.discard(df.path)
        if role is not None and role.name == DEV:
            return ImageRole(DEV, f"its base image {base} is built by {self.display(parent[0])}, a dev image")
        return None

    # -- links

    def files(self) -> list[Path]:
        if self._all_files is None:
            self._all_files = self._files(self.root) if (self._files and self.root) else []
        return self._all_files

    def links(self) -> Links:
        if self._links is None:
            links = Links(root=self.boundary)
            base = self.config_root or self.cwd
            for image, dockerfile in self.images.items():
                if "\0" in str(dockerfile) or len(str(dockerfile)) > 4096:
                    continue
                target = base / str(dockerfile)
                if _is_dir(target):
                    target = target / "Dockerfile"
                if not _file(target, self.boundary):  # never a Dockerfile outside the project
                    continue
                links.add(str(image), target, f"the configuration's images: {image} -> {dockerfile}")
            for file in self.files():
                name = file.name
                if _is_compose(name):
                    compose_links(file, links)
                elif _is_skaffold(name):
                    skaffold_links(file, links)
                elif _is_tiltfile(name):
                    tilt_links(file, links)
                elif is_build_file(file, self.root):
                    build_links(file, self.root, links)
            self._links = links
        return self._links

    def built_by_dev_tool(self, image: str) -> str | None:
        """Evidence that Skaffold or Tilt builds this image and deploys it under a tag of its
        own (so an untagged reference in the manifests is a placeholder), else None."""
        if self.root is None:
            return None
        return self.links().built.get(image_key(image))

    def target(self, image: str, dockerfile: str) -> str | None:
        """The `--target` stage a build file names for this image and Dockerfile, if any."""
        return self.links().targets.get((image_key(image), dockerfile))

    def dockerfile(self, path: str) -> Any:
        """The parsed Dockerfile at an absolute path (cached; None when unreadable)."""
        if path not in self._parsed:
            text = _read_text(Path(path), self.boundary)
            if text is None:
                self._parsed[path] = None
            else:
                from manifestlint.parse.dockerfile import parse_dockerfile

                self._parsed[path] = parse_dockerfile(text, path)
        return self._parsed[path]

    def display(self, path: str) -> str:
        """A Dockerfile path for messages: relative to the project root when below it."""
        for base in (self.root, self.config_root, self.cwd):
            rel = self._rel(Path(path), base) if base else None
            if rel:
                return rel
        return path

    def dockerfiles_for(self, image: str) -> list[tuple[str, str]]:
        """(Dockerfile path, evidence) for an image reference: explicit links first; else the
        `Dockerfile` whose folder the image's last path component names (images with a
        registry or organisation only: `redis:7` is Docker Hub's redis, not ./redis)."""
        key = image_key(image)
        links = self.links()
        if key in links.by_image:
            return sorted((p, links.evidence[(key, p)]) for p in links.by_image[key])
        if "/" not in key or "$" in key or "{{" in key:
            return []
        last = key.rsplit("/", 1)[-1]
        matches = [
            f
            for f in self.files()
            if _is_dockerfile(f.name) and f.parent.name.lower() == last and f.parent != self.root
        ]
        if len(matches) == 1:
            return [(_norm(matches[0]), f"the image's last path component names its folder {last}/")]
        return []

    def service_dockerfiles_for(self, image: str) -> list[tuple[str, str, Any]]:
        """(path, evidence, parsed Dockerfile) of the service Dockerfiles linked to an image: a
        Tilt dev Dockerfile or a debug variant builds the same image name for a dev loop, not
        the image production runs."""
        out = []
        for path, why in self.dockerfiles_for(image):
            df = self.dockerfile(path)
            if df is not None and self.role(df).service:
                out.append((path, why, df))
        return out

    def workloads(self) -> dict[str, list[Workload]]:
        """Dockerfile path -> the containers that run its image (any kind of pod template)."""
        if self._workloads is None:
            from manifestlint.rules.kubernetes.objects import containers, pod_template

            found: dict[str, list[Workload]] = {}
            for doc in self._load_objects():
                template = pod_template(doc)
                if template is None:
                    continue
                for container, _ in containers(template.spec, init=False):
                    image = container.get("image")
                    if not isinstance(image, str) or not image:
                        continue
                    for path, _ in self.dockerfiles_for(image):
                        found.setdefault(path, []).append(Workload(doc, template, container, image))
            self._workloads = found
        return self._workloads

    def user_elsewhere(self, df: Any) -> str | None:
        """Evidence that every place this image runs sets a non-root numeric user: it runs in
        Kubernetes only (no Compose service builds it), and each container that runs it gets
        an effective `runAsUser` above 0."""
        from manifestlint.rules.kubernetes.objects import effective

        path = _norm(self.abspath(df.path))
        if path in self.links().compose_built:
            return None
        works = self.workloads().get(path, [])
        if not works:
            return None
        for work in works:
            uid, _ = effective(work.container, work.template.spec, "runAsUser")
            if type(uid) is not int or uid <= 0:
                return None
        return f"every workload that runs it sets runAsUser (e.g. {works[0].doc.ident})"

    def health_elsewhere(self, df: Any) -> str | None:
        """Evidence that something else health-checks this image: a Compose healthcheck, or
        Kubernetes probes on a container that runs it."""
        path = _norm(self.abspath(df.path))
        compose = self.links().compose_health.get(path)
        if compose:
            return compose
        for work in self.workloads().get(path, ()):
            if work.probed:
                return f"{work.doc.ident} runs it ({work.image}) with probes"
        return None


def iter_roles(project: ImageProject, dockerfiles: list) -> Iterator[tuple[str, ImageRole]]:
    """(display path, role) of parsed Dockerfiles: what the verbose listing shows."""
    for df in dockerfiles:
        yield df.path, project.role(df)
