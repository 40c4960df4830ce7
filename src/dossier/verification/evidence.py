"""Evidence of a verification: photos, recordings, screenshots and printouts, filed like any document.

Each file goes through ``dossier.archive.filing.file_document`` into the borrower's archive, in the
category of the document it supports (a site-visit photo of a mortgaged flat lies beside its 不动产权证书),
under the loan of that document, hashed and logged; photos, video and audio keep their header facts
(dossier.media) in the document's details. The record names each evidence document with its SHA-256, so
``dossier audit verify`` proves the evidence unchanged along with the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from dossier.archive.catalog.models import Document
from dossier.archive.filing import file_document
from dossier.archive.home import Archive
from dossier.archive.names import split_suffix
from dossier.domain.document_types import get_document_type
from dossier.media import read_media

if TYPE_CHECKING:
    from dossier.verification.records import Target
    from dossier.verification.settings import VerificationSettings

_MEDIA_FACTS = ("captured_at", "gps", "duration_seconds", "recorded_at")


@dataclass(frozen=True)
class EvidenceFile:
    """A file to file as evidence; ``name`` is its own name when the path is a temporary upload."""

    path: Path
    name: str | None = None


@dataclass(frozen=True)
class EvidenceRef:
    """One evidence document as a verification record names it."""

    document_id: int
    sha256: str
    path: str
    kind: str
    """``photo``, ``video``, ``audio`` or ``other``."""
    original_name: str | None = None
    media: dict[str, Any] | None = None
    """Capture or recording time, GPS position, duration: what the file's header says."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "sha256": self.sha256,
            "path": self.path,
            "kind": self.kind,
            "original_name": self.original_name,
            "media": self.media,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvidenceRef:
        return cls(
            document_id=int(data["document_id"]),
            sha256=data["sha256"],
            path=data["path"],
            kind=data.get("kind") or "other",
            original_name=data.get("original_name"),
            media=data.get("media"),
        )


def _media_summary(media: dict[str, Any] | None) -> dict[str, Any] | None:
    if not media:
        return None
    return {key: media[key] for key in _MEDIA_FACTS if key in media} or None


def file_evidence(
    archive: Archive,
    target: Target,
    files: Sequence[EvidenceFile],
    *,
    actor: str,
    settings: VerificationSettings,
) -> list[EvidenceRef]:
    """File each evidence file into the checked document's borrower archive; the same content twice is
    recorded once (file_document's duplicate rule) and named by its existing document."""
    stamp = datetime.now(UTC).astimezone(settings.local_zone).strftime("%Y%m%d%H%M%S")
    refs: list[EvidenceRef] = []
    for number, item in enumerate(files, start=1):
        own_name = item.name or item.path.name
        stem, suffix = split_suffix(own_name)
        media = read_media(item.path)
        kind = media["kind"] if media else "other"
        doc_type = get_document_type(settings.evidence_types[kind], archive.config)
        title = f"{doc_type.label}-{target.title}"
        result = file_document(
            archive,
            item.path,
            borrower_key=target.borrower_key,
            category=target.category,
            doc_type=doc_type.key,
            title=title[:120],
            original_name=own_name,
            filename=f"{doc_type.label}-文档{target.document_id}-{stamp}-{number}-{stem[:60]}{suffix}",
            contract_number=target.contract_number,
            source="uploaded",
            actor=actor,
            details={"evidence_for": {"document_id": target.document_id}},
        )
        refs.append(
            EvidenceRef(
                document_id=result.document_id,
                sha256=result.sha256,
                path=archive.relative(result.path),
                kind=kind,
                original_name=own_name,
                media=_media_summary(media),
            )
        )
    return refs


def refs_for_documents(session: Session, document_ids: Sequence[int]) -> list[EvidenceRef]:
    """Evidence already in the archive (filed by the inbox or an upload), named by document id."""
    refs: list[EvidenceRef] = []
    for document_id in document_ids:
        document = session.get(Document, document_id)
        assert document is not None  # checked by the caller before anything was filed
        media = (document.details or {}).get("media")
        refs.append(
            EvidenceRef(
                document_id=document.id,
                sha256=document.sha256,
                path=document.path,
                kind=(media or {}).get("kind") or "other",
                original_name=document.original_name,
                media=_media_summary(media),
            )
        )
    return refs
