"""Every "only one process may" rule goes through here: one small interface, one backend per catalog.

The rules, each a :class:`LockName`:

- ``filing``: filings hold it shared; ``dossier repair`` and ``audit verify`` hold it exclusively, so they
  never mistake a filing in progress for the remains of a crash.
- ``index``: one process drains the search outbox into the index at a time.
- ``watcher``: one inbox watcher per archive home.
- ``migration``: one process migrates the catalog while the others wait, then find nothing to do.
- ``owner`` (one per process, keyed by the process's token): held for the life of a process that opens
  inbox journal rows, so a recovering watcher settles only the rows of processes that are gone, on
  whatever host they ran (Archive.owner, Archive.owner_alive).

On the embedded default the backend is :class:`FileLocks`: a lock file per rule in the archive's state
folder, held by the kernel (``flock``), so a process that dies, even by SIGKILL, lets go at once. Exclusive
locks use the ``filelock`` library; a shared hold, which it offers only as a separate SQLite-based lock, is
a ``LOCK_SH`` on the same file.

With the catalog on PostgreSQL the backend is :class:`AdvisoryLocks`: a session-level advisory lock per
rule, keyed ``(NAMESPACE, rule)`` in the catalog's database, held on a connection of the catalog's pool for
the ``with`` block. It means the same on every host that shares the catalog, and PostgreSQL lets go when
the holder's connection ends, even when its process is SIGKILLed or its host is lost (after the server's
TCP keepalive notices). A filing holds its shared ``filing`` lock on the connection its own transactions
then use (:meth:`AdvisoryLocks.hold_on`, Archive.filing_connection): one checkout per filing.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import filelock
from sqlalchemy import text

from dossier.errors import DossierError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

_POLL_S = 0.05

NAMESPACE = 0x0D055
"""The first half of every advisory-lock key dossier takes, so its keys never meet another application's
in a shared database."""


class LockName(StrEnum):
    FILING = "filing"
    INDEX = "index"
    WATCHER = "watcher"
    MIGRATION = "migration"
    OWNER = "owner"

    @property
    def key(self) -> int:
        """The second half of the rule's advisory-lock key (stable: never renumber)."""
        return _KEYS[self]


_KEYS = {LockName.FILING: 1, LockName.INDEX: 2, LockName.WATCHER: 3, LockName.MIGRATION: 4, LockName.OWNER: 5}
CATALOG_WRITER_KEY = 100
"""Not a :class:`LockName`: the catalog's own write serialization on PostgreSQL (a transaction-level
advisory lock taken by every writing transaction, see ``archive.catalog.db``), SQLite's BEGIN IMMEDIATE."""


class LockMode(StrEnum):
    SHARED = "shared"
    EXCLUSIVE = "exclusive"


class LockBusy(DossierError):
    """The lock is held elsewhere and the caller would not wait (longer)."""

    def __init__(self, name: LockName, holder: str | None) -> None:
        self.name = name
        self.holder = holder
        who = f" by {holder}" if holder else ""
        super().__init__(f"the {name.value} lock is held{who} (另一进程正在进行该操作，请稍后再试)")


class Locks(Protocol):
    def hold(
        self,
        name: LockName,
        *,
        key: str | None = None,
        mode: LockMode = LockMode.EXCLUSIVE,
        timeout: float | None = None,
    ) -> contextlib.AbstractContextManager[None]:
        """Hold ``name`` (one of its instances, when ``key`` is given: letters, digits, ``-``) for the
        ``with`` block. ``timeout`` None waits as long as it takes; 0 does not wait; otherwise at most that
        many seconds. :class:`LockBusy` when it was not had in time."""
        ...


def _keyed(name: LockName, key: str | None) -> str:
    if key is None:
        return name.value
    if not key.replace("-", "").isalnum() or not key.isascii():
        raise ValueError(f"lock key must be ASCII letters, digits and '-': {key!r}")
    return f"{name.value}-{key}"


