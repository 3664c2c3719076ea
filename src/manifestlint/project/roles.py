"""What role a file plays in its project, decided from its path alone, with the evidence.

A repository holds much more than what it deploys: test fixtures (often deliberately broken),
Helm chart templates (Go templates, not YAML), environment overlays. Linting those as
deployable manifests was the largest source of false findings on real repositories (issue 7:
62% of argo-cd's findings were on test data). The decision is a small pure function of the
file's path relative to the project root and of the folders known to be Helm charts, so it is
the same whichever files are named, and every role carries the evidence that decided it (the
verbose listing prints it: "why was this file judged this way").

Roles decided here: `test-data`, `helm-template` and `example` (examples, tutorials,
development set-ups and vendored releases: issue 19, principle 5). Others are decided elsewhere and use the
same `Role` type: `template` (unrendered `{{ }}` values, from the content: load.py),
`kustomize-patch` (a kustomization's patch: the project model, project/kustomize.py) and the
image roles of project/images.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Folder names that hold test inputs, not deployable configuration. `test`/`tests` (most
# languages), `testdata` (Go's convention: `go build` ignores it), `e2e`/`e2etests`
# (end-to-end suites: kube-linter, argo-cd), `fixtures`/`__fixtures__`/`__tests__` (Ruby,
# Jest), `test-data`/`test_data`/`test-fixtures`/`testfixtures` (their spelled-out variants),
# and `hack` (the Kubernetes projects' folder of developer scripts and throw-away local-cluster
# add-ons: grafana/loki's operator keeps kind/OpenShift dev setups there, 100 findings).
TEST_DATA_DIRS = frozenset(
    {"test", "tests", "testdata", "test-data", "test_data", "testfixtures", "test-fixtures",
     "e2e", "e2etests", "e2e-tests", "fixtures", "__fixtures__", "__tests__", "hack"}
)  # fmt: skip

# A test-data name directly inside one of these is a deployment environment (a Kustomize
# overlay `overlays/test`, an Argo/Flux `clusters/e2e`), not test data.
ENVIRONMENT_PARENTS = frozenset({"overlays", "environments", "envs", "env", "clusters", "stages"})

# Folders of examples and tutorials (issue 19, principle 5): what they hold is meant to be read
# and tried, not deployed as it stands. Exact folder names, and words a folder name contains
# (`istio-tutorial`, `quickstart-gke`); `lab1`, `lab-2`, `step3` are numbered exercise folders.
EXAMPLE_DIRS = frozenset(
    {"example", "examples", "sample", "samples", "demo", "demos", "docs", "doc", "starter", "starters",
     "solution", "solutions", "challenge", "challenges", "exercise", "exercises", "labs", "playground"}
)  # fmt: skip
EXAMPLE_WORDS = ("tutorial", "quickstart", "quick-start", "getting-started", "walkthrough")
EXAMPLE_NUMBERED = re.compile(r"(?:lab|step|exercise|lesson|module)[-_]?\d+", re.I)
EXAMPLE_FILES = re.compile(r"(?:^|[-_.])(?:example|examples|sample|samples)(?:[-_.]|$)", re.I)
# Folders of developer set-ups that are not deployed (a debug variant, a Vagrant lab).
DEVELOPMENT_DIRS = frozenset({"debug", "vagrant", "devcontainer", ".devcontainer", "sandbox"})
# A copy of a third-party release unpacked into the repository (`istio-1.11.4/`,
# `cert-manager-v1.12.0/`): its manifests and samples are the vendor's, not the project's.
VENDORED_RELEASE = re.compile(
    r"[a-z][a-z0-9]*(?:[-_][a-z][a-z0-9]*)*-v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9a-z.]+)?", re.I
)

DEPLOYABLE = "deployable"
EXAMPLE = "example"  # examples, tutorials, development set-ups, vendored releases
TEST_DATA = "test-data"
HELM_TEMPLATE = "helm-template"
TEMPLATE = "template"
KUSTOMIZE_PATCH = "kustomize-patch"  # decided by the project model (project/kustomize.py)
# Decided from the content (load.py) or the configuration, for the verbose listing.
LOOKALIKE = "look-alike"  # a known file of another tool that resembles ours (Grafana provisioning)
UNRECOGNISED = "unrecognised"  # YAML without a Kubernetes object, rule groups or a route
EXCLUDED = "excluded"  # matched an `exclude` pattern


@dataclass(frozen=True, slots=True)
class Role:
    """A file's role and the evidence that decided it (one sentence, for the verbose listing).

    `realm` groups files that may be combined by cross-file rules: deployable files share the
    realm "", test data is confined to its own test folder, so a fixture never satisfies nor
    contradicts a real manifest."""

    name: str
    evidence: str = ""
    realm: str = ""

    @property
    def deployable(self) -> bool:
        return self.name == DEPLOYABLE


PLAIN = Role(DEPLOYABLE, "no test-data folder, not a chart template")


def first_test_data_folder(parts: tuple[str, ...]) -> int | None:
    """Index of the first folder in `parts` (folders only, outermost first) that holds test
    data, or None. `overlays/test` and the like are environments, not test data."""
    for i, part in enumerate(parts):
        if part.lower() in TEST_DATA_DIRS:
            if i > 0 and parts[i - 1].lower() in ENVIRONMENT_PARENTS:
                continue
            return i
    return None


def helm_template(
    path: PurePosixPath, is_chart: Callable[[PurePosixPath], bool], base: PurePosixPath | None = None
) -> Role | None:
    """A Helm template is any file below a chart's `templates/` folder, also in sub-folders
    (`templates/hooks/job.yaml`): Helm renders them all, so none is a manifest as written.
    `path` may be absolute (every ancestor is evidence) or relative; `is_chart(folder)` tells
    whether a folder holds a Chart.yaml — the only evidence from outside the path, passed in
    to keep this function pure. The evidence names the chart relative to `base` when below it."""
    folders = path.parts[:-1]
    if "templates" not in folders:  # the usual case: no ancestor to ask about
        return None
    for i, part in enumerate(folders):
        chart = PurePosixPath(*folders[:i])
        if part == "templates" and is_chart(chart):
            if base is not None and chart.is_relative_to(base):
                chart = chart.relative_to(base)
            return Role(HELM_TEMPLATE, f"below the templates/ folder of the Helm chart {chart.as_posix()}/")
    return None


def in_test_data(relpath: PurePosixPath) -> Role | None:
    """Test data: a file below a test-data folder of its project (`relpath` is relative to the
    project root: the folders above the project say nothing about the file)."""
    folders = relpath.parts[:-1]
    index = first_test_data_folder(folders)
    if index is None:
        return None
    folder = PurePosixPath(*folders[: index + 1]).as_posix()
    return Role(TEST_DATA, f"inside the test-data folder {folder}/", realm=folder)


def example_role(relpath: PurePosixPath) -> Role | None:
    """An example, tutorial, development set-up or vendored release, from the folders of a file
    relative to its project root (and, for examples, the file's own name: `ldap-example.yaml`).
    Validity findings keep their severity there; production-readiness findings become notes
    (project/evidence.py). The outermost evidence decides, and names itself."""
    folders = relpath.parts[:-1]
    for i, part in enumerate(folders):
        lower = part.lower()
        where = PurePosixPath(*folders[: i + 1]).as_posix()
        numbered = EXAMPLE_NUMBERED.fullmatch(lower)
        if lower in EXAMPLE_DIRS or any(w in lower for w in EXAMPLE_WORDS) or numbered:
            return Role(EXAMPLE, f"inside the example or tutorial folder {where}/")
        if lower in DEVELOPMENT_DIRS:
            return Role(EXAMPLE, f"inside the development folder {where}/")
        if VENDORED_RELEASE.fullmatch(part):
            return Role(EXAMPLE, f"inside {where}/, a copy of a third-party release")
    name = relpath.name
    stem = name.split(".", 1)[0] if not name.startswith(".") else name
    if EXAMPLE_FILES.search(stem) or name.lower().endswith((".example.yaml", ".example.yml", ".sample.yaml")):
        return Role(EXAMPLE, f"its name {name!r} says it is an example")
    return None


def path_role(
    abspath: PurePosixPath, relpath: PurePosixPath | None, is_chart: Callable[[PurePosixPath], bool]
) -> Role:
    """The role of a file from its path: a Helm template (judged on every ancestor), else test
    data (judged below the project root; `relpath` is None outside it), else deployable."""
    return helm_template(abspath, is_chart) or (in_test_data(relpath) if relpath else None) or PLAIN


def example_role_of(path: Path, base: Path) -> Role | None:
    """An example, tutorial, development set-up or vendored release (example_role), judged below
    the project root (or the named folder outside a project)."""
    try:
        relative = path.relative_to(base)
    except ValueError:
        try:
            relative = path.resolve().relative_to(base)
        except (ValueError, OSError):
            return None
    return example_role(PurePosixPath(relative.as_posix()))
