"""Container images: mutable tags, and (cross-file) runAsNonRoot against the USER of the
Dockerfile an image is built from (images are linked to Dockerfiles by project/images.py:
Compose build:, Skaffold artifacts, Tilt docker_build, the images: config key, folder names).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from manifestlint.index import Index
from manifestlint.model import Finding, Fix, YamlDoc, YMap, doc_hit
from manifestlint.project.images import final_user, image_chain
from manifestlint.registry import rule
from manifestlint.rules.kubernetes.containers import _built_by_dev_tool, _is_reference, _what
from manifestlint.rules.kubernetes.objects import (
    WORKLOAD_KINDS,
    container_label,
    containers,
    effective,
    image_tag,
    is_windows_pod,
    pod_template,
)


@rule("k8s-image-latest-tag", "kubernetes", kinds=WORKLOAD_KINDS)
def image_latest_tag(doc: YamlDoc, ctx) -> Iterator[Finding]:
    pod = pod_template(doc)
    if pod is None:
        return
    for container, field in containers(pod.spec, ephemeral=True):
        image = container.get("image")
        if not isinstance(image, str) or not image.strip() or _is_reference(image):
            continue
        tag, digest = image_tag(image.strip())
        if digest is not None or (tag in (None, "latest") and _built_by_dev_tool(ctx, image.strip())):
            continue  # pinned, or a Skaffold/Tilt artifact: the tool deploys it with its own tag
        if tag is None:
            yield doc_hit(
                doc,
                container.value_span("image"),
                f"{_what(container, field)} image {image} has no tag, so it means :latest",
            )
        elif tag == "latest":
            yield doc_hit(
                doc,
                container.value_span("image"),
                f"{_what(container, field)} image {image} uses the mutable latest tag",
            )


def _windows_options(container: YMap, spec: YMap) -> bool:
    value, _ = effective(container, spec, "windowsOptions")
    return isinstance(value, dict)


@rule("k8s-run-as-non-root-image-user", "project")
def run_as_non_root_image_user(index: Index, ctx) -> Iterator[Finding]:
    project = getattr(ctx, "project", None)
    if project is None:
        return
    for doc in index.of_kind(*sorted(WORKLOAD_KINDS)):
        if not index.reported(doc):
            continue
        template = pod_template(doc)
        if template is None or is_windows_pod(template.spec):
            continue
        for container, _ in containers(template.spec):
            finding = _check(project, doc, template.spec, container)
            if finding is not None:
                yield finding


def _check(project, doc, spec: YMap, container: YMap) -> Finding | None:
    image = container.get("image")
    if not isinstance(image, str) or not image or _windows_options(container, spec):
        return None
    non_root, holder = effective(container, spec, "runAsNonRoot")
    if non_root is not True or holder is None:
        return None
    run_as_user, _ = effective(container, spec, "runAsUser")
    if run_as_user is not None:
        return None  # the kubelet checks the number it is given instead of the image's USER
    links = project.service_dockerfiles_for(image)
    if len(links) != 1:
        return None  # no Dockerfile, or several: not sure which one builds this image
    path, why, df = links[0]
    if df.final_stage is None:
        return None
    target = project.target(image, path)
    if target and target.lower() != (df.final_stage.name or ""):
        return None  # built with --target: another stage is the image
    user = final_user(df)
    if user.user is None or (user.numeric and not user.root):
        return None
    where = project.display(path)
    if user.instr is not None:
        source = f"USER {user.instr.body.strip()} on line {user.instr.line} of {where}"
    else:
        base = image_chain(df)[-1].base_resolved
        source = (
            f"{where} sets no USER and its base {base!r} runs as {user.user if user.from_base else 'root'}"
        )
    if user.root:
        problem = (
            "the image runs as root: the kubelet refuses to start it "
            "(CreateContainerConfigError: image will run as root)"
        )
    else:
        problem = (
            f"the image's user {user.name!r} is a name: the kubelet cannot verify it is not root "
            "and refuses to start it (CreateContainerConfigError: image has non-numeric user)"
        )
    fix = None
    if not user.root and user.name:
        fix = partial(_run_as_user_fix, doc, holder, df, str(user.name))
    return doc_hit(
        doc,
        holder.value_span("runAsNonRoot"),
        f"container {container_label(container)!r} sets runAsNonRoot without a numeric runAsUser, "
        f"and {problem}; {source} ({why}). Set runAsUser to the image user's uid, or use a numeric "
        "USER in the Dockerfile",
        fix=fix,
    )


def _run_as_user_fix(doc: YamlDoc, holder: YMap, df, name: str) -> Fix | None:
    """`runAsUser: <uid>` beside the `runAsNonRoot: true` it completes, the uid being the one
    the image's own Dockerfile gives the named user (`useradd -u 10001 app`). Unsafe: the
    kubelet then trusts the number, so a Dockerfile that changes the user later breaks it."""
    from manifestlint.rules.docker.user import created_uid
    from manifestlint.yaml_fix import set_key

    uid = created_uid(df, name)
    if uid is None:
        return None  # the name's uid is not in the Dockerfile (a base image's user): no number to write
    return set_key(doc, holder, ["runAsUser"], int(uid), f"add runAsUser: {uid} (the uid of {name!r})")
