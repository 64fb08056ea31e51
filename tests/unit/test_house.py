"""The shape of the house (issue 9): dependencies point one way, modules stay short, the web reaches
the engine only through its socket client and the pure prompt catalogue.

Imports are read from the source with `ast`, TYPE_CHECKING blocks and function-level imports
included: an import that only a type checker follows still ties two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("firmware", "webui")
LONGEST_MODULE = 500
# The only firmware.engine module the web may import: the socket client (the pure prompt catalogue lives
# outside the engine, in firmware.prompts).
WEB_MAY_IMPORT_FROM_ENGINE = ("firmware.engine.client",)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports, resolved to modules (a `from package import module` names
    the module; a `from module import function` names the module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    graph = {name: imports_of(name, path, known) for name, path in found.items()}
    # `from package import submodule` is an edge to the submodule only: counting the package's
    # __init__ too would make every re-exporting package look like a circle with its own modules.
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
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
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_finds_a_circle_and_resolves_relative_imports(tmp_path):
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    source = "from . import client\nfrom ..acd import core\nif TYPE_CHECKING:\n    from firmware.store.db import connect\n"
    tree_path = tmp_path / "x.py"
    tree_path.write_text(source)
    known = {"firmware.engine.client", "firmware.acd.core", "firmware.store.db", "firmware.engine", "firmware.acd"}
    got = imports_of("firmware.engine.x", tree_path, known)
    assert got == {"firmware.engine.client", "firmware.acd.core", "firmware.store.db"}


def test_no_import_circle_among_the_modules_of_firmware_and_webui():
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("folder", ["firmware/engine", "webui"])
def test_no_module_is_over_about_500_lines(folder):
    long = {str(p.relative_to(ROOT)): n for p in sorted((ROOT / folder).rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > LONGEST_MODULE}
    assert long == {}


def test_the_web_reaches_the_engine_only_through_its_client():
    graph = import_graph()
    reached = {(name, target) for name, targets in graph.items() if name.startswith("webui")
               for target in targets if target.startswith("firmware.engine")
               and not target.startswith(WEB_MAY_IMPORT_FROM_ENGINE)}
    assert reached == set()
