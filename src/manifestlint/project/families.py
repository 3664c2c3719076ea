"""Image families built in the repository (issue 19, principle 6), and images that serve nothing.

A repository often builds its images FROM each other: `base/` -> `minimal/` -> `full/` -> a GPU
variant, each Dockerfile `FROM myorg/base:${TAG}` (or `ARG BASE_IMAGE=myorg/base`). The USER,
HEALTHCHECK and role of such an image are those of the family: a `minimal` image that sets no
USER runs as whatever `base` sets, and `base` is in the repository to read. So:

- `base_dockerfile(project, df)` finds the Dockerfile of the repository that builds the final
  stage's base image, from safe textual evidence: the project's image links (the `images:`
  configuration key, Compose, Skaffold, Tilt: project/images.py), `docker build -t NAME -f FILE`
  lines of Makefiles, shell scripts and CI workflows, `docker-bake.hcl` targets (read here), and
  an image whose last path component names a build folder (`myorg/base` -> `base/Dockerfile`)
  or a Dockerfile (`base.Dockerfile`, `Dockerfile.base`).
- `family_user` and `family_healthcheck` follow that chain (at most `MAX_DEPTH` images, cycles
  cut), so an image family is judged as built.
- `cli_evidence(df)` says why an image runs a command-line program or a load generator (its base
  image or its entrypoint: k6, artillery, cfssl, logcli, kubectl ...): nothing to health-check.

Nothing is executed: Makefile variables and shell expansions are not evaluated; an argument
holding `$` is simply not evidence.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from manifestlint.project.known_images import (
    CLI_IMAGES,
    cli_image,
    image_user,
    known_root_image,
    short_name,
    split_ref,
)

MAX_DEPTH = 6

_BUILD = re.compile(r"\b(?:docker|podman|nerdctl)\s+(?:buildx\s+)?build\b([^\n]*)")
_SCRIPT_SUFFIXES = (".sh", ".bash", ".mk")
_SCRIPT_NAMES = frozenset({"makefile", "gnumakefile", "jenkinsfile", "justfile", "taskfile.yml",
                           "taskfile.yaml", ".gitlab-ci.yml", "cloudbuild.yaml", "cloudbuild.yml",
                           "buildspec.yml"})  # fmt: skip
_BAKE_TARGET = re.compile(r'target\s+"([^"]+)"\s*\{(.*?)\n\}', re.S)
_BAKE_FIELD = re.compile(r'^\s*(context|dockerfile)\s*=\s*"([^"$]*)"', re.M)
_BAKE_TAGS = re.compile(r"^\s*tags\s*=\s*\[([^\]]*)\]", re.M)


def is_build_file(path: Path, root: Path | None) -> bool:
    """A file that may hold `docker build` commands or bake targets."""
    name = path.name.lower()
    if name in _SCRIPT_NAMES or name.endswith(_SCRIPT_SUFFIXES) or name.startswith("docker-bake."):
        return True
    if root is not None and name.endswith((".yml", ".yaml")):
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            return False
        return parts[:2] == (".github", "workflows")
    return False


MAX_SCRIPT = 1024 * 1024  # build files larger than this are not read


def _read(path: Path, root: Path | None) -> str:
    """A build file's text: only a regular file whose real path lies inside the project."""
    from manifestlint.safeio import Unreadable, read_inside

    try:
        return read_inside(path, root, MAX_SCRIPT).decode("utf-8", errors="replace")
    except Unreadable:
        return ""


def _file(path: Path, root: Path | None) -> bool:
    """A regular file inside `root` (never a Dockerfile outside the project)."""
    from manifestlint.safeio import regular_inside

    return regular_inside(path, root)


def _norm(path: Path | str) -> str:
    return os.path.normpath(os.path.abspath(path))


def build_links(path: Path, root: Path | None, links: Any) -> None:
    """Images that a build file builds from Dockerfiles of the repository, into `links`."""
    text = _read(path, links.root)
    if "build" not in text and "target" not in text:
        return
    if path.name.lower().startswith("docker-bake.") and path.name.lower().endswith(".hcl"):
        _bake(path, text, links)
        return
    base = root if (root is not None and path.name.lower().endswith((".yml", ".yaml"))) else path.parent
    joined = re.sub(r"\\\r?\n", " ", text)
    for match in _BUILD.finditer(joined):
        found = _build_args(match.group(1))
        if found is None:
            continue
        tags, dockerfile, context = found
        target = (base / context / dockerfile) if dockerfile and not dockerfile.startswith("/") else None
        if dockerfile is None:
            target = base / context / "Dockerfile"
        if target is None or not _file(target, links.root):
            continue
        for tag in tags:
            links.add(tag, target, f"{path.name} builds it: docker build -t {tag}")


