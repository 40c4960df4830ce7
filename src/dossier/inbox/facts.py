"""What each pipeline step records in the journal (``steps[name]``): one frozen dataclass per step.

The catalog keeps ``steps`` as JSON: :meth:`StepResult.of` reads a step back from an item,
:meth:`StepResult.from_facts` from facts a run has not committed yet, and ``facts()`` (where the
pipeline writes through the class) is what the step records. Facts a class does not name (``at``, the
classifier's and matcher's own evidence) stay in the JSON and are not read here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, Self

from dossier.inbox.journal import Item
from dossier.inbox.outcome import Outcome


class FilingStatus(StrEnum):
    """What ``file_document`` answered (``FilingResult.status``), as the ``filed`` step records it."""

    FILED = "filed"
    """A new document."""
    VERSION = "version"
    """A later version of a document of the same name."""
    DUPLICATE = "duplicate"
    """A document already held the content."""


@dataclass(frozen=True)
class StepResult:
    name: ClassVar[str] = ""
    ms: float | None = None
    """How long the step's own work took."""

    @classmethod
    def from_facts(cls, facts: Mapping[str, Any] | None) -> Self:
        if not facts:
            return cls()
        names = _names(cls)  # type: ignore[arg-type]  # a class is hashable; mypy misses it through Self
        return cls(**{k: facts[k] for k in names if k in facts})

    @classmethod
    def of(cls, item: Item) -> Self:
        """The step as ``item``'s journal row recorded it (every fact None if it has not)."""
        return cls.from_facts(item.steps.get(cls.name))


@dataclass(frozen=True)
class HashedStep(StepResult):
    name: ClassVar[str] = "hashed"
    sha256: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class ExtractedStep(StepResult):
    name: ClassVar[str] = "extracted"
    media_type: str | None = None
    status: str | None = None
    """The extractor's: ``ok``, ``partial`` or ``error``."""
    flags: list[str] | None = None
    chars: int | None = None
    error: str | None = None
    pages: int | None = None
    cached: bool | None = None


@dataclass(frozen=True)
class ClassifiedStep(StepResult):
    name: ClassVar[str] = "classified"
    doc_type: str | None = None
    category: str | None = None
    rule: str | None = None


@dataclass(frozen=True)
class MatchedStep(StepResult):
    name: ClassVar[str] = "matched"
    borrower_key: str | None = None
    rule: str | None = None
    contract_number: str | None = None
    duplicate_of: int | None = None
    """A document already holding this content, when nothing else names the borrower."""
    flags: list[str] | None = None


@dataclass(frozen=True)
class FiledStep(StepResult):
    name: ClassVar[str] = "filed"
    document_id: int | None = None
    status: FilingStatus | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and not isinstance(self.status, FilingStatus):
            object.__setattr__(self, "status", FilingStatus(self.status))

    @property
    def duplicate(self) -> bool:
        return self.status is FilingStatus.DUPLICATE

    @property
    def outcome(self) -> Outcome:
        """How the row closes once indexed and removed."""
        return Outcome.DUPLICATE if self.duplicate else Outcome.FILED

    @property
    def needs_index(self) -> bool:
        """A new document was filed (a duplicate's document is in the index already)."""
        return self.status is not None and not self.duplicate

    def facts(self) -> dict[str, Any]:
        recorded: dict[str, Any] = {"document_id": self.document_id, "status": self.status}
        if self.path is not None:
            recorded["path"] = self.path
        return {**recorded, "ms": self.ms}


@dataclass(frozen=True)
class IndexedStep(StepResult):
    name: ClassVar[str] = "indexed"
    batch: int | None = None
    searchable: bool | None = None
    """False while the document waits in the search outbox (see ``pipeline.index_and_remove``)."""

    def facts(self) -> dict[str, Any]:
        return {"ms": self.ms, "batch": self.batch, "searchable": self.searchable}


@dataclass(frozen=True)
class RemovedStep(StepResult):
    name: ClassVar[str] = "removed"
    batch: int | None = None

    def facts(self) -> dict[str, Any]:
        return {"ms": self.ms, "batch": self.batch}


@cache
def _names(cls: type[StepResult]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))
