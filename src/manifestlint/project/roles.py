"""What role a file plays in its project, decided from its path alone, with the evidence.

A repository holds much more than what it deploys: test fixtures (often deliberately broken),
Helm chart templates (Go templates, not YAML), environment overlays. Linting those as
deployable manifests was the largest source of false findings on real repositories (issue 7:
62% of argo-cd's findings were on test data). The decision is a small pure function of the
file's path relative to the project root and of the folders known to be Helm charts, so it is
the same whichever files are named, and every role carries the evidence that decided it (the
verbose listing prints it: "why was this file judged this way").

Roles decided here: `test-data` and `helm-template`. Others are decided elsewhere and use the
same `Role` type: `template` (unrendered `{{ }}` values, from the content: load.py),
`kustomize-patch` (a kustomization's patch: the project model, project/kustomize.py) and the
image roles of project/images.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

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

DEPLOYABLE = "deployable"
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


def path_role(
    abspath: PurePosixPath, relpath: PurePosixPath | None, is_chart: Callable[[PurePosixPath], bool]
) -> Role:
    """The role of a file from its path: a Helm template (judged on every ancestor), else test
    data (judged below the project root; `relpath` is None outside it), else deployable."""
    return helm_template(abspath, is_chart) or (in_test_data(relpath) if relpath else None) or PLAIN
