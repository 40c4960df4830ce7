"""OCR on the queue with real processes: one PostgreSQL catalog, two `dossier worker` processes, scanned
pages filed and queued; workers are SIGKILLed mid-way and restarted, one is stopped with SIGTERM while it
holds a job, then workers are SIGKILLed at RANDOM_KILLS random points (each restarted at once). Every
page ends OCR'd and indexed exactly once, a dead worker's job is taken again within the [jobs] bound, the
catalog, the files and the index agree, and the chain verifies.

PAGES scans: 180 by default; the issue's month's-end size is 300 ($DOSSIER_TEST_OCR_PAGES=300, or any
other). The kills are what the test is about, and they are over while pages still wait: the last random
kill came after 70-90 pages were done (2-3 pages a second on this 2-core machine, fewer on a loaded one;
at most about 150 with the longest random pauses). The pages after it are recognised by workers nobody
kills, so more of them only repeat that and lengthen the run. One page costs 0.5 s (ocrmypdf's start and
tesseract; 1 s on a loaded machine): 300 pages took 4 min 45 s at load 6-12 on this machine, and 2 min 50 s
on a quiet one. It runs once, in the PostgreSQL pass of `make test` (tests/conftest.py)."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import Counter
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

PAGES = int(os.environ.get("DOSSIER_TEST_OCR_PAGES", "180"))
HANG_GUARD_S = 600.0
RANDOM_KILLS = 4
"""SIGKILLs at random points after the scripted ones (each worker restarted at once)."""
RECOVERY_SLACK_S = 30.0
"""Beyond the [jobs] bound, for a loaded machine: the wait that fails the test when a dead worker's job is
not taken again (a hang guard tied to the bound, not a speed figure; the figures are printed)."""


def test_two_workers_ocr_every_page_once_though_workers_die(tmp_path: Path, catalog_url: str) -> None:
    home = make_home(tmp_path, catalog_url)
    with home.archive() as archive:
        ids = file_scans(archive, tmp_path, PAGES)
        index_soon(archive, "test")  # what `dossier ingest` does at its end: an index job, then OCR jobs
        bound = jobs_settings(archive.config).recovery_bound_seconds

        # The jobs the dead worker held are those still running once it is dead (read after the kill: a
        # job read as running just before it may have finished in between). Should it have finished every
        # one just in time, a new first worker is started and killed again.
        held: list[int] = []
        for attempt in range(5):
            first = home.worker(tmp_path / f"first-{attempt}.log", concurrency=2)
            wait_until(
                lambda: len(events(archive, "ocr")) >= 2 and _running(archive),
                limit_s=HANG_GUARD_S,
                what="the first worker to hold OCR jobs",
            )
            first.send_signal(signal.SIGKILL)
            first.wait()
            killed_wall = datetime.now(UTC)
            held = _running(archive)
            if held:
                break
        assert held, "the first worker never died holding a job"

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
        third = home.worker(tmp_path / "third-again.log")

        # Then SIGKILLs at random points, each worker restarted at once, while pages still wait.
        seed = random.randrange(1 << 32)
        rng = random.Random(seed)
        workers = [second, third]
        taken_again: list[float] = []
        for kill in range(RANDOM_KILLS):
            time.sleep(rng.uniform(1.0, 8.0))
            held = _running(archive)
            if not held or waiting_ocr(archive) == 0:
                break
            victim = rng.randrange(len(workers))
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            killed_wall = datetime.now(UTC)
            workers[victim] = home.worker(tmp_path / f"random-{kill}.log")
            # Every job in hand at the kill is done, or running again (the victim's, taken once more).
            wait_until(
                lambda h=held, k=killed_wall: _taken_again_or_done(archive, h, k),  # type: ignore[misc]
                limit_s=bound + RECOVERY_SLACK_S,
                what=f"the jobs {held} held at a SIGKILL taken again within the bound {bound} s (+ slack)",
            )
            again = _after_kill(archive, held, killed_wall, "started", allow_none=True)
            if again is not None:
                taken_again.append(again)
        print(
            f"random kills (seed {seed}): jobs of a killed worker running again after "
            f"{', '.join(f'{t:.1f}' for t in taken_again) or '-'} s (bound {bound} s)"
        )

        wait_until(
            lambda: waiting_ocr(archive) == 0 and not _active(archive),
            limit_s=HANG_GUARD_S,
            what="every page OCR'd and indexed",
        )
        assert [stop(w) for w in workers] == [0, 0]

        recognised = Counter(e.target for e in events(archive, "ocr"))
        assert sorted(recognised) == sorted(f"document:{i}" for i in ids)  # each page once, none twice
        assert set(recognised.values()) == {1}
        for document in documents(archive):
            assert document.flags == []
            assert document.details["text"]["flags"] == ["ocr"] and document.details["text"]["chars"] > 0
        assert not [r for r in runs(archive) if r.status != "succeeded"]
        # The engine holds each page once, found by its own text (its number) and by the common phrase.
        index = SearchIndex(archive)
        assert index.doc_count() == PAGES
        found = index.search(PHRASE, limit=PAGES + 50)
        assert found.total == PAGES
        assert Counter(h.document_id for h in found.hits) == Counter({i: 1 for i in ids})
        for n in rng.sample(range(PAGES), min(PAGES, 5)):
            (hit,) = index.search(f'"{PHRASE} {n:03d}"', limit=5).hits
            assert hit.document_id == ids[n]

    # Catalog, files and index agree: nothing for `dossier index` to do, nothing for repair to finish.
    indexed = json.loads(_ok(home.run("index", "--json")))
    assert indexed["documents"] == PAGES and indexed["indexed"] == indexed["remaining"] == 0
    assert indexed["waiting_ocr"] == indexed["parked"] == indexed["failed"] == 0
    repaired = json.loads(_ok(home.run("repair", "--dry-run", "--json")))
    assert repaired["clean"], repaired
    _ok(home.run("audit", "verify"))


def _ok(done) -> str:  # type: ignore[no-untyped-def]
    assert done.returncode == 0, done.stdout + done.stderr
    return str(done.stdout)


def _taken_again_or_done(archive, held: list[int], killed: datetime) -> bool:  # type: ignore[no-untyped-def]
    """Each of ``held`` succeeded, or was started again after the kill (procrastinate's job events)."""
    status = {r.id: r.status for r in runs(archive)}
    restarted = set(_started_since(archive, held, killed))
    return all(status[i] == "succeeded" or i in restarted for i in held)


def _started_since(archive, held: list[int], since: datetime) -> list[int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    query = text(
        "SELECT DISTINCT r.id FROM procrastinate_events e JOIN job_runs r ON r.queue_job_id = e.job_id "
        "WHERE r.id = ANY(:ids) AND e.type = 'started' AND e.at > :since ORDER BY r.id"
    )
    with archive.engine.connect() as connection:
        return list(connection.execute(query, {"ids": held, "since": since}).scalars())


def _running(archive) -> list[int]:  # type: ignore[no-untyped-def]
    return [r.id for r in runs(archive) if r.kind == "ocr" and r.status == "running"]


def _active(archive) -> list[int]:  # type: ignore[no-untyped-def]
    return [r.id for r in runs(archive) if r.status in ("queued", "running", "retrying")]


def _after_kill(archive, held: list[int], killed: datetime, event: str, *, allow_none: bool = False):  # type: ignore[no-untyped-def]
    """Seconds from the kill to the last of the held jobs' ``event`` (procrastinate's job events); None
    (with ``allow_none``) when none of them had it (all were the surviving worker's, finished)."""
    from sqlalchemy import text

    query = text(
        "SELECT max(e.at) FROM procrastinate_events e JOIN job_runs r ON r.queue_job_id = e.job_id "
        "WHERE r.id = ANY(:ids) AND e.type = CAST(:event AS procrastinate_job_event_type) AND e.at > :killed"
    )
    with archive.engine.connect() as connection:
        at = connection.execute(query, {"ids": held, "killed": killed, "event": event}).scalar_one()
    if at is None and allow_none:
        return None
    return (at - killed).total_seconds()
