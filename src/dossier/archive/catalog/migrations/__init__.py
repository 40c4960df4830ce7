"""Alembic migrations of the catalog, shipped with the package and run by ``db.upgrade``."""
