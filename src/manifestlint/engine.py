"""The pipeline: read -> parse -> classify -> index -> rules -> suppress -> sorted findings.

The engine owns every cross-cutting concern (rule ids, severities, enablement, parse
failures, suppression, the report set) so that rules stay pure functions of the model.
Bad input never stops a run: unreadable files and syntax errors become findings.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from manifestlint.classify import is_dockerfile_name, looks_like_dockerfile, rule_groups
from manifestlint.config import Config, selector_matches
from manifestlint.discover import (
    ChartFolders,
    Source,
    discover,
    display_path,
    excluded,
    excluded_name,
    file_key,
    git_root,
    walk_folder,
    walk_names,
)
from manifestlint.index import Index
from manifestlint.listing import LINTED, SKIPPED, Entry
from manifestlint.load import ParsedFile, read_source
from manifestlint.model import FILE_START, Finding, Severity, YamlDoc
from manifestlint.project import context as project_context
from manifestlint.project.bundles import ProjectModel
from manifestlint.project.deployed import keep as keep_deployed
from manifestlint.project.facts import FileFacts, facts_of
from manifestlint.project.images import ImageProject
from manifestlint.project.kustomize import KUSTOMIZATION_NAMES
from manifestlint.project.links import Links, links_of
from manifestlint.project.roles import (
    PLAIN,
    UNRECOGNISED,
    Role,
    example_role,
    first_test_data_folder,
    in_test_data,
)
from manifestlint.registry import Registry, Rule, security_severity_for
from manifestlint.rules.kubernetes.objects import name_of, namespace_of
from manifestlint.safeio import outside


@dataclass(slots=True)
class RuleContext:
    """What a rule may read besides its input: its options, the config, the project index."""

    rule: Rule
    options: dict[str, Any]
    config: Config
    index: Index
    project: Any = None  # project/images.ImageProject: image roles and image <-> Dockerfile links


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A finding that a suppression hid: `kind` is SARIF's (inSource / external)."""

    finding: Finding
    kind: str
    justification: str


@dataclass(slots=True)
class LintResult:
    findings: list[Finding]
    artifacts: list[str]  # every analysed file (display paths)
    rules: list[Rule]  # every rule that ran
    root: Path  # what SARIF uris are relative to
    cwd: Path  # what display paths are relative to
    listing: list[Entry] = field(default_factory=list)  # every file linted or skipped, and why
    model: ProjectModel | None = None  # bundles and roles (manifestlint.project)
    index: Index | None = None  # the deployable files' index (context included): `checklist` reads it
    # findings hidden by an inline directive ("inSource") or the baseline ("external"), with
    # what hid them: SARIF --show-suppressed reports them as suppressed results
    suppressed: list[Suppressed] = field(default_factory=list)

    def relative(self, path: str) -> str:
        """A display path as a root-relative POSIX path (SARIF uris, fingerprints, baselines)."""
        absolute = Path(os.path.abspath(self.cwd / path))
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            try:
                return absolute.resolve().relative_to(self.root).as_posix()
            except ValueError:
                return Path(path).as_posix()

    def describe(self, path: str) -> list[str]:
        """What the project model says about a file: its role and its bundles (for a verbose
        listing); empty when the file plays no part in it (a Dockerfile, a skipped file)."""
        if self.model is None:
            return []
        from manifestlint.project.context import real

        return self.model.describe(real(self.cwd / path))

    def fingerprints(self) -> list[str]:
        paths = {path: self.relative(path) for path in {f.path for f in self.findings}}  # once per file
        return fingerprints(self.findings, paths.__getitem__)


# ---------------------------------------------------------------------------- rule selection


def active_rules(registry: Registry, config: Config) -> list[Rule]:
    """Rules that run, with the configured severity stamped in."""
    out = []
    for rule in registry:
        setting = config.rules.get(rule.id)
        enabled = rule.enabled if setting is None or setting.enabled is None else setting.enabled
        if config.select:
            exact = rule.id in config.select
            enabled = exact or (enabled and any(selector_matches(s, rule.id) for s in config.select))
        if any(selector_matches(s, rule.id) for s in config.ignore):
            enabled = False
        if not enabled:
            continue
        if setting is not None and setting.severity is not None and setting.severity is not rule.severity:
            score = security_severity_for(rule.security_severity, setting.severity)
            rule = replace(rule, severity=setting.severity, security_severity=score)
        out.append(rule)
    return out


# Output stays bounded whatever the input: a message quoting a 1 MB value (or an ARG expanded
# a thousand times) is cut, and a rule reports at most MAX_PER_RULE_AND_FILE findings per file
# followed by one summary finding (1 MB of Pods gave 66,671 SARIF results; GitHub rejects a
# run over 25,000).
MAX_MESSAGE = 1000
MAX_OBJECT = 200
MAX_PER_RULE_AND_FILE = 500
INTERNAL_ERROR = "manifestlint-internal-error"
RECURSION_LIMIT = 6000  # see lint(): documents nest up to 1,000 levels


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _run_rule(
    rule: Rule, subject: Any, ctx: RuleContext, out: list[Finding], fallback_path: str = ""
) -> None:
    """Run one rule; its crash becomes a manifestlint-internal-error finding on the subject's
    file (on `fallback_path` for cross-file rules, whose subject is the whole project)."""
    try:
        rule_id, severity = rule.id, rule.severity
        for f in rule.func(subject, ctx) or ():  # a direct call: dataclasses.replace was a hot spot
            message, obj = f.message, f.obj
            if len(message) > MAX_MESSAGE or len(obj) > MAX_OBJECT:
                message, obj = _clip(message, MAX_MESSAGE), _clip(obj, MAX_OBJECT)
            level = severity if f.severity >= severity else f.severity  # the rule's cap: model.at_most
            out.append(Finding(rule_id, level, f.path, f.span, message, obj, f.doc, f.related))
    except Exception as exc:  # a rule bug must not cost the user the other findings
        path = getattr(subject, "path", None) or getattr(getattr(subject, "doc", None), "path", "")
        path = path or fallback_path
        out.append(
            Finding(
                INTERNAL_ERROR,
                Severity.ERROR,
                path or "<project>",
                FILE_START,
                _clip(f"internal error in rule {rule.id}: {exc!r}", MAX_MESSAGE),
            )
        )
        from manifestlint.output import printable  # the path may hold control characters

        line = _clip(f"manifestlint: internal error in rule {rule.id} on {path}: {exc!r}", MAX_MESSAGE)
        print(printable(line), file=sys.stderr)


def _cap(findings: list[Finding]) -> list[Finding]:
    """At most MAX_PER_RULE_AND_FILE findings of one rule in one file (sorted input), then one
    finding saying how many more there are, where the first of them is."""
    counts: dict[tuple[str, str], int] = {}
    for f in findings:
        key = (f.rule, f.path)
        counts[key] = counts.get(key, 0) + 1
    if all(n <= MAX_PER_RULE_AND_FILE for n in counts.values()):
        return findings
    out: list[Finding] = []
    seen: dict[tuple[str, str], int] = {}
    for f in findings:
        key = (f.rule, f.path)
        n = seen[key] = seen.get(key, 0) + 1
        if n <= MAX_PER_RULE_AND_FILE:
            out.append(f)
        elif n == MAX_PER_RULE_AND_FILE + 1:
            more = counts[key] - MAX_PER_RULE_AND_FILE
            out.append(
                replace(
                    f,
                    message=f"{more:,} more {f.rule} finding(s) in this file from here on are not shown "
                    f"(at most {MAX_PER_RULE_AND_FILE:,} per rule and file); fix these first or "
                    "narrow the run with --select / --ignore",
                    obj="",
                    doc=-1,
                )
            )
    return out


