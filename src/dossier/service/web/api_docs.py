"""The API's reference page at /api/v1/docs, rendered here from the OpenAPI schema.

Swagger UI would load its scripts and styles from a CDN, outside our Content-Security-Policy and outside
the bank's network; this page needs neither: one table per resource, from ``app.openapi()``. The schema
itself stays at /api/v1/openapi.json for tools."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dossier.service.web.render import page

router = APIRouter()
METHODS = ("get", "post", "put", "patch", "delete")


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append(
                {
                    "tag": (operation.get("tags") or ["other"])[0],
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "parameters": [
                        {
                            "name": p.get("name", ""),
                            "where": p.get("in", ""),
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "body": bool(operation.get("requestBody")),
                }
            )
    return sorted(found, key=lambda o: (o["tag"], o["path"], o["method"]))


@router.get("/api/v1/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    schema = request.app.openapi()
    return page(
        request,
        "api_docs.html",
        None,
        info=schema.get("info", {}),
        operations=_operations(schema),
    )
