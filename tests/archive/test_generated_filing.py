"""Generated documents filed per subject: every borrower a kind names gets the document and its input."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Borrower, Document, Loan
from dossier.config import load_config
from dossier.errors import DossierError
from dossier.generation import Generator, document_date, file_generated
from dossier.kinds.base import Subject, default_subjects
from dossier.kinds.registry import get_kind

GUARANTOR = "350203199003150022"


def reminder_with_guarantor(data) -> list[Subject]:
    """A kind that files into the borrower's archive and a guarantor's as well."""
    return [*default_subjects(data), Subject(GUARANTOR, "王五", "person")]


@pytest.fixture
def archive(tmp_path):
    with Archive.init(tmp_path / "home", config=load_config()) as opened:
        yield opened


def rows(archive, model):
    return archive.transaction(lambda s: list(s.execute(select(model)).scalars()), write=False)


def test_a_document_naming_two_subjects_is_filed_in_both_archives(archive):
    kind = dataclasses.replace(get_kind("reminder"), subjects=reminder_with_guarantor)
    document = Generator(config=load_config()).generate(kind, kind.example())
    filings = file_generated(archive, document, actor="test")
    assert [f["borrower_key"] for f in filings] == ["11010519491231002X", GUARANTOR]
    assert [f["status"] for f in filings] == ["filed", "filed"]
    assert {b.key for b in rows(archive, Borrower)} == {"11010519491231002X", GUARANTOR}
    assert [loan.contract_number for loan in rows(archive, Loan)] == ["JK2025-000456"]
    for doc in rows(archive, Document):
        assert doc.source == "generated" and doc.doc_type == "maturity-reminder"
        assert doc.details["kind"] == "reminder"
        sidecar = json.loads((archive.home / doc.details["input"]["path"]).read_text(encoding="utf-8"))
        assert sidecar["input"]["loan"]["contract_number"] == "JK2025-000456"
    assert document_date(document.data) == document.data.notice_date


def test_a_kind_that_names_no_subject_is_refused_with_advice(archive):
    def no_subject(data):
        raise TypeError(f"{type(data).__name__} has no borrower field; its kind must define subjects()")

    kind = dataclasses.replace(get_kind("reminder"), subjects=no_subject)
    document = Generator(config=load_config()).generate(kind, kind.example())
    with pytest.raises(DossierError, match="--no-file"):
        file_generated(archive, document, actor="test")


def test_a_public_notice_is_filed_once_into_each_debtors_archive(archive):
    kind = get_kind("public-notice")
    document = Generator(config=load_config()).generate(kind, kind.example())
    filings = file_generated(archive, document, actor="test")
    debtors = {row.key for row in document.data.debtors}
    assert {f["borrower_key"] for f in filings} == debtors
    assert len(filings) == len(debtors)
