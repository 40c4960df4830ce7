"""`dossier volume`: a borrower's credit file as one PDF, the way a paper volume (卷) is bound.

Order (domain.md §2.1): the 卷内目录 first, then the documents by category number, document date and id.
With a loan, only that loan's documents and the borrower's shared material (基本资料, 财务资料 not tied
to another loan; ``[archive].volume_shared_categories``).

Each document becomes pages: a PDF as it is, a DOCX through LibreOffice (all of them in one batch),
an image (JPEG, PNG, TIFF, multi-page TIFF) on A4 pages scaled to fit; anything else, and any PDF,
DOCX or image that cannot be read (encrypted, damaged), becomes a placeholder page in Chinese naming the
file, its archive path and SHA-256, and why. A bad document never stops the volume; a file that is
missing or differs from the catalog does (run `dossier audit verify`), as for `dossier export`.

The index is typeset by LibreOffice too. Its page numbers count its own pages, so the index is laid out
with a guessed page count, converted, and laid out again until its page count holds. Every page gets
the archive number stamp (volume_stamp.py); the outline holds a bookmark per category and, under it, per
document. The volume is written under a temporary name beside the target, recorded in the audit log
(action ``volume``, with the page count and the file's SHA-256) and then renamed into place.

The modules, one job each: volume_selection (which documents, in which order, checked against the
catalog), volume_pages (each document as pages), volume_layout (the index's page numbers), volume_index
and volume_stamp (the Chinese pages and the stamps, as DOCX), and this one (assembly, publishing).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from dossier.archive.audit import append_event
from dossier.archive.catalog.models import Borrower
from dossier.archive.home import Archive
from dossier.archive.volume_index import IndexHeader, category_heading
from dossier.archive.volume_layout import index_and_stamps
from dossier.archive.volume_pages import make_parts
from dossier.archive.volume_selection import (
    Selection,
    VolumeItem,
    VolumeSettings,
    select_documents,
    stage_all,
)
from dossier.archive.volume_stamp import archive_number, stamp_pages
from dossier.durable import file_sha256, replacing
from dossier.errors import DossierError
from dossier.render.pdf import PdfConverter

INDEX_TITLE = "卷内目录"


@dataclass(frozen=True)
class VolumeEntry:
    """One document of the volume, as its index row shows it."""

    seq: int
    document_id: int
    category: str
    category_label: str
    title: str
    doc_date: date | None
    start_page: int
    """First page in the volume, counting the index pages."""
    pages: int
    kind: str
    """``pdf``, ``docx``, ``image`` or ``placeholder``."""
    reason: str | None = None
    """Why the document is a placeholder page."""
    rendition: str | None = None
    """The rendition bound instead of the original (``pdf-a`` for a DOCX that has its PDF/A)."""


@dataclass(frozen=True)
class VolumeResult:
    path: Path
    borrower_key: str
    borrower_name: str
    loan: str | None
    archive_number: str
    documents: int
    pages: int
    index_pages: int
    placeholders: int
    sha256: str
    event_seq: int
    entries: tuple[VolumeEntry, ...]


# --------------------------------------------------------------------------- entry point


def build_volume(
    archive: Archive,
    borrower: str,
    output: Path,
    *,
    loan: str | None = None,
    actor: str = "system",
    overwrite: bool = False,
    converter: PdfConverter | None = None,
) -> VolumeResult:
    """Write the borrower's (or one loan's) volume to ``output`` and record it in the audit log."""
    output = _check_output(archive, Path(output), overwrite)
    settings = archive.config.section("archive", VolumeSettings)
    own_converter = converter is None
    conv = converter or PdfConverter()
    work = Path(tempfile.mkdtemp(prefix="dossier-volume-"))
    try:
        with archive.filing_lock():
            selection = archive.transaction(
                lambda s: select_documents(s, archive, borrower, loan, settings), write=False
            )
            if not selection.items:
                raise DossierError(
                    f"no filed documents to bind for {borrower}{f' loan {loan}' if loan else ''} "
                    "(没有可编入卷内的文件)"
                )
            stage_all(archive, selection.items, work)
        row, loan_row = selection.borrower, selection.loan
        number = archive_number(
            row.key, row.name, loan_row.contract_number if loan_row else None, settings.volume_number_format
        )
        make_parts(conv, selection.items, work)
        header = IndexHeader(
            borrower_name=row.name,
            borrower_key=row.key,
            loan=loan_row.contract_number if loan_row else None,
            archive_number=number,
            total_pages=0,
            documents=len(selection.items),
            made_on=date.today(),
        )
        index_pdf, stamps_pdf, index_pages = index_and_stamps(conv, selection.items, header, work)
        writer = _assemble(index_pdf, selection.items, index_pages, row, number)
        stamp_pages(writer, PdfReader(stamps_pdf))
        return _publish(archive, writer, output, selection, number, index_pages, actor)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if own_converter:
            conv.close()


def _check_output(archive: Archive, output: Path, overwrite: bool) -> Path:
    output = output.expanduser().absolute()
    if output.resolve().is_relative_to(archive.home.resolve()):
        raise DossierError(
            f"the volume must be written outside the archive home (卷文件不能放在档案库目录内): {output}"
        )
    if output.exists() and not overwrite:
        raise DossierError(f"{output} already exists (文件已存在); choose another name or overwrite it")
    if output.is_dir():
        raise DossierError(f"{output} is a folder (输出路径是目录)")
    if not output.parent.is_dir():
        raise DossierError(f"folder not found (目录不存在): {output.parent}")
    return output


def _assemble(
    index_pdf: Path, items: list[VolumeItem], index_pages: int, borrower: Borrower, number: str
) -> PdfWriter:
    writer = PdfWriter()
    for page in PdfReader(index_pdf).pages:
        writer.add_page(page)
    for item in items:
        assert item.pdf is not None
        for page in PdfReader(item.pdf).pages:
            writer.add_page(page)
    writer.add_outline_item(title=INDEX_TITLE, page_number=0)
    parent = None
    current: tuple[int, str] | None = None
    for item in items:
        key = (item.category_number, item.category_label)
        if key != current:
            current = key
            parent = writer.add_outline_item(title=category_heading(*key), page_number=item.start_page - 1)
        writer.add_outline_item(
            title=f"{item.seq}. {item.doc.title}",
            page_number=item.start_page - 1,
            parent=parent,
            is_open=False,
        )
    writer.page_mode = "/UseOutlines"
    writer.add_metadata(
        {
            "/Title": f"{borrower.name} 信贷档案 {number}",
            "/Subject": INDEX_TITLE,
            "/Creator": "dossier volume",
        }
    )
    return writer


def _publish(
    archive: Archive,
    writer: PdfWriter,
    output: Path,
    selection: Selection,
    number: str,
    index_pages: int,
    actor: str,
) -> VolumeResult:
    items = selection.items
    key = selection.borrower.key
    loan_number = selection.loan.contract_number if selection.loan else None
    with replacing(output) as temp:
        with temp.open("r+b") as fh:
            writer.write(fh)
        sha256 = file_sha256(temp)
        pages = len(writer.pages)
        placeholders = sum(1 for i in items if i.kind == "placeholder")
        # Recorded before the rename: a volume in place is always in the audit log.
        event = archive.transaction(
            lambda s: append_event(
                s,
                actor=actor,
                action="volume",
                target=f"borrower:{key}",
                borrower_key=key,
                details={
                    "file": output.name,
                    "loan": loan_number,
                    "archive_number": number,
                    "documents": len(items),
                    "document_ids": [i.doc.id for i in items],
                    "renditions": {str(i.doc.id): i.rendition.id for i in items if i.rendition is not None},
                    "pages": pages,
                    "index_pages": index_pages,
                    "placeholders": placeholders,
                    "sha256": sha256,
                },
            )
        )
    return VolumeResult(
        path=output,
        borrower_key=key,
        borrower_name=selection.borrower.name,
        loan=loan_number,
        archive_number=number,
        documents=len(items),
        pages=pages,
        index_pages=index_pages,
        placeholders=placeholders,
        sha256=sha256,
        event_seq=event.seq,
        entries=tuple(
            VolumeEntry(
                seq=i.seq,
                document_id=i.doc.id,
                category=i.doc.category,
                category_label=i.category_label,
                title=i.doc.title,
                doc_date=i.doc.doc_date,
                start_page=i.start_page,
                pages=i.pages,
                kind=i.kind,
                reason=i.reason,
                rendition=i.rendition.kind if i.rendition is not None else None,
            )
            for i in items
        ),
    )