class FileLocks:
    """The embedded default: ``<folder>/<name>.lock`` per rule (``flock``, released by the kernel)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: LockName, key: str | None = None) -> Path:
        return self.folder / f"{_keyed(name, key)}.lock"

    @contextlib.contextmanager
    def hold(
        self,
        name: LockName,
        *,
        key: str | None = None,
        mode: LockMode = LockMode.EXCLUSIVE,
        timeout: float | None = None,
    ) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        if mode is LockMode.SHARED:
            with self._shared(name, key, timeout):
                yield
            return
        lock = filelock.FileLock(
            self.path(name, key),
            timeout=-1 if timeout is None else timeout,
            # The same pathname carries the shared holds (LOCK_SH below): it must never be unlinked and
            # recreated, or a shared and an exclusive holder would lock two different files; and a soft
            # lock (filelock's fallback where flock is missing) would not see the shared holds at all.
            preserve_lock_file=True,
            fallback_to_soft=False,
        )
        try:
            lock.acquire()
        except filelock.Timeout:
            raise LockBusy(name, self._holder(name, key)) from None
        try:
            self._note_holder(name, key)
            yield
        finally:
            lock.release()

    @contextlib.contextmanager
    def _shared(self, name: LockName, key: str | None, timeout: float | None) -> Iterator[None]:
        with self.path(name, key).open("a+b") as fh:
            deadline = None if timeout is None else time.monotonic() + timeout
            flags = fcntl.LOCK_SH if deadline is None else fcntl.LOCK_SH | fcntl.LOCK_NB
            while True:
                try:
                    fcntl.flock(fh.fileno(), flags)
                    break
                except BlockingIOError:
                    assert deadline is not None
                    if time.monotonic() >= deadline:
                        raise LockBusy(name, self._holder(name, key)) from None
                    time.sleep(_POLL_S)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # Who holds an exclusive lock, for the message another process shows: written beside the lock file,
    # since filelock may replace the lock file itself.
    def _note_holder(self, name: LockName, key: str | None) -> None:
        with contextlib.suppress(OSError):
            self.path(name, key).with_suffix(".holder").write_text(f"pid {os.getpid()}", encoding="utf-8")

    def _holder(self, name: LockName, key: str | None) -> str | None:
        try:
            return self.path(name, key).with_suffix(".holder").read_text(encoding="utf-8").strip() or None
        except OSError:
            return None


class AdvisoryLocks:
    """The catalog on PostgreSQL: session-level advisory locks on a connection of the catalog's pool."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextlib.contextmanager
    def hold(
        self,
        name: LockName,
        *,
        key: str | None = None,
        mode: LockMode = LockMode.EXCLUSIVE,
        timeout: float | None = None,
    ) -> Iterator[None]:
        # Autocommit: the lock belongs to the session, and no transaction stays open while it is held.
        # The write option is off, so this connection never takes the catalog writer lock.
        with self._engine.connect().execution_options(
            isolation_level="AUTOCOMMIT", dossier_write=False
        ) as connection:
            with self.hold_on(connection, name, key=key, mode=mode, timeout=timeout):
                yield

    @contextlib.contextmanager
    def hold_on(
        self,
        connection: Connection,
        name: LockName,
        *,
        key: str | None = None,
        mode: LockMode = LockMode.EXCLUSIVE,
        timeout: float | None = None,
    ) -> Iterator[None]:
        """:meth:`hold` on ``connection``, an AUTOCOMMIT connection the caller keeps for the block (a
        filing runs its own transactions on the connection that holds its filing lock: no checkout and
        no connection of its own per filing). The lock is a session lock: it outlives the transactions
        run on ``connection`` meanwhile, and is given back when the block ends."""
        suffix = "_shared" if mode is LockMode.SHARED else ""
        if key is None:
            params: dict[str, int] = {"ns": NAMESPACE, "key": name.key}
            args = ":ns, :key"
        else:
            # A keyed instance: the one-bigint form, a key space apart from the (int, int) form's.
            digest = hashlib.blake2b(f"{NAMESPACE}:{_keyed(name, key)}".encode(), digest_size=8).digest()
            params = {"key": int.from_bytes(digest, "big", signed=True)}
            args = ":key"
        if timeout is None:
            connection.execute(text(f"SELECT pg_advisory_lock{suffix}({args})"), params)
        else:
            deadline = time.monotonic() + timeout
            attempt = text(f"SELECT pg_try_advisory_lock{suffix}({args})")
            while not connection.execute(attempt, params).scalar_one():
                if time.monotonic() >= deadline:
                    holder = self._holder(connection, name)
                    connection.commit()
                    raise LockBusy(name, holder)
                time.sleep(_POLL_S)
        # End SQLAlchemy's own (autobegun) transaction: the server committed already, and the caller's
        # next transaction on this connection must begin as a new one (with its writer lock).
        connection.commit()
        try:
            yield
        finally:
            try:
                connection.execute(text(f"SELECT pg_advisory_unlock{suffix}({args})"), params)
                connection.commit()
            except Exception:
                # A connection lost meanwhile has lost the lock with it. One that could not give it back
                # (a transaction left aborted on it) must never return to the pool holding it: closed,
                # it lets go of every lock it holds.
                with contextlib.suppress(Exception):
                    connection.invalidate()

    @staticmethod
    def _holder(connection: Connection, name: LockName) -> str | None:
        row = connection.execute(
            text(
                "SELECT a.application_name, a.pid, a.client_addr FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :ns AND l.objid = :key "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "LIMIT 1"
            ),
            {"ns": NAMESPACE, "key": name.key},
        ).first()
        if row is None:
            return None
        who = row.application_name or "a session"
        return f"{who} (server pid {row.pid}{', ' + str(row.client_addr) if row.client_addr else ''})"
