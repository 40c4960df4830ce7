"""The embedded runner: on the embedded default (SQLite, no server) a job runs here and now, in this
process, with the same bounded retries and the same visible ``job_runs`` row as on the queue."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from dossier.archive.home import Archive
from dossier.jobs import state
from dossier.jobs.definitions import JobKind, JobStatus, Runner
from dossier.jobs.execution import run_once
from dossier.jobs.settings import jobs_settings


class EmbeddedRunner:
    runner = Runner.EMBEDDED

    def __init__(self, archive: Archive, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.archive = archive
        self.settings = jobs_settings(archive.config)
        self._sleep = sleep

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
        """Record the run, then run it to its end (succeeded or failed); its id."""
        run_id = self.record(kind, subject, params, actor)
        self.run(run_id)
        return run_id

    def record(self, kind: JobKind, subject: str, params: dict[str, Any], actor: str) -> int:
        """Only record the run (``queued``): the caller runs it with :meth:`run` when it chooses (a page
        answers first, so the person watches its progress)."""
        return self.archive.transaction(
            lambda s: state.create_run(s, kind, subject, params, self.runner, actor).id
        )

    def run(self, run_id: int) -> JobStatus:
        attempts = self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                run_once(self.archive, run_id, attempt, attempts)
            except Exception:
                if attempt == attempts:
                    return JobStatus.FAILED
                self._sleep(self.settings.backoff(attempt))
                continue
            return JobStatus.SUCCEEDED
        return JobStatus.FAILED

    def requeue(self, session: Session, run_id: int) -> None:
        state.requeued(session, run_id)
