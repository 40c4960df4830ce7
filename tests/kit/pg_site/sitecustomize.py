"""Loaded by every Python process of the PostgreSQL test pass (its folder is put on PYTHONPATH then)."""

import kit.pg_pass

kit.pg_pass.install_from_environment()
