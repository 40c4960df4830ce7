"""An archive with the people of a credit process and one borrower, and helpers to file what each stage
asks for (the default checklists for 个人消费, guarantee 信用)."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dossier.access.scope import assign
from dossier.access.users import add_user
from dossier.archive import Archive
from dossier.archive.catalog.models import Borrower
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.config import Config, load_config
from dossier.domain.document_types import get_document_type
from dossier.process.store import Application
from dossier.process.transitions import act, submit
from dossier.verification import record_verification

KEY = "11010519491231002X"
NAME = "张三"
PASSWORD = "correct-horse-9"
PEOPLE = {
    "li": "officer",
    "wang": "officer",
    "zhao": "reviewer",
    "qian": "risk-manager",
    "sun": "approver",
    "zhou": "approver",
    "ma": "officer",
    "an": "archivist",
}

# What each stage's gate asks of a 个人消费 loan under the shipped checklists.
INTAKE = ("loan-application", "id-card", "hukou", "credit-authorization")
INVESTIGATION = ("investigation-report", "credit-report-personal", "income-proof", "purpose-proof")
SIGNING = ("loan-contract", "video-recording")


_SERIAL = itertools.count()


def pdf(text: str) -> bytes:
    return f"%PDF-1.4\n% {text}\n%%EOF\n".encode()


@dataclass
class Kit:
    archive: Archive
    home: Path

    def apply(self, actor: str = "li", **changes: object) -> int:
        fields: dict = {
            "borrower_key": KEY,
            "product": "个人消费",
            "amount": "200000",
            "term_months": 24,
            "guarantees": ["信用"],
            "actor": actor,
            "role": PEOPLE[actor],
        }
        fields.update(changes)
        return submit(self.archive, **fields).id  # type: ignore[arg-type]

    def act(self, app: int, kind: str, actor: str, **kwargs: object) -> Application:
        return act(self.archive, app, kind, actor=actor, role=PEOPLE[actor], **kwargs)  # type: ignore[arg-type]

    def file(self, doc_type: str, *, when: date | None = None, details: dict | None = None) -> int:
        category = get_document_type(doc_type, self.archive.config).category
        return file_document(
            self.archive,
            pdf(f"{doc_type} {when} {details} {next(_SERIAL)}"),
            borrower_key=KEY,
            category=category,
            doc_type=doc_type,
            title=doc_type,
            doc_date=when or date.today(),
            details=details,
            filename=f"{doc_type}.pdf",
            actor="li",
        ).document_id

    def file_stage(self, doc_types: tuple[str, ...]) -> list[int]:
        return [
            self.file(t, details={"valid_until": "2046-01-01"} if t == "id-card" else None) for t in doc_types
        ]

    def site_visit(self, document_id: int, with_people: tuple[str, ...] = ("wang",)) -> int:
        return record_verification(
            self.archive, document_id, "上门核实", "一致", "li", with_people=list(with_people)
        ).id


def quick_config(**process: object) -> Config:
    """The defaults, with an inbox that files at once (no quiet period, no OCR) and ``process`` changes."""
    data = copy.deepcopy(dict(load_config().data))
    data["inbox"] = {**data["inbox"], "quiet_seconds": 0, "ocr_worker": False}
    data["search"] = {**data["search"], "ocr": False}
    data["process"] = {**data["process"], **process}
    return Config(data=data, sources=("defaults", "test overrides"))


def make_kit(home: Path, config: Config | None = None) -> Kit:
    archive = Archive.init(home, config=config or quick_config())
    for name, role in PEOPLE.items():
        archive.transaction(lambda s, n=name, r=role: add_user(s, n, r, PASSWORD, actor="setup"))
    borrower = ensure_borrower(archive, KEY, NAME, "person", officer="li")
    for officer in ("li", "wang"):  # "ma" is an officer this borrower is not assigned to
        archive.transaction(lambda s, o=officer: assign(s, o, s.get(Borrower, borrower.id), actor="setup"))
    return Kit(archive, home)