def _build_args(args: str) -> tuple[list[str], str | None, str] | None:
    """(tags, dockerfile, context) of a `docker build` argument list with literal values."""
    # A Make or shell expansion is one word whatever it holds (`-t org/app:$(shell cat VERSION)`).
    args = _EXPANSION.sub("$V", args.split("&&")[0])
    try:
        words = shlex.split(args.split(";")[0].split("|")[0], comments=True)
    except ValueError:
        return None
    tags: list[str] = []
    dockerfile: str | None = None
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        key, eq, value = word.partition("=")
        if key in ("-t", "--tag", "-f", "--file"):
            if not eq:
                i += 1
                value = words[i] if i < len(words) else ""
            if key in ("-t", "--tag"):
                tags += _literal_name(value)
            elif "$" not in value and value:
                dockerfile = value
        elif word.startswith("-t") and len(word) > 2:
            tags += _literal_name(word[2:])
        elif word.startswith("-"):
            if word in ("--build-arg", "--target", "--platform", "--label", "--secret", "--cache-from",
                        "--network", "--progress", "--output", "-o", "--ssh", "--cache-to"):  # fmt: skip
                i += 1  # the option's value
        else:
            positional.append(word)
        i += 1
    if not tags or not positional or "$" in positional[-1]:
        return None
    return tags, dockerfile, positional[-1]


_EXPANSION = re.compile(r"\$\((?:[^()]|\([^()]*\))*\)|\$\{[^}]*\}")


def _literal_name(tag: str) -> list[str]:
    """The image a `-t` value names when its repository is literal: only the tag may be a
    variable (`org/app:$(VERSION)` names org/app; `$(REGISTRY)/app` names nothing known)."""
    name, version = split_ref(tag)
    if not name or "$" in name:
        return []
    return [tag if version is None or "$" not in version else name]


def _bake(path: Path, text: str, links: Any) -> None:
    for _name, body in _BAKE_TARGET.findall(text):
        fields = dict(_BAKE_FIELD.findall(body))
        tags_text = _BAKE_TAGS.search(body)
        tags = re.findall(r'"([^"$]+)"', tags_text.group(1)) if tags_text else []
        target = path.parent / fields.get("context", ".") / fields.get("dockerfile", "Dockerfile")
        if _file(target, links.root):
            for tag in tags:
                links.add(tag, target, f"{path.name} builds it (bake target, tag {tag})")


# ------------------------------------------------------------------------------ image facts


def image_chain(df: Any) -> list:
    """The final stage and the stages it is built FROM, final first."""
    chain: list = []
    seen: set[int] = set()  # stage indexes: `stage in chain` compared whole dataclasses, quadratic
    stage = df.final_stage
    while stage is not None and stage.index not in seen:
        seen.add(stage.index)
        chain.append(stage)
        stage = df.stages[stage.parent_stage] if stage.parent_stage is not None else None
    return chain


@dataclass(frozen=True, slots=True)
class ImageUser:
    """Who the final image runs as: `user` is the USER text (variables resolved when they
    can be), `instr` the USER instruction that set it (None: inherited from the base), and
    `from_base` says the base image's table entry decided it."""

    user: str | None  # None: unknown
    instr: Any = None
    from_base: bool = False

    @property
    def name(self) -> str:
        return (self.user or "").split(":", 1)[0].strip()

    @property
    def numeric(self) -> bool:
        return self.name.isdigit()

    @property
    def root(self) -> bool:
        return self.name in ("root", "0")


def final_user(df: Any, patterns: tuple[str, ...] = ()) -> ImageUser:
    """The USER the final image runs as. An unset USER is root on a known root base, the
    table's user on a known non-root base, and unknown otherwise."""
    from manifestlint.parse.dockerfile import substitute

    chain = image_chain(df)
    if not chain:
        return ImageUser(None)
    values: dict[str, str | None] = dict(df.global_args)
    last = None
    for stage in reversed(chain):
        for instr in stage.instructions:
            if instr.keyword in ("ARG", "ENV"):
                for key, value, _ in instr.pairs:
                    if value is not None or key not in values:
                        values[key] = value
            elif instr.keyword == "USER":
                last = (instr, substitute(instr.body.strip(), values))
    if last is not None:
        instr, text = last
        return ImageUser(None if "$" in text else text, instr)
    base = chain[-1].base_resolved
    user = image_user(base, patterns)
    if user is not None:
        return ImageUser(user, None, True)
    return ImageUser("0" if known_root_image(base) else None)


# ------------------------------------------------------------------------------ families


