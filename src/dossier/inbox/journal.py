"""The watcher's journal: one catalog row per file found in the inbox and the steps it has passed.

Steps, in order: arrived → stable → hashed → extracted → classified → matched → filed → indexed →
removed. A row's ``step`` is the last step done; ``steps`` keeps each step's time and facts (``ms``: how
long its work took). Recording a step the row has already passed does nothing, so every step can be run
again after a crash and recorded again harmlessly. Rows with no ``outcome`` are the watcher's open work:
the next start finishes each from its step (see watcher.recover).

The path a file was found at is kept as data: relative to ``_inbox/``, as text when it is UTF-8, else
base64 of its bytes behind a ``/b64/`` prefix (no relative path starts with ``/``). The printable name,
with control characters and separators replaced, is what people and the archive see.
"""

from __future__ import annotations

import base64
import os
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import plain
from dossier.archive.catalog.models import InboxItem
from dossier.archive.home import Archive
from dossier.archive.names import MAX_FILE_NAME_BYTES, MAX_NAME_CHARS, split_suffix
from dossier.inbox.outcome import Outcome

STEPS = ("arrived", "stable", "hashed", "extracted", "classified", "matched", "filed", "indexed", "removed")
ANALYSIS = ("hashed", "extracted", "classified", "matched")
"""Steps that only read the claimed file: committed with their outcome (filed or quarantined), redone
together after a crash."""

_B64 = "/b64/"
_REFUSED = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def step_index(step: str) -> int:
    return STEPS.index(step)


def encode_path(relative: str) -> str:
    """A relative path as the catalog stores it (see the module doc)."""
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(relative)
        return _B64 + base64.b64encode(raw).decode("ascii")
    return relative


def decode_path(stored: str) -> str:
    if stored.startswith(_B64):
        return os.fsdecode(base64.b64decode(stored[len(_B64) :]))
    return stored


def printable_name(raw: str) -> str:
    """A file name as data: bytes that are not UTF-8 become U+FFFD, control and format characters and
    path separators become ``_``, leading dots go, and it is cut to fit the archive's limits (keeping the
    suffix). Never empty."""
    text = os.fsencode(raw).decode("utf-8", "replace")
    text = unicodedata.normalize("NFC", text)
    cleaned = "".join(
        "_" if ch in "/\\" or unicodedata.category(ch) in _REFUSED else ch for ch in text
    ).strip()
    cleaned = cleaned.lstrip(". ")
    stem, suffix = split_suffix(cleaned)
    stem = stem or "document"
    while len(stem) > 1 and (
        len(stem + suffix) > MAX_NAME_CHARS or len((stem + suffix).encode("utf-8")) > MAX_FILE_NAME_BYTES
    ):
        stem = stem[:-1]
    return stem.rstrip() + suffix


def printable_path(relative: str) -> str:
    """A relative path for people: each part as :func:`printable_name` makes it."""
    return "/".join(printable_name(part) for part in relative.split("/"))


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Item:
    """An open journal row, as the pipeline works on it."""

    id: int
    path: str
    """Relative to ``_inbox/`` (decoded)."""
    name: str
    step: str
    arrived_at: datetime
    claim: str | None = None
    size: int | None = None
    sha256: str | None = None
    media_type: str | None = None
    borrower_key: str | None = None
    category: str | None = None
    doc_type: str | None = None
    document_id: int | None = None
    reason: str | None = None
    quarantine_path: str | None = None
    steps: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: InboxItem) -> Item:
        return cls(
            id=row.id,
            path=decode_path(row.path),
            name=row.name,
            step=row.step,
            arrived_at=row.arrived_at,
            claim=row.claim,
            size=row.size,
            sha256=row.sha256,
            media_type=row.media_type,
            borrower_key=row.borrower_key,
            category=row.category,
            doc_type=row.doc_type,
            document_id=row.document_id,
            reason=row.reason,
            quarantine_path=row.quarantine_path,
            steps=dict(row.steps or {}),
            details=dict(row.details or {}),
        )

    def done(self, step: str) -> bool:
        return step_index(self.step) >= step_index(step)


_COLUMNS = frozenset(
    {
        "claim",
        "size",
        "sha256",
        "media_type",
        "borrower_key",
        "category",
        "doc_type",
        "document_id",
        "reason",
        "quarantine_path",
        "outcome",
        "details",
    }
)


OWNER = "owner"
"""Key in a row's details: the token of the process working on it (Archive.owner)."""


