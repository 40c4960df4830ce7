"""An archive with one borrower, one mortgage loan and the documents a verification is about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import Image

from dossier.archive import Archive
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower, ensure_loan
from dossier.config import load_config

KEY = "11010519491231002X"
NAME = "张三"
LOAN = "JK2026-000123"
OTHER_LOAN = "JK2026-000456"
APPROVED = date(2026, 3, 10)


@dataclass(frozen=True)
class Sample:
    archive: Archive
    contract: int
    """The 购销合同 (purpose-proof) of LOAN."""
    certificate: int
    """The 不动产权证书 (property-certificate) of LOAN."""
    other: int
    """A 购销合同 of OTHER_LOAN."""


def pdf(text: str) -> bytes:
    return f"%PDF-1.4\n% {text}\n%%EOF\n".encode()


def make_sample(home: Path) -> Sample:
    archive = Archive.init(home, config=load_config())
    ensure_borrower(archive, KEY, NAME, "business-owner")
    facts = {
        "product": "personal-business",
        "guarantee_methods": ["mortgage"],
        "start_date": date(2026, 3, 15),
    }
    ensure_loan(archive, KEY, LOAN, facts=facts)
    ensure_loan(
        archive, KEY, OTHER_LOAN, facts={"product": "personal-business", "start_date": date(2026, 5, 1)}
    )

    def filed(doc_type: str, title: str, loan: str | None, when: date) -> int:
        return file_document(
            archive,
            pdf(f"{title} {loan} {when}"),
            borrower_key=KEY,
            category=_CATEGORIES[doc_type],
            doc_type=doc_type,
            title=title,
            contract_number=loan,
            doc_date=when,
            filename=f"{title}-{loan}.pdf",
        ).document_id

    filed("credit-approval", "授信审批表", LOAN, APPROVED)
    contract = filed("purpose-proof", "购销合同", LOAN, date(2026, 3, 1))
    certificate = filed("property-certificate", "不动产权证书", LOAN, date(2026, 3, 2))
    other = filed("purpose-proof", "购销合同二", OTHER_LOAN, date(2026, 4, 20))
    return Sample(archive, contract, certificate, other)


_CATEGORIES = {"credit-approval": "approval", "purpose-proof": "approval", "property-certificate": "security"}


def photo(path: Path, taken: str = "2026:03:05 10:15:00") -> Path:
    image = Image.new("RGB", (32, 24), (90, 140, 200))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = taken
    exif.get_ifd(0x8769)[0x9011] = "+08:00"
    image.save(path, exif=exif)
    return path