def _named_dockerfiles(project: Any, last: str) -> list[Path]:
    """Dockerfiles named after an image's last path component: `base.Dockerfile`,
    `Dockerfile.base`, `base/Dockerfile` (any folder depth)."""
    wanted = {f"{last}.dockerfile", f"dockerfile.{last}", f"{last}.containerfile", f"containerfile.{last}"}
    out = []
    for file in project.files():
        name = file.name.lower()
        if name in wanted or (name in ("dockerfile", "containerfile") and file.parent.name.lower() == last):
            out.append(file)
    return out


def base_dockerfile(project: Any, df: Any) -> tuple[str, str, Any] | None:
    """(path, evidence, parsed Dockerfile) of the repository's Dockerfile that builds the final
    stage's base image, or None (an image from outside, or no single candidate)."""
    chain = image_chain(df)
    if not chain:
        return None
    base = str(chain[-1].base_resolved)
    if not base or "$" in base or base.lower() == "scratch":
        return None
    own = _norm(project.abspath(df.path))
    found = [(p, why) for p, why in project.dockerfiles_for(base) if p != own]
    if not found:
        last = short_name(base).rsplit("/", 1)[-1]
        named = [f for f in _named_dockerfiles(project, last) if _norm(f) != own]
        if len(named) == 1 and "/" in short_name(base):
            found = [(_norm(named[0]), f"the image's name {last!r} names the Dockerfile {named[0].name}")]
    if len(found) != 1:
        return None
    path, why = found[0]
    parsed = project.dockerfile(path)
    return (path, why, parsed) if parsed is not None and parsed.final_stage is not None else None


def family(project: Any, df: Any) -> list[tuple[str, str, Any]]:
    """The Dockerfiles the image is built FROM, nearest first, cycles cut."""
    out: list[tuple[str, str, Any]] = []
    seen = {df.path}
    current = df
    while len(out) < MAX_DEPTH:
        found = base_dockerfile(project, current)
        if found is None or found[0] in seen:
            break
        seen.add(found[0])
        out.append(found)
        current = found[2]
    return out


def family_user(project: Any, df: Any, patterns: tuple[str, ...] = ()) -> tuple[Any, str | None]:
    """(ImageUser, the Dockerfile of the family that decided it, or None for the image itself):
    the first USER up the family, else what the family's outermost base sets."""
    user = final_user(df, patterns)
    if user.instr is not None:
        return user, None
    for path, _why, parent in family(project, df):
        user = final_user(parent, patterns)
        if user.instr is not None or user.user is not None:
            return user, path
    return user, None


def family_healthcheck(project: Any, df: Any) -> str | None:
    """The Dockerfile of the family whose chain holds a HEALTHCHECK, or None."""
    for path, _why, parent in family(project, df):
        if any(i.keyword == "HEALTHCHECK" for stage in image_chain(parent) for i in stage.instructions):
            return path
    return None


# One-shot jobs: a folder of jobs, or a folder named as one (`jobs/nightly-report/`,
# `cronjobs/cleanup/`, `nr-day-job/`): the image runs to completion and serves nothing to probe.
_JOB_FOLDERS = frozenset({"jobs", "cronjobs", "cron-jobs", "cron_jobs", "batch-jobs", "batch_jobs"})
_JOB_NAME = re.compile(r"[-_](?:job|cronjob)$", re.IGNORECASE)


def job_evidence(df: Any) -> str | None:
    """Why the image is a one-shot job (issue 19, principle 5: it serves nothing a HEALTHCHECK
    could probe), from its folders, or None."""
    folders = PurePosixPath(str(df.path).replace("\\", "/")).parts[:-1]
    for folder in folders:
        if folder.lower() in _JOB_FOLDERS:
            return f"it is built in the jobs folder {folder}/"
    if folders and _JOB_NAME.search(folders[-1]):
        return f"its folder {folders[-1]}/ is named as a job"
    return None


def cli_evidence(df: Any) -> str | None:
    """Why the image runs a command-line program or a load generator, or None: its base image
    is one (`FROM grafana/k6`), or its ENTRYPOINT (else CMD) starts one."""
    chain = image_chain(df)
    if not chain:
        return None
    program = cli_image(str(chain[-1].base_resolved))
    if program:
        return f"its base image {chain[-1].base_resolved!r} is the command-line program {program}"
    for keyword in ("ENTRYPOINT", "CMD"):
        instr = next((i for s in chain for i in reversed(s.instructions) if i.keyword == keyword), None)
        if instr is None:
            continue
        first = _first_word(instr.body)
        if first in CLI_IMAGES:
            return f"its {keyword} runs the command-line program {first}"
        return None
    return None


def _first_word(body: str) -> str:
    text = body.strip()
    if text.startswith("["):
        match = re.match(r'\[\s*"([^"]*)"', text)
        text = match.group(1) if match else ""
    word = text.split(None, 1)[0] if text.split() else ""
    return PurePosixPath(word).name.lower()
