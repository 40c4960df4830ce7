"""Liveness and readiness, for load balancers and monitors (no sign-in)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from dossier.archive.catalog.probe import SchemaState, probe
from dossier.errors import DossierError
from dossier.generation import SHIPPED_TEMPLATES
from dossier.service.deps import ServicesDep

if TYPE_CHECKING:
    from dossier.search.search_index import SearchIndex

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])

CATALOG_NOT_READY = {
    SchemaState.UNREACHABLE: "unreachable (目录数据库无法连接)",
    SchemaState.BEHIND: "behind this node's schema (目录数据库结构版本较旧): run `dossier catalog upgrade`",
    SchemaState.AHEAD: "ahead of this node's schema (目录数据库结构版本较新): this node refuses to write, "
    "upgrade it",
    SchemaState.EMPTY: "no schema (目录数据库为空)",
}


@router.get("/health", summary="The process answers")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="The catalog, the index and the templates are usable")
def ready(svc: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    # Read-only: the probe never takes the catalog writer lock, so polling it never waits behind a filing.
    catalog = probe(svc.archive.engine)
    if catalog.state is SchemaState.UNREACHABLE:
        # The cause stays in the log: this endpoint needs no sign-in, and a driver's message names hosts.
        log.warning("readiness: the catalog is unreachable: %s", catalog.error)
    checks["catalog"] = "ok" if catalog.ready else CATALOG_NOT_READY[catalog.state]
    index = svc.search_index()
    checks["index"] = "ok" if index.place.path.is_dir() else "not built (索引尚未建立)"
    lag = _index_lag(index) if catalog.ready else None
    checks["templates"] = "ok" if any(SHIPPED_TEMPLATES.glob("*.docx")) else "missing (模板缺失)"
    checks["watcher"] = (
        "running"
        if svc.watcher_thread is not None and svc.watcher_thread.is_alive()
        else "not in this process"
    )
    ok = all(v == "ok" for k, v in checks.items() if k != "watcher")
    migration = {
        "backend": catalog.backend,
        "reachable": catalog.reachable,
        "state": catalog.state.value,
        "revision": catalog.revision,
        "head": catalog.head,
    }
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks, "catalog": migration, "index": lag},
        status_code=200 if ok else 503,
    )


def _index_lag(index: SearchIndex) -> dict[str, Any] | None:
    """This node's replica against the catalog's change log: applied seq, head seq, entries and seconds
    behind, and the registered nodes (None if the catalog could not say)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return index.lag().as_json()
    except (SQLAlchemyError, DossierError) as exc:
        log.warning("readiness: the index lag could not be read: %s", exc)
        return None
