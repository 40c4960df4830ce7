"""Generate a document for a user and file it: the API and the generate page share this one path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dossier.access.scope import assign_user, refuse_hidden
from dossier.access.users import Principal
from dossier.archive.catalog.user_tables import User
from dossier.archive.registry import find_borrower, normalize_key
from dossier.generation import Document, file_generated
from dossier.service.state import Services


@dataclass
class Generated:
    document: Document
    document_ids: list[int]


def generate_and_file(svc: Services, user: Principal, kind: str, data: Any, *, source: str) -> Generated:
    """Validate, render and file; an officer's new borrowers become theirs (an assignment to their
    account). Raises InputError, BorrowerNotFound (another officer's borrower, worded as one that does
    not exist) or DossierError."""
    with svc.generate_lock:
        document = svc.generator.generate(kind, data, source=source)
    keys = [normalize_key(s.borrower_key, svc.config) for s in document.kind.subjects(document.data)]
    svc.archive.transaction(lambda s: refuse_hidden(s, user, svc.access, keys), write=False)
    filings = file_generated(svc.archive, document, actor=user.actor)

    def make_theirs(session: Session) -> None:
        if svc.access.scoped(user.role):
            account = session.get(User, user.id)
            assert account is not None  # the signed-in user
            for key in {f["borrower_key"] for f in filings}:
                if (borrower := find_borrower(session, key)) is not None:
                    assign_user(session, account, borrower, actor=user.actor)

    svc.archive.transaction(make_theirs)
    svc.make_searchable()
    return Generated(document, [f["document_id"] for f in filings])
