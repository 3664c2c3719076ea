"""The pipeline: discover -> read -> model -> per-file rules -> project rules -> suppress -> report.

Each stage is a call into the module that owns it:

- discover (discover.py): the files named and the folders walked, with why each is skipped;
- read (load.py): each file read, decoded, parsed and classified; bad input becomes findings;
- model (project/): the project root, the realm of each file (test data apart), the context
  files (through the context cache and warm models), the project model (bundles, roles,
  kustomize views), image roles; schema validation corrects misspelt fields (schema/);
- per-file rules (runner.py): the rules of each file's scope, each crash a finding;
- project rules (project/crossfile.py): cross-file rules per bundle, the alerting as a whole,
  dangling references confirmed against the whole project; then one finding per problem
  (report.py) and severities by the evidence of a file's role (project/evidence.py: examples,
  tutorials, node agents);
- suppress (suppress.py): inline directives and annotations, and their own problems;
- report (report.py): findings of the rules that ran, sorted and capped, as a `LintResult`.

The engine owns no decision of its own, so that rules stay pure functions of the model. Bad
input never stops a run: unreadable files and syntax errors become findings.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from manifestlint import schema, suppress
from manifestlint.config import Config
from manifestlint.discover import discover
from manifestlint.listing import Entry, listed, listing_role
from manifestlint.load import ParsedFile, read_source, read_stdin
from manifestlint.project import context as project_context
from manifestlint.project import crossfile
from manifestlint.project.evidence import by_evidence
from manifestlint.project.reading import image_project, read_project, whole_model
from manifestlint.project.roots import project_root, realms_of, source_root
from manifestlint.registry import Registry
from manifestlint.report import LintResult, fingerprint, fingerprints, finish, one_per_problem, superseded
from manifestlint.runner import RuleContext, active_rules, lint_files, rule_contexts, with_functions
from manifestlint.suppress import Suppressed

RECURSION_LIMIT = 6000  # see lint(): documents nest up to 1,000 levels


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
    collecting = gc.isenabled()
    gc.disable()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, RECURSION_LIMIT))
    project_context.remember_real_paths(True)
    try:
        try:
            return _lint(paths, registry, config, cwd, forced_type, stdin, use_context, use_cache)
        except Exception as exc:
            if not _cache_invalid(exc):
                raise
            try:  # rebuilt from the files
                return _lint(
                    paths, registry, config, cwd, forced_type, stdin, use_context, use_cache, fresh=True
                )
            except Exception as again:
                if not _cache_invalid(again):
                    raise
                # what this version writes it cannot read back: a bug, never a crash
                return _lint(paths, registry, config, cwd, forced_type, stdin, use_context, False)
    finally:
        project_context.remember_real_paths(False)
        sys.setrecursionlimit(limit)
        if collecting:
            gc.enable()


def _cache_invalid(exc: Exception) -> bool:
    """Whether `exc` is the context cache's CacheInvalid. Only a call that imported the cache
    can raise it, so a call that reads no cache (one file outside a repository, --no-cache)
    never imports project/cache.py (and tempfile, shutil, bz2, lzma with it) to find out."""
    cache = sys.modules.get("manifestlint.project.cache")
    return cache is not None and isinstance(exc, cache.CacheInvalid)


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
    # discover -> read
    listing: list[Entry] = []
    sources = discover(
        [p for p in paths if p != "-"], cwd, forced_type, config.exclude, config.root,
        include_test_data=config.include_test_data, listing=listing, force_include=config.force_include,
    )  # fmt: skip
    parsed: list[ParsedFile] = [read_source(s, registry) for s in sources]
    if stdin is not None:
        parsed.append(read_stdin(stdin, cwd, forced_type, registry))

    # model: realms (test data apart), the project's context and model, per-object views
    root = project_root(config, cwd, paths)
    base = root or source_root(paths, cwd)
    realms = realms_of(parsed, base, cwd)
    project = read_project(
        root, base, parsed, realms, sources, registry, config, cwd, rules, use_context, use_cache, fresh,
        stdin is not None,
    )  # fmt: skip
    raw_docs = project_context.apply_views(project.model, [pf for pf in parsed if pf.dockerfile is None])
    schema.prepare(rules, parsed, realms, config)  # before every other rule: typos corrected
    images = image_project(project, realms, registry, config, cwd, use_context)

    # per-file rules, then project rules (cross-file)
    rules = with_functions(rules, registry, parsed, list(realms.indexes.values()), project.cached_facts())
    dockerfiles = [pf.dockerfile for pf in parsed if pf.dockerfile is not None]
    contexts = rule_contexts(rules, config, realms.indexes, images, dockerfiles)
    findings = lint_files(parsed, rules, contexts, realms.of, project.model)
    findings += crossfile.run(rules, contexts, project, parsed, raw_docs, realms.indexes, str(cwd))
    findings = superseded(one_per_problem(findings))
    findings = by_evidence(  # examples, tutorials, node agents; the platform (OpenShift SCCs)
        findings,
        parsed,
        base,
        config,
        lambda: realms.main.objects if project.read else images.objects(),
        project_context.deploy_units(lambda: whole_model(project, base, parsed, registry, config, cwd), cwd),
    )

    # suppress -> report
    findings, hidden = suppress.apply(findings, parsed, registry, config, rules)
    listing.extend(listed(pf, listing_role(pf, realms.roles[id(pf)], images, base)) for pf in parsed)
    project.save()
    result_root = project.root or source_root(paths, cwd)
    return finish(findings, hidden, rules, parsed, listing, result_root, cwd, project.model, realms.main)


__all__ = [
    "LintResult", "RuleContext", "Suppressed", "active_rules", "fingerprint", "fingerprints", "lint",
]  # fmt: skip
