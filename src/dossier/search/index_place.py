"""Where this node's full-text index replica lives and how it is opened; shared by indexing and querying.

The replica of engine ``<engine>`` is ``<index_path>/<engine>/`` ([search].index_path, default
``<home>/.dossier/index``), with ``<engine>.applied.json`` (the change-log seq it has applied) and, while
it is rebuilt, ``<engine>.rebuilding`` beside it (search/replica.py). Engine errors become the archive's
own (:func:`engine_errors`), so the CLI prints them on one line. :func:`load_filed` reads the catalog rows
the index speaks of.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive import index_outbox
from dossier.archive.catalog.models import Borrower, Document, Loan
from dossier.archive.home import Archive
from dossier.errors import DossierError
from dossier.locks import LockBusy, LockName
from dossier.search.fields import SCHEMA, SearchError
from dossier.search.settings import ReplicaIdentity, SearchSettings, replica_identity, search_settings
from indexer.engines import (
    ENGINES,
    EngineError,
    EngineOptions,
    IndexEngine,
    IndexLocked,
    IndexNeedsRebuild,
    open_engine,
)
from indexer.engines.storage import MARKER_FILE

Loaded = dict[int, tuple[Document, Borrower, Loan | None]]


class IndexBusy(DossierError):
    """Another process is indexing this archive and did not finish within the lock timeout."""


@contextlib.contextmanager
def index_lock(
    archive: Archive, timeout_s: float, wait: bool, busy: str, key: str | None = None
) -> Iterator[bool]:
    """LockName.INDEX (the outbox's drain lock, or with ``key`` one replica's applier lock). Yields False
    when ``wait`` is False and it is taken; raises :class:`IndexBusy` saying ``busy`` when ``wait`` is True
    and it stays taken for ``timeout_s``."""
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(
                archive.locks.hold(LockName.INDEX, key=key, timeout=timeout_s if wait else 0.0)
            )
        except LockBusy:
            if wait:
                raise IndexBusy(busy) from None
            yield False
            return
        yield True


class IndexPlace:
    """The index of one archive home with engine ``engine`` (default: [search].engine)."""

    def __init__(
        self,
        archive: Archive,
        *,
        engine: str | None = None,
        settings: SearchSettings | None = None,
        identity: ReplicaIdentity | None = None,
    ) -> None:
        self.archive = archive
        self.settings = settings or search_settings(archive.config)
        self.engine_name = engine or self.settings.engine
        if self.engine_name not in ENGINES:
            raise DossierError(
                f"unknown index engine {self.engine_name!r} (未知的索引引擎); "
                f"choose one of {', '.join(ENGINES)}"
            )
        # The faces resolve the identity once and pass it; a core caller without one (the watcher, a
        # job) gets this host's, computed the same way.
        self.identity = identity or replica_identity(archive.home, self.settings, socket.gethostname())
        self.root = self.identity.index_path
        self.path = self.root / self.engine_name
        # One replica per (node, engine): the default engine's replica carries the node's own name.
        self.node = (
            self.identity.node
            if self.engine_name == self.settings.engine
            else f"{self.identity.node}-{self.engine_name}"
        )

    def options(self) -> EngineOptions:
        return EngineOptions(
            lock_timeout=self.settings.lock_timeout_seconds,
            hit_cache_bytes=self.settings.hit_cache_mb * 2**20,
        )

    def built(self) -> bool:
        """Whether an engine has written this index (its schema marker is there)."""
        return (self.path / MARKER_FILE).is_file()

    def marker_identity(self) -> tuple[int, int, int] | None:
        """The schema marker's inode, size and mtime (None before the index is built): it is replaced
        when the index is created or recreated, so a searcher kept open knows to open it again."""
        try:
            info = os.stat(self.path / MARKER_FILE)
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_size, info.st_mtime_ns)

    def open_engine(self, *, recreate: bool = False) -> IndexEngine:
        with engine_errors():
            return open_engine(self.engine_name, self.path, SCHEMA, recreate=recreate, options=self.options())

    def queue_state(self) -> index_outbox.QueueState:
        max_attempts = self.settings.max_attempts
        return self.archive.transaction(lambda s: index_outbox.state(s, max_attempts), write=False)

    def pending(self) -> int:
        """Outbox rows the index still owes (adds and deletes; OCR waits apart)."""
        return self.queue_state().index_pending


@contextlib.contextmanager
def engine_errors() -> Iterator[None]:
    """The engine's errors as the archive's, so the CLI prints them on one line."""
    try:
        yield
    except IndexLocked as exc:
        raise IndexBusy(str(exc)) from None
    except IndexNeedsRebuild as exc:
        raise SearchError(f"{exc}; run `dossier reindex`") from None
    except EngineError as exc:
        raise DossierError(f"search index error (索引错误): {exc}") from None


def load_filed(session: Session, ids: list[int]) -> Loaded:
    """The filed documents among ``ids``, each with its borrower and loan."""
    if not ids:
        return {}
    query = (
        select(Document, Borrower, Loan)
        .join(Borrower, Borrower.id == Document.borrower_id)
        .outerjoin(Loan, Loan.id == Document.loan_id)
        .where(Document.id.in_(ids), Document.state == "filed")
    )
    return {d.id: (d, b, loan) for d, b, loan in session.execute(query).all()}
