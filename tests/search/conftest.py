"""Fixtures for the search tests: archive homes built with searchkit, for both engines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kit.catalog import copy_home
from searchkit import ENGINES, Home, fill, write_config


@pytest.fixture(scope="session", params=ENGINES)
def filled_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """One home per engine, shared by the read-only tests (searches only add audit events)."""
    base = tmp_path_factory.mktemp(f"search-{request.param}")
    home = Home(base / "home", write_config(base / "dossier.toml", request.param), request.param)
    fill(home, base / "inputs")
    return home


@pytest.fixture(scope="session")
def unindexed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A filled home nothing has searched yet (so it has no index): copied by ``fresh_home``."""
    base = tmp_path_factory.mktemp("search-template")
    home = Home(base / "home", write_config(base / "dossier.toml", "tantivy"), "tantivy")
    fill(home, base / "inputs")
    # generate and ingest index what they file; this template is the state before any indexing ran.
    shutil.rmtree(home.path / ".dossier" / "index")
    shutil.rmtree(home.path / ".dossier" / "text")
    return home.path


@pytest.fixture(params=ENGINES)
def fresh_home(request: pytest.FixtureRequest, tmp_path: Path, unindexed_template: Path) -> Home:
    """A home of its own (for tests that rebuild or break things), per engine."""
    copy_home(unindexed_template, tmp_path / "home")
    return Home(tmp_path / "home", write_config(tmp_path / "dossier.toml", request.param), request.param)
