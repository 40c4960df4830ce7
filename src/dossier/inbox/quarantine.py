"""Quarantine: files the watcher cannot decide on, kept with the reason beside them until someone does.

``_quarantine/<item id>-<name>`` holds the file (a symbolic link or FIFO is moved as itself, never
followed or read) and ``_quarantine/<item id>-<name>.reason.json`` says why, with the evidence the
watcher had. Moving a file there:

1. the target path and the reason are committed in the journal;
2. the reason file is written (temporary name, fsync, rename);
3. the file is renamed from the processing area to the target, the folder fsynced;
4. ``removed`` and the ``quarantined`` outcome are committed with a ``quarantine`` audit event.

A crash anywhere is finished by :func:`settle` on the next start. Content already waiting in quarantine
under another item is not kept twice: the second drop is recorded (``duplicate``, an audit event) and its
copy removed. ``dossier quarantine assign`` files a quarantined file normally (:func:`assign`); only then
are the file and its reason removed from quarantine.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import append_event, plain
from dossier.archive.catalog.models import Borrower, Document, InboxItem
from dossier.archive.filing import FilingResult, file_document
from dossier.archive.home import QUARANTINE, Archive
from dossier.archive.names import portable, split_suffix
from dossier.archive.registry import find_borrower, normalize_key
from dossier.domain.categories import get_category
from dossier.domain.document_types import get_document_type
from dossier.durable import file_sha256, fsync_dir, write_atomic
from dossier.errors import DossierError
from dossier.inbox.journal import Item, Journal, now, printable_path
from dossier.inbox.outcome import Outcome

REASON_SUFFIX = ".reason.json"
_TEMP_PREFIX = ".inbox-tmp-"

REASONS: dict[str, tuple[str, str]] = {
    "no-borrower": ("no borrower could be determined", "无法确定借款人"),
    "two-borrowers": ("the evidence points to more than one borrower", "证据指向多个借款人"),
    "unknown-type": ("the document type could not be determined", "无法识别文档类型"),
    "empty": ("the file is empty", "文件为空"),
    "unsupported-format": ("the file format is not accepted", "文件格式不受支持"),
    "too-large": ("the file is larger than the limit", "文件超过大小上限"),
    "extraction-failed": (
        "its text could not be extracted and nothing else identifies it",
        "文字提取失败且无其他依据",
    ),
    "not-a-file": ("not a regular file; links and special files are never followed or read", "不是普通文件"),
    "unreadable": ("the file cannot be read", "文件无法读取"),
    "filing-failed": ("the archive refused the file", "归档失败"),
    "failed-repeatedly": ("processing failed on every attempt", "多次处理失败"),
    "upload-interrupted": ("the upload was cut off before it was filed (its server stopped)", "上传中断"),
}


class NotWaiting(DossierError):
    """No file waits in quarantine under the id given (never there, or assigned since)."""


class Quarantine(Exception):
    """Raised by a pipeline step: the file goes to quarantine for ``code`` (a key of REASONS)."""

    def __init__(self, code: str, detail: str = "", **facts: Any) -> None:
        if code not in REASONS:
            raise ValueError(f"unknown quarantine reason {code!r}")
        self.code = code
        self.detail = detail
        self.facts = facts
        super().__init__(message(code, detail))


def message(code: str, detail: str = "") -> str:
    english, chinese = REASONS[code]
    return f"{english} ({chinese})" + (f": {detail}" if detail else "")


def quarantine_name(item: Item) -> str:
    stem, suffix = split_suffix(item.name)
    return f"{item.id:06d}-{portable(stem, 150)}{suffix}"


# --------------------------------------------------------------------------- sending


def send(
    archive: Archive,
    journal: Journal,
    item: Item,
    source: Path,
    decision: Quarantine,
    *,
    evidence: dict[str, Any] | None = None,
    steps: Sequence[tuple[str, Mapping[str, Any]]] = (),
    columns: Mapping[str, Any] | None = None,
    actor: str = "inbox",
) -> Outcome:
    """Move ``source`` (the claimed file) to quarantine; the outcome (``quarantined`` or ``duplicate``).

    ``steps`` and ``columns`` (what the pipeline learnt before deciding) are committed with the intent,
    so the journal never holds half an analysis."""
    if columns and columns.get("sha256"):
        item.sha256 = columns["sha256"]
    if item.sha256 is not None and _same_content_waiting(
        archive, journal, item, source, actor, steps, columns
    ):
        return Outcome.DUPLICATE
    target = f"{QUARANTINE}/{_free_name(archive, item)}"
    reason = {
        "item": item.id,
        "reason": decision.code,
        "message": str(decision),
        "inbox_path": printable_path(item.path),
        "name": item.name,
        "sha256": item.sha256,
        "size": item.size,
        "media_type": item.media_type,
        "arrived_at": item.arrived_at.isoformat(),
        "quarantined_at": now().isoformat(),
        "evidence": plain({**(evidence or {}), **decision.facts}),
    }
    journal.record(
        item,
        steps,
        **{
            **(columns or {}),
            "quarantine_path": target,
            "reason": decision.code,
            "details": {**item.details, "quarantine": reason},
        },
    )
    _place(archive, item, source, target, reason)
    _complete(archive, journal, item, actor)
    return Outcome.QUARANTINED


def settle(archive: Archive, journal: Journal, item: Item, source: Path | None, actor: str) -> Outcome:
    """Finish a move to quarantine a crash interrupted (the item has its target recorded)."""
    assert item.quarantine_path is not None
    target = archive.home / item.quarantine_path
    reason = dict(item.details.get("quarantine") or {"item": item.id, "reason": item.reason})
    if source is not None and os.path.lexists(source):
        _place(archive, item, source, item.quarantine_path, reason)
    elif not os.path.lexists(target):
        journal.close(item, Outcome.LOST, {"why": "neither claimed nor quarantined copy found (文件缺失)"})
        return Outcome.LOST
    elif not _reason_path(target).exists():
        _write_reason(_reason_path(target), reason)
    _complete(archive, journal, item, actor)
    return Outcome.QUARANTINED


def _free_name(archive: Archive, item: Item) -> str:
    """The item's name in quarantine; ``~2``, ``~3``… if someone put a file of that name there."""
    name = quarantine_name(item)
    stem, suffix = split_suffix(name)
    for n in range(1, 100):
        candidate = name if n == 1 else f"{stem}~{n}{suffix}"
        path = archive.quarantine / candidate
        if not os.path.lexists(path) and not os.path.lexists(_reason_path(path)):
            return candidate
    raise DossierError(f"no free name in quarantine for {name} (隔离区中无可用文件名)")


