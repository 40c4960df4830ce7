"""What custody refuses, as types: the faces map them to 404, 403 or 422."""

from __future__ import annotations

from dossier.access.users import AccessError
from dossier.errors import DossierError


class CustodyRecordNotFound(AccessError):
    """A handover, transfer or loan of a file that does not exist, or that the user has no part in: the
    two answer alike."""

    def __init__(self, what: str, number: str) -> None:
        super().__init__(f"{what} {number} not found (不存在)")
        self.number = number


class FileLoanInactive(AccessError):
    """A loan of a file that does not give access now: not yet approved, refused, returned or ended."""

    def __init__(self, number: str, why: str) -> None:
        super().__init__(f"file loan (借阅单) {number}: {why}")
        self.number = number


class WrongState(DossierError):
    """A step that does not fit the record's state (approving a refused loan, acknowledging twice)."""
