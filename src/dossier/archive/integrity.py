"""`dossier audit verify`: the audit chain walked, what it says should exist rebuilt from it alone, and
both the catalog and the files compared with that.

The chain is the authority, not the catalog: a file swapped together with its ``documents`` row, or a
file deleted together with its row, still differs from the SHA-256 and path the chain's ``file`` event
holds (chain_state.py). Anchors kept outside the catalog (anchors.py) catch what the chain cannot show
about itself: a cut tail, or a rewrite re-hashed to the end.

Files the chain never filed are reported wherever they lie in the home, except in ``_inbox/``,
``_quarantine/`` and ``.dossier/``, which are not part of any borrower's file.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.anchors import Anchor, AnchorProblem, check_anchors, configured_log, read_anchors
from dossier.archive.audit import AuditHeadMissing, ChainReport, append_event, verify_chain
from dossier.archive.catalog.models import Document, Rendition
from dossier.archive.chain_state import ChainedDocument, ChainedRendition, ChainState
from dossier.archive.home import RESERVED, Archive
from dossier.durable import file_sha256

EVENT_PATHS = 50


class Discrepancy(StrEnum):
    """How the catalog or the files differ from what the chain filed."""

    MISSING = "missing"
    """A file the chain filed is not in the home (or is a symbolic link)."""
    CHANGED = "changed"
    """A file the chain filed has another SHA-256."""
    UNKNOWN = "unknown"
    """A file in a borrower folder that the chain never filed."""
    ROW_MISSING = "row-missing"
    """The chain filed a document the catalog has no row for."""
    ROW_DIFFERS = "row-differs"
    """The catalog's row names another path, hash, size or sidecar than the chain, or is not filed."""
    ROW_UNRECORDED = "row-unrecorded"
    """The catalog has a filed row the chain never filed."""


@dataclass(frozen=True)
class FileProblem:
    path: str
    """Relative to the home."""
    document_id: int
    problem: Discrepancy
    expected: str
    """The SHA-256 the chain recorded."""
    actual: str | None = None
    """The SHA-256 found, for a changed file."""
    rendition_id: int | None = None
    """Set when the file is a rendition of the document (renditions.py)."""


@dataclass(frozen=True)
class CatalogProblem:
    document_id: int
    problem: Discrepancy
    field: str
    """What differs: ``path``, ``sha256``, ``size``, ``input``, ``state`` or ``row``."""
    chain: Any
    """What the chain says (None: the chain never filed it)."""
    catalog: Any
    """What the catalog says (None: no row)."""
    rendition_id: int | None = None
    """Set when the row is the document's rendition, not the document."""

    @property
    def message(self) -> str:
        if self.rendition_id is not None:
            return self._rendition_message()
        if self.problem is Discrepancy.ROW_MISSING:
            return f"document {self.document_id}: filed in the chain but has no catalog row (目录记录缺失)"
        if self.problem is Discrepancy.ROW_UNRECORDED:
            return (
                f"document {self.document_id}: in the catalog but never filed in the chain (目录记录无来源)"
            )
        return (
            f"document {self.document_id}: catalog {self.field} {self.catalog!r} differs from the chain's "
            f"{self.chain!r} (目录记录与审计链不符)"
        )

    def _rendition_message(self) -> str:
        which = f"document {self.document_id} rendition {self.rendition_id}"
        if self.problem is Discrepancy.ROW_MISSING:
            return f"{which}: filed in the chain but has no catalog row (副本目录记录缺失)"
        if self.problem is Discrepancy.ROW_UNRECORDED:
            return f"{which}: in the catalog but never filed in the chain (副本目录记录无来源)"
        return (
            f"{which}: catalog {self.field} {self.catalog!r} differs from the chain's {self.chain!r} "
            "(副本目录记录与审计链不符)"
        )


@dataclass
class IntegrityReport:
    chain: ChainReport
    documents: int = 0
    """Documents the chain filed."""
    renditions: int = 0
    """Renditions the chain filed (other forms of those documents, e.g. the PDF/A of a DOCX)."""
    files: int = 0
    """Files re-hashed: documents, their input sidecars and their renditions."""
    missing: list[FileProblem] = field(default_factory=list)
    changed: list[FileProblem] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    catalog: list[CatalogProblem] = field(default_factory=list)
    """Catalog rows that differ from the chain."""
    pending: list[int] = field(default_factory=list)
    """Filings a crash interrupted (run `dossier repair`)."""
    pending_renditions: list[int] = field(default_factory=list)
    """Rendition filings a crash interrupted (rendition ids; run `dossier repair`)."""
    anchors: int = 0
    """Anchors checked."""
    anchor_problems: list[AnchorProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain.ok and not (
            self.missing
            or self.changed
            or self.unknown
            or self.catalog
            or self.pending
            or self.pending_renditions
            or self.anchor_problems
        )

    def summary(self) -> dict[str, Any]:
        """The report as plain data (the CLI's --json and the API answer with it)."""
        problem = self.chain.problem
        return {
            "ok": self.ok,
            "chain": {
                "ok": self.chain.ok,
                "events": self.chain.events,
                "head_seq": self.chain.head_seq,
                "broken_at": problem.seq if problem else None,
                "problem": problem.kind.value if problem else None,
                "message": problem.message if problem else None,
            },
            "documents": self.documents,
            "renditions": self.renditions,
            "files": self.files,
            "missing": [_plain(p) for p in self.missing],
            "changed": [_plain(p) for p in self.changed],
            "unknown": list(self.unknown),
            "catalog": [{**_plain(p), "message": p.message} for p in self.catalog],
            "pending": list(self.pending),
            "pending_renditions": list(self.pending_renditions),
            "anchors": {
                "checked": self.anchors,
                "problems": [
                    {
                        "source": p.anchor.source,
                        "seq": p.anchor.seq,
                        "hash": p.anchor.hash,
                        "problem": p.kind.value,
                        "found": p.found,
                        "message": p.message,
                    }
                    for p in self.anchor_problems
                ],
            },
        }


def _plain(problem: FileProblem | CatalogProblem) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in dataclasses.asdict(problem).items()}