# ---------------------------------------------------------------------------- the run


def project_root(config: Config, cwd: Path, paths: list[str]) -> Path | None:
    """The folder whose manifests form the context set: the config file's folder, else the
    git root. None outside both: then the context is just the named paths (walking an
    arbitrary parent folder could read a whole home directory)."""
    if config.root is not None:
        return config.root
    named = [p for p in paths if p != "-"]
    first = Path(os.path.abspath(cwd / named[0])) if named else cwd  # as written: never where a link leads
    return git_root(first if first.is_dir() else first.parent)


# Test data is not part of what a project deploys: a PDB or Gateway in a test fixture must
# neither satisfy nor contradict the real manifests. Test-data files are never read as context,
# and named (or walked with `include-test-data`), they are linted within their own realm: the
# outermost test-data folder (project/roles.py). Helm chart templates are never context either.
# Context files are parsed only when they may hold an object, a rule file or a route.
CONTEXT_MARKERS = (b"kind:", b"groups:", b"route:", b'"kind"', b'"groups"', b'"route"')  # YAML, JSON


def _source_root(paths: list[str], cwd: Path) -> Path:
    """What SARIF uris are relative to outside a repository: the folder given (or the named
    file's folder), else the working directory; never an absolute uri under %SRCROOT%."""
    named = [os.path.abspath(cwd / p) for p in paths if p != "-"]
    if not named:
        return cwd
    common = os.path.commonpath(named)
    return Path(common if os.path.isdir(common) else os.path.dirname(common))


def _is_test_data(path: Path, root: Path | None) -> bool:
    """Under a test-data folder of the project (project/roles.py): never context for anything;
    the project model makes each such file a bundle of its own."""
    if root is None:
        return False
    text, base = str(path), str(root).rstrip("/") + "/"
    if text.startswith(base):  # the usual case, without relative_to's cost (once per file)
        return first_test_data_folder(tuple(text[len(base) :].split("/")[:-1])) is not None
    try:
        relative = path.relative_to(root)
    except ValueError:
        return False
    return in_test_data(PurePosixPath(relative.as_posix())) is not None


def _shown(file: Path, cwd: Path | None) -> str:
    """A context file's display path: relative to the working directory (also when one of
    them was reached through a symbolic link), else absolute."""
    if cwd is None:
        return file.as_posix()
    shown = display_path(file, cwd)
    if shown == file.as_posix():
        with contextlib.suppress(OSError, ValueError):
            shown = display_path(file, cwd.resolve())
    return shown


def _context_files(root: Path, report: set, config: Config, cwd: Path) -> list[Source]:
    """YAML and JSON manifests under the project root that the user did not name (context
    only): never test data, never Helm chart templates. Shown with the same display path as
    when named (relative to `cwd`), so a message citing another file reads the same in every
    batch."""
    return [_context_source(root, name, cwd) for name, _, _ in _context_names(root, report, config, None)]


def _context_source(root: Path, name: str, cwd: Path | None) -> Source:
    """The Source of the context file `name` below the root."""
    file = root / name
    return Source(_shown(file, cwd), file, "yaml")


_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _context_names(
    root: Path, report: set, config: Config, names: list[str] | None, store: Any = None
) -> list[tuple[str, os.stat_result | None, bool]]:
    """(name below the root, its stat, whether it is a symbolic link) of each context file, in
    path order; strings only (no Path per file but for the few that need one)."""
    out = []
    charts = ChartFolders()
    base = str(root).rstrip("/") + "/"
    cache_prefix = None
    if store is not None:
        folder = str(store.folder).rstrip("/") + "/"
        cache_prefix = folder[len(base) :] if folder.startswith(base) else None
    skipped: dict[str, bool] = {}  # folder -> test data, or the cache itself

    def kept(name: str) -> bool:
        cut = name.rfind("/")
        folder = name[:cut] if cut > 0 else ""
        skip = skipped.get(folder)
        if skip is None:
            parts = tuple(folder.split("/")) if folder else ()
            skip = first_test_data_folder(parts) is not None or (
                cache_prefix is not None and f"{folder}/".startswith(cache_prefix)
            )
            skipped[folder] = skip
        return not skip

    # Comprehensions and map() over 20,000 names: a pre-commit call lists the whole tree
    wanted = [
        n for n in (walk_names(root) if names is None else names) if n.lower().endswith(_MANIFEST_SUFFIXES)
    ]
    wanted = [n for n in wanted if kept(n)]
    exclude = config.exclude
    if exclude:
        wanted = [n for n in wanted if not excluded_name(base + n, n, exclude)]
    texts = [base + n for n in wanted]
    try:
        stats: list[os.stat_result | None] = list(map(os.lstat, texts))
    except OSError:  # one went away since the listing: one by one
        stats = [_lstat(text) for text in texts]
    for name, text, st in zip(wanted, texts, stats, strict=True):
        link = st is not None and st.st_mode & 0o170000 == 0o120000  # S_IFLNK
        if link:
            try:
                st = os.stat(text)
            except OSError:
                st = None
        if st is not None and report and (st.st_dev, st.st_ino) in report:  # file_key, one stat kept
            continue
        if "templates" in name and charts.template_role(Path(text)) is not None:
            continue
        if link and outside(Path(text), root):  # never read what lies outside the tree
            continue
        out.append((name, st, link))
    return out


def realm_role(path: Path, base: Path) -> Role:
    """The role deciding which files a report file may be combined with: test data (below
    `base`, the project root) is confined to its test-data folder."""
    try:
        relative = path.relative_to(base)
    except ValueError:
        try:
            relative = path.resolve().relative_to(base)
        except (ValueError, OSError):
            return PLAIN  # outside the project: no folder of it says test data
    return in_test_data(PurePosixPath(relative.as_posix())) or PLAIN


def _project_files(root: Path, config: Config) -> list[Path]:
    """Every file of the project that may say something about images (build files, Dockerfiles):
    excluded paths and test data left out, like context manifests."""
    return [
        file
        for file in walk_folder(root)
        if not in_test_data(PurePosixPath(file.relative_to(root).as_posix()))
        and not excluded(file, config.exclude, root)
    ]


def lint(
    paths: list[str],
    registry: Registry,
    config: Config,
    cwd: Path,
    forced_type: str | None = None,
    stdin: tuple[str, str | bytes] | None = None,
    use_context: bool = True,
    use_cache: bool = False,
) -> LintResult:
    """Lint `paths` (and stdin as (display name, text or bytes)); see the module docstring.
    With `use_cache`, context files are read through the context cache (project/cache.py);
    cached data found unusable half-way makes the run start again with the cache rebuilt.

    The cyclic garbage collector is paused for the run: parsing allocates hundreds of
    thousands of small acyclic objects, and generation scans tripled the parse time.

    Python's recursion limit is raised for the run to RECURSION_LIMIT: documents nest up to
    parse.yaml.MAX_NESTING (1,000) levels, and `str()`, `==` or a rule's recursive walk of such
    a value takes one to three levels of recursion per level of the document (the default
    limit of 1,000 failed at ~450). Deeper recursion still ends in RecursionError (caught per
    rule), well before the C stack could overflow: 1,000 levels of C `repr` and 6,000 Python
    frames use well under the 8 MB main-thread stack (Python-to-Python calls use no C stack in
    CPython 3.11)."""
    from manifestlint.project.cache import CacheInvalid

    collecting = gc.isenabled()
    gc.disable()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, RECURSION_LIMIT))
    try:
        try:
            return _lint(paths, registry, config, cwd, forced_type, stdin, use_context, use_cache)
        except CacheInvalid:
            try:  # rebuilt from the files
                return _lint(
                    paths, registry, config, cwd, forced_type, stdin, use_context, use_cache, fresh=True
                )
            except CacheInvalid:  # what this version writes it cannot read back: a bug, never a crash
                return _lint(paths, registry, config, cwd, forced_type, stdin, use_context, False)
    finally:
        sys.setrecursionlimit(limit)
        if collecting:
            gc.enable()


