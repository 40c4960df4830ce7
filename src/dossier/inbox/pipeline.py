"""The steps a claimed file passes, each a small unit with set-up, run and an always-run clean-up
(after Paperless-ngx's consume pipeline).

Per file, in a worker thread: **hashed** (open without following links, refuse what is not a regular
file, hash, check nobody is still writing it) → **extracted** (format by content, text in a child
process with time and memory limits, cached by hash for the search index) → **classified** (classify.py)
→ **matched** (match.py, then the decision: file it, or quarantine with a reason) → **filed**
(``file_document``). The analysis steps only read the claimed file; they are committed together with
their outcome (the filing, or the move to quarantine), so after a crash an item is either before them
(all redone, cheaply) or after them; a catalog write fewer per file counts in a burst.
Then, per batch, in the watcher's thread: **indexed** (the search outbox drained, see dossier.search) and
**removed** (the claimed copy deleted: the archived copy is fsynced, verified and committed by then).

A step that raises :class:`~dossier.inbox.quarantine.Quarantine` sends the file to quarantine;
:class:`Retry` leaves it claimed for another try (still being written, or another filing of the same
content interrupted: :class:`~dossier.errors.FilingInterrupted`);
:class:`Interrupted` (the watcher stopping) gives it back to the inbox unless it is already filed.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive import index_outbox as outbox
from dossier.archive.audit import append_event
from dossier.archive.catalog.models import Borrower, Document, IndexQueue
from dossier.archive.filing import file_document
from dossier.archive.home import Archive
from dossier.archive.names import split_suffix
from dossier.durable import fsync_dir, sha256_of
from dossier.errors import DossierError, FilingInterrupted
from dossier.inbox import quarantine
from dossier.inbox.claim import claimed_path, give_back
from dossier.inbox.classify import Classification, Rules, classify, load_rules
from dossier.inbox.facts import (
    ClassifiedStep,
    ExtractedStep,
    FiledStep,
    FilingStatus,
    IndexedStep,
    MatchedStep,
    RemovedStep,
)
from dossier.inbox.journal import ANALYSIS, Item, Journal, printable_path
from dossier.inbox.match import NO_BORROWER, Match, borrower_folder, match
from dossier.inbox.outcome import Outcome
from dossier.inbox.quarantine import Quarantine
from dossier.inbox.settings import InboxSettings, inbox_settings
from dossier.inbox.stability import WriterProbe
from dossier.inbox.staging import staged_folders
from dossier.media import MEDIA_TYPES, MediaSettings, media_settings
from dossier.media.media_types import FORMATS as MEDIA_FORMATS
from dossier.media.media_types import suffix_for
from dossier.search.settings import SearchSettings, search_settings
from dossier.search.text_cache import CachedText, TextCache
from indexer.extract import extract, extract_guarded
from indexer.extract import sniff as sniff_type
from indexer.extract.sniff import sniff_head

log = logging.getLogger("dossier.inbox")

EXTRACTION_FAILED = "extraction-failed"


class Retry(Exception):
    """Not now: the item stays claimed at its step and is tried again after a quiet period."""


class Interrupted(Exception):
    """The watcher is stopping; the item's step did not finish."""


class ContentLocks:
    """One filing at a time per content: the same bytes dropped twice in one batch must meet as a
    duplicate, not as two filings of one content at once (file_document would refuse the second)."""

    def __init__(self) -> None:
        self._busy: set[str] = set()
        self._changed = threading.Condition()

    def acquire(self, sha256: str) -> None:
        with self._changed:
            self._changed.wait_for(lambda: sha256 not in self._busy)
            self._busy.add(sha256)

    def release(self, sha256: str) -> None:
        with self._changed:
            self._busy.discard(sha256)
            self._changed.notify_all()