@dataclass(frozen=True)
class _RenditionRow:
    rendition_id: int
    document_id: int
    kind: str
    path: str
    sha256: str
    size: int
    state: str


@dataclass(frozen=True)
class _Row:
    document_id: int
    path: str
    sha256: str
    size: int
    state: str
    details: dict[str, Any]


def verify_archive(
    archive: Archive,
    *,
    record: bool = True,
    actor: str = "system",
    anchors: Sequence[Anchor] | None = None,
) -> IntegrityReport:
    """Check the chain, the catalog and every file against what the chain filed, and the chain against
    ``anchors`` (None: those in ``[audit].anchor_path``, if that log exists). With ``record``, the
    check itself becomes a ``verify`` event."""
    if anchors is None:
        log = configured_log(archive)
        anchors = read_anchors(log) if log is not None and log.exists() else []
    # The snapshot is taken while no filing is half-way (exclusive lock), so a file being put in place
    # is never mistaken for an unknown one; the slow part, hashing, runs after the lock is released.
    with archive.filing_lock(exclusive=True):
        chain, state, rows, renditions, anchor_problems = archive.transaction(
            lambda s: _read(s, anchors), write=False
        )
        on_disk = _files_on_disk(archive)
    report = IntegrityReport(chain=chain, anchors=len(anchors), anchor_problems=anchor_problems)
    report.documents = len(state.documents)
    report.renditions = len(state.renditions)
    report.pending = [r.document_id for r in rows.values() if r.state != "filed"]
    report.pending_renditions = [r.rendition_id for r in renditions.values() if r.state != "filed"]
    report.catalog = _compare_catalog(state, rows) + _compare_renditions(state, renditions)
    for document_id, rendition_id, item in state.files():
        report.files += 1
        regular = on_disk.get(item.path)
        if regular is None:
            actual = None
        else:
            actual = _sha256_no_follow(archive.home / item.path) if regular else "symbolic link"
        if actual is None:
            report.missing.append(
                FileProblem(item.path, document_id, Discrepancy.MISSING, item.sha256, None, rendition_id)
            )
        elif actual != item.sha256:
            report.changed.append(
                FileProblem(item.path, document_id, Discrepancy.CHANGED, item.sha256, actual, rendition_id)
            )
    # A pending filing's files may be in place already: `dossier repair` settles them, not this report.
    known = state.paths() | {r.path for r in rows.values() if r.state != "filed"}
    known |= {r.path for r in renditions.values() if r.state != "filed"}
    known |= {
        str(r.details["input"]["path"])
        for r in rows.values()
        if r.state != "filed" and isinstance(r.details.get("input"), dict) and "path" in r.details["input"]
    }
    report.unknown = sorted(p for p in on_disk if p not in known)
    if record:
        _record(archive, report, actor)
    return report


def _read(
    session: Session, anchors: Sequence[Anchor]
) -> tuple[ChainReport, ChainState, dict[int, _Row], dict[int, _RenditionRow], list[AnchorProblem]]:
    """One read transaction: the chain walked (rebuilding its state on the way), the catalog's rows, the
    anchors looked up; all from the same snapshot."""
    state = ChainState()
    chain = verify_chain(session, visit=state.visit)
    columns = select(
        Document.id, Document.path, Document.sha256, Document.size, Document.state, Document.details
    )
    rows = {
        row.id: _Row(row.id, row.path, row.sha256, row.size, row.state, row.details or {})
        for row in session.execute(columns.order_by(Document.id))
    }
    rendition_columns = select(
        Rendition.id,
        Rendition.document_id,
        Rendition.kind,
        Rendition.path,
        Rendition.sha256,
        Rendition.size,
        Rendition.state,
    )
    renditions = {
        row.id: _RenditionRow(row.id, row.document_id, row.kind, row.path, row.sha256, row.size, row.state)
        for row in session.execute(rendition_columns.order_by(Rendition.id))
    }
    return chain, state, rows, renditions, check_anchors(session, anchors)


