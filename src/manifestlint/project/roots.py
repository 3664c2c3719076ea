"""Where the project is and which of its files are test data: the project root (the
configuration's folder, else the git root), what SARIF uris are relative to outside one, and
the realm of a file (test data is confined to its test-data folder, project/roles.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from manifestlint.config import Config
from manifestlint.discover import (
    excluded,
    git_root,
    walk_folder,
)
from manifestlint.index import Index
from manifestlint.project.roles import PLAIN, Role, first_test_data_folder, in_test_data

if TYPE_CHECKING:
    from manifestlint.load import ParsedFile


def project_root(config: Config, cwd: Path, paths: list[str]) -> Path | None:
    """The folder whose manifests form the context set: the config file's folder, else the
    git root. None outside both: then the context is just the named paths (walking an
    arbitrary parent folder could read a whole home directory)."""
    if config.root is not None:
        return config.root
    named = [p for p in paths if p != "-"]
    first = Path(os.path.abspath(cwd / named[0])) if named else cwd  # as written: never where a link leads
    return git_root(first if first.is_dir() else first.parent)


def source_root(paths: list[str], cwd: Path) -> Path:
    """What SARIF uris are relative to outside a repository: the folder given (or the named
    file's folder), else the working directory; never an absolute uri under %SRCROOT%."""
    named = [os.path.abspath(cwd / p) for p in paths if p != "-"]
    if not named:
        return cwd
    common = os.path.commonpath(named)
    return Path(common if os.path.isdir(common) else os.path.dirname(common))


def is_test_data(path: Path, root: Path | None) -> bool:
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


def project_files(root: Path, config: Config) -> list[Path]:
    """Every file of the project that may say something about images (build files, Dockerfiles):
    excluded paths and test data left out, like context manifests."""
    return [
        file
        for file in walk_folder(root)
        if not in_test_data(PurePosixPath(file.relative_to(root).as_posix()))
        and not excluded(file, config.exclude, root)
    ]


@dataclass(slots=True)
class Realms:
    """Which files may be judged together. One index per realm: the deployable files (with the
    project's context files, added later) and, apart, each test-data file on its own (test data
    is never context, not even for the test file beside it: what a fixture is judged with never
    depends on which files were named). Rules only ever see the index of their file's realm."""

    roles: dict[int, Role]  # id(parsed file) -> its realm role
    realm: dict[int, str]  # id(parsed file) -> "" (the deployable files) or its own realm
    indexes: dict[str, Index]  # realm -> index, the deployable files' realm ("") included

    @property
    def main(self) -> Index:
        return self.indexes[""]

    def of(self, pf: ParsedFile) -> str:
        return self.realm[id(pf)]


def realms_of(parsed: list[ParsedFile], base: Path, cwd: Path) -> Realms:
    """The realm of every named file and an index per realm (`base`: the project root, or
    outside a project the named folder: test data is decided below it)."""
    roles = {id(pf): realm_role(pf.source.abspath, base) for pf in parsed}
    realm = {
        id(pf): f"{roles[id(pf)].realm}/{pf.source.path}" if roles[id(pf)].realm else "" for pf in parsed
    }
    indexes: dict[str, Index] = {}
    for pf in parsed:
        index = indexes.setdefault(realm[id(pf)], Index(base=str(cwd)))
        index.report_paths.add(pf.source.path)
        index.add(pf.docs)
    indexes.setdefault("", Index(base=str(cwd)))
    return Realms(roles, realm, indexes)
