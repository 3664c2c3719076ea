"""Who a container's image runs as, from the evidence the files give (issue 19, principle 1).

k8s-run-as-root reports `error` only on proof: a container without `runAsNonRoot: true` or a
non-zero `runAsUser` runs as root for sure only when its image does — an image known to run as
root (a distribution, language or official server image without USER: project/known_images.py),
or one built by the repository's own Dockerfile whose final USER is root. An image known to run
as a non-root user (the same table: distroless `:nonroot`, Chainguard, Bitnami, podinfo,
git-sync, Grafana, prom/*, ...; or the repository's Dockerfile with a non-root USER) needs
nothing. Any other image may set a USER the files do not show: a warning at most.
"""

from __future__ import annotations

from typing import Any

from manifestlint.model import YMap
from manifestlint.project.images import final_user
from manifestlint.project.known_images import image_user, known_root_image
from manifestlint.rules.kubernetes.objects import is_windows_pod


def windows_pod(spec: YMap) -> bool:
    """A Windows pod: `os.name: windows`, a Windows nodeSelector or pod-level windowsOptions.
    Linux users do not apply to it (its containers run as `runAsUserName`)."""
    if is_windows_pod(spec):
        return True
    selector = spec.get("nodeSelector")
    if isinstance(selector, dict) and any(
        selector.get(key) == "windows" for key in ("kubernetes.io/os", "beta.kubernetes.io/os")
    ):
        return True
    return isinstance(spec.path_get("securityContext", "windowsOptions"), dict)


def image_verdict(image: Any, ctx: Any) -> tuple[bool, str] | None:
    """What the container's image says about its user: None when it runs as a non-root user;
    else (proven to run as root, why: a phrase for the message)."""
    if not isinstance(image, str) or not image or "$" in image or "{{" in image:
        return False, "its image is not known here"
    if image_user(image) is not None:
        return None
    project = getattr(ctx, "project", None)
    links = project.service_dockerfiles_for(image) if project is not None else []
    if len(links) == 1:
        path, _why, df = links[0]
        user = final_user(df)
        where = project.display(path)
        if user.user is None:
            return False, f"the final USER of {where}, which builds its image, is not known"
        if not user.root:
            return None
        return True, f"its image is built by {where}, whose final user is root"
    if known_root_image(image):
        return True, f"its image {image} runs as root (its configuration sets no USER)"
    return False, (
        f"its image {image} may set a non-root USER the files do not show "
        "(runAsNonRoot: true makes the kubelet check it)"
    )


__all__ = ["image_verdict", "windows_pod"]
