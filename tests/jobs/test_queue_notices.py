"""A notices batch on the queue: split into slices by loan, worked by two `dossier worker` processes;
every notice generated and filed once, and the batch run again generates nothing. Twice: the ledger
tests' small ledger (15 notices of every kind), and a month's end of 500 reminders in 25 slices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jobkit import documents, ledger_home, runs, stop, wait_until
from sqlalchemy import func, select, text

from dossier.archive.catalog.ledger_tables import LedgerNotice
from dossier.archive.catalog.models import Document

AS_OF = "2028-02-29"  # ledger_fixtures.AS_OF: 3 reminders, 6 collection notices, 6 plans due
HANG_GUARD_S = 600.0


@pytest.mark.parametrize(
    ("reminders", "due", "per_job"),
    [(0, 15, 2), (500, 500, 20)],
    ids=["ledger-fixtures", "500-reminders"],
)
def test_a_notices_batch_is_shared_by_two_workers_and_a_rerun_generates_nothing(
    tmp_path: Path, catalog_url: str, reminders: int, due: int, per_job: int
) -> None:
    home = ledger_home(tmp_path, catalog_url, jobs={"notices_loans_per_job": per_job}, reminders=reminders)
    workers = [home.worker(tmp_path / f"w{n}.log", queues="batch,index") for n in (1, 2)]
    try:
        with home.archive() as archive:
            # Both workers registered (heartbeating) before the batch is queued, so both get slices.
            wait_until(lambda: _workers(archive) == 2, limit_s=HANG_GUARD_S, what="two workers registered")
            queued = home.run("notices", "--as-of", AS_OF, "--json")
            assert queued.returncode == 0, queued.stdout + queued.stderr
            batch = json.loads(queued.stdout)
            assert batch["pending"] == due and len(batch["jobs"]) >= 3
            wait_until(
                lambda: all(r.status == "succeeded" for r in runs(archive) if r.kind == "notices"),
                limit_s=HANG_GUARD_S,
                what="every slice done",
            )
            slices = [r for r in runs(archive) if r.kind == "notices"]
            assert sorted(r.id for r in slices) == sorted(batch["jobs"])
            assert len({r.result["worker"] for r in slices}) == 2  # both workers took slices
            assert all(r.done == r.total and r.total > 0 for r in slices)
            assert _notices(archive) == (due, due)
            assert len(documents(archive)) == due  # nothing filed beside the linked notices

            again = json.loads(home.run("notices", "--as-of", AS_OF, "--json").stdout)
            assert again["pending"] == 0 and again["jobs"] == []
            assert _notices(archive) == (due, due)
    finally:
        codes = [stop(w) for w in workers]
    assert codes == [0, 0]
    verified = home.run("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _workers(archive) -> int:  # type: ignore[no-untyped-def]
    with archive.engine.connect() as connection:
        if not connection.execute(text("SELECT to_regclass('procrastinate_workers')")).scalar():
            return 0
        return int(connection.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one())


def _notices(archive) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(ledger notice links, distinct documents they link): equal when nothing was filed twice."""

    def work(session):  # type: ignore[no-untyped-def]
        links = session.execute(select(func.count()).select_from(LedgerNotice)).scalar_one()
        filed = session.execute(
            select(func.count(func.distinct(Document.id))).join(
                LedgerNotice, LedgerNotice.document_id == Document.id
            )
        ).scalar_one()
        return links, filed

    return archive.transaction(work, write=False)