def _lint(
    paths: list[str],
    registry: Registry,
    config: Config,
    cwd: Path,
    forced_type: str | None,
    stdin: tuple[str, str | bytes] | None,
    use_context: bool,
    use_cache: bool = False,
    fresh: bool = False,
) -> LintResult:
    rules = active_rules(registry, config)
    listing: list[Entry] = []
    sources = discover(
        [p for p in paths if p != "-"], cwd, forced_type, config.exclude, config.root,
        include_test_data=config.include_test_data, listing=listing,
    )  # fmt: skip
    root = project_root(config, cwd, paths)
    parsed: list[ParsedFile] = [read_source(s, registry) for s in sources]
    if stdin is not None:
        name, text = stdin
        if name:
            ftype = forced_type or ("dockerfile" if is_dockerfile_name(Path(name).name) else "yaml")
        else:  # no --stdin-filename: the content decides (`cat Dockerfile | manifestlint lint -`)
            sample = text[:65536].decode("utf-8", "replace") if isinstance(text, bytes) else text[:65536]
            if forced_type == "dockerfile" or (forced_type is None and looks_like_dockerfile(sample)):
                name, ftype = "stdin", "dockerfile"
            else:
                name, ftype = "stdin.yaml", forced_type or "yaml"
        parsed.append(read_source(Source(name, cwd / name, ftype), registry, stdin_text=text))

    # One index per realm: deployable files (with the project's context files) and, apart,
    # each test-data file on its own (test data is never context, not even for the test file
    # beside it: what a fixture is judged with never depends on which files were named).
    # Rules only ever see the index of their file's realm.
    base = root or _source_root(paths, cwd)
    roles = {id(pf): realm_role(pf.source.abspath, base) for pf in parsed}
    realms = {
        id(pf): f"{roles[id(pf)].realm}/{pf.source.path}" if roles[id(pf)].realm else "" for pf in parsed
    }
    indexes: dict[str, Index] = {}
    for pf in parsed:
        index = indexes.setdefault(realms[id(pf)], Index(base=str(cwd)))
        index.report_paths.add(pf.source.path)
        index.add(pf.docs)
    main_index = indexes.setdefault("", Index(base=str(cwd)))
    project_rules = [r for r in rules if r.scope == "project"]
    report_keys = {file_key(s.abspath) for s in sources}
    context_read = False
    schema_ids = {r.id for r in rules if r.id.startswith("schema-")}
    named_yaml = [pf for pf in parsed if pf.dockerfile is None]
    context: list[_ContextFile] = []
    names: list[str] = []  # the root's files, relative
    store = None
    warm: Any = None  # project/warm.py's Warm: the project model of an earlier call, when it fits this one
    lazy: dict[Path, Callable[[], _ContextFile]] = {}  # a warm call's bundle files, made on first use
    warm_key: str | None = None

    def every_context() -> list[_ContextFile]:
        return context

    if root is not None and named_yaml:
        root = root.resolve()
        names = walk_names(root)
    if (
        use_context
        and root is not None
        and (project_rules or schema_ids)
        and any(pf.docs for pf in named_yaml)
    ):
        context_read = True
        store = _open_cache(root, config, cwd, fresh) if use_cache else None
        candidates = _context_names(root, report_keys, config, names, store)
        named_below = _named_below(root, named_yaml) if store is not None and stdin is None else None
        if named_below is not None:
            from manifestlint.project import warm as warm_model  # with the cache only (its imports cost)

            named_facts = [(name, facts_of(pf.docs)) for name, (pf, _) in named_below.items()]
            options = [*config.exclude, f"test-data={config.include_test_data}"]
            warm_key = warm_model.key(store.key, root, candidates, named_facts, options, names)
        if warm_key is not None and not fresh:
            data = store.load_model(warm_key)
            if data is not None:
                below = {name: real for name, (_, real) in named_below.items()}
                warm = warm_model.read(data, root, {c[0] for c in candidates}, below)
        if warm is not None:
            context, lazy = _warm_context(warm, candidates, root, registry, store, cwd)
        else:
            context = _read_contexts(candidates, root, registry, store, cwd)
        every_context = _every_context(  # the whole context, read lazily after a warm start
            context, candidates, root, registry, store, cwd, warm is not None
        )
    docs = _ContextDocs(named_yaml, context, store, lazy)
    if store is not None:  # cached files: only the kinds project-wide lookups read
        from manifestlint.project.cache import WHOLE_PROJECT_KINDS

        for cf in context:
            if cf.parsed is not None:
                main_index.add(cf.parsed.docs)
            elif not WHOLE_PROJECT_KINDS.isdisjoint(cf.facts.kinds):
                main_index.add(docs.get(cf.real, []))
    else:
        for cf in context:
            main_index.add(cf.parsed.docs)
    whole_project = _whole_project(main_index, parsed, realms, every_context, docs, store)
    if warm is not None:
        model = warm.model
    else:
        walked = [root / n for n in names if n.rpartition("/")[2] in KUSTOMIZATION_NAMES] if root else []
        model = _project_model(root, base, named_yaml, context, walked)
        if warm_key is not None and store is not None:
            _save_warm(store, warm_key, model, root, named_yaml, context, docs.links)
    raw_docs: dict[int, list[YamlDoc]] = {}
    for pf in named_yaml:
        path = project_context.real(pf.source.abspath)
        role = model.role_of(path)
        if role is not None and model.is_partial(path):
            pf.role = Role(role.role, role.reason)  # shown by the verbose listing
        elif pf.docs:  # what per-object rules judge: with the selector labels kustomize adds
            raw_docs[id(pf)] = pf.docs  # each bundle applies its own transformers to these
            pf.docs = project_context.per_object_views(model, path, pf.docs)
    if schema_ids:  # before every other rule: typos are corrected in the model
        from manifestlint.schema.check import prepare

        correct = "schema-unknown-field" in schema_ids
        for realm, index in indexes.items():
            if index.objects:  # a realm's CRDs validate that realm's custom resources
                # kustomize patches are fragments: per-object rules skip them (see _lint_file)
                whole = [pf for pf in parsed if realms[id(pf)] == realm and pf.role is None]
                reported = (doc for pf in whole for doc in pf.docs)
                prepare(reported, index.objects, config.kubernetes_version, correct)
    config_ids = {r.id for r in rules} & {"alertmanager-invalid-field", "prometheus-invalid-field"}
    if config_ids:
        from manifestlint.schema.check import prepare_configs

        prepare_configs((doc for pf in parsed for doc in pf.docs), config_ids)

    def project_objects() -> list[YamlDoc]:
        """Every Kubernetes object of the project, read now if the index has not (a
        Dockerfile-only run reads the manifests only when a Docker rule needs workloads)."""
        if context_read or not use_context or root is None:
            return list(whole_project().objects)
        extra = Index()
        for source in _context_files(root, report_keys, config, cwd=cwd):
            extra.add(read_source(source, registry, markers=CONTEXT_MARKERS).docs)
        return main_index.objects + extra.objects

    images = ImageProject(
        root if use_context else None,
        cwd,
        roles=config.roles,
        images=config.images,
        config_root=config.root or root,
        load_objects=project_objects,
        files=lambda folder: _project_files(folder, config),
    )

    cached_facts = [cf.facts for cf in context if cf.parsed is None]
    if warm is not None:  # what the whole context's facts say (engine._with_functions)
        cached_facts = [FileFacts(kinds=frozenset({"?"}) if warm.k8s else frozenset(), istio=warm.istio)]
    rules = _with_functions(rules, registry, parsed, list(indexes.values()), cached_facts)
    project_rules = [r for r in rules if r.scope == "project" and r.func is not None]
    options = {r.id: _typed_options(r, _opts(config, r)) for r in rules}
    contexts = {
        realm: {r.id: RuleContext(r, options[r.id], config, index, images) for r in rules}
        for realm, index in indexes.items()
    }
    dispatch = _Dispatch([r for r in rules if r.func is not None])
    findings: list[Finding] = []
    for pf in parsed:
        findings.extend(pf.findings)
        findings.extend(_lint_file(pf, dispatch, contexts[realms[id(pf)]], model))
    if project_rules:
        report_paths = {pf.source.path for pf in parsed}
        per_bundle = [r for r in project_rules if r.id not in WHOLE_PROJECT_RULES]
        findings.extend(
            _project_findings(
                per_bundle, contexts[""], model, parsed, docs, report_paths, str(cwd), raw_docs, whole_project
            )
        )
        for rule in (r for r in project_rules if r.id in WHOLE_PROJECT_RULES):
            for realm, index in indexes.items():  # the deployable files, and each test-data folder
                found: list[Finding] = []
                _run_rule(rule, index, contexts[realm][rule.id], found)
                findings.extend(f for f in found if f.path in index.report_paths)
    findings = _superseded(_one_per_problem(findings))
    findings = _by_evidence(findings, parsed, base, config)

    findings, hidden = _suppress(findings, parsed, registry, config, rules)
    enabled_ids = {r.id for r in rules}
    findings = [f for f in findings if f.rule in enabled_ids or f.rule == INTERNAL_ERROR]  # never hidden
    hidden = sorted((h for h in hidden if h.finding.rule in enabled_ids), key=lambda h: h.finding.sort_key())
    findings.sort(key=Finding.sort_key)
    findings = _cap(findings)
    artifacts = sorted(pf.source.path for pf in parsed if pf.file_type or pf.findings)
    roles = {id(pf): _image_role(pf, roles[id(pf)], images) for pf in parsed}  # a Dockerfile's image role
    for pf in parsed:  # examples, tutorials and node agents, for the verbose listing
        if roles[id(pf)].deployable:
            roles[id(pf)] = _example_role(pf.source.abspath, base) or _agent_role(pf) or roles[id(pf)]
    listing.extend(_listed(pf, roles[id(pf)]) for pf in parsed)
    result_root = root or _source_root(paths, cwd)
    if store is not None:
        store.save()
    return LintResult(findings, artifacts, rules, result_root, cwd, listing, model, main_index, hidden)


