"""[jobs].runner = "auto" on a PostgreSQL catalog: with no `dossier worker` alive, work runs in the process
that asks, as before (a node without workers keeps working); once a worker beats, it goes to the queue."""

from __future__ import annotations

import threading
from pathlib import Path

from jobkit import BORROWER, PHRASE, events, file_scans, make_home, runs, stop, wait_until, waiting_ocr

from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.jobs.followups import index_soon, is_queue, live_workers
from dossier.jobs.watch_ocr import ocr_rounds
from dossier.search.search_index import SearchIndex

HANG_GUARD_S = 300.0


def _file_note(archive, n: int) -> int:  # type: ignore[no-untyped-def]
    ensure_borrower(archive, BORROWER, "张三", "person")
    filed = file_document(
        archive,
        f"贷后检查记录 note{n}\n".encode(),
        borrower_key=BORROWER,
        category="approval",
        doc_type="other",
        title=f"note-{n}",
        filename=f"note-{n}.txt",
    )
    assert filed.document_id is not None
    return filed.document_id


def test_auto_runs_in_process_without_a_worker_and_on_the_queue_with_one(
    tmp_path: Path, catalog_url: str
) -> None:
    home = make_home(tmp_path, catalog_url, jobs={"runner": "auto"})
    with home.archive() as archive:
        _file_note(archive, 1)
        assert not is_queue(archive)
        index_soon(archive, "test")
        assert runs(archive) == []  # drained right here, no job
        assert SearchIndex(archive).search("note1").total == 1

    worker = home.worker(tmp_path / "worker.log", queues="ocr,index,batch")
    try:
        with home.archive() as archive:
            wait_until(lambda: live_workers(archive, 30) == 1, limit_s=HANG_GUARD_S, what="a live worker")
            assert is_queue(archive)
            _file_note(archive, 2)
            index_soon(archive, "test")
            (run,) = runs(archive)
            assert (run.kind, run.runner) == ("index", "queue")
            wait_until(
                lambda: [r.status for r in runs(archive)] == ["succeeded"],
                limit_s=HANG_GUARD_S,
                what="the worker to drain the index",
            )
            assert SearchIndex(archive).search("note2").total == 1
    finally:
        assert stop(worker) == 0


class StopWhenIdle(threading.Event):
    """Ends the watcher's OCR rounds the first time they have nothing to do."""

    def wait(self, timeout: float | None = None) -> bool:
        self.set()
        return True


def test_the_watchers_ocr_rounds_run_ocr_jobs_here_when_no_worker_is_alive(
    tmp_path: Path, catalog_url: str
) -> None:
    home = make_home(tmp_path, catalog_url, jobs={"runner": "auto"})
    with home.archive() as archive:
        (doc_id,) = file_scans(archive, tmp_path, 1)
        index_soon(archive, "test")  # no worker: drained here, the scan flagged for OCR
        assert waiting_ocr(archive) == 1

        ocr_rounds(archive, StopWhenIdle(), interval=60)

        assert waiting_ocr(archive) == 0
        assert [(r.kind, r.runner, r.status) for r in runs(archive)] == [("ocr", "in-process", "succeeded")]
        assert [e.target for e in events(archive, "ocr")] == [f"document:{doc_id}"]
        assert SearchIndex(archive).search(PHRASE).total == 1
