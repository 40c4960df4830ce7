"""OCR beside the inbox watcher on a PostgreSQL catalog: each round hands the scans waiting for OCR to
OCR jobs (the queue when workers are alive, else one job here), so the watcher and `dossier worker`
processes never recognise the same page twice outside the jobs' own idempotence."""

from __future__ import annotations

import threading

from dossier.archive.home import Archive
from dossier.jobs.dispatch import ocr_now
from dossier.jobs.followups import is_queue
from dossier.search.index_place import IndexBusy
from dossier.search.ocr_queue import WORKER_INTERVAL_S
from dossier.search.search_index import SearchIndex


def ocr_rounds(archive: Archive, stop: threading.Event, *, interval: float = WORKER_INTERVAL_S) -> None:
    """Until ``stop``: queue (or run one of) the OCR jobs due, then wait ``interval`` when idle."""
    index = SearchIndex(archive)
    while not stop.is_set():
        try:
            queued = is_queue(archive)
            report = ocr_now(index, "system", limit=None if queued else 1)
            busy = not queued and report.recognised > 0
        except IndexBusy:
            busy = False
        if not busy:
            stop.wait(interval)