_UNRECOGNISED = Role(UNRECOGNISED, "no Kubernetes object, rule groups or Alertmanager route in it")


def _example_role(path: Path, base: Path) -> Role | None:
    """An example, tutorial, development set-up or vendored release (project/roles.py), judged
    below the project root (or the named folder outside a project)."""
    try:
        relative = path.relative_to(base)
    except ValueError:
        try:
            relative = path.resolve().relative_to(base)
        except (ValueError, OSError):
            return None
    return example_role(PurePosixPath(relative.as_posix()))


def _agent_role(pf: ParsedFile) -> Role | None:
    """A file holding a node agent (project/agents.py): its host-access findings are notes."""
    if not pf.docs or pf.dockerfile is not None:
        return None
    from manifestlint.project.agents import node_agent

    for doc in pf.docs:
        why = node_agent(doc) if doc.kind == "kubernetes" else None
        if why is not None:
            return Role("node-agent", why)
    return None


def _by_evidence(
    findings: list[Finding], parsed: list[ParsedFile], base: Path, config: Config
) -> list[Finding]:
    """Severity by the evidence of the file's role and the object's job (project/evidence.py)."""
    if not findings:
        return findings
    from manifestlint.project.agents import node_agent
    from manifestlint.project.evidence import EXAMPLE_SEVERITIES, lowered

    files = {pf.source.path: pf for pf in parsed}

    def example(path: str) -> Role | None:
        pf = files.get(path)
        return _example_role(pf.source.abspath, base) if pf is not None else None

    def doc_at(path: str, index: int) -> YamlDoc | None:
        pf = files.get(path)
        return next((d for d in pf.docs if d.index == index), None) if pf is not None else None

    cap = EXAMPLE_SEVERITIES.get(config.example_severity, Severity.NOTE)
    return lowered(findings, example, doc_at, cap, node_agent)


def _image_role(pf: ParsedFile, role: Role, images: ImageProject) -> Role:
    """A deployable Dockerfile's listing role is its image's role (project/images.py), with the
    evidence: `service image`, `dev image: its file name 'Dockerfile.tilt' says 'tilt'`."""
    if pf.dockerfile is None or not role.deployable:
        return role
    image = images.role(pf.dockerfile)
    return Role(f"{image.name} image", image.evidence, role.realm)


def _listed(pf: ParsedFile, role: Role) -> Entry:
    """A parsed file's listing entry. A role decided from the content (`ParsedFile.role`: a
    template, a look-alike; the project model may set `kustomize-patch` there) wins over the
    path's role; a file with findings but no type was unreadable or broken."""
    if pf.file_type:
        return Entry(pf.source.path, LINTED, pf.role or role, pf.file_type)
    if pf.role is not None:
        return Entry(pf.source.path, SKIPPED, pf.role)
    if pf.findings:
        return Entry(pf.source.path, LINTED, role, "unreadable or broken input")
    return Entry(pf.source.path, SKIPPED, role if not role.deployable else _UNRECOGNISED)


_REQUIRED_FIELD = re.compile(r"required field `([^`]+)`")


# A finding of the key rule hides, on the same line of the same object, the findings of the
# rules it lists: a namespace's Pod Security admission refuses the field the older rule reports
# as advice (privileged, hostPath, ...), and one condition gives one finding, the stronger.
SUPERSEDES = {
    "k8s-pod-security-admission": frozenset({
        "k8s-pod-security", "k8s-host-namespace", "k8s-privileged-container", "k8s-dangerous-capabilities",
        "k8s-host-path-mount", "k8s-host-port", "k8s-seccomp-unconfined", "k8s-privilege-escalation-allowed",
        "k8s-run-as-root", "k8s-seccomp-profile-missing", "k8s-capabilities-not-dropped",
    }),
}  # fmt: skip


def _superseded(findings: list[Finding]) -> list[Finding]:
    places = {(f.rule, f.path, f.doc, f.span.line) for f in findings if f.rule in SUPERSEDES}
    if not places:
        return findings
    hidden = {(member, path, doc, line) for rule, path, doc, line in places for member in SUPERSEDES[rule]}
    return [f for f in findings if (f.rule, f.path, f.doc, f.span.line) not in hidden]