def _compare_catalog(state: ChainState, rows: dict[int, _Row]) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
    for document_id, document in state.documents.items():
        row = rows.get(document_id)
        if row is None:
            problems.append(
                CatalogProblem(document_id, Discrepancy.ROW_MISSING, "row", document.file.path, None)
            )
            continue
        problems.extend(_row_differences(document, row))
    for row in rows.values():
        if row.state == "filed" and row.document_id not in state.documents:
            problems.append(
                CatalogProblem(row.document_id, Discrepancy.ROW_UNRECORDED, "row", None, row.path)
            )
    return problems


def _compare_renditions(state: ChainState, rows: dict[int, _RenditionRow]) -> list[CatalogProblem]:
    problems: list[CatalogProblem] = []
    for rendition_id, chained in state.renditions.items():
        row = rows.get(rendition_id)
        if row is None:
            problems.append(
                CatalogProblem(
                    chained.document_id, Discrepancy.ROW_MISSING, "row", chained.file.path, None, rendition_id
                )
            )
            continue
        problems.extend(_rendition_differences(chained, row))
    for row in rows.values():
        if row.state == "filed" and row.rendition_id not in state.renditions:
            problems.append(
                CatalogProblem(
                    row.document_id, Discrepancy.ROW_UNRECORDED, "row", None, row.path, row.rendition_id
                )
            )
    return problems


def _rendition_differences(chained: ChainedRendition, row: _RenditionRow) -> list[CatalogProblem]:
    found: list[CatalogProblem] = []
    expected = {
        "state": ("filed", row.state),
        "document": (chained.document_id, row.document_id),
        "kind": (chained.kind, row.kind),
        "path": (chained.file.path, row.path),
        "sha256": (chained.file.sha256, row.sha256),
        "size": (chained.file.size if chained.file.size is not None else row.size, row.size),
    }
    for name, (chain, catalog) in expected.items():
        if chain != catalog:
            found.append(
                CatalogProblem(
                    chained.document_id, Discrepancy.ROW_DIFFERS, name, chain, catalog, chained.rendition_id
                )
            )
    return found


def _row_differences(document: ChainedDocument, row: _Row) -> list[CatalogProblem]:
    found: list[CatalogProblem] = []

    def differs(name: str, chain: Any, catalog: Any) -> None:
        found.append(CatalogProblem(document.document_id, Discrepancy.ROW_DIFFERS, name, chain, catalog))

    if row.state != "filed":
        differs("state", "filed", row.state)
    if row.path != document.file.path:
        differs("path", document.file.path, row.path)
    if row.sha256 != document.file.sha256:
        differs("sha256", document.file.sha256, row.sha256)
    if document.file.size is not None and row.size != document.file.size:
        differs("size", document.file.size, row.size)
    sidecar = row.details.get("input")
    chained = document.sidecar
    row_sidecar = (sidecar.get("path"), sidecar.get("sha256")) if isinstance(sidecar, dict) else None
    chain_sidecar = (chained.path, chained.sha256) if chained is not None else None
    if row_sidecar != chain_sidecar:
        differs("input", chain_sidecar, row_sidecar)
    return found


def _record(archive: Archive, report: IntegrityReport, actor: str) -> None:
    problem = report.chain.problem
    try:
        archive.transaction(
            lambda s: append_event(
                s,
                actor=actor,
                action="verify",
                target=str(archive.home),
                details={
                    "ok": report.ok,
                    "documents": report.documents,
                    "chain": problem.kind.value if problem else "ok",
                    # Counts in full, paths up to a limit: the event must stay small on a damaged archive.
                    "missing": len(report.missing),
                    "changed": len(report.changed),
                    "unknown": len(report.unknown),
                    "catalog": len(report.catalog),
                    "anchors": report.anchors,
                    "anchor_problems": len(report.anchor_problems),
                    "paths": [p.path for p in report.missing + report.changed][:EVENT_PATHS]
                    + report.unknown[:EVENT_PATHS],
                },
            )
        )
    except AuditHeadMissing:
        pass  # the report says so (chain problem head-missing); `dossier repair` rebuilds the head


def _files_on_disk(archive: Archive) -> dict[str, bool]:
    """Every file and symbolic link outside the reserved folders, relative to the home (forward
    slashes), mapped to whether it is a regular file. Links are listed, never followed."""
    found: dict[str, bool] = {}
    pending = [(archive.home, "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                relative = f"{prefix}{entry.name}"
                if not prefix and entry.name in RESERVED and entry.is_dir(follow_symlinks=False):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append((Path(entry.path), f"{relative}/"))
                else:
                    found[relative] = entry.is_file(follow_symlinks=False)
    return found


def _sha256_no_follow(path: Path) -> str | None:
    """The file's SHA-256, refusing to follow a link swapped in since the scan; None if it is gone."""
    try:
        return file_sha256(path, follow_symlinks=False)
    except OSError:
        return None
