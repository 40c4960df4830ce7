"""`dossier audit verify`: the audit chain walked, every archived file re-hashed, every stranger named.

Files the catalog does not know are reported wherever they lie in the home, except in ``_inbox/``,
``_quarantine/`` and ``.dossier/``, which are not part of any borrower's file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from dossier.archive.audit import ChainReport, append_event, verify_chain
from dossier.archive.catalog.models import Document
from dossier.archive.filing import sha256_file
from dossier.archive.home import RESERVED, Archive
from dossier.errors import DossierError


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


@dataclass(frozen=True)
class _Expected:
    path: str
    document_id: int
    sha256: str


def verify_archive(archive: Archive, *, record: bool = True, actor: str = "system") -> IntegrityReport:
    """Check the chain and every file; with ``record``, the check itself becomes a ``verify`` event."""
    # The snapshot is taken while no filing is half-way (exclusive lock), so a file being put in place
    # is never mistaken for an unknown one; the slow part, hashing, runs after the lock is released.
    with archive.filing_lock(exclusive=True):
        chain, documents = archive.transaction(
            lambda s: (verify_chain(s), list(s.execute(select(Document).order_by(Document.id)).scalars())),
            write=False,
        )
        on_disk = _files_on_disk(archive)
    report = IntegrityReport(chain=chain)
    expected: list[_Expected] = []
    for document in documents:
        if document.state != "filed":
            report.pending.append(document.id)
            continue
        report.documents += 1
        expected.append(_Expected(document.path, document.id, document.sha256))
        sidecar = document.details.get("input")
        if isinstance(sidecar, dict) and "path" in sidecar:
            expected.append(_Expected(str(sidecar["path"]), document.id, str(sidecar.get("sha256"))))
    pending_paths = {d.path for d in documents if d.state != "filed"}
    for item in expected:
        report.files += 1
        try:
            path = archive.absolute(item.path)
        except DossierError:
            report.missing.append(FileProblem(item.path, item.document_id, "missing", item.sha256))
            continue
        if not path.is_file():
            report.missing.append(FileProblem(item.path, item.document_id, "missing", item.sha256))
            continue
        actual = sha256_file(path)
        if actual != item.sha256:
            report.changed.append(FileProblem(item.path, item.document_id, "changed", item.sha256, actual))
    known = {item.path for item in expected} | pending_paths
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
                    "missing": [p.path for p in report.missing],
                    "changed": [p.path for p in report.changed],
                    "unknown": report.unknown,
                },
            )
        )
    return report


def _files_on_disk(archive: Archive) -> set[str]:
    """Every file and symbolic link outside the reserved folders, relative to the home."""
    found: set[str] = set()
    home = archive.home
    for entry in os.scandir(home):
        if entry.name in RESERVED and entry.is_dir(follow_symlinks=False):
            continue
        if not entry.is_dir(follow_symlinks=False):
            found.add(entry.name)
            continue
        for root, dirs, files in os.walk(entry.path):
            base = Path(root)
            # os.walk lists a symbolic link to a folder among dirs but does not enter it: report it.
            found.update((base / d).relative_to(home).as_posix() for d in dirs if (base / d).is_symlink())
            found.update((base / f).relative_to(home).as_posix() for f in files)
    return found
