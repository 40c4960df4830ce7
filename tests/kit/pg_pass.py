"""The PostgreSQL pass: the catalog tests again, each archive home on a database of its own.

``make test`` runs the suite on the embedded default (SQLite), then the folders that touch the catalog
again with ``--catalog=postgresql``. The tests themselves stay as they are: they make archive homes with the
shipped configuration, which names no catalog, and this hook gives each home its own PostgreSQL database
(named after the home's path, made from an empty, migrated template the first time it is opened), in this
process and in every process the tests start (``pg_site/sitecustomize.py`` installs it there). A home
whose configuration names a catalog keeps it. Nothing else changes: the engine, the locks (advisory), the
SQL and every line of dossier run as they run against a server.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ENV_HOST = "DOSSIER_TEST_PG_HOST"
"""The test cluster's socket folder, set for the whole PostgreSQL pass (and inherited by subprocesses)."""
TEMPLATE = "dossier_migrated"
PREFIX = "h_"
SITE = Path(__file__).resolve().parent / "pg_site"

_known: set[str] = set()


def database_for(home: Path) -> str:
    return PREFIX + hashlib.sha1(str(Path(home).absolute()).encode("utf-8")).hexdigest()[:24]


def url_for(host: str, database: str) -> str:
    return f"postgresql+psycopg://postgres@/{database}?host={host}&port=5432"


def ensure_database(host: str, database: str, *, template: str = TEMPLATE) -> None:
    if database in _known:
        return
    import psycopg
    from psycopg import errors

    with psycopg.connect(f"host={host} port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if exists is None:
            try:
                admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}" STRATEGY FILE_COPY')
            except errors.DuplicateDatabase:
                pass  # another process of the same test opened the same home first
    _known.add(database)


def clone_database(host: str, source: Path, target: Path) -> None:
    """The catalog of home ``source`` copied for home ``target`` (a test that copies a home's folder)."""
    import psycopg

    name = database_for(target)
    with psycopg.connect(f"host={host} port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database_for(source),),
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{database_for(source)}" STRATEGY FILE_COPY')
    _known.add(name)


def patch(home_module: ModuleType, host: str) -> None:
    """Give ``Archive._connect`` the home's own database when its configuration names no catalog."""
    archive_class = home_module.Archive
    if getattr(archive_class, "_pg_pass", False):
        return
    original = archive_class._connect.__func__

    def _connect(cls: Any, path: Path, config: Any) -> Any:
        from dossier.config import Config

        catalog = dict(config.raw("catalog"))
        if not catalog.get("url"):
            database = database_for(path)
            ensure_database(host, database)
            catalog["url"] = url_for(host, database)
            config = Config(data={**config.data, "catalog": catalog}, sources=(*config.sources, "pg pass"))
        return original(cls, path, config)

    archive_class._connect = classmethod(_connect)
    archive_class._pg_pass = True


class _AfterImport(importlib.abc.MetaPathFinder):
    """Patches ``dossier.archive.home`` when a subprocess imports it, and costs nothing before."""

    def __init__(self, host: str) -> None:
        self.host = host

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != "dossier.archive.home":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        host = self.host

        class _Loader(importlib.abc.Loader):
            def create_module(self, spec: Any) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: ModuleType) -> None:
                loader.exec_module(module)
                patch(module, host)

        spec.loader = _Loader()
        return spec


def install_from_environment() -> None:
    """Called by ``pg_site/sitecustomize.py`` in every Python process of the pass."""
    host = os.environ.get(ENV_HOST)
    if not host:
        return
    if "dossier.archive.home" in sys.modules:
        patch(sys.modules["dossier.archive.home"], host)
    else:
        sys.meta_path.insert(0, _AfterImport(host))
