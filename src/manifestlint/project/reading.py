"""Reading the project for a call: the context files (through the context cache and a warm
model when they fit the call), the documents and indexes the cross-file rules read, and the
project model (bundles and roles) built from every file's facts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manifestlint.discover import file_key, walk_names
from manifestlint.index import Index
from manifestlint.load import ParsedFile, read_source
from manifestlint.project import context as project_context
from manifestlint.project.bundles import ProjectModel
from manifestlint.project.context_files import (
    CONTEXT_MARKERS,
    ContextFile,
    context_files,
    context_names,
    every_context,
    open_cache,
    read_contexts,
)
from manifestlint.project.documents import ContextDocs, whole_project
from manifestlint.project.facts import FileFacts, facts_of
from manifestlint.project.kustomize import KUSTOMIZATION_NAMES
from manifestlint.project.roots import Realms, is_test_data, project_files

if TYPE_CHECKING:
    from manifestlint.config import Config
    from manifestlint.discover import Source
    from manifestlint.project.images import ImageProject
    from manifestlint.registry import Registry, Rule


@dataclass(slots=True)
class Project:
    """What a call knows of the project besides the files it names."""

    root: Path | None  # resolved when YAML files were named
    model: ProjectModel
    docs: ContextDocs  # documents by real path for the cross-file rules
    whole: Callable[[], Index]  # the index of every deployable object, built on first use
    context: list[ContextFile] = field(default_factory=list)
    read: bool = False  # whether the context files were read (else only the named files count)
    report_keys: set = field(default_factory=set)  # file_key of every named file
    warm: Any = None  # project/warm.py's Warm when the call started from a warm model
    store: Any = None  # project/cache.py's ContextCache when the call uses the context cache

    def save(self) -> None:
        """Write what this call added to the context cache."""
        if self.store is not None:
            self.store.save()

    def cached_facts(self) -> list[FileFacts]:
        """The facts of context files known from the cache only (runner.with_functions: which
        cross-file packs a run needs)."""
        if self.warm is not None:  # what the whole context's facts say
            return [
                FileFacts(kinds=frozenset({"?"}) if self.warm.k8s else frozenset(), istio=self.warm.istio)
            ]
        return [cf.facts for cf in self.context if cf.parsed is None]


def read_project(
    root: Path | None,
    base: Path,
    parsed: list[ParsedFile],
    realms: Realms,
    sources: list[Source],
    registry: Registry,
    config: Config,
    cwd: Path,
    rules: list[Rule],
    use_context: bool,
    use_cache: bool,
    fresh: bool,
    stdin: bool,
) -> Project:
    """Read the context the rules that run need (through the cache and a warm model when
    `use_cache`), add it to the main realm's index, and build the project model (or take a
    warm model's)."""
    named_yaml = [pf for pf in parsed if pf.dockerfile is None]
    names: list[str] = []  # the root's files, relative
    if root is not None and named_yaml:
        root = root.resolve()
        names = walk_names(root)
    project = Project(root, ProjectModel(None), ContextDocs(named_yaml, [], None), lambda: realms.main)
    project.report_keys = {file_key(s.abspath) for s in sources}
    store = None
    warm_key: str | None = None
    every: Callable[[], list[ContextFile]] = lambda: project.context  # noqa: E731
    needs = any(r.scope == "project" or r.id.startswith("schema-") for r in rules)
    if use_context and root is not None and needs and any(pf.docs for pf in named_yaml):
        project.read = True
        store = project.store = open_cache(root, config, cwd, fresh) if use_cache else None
        candidates = context_names(root, project.report_keys, config, names, store)
        lazy: dict = {}
        if store is not None and not stdin:
            from manifestlint.project import warm_start  # with the cache only (its imports cost)

            warm_key, project.warm = warm_start.start(
                store, root, named_yaml, candidates, config, names, fresh
            )
        if project.warm is not None:
            from manifestlint.project.warm_start import warm_context

            project.context, lazy = warm_context(project.warm, candidates, root, registry, store, cwd)
        else:
            project.context = read_contexts(candidates, root, registry, store, cwd)
        every = every_context(  # the whole context, read lazily after a warm start
            project.context, candidates, root, registry, store, cwd, project.warm is not None
        )
        project.docs = ContextDocs(named_yaml, project.context, store, lazy)
    _index_context(realms.main, project.context, project.docs, store)
    project.whole = whole_project(realms.main, parsed, realms.realm, every, project.docs, store)
    if project.warm is not None:
        project.model = project.warm.model
    else:
        walked = [root / n for n in names if n.rpartition("/")[2] in KUSTOMIZATION_NAMES] if root else []
        project.model = project_model(root, base, named_yaml, project.context, walked)
        if warm_key is not None and store is not None:
            from manifestlint.project.warm_start import save_warm

            save_warm(store, warm_key, project.model, root, named_yaml, project.context, project.docs, names)
    return project


