"""Documents by real path for the cross-file rules (named files, parsed context files,
cached ones rebuilt on first use), and the index of the whole project built on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from manifestlint.index import Index
from manifestlint.load import ParsedFile
from manifestlint.model import YamlDoc
from manifestlint.project import context as project_context
from manifestlint.project.context_files import ContextFile
from manifestlint.project.links import Links, links_of


class ContextDocs:
    """Documents by real path for the cross-file rules: named and parsed context files at
    hand, cached ones rebuilt from the cache on first use (only the bundles that run ask)."""

    def __init__(
        self,
        named: list[ParsedFile],
        context: list[ContextFile],
        store: Any,
        lazy: dict[Path, Callable[[], ContextFile]] | None = None,
    ) -> None:
        self.docs: dict[Path, list[YamlDoc]] = {}
        self.cached: dict[Path, ContextFile] = {}
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

    def know(self, cf: ContextFile) -> None:
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


def whole_project(
    main_index: Index,
    parsed: list[ParsedFile],
    realms: dict[int, str],
    every_context: Callable[[], list[ContextFile]],
    docs: ContextDocs,
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