@dataclass
class Context:
    """What every step may use: the archive, the settings, the journal, shared helpers."""

    archive: Archive
    journal: Journal
    settings: InboxSettings
    search: SearchSettings
    rules: Rules
    texts: TextCache
    probe: WriterProbe
    stop: threading.Event = field(default_factory=threading.Event)
    filing: ContentLocks = field(default_factory=lambda: ContentLocks())
    media: MediaSettings = field(default_factory=MediaSettings)
    filer_scope: frozenset[int] | None = None
    """The borrower ids the uploader may file to (None: any, as for the watcher). The matcher sees no
    other borrower, so one outside it is decided exactly as one not registered."""

    @property
    def accepted_types(self) -> frozenset[str]:
        """[inbox].formats and the media formats of [media].inbox_formats, as media types by content."""
        media = {MEDIA_FORMATS[name] for name in self.media.inbox_formats if name in MEDIA_FORMATS}
        return self.settings.media_types | media

    def size_limit(self, media_type: str) -> int:
        """Photos, video and audio are never read for text, so they may be as large as the archive takes."""
        if media_type in MEDIA_TYPES and media_type in self.accepted_types:
            return max(self.media.max_file_bytes, self.settings.max_file_bytes)
        return self.settings.max_file_bytes

    @classmethod
    def for_archive(
        cls, archive: Archive, *, probe: WriterProbe | None = None, stop: threading.Event | None = None
    ) -> Context:
        from dossier.search.settings import text_dir

        settings = inbox_settings(archive.config)
        return cls(
            archive=archive,
            journal=Journal(archive),
            settings=settings,
            search=search_settings(archive.config),
            rules=load_rules(archive.config),
            texts=TextCache(text_dir(archive.home)),
            probe=probe or WriterProbe(settings.writer_probe),
            stop=stop or threading.Event(),
            media=media_settings(archive.config),
        )

    @property
    def actor(self) -> str:
        return self.settings.actor


@dataclass
class Work:
    """One claimed file on its way through the steps, with what they learn about it."""

    item: Item
    path: Path
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """Analysis steps done but not yet committed (see the module doc)."""
    columns: dict[str, Any] = field(default_factory=dict)
    fd: int | None = None
    filing_held: bool = False
    text: str = ""
    extraction: dict[str, Any] = field(default_factory=dict)
    classification: Classification | None = None
    match: Match | None = None
    duplicate_of: int | None = None
    """A document already holding this content, when nothing else names the borrower."""
    outcome: Outcome | None = None
    """After :func:`run`: ``filed`` or ``duplicate`` (index and removal to follow), ``closed`` (done:
    ``closed_as`` says how), ``retry``, ``returned`` (given back to the inbox) or ``kept`` (left claimed)."""
    closed_as: Outcome | None = None
    retry_reason: str | None = None
    """Why the outcome is ``retry`` (counted as a failed attempt, see :func:`give_up`)."""

    def fact(self, step: str) -> dict[str, Any]:
        """A step's facts: from this run if it did the step, else as the journal recorded them."""
        for name, facts in reversed(self.records):
            if name == step:
                return facts
        return dict(self.item.steps.get(step) or {})

    def note(self, step: str, started: float, **facts: Any) -> None:
        self.records.append((step, {**facts, "ms": round((time.perf_counter() - started) * 1000, 2)}))

    @property
    def folders(self) -> list[str]:
        return staged_folders(self.item.path)

    @property
    def failed_extraction(self) -> bool:
        return self.extraction.get("status") == "error"


class Step(ABC):
    """One unit of the pipeline: ``setup`` and ``run`` when ``able_to_run``; ``cleanup`` always after."""

    name = ""

    def able_to_run(self, work: Work) -> bool:
        return not work.item.done(self.name)

    def setup(self, ctx: Context, work: Work) -> None:  # noqa: B027 - optional hook: most steps need none
        """Acquire what ``run`` needs."""

    @abstractmethod
    def run(self, ctx: Context, work: Work) -> None: ...

    def cleanup(self, ctx: Context, work: Work) -> None:  # noqa: B027 - optional hook
        """Release what ``setup`` or ``run`` took; runs whatever happened."""