def _index_context(main: Index, context: list[ContextFile], docs: ContextDocs, store: Any) -> None:
    """The context files' documents in the main realm's index; from the cache, only the kinds
    project-wide lookups read (the rest is read per bundle, project/documents.py)."""
    if store is None:
        for cf in context:
            main.add(cf.parsed.docs)
        return
    from manifestlint.project.cache import WHOLE_PROJECT_KINDS

    for cf in context:
        if cf.parsed is not None:
            main.add(cf.parsed.docs)
        elif not WHOLE_PROJECT_KINDS.isdisjoint(cf.facts.kinds):
            main.add(docs.get(cf.real, []))


def image_project(
    project: Project, realms: Realms, registry: Registry, config: Config, cwd: Path, use_context: bool
) -> ImageProject:
    """Image roles and image <-> Dockerfile links (project/images.py), reading the project's
    workloads only when a Docker rule asks for them."""
    from manifestlint.project.images import ImageProject

    root = project.root

    def project_objects() -> list:
        """Every Kubernetes object of the project, read now if the index has not (a
        Dockerfile-only run reads the manifests only when a Docker rule needs workloads)."""
        if project.read or not use_context or root is None:
            return list(project.whole().objects)
        extra = Index()
        for source in context_files(root, project.report_keys, config, cwd=cwd):
            extra.add(read_source(source, registry, markers=CONTEXT_MARKERS).docs)
        return realms.main.objects + extra.objects

    return ImageProject(
        root if use_context else None,
        cwd,
        roles=config.roles,
        images=config.images,
        config_root=config.root or root,
        load_objects=project_objects,
        files=lambda folder: project_files(folder, config),
    )


def whole_model(
    project: Project, base: Path, parsed: list[ParsedFile], registry: Registry, config: Config, cwd: Path
) -> ProjectModel:
    """The project model over every file of the root. A run of per-file rules only reads no
    context, so its model knows the named files alone; a decision that needs the deploy units
    (OpenShift evidence, project/platform.py) builds the whole one then, rarely."""
    root = project.root
    if project.read or root is None:
        return project.model
    root = root.resolve()
    names = walk_names(root)
    candidates = context_names(root, project.report_keys, config, names)
    context = read_contexts(candidates, root, registry, None, cwd)
    walked = [root / n for n in names if n.rpartition("/")[2] in KUSTOMIZATION_NAMES]
    return project_model(root, base, [pf for pf in parsed if pf.dockerfile is None], context, walked)


def project_model(
    root: Path | None, base: Path, named: list[ParsedFile], context: list[ContextFile], walked: list[Path]
) -> ProjectModel:
    """Bundles and roles of every YAML file read (see manifestlint.project), from the facts of
    each file (parsed now, or cached). `base` is the root, or outside a project the named
    folder: test data is decided below it."""
    facts: dict[Path, FileFacts] = {}
    for pf in named:
        facts[project_context.real(pf.source.abspath)] = facts_of(pf.docs)
    for cf in context:
        facts[cf.real] = cf.facts
    if root is None and not named:
        return ProjectModel(None)
    named_paths = [project_context.real(pf.source.abspath) for pf in named if not pf.source.problem]
    kustomizations = project_context.kustomization_files(root, walked, named_paths)
    test_base = project_context.real(base)
    model = project_context.build_model(root, facts, kustomizations, lambda p: is_test_data(p, test_base))
    model.facts = facts
    return model
