"""Generate a document for a user and file it: the API and the generate page share this one path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dossier.access.scope import assign_user, refuse_hidden
from dossier.access.users import Principal
from dossier.archive.catalog.user_tables import User
from dossier.archive.registry import ensure_borrower, find_borrower, normalize_key
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
    subjects = document.kind.subjects(document.data)
    keys = [normalize_key(s.borrower_key, svc.config) for s in subjects]

    def claim(session: Session) -> None:
        # One writing transaction (the catalog's writer lock): the scope check and the registration of
        # a new borrower with its assignment to this officer happen together, so a second request for the
        # same new borrower, on any node, finds it already theirs and never "someone else's".
        refuse_hidden(session, user, svc.access, keys)
        if not svc.access.scoped(user.role):
            return
        account = session.get(User, user.id)
        assert account is not None  # the signed-in user
        for subject, key in zip(subjects, keys, strict=True):
            if find_borrower(session, key) is None:
                borrower = ensure_borrower(
                    session, key, subject.borrower_name, subject.customer_type, actor=user.actor
                )
                assign_user(session, account, borrower, actor=user.actor)

    svc.archive.transaction(claim)
    filings = file_generated(svc.archive, document, actor=user.actor)

    svc.make_searchable()
    return Generated(document, [f["document_id"] for f in filings])
