"""The arrows of ARCHITECTURE.md, checked on the source: who may import whom."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports_of(package_dir: Path) -> dict[Path, set[str]]:
    found: dict[Path, set[str]] = {}
    for path in package_dir.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[path] = names
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    base = ROOT / "src" / package if (ROOT / "src" / package).exists() else ROOT / package
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path, names in imports_of(base).items()
        for name in sorted(names)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_indexer_never_imports_dossier():
    assert offenders("indexer", ("dossier",)) == []


FACES = ("dossier.cli", "dossier.service")
"""The faces: the command line, and the service (API and web pages)."""


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        (
            "dossier/domain",
            (
                "dossier.finance",
                "dossier.kinds",
                "dossier.render",
                "dossier.archive",
                *FACES,
                "dossier.search",
                "dossier.inbox",
            ),
        ),
        ("dossier/finance", ("dossier.kinds", "dossier.render", "dossier.archive", *FACES)),
        (
            "dossier/archive",
            (*FACES, "dossier.verification", "dossier.ledger", "dossier.access", "dossier.process"),
        ),
        ("dossier/search", (*FACES, "dossier.inbox")),
        ("dossier/inbox", FACES),
        ("dossier/kinds", (*FACES, "dossier.archive")),
        ("dossier/render", (*FACES, "dossier.archive", "dossier.kinds")),
        ("dossier/generation", FACES),
        ("dossier/access", FACES),
        ("dossier/ledger", FACES),
        ("dossier/verification", FACES),
        ("dossier/process", (*FACES, "dossier.verification", "dossier.search", "dossier.inbox")),
        ("dossier/service", ("dossier.cli",)),
    ],
)
def test_the_core_never_imports_a_face_or_a_later_layer(package, forbidden):
    assert offenders(package, forbidden) == []


# -- no cycles --------------------------------------------------------------------------------------------

SIDEWAYS_READS: dict[tuple[str, str], str] = {
    ("dossier.kinds.collection_report", "dossier.ledger.settings"): (
        "the limitation-period rule has one home, [ledger]"
    ),
    ("dossier.kinds.collection_report", "dossier.ledger.workdays"): (
        "a limitation period ends on the workday [ledger] says"
    ),
    ("dossier.cli.demo", "dossier.cli.app"): "the demo drives the same commands a person types",
}
"""Imports that run against an arrow, each named with its reason; every other import must point one way."""

KNOWN_CYCLES: set[frozenset[str]] = set()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import that can run, wherever it is (functions too); names imported only for type checking
    never run, so they make no cycle."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def module_graph() -> dict[str, set[str]]:
    """``dossier`` module → the ``dossier`` modules it imports (``from pkg import mod`` names ``mod``)."""
    src = ROOT / "src"
    files: dict[str, tuple[Path, bool]] = {}
    for path in (src / "dossier").rglob("*.py"):
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        files[".".join(parts[:-1] if is_package else parts)] = (path, is_package)

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, (path, is_package) in files.items():
        package = module if is_package else module.rpartition(".")[0]
        targets: set[str] = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
        graph[module] = {r for t in targets if (r := resolve(t)) is not None and r != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_cycles(graph: dict[str, set[str]]) -> list[str]:
    """At every package, its modules and subpackages as nodes (each standing for everything under it):
    an import edge between two of them, either way round, is a cycle."""
    packages = {m for m in graph if any(other.startswith(m + ".") for other in graph)}
    found: list[str] = []
    for parent in sorted(packages):
        depth = parent.count(".") + 1

        def child(module: str, parent: str = parent, depth: int = depth) -> str | None:
            return ".".join(module.split(".")[: depth + 1]) if module.startswith(parent + ".") else None

        level: dict[str, set[str]] = {}
        for module, targets in graph.items():
            source = child(module)
            if source is None:
                continue
            for target in targets:
                sink = child(target)
                if sink is not None and sink != source and (module, target) not in SIDEWAYS_READS:
                    level.setdefault(source, set()).add(sink)
        for component in cycles(level):
            if frozenset(component) not in KNOWN_CYCLES:
                edges = sorted(
                    f"{module} → {target}"
                    for module, targets in graph.items()
                    for target in targets
                    if child(module) in component
                    and child(target) in component
                    and child(module) != child(target)
                    and (module, target) not in SIDEWAYS_READS
                )
                found.append(f"{' ↔ '.join(sorted(component))}: {'; '.join(edges)}")
    return found


def test_no_package_imports_in_a_cycle():
    assert package_cycles(module_graph()) == []


def test_the_cycle_check_sees_imports_inside_functions_and_resolves_modules():
    graph = module_graph()
    # A function-level import (demo.run → cli.app) and a ``from package import module`` both count.
    assert "dossier.cli.app" in graph["dossier.cli.demo"]
    assert "dossier.ledger.report.charts" in graph["dossier.ledger.report"]
    made_up = {**graph, "dossier.ledger.due": graph["dossier.ledger.due"] | {"dossier.kinds.registry"}}
    made_up["dossier.kinds.base"] = made_up["dossier.kinds.base"] | {"dossier.ledger.due"}
    assert any("dossier.kinds ↔ dossier.ledger" in line for line in package_cycles(made_up))


def test_every_sideways_read_is_still_there():
    # A listed exception that no longer exists would excuse the next import that takes its place.
    graph = module_graph()
    assert [edge for edge in SIDEWAYS_READS if edge[1] not in graph.get(edge[0], set())] == []