class HashStep(Step):
    name = "hashed"

    def setup(self, ctx: Context, work: Work) -> None:
        mode = os.lstat(work.path).st_mode
        if stat.S_ISLNK(mode):
            raise Quarantine("not-a-file", "a symbolic link (符号链接)", kind="symlink")
        if not stat.S_ISREG(mode):
            raise Quarantine("not-a-file", _kind(mode), kind=_kind(mode))
        try:
            # O_NOFOLLOW: a link swapped in is not followed; O_NONBLOCK: nor does a FIFO block us.
            work.fd = os.open(work.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError as exc:
            raise Quarantine("unreadable", exc.strerror or str(exc)) from None

    def run(self, ctx: Context, work: Work) -> None:
        assert work.fd is not None
        started = time.perf_counter()
        before = os.fstat(work.fd)
        if not stat.S_ISREG(before.st_mode):
            raise Quarantine("not-a-file", _kind(before.st_mode), kind=_kind(before.st_mode))
        work.columns["size"] = before.st_size
        if before.st_size == 0:
            raise Quarantine("empty")
        if before.st_size > ctx.settings.max_file_bytes:
            limit = ctx.size_limit(sniff_head(os.pread(work.fd, 64, 0)))
            if before.st_size > limit:
                raise Quarantine("too-large", f"{before.st_size} bytes, the limit is {limit} (超过上限)")
        if ctx.probe.busy([work.path]):
            raise Retry("still open for writing (仍在写入)")
        try:
            with open(work.fd, "rb", closefd=False) as fh:
                sha256 = sha256_of(fh)
        except OSError as exc:
            raise Quarantine("unreadable", exc.strerror or str(exc)) from None
        after = os.fstat(work.fd)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise Retry("changed while it was read (读取时仍在变化)")
        work.columns["sha256"] = sha256
        work.item.sha256 = sha256
        work.note(self.name, started, sha256=sha256, size=before.st_size)

    def cleanup(self, ctx: Context, work: Work) -> None:
        if work.fd is not None:
            os.close(work.fd)
            work.fd = None


class ExtractStep(Step):
    name = "extracted"

    def run(self, ctx: Context, work: Work) -> None:
        started = time.perf_counter()
        try:
            media_type = sniff_type(work.path)
        except OSError as exc:
            raise Quarantine("unreadable", exc.strerror or str(exc)) from None
        work.columns["media_type"] = media_type
        work.item.media_type = media_type
        if media_type not in ctx.accepted_types:
            raise Quarantine(
                "unsupported-format",
                f"its content is {media_type} (实际格式为 {media_type})",
                media_type=media_type,
            )
        sha256 = work.columns.get("sha256") or work.item.sha256
        cached = ctx.texts.get(sha256) if sha256 else None
        if cached is None and media_type in MEDIA_TYPES:
            # Photos, video and audio have no text: the format is all there is to learn, in-process.
            cached = CachedText.from_extraction(extract(work.path, name=work.item.name))
            if sha256:
                ctx.texts.put(sha256, cached)
            from_cache = False
        elif cached is None:
            result = extract_guarded(
                work.path,
                name=work.item.name,
                timeout_s=ctx.search.extract_timeout_seconds,
                memory_mb=ctx.search.extract_memory_mb,
                limits=ctx.search.limits(),
            )
            if result.status == "error" and ctx.stop.is_set():
                # A Ctrl-C reaches the extraction child too: its death says nothing about the file.
                raise Interrupted("stopped during text extraction (提取文字时停止)")
            cached = CachedText.from_extraction(result)
            if result.status != "error" and sha256:
                ctx.texts.put(sha256, cached)  # the search index reads it from here: no second extraction
            from_cache = False
        else:
            from_cache = True
        work.text = cached.text
        work.extraction = cached.summary()
        work.note(
            self.name,
            started,
            media_type=media_type,
            **cached.summary(),
            pages=cached.pages,
            cached=from_cache,
        )


class ClassifyStep(Step):
    name = "classified"

    def run(self, ctx: Context, work: Work) -> None:
        started = time.perf_counter()
        _, rest = borrower_folder(work.folders, ctx.archive.config)
        found = classify(rest, work.item.name, work.text, ctx.rules, text_chars=ctx.settings.text_chars)
        work.classification = found
        work.note(
            self.name,
            started,
            doc_type=found.doc_type,
            category=found.category,
            rule=found.rule,
            **found.facts,
        )


class MatchStep(Step):
    """Finds the borrower, then decides: everything known (file it), or quarantine and why."""

    name = "matched"

    def run(self, ctx: Context, work: Work) -> None:
        started = time.perf_counter()
        text = work.text[: ctx.settings.text_chars]
        found = ctx.archive.transaction(
            lambda s: match(
                s, work.folders, work.item.name, text, config=ctx.archive.config, visible=ctx.filer_scope
            ),
            write=False,
        )
        work.match = found
        kind = work.classification
        assert kind is not None
        evidence = {
            "candidates": list(found.candidates),
            "borrower_rule": found.rule,
            "doc_type": kind.doc_type,
            "category": kind.category,
            "type_rule": kind.rule,
            "extraction": work.extraction,
        }
        if found.borrower_key is None:
            holder = _sole_holder(ctx.archive, work.columns.get("sha256"), ctx.filer_scope)
            if found.problem == NO_BORROWER and holder is not None:
                work.duplicate_of = holder
            elif work.failed_extraction:
                raise Quarantine("extraction-failed", str(work.extraction.get("error") or ""), **evidence)
            else:
                raise Quarantine(found.problem or NO_BORROWER, found.rule, **evidence)
        elif not kind.decided:
            if work.failed_extraction:
                raise Quarantine("extraction-failed", str(work.extraction.get("error") or ""), **evidence)
            raise Quarantine("unknown-type", kind.rule, **evidence)
        flags = _flags(work.extraction)
        work.note(
            self.name,
            started,
            borrower_key=found.borrower_key,
            rule=found.rule,
            contract_number=found.contract_number,
            duplicate_of=work.duplicate_of,
            flags=flags,
            **found.facts,
        )
        work.columns.update(borrower_key=found.borrower_key, category=kind.category, doc_type=kind.doc_type)
        item = work.item
        item.borrower_key, item.category, item.doc_type = found.borrower_key, kind.category, kind.doc_type


class FileStep(Step):
    """``file_document``; filings of different content run side by side (see ContentLocks)."""

    name = "filed"

    def setup(self, ctx: Context, work: Work) -> None:
        if work.item.sha256:
            ctx.filing.acquire(work.item.sha256)
            work.filing_held = True

    def run(self, ctx: Context, work: Work) -> None:
        started = time.perf_counter()
        item = work.item
        matched = MatchedStep.from_facts(work.fact(MatchedStep.name))
        if matched.duplicate_of is not None:
            self._record_duplicate(ctx, work, int(matched.duplicate_of), started)
            return
        assert item.borrower_key and item.category and item.doc_type and item.sha256
        sha256 = item.sha256
        borrower_key = item.borrower_key
        existing = ctx.archive.transaction(lambda s: _filed_copy(s, borrower_key, sha256), write=False)
        if existing is not None and (existing.details or {}).get("inbox", {}).get("item") == item.id:
            # Filed before a crash, its outcome not yet committed.
            filed = FiledStep(document_id=existing.id, status=FilingStatus.FILED, path=existing.path)
        else:
            try:
                result = file_document(
                    ctx.archive,
                    work.path,
                    borrower_key=borrower_key,
                    category=item.category,
                    doc_type=item.doc_type,
                    title=split_suffix(item.name)[0],
                    original_name=item.name,
                    filename=_filename(item),
                    contract_number=matched.contract_number,
                    source="ingested",
                    actor=ctx.actor,
                    details={"inbox": _provenance(work)},
                )
            except FilingInterrupted as exc:
                raise Retry(str(exc)) from None  # another filer's crash; `dossier repair` settles it
            except DossierError as exc:
                raise Quarantine("filing-failed", str(exc)) from None
            filed = FiledStep(
                document_id=result.document_id,
                status=FilingStatus(result.status),
                path=ctx.archive.relative(result.path),
            )
        flags = list(matched.flags or [])
        document_id = filed.document_id

        def work_done(session: Session) -> None:
            ctx.journal.record_in(
                session,
                item,
                [*work.records, (self.name, replace(filed, ms=_ms(started)).facts())],
                **{**work.columns, "document_id": document_id},
            )
            if flags and not filed.duplicate:
                document = session.get(Document, document_id)
                if document is not None:
                    document.flags = sorted({*(document.flags or []), *flags})

        ctx.archive.transaction(work_done)
        work.outcome = filed.outcome

    def _record_duplicate(self, ctx: Context, work: Work, document_id: int, started: float) -> None:
        item = work.item

        def done(session: Session) -> None:
            document = session.get(Document, document_id)
            key = None
            if document is not None:
                key = session.execute(
                    select(Borrower.key).where(Borrower.id == document.borrower_id)
                ).scalar_one_or_none()
            ctx.journal.record_in(
                session,
                item,
                [
                    *work.records,
                    (
                        self.name,
                        FiledStep(
                            document_id=document_id, status=FilingStatus.DUPLICATE, ms=_ms(started)
                        ).facts(),
                    ),
                ],
                **{**work.columns, "document_id": document_id, "borrower_key": key},
            )
            append_event(
                session,
                actor=ctx.actor,
                action="duplicate",
                target=f"document:{document_id}",
                borrower_key=key,
                details={
                    "sha256": item.sha256,
                    "path": document.path if document is not None else None,
                    "original_name": item.name,
                    "source": "inbox",
                    "item": item.id,
                },
            )

        ctx.archive.transaction(done)
        work.outcome = Outcome.DUPLICATE

    def cleanup(self, ctx: Context, work: Work) -> None:
        if work.filing_held and work.item.sha256:
            work.filing_held = False
            ctx.filing.release(work.item.sha256)


ITEM_STEPS: tuple[Step, ...] = (HashStep(), ExtractStep(), ClassifyStep(), MatchStep(), FileStep())


def run(ctx: Context, item: Item) -> Work:
    """Take one claimed item as far as it goes on its own (through ``filed``); see ``Work.outcome``."""
    path = claimed_path(ctx.archive, item)
    assert path is not None
    work = Work(item, path)
    for step in ITEM_STEPS:
        if not step.able_to_run(work):
            continue
        if ctx.stop.is_set():
            return _give_back(ctx, work, "the watcher stopped (监视程序已停止)")
        try:
            try:
                step.setup(ctx, work)
                step.run(ctx, work)
            finally:
                step.cleanup(ctx, work)
        except Quarantine as decision:
            _quarantine(ctx, work, decision)
            return work
        except Retry as exc:
            log.info("item %d (%s): %s; trying again later", item.id, item.name, exc)
            work.outcome, work.retry_reason = Outcome.RETRY, str(exc)
            return work
        except Interrupted as exc:
            return _give_back(ctx, work, str(exc))
    if work.outcome is None and item.done(FiledStep.name):
        work.outcome = FiledStep.of(item).outcome
    return work


def give_up(ctx: Context, item: Item, attempts: int, error: str) -> Work:
    """Quarantine an item that failed ``attempts`` times ([inbox].max_attempts), the last error as the
    reason, so no file is tried forever; a claimed file that is gone closes its row as lost."""
    path = claimed_path(ctx.archive, item)
    work = Work(item, path) if path is not None else None
    if work is None or not os.path.lexists(work.path):
        ctx.journal.close(
            item, Outcome.LOST, {"why": f"claimed file missing after {attempts} attempts: {error}"}
        )
        return work or Work(
            item, ctx.archive.inbox / item.path, outcome=Outcome.CLOSED, closed_as=Outcome.LOST
        )
    detail = f"{attempts} attempts (已尝试{attempts}次); last error: {error}"
    _quarantine(ctx, work, Quarantine("failed-repeatedly", detail, attempts=attempts))
    return work


def _give_back(ctx: Context, work: Work, why: str) -> Work:
    returned = give_back(ctx.archive, ctx.journal, work.item, why)
    work.outcome = Outcome.RETURNED if returned else Outcome.KEPT
    return work


def _quarantine(ctx: Context, work: Work, decision: Quarantine) -> None:
    item = work.item
    outcome = quarantine.send(
        ctx.archive,
        ctx.journal,
        item,
        work.path,
        decision,
        steps=work.records,
        columns=work.columns,
        actor=ctx.actor,
    )
    work.outcome, work.closed_as = Outcome.CLOSED, outcome
    log.info("%s #%d %s: %s", outcome, item.id, printable_path(item.path), decision)


# --------------------------------------------------------------------------- per batch: index, remove


def index_and_remove(ctx: Context, items: Sequence[Item], drain: Callable[[], Any] | None) -> list[Item]:
    """For items at ``filed``: hand their documents to the search index (``drain`` the outbox once),
    record ``indexed``, delete the claimed copies, record ``removed`` and close each with its outcome.

    The outbox is the index's promise, not the inbox's: a document the index could not take this time
    (another process holds the index, or its text fails to extract) stays queued there, recorded as
    ``searchable: false``, and `dossier index` or the next drain takes it; the inbox does not wait."""
    started = time.perf_counter()
    filed = {i.id: FiledStep.of(i) for i in items}
    if drain is not None and any(filed[i.id].needs_index for i in items if not i.done(IndexedStep.name)):
        drain()
    document_ids = [i.document_id for i in items if i.document_id is not None and filed[i.id].needs_index]
    queued = _still_queued(ctx, document_ids) if document_ids else set()
    drained_ms = round((time.perf_counter() - started) * 1000, 2)
    ctx.journal.record_many(
        [
            (
                i,
                [
                    (
                        IndexedStep.name,
                        IndexedStep(
                            ms=drained_ms,
                            batch=len(items),
                            searchable=filed[i.id].needs_index and i.document_id not in queued,
                        ).facts(),
                    )
                ],
                {},
            )
            for i in items
            if not i.done(IndexedStep.name)
        ]
    )
    removed_started = time.perf_counter()
    folders: set[Path] = set()
    for item in items:
        path = claimed_path(ctx.archive, item)
        if path is not None and os.path.lexists(path):
            path.unlink()
            folders.add(path.parent)
    for folder in folders:
        fsync_dir(folder)
    removed_ms = round((time.perf_counter() - removed_started) * 1000, 2)
    ctx.journal.record_many(
        [
            (
                i,
                [(RemovedStep.name, RemovedStep(ms=removed_ms, batch=len(items)).facts())],
                {"outcome": filed[i.id].outcome},
            )
            for i in items
        ]
    )
    return list(items)


def _still_queued(ctx: Context, document_ids: list[int]) -> set[int]:
    """Documents with an index row still waiting (not counting rows left aside after their last try)."""
    limit = ctx.search.max_attempts
    return set(
        ctx.archive.transaction(
            lambda s: s.execute(
                select(IndexQueue.document_id).where(
                    IndexQueue.document_id.in_(document_ids),
                    IndexQueue.op == outbox.ADD,
                    IndexQueue.attempts < limit,
                )
            ).scalars(),
            write=False,
        )
    )


# --------------------------------------------------------------------------- helpers


def _flags(extraction: dict[str, Any]) -> list[str]:
    """Flags the document is filed with when its text is not all there: ``extraction-failed`` and the
    extractor's own (``encrypted``, ``repaired``, ``truncated``). A scan waiting for OCR is no problem
    of the inbox's: the search index flags it."""
    status = extraction.get("status")
    own = [f for f in extraction.get("flags", []) if f != "needs-ocr"]
    if status == "error":
        return [EXTRACTION_FAILED, *own]
    if status == "partial":
        return own
    return []


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO (命名管道)"
    if stat.S_ISSOCK(mode):
        return "socket (套接字)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device (设备文件)"
    if stat.S_ISDIR(mode):
        return "folder (文件夹)"
    return "special file (特殊文件)"


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _filed_copy(session: Session, key: str, sha256: str) -> Document | None:
    return session.execute(
        select(Document)
        .join(Borrower, Borrower.id == Document.borrower_id)
        .where(Borrower.key == key, Document.sha256 == sha256, Document.state == "filed")
    ).scalar_one_or_none()


def _sole_holder(archive: Archive, sha256: str | None, visible: frozenset[int] | None) -> int | None:
    """The filed document holding this content, when exactly one borrower's file (of those
    ``visible`` to the uploader, None: all) has it."""
    if not sha256:
        return None
    rows = archive.transaction(
        lambda s: s.execute(
            select(Document.id, Document.borrower_id).where(
                Document.sha256 == sha256, Document.state == "filed"
            )
        ).all(),
        write=False,
    )
    seen = [(doc, borrower) for doc, borrower in rows if visible is None or borrower in visible]
    borrowers = {borrower for _, borrower in seen}
    return min(doc for doc, _ in seen) if len(borrowers) == 1 else None


def _filename(item: Item) -> str | None:
    """A file name with the suffix the content calls for, when the dropped name has none."""
    stem, suffix = split_suffix(item.name)
    if suffix:
        return None
    called_for = suffix_for(item.media_type)
    return f"{stem}{called_for}" if called_for is not None else None


def _provenance(work: Work) -> dict[str, Any]:
    """What the archive keeps about how the inbox decided (details["inbox"] of the document)."""
    item = work.item
    classified = ClassifiedStep.from_facts(work.fact(ClassifiedStep.name))
    matched = MatchedStep.from_facts(work.fact(MatchedStep.name))
    extracted = ExtractedStep.from_facts(work.fact(ExtractedStep.name))
    return {
        "item": item.id,
        "inbox_path": printable_path(item.path),
        "type_rule": classified.rule,
        "borrower_rule": matched.rule,
        "extraction": extracted.status,
        "flags": matched.flags or [],
    }


__all__ = [
    "ANALYSIS",
    "ITEM_STEPS",
    "Context",
    "Interrupted",
    "Retry",
    "Step",
    "Work",
    "index_and_remove",
    "run",
]