def _one_per_problem(findings: list[Finding]) -> list[Finding]:
    """A problem a specific rule already reports is not reported again by a schema rule:
    `runAsNonRoot: "true"` is k8s-run-as-root's, an unknown field of a rule file is
    prometheus-invalid-field's, a rule without `expr` prometheus-invalid-rule's (these agree
    with promtool and amtool). Same place for values and keys; for a missing field, a finding
    on the same line that names the field."""
    schema = [f for f in findings if f.rule.startswith("schema-") and f.rule != "schema-unknown-kind"]
    if not schema:
        return findings
    at = {(f.path, f.span.line, f.span.col) for f in findings if not f.rule.startswith("schema-")}
    refusals = {
        (f.path, f.span.line, f.span.col): f.message.lower()
        for f in findings
        if "-invalid-" in f.rule and not f.rule.startswith("schema-")
    }
    on_line: dict[tuple[str, int], list[str]] = {}
    for f in findings:
        if not f.rule.startswith("schema-"):
            on_line.setdefault((f.path, f.span.line), []).append(f.message)
    drop = set()
    for f in schema:
        if f.rule == "schema-missing-required":
            match = _REQUIRED_FIELD.search(f.message)
            word = re.compile(rf"\b{re.escape(match.group(1))}\b") if match else None
            if word and any(word.search(m) for m in on_line.get((f.path, f.span.line), ())):
                drop.add(id(f))
            elif match and match.group(1).lower() in refusals.get((f.path, f.span.line, f.span.col), ""):
                drop.add(id(f))  # prometheus-invalid-rule's "Groupname must not be empty"
        elif f.rule == "schema-unknown-field":  # a key: often also the anchor of "container has no …"
            if "not found in type" in refusals.get((f.path, f.span.line, f.span.col), ""):
                drop.add(id(f))  # alertmanager-/prometheus-invalid-field, worded as amtool/promtool
        elif (f.path, f.span.line, f.span.col) in at:
            drop.add(id(f))
    return [f for f in findings if id(f) not in drop] if drop else findings


