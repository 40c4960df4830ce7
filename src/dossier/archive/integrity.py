"""`dossier audit verify`: the audit chain walked, every archived file re-hashed, every stranger named.

Files the catalog does not know are reported wherever they lie in the home, except in ``_inbox/``,
``_quarantine/`` and ``.dossier/``, which are not part of any borrower's file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dossier.archive.audit import ChainReport, append_event, verify_chain
from dossier.archive.catalog.models import Document
from dossier.archive.filing import CHUNK
from dossier.archive.home import RESERVED, Archive

EVENT_PATHS = 50


@dataclass(frozen=True)
class FileProblem:
    path: str
    """Relative to the home."""
    document_id: int
    problem: str
    """``missing`` or ``changed``."""
    expected: str
    actual: str | None = None
    """The SHA-256 found, for a changed file."""


@dataclass
class IntegrityReport:
    chain: ChainReport
    documents: int = 0
    files: int = 0
    """Files re-hashed: documents and their input sidecars."""
    missing: list[FileProblem] = field(default_factory=list)
    changed: list[FileProblem] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    """Filings a crash interrupted (run `dossier check`)."""

    @property
    def ok(self) -> bool:
        return self.chain.ok and not (self.missing or self.changed or self.unknown or self.pending)

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
                "problem": problem.kind if problem else None,
                "message": problem.message if problem else None,
            },
            "documents": self.documents,
            "files": self.files,
            "missing": [dataclasses.asdict(p) for p in self.missing],
            "changed": [dataclasses.asdict(p) for p in self.changed],
            "unknown": list(self.unknown),
            "pending": list(self.pending),
        }


@dataclass(frozen=True)
class _Expected:
    path: str
    document_id: int
    sha256: str


def verify_archive(archive: Archive, *, record: bool = True, actor: str = "system") -> IntegrityReport:
    """Check the chain and every file; with ``record``, the check itself becomes a ``verify`` event."""
    # The snapshot is taken while no filing is half-way (exclusive lock), so a file being put in place
    # is never mistaken for an unknown one; the slow part, hashing, runs after the lock is released.
    columns = select(Document.id, Document.path, Document.sha256, Document.state, Document.details)
    with archive.filing_lock(exclusive=True):
        chain, documents = archive.transaction(
            lambda s: (verify_chain(s), s.execute(columns.order_by(Document.id)).all()), write=False
        )
        on_disk = _files_on_disk(archive)
    report = IntegrityReport(chain=chain)
    expected: list[_Expected] = []
    for doc_id, path, sha256, state, details in documents:
        if state != "filed":
            report.pending.append(doc_id)
            continue
        report.documents += 1
        expected.append(_Expected(path, doc_id, sha256))
        sidecar = (details or {}).get("input")
        if isinstance(sidecar, dict) and "path" in sidecar:
            expected.append(_Expected(str(sidecar["path"]), doc_id, str(sidecar.get("sha256"))))
    for item in expected:
        report.files += 1
        regular = on_disk.get(item.path)
        if regular is None:
            report.missing.append(FileProblem(item.path, item.document_id, "missing", item.sha256))
            continue
        actual = _sha256_no_follow(archive.home / item.path) if regular else "symbolic link"
        if actual is None:
            report.missing.append(FileProblem(item.path, item.document_id, "missing", item.sha256))
        elif actual != item.sha256:
            report.changed.append(FileProblem(item.path, item.document_id, "changed", item.sha256, actual))
    known = {item.path for item in expected} | {
        path for _, path, _, state, _ in documents if state != "filed"
    }
    report.unknown = sorted(p for p in on_disk if p not in known)
    if record:
        archive.transaction(
            lambda s: append_event(
                s,
                actor=actor,
                action="verify",
                target=str(archive.home),
                details={
                    "ok": report.ok,
                    "documents": report.documents,
                    "chain": chain.problem.kind if chain.problem else "ok",
                    # Counts in full, paths up to a limit: the event must stay small on a damaged archive.
                    "missing": len(report.missing),
                    "changed": len(report.changed),
                    "unknown": len(report.unknown),
                    "paths": [p.path for p in report.missing + report.changed][:EVENT_PATHS]
                    + report.unknown[:EVENT_PATHS],
                },
            )
        )
    return report


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
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except (FileNotFoundError, OSError):
        return None
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
