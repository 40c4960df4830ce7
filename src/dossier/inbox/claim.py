"""Claiming a file: moved out of the inbox, by one atomic rename, before any work is done on it.

The processing area is ``.dossier/state/processing/``; a claimed file is named by its journal row
(``00000042``), so names never collide and never come from outside. The protocol:

1. the claim name is committed in the journal (the row is still at ``arrived``);
2. ``rename(_inbox/<path>, processing/<claim>)``, then the folders are fsynced;
3. ``stable`` is committed.

After a crash between 1 and 3 the next start looks: a file under the claim name means the rename
happened (record ``stable``), none means it did not (drop the claim; the file is still in the inbox, or
its owner took it away). When the inbox is on another file system than the home (EXDEV), the rename
becomes a copy (fsynced, then renamed into place) and a delete of the inbox copy; a crash between the two
leaves the inbox copy, which the next scan finds again and records as a duplicate.

Giving a file back (the watcher stopping before the file is filed) links it to its old inbox path, which
never replaces a file someone dropped there since, then removes the processing name.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dossier.archive.home import Archive
from dossier.archive.names import ensure_inside
from dossier.durable import fsync_dir
from dossier.errors import DossierError
from dossier.inbox.journal import Item, Journal
from dossier.inbox.outcome import Outcome
from dossier.inbox.stability import Snapshot

log = logging.getLogger(__name__)

PROCESSING = "processing"
_COPY_SUFFIX = ".copy"


def processing_dir(archive: Archive) -> Path:
    return archive.state_dir / PROCESSING


def claim_name(item_id: int) -> str:
    return f"{item_id:08d}"


def claimed_path(archive: Archive, item: Item) -> Path | None:
    if item.claim is None:
        return None
    return processing_dir(archive) / item.claim


@dataclass(frozen=True)
class Candidate:
    item: Item
    snapshot: Snapshot


def claim(archive: Archive, journal: Journal, candidates: Sequence[Candidate]) -> list[Item]:
    """Claim each candidate (see the module doc); the items now in the processing area."""
    if not candidates:
        return []
    started = time.perf_counter()
    area = processing_dir(archive)
    area.mkdir(parents=True, exist_ok=True)
    journal.record_many([(c.item, [], {"claim": claim_name(c.item.id)}) for c in candidates])
    claimed: list[tuple[Candidate, Snapshot, str]] = []
    gone: list[Item] = []
    folders: set[Path] = set()
    for candidate in candidates:
        source = archive.inbox / candidate.item.path
        target = area / claim_name(candidate.item.id)
        try:
            how = _move(source, target)
        except FileNotFoundError:
            gone.append(candidate.item)
            continue
        except OSError as exc:
            log.warning("cannot claim %r: %s (无法移出收件箱)", candidate.item.path, exc)
            journal.record(candidate.item, [], claim=None)
            continue
        folders.add(source.parent)
        moved = _lstat(target)
        claimed.append((candidate, moved or candidate.snapshot, how))
    fsync_dir(area)
    for folder in folders:
        _fsync_quietly(folder)
    ms = round((time.perf_counter() - started) * 1000, 2)
    journal.record_many(
        [
            (
                c.item,
                [
                    (
                        "stable",
                        {
                            "size": snap.size,
                            "mtime_ns": snap.mtime_ns,
                            "kind": snap.kind,
                            "claim": how,
                            "replaced": snap.ino != c.snapshot.ino,
                            "ms": ms,
                            "batch": len(candidates),
                        },
                    )
                ],
                {"size": snap.size if snap.kind == "file" else None},
            )
            for c, snap, how in claimed
        ]
        + [
            (
                item,
                [(Outcome.GONE, {"why": "taken away before it was claimed (认领前已被移走)"})],
                {"outcome": Outcome.GONE, "claim": None},
            )
            for item in gone
        ]
    )
    return [c.item for c, _, _ in claimed]


def _move(source: Path, target: Path) -> str:
    """Rename ``source`` to ``target``; across file systems, copy then delete. ``rename`` or ``copy``."""
    try:
        os.rename(source, target)
        return "rename"
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    if source.is_symlink() or not source.is_file():
        raise OSError(errno.EXDEV, "cannot copy a link or special file across file systems", str(source))
    partial = target.with_name(target.name + _COPY_SUFFIX)
    with open(source, "rb") as src, open(partial, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    shutil.copystat(source, partial)
    os.rename(partial, target)
    fsync_dir(target.parent)
    source.unlink()
    return "copy"


def settle_claim_intent(archive: Archive, journal: Journal, item: Item) -> Item | None:
    """A row that crashed between steps 1 and 3 of the claim: the item if the rename happened (now
    recorded ``stable``), else None (claim dropped)."""
    path = claimed_path(archive, item)
    assert path is not None
    path.with_name(path.name + _COPY_SUFFIX).unlink(missing_ok=True)
    snap = _lstat(path)
    if snap is None:
        journal.record(item, [], claim=None)
        return None
    journal.record(
        item,
        [("stable", {"size": snap.size, "mtime_ns": snap.mtime_ns, "kind": snap.kind, "recovered": True})],
        size=snap.size if snap.kind == "file" else None,
    )
    return item


def give_back(archive: Archive, journal: Journal, item: Item, why: str) -> bool:
    """Return a claimed file to its inbox path (see the module doc); False if it has to stay claimed
    (the path is taken again, or lies on another file system)."""
    source = claimed_path(archive, item)
    if source is None or not os.path.lexists(source):
        return False
    target = archive.inbox / item.path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        ensure_inside(archive.inbox, target.parent)
        os.link(source, target, follow_symlinks=False)
    except (OSError, DossierError) as exc:
        log.info("keeping %r claimed until the next start: %s", item.path, exc)
        return False
    _fsync_quietly(target.parent)
    source.unlink()
    fsync_dir(source.parent)
    journal.close(item, Outcome.RETURNED, {"why": why}, claim=None)
    return True


def settle_give_back(archive: Archive, journal: Journal, item: Item) -> bool:
    """Finish a give-back a crash interrupted; True if the item was one (now closed ``returned``)."""
    source = claimed_path(archive, item)
    target = archive.inbox / item.path
    if source is None:
        return False
    if os.path.lexists(source):
        try:
            same = os.path.samestat(os.lstat(source), os.lstat(target))
        except OSError:
            return False
        if not same:
            return False
        source.unlink()
        fsync_dir(source.parent)
    elif not os.path.lexists(target):
        return False
    journal.close(
        item, Outcome.RETURNED, {"why": "given back before a crash (崩溃前已退回收件箱)"}, claim=None
    )
    return True


def _lstat(path: Path) -> Snapshot | None:
    try:
        return Snapshot.of(os.lstat(path))
    except OSError:
        return None


def _fsync_quietly(folder: Path) -> None:
    try:
        fsync_dir(folder)
    except OSError:
        pass  # a network share may refuse fsync on a folder; the rename itself is already done
