"""Are a named file's findings the same when cross-file rules read only the bundle files it
relates to (project/links.py) as when they read the whole bundle?

Names each YAML file of a project alone (the rest of the project as context, through a warm
context cache in a temporary folder), twice with `crossfile.RELEVANCE` on (the second call
answered by the first's warm model when the files are older than the cache's racy window,
the saved relations then deciding) and once off, and
prints every file whose findings differ. Exit 1 when one does. A dev-time check on real
repositories (tests/test_relevance.py runs it on the corpus):

    PYTHONPATH=src python scripts/check_relevance.py ROOT [--sample N] [--seed S] [--uncached]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from manifestlint import engine
from manifestlint.config import Config, load_config
from manifestlint.discover import walk_folder
from manifestlint.project import crossfile
from manifestlint.project.roots import project_root
from manifestlint.registry import load_registry


def keys(result: engine.LintResult) -> list[tuple]:
    return [(f.rule, f.path, f.span, f.message, f.obj, f.doc, f.related) for f in result.findings]


def candidates(root: Path, under: str = "") -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in walk_folder(root / under if under else root)
        if p.suffix.lower() in (".yaml", ".yml") and ".manifestlint_cache" not in p.parts
    )


def compare(
    root: Path, names: list[str], cache: Path, uncached: bool = False
) -> list[tuple[str, list[tuple], list[tuple]]]:
    """(name, findings with the filter, findings without) of each name whose two differ;
    with `uncached`, also each name whose findings differ from a call without the cache."""
    registry = load_registry()
    config = load_config(None, root, registry)
    if project_root(config, root, names[:1]) is None:  # the corpus: its folder is the root
        config = Config(path=root / ".manifestlint.yaml")
    config.cache_dir = str(cache)
    bad = []
    for name in names:
        crossfile.RELEVANCE = True
        try:
            # the first call builds the warm model (when the files are old enough), the second
            # reads the bundle's relations from it
            first = keys(engine.lint([name], registry, config, root, use_cache=True))
            on = keys(engine.lint([name], registry, config, root, use_cache=True))
            crossfile.RELEVANCE = False
            off = keys(engine.lint([name], registry, config, root, use_cache=True))
        finally:
            crossfile.RELEVANCE = True
        if uncached:
            plain = keys(engine.lint([name], registry, config, root, use_cache=False))
            if plain != off:
                bad.append((name, off, plain))
                continue
        if first != off or on != off:
            bad.append((name, on if first == off else first, off))
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "root", type=Path, help="the project root (its config file's or git work tree's folder)"
    )
    parser.add_argument("--under", default="", help="name only files below this folder of the root")
    parser.add_argument("--sample", type=int, default=0, help="this many files at random (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--uncached", action="store_true", help="also compare with a call without the context cache"
    )
    args = parser.parse_args()
    root = args.root.resolve()
    names = candidates(root, args.under)
    if args.sample and len(names) > args.sample:
        names = sorted(random.Random(args.seed).sample(names, args.sample))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="manifestlint-relevance-") as tmp:
        bad = compare(root, names, Path(tmp) / "cache", args.uncached)
    for name, on, off in bad:
        print(f"DIFFERS {name}")
        for item in sorted(set(off) - set(on)):
            print(f"  only without the filter: {item[:4]}")
        for item in sorted(set(on) - set(off)):
            print(f"  only with the filter:    {item[:4]}")
    print(f"{len(names)} files named alone, {len(bad)} differ ({time.perf_counter() - start:.0f} s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
