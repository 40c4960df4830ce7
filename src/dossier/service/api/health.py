"""Liveness and readiness, for load balancers and monitors (no sign-in)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from dossier.archive.catalog import db
from dossier.generation import SHIPPED_TEMPLATES
from dossier.service.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="The process answers")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="The catalog, the index and the templates are usable")
def ready(svc: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with svc.archive.engine.connect() as connection:
            connection.execute(text("select 1"))
        revision = db.current_revision(svc.archive.engine)
        checks["catalog"] = "ok" if revision == db.HEAD else f"at revision {revision}, expected {db.HEAD}"
    except Exception as exc:  # a readiness probe reports, it does not fail
        checks["catalog"] = f"error: {exc}"
    from dossier.search.settings import index_dir, search_settings

    engine = search_settings(svc.config).engine
    checks["index"] = "ok" if index_dir(svc.archive.home, engine).is_dir() else "not built (索引尚未建立)"
    checks["templates"] = "ok" if any(SHIPPED_TEMPLATES.glob("*.docx")) else "missing (模板缺失)"
    checks["watcher"] = (
        "running"
        if svc.watcher_thread is not None and svc.watcher_thread.is_alive()
        else "not in this process"
    )
    ok = all(v == "ok" for k, v in checks.items() if k != "watcher")
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )
