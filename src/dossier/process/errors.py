"""A refused transition: why (a Refusal), in English and Chinese; nothing was changed."""

from __future__ import annotations

from dossier.errors import DossierError
from dossier.process.enums import Refusal


class ProcessRefused(DossierError):
    """A step that may not be taken; ``reason`` says which kind of refusal, the message says what."""

    def __init__(
        self, reason: Refusal, english: str, chinese: str, *, blockers: tuple[object, ...] = ()
    ) -> None:
        super().__init__(f"{english} ({reason.label}：{chinese})")
        self.reason = reason
        self.english = english
        self.chinese = chinese
        self.blockers = blockers
