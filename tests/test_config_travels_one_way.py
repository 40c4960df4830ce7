"""Configuration travels one way: the faces (cli/, service/) resolve it once and pass it down; the core
requires it and never falls back to the defaults or reads the environment."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from dossier.cli.app import main
from dossier.config import ENV_CONFIG

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "dossier"
FACES = (PACKAGE / "cli", PACKAGE / "service")
RESOLVER = PACKAGE / "config.py"
"""The one module that reads a bank's file; it names the variable, and the faces read it."""


def core_modules() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if not any(path.is_relative_to(face) for face in FACES) and path != RESOLVER
    ]


def _mentions_config(annotation: ast.expr | None) -> bool:
    if annotation is None:
        return False
    text = ast.unparse(annotation)
    return "Config" in text.replace("ConfigDict", "").replace("AlembicConfig", "")


def _defaulted_config_parameters(tree: ast.AST) -> list[tuple[int, str, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = node.args
        positional = args.posonlyargs + args.args
        with_default = list(
            zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
        )
        with_default += [
            (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
        ]
        for arg, _ in with_default:
            if _mentions_config(arg.annotation) or arg.arg == "config":
                found.append((node.lineno, node.name, arg.arg))
    return found


def test_no_core_function_defaults_its_configuration() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {name}({arg}=...)"
        for path in core_modules()
        for line, name, arg in _defaulted_config_parameters(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_the_core_never_reads_the_configuration_from_the_environment() -> None:
    banned = {"default_config", "config_path_from_environment", "ENV_CONFIG"}
    offenders = []
    for path in core_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr
                if isinstance(node, ast.Attribute)
                else None
            )
            if name in banned:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
            if isinstance(node, ast.Constant) and node.value == ENV_CONFIG:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert offenders == []


def _loads_a_configuration(tree: ast.AST) -> list[int]:
    """Lines calling ``load_config``: in the core, that is a fall-back to the shipped defaults (or a
    second resolver), whatever the arguments."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "load_config")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "load_config")
        )
    ]


def test_the_core_never_loads_a_configuration_of_its_own() -> None:
    # E.g. pydantic validation without a config in its context once fell back to load_config(None).
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in core_modules()
        for line in _loads_a_configuration(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_the_guard_sees_a_configuration_loaded_in_the_core() -> None:
    tree = ast.parse("def rule(info):\n    return config.load_config(None) or load_config()\n")
    assert _loads_a_configuration(tree) == [2, 2]


def test_the_guard_sees_a_defaulted_configuration() -> None:
    tree = ast.parse("def rule(x: int, *, config: Config | None = None) -> int: ...")
    assert _defaulted_config_parameters(tree) == [(1, "rule", "config")]


INTEREST = ["calc", "interest", "--principal", "36000", "--rate", "10", "--from", "2024-01-01"]
INTEREST += ["--to", "2024-01-31"]


def test_config_reaches_the_rules_through_the_context_not_the_environment(tmp_path: Path, capsys) -> None:
    bank = tmp_path / "bank.toml"
    bank.write_text("[interest]\nday_basis = 365\n", encoding="utf-8")
    before = os.environ.get(ENV_CONFIG)
    assert main(["--config", str(bank), *INTEREST]) == 0
    assert "295.89" in capsys.readouterr().out  # 36,000 × 10 % × 30 / 365
    assert os.environ.get(ENV_CONFIG) == before  # the face never writes the variable
    assert main(INTEREST) == 0
    assert "300.00" in capsys.readouterr().out  # the next invocation is back on the shipped 360 days
