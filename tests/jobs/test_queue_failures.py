"""Bounded failures on the queue: a job that keeps failing is retried [jobs].max_attempts times in all by
the workers, then marked failed with its error; the document is flagged and not queued again; an admin's
retry (an audit event) puts it back on the queue and a worker finishes it."""

from __future__ import annotations

import json
from pathlib import Path

from jobkit import documents, events, file_scans, make_home, runs, stop, wait_until

from dossier.jobs.followups import dispatch_ocr, index_soon
from dossier.jobs.ocr_names import OCR_FAILED
from dossier.jobs.worker import RELEASED_EXIT
from dossier.search.indexing import NEEDS_OCR

HANG_GUARD_S = 300.0


def test_failing_ocr_is_tried_a_bounded_number_of_times_then_flagged_and_retried_by_an_admin(
    tmp_path: Path, catalog_url: str
) -> None:
    home = make_home(tmp_path, catalog_url)
    good = home.config.read_text(encoding="utf-8")
    home.config.write_text(good + "[search]\nocr_timeout_seconds = 0.001\n", encoding="utf-8")
    with home.archive() as archive:
        (doc_id,) = file_scans(archive, tmp_path, 1)
        index_soon(archive, "test")
    worker = home.worker(tmp_path / "failing.log", queues="ocr,index")
    try:
        with home.archive() as archive:
            wait_until(
                lambda: any(r.kind == "ocr" and r.status == "failed" for r in runs(archive)),
                limit_s=HANG_GUARD_S,
                what="the OCR job to run out of attempts",
            )
            (failed,) = [r for r in runs(archive) if r.kind == "ocr"]
            assert failed.attempts == 3 and failed.error and failed.error.startswith("OcrError")
            (document,) = documents(archive)
            assert OCR_FAILED in document.flags and NEEDS_OCR in document.flags
            assert document.details["ocr"]["attempts"] == 3
            assert dispatch_ocr(archive, "test") == 0  # flagged: never queued again by itself
        shown = json.loads(home.run("jobs", "--failed", "--json").stdout)
        assert [(j["id"], j["status"]) for j in shown] == [(failed.id, "failed")]
        assert "timed out" in shown[0]["error"]
    finally:
        assert stop(worker) == 0

    home.config.write_text(good, encoding="utf-8")  # the cause fixed
    retried = home.run("jobs", "retry", str(failed.id), "--json", "--actor", "admin")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert json.loads(retried.stdout) == {"id": failed.id, "status": "queued"}
    worker = home.worker(tmp_path / "fixed.log", queues="ocr,index")
    try:
        with home.archive() as archive:
            wait_until(
                lambda: [r.status for r in runs(archive) if r.id == failed.id] == ["succeeded"],
                limit_s=HANG_GUARD_S,
                what="the retried job to succeed",
            )
            (document,) = documents(archive)
            assert document.flags == []
            assert [e.actor for e in events(archive, "job.retry")] == ["admin"]
            assert [e.target for e in events(archive, "ocr")] == [f"document:{doc_id}"]
    finally:
        assert stop(worker) == 0


def test_a_worker_stopped_past_its_grace_period_releases_its_job_to_another(
    tmp_path: Path, catalog_url: str
) -> None:
    home = make_home(tmp_path, catalog_url, jobs={"shutdown_grace_seconds": 0.2})
    with home.archive() as archive:
        (doc_id,) = file_scans(archive, tmp_path, 1, lines=12)  # a long page: OCR outlasts the grace
        index_soon(archive, "test")
    first = home.worker(tmp_path / "first.log", queues="ocr,index")
    with home.archive() as archive:
        wait_until(
            lambda: [r.status for r in runs(archive) if r.kind == "ocr"] == ["running"],
            limit_s=HANG_GUARD_S,
            what="the OCR job in hand",
        )
        assert stop(first) == RELEASED_EXIT  # released, not finished
        assert events(archive, "ocr") == []
        second = home.worker(tmp_path / "second.log", queues="ocr,index")
        try:
            wait_until(
                lambda: {r.status for r in runs(archive)} == {"succeeded"},
                limit_s=HANG_GUARD_S,
                what="another worker to finish the released job (and the index job after it)",
            )
            assert [e.target for e in events(archive, "ocr")] == [f"document:{doc_id}"]
        finally:
            assert stop(second, timeout=HANG_GUARD_S) == 0
