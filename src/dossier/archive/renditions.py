"""Renditions: another form of a filed document's content, kept beside it under the same document.

A generated DOCX is the original; the PDF/A-2b LibreOffice makes from it is its archival rendition. The
archive keeps ONE document (one catalog row, one search hit, one entry in the 卷内目录) with both files,
both hashed in the audit chain: the original by its ``file`` event, the rendition by a ``rendition``
event naming the document.

Filing a rendition follows the protocol of filing.py, reusing its helpers: a temporary copy in the
document's folder, fsync, read-back hash; a ``pending`` row naming the final file (the original's stem
with the rendition's suffix); a hard link that never replaces a file; then, in one transaction, the row
``filed``, the ``rendition`` event and the document queued for the search index. `dossier repair`
(repair.py) finishes or rolls back a pending rendition.

A document's content never changes, so neither does its rendition: filing another rendition of the same
kind keeps the one there (a rerun of the same input converts again, to a PDF whose timestamps differ).

Archives filed before renditions existed hold the PDF as a separate document whose details name the
DOCX (``rendition_of``); :func:`merge_generated_pdfs` turns each such pair into one document, once, with
one ``rendition.migrate`` event that the chain replay (chain_state.py) reads as "this filed document is
from now on a rendition of that one".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from dossier.archive.audit import append_event, require_head
from dossier.archive.catalog.ledger_tables import LedgerNotice
from dossier.archive.catalog.models import Borrower, Document, IndexQueue, Rendition
from dossier.archive.catalog.verification_tables import VerificationRow
from dossier.archive.filing import (
    _check_size,
    _link_no_replace,
    _Temp,
    _write_temp,
)
from dossier.archive.index_outbox import ADD, DELETE, OCR
from dossier.archive.index_outbox import enqueue as enqueue_for_index
from dossier.archive.names import check_name, document_file_name, split_suffix
from dossier.archive.pdf_read import page_count
from dossier.durable import fsync_dir
from dossier.errors import DossierError

if TYPE_CHECKING:
    # A type only: home opens an archive and, once migrated, runs renditions, which files through here.
    from pypdf.generic import DictionaryObject

    from dossier.archive.home import Archive

RENDITION_ACTION = "rendition"
"""The chain event that files a rendition (target ``document:<id>``)."""
MIGRATE_ACTION = "rendition.migrate"
"""The chain event that turns a filed document into a rendition of another (legacy PDFs)."""
_NAME_ATTEMPTS = 5
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class RenditionKind(StrEnum):
    PDF_A = "pdf-a"
    """PDF/A-2b with every font embedded: what the volume binds and what outlasts the word processor."""
    PDF = "pdf"
    """A PDF that does not declare PDF/A: what earlier versions converted, kept as found when merged."""

    @property
    def suffix(self) -> str:
        return ".pdf"

    @property
    def media_type(self) -> str:
        return "application/pdf"

    @property
    def label(self) -> str:
        return "PDF/A 归档副本" if self is RenditionKind.PDF_A else "PDF 副本（非 PDF/A）"


VOLUME_KINDS = (RenditionKind.PDF_A, RenditionKind.PDF)
"""Renditions the volume binds instead of a DOCX original, in order of preference."""


class RenditionStatus(StrEnum):
    FILED = "filed"
    """A new rendition was put in place."""
    KEPT = "kept"
    """The document already had a rendition of this kind (the same content or not): it stays."""


@dataclass(frozen=True)
class RenditionResult:
    rendition_id: int
    document_id: int
    status: RenditionStatus
    path: Path
    sha256: str
    kind: RenditionKind


@dataclass(frozen=True)
class MergedPdf:
    """One legacy pair merged: the PDF document ``merged`` became rendition ``rendition_id`` of
    ``document_id``."""

    document_id: int
    merged: int
    rendition_id: int
    path: str


def file_rendition(
    archive: Archive,
    document_id: int,
    source: bytes | Path,
    kind: RenditionKind,
    *,
    actor: str = "system",
) -> RenditionResult:
    """File ``source`` as the ``kind`` rendition of a filed document, beside its original."""
    kind = RenditionKind(kind)
    actor = check_name(actor, ("actor", "操作人"), max_chars=50)
    if isinstance(source, Path) and not source.is_file():
        raise DossierError(f"rendition file not found (副本文件不存在): {source}")
    _check_size(archive, source)
    with archive.filing_lock():
        original = archive.transaction(lambda s: _filed_document(s, document_id), write=False)
        folder = archive.absolute(original.path).parent
        stem = split_suffix(Path(original.path).name)[0]
        temp = _write_temp(folder, source)
        try:
            pages = page_count(temp.path) if kind.media_type == "application/pdf" else None
            for _ in range(_NAME_ATTEMPTS):
                reserved = archive.transaction(
                    lambda s: _reserve(archive, s, document_id, folder, stem, kind, temp, pages, actor)
                )
                if reserved.status is RenditionStatus.KEPT:
                    return reserved
                try:
                    _link_no_replace(temp.path, reserved.path)
                    break
                except FileExistsError:
                    # A file the catalog does not know took the name meanwhile: give it back, try another.
                    archive.transaction(lambda s, rid=reserved.rendition_id: _drop_pending(s, rid))
            else:
                raise DossierError(f"could not find a free file name (无法取得可用文件名) in {folder}")
        finally:
            temp.path.unlink(missing_ok=True)
        fsync_dir(folder)
        archive.transaction(lambda s: complete_rendition(s, reserved.rendition_id, actor=actor))
    return reserved


def complete_rendition(
    session: Session, rendition_id: int, *, actor: str, repaired: bool = False
) -> Rendition:
    """Mark a pending rendition filed and log it; shared with `dossier repair`."""
    rendition = session.get(Rendition, rendition_id)
    if rendition is None or rendition.state != "pending":
        raise DossierError(f"rendition {rendition_id} is not pending (副本不处于待归档状态)")
    rendition.state = "filed"
    rendition.details = {k: v for k, v in rendition.details.items() if k != "pending"}
    document = session.get(Document, rendition.document_id)
    assert document is not None
    borrower = session.get(Borrower, document.borrower_id)
    assert borrower is not None
    info = rendition_facts(rendition)
    if repaired:
        info["completed_by"] = "check"
    # The document's search entry lists its renditions: index it again in the same transaction.
    enqueue_for_index(session, document.id)
    append_event(
        session,
        actor=actor,
        action=RENDITION_ACTION,
        target=f"document:{document.id}",
        borrower_key=borrower.key,
        details=info,
    )
    return rendition


def rendition_facts(rendition: Rendition) -> dict[str, object]:
    """What the chain records of a rendition (and chain_state.py reads back)."""
    return {
        "rendition": rendition.id,
        "kind": rendition.kind,
        "path": rendition.path,
        "sha256": rendition.sha256,
        "size": rendition.size,
        "media_type": rendition.media_type,
    }


def renditions_of(session: Session, document_ids: Iterable[int]) -> dict[int, list[Rendition]]:
    """The filed renditions of each document, oldest first (documents without any are left out)."""
    ids = list(dict.fromkeys(document_ids))
    found: dict[int, list[Rendition]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = (
            select(Rendition)
            .where(Rendition.document_id.in_(chunk), Rendition.state == "filed")
            .order_by(Rendition.id)
        )
        for rendition in session.execute(query).scalars():
            found.setdefault(rendition.document_id, []).append(rendition)
    return found


def rendition_of(session: Session, document_id: int, kind: RenditionKind) -> Rendition | None:
    """The document's filed rendition of ``kind``, if it has one."""
    return session.execute(
        select(Rendition)
        .where(Rendition.document_id == document_id, Rendition.kind == kind.value, Rendition.state == "filed")
        .order_by(Rendition.id)
        .limit(1)
    ).scalar_one_or_none()


