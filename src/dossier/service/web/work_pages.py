"""The officer's generate page: pick a kind, upload or paste YAML/JSON, see errors per field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from dossier.access.roles import Action
from dossier.access.users import Principal
from dossier.archive.browse import document_info
from dossier.archive.catalog.models import Document
from dossier.errors import DossierError, FieldProblem, InputError
from dossier.inputs import parse_text
from dossier.kinds.registry import all_kinds
from dossier.service.deps import services
from dossier.service.generation import generate_and_file
from dossier.service.state import Services
from dossier.service.web.render import page, page_user, require_page

router = APIRouter()
User = Annotated[Principal, Depends(page_user)]


def _form(request: Request, user: Principal, **values: Any) -> Response:
    kinds = [{"name": k.name, "title": k.title} for k in all_kinds().values()]
    return page(request, "generate.html", user, active="/generate", kinds=kinds, **values)


@router.get("/generate", response_class=HTMLResponse)
def generate_page(request: Request, user: User, kind: str = "") -> Response:
    require_page(request, user, Action.GENERATE)
    return _form(request, user, kind=kind)


@router.post("/generate", response_class=HTMLResponse)
async def generate_submit(request: Request, user: User) -> Response:
    # No Form()/File() parameters: FastAPI would read those before the user is known. The form is read
    # only now, signed in and allowed, and its body is already capped at [service].max_input_bytes.
    require_page(request, user, Action.GENERATE)
    svc = services(request)
    form = await request.form(max_files=1, max_fields=10)
    kind = _text_field(form.get("kind"))[:60]
    text = _text_field(form.get("text"))
    file = form.get("file")
    source = "粘贴内容"
    if isinstance(file, StarletteUpload) and file.filename:
        raw = await file.read(svc.settings.max_input_bytes + 1)
        source = file.filename
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _form(request, user, kind=kind, problems=[FieldProblem(source, "文件", "不是 UTF-8 文本")])
    return await run_in_threadpool(_generate, request, user, svc, kind, text, source)


def _text_field(value: object) -> str:
    return value if isinstance(value, str) else ""


def _generate(
    request: Request, user: Principal, svc: Services, kind: str, text: str, source: str
) -> Response:
    try:
        made = generate_and_file(svc, user, kind, parse_text(text, source=source), source=source)
    except InputError as exc:
        return _form(request, user, kind=kind, text=text, problems=exc.problems, status_code=422)
    except DossierError as exc:
        problem = FieldProblem(source, "输入", str(exc))
        return _form(request, user, kind=kind, text=text, problems=[problem], status_code=422)
    documents = svc.archive.transaction(
        lambda s: [document_info(d, svc.config) for i in made.document_ids if (d := s.get(Document, i))],
        write=False,
    )
    generated = {
        "title": made.document.kind.title,
        "documents": documents,
        "warnings": list(made.document.warnings),
    }
    return _form(request, user, kind=kind, text=text, generated=generated)