def _place(archive: Archive, item: Item, source: Path, target: str, reason: dict[str, Any]) -> None:
    """Reason first, then the file: linked to its new name (a link never replaces a file), then
    unlinked from the processing area. Run again after a crash, it finishes what is left."""
    folder = archive.quarantine
    folder.mkdir(parents=True, exist_ok=True)
    destination = archive.home / target
    _write_reason(_reason_path(destination), reason)
    try:
        os.link(source, destination, follow_symlinks=False)
    except FileExistsError:
        if not os.path.samestat(os.lstat(source), os.lstat(destination)):
            raise DossierError(
                f"a different file already lies in quarantine as {target} (隔离区中已有同名的其他文件)"
            ) from None
    fsync_dir(folder)
    source.unlink()
    fsync_dir(source.parent)


def _complete(archive: Archive, journal: Journal, item: Item, actor: str) -> None:
    def work(session: Session) -> None:
        journal.record_in(
            session,
            item,
            [(Outcome.QUARANTINED, {"reason": item.reason, "path": item.quarantine_path}), ("removed", {})],
            outcome=Outcome.QUARANTINED,
        )
        append_event(
            session,
            actor=actor,
            action="quarantine",
            target=f"inbox:{item.id}",
            details={
                "reason": item.reason,
                "name": item.name,
                "inbox_path": printable_path(item.path),
                "path": item.quarantine_path,
                "sha256": item.sha256,
                "size": item.size,
            },
        )

    archive.transaction(work)


