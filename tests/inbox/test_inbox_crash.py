"""The watcher killed with SIGKILL at random moments while 300 files flow through, restarted each time:
afterwards every input is in the archive or in quarantine exactly once, the catalog, the files and the
index agree, and `dossier audit verify` passes."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path

from kit.inbox_samples import (
    PERSON,
    Home,
    documents,
    drop,
    id_card_pdf,
    items,
    license_pdf,
    log_tail,
    make_home,
    plain_pdf,
    processing,
    quarantined,
    receipt_pdf,
    stop,
    wait_for,
)
from sqlalchemy import func, select

from dossier.archive.catalog.models import IndexQueue
from dossier.search.search_index import SearchIndex

KILLS = 4
"""Watchers killed at least (more while the feeder is still dropping files). Each round is the same
experiment once more: a watcher starts, takes over what the last one left, and dies at a random moment;
the seed changes with every run, so the rounds add up across runs and one run needs only a few. Six
rounds made the test a quarter longer than four (24 s against 19 s on a quiet machine, SQLite catalog)."""


def _inputs() -> dict[str, tuple[bytes, str]]:
    """300 distinct files: where each is dropped, its content, and where it must end."""
    inputs: dict[str, tuple[bytes, str]] = {}
    for n in range(300):
        kind = n % 10
        if kind < 4:
            inputs[f"scanner/licence-{n}.pdf"] = (license_pdf(serial=f"crash {n}"), "archive")
        elif kind < 7:
            inputs[f"{PERSON}/身份证/card-{n}.pdf"] = (id_card_pdf(serial=f"crash {n}"), "archive")
        elif kind < 9:
            inputs[f"loans/receipt-{n}.pdf"] = (receipt_pdf(f"crash {n}"), "archive")
        else:
            inputs[f"unknown/minutes-{n}.pdf"] = (plain_pdf(f"crash {n}"), "quarantine")
    return inputs


def test_sigkill_at_random_moments_loses_nothing_and_files_nothing_twice(tmp_path: Path) -> None:
    seed = int(os.environ.get("INBOX_CRASH_SEED") or time.time_ns() % 1_000_000)
    rng = random.Random(seed)
    home = make_home(tmp_path, quiet=0.2, rescan=2.0)
    inputs = _inputs()
    log = tmp_path / "watch.log"

    def feed() -> None:
        names = list(inputs)
        for start in range(0, len(names), 25):
            for relative in names[start : start + 25]:
                drop(home.inbox, relative, inputs[relative][0])
            time.sleep(rng.uniform(0.2, 1.0))

    feeder = threading.Thread(target=feed, name="feeder")
    feeder.start()
    kills = 0
    try:
        while kills < KILLS or feeder.is_alive():
            process = home.start(log=log)
            time.sleep(rng.uniform(1.5, 4.5))  # start-up takes about 2 s: most kills land mid-flow
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            kills += 1
    finally:
        feeder.join()

    started = _watching_lines(log)
    process = home.start(log=log)
    try:
        # The killed watchers may have settled everything already; the last one must be up (its SIGTERM
        # handler in place) before "settled" is judged and it is asked to stop.
        wait_for(lambda: _watching_lines(log) > started, 120, "the last watcher to start")
        wait_for(
            lambda: not list(home.inbox.rglob("*.pdf")) and not processing(home) and _all_closed(home),
            150,
            f"every input to be settled after {kills} kills (seed {seed})",
        )
    except BaseException:
        stop(process)  # the wait's own failure is the one to report, with its seed
        raise
    assert stop(process) == 0, log_tail(log)

    expected = Counter(where for _, where in inputs.values())
    filed = Counter(d.sha256 for d in documents(home))
    kept = Counter(hashlib.sha256(p.read_bytes()).hexdigest() for p in quarantined(home))
    for relative, (content, where) in inputs.items():
        digest = hashlib.sha256(content).hexdigest()
        counts = (filed[digest], kept[digest])
        assert counts == ((1, 0) if where == "archive" else (0, 1)), (relative, counts, f"seed {seed}")
    assert sum(filed.values()) == expected["archive"] and sum(kept.values()) == expected["quarantine"]
    outcomes = Counter(i.outcome for i in items(home))
    assert outcomes["lost"] == 0 and outcomes[None] == 0, (outcomes, f"seed {seed}")

    verified = home.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with home.archive() as archive:
        index = SearchIndex(archive)
        assert index.doc_count() == expected["archive"]
        waiting = archive.transaction(
            lambda s: s.execute(
                select(func.count()).select_from(IndexQueue).where(IndexQueue.op != "ocr")
            ).scalar_one(),
            write=False,
        )
    assert waiting == 0
    found = home.cli("search", "营业执照", "--limit", "1000", "--json")
    assert found.returncode == 0, found.stderr
    licences = sum(1 for relative in inputs if relative.startswith("scanner/"))
    assert json.loads(found.stdout)["total"] == licences


def _watching_lines(log: Path) -> int:
    """How many watchers have logged that they are up (the log gathers every run's lines)."""
    if not log.exists():
        return 0
    return log.read_text(encoding="utf-8", errors="replace").count(" watching ")


def _all_closed(home: Home) -> bool:
    return all(i.outcome is not None or i.step == "arrived" for i in items(home))
