"""What one running service holds: the archive it serves and the parts built once per process.

Kept on ``app.state.services`` and handed to endpoints by dependencies; nothing lives at module level,
so several applications (tests, a second home) run side by side in one process."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dossier.access.roles import AccessSettings, access_settings
from dossier.archive.catalog.db import is_postgresql
from dossier.archive.home import Archive
from dossier.config import Config
from dossier.generation import Generator
from dossier.search.audit_batches import EventBatches
from dossier.search.search_index import SearchIndex
from dossier.service.settings import ServiceSettings, service_settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    archive: Archive
    access: AccessSettings
    settings: ServiceSettings
    generator: Generator
    generate_lock: threading.Lock = field(default_factory=threading.Lock)
    """One render at a time per process: the template cache is shared and docxtpl is not thread-safe."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """The time that periods (a loan of a file) are checked against; a test sets a fixed one."""
    search: SearchIndex | None = None
    """The archive's index, kept open: one searcher per process, its events group-committed."""
    watcher: Any = None
    watcher_thread: threading.Thread | None = None
    search_executor: ThreadPoolExecutor = field(init=False, repr=False)
    """The threads API searches make their hop to ([service].search_threads); none is started before the
    first search. On PostgreSQL a whole search runs there; on the embedded catalog its writes only, and
    only when they would wait (see :attr:`searches_on_loop`).

    An executor, not the event loop's own hand-over (anyio's limiter): a thread that finishes a search
    takes the next queued one itself, where the limiter made it wait for a turn of the event loop to be
    handed each search (with `serve --workers 2`, in interleaved pairs: from no change to 5 % more
    searches per second)."""
    search_turns: asyncio.Semaphore = field(init=False, repr=False)
    """On the embedded catalog, the API searches under way in this process at once, from their reads to
    their committed event ([service].search_threads; on PostgreSQL the executor's threads bound them):
    with one, the next search's reads wait while an event is being written in the search thread, so the
    two do not contend for the GIL."""

    def __post_init__(self) -> None:
        self.search_executor = ThreadPoolExecutor(self.settings.search_threads, thread_name_prefix="search")
        self.search_turns = asyncio.Semaphore(self.settings.search_threads)

    @property
    def searches_on_loop(self) -> bool:
        """On the embedded catalog an API search reads on the event loop, and writes its audit event
        there too when that needs no wait (the catalog's write lock free now, or after a pause or three
        of at most 2 ms on the loop; no token use due); a write that would wait longer (another writer
        holds the lock; the token's last use) goes to
        :attr:`search_executor`. Its reads are CPU only: a local SQLite file in WAL mode, whose readers
        never wait for a writer, and the index in this process. In a thread of their own they gained
        nothing but GIL hand-offs: the event loop's thread, woken by the next request, was woken again at
        every moment the search thread let the GIL go (a SQLite step, a tantivy call), 18.7 times per
        request, for 20 % more CPU per search; the hop for the event alone cost more than the event's
        write (one WAL append and flush). On PostgreSQL the reads wait on the network, so the whole
        search makes its hop to the thread."""
        return not is_postgresql(self.archive.engine)

    @property
    def config(self) -> Config:
        return self.archive.config

    @classmethod
    def open(cls, home: Path, config: Config) -> Services:
        archive = Archive.open(home, config=config)
        return cls(
            archive=archive,
            access=access_settings(config),
            settings=service_settings(config),
            generator=Generator(config),
            search=SearchIndex(archive, batches=EventBatches(archive)),
        )

    def search_index(self) -> SearchIndex:
        """The process's index (made now for Services built without :meth:`open`)."""
        if self.search is None:
            self.search = SearchIndex(self.archive, batches=EventBatches(self.archive))
        return self.search

    def make_searchable(self) -> None:
        """Index what was just filed, unless another process is at it (then the outbox keeps it)."""
        from dossier.errors import DossierError
        from dossier.jobs.followups import index_soon

        try:
            index_soon(self.archive)
        except DossierError as exc:
            log.info("documents wait in the index queue: %s", exc)
        finally:
            self.search_index().searcher.forget_pending()

    def start_watcher(self) -> None:
        """Run the inbox watcher inside the service, in a thread of its own."""
        from dossier.inbox.watcher import Watcher

        watcher = Watcher(self.archive)

        def run() -> None:
            from dossier.inbox.watcher import WatcherBusy

            try:
                watcher.run()
            except WatcherBusy as exc:
                # Several service workers share one home; the first one's watcher serves them all.
                log.info("%s", exc)
            except Exception:
                log.exception("the inbox watcher stopped with an error")

        self.watcher = watcher
        self.watcher_thread = threading.Thread(target=run, name="inbox-watcher", daemon=True)
        self.watcher_thread.start()

    def close(self) -> None:
        if self.watcher is not None and self.watcher_thread is not None:
            self.watcher.request_stop()
            self.watcher_thread.join(timeout=30)
        # A search under way finishes (its audit event committed); queued ones are dropped unanswered.
        self.search_executor.shutdown(cancel_futures=True)
        if self.search is not None:
            self.search.close()
        self.archive.close()
