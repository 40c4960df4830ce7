"""The application: ``create_app(home)`` builds one service over one archive home."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from dossier import __version__
from dossier.config import Config
from dossier.service import errors, headers
from dossier.service.api import (
    applications,
    audit,
    borrowers,
    completeness,
    custody,
    documents,
    health,
    jobs,
    kinds,
    quarantine,
    search,
    users,
    verifications,
)
from dossier.service.limits import BodyLimits
from dossier.service.params import RefuseNul
from dossier.service.state import Services

API = "/api/v1"

DESCRIPTION = """
dossier 信贷档案服务: generate credit documents, file supporting documents, search the archive,
review completeness and read the audit chain.

Sign in with an API token (`Authorization: Bearer dsr_…`, made by `dossier tokens create`) or HTTP Basic
with a user's password. Field names are English; `*_label` fields carry the Chinese labels.
"""


def create_app(home: Path | str, config: Config, *, watch: bool = False) -> FastAPI:
    """The service over the archive home ``home`` under ``config`` (resolved once by the caller, kept on
    ``app.state.services``); with ``watch`` the inbox watcher runs inside it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.open(Path(home), config)
        app.state.services = services
        if watch:
            services.start_watcher()
        # With the catalog on PostgreSQL this node's index replica follows the change log (LISTEN).
        from dossier.search.log_listener import start_follower

        app.state.index_follower = start_follower(services.search_index())
        try:
            yield
        finally:
            if app.state.index_follower is not None:
                app.state.index_follower.stop()
            services.close()

    app = FastAPI(
        title="dossier",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=f"{API}/openapi.json",
        docs_url=None,  # our own page (web/api_docs.py): Swagger UI would load its scripts from a CDN
        redoc_url=None,
    )
    errors.install(app)
    # Before any route: a NUL in the path, query or a JSON or urlencoded body is a 422, never a value for
    # the catalog (inside the headers' middleware, so the refusal carries them too; inside BodyLimits, so
    # a body read here is counted against its limit).
    app.add_middleware(RefuseNul)
    headers.install(app)

    # Every body is counted as it streams, against its route's limit (service/limits.py).
    app.add_middleware(BodyLimits)

    for module in (
        health,
        kinds,
        documents,
        verifications,
        borrowers,
        search,
        completeness,
        quarantine,
        audit,
        users,
        applications,
        custody,
        jobs,
    ):
        app.include_router(module.router, prefix=API)

    from dossier.service.web import install as install_web

    install_web(app)
    return app


ENV_HOME = "DOSSIER_SERVE_HOME"
ENV_WATCH = "DOSSIER_SERVE_WATCH"


def app_from_environment() -> FastAPI:
    """The factory each worker process calls when `dossier serve --workers N` runs several."""
    import os

    from dossier.config import config_path_from_environment, load_config
    from indexer.processes import die_with_parent

    # First: a worker must not outlive the supervisor that started it, even one killed outright (it would
    # go on holding the port with the code it started with).
    die_with_parent(graceful=True)
    # `dossier serve` resolved --config into $DOSSIER_CONFIG for its workers; each resolves it once here.
    config = load_config(config_path_from_environment())
    return create_app(os.environ[ENV_HOME], config, watch=os.environ.get(ENV_WATCH) == "1")
