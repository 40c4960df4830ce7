"""What a job is: its kind (one per slow task), the queue it runs on, and its outcome words.

One definition per job, two runners: the embedded runner (embedded.py) calls the job's function in this
process; the queue runner (queue.py) defers it to procrastinate on the PostgreSQL catalog, and a
`dossier worker` calls the very same function (execution.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dossier.archive.home import Archive


class Queue(StrEnum):
    OCR = "ocr"
    INDEX = "index"
    RENDER = "render"
    BATCH = "batch"


class JobKind(StrEnum):
    OCR = "ocr"
    """Recognise one scanned document (ocrmypdf sidecar text), then queue it for the index."""
    INDEX = "index"
    """Drain the index outbox (extraction + indexing), then hand scans waiting for OCR to OCR jobs."""
    NOTICES = "notices"
    """Generate and file the due notices of a slice of the ledger's loans."""
    VOLUME = "volume"
    """Bind a borrower's (or one loan's) volume: one PDF with its 卷内目录."""
    EXPORT = "export"
    """Build a borrower's export bundle (zip with manifest and events)."""
    REINDEX = "reindex"
    """Rebuild the full-text index from the catalog (resumable)."""
    RENDER = "render"
    """Convert filed DOCX documents to their PDF/A renditions (LibreOffice), those not converted yet."""

    @property
    def queue(self) -> Queue:
        return _QUEUES[self]


_QUEUES = {
    JobKind.OCR: Queue.OCR,
    JobKind.INDEX: Queue.INDEX,
    JobKind.NOTICES: Queue.BATCH,
    JobKind.VOLUME: Queue.RENDER,
    JobKind.EXPORT: Queue.BATCH,
    JobKind.REINDEX: Queue.INDEX,
    JobKind.RENDER: Queue.RENDER,
}


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    """Failed at least once; waits for its next try."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """Out of attempts; an admin may retry it (`dossier jobs retry`)."""

    @property
    def active(self) -> bool:
        return self in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RETRYING)


class Runner(StrEnum):
    EMBEDDED = "in-process"
    """The embedded runner: in the process that asked (always on SQLite; on PostgreSQL with no worker)."""
    QUEUE = "queue"


Progress = Callable[[int, int], None]
"""Called by a job as it goes: (done, total)."""


@dataclass(frozen=True)
class Work:
    """What a job function is handed."""

    archive: Archive
    run_id: int
    params: dict[str, Any]
    actor: str
    progress: Progress


JobFunction = Callable[[Work], dict[str, Any]]
"""A job's body: idempotent (run twice, it does the work once), returns a small JSON-able result."""


class JobError(Exception):
    """A job could not do its work this time (retried within [jobs].max_attempts)."""
