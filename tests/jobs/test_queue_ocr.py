"""OCR on the queue with real processes: one PostgreSQL catalog, two `dossier worker` processes, scanned
pages filed and queued; workers are SIGKILLed mid-way and restarted, one is stopped with SIGTERM while it
holds a job. Every page ends OCR'd and indexed exactly once, and the chain verifies."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

from jobkit import (
    PHRASE,
    documents,
    events,
    file_scans,
    make_home,
    runs,
    stop,
    wait_until,
    waiting_ocr,
)

from dossier.jobs.followups import index_soon
from dossier.jobs.settings import jobs_settings
from dossier.search.search_index import SearchIndex

PAGES = 24
HANG_GUARD_S = 600.0


def test_two_workers_ocr_every_page_once_though_workers_die(tmp_path: Path, catalog_url: str) -> None:
    home = make_home(tmp_path, catalog_url)
    with home.archive() as archive:
        ids = file_scans(archive, tmp_path, PAGES)
        index_soon(archive, "test")  # what `dossier ingest` does at its end: an index job, then OCR jobs
        bound = jobs_settings(archive.config).recovery_bound_seconds

        first = home.worker(tmp_path / "first.log", concurrency=2)
        wait_until(
            lambda: len(events(archive, "ocr")) >= 2 and _running(archive),
            limit_s=HANG_GUARD_S,
            what="the first worker to hold OCR jobs",
        )
        held = _running(archive)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_wall = datetime.now(UTC)

        second = home.worker(tmp_path / "second.log")
        third = home.worker(tmp_path / "third.log")
        # The dead worker's jobs are taken again once its heartbeat is stale (the bound is in [jobs]).
        wait_until(
            lambda: all(r.status == "succeeded" for r in runs(archive) if r.id in held),
            limit_s=HANG_GUARD_S,
            what=f"jobs {held} of the killed worker to be done by another",
        )
        requeued = _after_kill(archive, held, killed_wall, "deferred_for_retry")
        started = _after_kill(archive, held, killed_wall, "started")
        print(
            f"a SIGKILLed worker's jobs back on the queue {requeued:.1f} s after the kill (bound {bound} s), "
            f"running again after {started:.1f} s"
        )

        # Kill another one mid-way, restart it.
        wait_until(lambda: bool(_running(archive)), limit_s=HANG_GUARD_S, what="a job in hand")
        second.send_signal(signal.SIGKILL)
        second.wait()
        second = home.worker(tmp_path / "second-again.log")

        # SIGTERM: the worker takes no new job and finishes the one in hand before it exits.
        wait_until(lambda: bool(_running(archive)), limit_s=HANG_GUARD_S, what="a job in hand")
        in_hand = set(_running(archive))
        assert stop(third, signal.SIGTERM) == 0
        after = {r.id: r.status for r in runs(archive)}
        assert all(after[i] in ("succeeded", "running") for i in in_hand)

        wait_until(
            lambda: waiting_ocr(archive) == 0 and not _active(archive),
            limit_s=HANG_GUARD_S,
            what="every page OCR'd and indexed",
        )
        assert stop(second) == 0

        recognised = [e.target for e in events(archive, "ocr")]
        assert sorted(recognised) == sorted(f"document:{i}" for i in ids)  # each page once, none twice
        for document in documents(archive):
            assert document.flags == []
            assert document.details["text"]["flags"] == ["ocr"] and document.details["text"]["chars"] > 0
        assert not [r for r in runs(archive) if r.status != "succeeded"]
        index = SearchIndex(archive)
        assert index.doc_count() == PAGES
        assert index.search(PHRASE, limit=100).total == PAGES
        assert index.queue_state().waiting == {}

    verified = home.run("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _running(archive) -> list[int]:  # type: ignore[no-untyped-def]
    return [r.id for r in runs(archive) if r.kind == "ocr" and r.status == "running"]


def _active(archive) -> list[int]:  # type: ignore[no-untyped-def]
    return [r.id for r in runs(archive) if r.status in ("queued", "running", "retrying")]


def _after_kill(archive, held: list[int], killed: datetime, event: str) -> float:  # type: ignore[no-untyped-def]
    """Seconds from the kill to the last of the held jobs' ``event`` (procrastinate's job events)."""
    from sqlalchemy import text

    query = text(
        "SELECT max(e.at) FROM procrastinate_events e JOIN job_runs r ON r.queue_job_id = e.job_id "
        "WHERE r.id = ANY(:ids) AND e.type = CAST(:event AS procrastinate_job_event_type) AND e.at > :killed"
    )
    with archive.engine.connect() as connection:
        at = connection.execute(query, {"ids": held, "killed": killed, "event": event}).scalar_one()
    return (at - killed).total_seconds()
