"""`dossier watch`: the loop that finds files in the inbox, waits until each is complete, claims it and
runs it through the pipeline.

Events are hints, never the truth. watchdog's inotify events (created, closed, moved; a folder created
or moved in is scanned whole) make the watcher look at a path sooner; a full scan at start-up, a full
rescan every ``[inbox].rescan_seconds`` and one whenever watchdog logs that the kernel's event queue
overflowed make sure nothing is missed. ``--poll SECONDS`` uses the scans alone (shares where events
never arrive); so does a watcher whose inotify watches cannot be set up.

Start-up, in order: one watcher per home (``.dossier/state/watch.lock``); ``dossier repair`` finishes
or rolls back filings a crash interrupted; the journal's open rows are settled (:meth:`Watcher.recover`)
and resumed; then the scan. SIGINT and SIGTERM set a stop flag: files not yet filed are given back to the
inbox, files filed are indexed and removed, and the watcher exits. A second signal stops at once (the
journal makes that safe too).
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from dossier.archive.home import Archive
from dossier.archive.repair import check
from dossier.errors import DossierError
from dossier.inbox import interrupted_upload, pipeline, quarantine
from dossier.inbox.claim import (
    Candidate,
    claim,
    claimed_path,
    give_back,
    processing_dir,
    settle_claim_intent,
    settle_give_back,
)
from dossier.inbox.facts import ClassifiedStep, FiledStep, MatchedStep
from dossier.inbox.journal import OWNER, Item, now
from dossier.inbox.outcome import Outcome
from dossier.inbox.pipeline import Context, Work
from dossier.inbox.stability import Tracker, Watched, ignore_lease_breaks, monotonic
from dossier.locks import LockBusy, LockName

log = logging.getLogger("dossier.inbox")

CLAIM_BATCH = 100
"""Files claimed at once: enough to keep the workers busy, few enough to stop promptly."""
MAX_DEPTH = 32
FALLBACK_POLL_SECONDS = 2.0
"""Scan interval when inotify cannot be used (too many watches, no inotify)."""
_WAKE = ("wake", "")


@dataclass
class WatchReport:
    filed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    returned: int = 0
    """Given back to the inbox when the watcher stopped."""
    resumed: int = 0
    """Items a previous run left open, taken up again at start."""
    scans: int = 0
    overflows: int = 0
    index_errors: list[str] = field(default_factory=list)


class WatcherBusy(DossierError):
    """Another watcher is running on this archive home."""


class Watcher:
    """Watches one archive home's inbox; :meth:`run` until :meth:`request_stop` (or once, ``once``)."""

    def __init__(
        self,
        archive: Archive,
        *,
        poll: float | None = None,
        once: bool = False,
        stop: threading.Event | None = None,
        standby: bool = False,
    ) -> None:
        self.archive = archive
        self.standby = standby
        self.stop = stop or threading.Event()
        self.ctx = Context.for_archive(archive, stop=self.stop)
        self.settings = self.ctx.settings
        self.poll = poll
        self.once = once
        self.report = WatchReport()
        self.events: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self.overflow = threading.Event()
        self.tracker = Tracker(archive.inbox, self.settings.quiet_seconds)
        self.pending: list[Item] = []
        self.retry: list[tuple[float, Item]] = []
        self.to_finish: list[Item] = []
        self.index: Any = None

    # ----------------------------------------------------------------- control

    def request_stop(self, *_: object) -> None:
        """Stop after the files in hand (safe to call from a signal handler)."""
        self.stop.set()
        self.events.put(_WAKE)

    def run(self) -> WatchReport:
        with _single_watcher(self.archive, standby=self.standby), self._signals(), self._overflow_alarm():
            if threading.current_thread() is threading.main_thread():
                ignore_lease_breaks()
            self._start_up()
            observer = None if self.once or self.poll else self._observe()
            interval = self.poll or (
                FALLBACK_POLL_SECONDS if observer is None else self.settings.rescan_seconds
            )
            ocr = self._start_ocr()
            mode = "events" if observer is not None else f"a scan every {interval:g} s"
            log.info(
                "watching %s (%s; quiet period %g s)", self.archive.inbox, mode, self.settings.quiet_seconds
            )
            workers = ThreadPoolExecutor(self.settings.workers, thread_name_prefix="inbox")
            try:
                self.scan()
                next_scan = monotonic() + interval
                while True:
                    self._take_hints()
                    if self.overflow.is_set() or (not self.once and monotonic() >= next_scan):
                        if self.overflow.is_set():
                            self.overflow.clear()
                            self.report.overflows += 1
                            log.warning(
                                "inotify queue overflowed: rescanning the inbox (事件队列溢出，重新扫描)"
                            )
                        self.scan()
                        self.recover(unowned=False)
                        interrupted_upload.settle_orphans(self.archive, self.ctx.journal, self.ctx.actor)
                        next_scan = monotonic() + interval
                    if not self.stop.is_set():
                        self._claim_ready()
                        self._due_retries()
                    if self.pending and not self.stop.is_set():
                        self._process(workers)
                    if self.to_finish and (self.stop.is_set() or not self.pending):
                        self._finish()
                    if self.stop.is_set() or (self.once and self._once_done()):
                        break
                    self._wait(next_scan)
            finally:
                workers.shutdown(wait=True)
                self._shut_down(observer, ocr)
        return self.report

    # ----------------------------------------------------------------- start and stop

    def _start_up(self) -> None:
        start_extractors()
        threading.Thread(target=_warm_extractor, name="inbox-warm-up", daemon=True).start()
        check(self.archive, actor=self.ctx.actor)
        quarantine.remove_stray_temps(self.archive)
        processing_dir(self.archive).mkdir(parents=True, exist_ok=True)
        self.index = self._open_index()
        self.recover()

    def _open_index(self) -> Any:
        try:
            from dossier.search.search_index import SearchIndex

            return SearchIndex.open(self.archive, wait=False)
        except (DossierError, OSError, ValueError) as exc:
            log.warning("the search index cannot be opened, documents wait in its queue: %s", exc)
            return None

    def recover(self, *, unowned: bool = True) -> None:
        """Settle every open journal row a process that is gone left (see claim.py and quarantine.py),
        queue the claimed files again, and remove claimed copies of files already safely archived.

        A row whose owner still runs (a server's upload, a watcher on another host) is left to it. At
        start-up (``unowned``) rows from before owners were recorded are settled too; on each rescan only
        rows whose owner died while this watcher runs."""
        for item in self.ctx.journal.open_items():
            token = item.details.get(OWNER)
            if (token is None and not unowned) or self.archive.owner_alive(token):
                continue
            try:
                self.ctx.journal.adopt(item)
                if interrupted_upload.is_upload(item) and item.quarantine_path is None:
                    interrupted_upload.settle(self.archive, self.ctx.journal, item, self.ctx.actor)
                    continue
                self._recover(item)
            except (DossierError, OSError) as exc:
                # One item that cannot be settled must not keep the watcher from the others.
                log.error("inbox item %d (%s) cannot be settled, left as it is: %s", item.id, item.name, exc)
        self._remove_leftovers()

    def _recover(self, item: Item) -> None:
        journal = self.ctx.journal
        if item.quarantine_path is not None:
            source = claimed_path(self.archive, item)
            quarantine.settle(self.archive, journal, item, source, self.ctx.actor)
            return
        if item.step == "arrived":
            if item.claim is not None and settle_claim_intent(self.archive, journal, item) is not None:
                self._queue(item, resumed=True)
            return
        if settle_give_back(self.archive, journal, item):
            return
        path = claimed_path(self.archive, item)
        if item.done("filed"):
            self.to_finish.append(item)
            self.report.resumed += 1
        elif path is not None and os.path.lexists(path):
            self._queue(item, resumed=True)
        elif os.path.lexists(self.archive.inbox / item.path):
            journal.close(
                item, Outcome.RETURNED, {"why": "found back in the inbox (已在收件箱中)"}, claim=None
            )
        else:
            log.error("inbox item %d (%s): its claimed file is missing", item.id, item.name)
            journal.close(item, Outcome.LOST, {"why": "claimed file missing at start-up (认领的文件缺失)"})

    def _remove_leftovers(self) -> None:
        """Claimed copies whose journal row is closed as filed or duplicate: the archive holds them."""
        from sqlalchemy import select

        from dossier.archive.catalog.models import InboxItem

        area = processing_dir(self.archive)
        names = [p.name for p in area.iterdir() if p.name.isdigit()] if area.is_dir() else []
        if not names:
            return
        ids = [int(n) for n in names]
        closed = self.archive.transaction(
            lambda s: list(
                s.execute(
                    select(InboxItem.id, InboxItem.claim).where(
                        InboxItem.id.in_(ids), InboxItem.outcome.in_((Outcome.FILED, Outcome.DUPLICATE))
                    )
                ).all()
            ),
            write=False,
        )
        for _, name in closed:
            if name:
                (area / name).unlink(missing_ok=True)

    def _shut_down(self, observer: Any, ocr: tuple[threading.Thread, threading.Event] | None) -> None:
        for item in [*self.pending, *(item for _, item in self.retry)]:
            if give_back(self.archive, self.ctx.journal, item, "the watcher stopped (监视程序已停止)"):
                self.report.returned += 1
        self.pending, self.retry = [], []
        if self.to_finish:
            self._finish()
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)
        if ocr is not None:
            thread, stop = ocr
            stop.set()
            thread.join(timeout=2)

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def handler(signum: int, frame: FrameType | None) -> None:
            if self.stop.is_set():
                raise KeyboardInterrupt  # a second signal: stop now; the journal resumes the rest
            log.info("stopping after the files in hand (%s)", signal.Signals(signum).name)
            self.request_stop()

        for sig in previous:
            signal.signal(sig, handler)
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    @contextmanager
    def _overflow_alarm(self) -> Iterator[None]:
        """watchdog reports an inotify queue overflow only in its log; listen there."""
        watcher = self

        class _Alarm(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if "overflow" in record.getMessage().lower():
                    watcher.overflow.set()
                    watcher.events.put(_WAKE)

        alarm = _Alarm(logging.WARNING)
        source = logging.getLogger("watchdog.observers")
        source.addHandler(alarm)
        try:
            yield
        finally:
            source.removeHandler(alarm)

    def _observe(self) -> Any:
        try:
            from watchdog.events import (
                DirCreatedEvent,
                DirMovedEvent,
                FileClosedEvent,
                FileCreatedEvent,
                FileMovedEvent,
                FileSystemEvent,
                FileSystemEventHandler,
            )
            from watchdog.observers import Observer
        except ImportError as exc:  # pragma: no cover - watchdog is a dependency
            log.warning("watchdog is not installed, polling instead: %s", exc)
            return None
        events = self.events

        class _Hints(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                path = getattr(event, "dest_path", "") or event.src_path
                kind = "dir" if event.is_directory else "file"
                events.put((kind, os.fsdecode(path)))

        observer = Observer()
        try:
            observer.schedule(
                _Hints(),
                str(self.archive.inbox),
                recursive=True,
                event_filter=[
                    FileCreatedEvent,
                    FileClosedEvent,
                    FileMovedEvent,
                    DirCreatedEvent,
                    DirMovedEvent,
                ],
            )
            observer.start()
        except OSError as exc:
            log.warning("no inotify watches (%s); scanning every %.0f s instead", exc, FALLBACK_POLL_SECONDS)
            return None
        return observer

    def _start_ocr(self) -> tuple[threading.Thread, threading.Event] | None:
        if self.once or not self.settings.ocr_worker or not self.ctx.search.ocr:
            return None
        from dossier.archive.catalog.db import is_postgresql

        if is_postgresql(self.archive.engine):
            # A server catalog: OCR goes through the jobs, shared with `dossier worker` on other hosts.
            from dossier.jobs.watch_ocr import ocr_rounds as ocr_worker
        else:
            from dossier.search.ocr_queue import ocr_worker

        stop = threading.Event()
        thread = threading.Thread(target=ocr_worker, args=(self.archive, stop), name="inbox-ocr", daemon=True)
        thread.start()
        return thread, stop

    # ----------------------------------------------------------------- finding files

    def scan(self, folder: str = "") -> None:
        """Look at every file under ``folder`` (relative to the inbox; all of it by default)."""
        self.report.scans += 1 if not folder else 0
        root = self.archive.inbox
        stack = [(folder, root / folder if folder else root, folder.count("/"))]
        found: list[str] = []
        while stack:
            prefix, path, depth = stack.pop()
            try:
                entries = list(os.scandir(path))
            except OSError:
                continue
            for entry in entries:
                if self.settings.ignored(entry.name):
                    continue
                relative = f"{prefix}/{entry.name}" if prefix else entry.name
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if is_dir:
                    if depth < MAX_DEPTH:
                        stack.append((relative, Path(entry.path), depth + 1))
                    continue
                found.append(relative)
        self._hint_all(found)
        if not folder:
            self._close_stale_arrivals(set(found))

    def _close_stale_arrivals(self, present: set[str]) -> None:
        """Rows still at ``arrived`` (from an earlier run) for files no longer in the inbox."""
        journal = self.ctx.journal
        stale = [
            item
            for item in journal.open_items()
            if item.step == "arrived" and item.claim is None and item.path not in present
        ]
        journal.record_many(
            [
                (
                    i,
                    [(Outcome.GONE, {"why": "no longer in the inbox (已不在收件箱)"})],
                    {"outcome": Outcome.GONE},
                )
                for i in stale
            ]
        )

    def _take_hints(self) -> None:
        hints: list[str] = []
        folders: list[str] = []
        while True:
            try:
                kind, path = self.events.get_nowait()
            except queue.Empty:
                break
            if (kind, path) == _WAKE:
                continue
            relative = self._relative(path)
            if relative is None:
                continue
            (folders if kind == "dir" else hints).append(relative)
        for folder in dict.fromkeys(folders):
            self.scan(folder)
        self._hint_all(hints)

    def _relative(self, path: str) -> str | None:
        relative = os.path.relpath(path, self.archive.inbox)
        if relative == "." or relative.startswith(".."):
            return None
        parts = relative.split(os.sep)
        if any(self.settings.ignored(part) for part in parts):
            return None
        return "/".join(parts)

    def _hint_all(self, paths: list[str]) -> None:
        at, wall = monotonic(), now()
        fresh: list[Watched] = []
        for path in dict.fromkeys(paths):
            entry = self.tracker.hint(path, at, wall)
            if entry is not None:
                fresh.append(entry)
        if fresh:
            ids = self.ctx.journal.arrive([(e.path, e.first_seen) for e in fresh])
            for entry in fresh:
                entry.item_id = ids.get(entry.path)

    # ----------------------------------------------------------------- claiming and working

    def _claim_ready(self) -> None:
        at = monotonic()
        ready: list[tuple[Watched, Any]] = []
        gone: list[Watched] = []
        for entry in self.tracker.due(at):
            snapshot = self.tracker.second_look(entry, at)
            if snapshot is None:
                if not os.path.lexists(self.archive.inbox / entry.path):
                    gone.append(entry)
                elif self.once:
                    self.tracker.forget(entry.path)  # still changing: left for the next run
                continue
            ready.append((entry, snapshot))
        for entry in gone:
            self.tracker.forget(entry.path)
        if gone:
            journal = self.ctx.journal
            journal.record_many(
                [
                    (
                        _bare(e),
                        [(Outcome.GONE, {"why": "taken away before it was claimed (认领前已被移走)"})],
                        {"outcome": Outcome.GONE},
                    )
                    for e in gone
                    if e.item_id is not None
                ]
            )
        files = [self.archive.inbox / e.path for e, s in ready if s.kind == "file"]
        busy = self.ctx.probe.busy(files)
        candidates: list[Candidate] = []
        for entry, snapshot in ready:
            if self.archive.inbox / entry.path in busy:
                entry.last_hint = at  # a writer still has it open: another quiet period
                if self.once:
                    self.tracker.forget(entry.path)
                continue
            if entry.item_id is None:
                continue
            candidates.append(Candidate(_bare(entry), snapshot))
            if len(candidates) >= CLAIM_BATCH:
                break
        if not candidates:
            return
        for candidate in candidates:
            self.tracker.forget(candidate.item.path)
        for item in claim(self.archive, self.ctx.journal, candidates):
            self._queue(item)

    def _queue(self, item: Item, *, resumed: bool = False) -> None:
        self.pending.append(item)
        if resumed:
            self.report.resumed += 1

    def _due_retries(self) -> None:
        at = monotonic()
        due = [item for when, item in self.retry if when <= at]
        self.retry = [(when, item) for when, item in self.retry if when > at]
        self.pending.extend(due)

    def _process(self, workers: ThreadPoolExecutor) -> None:
        batch, self.pending = self.pending, []
        futures: dict[Future[Work], Item] = {
            workers.submit(pipeline.run, self.ctx, item): item for item in batch
        }
        for future in as_completed(futures):
            item = futures[future]
            try:
                work = future.result()
            except Exception as exc:
                # A bug or an unexpected failure (a library's error, disk full): the item stays claimed at
                # its last recorded step and is tried again later, [inbox].max_attempts times in all
                # (counted in the journal, across restarts), then quarantined with the error as reason.
                log.exception("inbox item %d (%s) failed", item.id, item.name)
                self._failed(item, f"{type(exc).__name__}: {exc}", self.settings.rescan_seconds)
                continue
            self._settle(work)
            if len(self.to_finish) >= self.settings.index_batch:
                self._finish()

    def _settle(self, work: Work) -> None:
        item = work.item
        if work.outcome is not None and work.outcome.archived:
            self.to_finish.append(item)
        elif work.outcome is Outcome.RETRY:
            if self.once:  # one pass only: a file still being written is left for the next run
                if give_back(self.archive, self.ctx.journal, item, "still being written (仍在写入)"):
                    self.report.returned += 1
                return
            self._failed(item, work.retry_reason or "retry", max(self.settings.quiet_seconds, 0.2))
        elif work.outcome is Outcome.RETURNED:
            self.report.returned += 1
        elif work.outcome is Outcome.CLOSED:
            if work.closed_as is Outcome.DUPLICATE:
                self.report.duplicates += 1
            else:
                self.report.quarantined += 1

    def _failed(self, item: Item, error: str, delay: float) -> None:
        """One more failed attempt at ``item``: tried again after ``delay`` (doubling with each attempt,
        up to the rescan interval), or quarantined once [inbox].max_attempts is reached."""
        try:
            attempts = self.ctx.journal.failed_attempt(item, error)
            if attempts >= self.settings.max_attempts:
                work = pipeline.give_up(self.ctx, item, attempts, error)
                log.warning("inbox item %d (%s) quarantined after %d attempts", item.id, item.name, attempts)
                if work.closed_as is not Outcome.LOST:
                    self.report.quarantined += 1
                return
        except Exception:
            # The catalog itself failing: nothing can be recorded now; the item waits for the next pass.
            log.exception("inbox item %d (%s): the failure could not be recorded", item.id, item.name)
            self.retry.append((monotonic() + self.settings.rescan_seconds, item))
            return
        backoff = min(delay * 2 ** (attempts - 1), max(delay, self.settings.rescan_seconds))
        log.info(
            "inbox item %d (%s): attempt %d failed, again in %.1f s", item.id, item.name, attempts, backoff
        )
        self.retry.append((monotonic() + backoff, item))

    def _finish(self) -> None:
        batch, self.to_finish = self.to_finish, []
        finished = pipeline.index_and_remove(self.ctx, batch, self._drain)
        for item in finished:
            filed = FiledStep.of(item)
            if filed.duplicate:
                self.report.duplicates += 1
                log.info(
                    "duplicate #%d %s: already filed as document %s", item.id, item.name, item.document_id
                )
            else:
                self.report.filed += 1
                log.info(
                    "filed #%d %s → %s (%s; %s)",
                    item.id,
                    item.name,
                    filed.path,
                    MatchedStep.of(item).rule,
                    ClassifiedStep.of(item).rule,
                )

    def _drain(self) -> None:
        if self.index is None:
            self.index = self._open_index()
            if self.index is None:
                return
        try:
            # Only what is queued now: filing goes on meanwhile, and chasing it would commit the index
            # for every few documents.
            report = self.index.process(limit=max(1, self.index.pending()), wait=False)
        except (DossierError, OSError, ValueError) as exc:
            self.report.index_errors.append(str(exc))
            log.warning("indexing failed, documents wait in the index queue: %s", exc)
            return
        if report.busy:
            log.info("another process is indexing; the documents wait in its queue")
        for error in report.errors:
            self.report.index_errors.append(error)
            log.warning("index: %s", error)

    # ----------------------------------------------------------------- waiting

    def _once_done(self) -> bool:
        return not (len(self.tracker) or self.pending or self.retry or self.to_finish)

    def _wait(self, next_scan: float) -> None:
        deadlines = [next_scan]
        due = self.tracker.next_due()
        if due is not None:
            deadlines.append(due)
        if self.retry:
            deadlines.append(min(when for when, _ in self.retry))
        timeout = max(0.0, min(deadlines) - monotonic())
        if self.once:
            timeout = min(timeout, 0.25)
        try:
            event = self.events.get(timeout=min(timeout, 5.0))
        except queue.Empty:
            return
        self.events.put(event)  # handled by _take_hints with the rest


def start_extractors() -> None:
    """Start the extraction server before the first file, with this program's modules preloaded."""
    from indexer.extract.guard import start_server

    start_server()


def _warm_extractor() -> None:
    """One throwaway extraction, so the server's start-up is not paid by the first file."""
    from indexer.extract import extract_guarded

    extract_guarded(b"warm-up", timeout_s=60)


def _bare(entry: Watched) -> Item:
    assert entry.item_id is not None
    return Item(id=entry.item_id, path=entry.path, name="", step="arrived", arrived_at=entry.first_seen)


@contextmanager
def _single_watcher(archive: Archive, *, standby: bool = False) -> Iterator[None]:
    """One watcher per home; the lock is let go when the process dies, even by SIGKILL (the kernel's
    file lock, or the catalog's advisory lock when its connection ends). A ``standby`` watcher (another
    host) waits for it instead of giving up, and takes over when the active one is gone; while it waits it
    holds nothing, so SIGTERM's default ending is all the clean-up it needs."""
    if standby:
        log.info("standby: waiting until no other watcher runs on %s (待命)", archive.home)
    try:
        with archive.locks.hold(LockName.WATCHER, timeout=None if standby else 0):
            if standby:
                log.info("standby over: this watcher takes over %s (接管)", archive.home)
            yield
    except LockBusy as busy:
        if busy.name is not LockName.WATCHER:
            raise
        holder = busy.holder or "pid ?"
        raise WatcherBusy(
            f"another watcher is running on {archive.home} ({holder}) (该档案库已有监视程序在运行)"
        ) from None


def watch(archive: Archive, *, poll: float | None = None, once: bool = False) -> WatchReport:
    """Run a watcher on ``archive`` in this thread until stopped (or, with ``once``, until the files
    present at start are done)."""
    return Watcher(archive, poll=poll, once=once).run()
