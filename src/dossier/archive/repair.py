"""`dossier repair`: rebuild a lost audit head, finish or roll back filings a crash interrupted, and clear
stray temporary files.

A missing ``audit_head`` row (which makes every write refuse, audit.AuditHeadMissing) is rebuilt from
the chain's last event, but only after the whole chain has been walked and found to link: a broken
chain is refused, since a head rebuilt on it would vouch for the damage.

It holds the filing lock exclusively, so every pending row it sees belongs to a filing that died. A
pending filing is finished when its content is on disk and verified (under the final name or still under
its temporary name), and rolled back otherwise (a pending rendition likewise, renditions.py); a file
under a final name is removed on roll-back only if it is exactly the content the row recorded, so
nothing that might be someone else's is ever deleted.

It also merges, once, the generated PDFs that earlier versions filed as documents of their own into
their DOCX's document as renditions (renditions.merge_generated_pdfs; Archive.open does it too when it
migrates the catalog).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dossier.archive.audit import HEAD_ID, ChainBreak, append_event, verify_chain
from dossier.archive.catalog.models import AuditHead, Document, Rendition
from dossier.archive.filing import complete
from dossier.archive.home import RESERVED, Archive
from dossier.archive.names import TEMP_PREFIX
from dossier.archive.renditions import (
    complete_rendition,
    drop_pending_rendition,
    generated_pdf_pairs,
    merge_generated_pdfs,
    pending_renditions,
)
from dossier.durable import file_sha256, fsync_dir
from dossier.errors import DossierError


@dataclass
class CheckReport:
    repair: bool
    """False: a dry run; the lists say what would be done."""
    completed: list[int] = field(default_factory=list)
    """Pending filings finished (document ids)."""
    rolled_back: list[int] = field(default_factory=list)
    """Pending filings undone (their ids are not reused)."""
    removed: list[str] = field(default_factory=list)
    """Temporary or partial files removed, relative to the home."""
    head_rebuilt: int | None = None
    """The seq the lost audit head row was rebuilt at (or would be, in a dry run)."""
    renditions_completed: list[int] = field(default_factory=list)
    """Pending renditions finished (rendition ids)."""
    renditions_rolled_back: list[int] = field(default_factory=list)
    """Pending renditions undone."""
    merged: list[int] = field(default_factory=list)
    """Legacy generated PDF documents merged into their DOCX's document as renditions (their old ids)."""

    @property
    def clean(self) -> bool:
        """Nothing needed doing."""
        return (
            not (self.completed or self.rolled_back or self.removed)
            and not (self.renditions_completed or self.renditions_rolled_back or self.merged)
            and self.head_rebuilt is None
        )


class ChainBrokenError(DossierError):
    """The head row is missing and the chain does not link: the head cannot be rebuilt from it."""


@dataclass(frozen=True)
class _Part:
    final: Path
    temp: Path | None
    sha256: str

    def final_ok(self) -> bool:
        return self.final.is_file() and not self.final.is_symlink() and file_sha256(self.final) == self.sha256

    def temp_ok(self) -> bool:
        return self.temp is not None and self.temp.is_file() and file_sha256(self.temp) == self.sha256

    def recoverable(self) -> bool:
        if self.final_ok():
            return True
        return not os.path.lexists(self.final) and self.temp_ok()


def check(archive: Archive, *, repair: bool = True, actor: str = "system") -> CheckReport:
    """Repair what interrupted filings left behind (or, with ``repair=False``, only report it)."""
    report = CheckReport(repair=repair)
    with archive.filing_lock(exclusive=True):
        # First: finishing a filing appends an event, which needs the head.
        report.head_rebuilt = archive.transaction(lambda s: _rebuild_head(s, repair), write=repair)
        pending = archive.transaction(
            lambda s: list(s.execute(select(Document).where(Document.state == "pending")).scalars()),
            write=False,
        )
        for document in pending:
            _settle(archive, document, report, actor)
        for rendition in archive.transaction(pending_renditions, write=False):
            _settle_rendition(archive, rendition, report, actor)
        for path in _stray_temps(archive):
            report.removed.append(archive.relative(path))
            if repair:
                path.unlink(missing_ok=True)
        if repair and not report.clean:
            archive.transaction(
                lambda s: append_event(
                    s,
                    actor=actor,
                    action="check",
                    target=str(archive.home),
                    details={
                        **({"head_rebuilt": report.head_rebuilt} if report.head_rebuilt is not None else {}),
                        "completed": report.completed,
                        "rolled_back": report.rolled_back,
                        "removed": report.removed,
                        **(
                            {
                                "renditions_completed": report.renditions_completed,
                                "renditions_rolled_back": report.renditions_rolled_back,
                            }
                            if report.renditions_completed or report.renditions_rolled_back
                            else {}
                        ),
                    },
                )
            )
    if repair:
        # After the lock is released: the merge takes it itself, and writes one event per pair.
        report.merged = [m.merged for m in merge_generated_pdfs(archive, actor=actor)]
    else:
        report.merged = [pdf for pdf, _, _ in archive.transaction(generated_pdf_pairs, write=False)]
    return report


