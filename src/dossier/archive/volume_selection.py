"""Which documents a volume binds, in which order, and their files copied out and checked.

Order (domain.md §2.1): by category number, document date and id. With a loan, only that loan's documents
and the borrower's shared material (``[archive].volume_shared_categories``). A DOCX that has its PDF/A
is bound from the PDF/A. A file that is missing or differs from the catalog stops the volume.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.catalog.models import Borrower, Document, Loan, Rendition
from dossier.archive.export import find_borrower_by_key_or_name
from dossier.archive.home import Archive
from dossier.archive.renditions import VOLUME_KINDS, renditions_of
from dossier.archive.volume_stamp import DEFAULT_NUMBER_FORMAT
from dossier.domain.categories import categories
from dossier.domain.identifiers.contract_number import parse_contract_number
from dossier.durable import file_sha256
from dossier.errors import DossierError
from dossier.media.media_types import media_type_for
from dossier.render.pdf import DOCX_SUFFIXES


class VolumeSettings(BaseModel):
    volume_number_format: str = DEFAULT_NUMBER_FORMAT
    volume_shared_categories: list[str] = ["basic", "financial"]
    """Categories a one-loan volume takes from the borrower's file when not tied to another loan."""


@dataclass
class VolumeItem:
    doc: Document
    category_number: int
    category_label: str
    seq: int
    kind: str
    rendition: Rendition | None = None
    """The PDF/A bound instead of a DOCX original: the pages the bank archived, with no conversion."""
    staged: Path | None = None
    pdf: Path | None = None
    pages: int = 0
    reason: str | None = None
    note: str = ""
    start_page: int = 0

    @property
    def path(self) -> str:
        """The file bound: the rendition's when there is one, else the original's."""
        return self.rendition.path if self.rendition is not None else self.doc.path

    @property
    def sha256(self) -> str:
        return self.rendition.sha256 if self.rendition is not None else self.doc.sha256


@dataclass
class Selection:
    borrower: Borrower
    loan: Loan | None
    items: list[VolumeItem] = field(default_factory=list)


def select_documents(
    session: Session, archive: Archive, wanted: str, loan: str | None, settings: VolumeSettings
) -> Selection:
    borrower = find_borrower_by_key_or_name(session, wanted, archive)
    loan_row: Loan | None = None
    query = select(Document).where(Document.borrower_id == borrower.id, Document.state == "filed")
    documents = list(session.scalars(query))
    if loan is not None:
        number = parse_contract_number(loan, config=archive.config)
        loan_row = session.scalars(
            select(Loan).where(Loan.contract_number == number, Loan.borrower_id == borrower.id)
        ).one_or_none()
        if loan_row is None:
            raise DossierError(
                f"{borrower.name} ({borrower.key}) has no loan {number} (该借款人名下没有此借款合同)"
            )
        shared = set(settings.volume_shared_categories)
        documents = [
            d for d in documents if d.loan_id == loan_row.id or (d.loan_id is None and d.category in shared)
        ]
    order = {c.key: c for c in categories(archive.config)}

    def position(doc: Document) -> tuple[int, str, int]:
        number = order[doc.category].number if doc.category in order else 99
        return number, (doc.doc_date.isoformat() if doc.doc_date else "0000"), doc.id

    selection = Selection(borrower, loan_row)
    renditions = renditions_of(session, [d.id for d in documents])
    for seq, doc in enumerate(sorted(documents, key=position), start=1):
        category = order.get(doc.category)
        kind = document_kind(doc)
        by_kind = {r.kind: r for r in reversed(renditions.get(doc.id, []))}
        pdf_a = next((by_kind[k.value] for k in VOLUME_KINDS if k.value in by_kind), None)
        selection.items.append(
            VolumeItem(
                doc=doc,
                category_number=category.number if category else 99,
                category_label=category.label if category else doc.category,
                seq=seq,
                # One document, one entry: a DOCX with its PDF/A is bound from the PDF/A.
                kind="pdf" if pdf_a is not None and kind == "docx" else kind,
                rendition=pdf_a if kind == "docx" else None,
            )
        )
    return selection


def document_kind(doc: Document) -> str:
    suffix = PurePosixPath(doc.path).suffix.lower()
    if doc.media_type == "application/pdf" or suffix == ".pdf":
        return "pdf"
    if suffix in DOCX_SUFFIXES:
        return "docx"
    if doc.media_type.startswith("image/") or media_type_for(suffix).startswith("image/"):
        return "image"
    return "other"


def stage_all(archive: Archive, items: list[VolumeItem], work: Path) -> None:
    """Copy each file to be laid out into ``work`` (hashing it); hash the rest in place. A file that is
    missing or differs from the catalog stops the volume."""
    problems: list[str] = []
    for item in items:
        path = item.path
        try:
            source = archive.absolute(path)
        except DossierError:
            problems.append(f"{path}: outside the archive home (路径越出档案库)")
            continue
        if not source.is_file():
            problems.append(f"{path}: missing (文件缺失)")
            continue
        target = None if item.kind == "other" else work / f"doc-{item.doc.id}{PurePosixPath(path).suffix}"
        if _stage_copy(source, target) != item.sha256:
            problems.append(f"{path}: changed since filing (文件内容与目录不符)")
            continue
        item.staged = target
    if problems:
        raise DossierError(
            "volume stopped: files do not match the catalog (文件与目录不符，卷文件未生成); run "
            "`dossier audit verify`: " + "; ".join(problems)
        )


def _stage_copy(source: Path, target: Path | None) -> str:
    """Copy ``source`` to ``target`` (when given) and return the SHA-256 of what will be bound."""
    if target is None:
        return file_sha256(source)
    shutil.copyfile(source, target)
    return file_sha256(target)
