"""Schemathesis against our own OpenAPI: no generated request to a read endpoint gets a 5xx."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from servicekit import build

from dossier.config import load_config
from dossier.service.app import create_app
from dossier.service.state import Services

HOME = Path(__import__("tempfile").mkdtemp(prefix="dossier-schema-")) / "archive"
DEMO = build(HOME)
APP = create_app(HOME, config=load_config())
# Schemathesis calls the app without its lifespan; the service's parts are opened here instead.
APP.state.services = Services.open(HOME, load_config())

schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP).include(method="GET")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.parametrize("role", ["auditor", "officer"])
def test_read_endpoints_never_fail_on_the_server(case: schemathesis.Case, role: str) -> None:
    response = case.call(headers=DEMO.headers(role))
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
    )


def test_openapi_documents_every_endpoint_with_labels() -> None:
    spec = APP.openapi()
    paths = spec["paths"]
    assert "/api/v1/search" in paths and "/api/v1/documents/{document_id}/download" in paths
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
    generate = paths["/api/v1/documents"]["post"]
    assert "422" in generate["responses"]
    components = spec["components"]["schemas"]
    assert components["Borrower"].get("examples"), "examples in the schema"