def _rebuild_head(session: Any, repair: bool) -> int | None:
    """Put the head row back at the chain's last event if it is missing; the seq, or None if present.
    Runs in a write transaction, so no append slips in between the walk and the new row."""
    if session.get(AuditHead, HEAD_ID) is not None:
        return None
    chain = verify_chain(session)
    problem = chain.problem
    if problem is None or problem.kind is not ChainBreak.HEAD_MISSING:
        where = f" at event {problem.seq} ({problem.kind}): {problem.message}" if problem else ""
        raise ChainBrokenError(
            f"the audit head row is missing and the chain is broken{where}; the head is not rebuilt "
            "(审计链断裂，无法重建链头): restore the catalog from a backup and check it against an anchor"
        )
    if repair:
        session.add(AuditHead(id=HEAD_ID, seq=chain.last_seq, hash=chain.last_hash))
    return chain.last_seq


def _settle(archive: Archive, document: Document, report: CheckReport, actor: str) -> None:
    parts = _parts(archive, document)
    if parts is None:
        report.rolled_back.append(document.id)
        if report.repair:
            archive.transaction(lambda s: _delete_row(s, document.id))
        return
    if all(part.recoverable() for part in parts):
        report.completed.append(document.id)
        if not report.repair:
            return
        for part in parts:
            if not part.final_ok():
                assert part.temp is not None
                os.link(part.temp, part.final)
            if part.temp is not None and part.temp.exists():
                part.temp.unlink()
                report.removed.append(archive.relative(part.temp))
        fsync_dir(parts[0].final.parent)
        archive.transaction(lambda s: complete(s, document.id, actor=actor, repaired=True))
        return
    report.rolled_back.append(document.id)
    if not report.repair:
        return
    for part in parts:
        # Only ever remove exactly what this filing put there.
        if part.final_ok():
            part.final.unlink()
            report.removed.append(archive.relative(part.final))
        if part.temp is not None and part.temp.exists():
            part.temp.unlink()
            report.removed.append(archive.relative(part.temp))
    fsync_dir(parts[0].final.parent)
    archive.transaction(lambda s: _delete_row(s, document.id))


def _settle_rendition(archive: Archive, rendition: Rendition, report: CheckReport, actor: str) -> None:
    try:
        final = archive.absolute(rendition.path)
    except DossierError:
        final = None
    pending: dict[str, Any] = rendition.details.get("pending") or {}
    part = _Part(final, _temp(final.parent, pending.get("temp")), rendition.sha256) if final else None
    if part is not None and part.recoverable():
        report.renditions_completed.append(rendition.id)
        if not report.repair:
            return
        if not part.final_ok():
            assert part.temp is not None
            os.link(part.temp, part.final)
        if part.temp is not None and part.temp.exists():
            part.temp.unlink()
            report.removed.append(archive.relative(part.temp))
        fsync_dir(part.final.parent)
        archive.transaction(lambda s: complete_rendition(s, rendition.id, actor=actor, repaired=True))
        return
    report.renditions_rolled_back.append(rendition.id)
    if not report.repair:
        return
    if part is not None:
        if part.final_ok():
            part.final.unlink()
            report.removed.append(archive.relative(part.final))
        if part.temp is not None and part.temp.exists():
            part.temp.unlink()
            report.removed.append(archive.relative(part.temp))
        fsync_dir(part.final.parent)
    archive.transaction(lambda s: drop_pending_rendition(s, rendition.id))


def _parts(archive: Archive, document: Document) -> list[_Part] | None:
    """The document file and its input sidecar, each with its temporary file; None if unusable."""
    try:
        final = archive.absolute(document.path)
    except DossierError:
        return None
    pending: dict[str, Any] = document.details.get("pending") or {}
    parts = [_Part(final, _temp(final.parent, pending.get("temp")), document.sha256)]
    sidecar = document.details.get("input")
    if sidecar:
        try:
            input_final = archive.absolute(sidecar["path"])
        except (DossierError, KeyError, TypeError):
            return None
        input_temp = _temp(final.parent, pending.get("input_temp"))
        parts.append(_Part(input_final, input_temp, str(sidecar.get("sha256"))))
    return parts


def _temp(folder: Path, name: Any) -> Path | None:
    # The name comes from the catalog: accept only what filing itself writes there.
    if not isinstance(name, str) or not name.startswith(TEMP_PREFIX) or "/" in name or "\\" in name:
        return None
    return folder / name


def _delete_row(session: Any, document_id: int) -> None:
    document = session.get(Document, document_id)
    if document is not None and document.state == "pending":
        session.delete(document)


def _stray_temps(archive: Archive) -> list[Path]:
    found: list[Path] = []
    for entry in sorted(os.scandir(archive.home), key=lambda e: e.name):
        if entry.name in RESERVED or not entry.is_dir(follow_symlinks=False):
            continue
        for root, dirs, files in os.walk(entry.path):
            dirs.sort()
            found.extend(Path(root) / name for name in sorted(files) if name.startswith(TEMP_PREFIX))
    return found
