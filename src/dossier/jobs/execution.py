"""One try of one job, the same on both runners: mark it running, run its function, record the outcome.

A try that raises is recorded ``retrying`` (the runner tries again after the backoff) or, on the last
allowed try, ``failed`` with its error; the kind's give-up step then runs (OCR flags the document).
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from dossier.archive.home import Archive
from dossier.jobs import state
from dossier.jobs.definitions import JobKind, JobStatus, Work
from dossier.jobs.registry import function_for, on_failed

log = logging.getLogger(__name__)


def run_once(archive: Archive, run_id: int, attempt: int, max_attempts: int) -> dict[str, Any]:
    """Try job ``run_id`` (its ``attempt``-th try, from 1); re-raises the job's error after recording it."""
    row = state.started(archive, run_id, attempt)
    kind = JobKind(row.kind)
    work = Work(
        archive=archive,
        run_id=run_id,
        params=dict(row.params),
        actor=row.actor,
        progress=lambda done, total: state.progressed(archive, run_id, done, total),
    )
    try:
        result = function_for(kind)(work)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        final = attempt >= max_attempts
        log.warning("job %s (%s) try %s/%s failed: %s", run_id, kind, attempt, max_attempts, error)
        if final:
            give_up = on_failed(kind)
            if give_up is not None:
                give_up(archive, work.params, error, attempt)
        state.finished(archive, run_id, JobStatus.FAILED if final else JobStatus.RETRYING, error=error)
        raise
    # Which process did it: a person reading `dossier jobs` across hosts, and the tests, want to know.
    result = {**result, "worker": f"{socket.gethostname()}:{os.getpid()}"}
    state.finished(archive, run_id, JobStatus.SUCCEEDED, result=result)
    return result
