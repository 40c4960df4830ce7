"""The archive home: one folder holding every borrower's credit file and the catalog beside them.

Layout::

    <home>/
      <key>-<name>/01-基本资料/…  09-结清/   one folder per borrower, category folders on demand
      _inbox/                                files waiting to be sorted
      _quarantine/                           files taken out of the archive (never deleted)
      .dossier/archive.json                  marks the folder as an archive home
      .dossier/catalog.sqlite                the catalog (unless [catalog].url names another database)
      .dossier/state/                        lock files
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from dossier.archive.audit import SESSION_HEAD_HINT, HeadHint
from dossier.archive.catalog import db
from dossier.archive.catalog.models import Borrower
from dossier.archive.names import check_name, ensure_inside
from dossier.config import SESSION_CONFIG, Config
from dossier.domain.categories import get_category
from dossier.errors import DossierError
from dossier.locks import AdvisoryLocks, FileLocks, LockBusy, LockMode, LockName, Locks

ENV_HOME = "DOSSIER_HOME"
DEFAULT_HOME = Path("archive")
INBOX = "_inbox"
QUARANTINE = "_quarantine"
STATE = ".dossier"
RESERVED = frozenset({INBOX, QUARANTINE, STATE})
"""Top-level folders that are not borrower folders."""
MARKER = "archive.json"
FORMAT = 1
"""Files being put in place carry this prefix; `dossier repair` removes any left behind."""

T = TypeVar("T")


class _CatalogSettings(BaseModel):
    url: str = ""
    pool_size: int = Field(default=5, ge=1, le=200)
    max_overflow: int = Field(default=10, ge=0, le=200)
    connect_timeout_s: int = Field(default=10, ge=1, le=300)
    ping_after_idle_s: float = Field(default=1.0, ge=0, le=3600)


class CatalogUnavailable(DossierError):
    """The catalog cannot be reached or used: the setting, the URL (no password) and the cause."""

    def __init__(self, url: str, cause: BaseException) -> None:
        self.url = url
        reason = str(getattr(cause, "orig", None) or cause).strip().splitlines()
        super().__init__(
            f"[catalog].url (目录数据库地址) = {db.redacted(url)}: cannot open the catalog "
            f"(无法连接目录数据库): {reason[0] if reason else type(cause).__name__}"
        )


def catalog_settings(path: Path, config: Config) -> tuple[str, db.Pool]:
    """The catalog the home at ``path`` uses under ``config`` (``[catalog].url``, else the SQLite file in
    its state folder) and the pool for it; for the tools that look at a catalog without opening it."""
    settings = config.section("catalog", _CatalogSettings)
    url = settings.url or db.sqlite_url(path / STATE / "catalog.sqlite")
    return url, db.Pool(
        settings.pool_size, settings.max_overflow, settings.connect_timeout_s, settings.ping_after_idle_s
    )


def resolve_home(home: Path | str | None) -> Path:
    """The home named by the argument, else ``$DOSSIER_HOME``, else ``./archive``; absolute."""
    chosen = Path(home) if home else Path(os.environ.get(ENV_HOME) or DEFAULT_HOME)
    return chosen.expanduser().absolute()


def is_archive_home(path: Path) -> bool:
    return (path / STATE / MARKER).is_file()


class Archive:
    """An open archive home: its folders, its catalog and the locks that keep writers apart."""

    def __init__(self, home: Path, config: Config, engine: Engine, locks: Locks | None = None) -> None:
        self._home = home
        self._config = config
        self._engine = engine
        self.locks: Locks = locks if locks is not None else FileLocks(home / STATE / "state")
        """The "only one process may" rules (dossier.locks); a catalog on a server brings its own."""
        # One head hint for all of this archive's sessions (audit.HeadHint; copied by reference).
        self._sessions = sessionmaker(
            engine, expire_on_commit=False, info={SESSION_CONFIG: config, SESSION_HEAD_HINT: HeadHint()}
        )
        self._readonly = engine.execution_options(**{db.WRITE_OPTION: False})
        self._now = engine.execution_options(**{db.NO_WAIT_OPTION: True})
        self._owner: str | None = None
        self._owner_lease = ExitStack()
        self._owner_guard = threading.Lock()
        self._pinned = threading.local()
        """``connection``: this thread's filing connection (filing_connection), if one is held."""

    # ----------------------------------------------------------------- opening

    @classmethod
    def open(cls, home: Path | str | None = None, *, config: Config, create: bool = False) -> Archive:
        """Open an archive home, migrating its catalog to the newest revision.

        A folder that is not an archive home is refused, unless ``create`` is set: then it becomes one.
        """
        path = resolve_home(home)
        if not is_archive_home(path):
            if create:
                return cls.init(path, config=config)
            raise DossierError(
                f"not an archive home (不是档案库目录): {path}; run `dossier init --home {path}` first"
            )
        return cls._connect(path, config)

    @classmethod
    def init(cls, home: Path | str | None = None, *, config: Config) -> Archive:
        """Create the layout (or complete it); safe to run again on an existing home."""
        path = resolve_home(home)
        if path.exists() and not path.is_dir():
            raise DossierError(f"archive home is not a folder (档案库路径不是目录): {path}")
        for folder in (path, path / INBOX, path / QUARANTINE, path / STATE, path / STATE / "state"):
            folder.mkdir(parents=True, exist_ok=True)
        marker = path / STATE / MARKER
        created = False
        if not marker.exists():
            stamp = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat()}
            try:
                with marker.open("x", encoding="utf-8") as fh:
                    json.dump(stamp, fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                created = True
            except FileExistsError:
                pass  # another process initialised it first
        archive = cls._connect(path, config)
        if created:
            from dossier.archive.audit import append_event

            archive.transaction(lambda s: append_event(s, actor="system", action="init", target=str(path)))
        return archive

    @classmethod
    def _connect(cls, path: Path, config: Config) -> Archive:
        url, pool = catalog_settings(path, config)
        try:
            engine = db.make_engine(url, pool)
            db.use_wal(engine)
            # On a server every host must agree on who holds a rule, so the locks live in the catalog.
            locks: Locks = (
                AdvisoryLocks(engine) if db.is_postgresql(engine) else FileLocks(path / STATE / "state")
            )
            migrated = db.upgrade(engine, locks)
        except (ArgumentError, NoSuchModuleError, DBAPIError) as exc:
            raise CatalogUnavailable(url, exc) from exc
        archive = cls(path, config, engine, locks)
        if migrated:
            from dossier.archive.renditions import merge_generated_pdfs

            try:
                # Once, with the migration that made renditions possible; `dossier repair` retries it.
                merge_generated_pdfs(archive)
            except DossierError:
                pass
        return archive

    # ----------------------------------------------------------------- properties

    @property
    def home(self) -> Path:
        return self._home

    @property
    def config(self) -> Config:
        return self._config

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def inbox(self) -> Path:
        return self._home / INBOX

    @property
    def quarantine(self) -> Path:
        return self._home / QUARANTINE

    @property
    def state_dir(self) -> Path:
        return self._home / STATE / "state"

    # ----------------------------------------------------------------- catalog

    @contextmanager
    def session(self, *, write: bool = True, wait: bool = True) -> Iterator[Session]:
        """A catalog session that commits when the block ends normally and rolls back otherwise.

        Writing sessions take the catalog's write lock when they begin (SQLite: BEGIN IMMEDIATE), waiting
        for another writer to let it go; with ``wait=False`` they raise :class:`db.CatalogBusy` instead
        (not on this thread's filing connection, which holds its own turn).
        """
        pinned: Connection | None = getattr(self._pinned, "connection", None)
        if pinned is not None:
            # The filing connection held by this thread (filing_connection): its begin hook opens the
            # writing transaction itself; reads run without one.
            pinned.execution_options(**{db.WRITE_OPTION: write})
        bind = self._readonly if not write else self._engine if wait else self._now
        session = self._sessions(bind=pinned or bind)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if pinned is not None:
                pinned.execution_options(**{db.WRITE_OPTION: False})

    def transaction(self, fn: Callable[..., T], *, write: bool = True, wait: bool = True) -> T:
        """``fn`` in one session, run again if the catalog was busy; returns what ``fn`` returns. With
        ``wait=False`` a writing ``fn`` runs once, only if the write lock is free now: else
        :class:`db.CatalogBusy`, with nothing written (for a caller that must not be held up)."""
        # Callable[..., T], not Callable[[Session], T]: callers bind loop values as lambda defaults
        # (``lambda s, r=row: ...``), which mypy can only match against an open signature.

        def once() -> T:
            with self.session(write=write, wait=wait) as session:
                return fn(session)

        return db.retrying(once) if wait else once()

    @contextmanager
    def filing_lock(self, *, exclusive: bool = False) -> Iterator[None]:
        """Filings hold it shared; `dossier repair` and `audit verify` hold it exclusively, so they never
        mistake a filing in progress for the remains of a crash (see dossier.locks)."""
        with self.locks.hold(LockName.FILING, mode=LockMode.EXCLUSIVE if exclusive else LockMode.SHARED):
            yield

    @contextmanager
    def filing_connection(self) -> Iterator[None]:
        """The filing lock held shared for a filing; with the catalog on PostgreSQL, held on one
        connection that this thread's catalog transactions in the block then use too. A filing costs
        one connection checkout instead of one for the lock and one per transaction, and no lock
        statements beyond its own two. Transactions in the block must not nest (they share the
        connection); filing.py's never do."""
        if not isinstance(self.locks, AdvisoryLocks) or getattr(self._pinned, "connection", None):
            with self.filing_lock():
                yield
            return
        options = {db.WRITE_OPTION: False, db.EXPLICIT_BEGIN_OPTION: True}
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT", **options) as connection:
            with self.locks.hold_on(connection, LockName.FILING, mode=LockMode.SHARED):
                self._pinned.connection = connection
                try:
                    yield
                finally:
                    self._pinned.connection = None

    # ----------------------------------------------------------------- paths

    def borrower_folder(self, borrower: Borrower) -> Path:
        """The borrower's folder (not created here), refused if it would lie outside the home."""
        folder = check_name(borrower.folder, ("borrower folder", "借款人目录"), max_chars=300)
        if folder in RESERVED:
            raise DossierError(f"borrower folder uses a reserved name (借款人目录名被保留): {folder}")
        return ensure_inside(self._home, self._home / folder)

    def category_folder(self, borrower: Borrower, category_key: str) -> Path:
        """``<borrower folder>/NN-<label>`` for a category key or label (not created here)."""
        category = get_category(category_key, self._config)
        return ensure_inside(self._home, self.borrower_folder(borrower) / category.folder)

    def relative(self, path: Path) -> str:
        """``path`` relative to the home, with forward slashes: how the catalog stores it."""
        return path.relative_to(self._home).as_posix()

    def absolute(self, relative: str) -> Path:
        """The file a catalog path names, refused if the stored path would leave the home."""
        return ensure_inside(self._home, self._home.joinpath(*relative.split("/")))

    # ----------------------------------------------------------------- owners of work in progress

    @property
    def owner(self) -> str:
        """This process's token, leased (``LockName.OWNER``) for as long as the archive is open: rows of
        work in progress (inbox journal rows) carry it, so another process knows whether they are still
        being worked on or were left by a process that is gone, on this host or another."""
        with self._owner_guard:
            if self._owner is None:
                token = secrets.token_hex(8)
                self._owner_lease.enter_context(self.locks.hold(LockName.OWNER, key=token, timeout=0))
                self._owner = token
            return self._owner

    def owner_alive(self, token: str | None) -> bool:
        """Whether the process that leased ``token`` still runs (False for no token: rows from before
        owners were recorded belong to nobody)."""
        if token is None:
            return False
        if token == self._owner:
            return True
        try:
            with self.locks.hold(LockName.OWNER, key=token, timeout=0):
                return False
        except LockBusy:
            return True

    # ----------------------------------------------------------------- lifetime

    def close(self) -> None:
        self._owner_lease.close()
        self._engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Archive({str(self._home)!r})"
