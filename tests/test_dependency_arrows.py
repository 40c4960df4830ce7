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
        ("dossier/archive", (*FACES, "dossier.verification", "dossier.ledger", "dossier.access")),
        ("dossier/search", (*FACES, "dossier.inbox")),
        ("dossier/inbox", FACES),
        ("dossier/kinds", (*FACES, "dossier.archive")),
        ("dossier/render", (*FACES, "dossier.archive", "dossier.kinds")),
        ("dossier/access", FACES),
        ("dossier/ledger", FACES),
        ("dossier/verification", FACES),
        ("dossier/service", ("dossier.cli",)),
    ],
)
def test_the_core_never_imports_a_face_or_a_later_layer(package, forbidden):
    assert offenders(package, forbidden) == []
