"""A user's upload through the inbox's own steps: the API and the borrower page share this one path."""

from __future__ import annotations

from typing import BinaryIO

from fastapi import HTTPException

from dossier.access.scope import visible_borrower_ids
from dossier.access.users import Principal
from dossier.inbox.upload import TooLarge, UploadOutcome, accept, stage
from dossier.service.state import Services


def upload_for(
    svc: Services, user: Principal, stream: BinaryIO, name: str, *, borrower: str = "", folder: str = ""
) -> UploadOutcome:
    """Stage, run the inbox steps within the user's scope and index; too large is 413.

    The ``borrower`` and ``folder`` hints are evidence as inbox folders are; whatever decides the
    borrower (a folder, a contract or receipt number, an ID in the name or text), the inbox's matcher
    sees only the borrowers the user may see, so another officer's borrower answers exactly as one
    that is not registered (quarantined as ``no-borrower``)."""
    scope = svc.archive.transaction(
        lambda s: visible_borrower_ids(s, user, svc.access, writing=True), write=False
    )
    try:
        relative = stage(
            svc.archive, stream, name or "upload", [borrower, folder], svc.settings.max_upload_bytes
        )
    except TooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    outcome = accept(
        svc.archive, relative, actor=user.actor, scope=None if scope is None else frozenset(scope)
    )
    svc.make_searchable()
    return outcome
