"""No polling: a service node applies the catalog's change log when PostgreSQL says it grew.

Appending to the log sends ``pg_notify('dossier_index', <seq>)`` in the appending transaction
(dossier.archive.index_log), so a notification arrives only once its entries are committed. Each service
node runs two daemon threads, started and stopped with the app's lifespan:

- the listener: its own psycopg connection (not one of the pool's) doing ``LISTEN dossier_index``; on a
  notification it wakes the follower. A lost connection is opened again after a pause, and the follower
  is woken once it is back (notifications sent meanwhile were lost with the connection);
- the follower: applies the log to this node's replica (search/replica.py) whenever woken; many
  notifications during one apply make one more apply, not many. It is woken once at start, so a node that
  was down catches up.

On the embedded default there is nothing to listen to: the process that drains the outbox applies the
log at once (search/indexing.py).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from dossier.archive.catalog import db
from dossier.archive.index_log import CHANNEL
from dossier.search.search_index import SearchIndex

log = logging.getLogger(__name__)

RETRY_S = 1.0
"""Pause before applying again after a failure (the replica's lock held elsewhere, the catalog gone)."""
RECONNECT_S = 2.0
NOTIFY_WAIT_S = 1.0
"""How long the listener waits for a notification before it looks whether it should stop."""


class LogFollower:
    """Applies the change log to ``index``'s replica whenever :meth:`wake` is called (see the module doc)."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.applied = 0
        """Applies done (for tests and /ready)."""

    def wake(self) -> None:
        self._wake.set()

    def start(self, *, listen: bool) -> None:
        self._spawn(self._follow, "index-log-follower")
        if listen:
            self._spawn(self._listen, "index-log-listener")
        self.wake()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _follow(self) -> None:
        try:
            self.index.replica.register()
        except Exception:
            log.exception("index replica: could not register this node")
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                self.index.apply(wait=True)
                self.applied += 1
            except Exception:
                # The replica's lock held by a CLI command, the catalog away for a moment: try again.
                log.exception("index replica: applying the change log failed; trying again")
                if self._stop.wait(RETRY_S):
                    return
                self._wake.set()

    def _listen(self) -> None:
        engine = self.index.archive.engine
        while not self._stop.is_set():
            connection: Any = None
            try:
                cargs, cparams = engine.dialect.create_connect_args(engine.url)
                connection = engine.dialect.dbapi.connect(*cargs, **cparams)  # type: ignore[union-attr]  # psycopg is loaded
                connection.autocommit = True
                connection.execute(f"LISTEN {CHANNEL}")
                # Notifications sent while this connection was down are lost: catch up once.
                self.wake()
                while not self._stop.is_set():
                    for _ in connection.notifies(timeout=NOTIFY_WAIT_S):
                        self.wake()
            except Exception:
                log.warning("index log listener: connection lost; listening again in %.0f s", RECONNECT_S)
                self._stop.wait(RECONNECT_S)
            finally:
                if connection is not None:
                    try:
                        connection.close()
                    except Exception:
                        log.debug("index log listener: closing a broken connection failed", exc_info=True)


def start_follower(index: SearchIndex) -> LogFollower | None:
    """For a service node with the catalog on PostgreSQL: follow the log (see the module doc). None on the
    embedded default, where the draining process applies the log itself."""
    if not db.is_postgresql(index.archive.engine):
        return None
    follower = LogFollower(index)
    follower.start(listen=True)
    return follower
