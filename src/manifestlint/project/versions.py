"""One identity, one object: files of a bundle that define the same object are versions of it.

Two objects with the same kind, namespace and name cannot exist together in one cluster: a
later `kubectl apply` replaces the earlier one. When two files of one folder bundle both
define one (tutorial steps `virtual-service-reviews-v2.yaml` / `-v3.yaml`, a canary and its
rollback, a historical release beside the current one), they are versions, never deployed
together. Cross-file rules must then never compare them with each other (istio-vs-conflicting
counted 21 false findings of 22 on one tutorial repository) nor let one satisfy references
made in the other's file.

This is done once, here, for every cross-file rule: such a bundle is split into *worlds*,
each a consistent state of the cluster holding at most one version of every object. The
files holding versions are coloured greedily in path order (two files defining a same object
never share a colour); each colour is one world, filled up with every other file of the
bundle that redefines nothing already in it. A world reports findings only on its own
colour's files and the files that hold no version (these are in every world: a finding on
them is reported once, from the first world that finds it). Per-object rules are not
concerned: they judge every document as written.

Kustomize trees are left alone (kustomize itself refuses two resources with one identity),
as are single files (two documents of one file are applied in order: the file's business).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from manifestlint.project.facts import NO_FACTS, FileFacts

# A folder with more colours than this (hundreds of copies of one object) is judged file by
# file for its versioned files: precision first, and the cost stays bounded.
MAX_WORLDS = 32


def version_edges(files: list[Path], facts: dict[Path, FileFacts]) -> dict[Path, set[Path]]:
    """File -> the other files of `files` that define one of its objects (same kind and name,
    and the same namespace or one of them without any: the bundle places those alike)."""
    owners: dict[tuple[str, str], list[tuple[str, Path]]] = defaultdict(list)
    for path in files:
        for kind, name, ns in facts.get(path, NO_FACTS).identities:
            owners[(kind, name)].append((ns, path))
    edges: dict[Path, set[Path]] = defaultdict(set)
    for entries in owners.values():
        entries = list(dict.fromkeys(entries))  # one file defining an object 60,000 times: once
        if len(entries) < 2:
            continue
        for i, (ns, path) in enumerate(entries):
            for other_ns, other in entries[i + 1 :]:
                if other != path and (not ns or not other_ns or ns == other_ns):
                    edges[path].add(other)
                    edges[other].add(path)
    return edges


def worlds(files: list[Path], facts: dict[Path, FileFacts]) -> list[tuple[list[Path], set[Path]]] | None:
    """The worlds of a bundle's files as (files of the world, files it reports on), in a stable
    order; None when no object has two versions (the usual case: the bundle stays whole)."""
    edges = version_edges(files, facts)
    if not edges:
        return None
    ordered = sorted(files)
    colours: list[list[Path]] = []
    for path in (p for p in ordered if p in edges):
        for colour in colours:
            if edges[path].isdisjoint(colour):
                colour.append(path)
                break
        else:
            colours.append([path])
    free = [p for p in ordered if p not in edges]
    if len(colours) > MAX_WORLDS:
        return [([p, *free], {p, *free}) for p in ordered if p in edges]
    out = []
    for colour in colours:
        world = list(colour)
        taken: set[Path] = set()
        for path in colour:
            taken |= edges[path]
        for path in ordered:
            if path in edges and path not in colour and path not in taken:
                world.append(path)  # a file of another colour that redefines nothing here
                taken |= edges[path]
        world.extend(free)
        out.append((sorted(world), set(colour) | set(free)))
    return out


def versioned_names(files: list[Path], facts: dict[Path, FileFacts], limit: int = 3) -> list[str]:
    """`Kind name` of a few objects with several versions among `files` (for the listing)."""
    seen: dict[tuple[str, str], set[Path]] = defaultdict(set)
    for path in files:
        for kind, name, _ns in facts.get(path, NO_FACTS).identities:
            seen[(kind, name)].add(path)
    return [f"{kind} {name}" for (kind, name), paths in sorted(seen.items()) if len(paths) > 1][:limit]


__all__ = ["MAX_WORLDS", "version_edges", "versioned_names", "worlds"]
