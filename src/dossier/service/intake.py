"""A user's upload through the inbox's own steps: the API and the borrower page share this one path."""

from __future__ import annotations

from typing import BinaryIO

from fastapi import HTTPException

from dossier.access.scope import refuse_hidden
from dossier.access.users import Principal
from dossier.inbox.upload import TooLarge, UploadOutcome, accept, stage
from dossier.service.state import Services


def upload_for(
    svc: Services, user: Principal, stream: BinaryIO, name: str, *, borrower: str = "", folder: str = ""
) -> UploadOutcome:
    """Stage, run the inbox steps and index. An officer naming another officer's borrower gets
    AccessError (an unknown key is evidence for the inbox, which quarantines it); too large is 413."""
    if borrower:
        # The hint is a folder name as the inbox reads it (a key, or key-name); only an exact key is checked.
        svc.archive.transaction(lambda s: refuse_hidden(s, user, svc.access, [borrower.strip()]), write=False)
    try:
        relative = stage(
            svc.archive, stream, name or "upload", [borrower, folder], svc.settings.max_upload_bytes
        )
    except TooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    outcome = accept(svc.archive, relative, actor=user.actor)
    svc.make_searchable()
    return outcome
