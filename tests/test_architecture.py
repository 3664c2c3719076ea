"""The rooms stay tidy (docs/architecture.md): no import cycle between the modules of
src/manifestlint, engine.py reads as the pipeline, rule files and functions stay small.

Imports are read statically with `ast`, every `import` statement counted wherever it is:
at module level and inside functions alike. A function-level import is how this code base
defers an expensive module until a call needs it (a one-file call imports a few packs), not a
way around a cycle: a cycle through a deferred import is still two modules that each need the
other, and it breaks as soon as someone moves the import to the top. Imports under
`if TYPE_CHECKING:` are left out: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "manifestlint"
RULES = PACKAGE / "rules"

MAX_ENGINE_LINES = 400
MAX_RULE_FILE_LINES = 600
MAX_FUNCTION_LINES = 100


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of the package that `module` imports (a name imported from a package that
    is itself a module counts as that module; importing a submodule imports its parents too,
    but a package importing its own submodules is not a dependency back)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)
               for n in ast.walk(node) if n is not node and n not in node.orelse}  # fmt: skip
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module and not module.startswith(target + "."):
                out.add(target)
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    known = _modules()
    graph = {name: _imported(name, path, known) for name, path in known.items()}
    assert graph["manifestlint.engine"], "the import walk found nothing: it is broken"
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            out.append((f"{path.relative_to(SRC)}:{node.lineno} {node.name}", node.end_lineno - start + 1))
    return out


def test_engine_reads_as_the_pipeline() -> None:
    lines = len((PACKAGE / "engine.py").read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_ENGINE_LINES, f"engine.py has {lines} lines: move the work into the stage's module"


def test_rule_files_stay_small() -> None:
    big = {
        str(path.relative_to(SRC)): n
        for path in sorted(RULES.rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_RULE_FILE_LINES
    }
    assert big == {}, "split these by topic (docs/architecture.md)"


def test_no_function_over_the_limit() -> None:
    long = [
        f"{where}: {n} lines"
        for path in sorted(PACKAGE.rglob("*.py"))
        for where, n in _functions(path)
        if n > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_every_topic_has_its_metadata_file() -> None:
    """A rule module `rules/<domain>/<topic>.py` has its metadata in `rules/<domain>/<topic>.yaml`
    (top level), and every metadata file names a module of that name."""
    from manifestlint.registry import function_index

    data = PACKAGE.parents[1] / "rules"
    modules = {module for _, module, _ in function_index().values()}
    topics = {m.removeprefix("manifestlint.rules.").replace(".", "/") for m in modules}
    for topic in topics:
        assert (data / f"{topic}.yaml").is_file(), f"rules/{topic}.yaml missing for {topic}.py"
    yaml_topics = {p.relative_to(data).with_suffix("").as_posix() for p in data.rglob("*.yaml")}
    engine_only = {"manifestlint", "syntax"}  # rules the engine emits itself (registry.ENGINE_RULES)
    assert yaml_topics - engine_only == topics
