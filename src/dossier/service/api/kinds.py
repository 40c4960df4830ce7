"""The document kinds, their JSON Schemas and examples."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException

from dossier.access.roles import Action
from dossier.archive.audit import plain
from dossier.kinds.base import Kind as KindDef
from dossier.kinds.registry import UnknownKind, all_kinds, get_kind
from dossier.service.api import schemas
from dossier.service.deps import require

router = APIRouter(prefix="/kinds", tags=["kinds"], dependencies=[Depends(require(Action.READ))])


def _kind(name: str) -> KindDef[Any]:
    try:
        return get_kind(name)
    except UnknownKind as exc:
        raise HTTPException(404, str(exc)) from None


def kind_out(kind: KindDef[Any]) -> schemas.Kind:
    return schemas.Kind(
        name=kind.name,
        title=kind.title,
        category=kind.category,
        doc_type=kind.doc_type,
        schema_url=f"/api/v1/kinds/{kind.name}/schema",
        example_url=f"/api/v1/kinds/{kind.name}/example",
    )


@router.get("", response_model=list[schemas.Kind], summary="Every document kind (文书种类)")
def list_kinds() -> list[schemas.Kind]:
    return [kind_out(k) for k in all_kinds().values()]


@router.get("/{name}", response_model=schemas.Kind, summary="One kind")
def one_kind(name: Annotated[str, "kind name"]) -> schemas.Kind:
    return kind_out(_kind(name))


@router.get("/{name}/schema", summary="The kind's input as JSON Schema")
def kind_schema(name: str) -> dict[str, Any]:
    kind = _kind(name)
    document = kind.schema.model_json_schema()
    document["title"] = f"{kind.title} ({kind.name})"
    return document


@router.get("/{name}/example", summary="A complete, valid example input")
def kind_example(name: str) -> dict[str, Any]:
    return plain(_kind(name).example())
