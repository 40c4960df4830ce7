"""Loaded by every Python process of the PostgreSQL test pass (its folder is put on PYTHONPATH then).

kit/pg_pass.py is loaded by its path, not as ``kit.pg_pass``: importing the ``kit`` package would load
dossier and its dependencies into every process, which the start-up tests would rightly notice.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_dossier_pg_pass", Path(__file__).resolve().parent.parent / "pg_pass.py"
)
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
_module.install_from_environment()
