"""This node's index replica, fed from the catalog's change log (dossier.archive.index_log).

Every node keeps its own index in [search].index_path and applies the log's entries after its applied seq,
in seq order (:meth:`Replica.apply`): ``add``/``update`` reads the document's catalog row and its cached
text and replaces the document in the engine (the engine's add deletes by id first); ``remove`` deletes
it; ``reindex`` rebuilds the replica from the catalog. Per batch: commit the engine, THEN write the applied
seq to ``<engine>.applied.json`` (write_atomic), THEN record it in ``index_nodes``. Killed between the
engine's commit and the file, the next run applies those entries again: every entry says "make the index
hold the catalog's current version of this document" (or "hold none"), so applying it twice is the same
as once: nothing doubled, nothing missed.

One applier per replica at a time: :attr:`LockName.INDEX` keyed by the node's name (a file lock on the
embedded default, an advisory lock with the catalog on PostgreSQL), so a bootstrap from a peer can take
the peer's lock and copy a consistent snapshot.

A replica rebuilds (:meth:`Replica.rebuild`) when it is empty, when its schema marker no longer matches,
when the log says ``reindex``, or when it is behind the log's oldest kept entry (trimmed before it
applied them). A rebuild reads the head seq first, then every filed document in id order (skipping those
still waiting for extraction: their entries come later), noting its progress in ``<engine>.rebuilding``
after each committed batch, so an interrupted rebuild goes on where it stopped; it ends at that head seq.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dossier.archive import index_log
from dossier.archive.catalog.models import Borrower, Document, IndexLog, IndexQueue, Loan
from dossier.archive.index_log import LogOp
from dossier.archive.index_outbox import ADD
from dossier.durable import write_atomic
from dossier.errors import DossierError
from dossier.search.extraction import TextSource
from dossier.search.fields import SCHEMA, index_doc
from dossier.search.index_place import IndexPlace, engine_errors, index_lock, load_filed
from indexer.engines import IndexDoc, IndexEngine, check_index
from indexer.engines.storage import MARKER_FILE

log = logging.getLogger(__name__)

NEEDS_OCR = "needs-ocr"
APPLIED_SUFFIX = ".applied.json"
REBUILD_SUFFIX = ".rebuilding"

WAIT_STEP_S = 0.01

Progress = Callable[[int, int], None]
"""Called after each committed batch with (done, total)."""


class BootstrapError(DossierError):
    """A replica cannot be copied from the folder given as its peer."""


@dataclass
class ApplyReport:
    entries: int = 0
    """Log entries applied."""
    indexed: int = 0
    """Documents added or replaced in this replica."""
    deleted: int = 0
    failed: int = 0
    """Documents whose text could not be read here (left out of this replica until their next entry)."""
    busy: bool = False
    """Another applier holds this replica; nothing was done."""
    rebuilt: str | None = None
    seq: int = 0
    """The seq this replica has applied when the call returned."""
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NodeState:
    node: str
    index_path: str
    applied_seq: int
    applied_at: datetime
    seen_at: datetime


@dataclass(frozen=True)
class Lag:
    """How far this replica is behind the catalog's log."""

    node: str
    index_path: str
    applied_seq: int | None
    head_seq: int
    behind: int
    """Entries logged after this replica's applied seq."""
    seconds_behind: float
    """Age of the oldest entry not applied here (0 when none)."""
    nodes: list[NodeState]

    def as_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "index_path": self.index_path,
            "applied_seq": self.applied_seq,
            "head_seq": self.head_seq,
            "behind": self.behind,
            "seconds_behind": round(self.seconds_behind, 3),
            "nodes": [
                {
                    "node": n.node,
                    "index_path": n.index_path,
                    "applied_seq": n.applied_seq,
                    "applied_at": n.applied_at.isoformat(),
                    "seen_at": n.seen_at.isoformat(),
                }
                for n in self.nodes
            ],
        }


def replica_lock_key(node: str) -> str:
    """The key of a replica's applier lock (lock keys are ASCII letters, digits and '-')."""
    return "replica-" + hashlib.sha256(node.encode("utf-8")).hexdigest()[:20]


