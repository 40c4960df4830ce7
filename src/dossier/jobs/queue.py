"""The queue runner: jobs deferred to procrastinate on the PostgreSQL catalog, worked by `dossier worker`.

procrastinate keeps its tables in the catalog's database (applied once, idempotently, under the migration
lock) and claims jobs with ``FOR UPDATE SKIP LOCKED``. A job is deferred on the caller's own connection,
inside the caller's transaction, so the job exists exactly when the catalog change that calls for it does
(the ``job_runs`` row, written beside it, is the part people look at). Each procrastinate job carries only
``run_id``; the worker reads the rest from that row.
"""

from __future__ import annotations

from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from procrastinate.schema import SchemaManager
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from dossier.archive.home import Archive
from dossier.jobs import state
from dossier.jobs.definitions import JobKind, Runner
from dossier.jobs.settings import JobsSettings, jobs_settings
from dossier.locks import LockName

SCHEMA_TABLE = "procrastinate_jobs"


def task_name(kind: JobKind) -> str:
    return f"dossier.{kind.value}"


def conninfo(archive: Archive) -> str:
    """The catalog's URL as libpq takes it (procrastinate's psycopg pool)."""
    return archive.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_schema(archive: Archive) -> bool:
    """Install procrastinate's tables in the catalog's database unless they are there; True if it did."""
    if inspect(archive.engine).has_table(SCHEMA_TABLE):
        return False
    with archive.locks.hold(LockName.MIGRATION):
        if inspect(archive.engine).has_table(SCHEMA_TABLE):
            return False
        raw = archive.engine.raw_connection()
        try:
            # The raw driver connection: procrastinate's SQL is not the catalog's, so the catalog's writer
            # hook (schema revision check) has nothing to say about it.
            raw.driver_connection.execute(SchemaManager.get_schema())  # type: ignore[union-attr]  # psycopg connection
            raw.commit()
        finally:
            raw.close()
    return True


class BoundedBackoff(BaseRetryStrategy):
    """[jobs].max_attempts tries in all, the waits between them doubling from [jobs].backoff_seconds."""

    def __init__(self, settings: JobsSettings) -> None:
        self.settings = settings

    def get_retry_decision(self, *, exception: BaseException, job: Any) -> RetryDecision | None:
        tried = job.attempts + 1
        if tried >= self.settings.max_attempts:
            return None
        return RetryDecision(retry_in={"seconds": round(self.settings.backoff(tried))})


class QueueRunner:
    """Defers jobs of one archive (on a PostgreSQL catalog) to procrastinate."""

    runner = Runner.QUEUE

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.settings = jobs_settings(archive.config)
        ensure_schema(archive)
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(archive)))

    def defer(
        self,
        session: Session,
        kind: JobKind,
        subject: str,
        params: dict[str, Any],
        actor: str,
        *,
        lock: str | None = None,
        queueing_lock: str | None = None,
    ) -> int | None:
        """Write the run and defer its job in ``session``'s transaction; the run's id, or None when a job
        with the same ``queueing_lock`` is already waiting (that one will do this work too)."""
        if queueing_lock is None:
            return self._defer(session, kind, subject, params, actor, lock, None)
        try:
            # A savepoint: a job already waiting under the same queueing lock must not undo the caller's
            # transaction.
            with session.begin_nested():
                return self._defer(session, kind, subject, params, actor, lock, queueing_lock)
        except AlreadyEnqueued:
            return None

    def _defer(
        self,
        session: Session,
        kind: JobKind,
        subject: str,
        params: dict[str, Any],
        actor: str,
        lock: str | None,
        queueing_lock: str | None,
    ) -> int:
        connection = session.connection().connection.driver_connection
        row = state.create_run(session, kind, subject, params, self.runner, actor)
        row.queue_job_id = self.app.configure_task(
            task_name(kind),
            queue=kind.queue.value,
            lock=lock,
            queueing_lock=queueing_lock,
            connection=connection,
        ).defer(run_id=row.id)
        return row.id

    def submit(
        self,
        kind: JobKind,
        subject: str,
        params: dict[str, Any],
        actor: str,
        *,
        lock: str | None = None,
        queueing_lock: str | None = None,
    ) -> int | None:
        """:meth:`defer` in a transaction of its own."""
        return self.archive.transaction(
            lambda s: self.defer(s, kind, subject, params, actor, lock=lock, queueing_lock=queueing_lock)
        )

    def requeue(self, session: Session, run_id: int) -> None:
        """A failed run's job deferred again (an admin's retry), in ``session``'s transaction."""
        row = state.requeued(session, run_id)
        kind = JobKind(row.kind)
        connection = session.connection().connection.driver_connection
        row.queue_job_id = self.app.configure_task(
            task_name(kind), queue=kind.queue.value, lock=lock_for(kind, row.subject), connection=connection
        ).defer(run_id=row.id)


def lock_for(kind: JobKind, subject: str) -> str | None:
    """procrastinate's lock: jobs holding the same one never run at the same time."""
    if kind is JobKind.OCR:
        return subject
    if kind in (JobKind.INDEX, JobKind.REINDEX):
        return "index"  # one drain or rebuild at a time (the indexing lock stands behind it)
    return None
