"""Group commit of audit events: the events of concurrent requests go into one catalog transaction.

A search is an audit event, and a search must not answer before its event is committed (a crash right
after the answer would otherwise lose the record of it). Committing each event on its own costs one
synchronous disk flush per search, which caps searches per second at the disk's flush rate. Here the
first thread to arrive commits its event together with every event queued while the previous
transaction was committing (leader and followers, no thread of its own): N concurrent searches cost one
flush, and each caller still returns only once its own event is durable.

A caller that must not be held up (a search on the event loop) uses :meth:`EventBatches.append_now`
instead: its event alone, at once, when nothing is queued and the catalog's write lock is free; else
nothing is written and it appends as above, from a thread that may wait.

Events go through the audit chain's ``append_event`` in the order they were queued. The leader runs the
transaction in an empty context, so the request details of the leader's request (see
``dossier.archive.audit_context``) never reach the other requests' events: each caller passes its own.
When a batch fails, each of its events is tried again alone, so one bad event fails only its own caller.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dossier.archive.catalog.db import CatalogBusy
from dossier.archive.home import Archive
from dossier.errors import DossierError

EventWrite = Callable[[Session], None]
"""Appends one event in the session it is given (committed with the batch)."""


@dataclass
class _Queued:
    write: EventWrite
    done: bool = False
    error: BaseException | None = None


class EventBatches:
    """Commits the events of ``archive`` in shared transactions; one per process (the service keeps it)."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive
        self._changed = threading.Condition()
        self._queue: list[_Queued] = []
        self._leading = False
        self.commits = 0
        """Shared transactions committed so far (each one synchronous flush of the catalog)."""
        self.declined = 0
        """Times :meth:`append_now` declined (a batch under way here, or another writer's lock)."""

    def waiting(self) -> int:
        """Events queued behind the transaction being committed now."""
        with self._changed:
            return len(self._queue)

    def append(self, write: EventWrite) -> None:
        """Run ``write`` in the next shared transaction; return once it committed (or raise its error)."""
        mine = _Queued(write)
        with self._changed:
            self._queue.append(mine)
            while self._leading and not mine.done:
                self._changed.wait()
            if mine.done:
                return _outcome(mine)
            self._leading = True
            batch, self._queue = self._queue, []
        committed = False
        try:
            contextvars.Context().run(self._commit, batch)
            committed = True
        finally:
            with self._changed:
                for queued in batch:
                    if not committed and queued.error is None:
                        # The leader was interrupted: nobody in its batch may assume a commit.
                        queued.error = BatchInterrupted()
                    queued.done = True
                self._leading = False
                self._changed.notify_all()
        return _outcome(mine)

    def append_now(self, write: EventWrite) -> bool:
        """Commit ``write`` alone in the calling thread, without waiting for anything: True once it is
        committed; False, with nothing written, while a batch is being committed or queued here or
        another writer holds the catalog's write lock (then :meth:`append` it). Its own errors raise."""
        with self._changed:
            if self._leading or self._queue:
                self.declined += 1
                return False
            self._leading = True
        busy = False
        try:
            self._archive.transaction(write, wait=False)
            self.commits += 1
            return True
        except CatalogBusy:
            busy = True
            return False
        finally:
            with self._changed:
                self.declined += busy  # under the lock: a decline above may count at the same time
                self._leading = False
                self._changed.notify_all()

    def _commit(self, batch: list[_Queued]) -> None:
        def write_all(session: Session) -> None:
            for queued in batch:
                queued.write(session)

        try:
            self._archive.transaction(write_all)
            self.commits += 1
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for queued in batch:
                try:
                    self._archive.transaction(queued.write)
                    self.commits += 1
                except Exception as alone:
                    queued.error = alone


class BatchInterrupted(DossierError):
    """The transaction that was to commit this event was interrupted; the event may not be recorded."""

    def __init__(self) -> None:
        super().__init__("the audit event was not committed (审计事件未能提交)")


def _outcome(queued: _Queued) -> None:
    if queued.error is not None:
        raise queued.error
