"""A small archive for the custody tests: generated documents of three kinds, an archivist, an auditor
and three officers (li holds every borrower; wang holds none; zhao is a reader from elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kit.inbox_samples import COMPANY, license_pdf
from sqlalchemy import select

from dossier.access.scope import assign
from dossier.access.users import add_user, create_token
from dossier.archive.catalog.models import Borrower, Document
from dossier.archive.filing import file_document
from dossier.archive.home import Archive
from dossier.archive.registry import find_borrower
from dossier.config import load_config
from dossier.generation import Generator, file_generated
from dossier.kinds.registry import get_kind

PASSWORD = "correct-horse-9"
KINDS = ("loan-contract", "collection", "investigation")
USERS = {
    "archivist": ("archivist", "档案员周敏"),
    "auditor": ("auditor", "审计员郑洁"),
    "li": ("officer", "李晓峰"),
    "wang": ("officer", "王五"),
    "zhao": ("officer", "赵六"),
}
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

__all__ = ["COMPANY", "PASSWORD", "START", "Clock", "Kit", "build", "chain_ok"]


class Clock:
    """A clock a test moves by hand: the service reads it on every request."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Kit:
    home: Path
    tokens: dict[str, str] = field(default_factory=dict)
    borrowers: dict[str, int] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)
    """Document id → category key, of the borrower COMPANY."""

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def build(home: Path) -> Kit:
    config = load_config()
    archive = Archive.init(home, config=config)
    kit = Kit(home=home)
    try:
        generator = Generator(config=config)
        for name in KINDS:
            kind = get_kind(name)
            document = generator.generate(kind, kind.example(), source=f"{name}.yaml")
            file_generated(archive, document, actor="setup")
        # A second category in COMPANY's file: its business licence (01 基本资料).
        file_document(
            archive,
            license_pdf(),
            borrower_key=COMPANY,
            category="basic",
            doc_type="business-license",
            title="营业执照",
            original_name="营业执照.pdf",
            actor="setup",
        )
        for username, (role, display) in USERS.items():
            archive.transaction(
                lambda s, u=username, r=role, d=display: add_user(
                    s, u, r, PASSWORD, display_name=d, actor="setup"
                )
            )
            _, secret = archive.transaction(lambda s, u=username: create_token(s, u, "tests", actor="setup"))
            kit.tokens[username] = secret
        kit.borrowers = archive.transaction(
            lambda s: dict(s.execute(select(Borrower.key, Borrower.id).order_by(Borrower.key)).all()),
            write=False,
        )
        for key in kit.borrowers:
            archive.transaction(lambda s, k=key: assign(s, "li", find_borrower(s, k), actor="setup"))
        kit.categories = archive.transaction(
            lambda s: dict(
                s.execute(
                    select(Document.id, Document.category)
                    .where(Document.borrower_id == kit.borrowers[COMPANY])
                    .order_by(Document.id)
                ).all()
            ),
            write=False,
        )
    finally:
        archive.close()
    return kit


def chain_ok(home: Path) -> bool:
    """What `dossier audit verify` checks: the chain, and the catalog and every file against it."""
    from dossier.archive.integrity import verify_archive

    with Archive.open(home, config=load_config()) as archive:
        report = verify_archive(archive, actor="tests")
        assert report.ok, report.summary()
        return report.ok
