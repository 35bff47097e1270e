"""The house's imports point one way: only omnistock/ imports omnistock, core imports none of the
project, no modules of the project import each other in a circle; omnistock/ takes topic names from
the catalog."""

import ast
from collections.abc import Iterator
from pathlib import Path

from topics.catalog import TOPICS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "topics", "state", "streams", "api", "omnistock")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def _imported(name: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """Every project module that `name` imports, at any depth of the file (lazy imports count too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".strip(".")
            # `from package import module` imports the module; `from module import name`, the module.
            named = [f"{base}.{alias.name}" for alias in node.names]
            targets = [module if module in modules else base for module in named]
        else:
            continue
        yield from (target for target in targets if target.split(".")[0] in PACKAGES)


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: set(_imported(name, path, modules)) - {name} for name, path in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_nothing_outside_omnistock_imports_omnistock():
    arrows_back_up = sorted(
        f"{module} -> {target}"
        for module, targets in _import_graph().items()
        if module.split(".")[0] != "omnistock"
        for target in targets
        if target.split(".")[0] == "omnistock"
    )
    assert arrows_back_up == []


def test_core_imports_nothing_of_the_rest_of_the_project():
    arrows_out_of_core = sorted(
        f"{module} -> {target}"
        for module, targets in _import_graph().items()
        if module.split(".")[0] == "core"
        for target in targets
        if target.split(".")[0] != "core"
    )
    assert arrows_out_of_core == []


def test_no_modules_of_the_project_import_each_other_in_a_circle():
    assert _circles(_import_graph()) == []


def test_the_circle_finder_sees_a_circle_of_three_and_not_a_chain():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _circles(graph) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_graph_sees_the_wiring_import_the_streams_app():
    assert "streams.app" in _import_graph()["omnistock.wiring.worker"]


def _topic_literals(path: Path, names: set[str]) -> Iterator[str]:
    """String constants in the code (docstrings and f-string text aside) that spell a topic's name."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in names and id(node) not in docstrings:
            yield f"{path.relative_to(ROOT)}:{node.lineno} {node.value}"


def test_omnistock_spells_no_topic_name_the_catalog_spells():
    names = set(TOPICS)
    spelled = [
        hit for path in sorted((ROOT / "omnistock").rglob("*.py")) for hit in _topic_literals(path, names)
    ]
    assert spelled == []