def _project_model(
    root: Path | None, base: Path, named: list[ParsedFile], context: list[_ContextFile], walked: list[Path]
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
    model = project_context.build_model(root, facts, kustomizations, lambda p: _is_test_data(p, test_base))
    model.facts = facts
    return model


@dataclass(slots=True)
class _ContextFile:
    """A context file of this run: parsed now (`parsed`), or known from the cache (`rel`)."""

    source: Source
    real: Path
    facts: FileFacts
    parsed: ParsedFile | None
    rel: str = ""


def _named_below(root: Path, named: list[ParsedFile]) -> dict[str, tuple[ParsedFile, Path]] | None:
    """Each named YAML file by its name below the root (with its real path); None when one
    lies elsewhere (no warm model then)."""
    prefix = str(root).rstrip("/") + "/"
    out = {}
    for pf in named:
        real = project_context.real(pf.source.abspath)
        text = str(real)
        if not text.startswith(prefix):
            return None
        out[text[len(prefix) :]] = (pf, real)
    return out


def _read_contexts(
    candidates: list[tuple[str, os.stat_result | None, bool]],
    root: Path,
    registry: Registry,
    store: Any,
    cwd: Path,
    known: dict[str, _ContextFile] | None = None,
) -> list[_ContextFile]:
    """Every context file, cached facts or parsed (`known`: those read already)."""
    folders: dict[str, str] = {}
    out = []
    for name, st, link in candidates:
        cf = known.get(name) if known else None
        if cf is None:
            cf = _read_context(_context_source(root, name, cwd), registry, root, store, folders, (st, link))
        out.append(cf)
    return out


def _warm_context(
    warm: Any,
    candidates: list[tuple[str, os.stat_result | None, bool]],
    root: Path,
    registry: Registry,
    store: Any,
    cwd: Path,
) -> tuple[list[_ContextFile], dict[Path, Callable[[], _ContextFile]]]:
    """The context files a warm call reads: those project-wide lookups read (entries taken
    from the warm model, no lookup) and the files parsed on every call; and, made on first
    use, the cached files of the named files' bundles (of 500, the filter asks for a few).
    Everything else stays unread."""
    parsed = set(warm.parsed)
    whole = set(warm.whole)
    needed = parsed.union(warm.cached)
    folders: dict[str, str] = {}
    out = []
    lazy: dict[Path, Callable[[], _ContextFile]] = {}

    def cached_file(name: str, st: os.stat_result, sha: str, facts: FileFacts) -> _ContextFile:
        store.trust(name, st, sha, facts)
        source = _context_source(root, name, cwd)
        return _ContextFile(source, source.abspath, facts, None, name)

    for name, st, link in [c for c in candidates if c[0] in needed]:
        cached = warm.cached.get(name)
        if cached is not None and st is not None:
            if name in whole:
                out.append(cached_file(name, st, *cached))
            else:
                lazy[root / name] = functools.partial(cached_file, name, st, *cached)
        else:  # parsed on every call: read without the cache (whose index stays unread)
            cf = _read_context(_context_source(root, name, cwd), registry, root, None, folders, (st, link))
            out.append(_ContextFile(cf.source, cf.real, cf.facts, cf.parsed, name))
    return out, lazy


def _every_context(
    context: list[_ContextFile],
    candidates: list[tuple[str, os.stat_result | None, bool]],
    root: Path,
    registry: Registry,
    store: Any,
    cwd: Path,
    partial: bool,
) -> Callable[[], list[_ContextFile]]:
    """All context files, read on first use when the call began with a warm model's few."""
    if not partial:
        return lambda: context
    done: list[list[_ContextFile]] = []

    def every() -> list[_ContextFile]:
        if not done:
            known = {cf.rel: cf for cf in context}
            done.append(_read_contexts(candidates, root, registry, store, cwd, known))
        return done[0]

    return every


def _save_warm(
    store: Any,
    key: str,
    model: ProjectModel,
    root: Path,
    named: list[ParsedFile],
    context: list[_ContextFile],
    links: Callable[[Path], Links],
) -> None:
    """Save this call's warm model (project/warm.py) for the next call with the same key."""
    by_real: dict[Path, tuple[str, str, FileFacts]] = {}
    for cf in context:
        if cf.parsed is None:
            entry = store.entries.get(cf.rel)
            if entry is None:
                return
            by_real[cf.real] = (cf.rel, entry.sha, cf.facts)
        else:
            by_real[cf.real] = (cf.rel, "", cf.facts)
    reals = [project_context.real(pf.source.abspath) for pf in named]
    named_facts = {
        real: model.facts.get(real) or facts_of(pf.docs) for real, pf in zip(reals, named, strict=True)
    }
    cached = [cf.facts for cf in context if cf.parsed is None]
    domains = (any(f.kinds for f in cached), any(f.istio for f in cached))
    from manifestlint.project import warm as warm_model

    payload = warm_model.build(model, root, reals, by_real, named_facts, domains, links)
    if payload is not None:
        store.save_model(key, payload)


def _open_cache(root: Path, config: Config, cwd: Path, fresh: bool) -> Any:
    from manifestlint.project.cache import ContextCache, cache_folder

    folder, chosen = cache_folder(root, config.cache_dir, cwd)
    store = ContextCache(folder, root, chosen)
    if fresh:
        store.raw = {}  # found unusable: rebuilt from the files
    return store


def _real_in(file: Path, folders: dict[str, str], link: bool) -> Path:
    """project_context.real(file) with one realpath per folder: a file that is not itself a
    symbolic link is its folder's real path joined with its name (5,000 realpath calls, a
    syscall per path component each, were 10% of a warm one-file call)."""
    if link:
        return project_context.real(file)
    text = str(file)
    cut = text.rfind("/")
    folder = text[:cut] if cut > 0 else "/"
    known = folders.get(folder)
    if known is None:
        known = folders[folder] = str(project_context.real(Path(folder)))
    if known == folder:  # no link on the way: the path is already the real one (no new Path)
        return file
    return Path(os.path.join(known, text[cut + 1 :]))


def _read_context(
    source: Source,
    registry: Registry,
    root: Path,
    store: Any,
    folders: dict[str, str],
    stat: tuple[os.stat_result | None, bool],
) -> _ContextFile:
    """One context file: its cached facts when the cache has them for this content, else
    parsed (and recorded in the cache when one is open). `stat`: the walk's (stat, is a link)."""
    real = _real_in(source.abspath, folders, stat[1])
    if store is None:
        pf = read_source(source, registry, markers=CONTEXT_MARKERS)
        return _ContextFile(source, real, facts_of(pf.docs), pf)
    from manifestlint.safeio import MAX_FILE_BYTES, Unreadable, read_regular

    text, prefix = str(source.abspath), str(root).rstrip("/") + "/"
    rel = text[len(prefix) :] if text.startswith(prefix) else source.abspath.relative_to(root).as_posix()
    cached = store.lookup(rel, source.abspath, stat[0])
    if cached is not None:
        return _ContextFile(source, real, cached, None, rel)
    try:
        before = os.stat(source.abspath)
        data = read_regular(source.abspath, MAX_FILE_BYTES)
    except (OSError, Unreadable):
        store.forget(rel)
        pf = read_source(source, registry, markers=CONTEXT_MARKERS)  # its own words for the problem
        return _ContextFile(source, real, facts_of(pf.docs), pf, rel)
    if any(marker in data for marker in CONTEXT_MARKERS):
        pf = read_source(source, registry, stdin_text=data)
    else:
        pf = ParsedFile(source)  # no object, rule group or route in it: left unparsed
    facts = facts_of(pf.docs)
    try:
        after = os.stat(source.abspath)
    except OSError:
        after = None
    if after is not None and (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns):
        if store.record(rel, before, data, pf.docs, facts):
            # from here on the file is what a warm call reads (its cached form): the same
            # findings cold and warm, and the parsed documents can go (a cold call over
            # 20,000 files held 6 GB of them)
            return _ContextFile(source, real, facts, None, rel)
    else:  # changed while read: what was parsed may not be what is there now
        store.forget(rel)
    return _ContextFile(source, real, facts, pf, rel)


class _ContextDocs:
    """Documents by real path for the cross-file rules: named and parsed context files at
    hand, cached ones rebuilt from the cache on first use (only the bundles that run ask)."""

    def __init__(
        self,
        named: list[ParsedFile],
        context: list[_ContextFile],
        store: Any,
        lazy: dict[Path, Callable[[], _ContextFile]] | None = None,
    ) -> None:
        self.docs: dict[Path, list[YamlDoc]] = {}
        self.cached: dict[Path, _ContextFile] = {}
        self.lazy = lazy or {}
        self.computed: dict[Path, Links] = {}
        self.store = store
        for pf in named:
            self.docs[project_context.real(pf.source.abspath)] = pf.docs
        for cf in context:
            if cf.parsed is not None:
                self.docs[cf.real] = cf.parsed.docs
            else:
                self.cached[cf.real] = cf

    def get(self, path: Path, default: Any = ()) -> Any:
        found = self.docs.get(path)
        if found is not None:
            return found
        cf = self.cached.get(path)
        if cf is None:
            make = self.lazy.pop(path, None)
            if make is None:
                return default
            cf = self.cached[path] = make()
        found = self.docs[path] = self.store.docs(cf.rel, cf.source.path)
        return found

    def set(self, path: Path, docs: list[YamlDoc]) -> None:
        self.docs[path] = docs
        self.computed.pop(path, None)

    def know(self, cf: _ContextFile) -> None:
        """A context file read after the start (a warm call reading the whole project)."""
        self.lazy.pop(cf.real, None)
        if cf.parsed is not None:
            self.docs.setdefault(cf.real, cf.parsed.docs)
        else:
            self.cached.setdefault(cf.real, cf)

    def links(self, path: Path) -> Links:
        """What relates the file to others (project/links.py): kept by a warm model for its
        cached files, else worked out from the documents (rebuilt from the cache if need be:
        the call that saves a warm model pays for it once)."""
        found = self.computed.get(path)
        if found is None:
            found = self.computed[path] = links_of(self.get(path))
        return found


def _whole_project(
    main_index: Index,
    parsed: list[ParsedFile],
    realms: dict[int, str],
    every_context: Callable[[], list[_ContextFile]],
    docs: _ContextDocs,
    store: Any,
) -> Callable[[], Index]:
    """The index of every deployable object of the project: the main index itself, or, when
    context came from the cache (the main index then holds only what project-wide lookups
    read), one built on first use from every context file in the same order."""
    if store is None:
        return lambda: main_index
    built: list[Index] = []
    named = [pf.docs for pf in parsed if realms[id(pf)] == ""]  # as written (before any view)

    def whole() -> Index:
        if not built:
            index = Index(report_paths=set(main_index.report_paths), base=main_index.base)
            for named_docs in named:
                index.add(named_docs)
            for cf in every_context():
                docs.know(cf)
                index.add(cf.parsed.docs if cf.parsed is not None else docs.get(cf.real, []))
            built.append(index)
        return built[0]

    return whole


# Cross-file rules read only the files of a bundle that the named files relate to
# (project/links.py). False reads every file of the bundle: tests compare the two.
RELEVANCE = True

# The project's alerting as a whole: a Prometheus loads every rule file of the project whatever
# bundle (Kustomize tree, folder) holds it, so the thresholds and golden-signal coverage are
# judged once over all of them (named and context files), not per bundle.
WHOLE_PROJECT_RULES = frozenset({"prometheus-alert-threshold", "prometheus-missing-golden-alert"})

# Rules that report a reference to something the bundle lacks (an HPA's target, the pods of a
# Service or policy, a VirtualService's host, gateway or subset). Folder bundles are a guess:
# real repositories keep HPAs, policies or Istio routing in a sibling folder of the workloads
# they apply to (sock-shop's autoscaling/ and manifests-policy/, bank-of-anthos' extras/),
# and an error there blocks a valid commit. Such a finding stands only when the reference is
# missing from the whole project too: precision before recall. So does a Namespace without a
# quota: a kustomize component adding a ResourceQuota to an overlay covers the Namespace that
# a plain folder declares (issue 19, principle 9).
DANGLING_REFERENCE_RULES = frozenset(
    {"k8s-hpa-target-missing", "k8s-network-policy-selects-nothing", "k8s-service-selector-mismatch",
     "k8s-service-target-port-mismatch", "k8s-ingress-backend-missing",
     "istio-authz-selector-matches-nothing", "istio-gateway-selector-matches-nothing",
     "istio-vs-unknown-gateway", "istio-vs-host-not-in-gateway", "istio-vs-unknown-subset",
     "istio-vs-unknown-host", "istio-dr-subset-no-pods", "k8s-namespace-missing-quota"}
)  # fmt: skip


def _project_findings(
    project_rules: list[Rule],
    contexts: dict[str, RuleContext],
    model: ProjectModel,
    parsed: list[ParsedFile],
    docs: _ContextDocs,
    report_paths: set[str],
    base: str,
    raw_docs: dict[int, list[YamlDoc]],
    whole_project: Callable[[], Index],
) -> list[Finding]:
    """Cross-file rules, once per bundle that holds a reported file, each seeing an index of
    that bundle alone. A finding found in several bundles (a base used by three overlays) is
    reported once, from the first bundle in the model's stable order."""
    for pf in parsed:
        docs.set(project_context.real(pf.source.abspath), raw_docs.get(id(pf), pf.docs))
    reported = [project_context.real(pf.source.abspath) for pf in parsed]
    out: list[Finding] = []
    seen: set[tuple] = set()
    facts = model.facts
    for bundle in project_context.bundles_to_run(model, reported):
        bundle_index, originals = project_context.bundle_index(
            bundle, docs, facts, report_paths, base, docs.links if RELEVANCE else None, set(reported)
        )
        if not bundle_index.report_paths:
            continue
        found: list[Finding] = []
        anchor = min(bundle_index.report_paths)  # where a crash of a cross-file rule is reported
        for rule in project_rules:
            ctx = contexts[rule.id]
            scoped = RuleContext(ctx.rule, ctx.options, ctx.config, bundle_index, ctx.project)
            _run_rule(rule, bundle_index, scoped, found, anchor)
        keys = set()
        for f in found:
            if f.path not in bundle_index.report_paths:
                continue
            key = (f.rule, f.path, f.doc, f.span)
            if key in seen:
                continue
            keys.add(key)
            original = originals.get((f.path, f.doc))
            out.append(replace(f, obj=original.ident) if original is not None else f)
        seen |= keys
    return _dangling_in_whole_project(out, project_rules, contexts, whole_project)


def _dangling_in_whole_project(
    found: list[Finding],
    project_rules: list[Rule],
    contexts: dict[str, RuleContext],
    whole_index: Callable[[], Index],
) -> list[Finding]:
    """Keep a dangling-reference finding only when the rule, run over the whole project
    (every deployable file of the realm), reports the same place too. Test data is judged
    file by file already: nothing to confirm there."""
    main = next(iter(contexts.values())).index if contexts else None
    suspects = {
        f.rule for f in found if f.rule in DANGLING_REFERENCE_RULES and main and f.path in main.report_paths
    }
    if not suspects or main is None:
        return found
    whole_project = whole_index()
    spread = spread_namespaces(whole_project)
    confirmed: set[tuple] = set()
    confirmed_spread: set[tuple] = set()
    for rule in project_rules:
        if rule.id in suspects:
            ctx = contexts[rule.id]
            for index, out in ((whole_project, confirmed), (spread, confirmed_spread)):
                if index is None:
                    continue
                whole: list[Finding] = []
                scoped = RuleContext(ctx.rule, ctx.options, ctx.config, index, ctx.project)
                _run_rule(rule, index, scoped, whole)
                out.update((f.rule, f.path, f.span) for f in whole)
    unplaced = {(d.path, d.index) for d in whole_project.objects if not _placed(d)}

    def stands(f: Finding) -> bool:
        if f.rule not in suspects or f.path not in whole_project.report_paths:
            return True
        place = (f.rule, f.path, f.span)
        if place not in confirmed:
            return False
        # A reference from an object with a namespace also stands only when no object without
        # one (applied with `kubectl -n`, or by a parent kustomization elsewhere) could be it.
        return spread is None or (f.path, f.doc) in unplaced or place in confirmed_spread

    return [f for f in found if stands(f)]


MAX_SPREAD_VIEWS = 100_000  # namespace-less objects x namespaces, for the dangling-reference check


def _placed(doc: YamlDoc) -> bool:
    """Whether the object says where it goes: a namespace of its own, or cluster-scoped."""
    from manifestlint.project.facts import CLUSTER_KINDS

    if not isinstance(doc.root, dict) or doc.root.get("kind") in CLUSTER_KINDS:
        return True
    return bool(namespace_of(doc, ""))


def spread_namespaces(index: Index) -> Index | None:
    """`index` plus, for every namespaced object without a namespace of its own, a copy in each
    namespace the project names: such an object lands wherever it is applied (kubeflow's apps
    are installed with `kubectl apply -k ... -n kubeflow`, beside NetworkPolicies that name
    kubeflow). None when there is nothing to spread, or too much."""
    from manifestlint.project.views import view

    loose = [doc for doc in index.objects if not _placed(doc)]
    named = {namespace_of(doc, "") for doc in index.objects}
    namespaces = sorted((named | {name_of(doc) for doc in index.of_kind("Namespace")}) - {""})
    if not loose or not namespaces or len(loose) * len(namespaces) > MAX_SPREAD_VIEWS:
        return None
    out = Index(report_paths=set(index.report_paths), base=index.base)
    out.add(index.objects)
    for namespace in namespaces:
        out.add(view(doc, namespace, {}, {}, False) for doc in loose)
    return out


def _with_functions(
    rules: list[Rule],
    registry: Registry,
    parsed: list[ParsedFile],
    indexes: list[Index],
    cached: list[FileFacts] = (),  # type: ignore[assignment]
) -> list[Rule]:
    """Attach check functions for what this run can judge: a pack is imported only when a
    file it can report on is present (a one-file call pays for one or two packs)."""
    needed = set()
    kinds: set[str] = set()
    for pf in parsed:
        if pf.dockerfile is not None:
            needed.add("dockerfile")
        for doc in pf.docs:
            needed.add(doc.kind)
            if doc.kind == "kubernetes":
                kinds.add(str(doc.root.get("kind")))
    if any(index.rule_groups for index in indexes):
        needed.add("prometheus-rules")
    objects = [doc for index in indexes for doc in index.objects]
    project_domains = {  # cached context files count through their facts
        "k8s": bool(objects) or any(facts.kinds for facts in cached),
        "istio": any("istio.io" in str(doc.root.get("apiVersion")) for doc in objects)
        or any(facts.istio for facts in cached),
        "prometheus": any(index.rule_groups for index in indexes),
        "alertmanager": any(index.alertmanager for index in indexes),
    }

    def wanted(rule: Rule) -> bool:
        if rule.scope == "project":
            return project_domains.get(rule.domain, True)
        if rule.scope == "kubernetes" and rule.kinds:
            return not kinds.isdisjoint(rule.kinds)
        return rule.scope in needed

    return [replace(r, func=registry.function(r)) if r.func is None and wanted(r) else r for r in rules]


def _fits(value: Any, default: Any) -> bool:
    """Whether a configured option value has the shape its default has (a number for a number,
    a list of strings for a list of strings...), so a rule never meets a type it cannot read."""
    if isinstance(default, bool) or default is None:
        return isinstance(value, bool) or default is None
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e12
    if isinstance(default, str):
        return (
            isinstance(value, (str, int, float)) and not isinstance(value, bool) and len(str(value)) < 10_000
        )
    if isinstance(default, list):
        return isinstance(value, list) and all(
            isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in value
        )
    if isinstance(default, dict):
        return isinstance(value, dict) and all(
            isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in value.values()
        )
    return True


def _typed_options(rule: Rule, configured: dict[str, Any]) -> dict[str, Any]:
    """The rule's defaults overridden by configured values of the right shape; a value of the
    wrong shape is ignored with one line on stderr (it crashed the rule before: `min-replicas:
    abc`, `min-for: true`, `values: [[]]`)."""
    options = rule.defaults()
    for name, value in configured.items():
        if name in options and not _fits(value, options[name]):
            print(
                f"manifestlint: warning: option {name!r} of {rule.id} should look like "
                f"{options[name]!r}; {str(value)[:80]!r} ignored",
                file=sys.stderr,
            )
            continue
        options[name] = value
    return options


def _opts(config: Config, rule: Rule) -> dict[str, Any]:
    setting = config.rules.get(rule.id)
    return setting.options if setting is not None else {}


class _Dispatch:
    """Which rules see which subject, worked out once per run (kind lists on first use)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.by_scope: dict[str, list[Rule]] = {}
        for rule in rules:
            self.by_scope.setdefault(rule.scope, []).append(rule)
        self._by_kind: dict[str, list[Rule]] = {}

    def for_doc(self, doc: YamlDoc) -> list[Rule]:
        if doc.kind != "kubernetes":  # alertmanager rules take the document; rule files go by groups
            return self.by_scope.get(doc.kind, []) if doc.kind == "alertmanager" else []
        kind = str(doc.root.get("kind"))
        rules = self._by_kind.get(kind)
        if rules is None:
            rules = [r for r in self.by_scope.get("kubernetes", ()) if not r.kinds or kind in r.kinds]
            self._by_kind[kind] = rules
        return rules


# Per-object rules that report only a value the file writes, never a missing field: they judge
# a kustomize patch too (issue 19, principle 9).
FRAGMENT_RULES = frozenset(
    {"k8s-image-latest-tag", "k8s-privileged-container", "k8s-host-namespace", "k8s-dangerous-capabilities",
     "k8s-secret-in-env", "k8s-host-path-mount", "k8s-host-port"}
)  # fmt: skip


def _lint_file(
    pf: ParsedFile, dispatch: _Dispatch, contexts: dict[str, RuleContext], model: ProjectModel
) -> list[Finding]:
    out: list[Finding] = []
    if pf.dockerfile is not None:
        for rule in dispatch.by_scope.get("dockerfile", ()):
            _run_rule(rule, pf.dockerfile, contexts[rule.id], out)
        return out
    path = project_context.real(pf.source.abspath) if pf.docs else None
    if path is not None and model.is_partial(path):
        # A kustomize patch or transformer config: a fragment of an object defined elsewhere.
        # Judged as a whole object it lacks selectors, probes and security contexts that the
        # base sets; judging only the fields it sets would need every rule to tell "unset"
        # from "wrong", so per-object rules skip it (its base is judged in full). Rules that
        # judge only a value written in the file still run on a patch (FRAGMENT_RULES): a value
        # that only a patch writes (an untagged image) is reported there, as each tree using
        # the patch deploys it (its `images:` rewrites applied).
        for doc in pf.docs if model.patch_changes(path) is not None else ():
            views = model.patch_views(path, doc)
            for rule in dispatch.for_doc(doc):
                if rule.id in FRAGMENT_RULES:
                    found: list[Finding] = []
                    for view in views:
                        _run_rule(rule, view, contexts[rule.id], found)
                    out.extend({(f.span, f.message): f for f in found}.values())
        return out
    for doc in pf.docs:
        deployed = model.deployed(path, doc) if path is not None else None
        if deployed is None:
            for rule in dispatch.for_doc(doc):
                _run_rule(rule, doc, contexts[rule.id], out)
        else:  # kept only when some kustomize tree still deploys the object with it
            as_written: list[Finding] = []
            as_deployed: list[Finding] = []
            for rule in dispatch.for_doc(doc):
                _run_rule(rule, doc, contexts[rule.id], as_written)
                for view in deployed:
                    _run_rule(rule, view, contexts[rule.id], as_deployed)
            out.extend(keep_deployed(as_written, as_deployed))
        groups = rule_groups(doc)
        if groups is not None:
            for rule in dispatch.by_scope.get("prometheus-rules", ()):
                _run_rule(rule, groups, contexts[rule.id], out)
    return out


def _suppress(
    findings: list[Finding], parsed: list[ParsedFile], registry: Registry, config: Config, rules: list[Rule]
) -> tuple[list[Finding], list[Suppressed]]:
    """(findings kept plus problems with the directives, findings hidden by a directive).
    Problems (unknown ids, unreadable directives, unused ones) are findings of their own rules;
    the caller drops those of rules that are off."""
    from manifestlint.suppress import OTHER_TOOLS, other_tools_map

    known = _known_selector(registry)
    mapping = other_tools_map(registry) if config.other_tools_suppressions else {}
    markers = ("manifestlint", *OTHER_TOOLS) if mapping else ("manifestlint",)
    by_path: dict[str, Any] = {}
    for pf in parsed:
        if not pf.text or not any(marker in pf.text for marker in markers):
            continue
        from manifestlint.suppress import dockerfile_suppressions, yaml_suppressions

        lines = pf.text.splitlines()
        if pf.dockerfile is not None:
            spans = [ins.span for ins in pf.dockerfile.instructions]
            sup = dockerfile_suppressions(pf.source.path, lines, spans, known, mapping)
        else:
            sup = yaml_suppressions(pf.source.path, lines, pf.docs, known, mapping)
        if sup.directives or sup.problems:
            by_path[pf.source.path] = sup
    if not by_path:
        return findings, []
    kept, hidden = [], []
    for f in findings:
        sup = by_path.get(f.path)
        reason = sup.hides(f) if sup is not None else None
        if reason:
            hidden.append(Suppressed(f, "inSource", reason))
        else:
            kept.append(f)
    ran = {r.id for r in rules}
    from manifestlint.config import selector_matches

    def selector_ran(selector: str) -> bool:
        return any(selector.lower() == "all" or selector_matches(selector, rule_id) for rule_id in ran)

    for path, sup in by_path.items():
        for problem in [*sup.problems, *sup.unused(path, selector_ran)]:
            kept.append(replace(problem, severity=registry.get(problem.rule).severity))
    return kept, hidden


def _known_selector(registry: Registry) -> Callable[[str], bool]:
    """A suppression names a rule id, an id prefix as `--select` takes it, or `all`."""
    from manifestlint.config import selector_matches

    ids = [r.id for r in registry]

    def known(selector: str) -> bool:
        return (
            selector in registry
            or selector.lower() == "all"
            or any(selector_matches(selector, i) for i in ids)
        )

    return known


def fingerprint(finding: Finding, path: str | None = None) -> str:
    """Stable under unrelated edits: rule, file (root-relative when given), object identity and
    message — not the line, so a comment added above a finding keeps its fingerprint."""
    import hashlib  # only the json and sarif formats and baselines need fingerprints

    key = "|".join((finding.rule, finding.path if path is None else path, finding.obj, finding.message))
    # surrogatepass: a non-UTF-8 file name (lone surrogates) hashes instead of raising; valid
    # text hashes exactly as before
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def fingerprints(findings: Iterable[Finding], relative: Callable[[str], str] | None = None) -> list[str]:
    """One fingerprint per finding; repeated identical keys get an occurrence suffix."""
    seen: dict[str, int] = {}
    out = []
    for finding in findings:
        base = fingerprint(finding, relative(finding.path) if relative else None)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.append(base if count == 0 else f"{base}:{count}")
    return out


__all__ = ["LintResult", "RuleContext", "active_rules", "fingerprint", "fingerprints", "lint"]
