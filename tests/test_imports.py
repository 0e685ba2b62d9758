"""The import graph of analysis/: a lower layer never imports a higher one, so no two modules import each other.

Every ``import`` and ``from ... import`` of every module under analysis/ counts, also those inside
functions (a lazy import is still a dependency). Edges go to the module named: ``from analysis
import figures`` is an edge to ``analysis.figures`` (the package), ``from analysis.figures.common
import x`` one to ``analysis.figures.common``.
"""
from __future__ import annotations

import ast
from pathlib import Path

from analysis import paths



def module_name(path: Path, top: Path) -> str:
    """Dotted name of *path*, a file of the package folder *top*."""
    parts = path.relative_to(top.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = paths.ANALYSIS_DIR) -> dict[str, set[str]]:
    """module -> the analysis modules it imports (anywhere in its code)."""
    files = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative import
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.add(submodule if submodule in files else base)
        graph[name] = {target for target in targets if target in files and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
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
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_in_analysis():
    found = [sorted(cycle) for cycle in cycles(import_graph())]
    assert found == [], f"import cycles between modules of analysis/: {found}"


def test_report_does_not_import_the_figures():
    graph = import_graph()
    assert not {name for name in graph["analysis.report"] if name.startswith("analysis.figures")}
    assert "analysis.report" in graph["analysis.figures.common"]  # the figures use the report's number formats


def test_the_cycle_finder_finds_a_cycle_of_three_and_ignores_a_chain():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert cycles(graph) == [frozenset({"a", "b", "c"})]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_lazy_imports_inside_functions(tmp_path):
    package = tmp_path / "analysis"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from analysis import high\n")
    (package / "high.py").write_text("from analysis.low import f\n")
    (package / "sub" / "__init__.py").write_text("from . import leaf\n")
    (package / "sub" / "leaf.py").write_text("import analysis.low\n")
    graph = import_graph(package)
    assert graph == {"analysis": set(), "analysis.low": {"analysis.high"}, "analysis.high": {"analysis.low"},
                     "analysis.sub": {"analysis.sub.leaf"}, "analysis.sub.leaf": {"analysis.low"}}
    assert cycles(graph) == [frozenset({"analysis.low", "analysis.high"})]