def _same_content_waiting(
    archive: Archive,
    journal: Journal,
    item: Item,
    source: Path,
    actor: str,
    steps: Sequence[tuple[str, Mapping[str, Any]]],
    columns: Mapping[str, Any] | None,
) -> bool:
    """If the same content already waits in quarantine (checked on disk), record this drop as a duplicate
    of it and remove the claimed copy; True if so."""
    earlier = archive.transaction(
        lambda s: s.execute(
            select(InboxItem)
            .where(
                InboxItem.outcome == Outcome.QUARANTINED,
                InboxItem.sha256 == item.sha256,
                InboxItem.id != item.id,
            )
            .order_by(InboxItem.id)
            .limit(1)
        ).scalar_one_or_none(),
        write=False,
    )
    if earlier is None or earlier.quarantine_path is None:
        return False
    kept = archive.home / earlier.quarantine_path
    if not _regular(kept) or file_sha256(kept) != item.sha256:
        return False

    def work(session: Session) -> None:
        journal.record_in(
            session,
            item,
            [*steps, (Outcome.DUPLICATE, {"of_item": earlier.id, "path": earlier.quarantine_path})],
            **{**(columns or {}), "outcome": Outcome.DUPLICATE},
        )
        append_event(
            session,
            actor=actor,
            action="duplicate",
            target=f"inbox:{earlier.id}",
            details={"item": item.id, "name": item.name, "sha256": item.sha256, "in": "quarantine"},
        )

    # The journal says "duplicate" before the copy goes: a crash in between leaves a claimed file whose
    # row is closed, which the next start removes (watcher.recover).
    archive.transaction(work)
    source.unlink(missing_ok=True)
    fsync_dir(source.parent)
    return True


def _reason_path(target: Path) -> Path:
    return target.with_name(target.name + REASON_SUFFIX)


def _write_reason(path: Path, reason: dict[str, Any]) -> None:
    text = json.dumps(plain(reason), ensure_ascii=False, indent=2) + "\n"
    write_atomic(path, text.encode("utf-8"), prefix=_TEMP_PREFIX)


def remove_stray_temps(archive: Archive) -> None:
    """Reason files a crash left half-written."""
    if archive.quarantine.is_dir():
        for path in archive.quarantine.glob(f"{_TEMP_PREFIX}*"):
            path.unlink(missing_ok=True)


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


# --------------------------------------------------------------------------- listing and assigning


@dataclass(frozen=True)
class Entry:
    id: int
    name: str
    inbox_path: str
    reason: str
    message: str
    path: str | None
    """Relative to the home."""
    present: bool
    sha256: str | None
    size: int | None
    media_type: str | None
    arrived_at: str
    quarantined_at: str | None
    candidates: list[str]
    guess: dict[str, Any]


def entries(archive: Archive) -> list[Entry]:
    """Files waiting in quarantine, oldest first."""
    rows = archive.transaction(
        lambda s: list(
            s.execute(
                select(InboxItem).where(InboxItem.outcome == Outcome.QUARANTINED).order_by(InboxItem.id)
            ).scalars()
        ),
        write=False,
    )
    result = []
    for row in rows:
        info = (row.details or {}).get("quarantine") or {}
        evidence = info.get("evidence") or {}
        path = row.quarantine_path
        result.append(
            Entry(
                id=row.id,
                name=row.name,
                inbox_path=str(info.get("inbox_path") or row.name),
                reason=row.reason or "",
                message=str(info.get("message") or message(row.reason or "no-borrower")),
                path=path,
                present=path is not None and os.path.lexists(archive.home / path),
                sha256=row.sha256,
                size=row.size,
                media_type=row.media_type,
                arrived_at=row.arrived_at.isoformat(),
                quarantined_at=(row.steps or {}).get(Outcome.QUARANTINED, {}).get("at"),
                candidates=list(evidence.get("candidates") or []),
                guess={k: evidence[k] for k in ("doc_type", "category", "type_rule") if evidence.get(k)},
            )
        )
    return result