def _filed_document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None or document.state != "filed":
        raise DossierError(f"no filed document {document_id} to add a rendition to (文档不存在或未归档)")
    return document


def _reserve(
    archive: Archive,
    session: Session,
    document_id: int,
    folder: Path,
    stem: str,
    kind: RenditionKind,
    temp: _Temp,
    pages: int | None,
    actor: str,
) -> RenditionResult:
    require_head(session)  # the filing ends with an event: refuse now rather than leave it pending
    _filed_document(session, document_id)
    existing = session.execute(
        select(Rendition).where(Rendition.document_id == document_id, Rendition.kind == kind.value)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.state != "filed":
            raise DossierError(
                f"an earlier rendition of document {document_id} was interrupted (副本归档曾中断); "
                "run `dossier repair` first"
            )
        return RenditionResult(
            existing.id,
            document_id,
            RenditionStatus.KEPT,
            archive.absolute(existing.path),
            existing.sha256,
            kind,
        )
    final = _free_name(archive, session, folder, stem, kind)
    rendition = Rendition(
        document_id=document_id,
        kind=kind.value,
        path=archive.relative(final),
        sha256=temp.sha256,
        size=temp.size,
        media_type=kind.media_type,
        pages=pages,
        state="pending",
        details={"pending": {"temp": temp.path.name, "pid": os.getpid()}},
        actor=actor,
        filed_at=datetime.now(UTC),
    )
    session.add(rendition)
    session.flush()
    return RenditionResult(rendition.id, document_id, RenditionStatus.FILED, final, temp.sha256, kind)


def _free_name(archive: Archive, session: Session, folder: Path, stem: str, kind: RenditionKind) -> Path:
    # The stem may carry its own version (``-v2``); a rendition never adds one, only a tie-breaker.
    for extra in range(1000):
        final = folder / (document_file_name(stem, kind.suffix, 1, extra) if extra else stem + kind.suffix)
        if os.path.lexists(final):
            continue
        relative = archive.relative(final)
        taken = session.execute(select(Document.id).where(Document.path == relative)).first() or (
            session.execute(select(Rendition.id).where(Rendition.path == relative)).first()
        )
        if taken is None:
            return final
    raise DossierError(f"could not find a free file name (无法取得可用文件名) in {folder}")


def _drop_pending(session: Session, rendition_id: int) -> None:
    rendition = session.get(Rendition, rendition_id)
    if rendition is not None and rendition.state == "pending":
        session.delete(rendition)


def drop_pending_rendition(session: Session, rendition_id: int) -> None:
    """Remove a pending rendition's row (`dossier repair` rolling it back)."""
    _drop_pending(session, rendition_id)


# ---------------------------------------------------------------------- legacy archives


def merge_generated_pdfs(archive: Archive, *, actor: str = "system") -> list[MergedPdf]:
    """Make each generated PDF that earlier versions filed as its own document a rendition of its DOCX.

    A pair is recognised by what batch.py recorded: the PDF document is ``generated``, its details name
    the DOCX document (``rendition_of``) and the same kind, both belong to the same borrower, and the PDF's
    name is the DOCX's name with ``.pdf``. The files stay where they are; the PDF's row goes, its search
    entry is dropped, and one ``rendition.migrate`` event records the change. Safe to run again: a merged
    pair leaves nothing to find, so this is its own marker.
    """
    with archive.filing_lock(exclusive=True):
        candidates = archive.transaction(generated_pdf_pairs, write=False)
        merged: list[MergedPdf] = []
        # Newest first: a later PDF version names an earlier one as version_of, so it must go first.
        for pdf_id, docx_id, path in sorted(candidates, reverse=True):
            kind = RenditionKind.PDF_A if declares_pdf_a(archive.absolute(path)) else RenditionKind.PDF
            result = archive.transaction(lambda s, p=pdf_id, d=docx_id, k=kind: _merge(s, p, d, k, actor))
            if result is not None:
                merged.append(result)
    return merged


def generated_pdf_pairs(session: Session) -> list[tuple[int, int, str]]:
    """(PDF document id, DOCX document id, PDF path) of each legacy pair still to merge."""
    pdfs = session.execute(
        select(Document).where(
            Document.source == "generated",
            Document.media_type == "application/pdf",
            Document.state == "filed",
        )
    ).scalars()
    pairs: list[tuple[int, int, str]] = []
    for pdf in pdfs:
        docx_id = (pdf.details or {}).get("rendition_of")
        if isinstance(docx_id, int) and _pair_matches(session.get(Document, docx_id), pdf):
            pairs.append((pdf.id, docx_id, pdf.path))
    return pairs


def _pair_matches(docx: Document | None, pdf: Document) -> bool:
    if docx is None or docx.state != "filed" or docx.source != "generated" or docx.media_type != _DOCX:
        return False
    if docx.borrower_id != pdf.borrower_id or (docx.details or {}).get("kind") != pdf.details.get("kind"):
        return False
    docx_name = str((docx.details or {}).get("name") or Path(docx.path).name)
    pdf_name = str(pdf.details.get("name") or Path(pdf.path).name)
    return split_suffix(docx_name)[0] == split_suffix(pdf_name)[0] and pdf.filed_at >= docx.filed_at


def _merge(session: Session, pdf_id: int, docx_id: int, kind: RenditionKind, actor: str) -> MergedPdf | None:
    require_head(session)
    pdf = session.get(Document, pdf_id)
    docx = session.get(Document, docx_id)
    if pdf is None or not _pair_matches(docx, pdf):
        return None
    assert docx is not None
    if session.execute(select(Document.id).where(Document.version_of == pdf_id).limit(1)).first():
        return None  # a later document names this PDF as its first version: it stays a document
    if session.execute(select(Rendition.id).where(Rendition.document_id == docx_id).limit(1)).first():
        return None  # a second PDF of one DOCX (an old rerun) stays a document of its own
    if session.execute(
        select(VerificationRow.id).where(VerificationRow.document_id == pdf_id).limit(1)
    ).first():
        return None  # verification records are append-only; generated PDFs are never evidence anyway
    rendition = Rendition(
        document_id=docx_id,
        kind=kind.value,
        path=pdf.path,
        sha256=pdf.sha256,
        size=pdf.size,
        media_type=pdf.media_type,
        pages=pdf.pages,
        state="filed",
        details={"merged_from": pdf_id},
        actor=pdf.actor,
        filed_at=pdf.filed_at,
    )
    session.add(rendition)
    # Whatever pointed at the PDF document now points at the document it renders.
    session.execute(
        update(LedgerNotice).where(LedgerNotice.document_id == pdf_id).values(document_id=docx_id)
    )
    session.execute(delete(IndexQueue).where(IndexQueue.document_id == pdf_id, IndexQueue.op.in_((ADD, OCR))))
    session.delete(pdf)
    session.flush()
    enqueue_for_index(session, pdf_id, DELETE)
    enqueue_for_index(session, docx_id)
    borrower = session.get(Borrower, docx.borrower_id)
    assert borrower is not None
    append_event(
        session,
        actor=actor,
        action=MIGRATE_ACTION,
        target=f"document:{docx_id}",
        borrower_key=borrower.key,
        details={"document": docx_id, "merged": pdf_id, **rendition_facts(rendition)},
    )
    return MergedPdf(docx_id, pdf_id, rendition.id, rendition.path)


def declares_pdf_a(path: Path) -> bool:
    """Whether the PDF's XMP metadata declares a PDF/A part (``pdfaid:part``); False if unreadable."""
    from pypdf import PdfReader

    try:
        # The trailer's /Root is the document catalog, a dictionary by the PDF spec; pypdf types it loosely.
        metadata = cast("DictionaryObject", PdfReader(path).trailer["/Root"]).get("/Metadata")
        data = metadata.get_object().get_data() if metadata is not None else b""
    except Exception:  # pypdf raises many types on damaged files; such a PDF is no PDF/A either
        return False
    return b"pdfaid:part" in data


def pending_renditions(session: Session) -> Sequence[Rendition]:
    return list(session.execute(select(Rendition).where(Rendition.state == "pending")).scalars())


# ---------------------------------------------------------------------- PDF/A from filed originals


@dataclass(frozen=True)
class Rendered:
    """What :func:`render_pdf_a` did for one document: ``result`` (filed now, or kept: it had one), or the
    ``error`` that stopped its conversion."""

    document_id: int
    result: RenditionResult | None
    error: str | None = None


def render_pdf_a(
    archive: Archive,
    document_ids: Sequence[int],
    *,
    actor: str = "system",
    progress: Callable[[int, int], None] | None = None,
) -> list[Rendered]:
    """Convert each filed DOCX document that has no PDF/A rendition yet (one LibreOffice for all of them)
    and file the PDF as its rendition; one outcome per id, in order. A document that has one keeps it and
    is not converted again, so running this twice (a render job retried) does the work once."""
    from dossier.render.pdf import PdfConverter

    def read(session: Session) -> dict[int, tuple[Document | None, Rendition | None]]:
        return {
            i: (session.get(Document, i), rendition_of(session, i, RenditionKind.PDF_A)) for i in document_ids
        }

    found = archive.transaction(read, write=False)
    outcomes: dict[int, Rendered] = {}
    todo: dict[int, Path] = {}
    for document_id, (document, existing) in found.items():
        if existing is not None:
            kept = RenditionResult(
                existing.id,
                document_id,
                RenditionStatus.KEPT,
                archive.absolute(existing.path),
                existing.sha256,
                RenditionKind.PDF_A,
            )
            outcomes[document_id] = Rendered(document_id, kept)
        elif document is None or document.state != "filed" or document.media_type != _DOCX:
            outcomes[document_id] = Rendered(
                document_id, None, f"document {document_id} is not a filed DOCX (不是已归档的 DOCX 文档)"
            )
        else:
            todo[document_id] = archive.absolute(document.path)
    total, done = len(found), len(outcomes)
    if progress:
        progress(done, total)
    if todo:
        import shutil
        import tempfile

        work = Path(tempfile.mkdtemp(prefix="dossier-render-"))
        try:
            # Copies named by document id: LibreOffice names each PDF after its DOCX, and two filed
            # originals may share a name.
            copies = {i: work / f"{i}.docx" for i in todo}
            for i, source in todo.items():
                shutil.copyfile(source, copies[i])
            with PdfConverter() as converter:
                converted = converter.convert(list(copies.values()), work / "pdf")
            for document_id, made in zip(copies, converted, strict=True):
                if made.pdf is None:
                    outcomes[document_id] = Rendered(document_id, None, made.error or "conversion failed")
                else:
                    filed = file_rendition(archive, document_id, made.pdf, RenditionKind.PDF_A, actor=actor)
                    outcomes[document_id] = Rendered(document_id, filed)
                done += 1
                if progress:
                    progress(done, total)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return [outcomes[i] for i in found]
