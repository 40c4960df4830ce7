"""An upload whose server died before it answered: settled by the watcher that finds it.

The uploader never got an answer, so it will send the file again (or has: the test of many nodes kills
a server mid-flow). What the dead server left (its staged copy under ``_inbox/.uploads/``, or the copy it
claimed into the processing area) is never filed by the watcher: the uploader's scope went with the
request, and a watcher files with none. So the copy is recorded as a duplicate when that content is filed
already, and otherwise goes to quarantine with the reason ``upload-interrupted``, where an archivist
assigns it. Nothing is lost and nothing is filed past the uploader's scope.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import select

from dossier.archive.catalog.models import Document
from dossier.archive.home import Archive
from dossier.durable import file_sha256
from dossier.inbox import quarantine
from dossier.inbox.claim import claimed_path
from dossier.inbox.journal import Item, Journal, now
from dossier.inbox.outcome import Outcome
from dossier.inbox.staging import UPLOADS, remove_staging


def is_upload(item: Item) -> bool:
    return item.path.startswith(UPLOADS + "/")


def settle(archive: Archive, journal: Journal, item: Item, actor: str) -> Outcome:
    """Close a dead uploader's row: ``duplicate``, ``quarantined`` or ``lost`` (no copy was kept)."""
    try:
        source = _copy_left(archive, item)
        if source is None:
            journal.close(item, Outcome.LOST, {"why": "upload cut off before its file was kept (上传中断)"})
            return Outcome.LOST
        digest = file_sha256(source)
        filed = archive.transaction(
            lambda s: s.execute(
                select(Document.id).where(Document.sha256 == digest, Document.state == "filed").limit(1)
            ).scalar_one_or_none(),
            write=False,
        )
        if filed is not None:
            journal.close(
                item,
                Outcome.DUPLICATE,
                {
                    "why": "upload cut off; the same content is filed (上传中断，内容已归档)",
                    "document": filed,
                },
                sha256=digest,
                document_id=filed,
            )
            source.unlink(missing_ok=True)
            return Outcome.DUPLICATE
        item.sha256 = digest
        return quarantine.send(
            archive, journal, item, source, quarantine.Quarantine("upload-interrupted"), actor=actor
        )
    finally:
        remove_staging(archive.inbox, item.path)


def settle_orphans(archive: Archive, journal: Journal, actor: str) -> int:
    """Staged uploads whose server died before it opened their journal row: each gets a row (this
    process's) and is settled like any interrupted upload. Folders of live owners are left alone."""
    area = archive.inbox / UPLOADS
    if not area.is_dir():
        return 0
    settled = 0
    for folder in sorted(p for p in area.iterdir() if p.is_dir() and not p.is_symlink()):
        owner = folder.name.rsplit("-", 1)[0] if "-" in folder.name else None
        if owner is None or archive.owner_alive(owner):
            continue
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
        relative = [f.relative_to(archive.inbox).as_posix() for f in files]
        known = journal.known_paths(relative)
        for path in relative:
            if path in known:
                continue  # its row is settled by the watcher's recovery
            ids = journal.arrive([(path, now())])
            row = journal.get(ids[path])
            if row is not None:
                settle(archive, journal, Item.of(row), actor)
                settled += 1
        if not (set(relative) & known):
            shutil.rmtree(folder, ignore_errors=True)
    return settled


def _copy_left(archive: Archive, item: Item) -> Path | None:
    for path in (claimed_path(archive, item), archive.inbox / item.path):
        if path is not None and os.path.lexists(path) and not path.is_symlink() and path.is_file():
            return path
    return None
