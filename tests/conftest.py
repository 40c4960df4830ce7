"""What every test folder shares: the catalog the run uses, and a PostgreSQL cluster for those that ask.

``pytest`` runs on the embedded default (SQLite). ``pytest --catalog=postgresql`` starts a throwaway
PostgreSQL cluster (kit/postgres.py) and runs the same tests with every archive home's catalog on it
(kit/pg_pass.py); tests marked ``embedded`` are about the SQLite file itself and are left out of that pass.
Tests of the server deployment take the ``postgres`` fixture (a database of their own: ``catalog_url``):
tests/catalog runs in the plain pass; those elsewhere (the job queue, the index replicas) in the PostgreSQL
pass, whose folders hold them, so `make test` runs each once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from kit import pg_pass
from kit.postgres import Cluster, throwaway_cluster

TESTS = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--catalog",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the catalog every archive home of the run uses (postgresql: a throwaway cluster)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "embedded: about the embedded default's SQLite file itself (not run with --catalog=postgresql)",
    )
    if config.getoption("--catalog") != "postgresql":
        return
    cluster = throwaway_cluster("dossier-pg-pass-")
    config.stash[_CLUSTER] = cluster
    _make_template(cluster)
    os.environ[pg_pass.ENV_HOST] = str(cluster.root)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(pg_pass.SITE), str(TESTS), os.environ.get("PYTHONPATH", "")) if p
    )
    pg_pass.install_from_environment()


def _make_template(cluster: Cluster) -> None:
    from dossier.archive.catalog import db
    from dossier.locks import AdvisoryLocks

    cluster.create_database(pg_pass.TEMPLATE)
    engine = db.make_engine(cluster.url(pg_pass.TEMPLATE), db.Pool())
    try:
        db.upgrade(engine, AdvisoryLocks(engine))
    finally:
        engine.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--catalog") != "postgresql":
        # Tests of the server deployment outside tests/catalog (the queue, the replicas) open databases of
        # their own (``catalog_url``), so they mean the same in either pass: `make test` runs them once,
        # in the PostgreSQL pass, which has their folders. tests/catalog is not in that pass: it runs here.
        own = [item for item in items if _server_test_outside_catalog(item)]
        if own:
            config.hook.pytest_deselected(items=own)
            items[:] = [item for item in items if not _server_test_outside_catalog(item)]
        return
    embedded = [item for item in items if item.get_closest_marker("embedded")]
    if embedded:
        config.hook.pytest_deselected(items=embedded)
        items[:] = [item for item in items if not item.get_closest_marker("embedded")]


def _server_test_outside_catalog(item: pytest.Item) -> bool:
    if "catalog_url" not in getattr(item, "fixturenames", ()):
        return False
    return Path(str(item.path)).resolve().relative_to(TESTS).parts[0] != "catalog"


def pytest_unconfigure(config: pytest.Config) -> None:
    cluster = config.stash.get(_CLUSTER, None)
    if cluster is not None:
        cluster.destroy()


_CLUSTER = pytest.StashKey[Cluster]()


@pytest.fixture(scope="session")
def postgres(pytestconfig: pytest.Config) -> Iterator[Cluster]:
    """A running PostgreSQL cluster: the pass's own, or one started for this session."""
    shared = pytestconfig.stash.get(_CLUSTER, None)
    if shared is not None:
        yield shared
        return
    cluster = throwaway_cluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def catalog_url(postgres: Cluster, request: pytest.FixtureRequest) -> str:
    """A new, empty PostgreSQL database of the session's cluster, as ``[catalog].url`` takes it."""
    name = "t_" + pg_pass.database_for(Path(request.node.nodeid))[len(pg_pass.PREFIX) :]
    postgres.drop_database(name)
    postgres.create_database(name)
    return postgres.url(name)
