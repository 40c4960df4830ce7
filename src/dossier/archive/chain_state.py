"""What the audit chain alone says the archive holds: every filed document's path and SHA-256.

The catalog's ``documents`` table is a working copy; the chain is the record. A ``file`` or ``version``
event names the document (``document:<id>``) and carries its path, SHA-256, size and input sidecar, so
replaying those events rebuilds the archive as it must be, whatever the catalog says now.

Renditions: a ``rendition`` event (target the document) files another form of a document's content
beside it, with its own path and SHA-256 (archive/renditions.py). A ``rendition.migrate`` event turns a
document the chain filed into a rendition of another (legacy generated PDFs): from that event on, the
first is no longer a document, and its file is the second's rendition.

Removals: no command removes a filed document today. Retention only reports what may be destroyed,
quarantine acts on inbox files before they are filed, and `dossier repair` rolls back only pending rows,
which never had a ``file`` event. So every document the chain filed must still exist. A command that
removes one must write an event naming it in REMOVAL_ACTIONS, which this replay then honours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FILING_ACTIONS = frozenset({"file", "version"})
"""Actions that put a new document in the archive (archive.filing.complete writes them)."""
RENDITION_ACTIONS = frozenset({"rendition"})
"""Actions that file a rendition of a document (archive.renditions.complete_rendition)."""
MIGRATE_ACTIONS = frozenset({"rendition.migrate"})
"""Actions that turn a filed document (``merged``) into a rendition of the target document."""
REMOVAL_ACTIONS = frozenset({"remove"})
"""Actions that take a filed document out of the archive, target ``document:<id>`` (none yet)."""
TARGET_PREFIX = "document:"


@dataclass(frozen=True)
class ChainedFile:
    path: str
    """Relative to the home, as the catalog stores it."""
    sha256: str
    size: int | None


@dataclass(frozen=True)
class ChainedDocument:
    document_id: int
    seq: int
    """The event that filed it."""
    file: ChainedFile
    sidecar: ChainedFile | None
    """The input a generated document was made from, filed beside it."""

    def files(self) -> tuple[ChainedFile, ...]:
        return (self.file,) if self.sidecar is None else (self.file, self.sidecar)


@dataclass(frozen=True)
class ChainedRendition:
    rendition_id: int
    document_id: int
    seq: int
    """The event that filed it (or merged it)."""
    kind: str
    file: ChainedFile


@dataclass
class ChainState:
    """Filled one event at a time (``visit``), in chain order, by the walk of audit.verify_chain."""

    documents: dict[int, ChainedDocument] = field(default_factory=dict)
    renditions: dict[int, ChainedRendition] = field(default_factory=dict)
    unreadable: list[int] = field(default_factory=list)
    """Seqs of filing events whose target or details cannot be read (only a forged event has them)."""

    def visit(self, event: Any) -> None:
        if event.action in FILING_ACTIONS:
            self._filed(event)
        elif event.action in RENDITION_ACTIONS or event.action in MIGRATE_ACTIONS:
            self._rendition(event)
        elif event.action in REMOVAL_ACTIONS:
            document_id = _document_id(event.target)
            if document_id is not None:
                self.documents.pop(document_id, None)
                for rendition in [r for r in self.renditions.values() if r.document_id == document_id]:
                    del self.renditions[rendition.rendition_id]

    def _filed(self, event: Any) -> None:
        document_id = _document_id(event.target)
        details = event.details if isinstance(event.details, dict) else {}
        main = _file(details)
        if document_id is None or main is None:
            self.unreadable.append(event.seq)
            return
        sidecar = details.get("input")
        self.documents[document_id] = ChainedDocument(
            document_id, event.seq, main, _file(sidecar) if isinstance(sidecar, dict) else None
        )

    def _rendition(self, event: Any) -> None:
        document_id = _document_id(event.target)
        details = event.details if isinstance(event.details, dict) else {}
        main = _file(details)
        rendition_id, kind = details.get("rendition"), details.get("kind")
        if (
            document_id is None
            or main is None
            or not isinstance(rendition_id, int)
            or not isinstance(kind, str)
        ):
            self.unreadable.append(event.seq)
            return
        if event.action in MIGRATE_ACTIONS:
            merged = details.get("merged")
            if not isinstance(merged, int):
                self.unreadable.append(event.seq)
                return
            # The merged document's file is the rendition now, no longer a document of its own.
            self.documents.pop(merged, None)
        self.renditions[rendition_id] = ChainedRendition(rendition_id, document_id, event.seq, kind, main)

    def files(self) -> list[tuple[int, int | None, ChainedFile]]:
        """Every file the chain filed: (document id, rendition id or None, file)."""
        found: list[tuple[int, int | None, ChainedFile]] = [
            (doc.document_id, None, f) for doc in self.documents.values() for f in doc.files()
        ]
        found.extend((r.document_id, r.rendition_id, r.file) for r in self.renditions.values())
        return found

    def paths(self) -> set[str]:
        return {f.path for _, _, f in self.files()}


def _document_id(target: Any) -> int | None:
    if not isinstance(target, str) or not target.startswith(TARGET_PREFIX):
        return None
    number = target[len(TARGET_PREFIX) :]
    return int(number) if number.isdecimal() else None


def _file(details: dict[str, Any]) -> ChainedFile | None:
    path, sha256, size = details.get("path"), details.get("sha256"), details.get("size")
    if not isinstance(path, str) or not isinstance(sha256, str):
        return None
    return ChainedFile(path, sha256, size if isinstance(size, int) else None)