def assign(
    archive: Archive,
    item_id: int,
    *,
    borrower: str,
    doc_type: str,
    category: str | None = None,
    actor: str = "system",
) -> FilingResult:
    """File a quarantined file into ``borrower``'s archive as ``doc_type`` (in ``category``, by default
    the type's), then take it and its reason out of quarantine."""
    config = archive.config
    key = normalize_key(borrower, config)
    kind = get_document_type(doc_type, config)
    cat = get_category(category or kind.category, config)
    row = archive.transaction(lambda s: s.get(InboxItem, item_id), write=False)
    if row is None or row.outcome != Outcome.QUARANTINED or row.quarantine_path is None:
        raise NotWaiting(
            f"no file waits in quarantine as {item_id} (隔离区中无此编号): see `dossier quarantine list`"
        )
    if archive.transaction(lambda s: find_borrower(s, key), write=False) is None:
        raise DossierError(
            f"unknown borrower (借款人未登记): {key}; register it first (e.g. `dossier ingest --name`)"
        )
    name = row.quarantine_path.removeprefix(f"{QUARANTINE}/")
    if "/" in name or name in ("", ".", ".."):
        raise DossierError(f"quarantine path is not in {QUARANTINE}/ (隔离路径无效): {row.quarantine_path}")
    path = archive.absolute(QUARANTINE) / name  # the folder is checked; the file itself may be a link
    if not _regular(path):
        raise DossierError(
            f"quarantined item {item_id} is not a regular file and cannot be filed (不是普通文件，无法归档): "
            f"{row.quarantine_path}"
        )
    item = Item.of(row)
    journal = Journal(archive)
    sha256 = file_sha256(path)
    existing = archive.transaction(lambda s: _filed_copy(s, key, sha256), write=False)
    if existing is not None:
        result = FilingResult(
            existing.id, "duplicate", archive.absolute(existing.path), sha256, existing.version
        )
    else:
        result = file_document(
            archive,
            path,
            borrower_key=key,
            category=cat.key,
            doc_type=kind.key,
            title=split_suffix(item.name)[0],
            original_name=item.name,
            source="ingested",
            actor=actor,
            details={"inbox": {"item": item.id, "assigned_from": row.reason, "rule": f"assigned by {actor}"}},
        )

    def work(session: Session) -> None:
        journal.record_in(
            session,
            item,
            [(Outcome.ASSIGNED, {"by": actor, "document_id": result.document_id, "status": result.status})],
            outcome=Outcome.ASSIGNED,
            borrower_key=key,
            category=cat.key,
            doc_type=kind.key,
            document_id=result.document_id,
        )
        append_event(
            session,
            actor=actor,
            action="quarantine-assign",
            target=f"inbox:{item.id}",
            borrower_key=key,
            details={
                "document_id": result.document_id,
                "status": result.status,
                "path": row.quarantine_path,
                "doc_type": kind.key,
                "category": cat.key,
                "reason": row.reason,
            },
        )

    archive.transaction(work)
    # Filed, verified and committed: only now does the quarantined copy go.
    reason_file = _reason_path(path)
    path.unlink(missing_ok=True)
    reason_file.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return result


def _filed_copy(session: Session, key: str, sha256: str) -> Document | None:
    return session.execute(
        select(Document)
        .join(Borrower, Borrower.id == Document.borrower_id)
        .where(Borrower.key == key, Document.sha256 == sha256, Document.state == "filed")
    ).scalar_one_or_none()
