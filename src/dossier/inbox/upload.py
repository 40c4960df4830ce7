"""One uploaded file through the inbox's own steps, now, with the outcome returned to the uploader.

The upload is written under ``_inbox/.uploads/<token>/<hint folders>/<name>``: the watcher never takes
a hidden folder, so the uploader's request and a running watcher never claim the same file. The hint
folders (a borrower key, a category or type folder) count as evidence exactly as inbox folders do;
:func:`staging.staged_folders` leaves the two staging levels out.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from dossier.archive.home import Archive
from dossier.archive.names import check_file_name
from dossier.errors import DossierError
from dossier.inbox import pipeline
from dossier.inbox.claim import Candidate, claim
from dossier.inbox.journal import Item, now
from dossier.inbox.outcome import Outcome
from dossier.inbox.stability import Snapshot
from dossier.inbox.staging import UPLOADS, remove_staging
from dossier.retrying import filing_interrupted

CHUNK = 1 << 20


class TooLarge(DossierError):
    pass


@dataclass(frozen=True)
class UploadOutcome:
    item_id: int
    outcome: Outcome
    """``filed``, ``duplicate`` or ``quarantined`` (or how the journal closed it otherwise)."""
    document_id: int | None
    reason: str | None
    message: str | None


def stage(archive: Archive, stream: BinaryIO, name: str, folders: Sequence[str], max_bytes: int) -> str:
    """Copy ``stream`` into the staging area with bounded memory; its path relative to the inbox."""
    clean = check_file_name(name, ("file name", "文件名"))
    hints = [check_file_name(f, ("folder", "目录")) for f in folders if f]
    # The folder names its owner (Archive.owner): a watcher can tell an upload in progress from one whose
    # server died before it even opened a journal row (interrupted_upload.settle_orphans).
    relative = "/".join([UPLOADS, f"{archive.owner}-{secrets.token_hex(8)}", *hints, clean])
    target = archive.inbox / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("xb") as out:
            copy_limited(stream, out, max_bytes, what=f"file (文件) {clean!r}")
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        remove_staging(archive.inbox, relative)
        raise
    return relative


def copy_limited(stream: BinaryIO, out: BinaryIO, max_bytes: int, *, what: str) -> int:
    """Copy in chunks (bounded memory); TooLarge, naming ``what``, once more than ``max_bytes`` arrive."""
    written = 0
    while chunk := stream.read(CHUNK):
        written += len(chunk)
        if written > max_bytes:
            raise TooLarge(f"{what}: larger than the {max_bytes:,}-byte limit (超过上传大小限制)")
        out.write(chunk)
    return written


def accept(
    archive: Archive, relative: str, *, actor: str, scope: frozenset[int] | None = None
) -> UploadOutcome:
    """Take a staged file through the inbox steps: filed, a duplicate, or quarantined with a reason.

    ``scope`` is the borrower ids the uploader may file to (None: any); the matcher sees no other
    borrower (see :attr:`pipeline.Context.filer_scope`)."""
    ctx = pipeline.Context.for_archive(archive)
    ctx.settings = ctx.settings.model_copy(update={"actor": actor})
    ctx.filer_scope = scope
    try:
        item = _claimed(ctx, relative)

        def reload() -> None:
            nonlocal item
            item = _reload(ctx, item)

        work = filing_interrupted(
            lambda: pipeline.run(ctx, item), lambda w: w.outcome is Outcome.RETRY, before_next=reload
        )
        if work.outcome is not None and work.outcome.archived:
            pipeline.index_and_remove(ctx, [item], drain=None)
        row = ctx.journal.get(item.id)
        assert row is not None
        info = (row.details or {}).get("quarantine") or {}
        closed = Outcome(row.outcome) if row.outcome else None
        return UploadOutcome(
            item_id=row.id,
            outcome=closed or work.outcome or Outcome.PENDING,
            document_id=row.document_id,
            reason=row.reason if closed is Outcome.QUARANTINED else None,
            message=info.get("message") if closed is Outcome.QUARANTINED else None,
        )
    finally:
        remove_staging(archive.inbox, relative)


def _claimed(ctx: pipeline.Context, relative: str) -> Item:
    ids = ctx.journal.arrive([(relative, now())])
    row = ctx.journal.get(ids[relative])
    assert row is not None
    snapshot = Snapshot.of(os.lstat(ctx.archive.inbox / relative))
    items = claim(ctx.archive, ctx.journal, [Candidate(Item.of(row), snapshot)])
    if not items:
        raise DossierError(f"the upload could not be taken into the inbox (上传文件无法接收): {relative}")
    return _reload(ctx, items[0])


def _reload(ctx: pipeline.Context, item: Item) -> Item:
    row = ctx.journal.get(item.id)
    assert row is not None
    return Item.of(row)
