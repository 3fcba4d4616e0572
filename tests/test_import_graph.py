"""No import cycles between the modules of app/, read from their source.

Every import counts: at the top, inside functions (the lazy imports that keep start-up fast) and
under `if TYPE_CHECKING:`. A cycle through any of them means two modules each need the other to
be read, which is how the feed's model and view ended up calling into each other (#16).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(APP.rglob("*.py"))}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The app modules `name` imports, wherever in the file the import statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def add(target: str) -> None:
        # the most specific app module a dotted name refers to (`app.x.Class` -> `app.x`)
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "app":
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base = ".".join(base_parts[: len(base_parts) - (node.level - 1)])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            if source.split(".")[0] != "app":
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                add(submodule if submodule in modules else source)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = app_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def strongly_connected(graph: dict[str, set[str]]) -> Iterator[set[str]]:
    """Tarjan's components with more than one module (a module importing itself is skipped)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[set[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                yield from visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                yield component

    for node in sorted(graph):
        if node not in index:
            yield from visit(node)


def one_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest import path from the component's first module back to itself."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & component):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle in {sorted(component)}")


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    # a lazy import inside a method, and one under TYPE_CHECKING
    assert "app.ui.feed_delegate" in graph["app.ui.feed_view"]
    assert "app.ui.feed_view" in graph["app.ui.main_window"]
    # `from app.ui.feed_text import ...` names a module; `from app import X` names the package
    assert "app.ui.feed_text" in graph["app.ui.feed_model"]
    assert "app" in graph["app.ui.main_window"]


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles = list(strongly_connected(graph))
    described = "\n".join(" -> ".join(one_cycle(graph, c)) for c in cycles)
    assert not cycles, f"import cycles:\n{described}"


def test_a_cycle_is_found_and_named() -> None:
    # The check itself can fail: a made-up graph with one loop beside a plain chain.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    cycles = list(strongly_connected(graph))
    assert [sorted(c) for c in cycles] == [["a", "b", "c"]]
    assert one_cycle(graph, cycles[0]) == ["a", "b", "c", "a"]