class Journal:
    """Reads and writes the journal rows of one archive home."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    # ----------------------------------------------------------------- arrivals

    def arrive(self, found: Sequence[tuple[str, datetime]]) -> dict[str, int]:
        """Open rows for files first seen (path, when), in one transaction; an open row still at
        ``arrived`` for the same path is reused. Returns the row id of each path."""
        if not found:
            return {}

        owner = self.archive.owner  # leased before the rows exist, so no row is ever without a live owner

        def work(session: Session) -> dict[str, int]:
            wanted = {encode_path(path): (path, seen) for path, seen in found}
            existing = session.execute(
                select(InboxItem.id, InboxItem.path).where(
                    InboxItem.outcome.is_(None),
                    InboxItem.step == "arrived",
                    InboxItem.claim.is_(None),
                    InboxItem.path.in_(list(wanted)),
                )
            ).all()
            ids = {decode_path(stored): row_id for row_id, stored in existing}
            for stored, (path, seen) in wanted.items():
                if path in ids:
                    continue
                row = InboxItem(
                    path=stored,
                    name=printable_name(os.path.basename(path)),
                    step="arrived",
                    steps={"arrived": {"at": seen.isoformat()}},
                    details={OWNER: owner},
                    arrived_at=seen,
                    updated_at=now(),
                )
                session.add(row)
                session.flush()
                ids[path] = row.id
            return ids

        return self.archive.transaction(work)

    # ----------------------------------------------------------------- reading

    def known_paths(self, paths: Sequence[str]) -> set[str]:
        """Which of ``paths`` (relative to the inbox) have a journal row, open or closed."""
        if not paths:
            return set()
        wanted = {encode_path(p): p for p in paths}
        stored = self.archive.transaction(
            lambda s: list(
                s.execute(select(InboxItem.path).where(InboxItem.path.in_(list(wanted)))).scalars()
            ),
            write=False,
        )
        return {wanted[p] for p in stored if p in wanted}

    def adopt(self, item: Item) -> None:
        """Make a row left by a process that is gone this process's own (before working on it)."""
        owner = self.archive.owner
        item.details = {**item.details, OWNER: owner}

        def work(session: Session) -> None:
            row = session.get(InboxItem, item.id)
            if row is not None:
                row.details = {**(row.details or {}), OWNER: owner}

        self.archive.transaction(work)

    def open_items(self) -> list[Item]:
        rows = self.archive.transaction(
            lambda s: list(
                s.execute(
                    select(InboxItem).where(InboxItem.outcome.is_(None)).order_by(InboxItem.id)
                ).scalars()
            ),
            write=False,
        )
        return [Item.of(row) for row in rows]

    def get(self, item_id: int) -> InboxItem | None:
        return self.archive.transaction(lambda s: s.get(InboxItem, item_id), write=False)

    # ----------------------------------------------------------------- writing

    def record(self, item: Item, steps: Iterable[tuple[str, Mapping[str, Any]]], **columns: Any) -> None:
        """Record ``steps`` (each with its facts) and set ``columns``, in one transaction."""
        batch = list(steps)
        self.archive.transaction(lambda s: self.record_in(s, item, batch, **columns))

    def record_in(
        self, session: Session, item: Item, steps: Iterable[tuple[str, Mapping[str, Any]]], **columns: Any
    ) -> InboxItem:
        """As :meth:`record`, inside the caller's transaction (so the caller can add to it, e.g. an
        audit event). Steps the row has passed are skipped; the item is updated to match the row."""
        unknown = set(columns) - _COLUMNS
        if unknown:
            raise ValueError(f"not a journal column: {', '.join(sorted(unknown))}")
        row = session.get(InboxItem, item.id)
        if row is None:
            raise LookupError(f"inbox item {item.id} is not in the journal (收件箱记录不存在)")
        stamp = now()
        recorded = dict(row.steps or {})
        for step, facts in steps:
            if step in STEPS:
                if step_index(row.step) >= step_index(step):
                    continue
                row.step = step
            recorded[step] = {"at": stamp.isoformat(), **plain(dict(facts))}
        row.steps = recorded
        for name, value in columns.items():
            setattr(row, name, plain(value) if name == "details" else value)
        row.updated_at = stamp
        session.flush()
        _refresh(item, row)
        return row

    def record_many(
        self, updates: Sequence[tuple[Item, Sequence[tuple[str, Mapping[str, Any]]], Mapping[str, Any]]]
    ) -> None:
        """Several rows' :meth:`record` in one transaction: (item, steps, columns) each."""
        if not updates:
            return

        def work(session: Session) -> None:
            for item, steps, columns in updates:
                self.record_in(session, item, steps, **columns)

        self.archive.transaction(work)

    def failed_attempt(self, item: Item, error: str) -> int:
        """Count one failed attempt at ``item`` (kept in the row's details, so a restart does not reset
        the count) with its error; the attempts so far."""

        def work(session: Session) -> int:
            row = session.get(InboxItem, item.id)
            if row is None:
                raise LookupError(f"inbox item {item.id} is not in the journal (收件箱记录不存在)")
            details = dict(row.details or {})
            details["attempts"] = int(details.get("attempts", 0)) + 1
            details["last_error"] = error[:500]
            row.details = details
            row.updated_at = now()
            session.flush()
            item.details = dict(details)
            return details["attempts"]

        return self.archive.transaction(work)

    def close(
        self, item: Item, outcome: Outcome, note: Mapping[str, Any] | None = None, **columns: Any
    ) -> None:
        """End the row with ``outcome`` (a note of why goes into ``steps`` under the outcome's name)."""
        if not outcome.closes:
            raise ValueError(f"not an outcome a journal row closes with: {outcome!r}")
        steps = [(outcome, note or {})] if note is not None else []
        self.record(item, steps, outcome=outcome, **columns)


def _refresh(item: Item, row: InboxItem) -> None:
    fresh = Item.of(row)
    for name in item.__dataclass_fields__:
        setattr(item, name, getattr(fresh, name))
