"""SearchIndex: the archive's full-text index as one object, for the CLI, the API and the watcher.

It only puts the parts together: where the index lives (index_place.py), keeping it up to date from the
outbox (indexing.py) and answering searches (querying.py, which logs them through search_audit.py).
The service keeps one per process (``Services.search``): its searcher stays open across requests and
its search events are group-committed (audit_batches.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dossier.archive import index_outbox
from dossier.archive.home import Archive
from dossier.search.audit_batches import EventBatches
from dossier.search.extraction import TextSource
from dossier.search.fields import Filters
from dossier.search.index_place import IndexPlace
from dossier.search.indexing import Indexer, IndexReport, Progress
from dossier.search.querying import FiltersIn, Searcher, SearchPage
from dossier.search.replica import ApplyReport, Lag, Replica
from dossier.search.search_audit import log_search, search_event
from dossier.search.settings import ReplicaIdentity, SearchSettings


class SearchIndex:
    """The full-text index of one archive home, with engine ``engine`` (default: [search].engine)."""

    def __init__(
        self,
        archive: Archive,
        *,
        engine: str | None = None,
        settings: SearchSettings | None = None,
        batches: EventBatches | None = None,
        identity: ReplicaIdentity | None = None,
    ) -> None:
        self.place = IndexPlace(archive, engine=engine, settings=settings, identity=identity)
        self.indexer = Indexer(self.place)
        self.searcher = Searcher(self.place, batches=batches, replica=self.indexer.replica)
        self.archive = archive
        self.settings: SearchSettings = self.place.settings
        self.engine_name: str = self.place.engine_name
        self.path: Path = self.place.path

    @classmethod
    def open(
        cls,
        archive: Archive,
        *,
        engine: str | None = None,
        settings: SearchSettings | None = None,
        wait: bool = True,
        identity: ReplicaIdentity | None = None,
    ) -> SearchIndex:
        """The index, checked (and queued for a rebuild if it cannot be trusted, see indexing.py).

        ``wait=False``: if another process holds the indexing lock, skip the check (it is that
        process's job) instead of waiting for it.
        """
        index = cls(archive, engine=engine, settings=settings, identity=identity)
        index.indexer.check(wait=wait)
        return index

    @property
    def replica(self) -> Replica:
        """This node's replica of the index and its applier."""
        return self.indexer.replica

    def apply(self, *, wait: bool = True, progress: Progress | None = None) -> ApplyReport:
        """Apply the catalog's change log to this node's replica (no extraction)."""
        try:
            return self.replica.apply(wait=wait, progress=progress)
        finally:
            self.searcher.forget_pending()

    def lag(self) -> Lag:
        return self.replica.lag()

    @property
    def texts(self) -> TextSource:
        return self.indexer.texts

    @property
    def rebuilt(self) -> str | None:
        """Why opening queued the whole catalog again, if it did."""
        return self.indexer.rebuilt

    def close(self) -> None:
        """Close the searcher's engine (indexing opens and closes its own per run)."""
        self.searcher.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def queue_state(self) -> index_outbox.QueueState:
        return self.place.queue_state()

    def pending(self) -> int:
        """Outbox rows still waiting for extraction (adds and deletes; OCR waits apart)."""
        return self.place.pending()

    def process(
        self, limit: int | None = None, *, progress: Progress | None = None, wait: bool = True
    ) -> IndexReport:
        try:
            return self.indexer.process(limit, progress=progress, wait=wait)
        finally:
            self.searcher.forget_pending()

    def rebuild(self, *, progress: Progress | None = None) -> IndexReport:
        try:
            return self.indexer.rebuild(progress=progress)
        finally:
            self.searcher.forget_pending()

    def search(
        self,
        text: str,
        *,
        filters: Filters | FiltersIn | None = None,
        offset: int = 0,
        limit: int | None = 20,
        actor: str | None = None,
        audit: dict[str, Any] | None = None,
    ) -> SearchPage:
        return self.searcher.search(
            text, filters=filters, offset=offset, limit=limit, actor=actor, audit=audit
        )

    def log(self, page: SearchPage, actor: str, extra: dict[str, Any]) -> None:
        """The ``search`` event of a page searched without ``actor``, committed (group-committed in a
        service) before this returns; for a caller who learns who searched only in the search itself."""
        log_search(self.archive, page, actor, extra, batches=self.searcher.batches)

    def log_now(self, page: SearchPage, actor: str, extra: dict[str, Any]) -> bool:
        """:meth:`log` in the calling thread if it need not wait (``EventBatches.append_now``): True once
        committed; False, with nothing written, when it would wait (then :meth:`log` it elsewhere)."""
        batches = self.searcher.batches
        return batches is not None and batches.append_now(search_event(page, actor, extra))

    def doc_count(self) -> int:
        return self.searcher.doc_count()