def read_applied(root: Path, engine: str) -> tuple[int, str | None] | None:
    """The applied seq (and the node that wrote it) recorded in a replica folder, or None."""
    try:
        data = json.loads((root / f"{engine}{APPLIED_SUFFIX}").read_text(encoding="utf-8"))
        return int(data["seq"]), data.get("node")
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Replica:
    """The index replica of ``place`` and its applier (see the module doc)."""

    def __init__(self, place: IndexPlace, texts: TextSource) -> None:
        self.place = place
        self.archive = place.archive
        self.settings = place.settings
        self.texts = texts
        self.applied_file = place.root / f"{place.engine_name}{APPLIED_SUFFIX}"
        self.rebuild_note = place.root / f"{place.engine_name}{REBUILD_SUFFIX}"

    # ------------------------------------------------------------------ state

    def applied_seq(self) -> int | None:
        found = read_applied(self.place.root, self.place.engine_name)
        return None if found is None else found[0]

    def wait_for(self, seq: int, seconds: float) -> int:
        """Wait up to ``seconds`` for another applier of this replica to reach ``seq`` (a small file read
        every few milliseconds, bounded); the applied seq then."""
        deadline = time.monotonic() + seconds
        while True:
            applied = self.applied_seq() or 0
            if applied >= seq or time.monotonic() >= deadline:
                return applied
            time.sleep(WAIT_STEP_S)

    def head_seq(self) -> int:
        return self.archive.transaction(index_log.head, write=False)

    def lag(self) -> Lag:
        applied = self.applied_seq()

        def read(session: Session) -> Lag:
            head = index_log.head(session)
            since = applied or 0
            behind = int(
                session.execute(
                    select(func.count()).select_from(IndexLog).where(IndexLog.seq > since)
                ).scalar_one()
            )
            first = index_log.first_logged_after(session, since)
            seconds = 0.0 if first is None else max(0.0, (datetime.now(UTC) - _aware(first)).total_seconds())
            nodes = [
                NodeState(n.node, n.index_path, n.applied_seq, _aware(n.applied_at), _aware(n.seen_at))
                for n in index_log.nodes(session)
            ]
            return Lag(self.place.node, str(self.place.root), applied, head, behind, seconds, nodes)

        return self.archive.transaction(read, write=False)

    # ------------------------------------------------------------------ the lock

    @contextlib.contextmanager
    def hold(self, wait: bool, node: str | None = None) -> Iterator[bool]:
        """This replica's applier lock (or ``node``'s); yields False when ``wait`` is False and it is
        taken, raises :class:`IndexBusy` after [search].lock_timeout_seconds when ``wait``."""
        busy = (
            f"another process is applying the index log to {self.place.root}; try again later "
            f"(其他进程正在更新本节点索引，请稍后再试)"
        )
        key = replica_lock_key(node or self.place.node)
        with index_lock(self.archive, self.settings.lock_timeout_seconds, wait, busy, key=key) as held:
            yield held

    # ------------------------------------------------------------------ applying

    def apply(
        self, *, wait: bool = True, progress: Progress | None = None, reindex: bool = False
    ) -> ApplyReport:
        """Apply the log after this replica's applied seq (rebuilding first when it must, or when
        ``reindex``); see the module doc."""
        report = ApplyReport()
        with self.hold(wait) as held, engine_errors():
            if not held:
                report.busy = True
                report.seq = self.applied_seq() or 0
                return report
            reason = "rebuild (重建)" if reindex else self._untrusted()
            if reason is not None:
                report.rebuilt = reason
                self._rebuild(report, progress)
            self._follow(report, progress)
        return report

    def _untrusted(self) -> str | None:
        """Why this replica must be rebuilt before it can follow the log, or None."""
        place = self.place
        if self.rebuild_note.is_file():
            return "resumed (继续重建)"
        if not place.built():
            return "new index (新建索引)"
        problem = check_index(place.engine_name, place.path, SCHEMA)
        if problem is not None:
            return problem
        applied = self.applied_seq()
        if applied is None:
            return "no applied seq recorded (未记录已应用的日志位置)"

        def bounds(session: Session) -> tuple[int | None, int]:
            return index_log.oldest(session), index_log.head(session)

        oldest, head = self.archive.transaction(bounds, write=False)
        if applied > head:
            return "ahead of the catalog's log (索引超前于目录日志)"
        if oldest is not None and oldest > 1 and applied < oldest:
            return "behind the trimmed log (落后于已清理的日志)"
        return None

    def _follow(self, report: ApplyReport, progress: Progress | None) -> None:
        applied = self.applied_seq() or 0
        size = self.settings.batch_size
        total = 0
        # For the progress bar: entries are counted by seq (a rolled-back seq is a gap, never an entry).
        expected = max(0, self.head_seq() - applied) if progress is not None else 0
        writer: IndexEngine | None = None
        try:
            while True:
                entries = self.archive.transaction(
                    lambda s, a=applied: index_log.after(s, a, size), write=False
                )
                if not entries:
                    break
                if any(e.op is LogOp.REINDEX for e in entries):
                    if writer is not None:
                        writer.close()
                        writer = None
                    report.rebuilt = "reindex logged (日志要求重建)"
                    self._rebuild(report, progress)
                    applied = self.applied_seq() or 0
                    continue
                if writer is None:
                    writer = self.place.open_engine()
                self._batch(writer, entries, report)
                applied = entries[-1].seq
                self._record(applied)
                report.entries += len(entries)
                total += len(entries)
                if progress is not None:
                    progress(total, max(expected, total))
        finally:
            if writer is not None:
                writer.close()
        report.seq = applied
        if report.entries or report.rebuilt:
            self._touch(applied, trim=True)

    def _batch(self, writer: IndexEngine, entries: list[index_log.Entry], report: ApplyReport) -> None:
        latest: dict[int, LogOp] = {}
        for entry in entries:
            if entry.document_id is not None:
                latest[entry.document_id] = entry.op
        wanted = [d for d, op in latest.items() if op is not LogOp.REMOVE]
        loaded = self.archive.transaction(lambda s: load_filed(s, wanted), write=False)
        adds: list[IndexDoc] = []
        deletes: list[str] = []
        for doc_id in latest:
            item = loaded.get(doc_id)
            if item is None:
                # Removed, or no longer filed: the catalog's current version of it is none.
                deletes.append(str(doc_id))
                continue
            made = self._doc(*item, report)
            if made is not None:
                adds.append(made)
        if deletes:
            writer.delete(deletes)
        if adds:
            writer.add(adds)
        writer.commit()
        report.indexed += len(adds)
        report.deleted += len(deletes)

    def _doc(
        self, document: Document, borrower: Borrower, loan: Loan | None, report: ApplyReport
    ) -> IndexDoc | None:
        try:
            cached = self.texts.text_for(document)
        except (DossierError, OSError, ValueError) as exc:
            report.failed += 1
            report.errors.append(f"document {document.id}: {exc}")
            log.warning("index replica %s: document %s left out: %s", self.place.node, document.id, exc)
            return None
        flags = [f for f in (document.flags or []) if f != NEEDS_OCR]
        if cached.needs_ocr:
            flags.append(NEEDS_OCR)
        return index_doc(document, borrower, loan, cached.text, flags=flags)

    def _record(self, seq: int) -> None:
        """After the engine committed: the applied seq, atomically, in the index folder."""
        self.place.root.mkdir(parents=True, exist_ok=True)
        payload = {"seq": seq, "node": self.place.node, "engine": self.place.engine_name}
        write_atomic(self.applied_file, json.dumps(payload).encode("utf-8"))

    def _touch(self, seq: int, *, trim: bool) -> None:
        """Publish this replica's applied seq in ``index_nodes`` (and trim the log)."""
        retention = timedelta(hours=self.settings.log_retention_hours)
        node, path = self.place.node, str(self.place.root)

        def publish(session: Session) -> None:
            index_log.record_node(session, node, path, seq)
            if trim:
                index_log.trim(session, retention)

        self.archive.transaction(publish)

    def register(self) -> None:
        """Mark this node seen (at start-up), with the seq it has applied."""
        self._touch(self.applied_seq() or 0, trim=False)

    # ------------------------------------------------------------------ rebuilding

    def rebuild(self, *, wait: bool = True, progress: Progress | None = None) -> ApplyReport:
        return self.apply(wait=wait, progress=progress, reindex=not self.rebuild_note.is_file())

    def _rebuild(self, report: ApplyReport, progress: Progress | None) -> None:
        note = self._read_note()
        if note is None or not self.place.built():
            target = self.head_seq()
            note = {"target": target, "after": 0, "done": 0}
            self.applied_file.unlink(missing_ok=True)
            self._write_note(note)
            self.place.open_engine(recreate=True).close()
        target, after, done = int(note["target"]), int(note["after"]), int(note.get("done", 0))
        total = done + self.archive.transaction(lambda s: _count_filed(s, after), write=False)
        size = self.settings.batch_size
        writer = self.place.open_engine()
        try:
            while True:
                rows = self.archive.transaction(lambda s, a=after: _filed_after(s, a, size), write=False)
                if not rows:
                    break
                adds = [d for d in (self._doc(*row, report) for row in rows) if d is not None]
                if adds:
                    writer.add(adds)
                writer.commit()
                after = rows[-1][0].id
                done += len(rows)
                report.indexed += len(adds)
                self._write_note({"target": target, "after": after, "done": done})
                if progress is not None:
                    progress(done, max(total, done))
        finally:
            writer.close()
        self._record(target)
        self.rebuild_note.unlink(missing_ok=True)
        self._touch(target, trim=False)

    def _read_note(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.rebuild_note.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) and "target" in data else None
        except (OSError, ValueError):
            return None

    def _write_note(self, note: dict[str, Any]) -> None:
        self.place.root.mkdir(parents=True, exist_ok=True)
        write_atomic(self.rebuild_note, json.dumps(note).encode("utf-8"))

    # ------------------------------------------------------------------ bootstrapping

    def bootstrap_from(self, peer: Path, *, progress: Progress | None = None) -> ApplyReport:
        """Copy a peer's replica (its engine folder and applied seq, under the peer's applier lock, so the
        two agree), then apply the rest of the log. This replica must be empty."""
        engine = self.place.engine_name
        peer = peer.expanduser().resolve()
        if peer == self.place.root.resolve():
            raise BootstrapError(
                f"--bootstrap-from names this node's own index folder (不能从自身复制): {peer}"
            )
        found = read_applied(peer, engine)
        if found is None or not (peer / engine / MARKER_FILE).is_file():
            raise BootstrapError(
                f"{peer} holds no {engine} index replica with an applied seq (对等节点索引目录无效)"
            )
        if self.place.built() or self.applied_file.exists():
            raise BootstrapError(
                f"this node's index folder {self.place.root} is not empty; bootstrap only an empty one "
                f"(本节点索引目录非空)"
            )
        _, peer_node = found
        if not peer_node:
            raise BootstrapError(f"{peer} does not name the node that wrote it (对等节点索引目录无效)")
        staging = self.place.root / f".{engine}.bootstrap"
        with self.hold(True):
            shutil.rmtree(staging, ignore_errors=True)
            self.place.root.mkdir(parents=True, exist_ok=True)
            # The peer's applier lock: its engine folder and its applied seq do not move while copied.
            with self.hold(True, node=peer_node):
                seq, _ = read_applied(peer, engine) or (0, None)
                shutil.copytree(peer / engine, staging, ignore=shutil.ignore_patterns("*.lock"))
            staging.rename(self.place.path)
            self._record(seq)
            self._touch(seq, trim=False)
        report = self.apply(progress=progress)
        report.rebuilt = f"bootstrapped from {peer} at seq {seq} (从对等节点复制)"
        return report


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _waiting_extraction() -> Any:
    return select(IndexQueue.document_id).where(IndexQueue.op == ADD)


def _count_filed(session: Session, after: int) -> int:
    query = (
        select(func.count())
        .select_from(Document)
        .where(Document.state == "filed", Document.id > after, Document.id.not_in(_waiting_extraction()))
    )
    return int(session.execute(query).scalar_one())


def _filed_after(session: Session, after: int, size: int) -> list[tuple[Document, Borrower, Loan | None]]:
    """The next ``size`` filed documents above ``after`` with their borrower and loan, in id order (those
    still waiting for extraction are left to their log entries)."""
    query = (
        select(Document, Borrower, Loan)
        .join(Borrower, Borrower.id == Document.borrower_id)
        .outerjoin(Loan, Loan.id == Document.loan_id)
        .where(Document.state == "filed", Document.id > after, Document.id.not_in(_waiting_extraction()))
        .order_by(Document.id)
        .limit(size)
    )
    return [(d, b, loan) for d, b, loan in session.execute(query).all()]
