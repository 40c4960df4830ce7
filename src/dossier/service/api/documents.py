"""Documents: generate one from JSON, upload a supporting file, read metadata, download the original or
one of its renditions (``?rendition=pdf-a``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dossier.access.roles import Action
from dossier.access.scope import BorrowerNotFound
from dossier.access.users import Principal
from dossier.archive.browse import document_events, document_info, document_renditions, document_versions
from dossier.archive.catalog.models import Document, Loan
from dossier.archive.renditions import RenditionKind, rendition_of
from dossier.inbox.upload import UploadOutcome
from dossier.service.api import schemas
from dossier.service.api.records import record
from dossier.service.deps import Id, Services, ServicesDep, WriteSession, document_or_404, require
from dossier.service.generation import generate_and_file
from dossier.service.intake import upload_for
from dossier.service.limits import takes_files
from dossier.service.uploads import read_form

router = APIRouter(prefix="/documents", tags=["documents"])

VALIDATION: dict[int | str, dict[str, Any]] = {
    422: {"model": schemas.ValidationFailed, "description": "Input failed validation (校验未通过)"}
}


def document_out(session: Session, svc: Services, doc: Document) -> schemas.Document:
    loan = session.get(Loan, doc.loan_id) if doc.loan_id else None
    info = document_info(doc, svc.config, loan, document_renditions(session, doc))
    return schemas.Document(**with_urls(info))


def with_urls(info: dict[str, Any]) -> dict[str, Any]:
    """A document's info with the download URL of the original (each rendition's comes with it)."""
    return {**info, "download_url": f"/api/v1/documents/{info['id']}/download"}


@router.post(
    "",
    response_model=schemas.Generated,
    status_code=status.HTTP_201_CREATED,
    responses=VALIDATION,
    summary="Generate a document from JSON and file it (生成文书并归档)",
)
def generate(
    body: schemas.GenerateRequest,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.GENERATE))],
) -> schemas.Generated:
    try:
        made = generate_and_file(svc, user, body.kind, body.data, source="request")
    except BorrowerNotFound as exc:
        # Another officer's borrower answers as one that does not exist.
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    document = made.document
    documents = svc.archive.transaction(
        lambda s: [
            document_out(s, svc, d) for i in made.document_ids if (d := s.get(Document, i)) is not None
        ],
        write=False,
    )
    return schemas.Generated(
        kind=document.kind.name,
        title=document.kind.title,
        file_name=f"{document.filename}.docx",
        warnings=list(document.warnings),
        documents=documents,
    )


UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The file (文件)"},
                        "borrower": {
                            "type": "string",
                            "description": "Borrower key, as an inbox folder would name it",
                        },
                        "folder": {
                            "type": "string",
                            "description": "A category or type folder, e.g. 05-担保资料",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/upload",
    response_model=schemas.UploadResult,
    status_code=status.HTTP_201_CREATED,
    responses={413: {"model": schemas.Message, "description": "Larger than [media].max_file_bytes"}},
    summary="Upload a supporting document through the inbox pipeline (上传资料)",
    openapi_extra=UPLOAD_FORM,
)
@takes_files(1)
async def upload(
    request: Request,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.UPLOAD))],
) -> schemas.UploadResult:
    # The form is read only now, after the user is known (limits.takes_files): the file goes to disk.
    async with read_form(request, frozenset({"file"})) as form:
        sent = form.files_of("file")
        if not sent:
            raise RequestValidationError(
                [{"loc": ("body", "file"), "msg": "Field required", "type": "missing"}]
            )
        borrower, folder = form.first("borrower") or "", form.first("folder") or ""

        def file_it() -> UploadOutcome:
            with sent[0].path.open("rb") as stream:
                return upload_for(svc, user, stream, sent[0].name, borrower=borrower, folder=folder)

        # Matched within the user's scope: another officer's borrower is quarantined as one not registered.
        outcome = await run_in_threadpool(file_it)
    document = None
    if outcome.document_id is not None:
        document = await run_in_threadpool(
            svc.archive.transaction,
            lambda s: document_out(s, svc, d) if (d := s.get(Document, outcome.document_id)) else None,
            write=False,
        )
    return schemas.UploadResult(
        item_id=outcome.item_id,
        outcome=outcome.outcome,
        document=document,
        reason=outcome.reason,
        message=outcome.message,
    )


@router.get(
    "/{document_id}", response_model=schemas.DocumentDetail, summary="A document, its versions and events"
)
def get_document(
    document_id: Id,
    session: WriteSession,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.VIEW))],
) -> schemas.DocumentDetail:
    doc = document_or_404(session, user, svc, document_id)
    out = document_out(session, svc, doc)
    versions = [schemas.Document(**with_urls(v)) for v in document_versions(session, doc, svc.config)]
    events = [schemas.Event(**e) for e in document_events(session, doc)]
    record(session, user, "view", f"document:{doc.id}", borrower_key=doc.borrower.key)
    return schemas.DocumentDetail(**out.model_dump(), versions=versions, events=events)


@router.get(
    "/{document_id}/download",
    response_class=FileResponse,
    responses={
        200: {
            "content": {"application/octet-stream": {}},
            "description": "The original file, or a rendition",
        },
        404: {"model": schemas.Message, "description": "No such document, or it has no such rendition"},
    },
    summary="Download the original file, or with ?rendition=pdf-a its PDF/A (by id only; 下载原件或副本)",
)
def download(
    document_id: Id,
    svc: ServicesDep,
    user: Annotated[Principal, Depends(require(Action.VIEW))],
    rendition: RenditionKind | None = None,
) -> FileResponse:
    def find(session: Session) -> tuple[str, str, str, str]:
        doc = document_or_404(session, user, svc, document_id)
        relative, media_type, sha256 = doc.path, doc.media_type, doc.sha256
        extra: dict[str, Any] = {}
        if rendition is not None:
            found = rendition_of(session, doc.id, rendition)
            if found is None:
                raise HTTPException(
                    status.HTTP_404_NOT_FOUND,
                    f"document {document_id} has no {rendition.value} rendition (该文档无此副本)",
                )
            relative, media_type, sha256 = found.path, found.media_type, found.sha256
            extra["rendition"] = rendition.value
        record(
            session,
            user,
            "download",
            f"document:{doc.id}",
            borrower_key=doc.borrower.key,
            sha256=sha256,
            **extra,
        )
        return relative, relative.rsplit("/", 1)[-1], media_type, sha256

    relative, name, media_type, sha256 = svc.archive.transaction(find)
    path = svc.archive.absolute(relative)
    if not path.is_file():
        raise HTTPException(status.HTTP_410_GONE, f"the file of document {document_id} is missing (文件缺失)")
    return FileResponse(
        path,
        media_type=media_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "ETag": f'"{sha256}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
