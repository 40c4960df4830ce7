"""Finds every kind: each module of ``dossier.kinds`` that defines ``KIND``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from dossier.errors import DossierError
from dossier.kinds.base import Kind


class UnknownKind(DossierError, LookupError):
    pass


@cache
def all_kinds() -> dict[str, Kind]:
    # Cached: the set of modules does not change while the process runs.
    import dossier.kinds as package

    found: dict[str, Kind] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, Kind):
            if kind.name in found:
                raise DossierError(f"two kinds are named {kind.name!r} (文书种类重名)")
            found[kind.name] = kind
    return found


def get_kind(name: str) -> Kind:
    kinds = all_kinds()
    wanted = name.strip()
    for kind in kinds.values():
        if wanted in (kind.name, kind.title):
            return kind
    raise UnknownKind(f"unknown kind {name!r} (未知文书种类); known: {', '.join(kinds)}")
