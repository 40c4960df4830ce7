"""The embedded runner (SQLite, no server): the same jobs run in the process that asks, with the same
bounded retries and the same visible state; a failing OCR flags its document, an admin retries it."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from jobkit import BORROWER, documents, events, file_scans, ledger_home, make_home, runs
from pypdf import PdfReader

from dossier.cli.app import main
from dossier.jobs.dispatch import submit_batch
from dossier.jobs.ocr_names import OCR_FAILED
from dossier.search.indexing import NEEDS_OCR

pytestmark = pytest.mark.embedded  # about the embedded runner: the PostgreSQL pass has its own tests


def cli(home, capsys: pytest.CaptureFixture[str], *args: str, code: int = 0):  # type: ignore[no-untyped-def]
    capsys.readouterr()
    assert main(["--config", str(home.config), *args, "--home", str(home.path)]) == code
    out = capsys.readouterr().out
    return json.loads(out) if "--json" in args else out


def test_ocr_runs_in_process_as_jobs_shown_by_dossier_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = make_home(tmp_path, None)
    with home.archive() as archive:
        ids = file_scans(archive, tmp_path, 2)
    assert cli(home, capsys, "index", "--json")["needs_ocr"] == 2
    report = cli(home, capsys, "index", "--ocr", "--json")
    assert report["ocr"]["recognised"] == 2 and report["waiting_ocr"] == 0

    shown = cli(home, capsys, "jobs", "--json")
    assert [(j["kind"], j["subject"], j["status"], j["runner"]) for j in reversed(shown)] == [
        ("ocr", f"document:{i}", "succeeded", "in-process") for i in ids
    ]
    assert all(j["progress"] == {"done": 1, "total": 1} and j["error"] is None for j in shown)
    assert cli(home, capsys, "jobs", "--failed", "--json") == []
    assert cli(home, capsys, "search", "授信审批意见书", "--json")["total"] == 2


def test_ocr_that_keeps_failing_is_flagged_never_retried_forever_and_an_admin_retries_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = make_home(tmp_path, None)
    good = home.config.read_text(encoding="utf-8")
    # OCR that can never finish in time: every try fails.
    home.config.write_text(good + "[search]\nocr_timeout_seconds = 0.001\n", encoding="utf-8")
    with home.archive() as archive:
        (doc_id,) = file_scans(archive, tmp_path, 1)
    cli(home, capsys, "index", "--json")
    report = cli(home, capsys, "index", "--ocr", "--json", code=1)
    assert report["ocr"]["failed"] == 1 and report["waiting_ocr"] == 0

    (failed,) = cli(home, capsys, "jobs", "--failed", "--json")
    assert failed["subject"] == f"document:{doc_id}" and failed["attempts"] == 3  # [jobs].max_attempts
    assert failed["error"]
    with home.archive() as archive:
        (document,) = documents(archive)
        assert OCR_FAILED in document.flags and NEEDS_OCR in document.flags
        assert document.details["ocr"]["attempts"] == 3 and document.details["ocr"]["error"]
    # Flagged: asking for OCR again starts nothing.
    assert cli(home, capsys, "index", "--ocr", "--json")["ocr"]["failed"] == 0
    assert len(cli(home, capsys, "jobs", "--json")) == 1

    home.config.write_text(good, encoding="utf-8")  # the cause fixed
    assert cli(home, capsys, "jobs", "retry", str(failed["id"]), "--json", "--actor", "admin") == {
        "id": failed["id"],
        "status": "succeeded",
    }
    with home.archive() as archive:
        (document,) = documents(archive)
        assert document.flags == [] and "ocr" not in document.details
        (retried,) = events(archive, "job.retry")
        assert retried.actor == "admin" and retried.target == f"job:{failed['id']}"
        assert [e.target for e in events(archive, "ocr")] == [f"document:{doc_id}"]
    assert cli(home, capsys, "audit", "verify", "--json")["ok"] is True


def test_only_a_failed_job_can_be_retried(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = make_home(tmp_path, None)
    with home.archive() as archive:
        file_scans(archive, tmp_path, 1)
    cli(home, capsys, "index", "--ocr", "--json")
    (done,) = cli(home, capsys, "jobs", "--json")
    capsys.readouterr()
    assert (
        main(["--config", str(home.config), "jobs", "retry", str(done["id"]), "--home", str(home.path)]) != 0
    )
    assert "only a failed job" in capsys.readouterr().err
    assert main(["--config", str(home.config), "jobs", "retry", "999", "--home", str(home.path)]) != 0
    assert "no such job" in capsys.readouterr().err


def test_a_notices_batch_runs_in_process_slice_by_slice_and_a_rerun_generates_nothing(
    tmp_path: Path,
) -> None:
    home = ledger_home(tmp_path, None, jobs={"notices_loans_per_job": 4})
    with home.archive() as archive:
        kinds = ("reminder", "collection", "collection-plan")
        first = submit_batch(archive, date(2028, 2, 29), kinds, "test")
        assert len(first) == 3
        assert [r.status for r in runs(archive)] == ["succeeded"] * 3
        assert sum(r.total for r in runs(archive)) == 15
        assert len(documents(archive)) == 15
        assert submit_batch(archive, date(2028, 2, 29), kinds, "test") == []
        assert len(documents(archive)) == 15


def test_the_worker_refuses_the_embedded_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = make_home(tmp_path, None)
    capsys.readouterr()
    assert main(["--config", str(home.config), "worker", "--home", str(home.path)]) != 0
    assert "needs a PostgreSQL catalog" in capsys.readouterr().err
    assert (
        main(["--config", str(home.config), "worker", "--queues", "ocr,nope", "--home", str(home.path)]) != 0
    )
    assert "--queues" in capsys.readouterr().err


def test_a_volume_an_export_and_a_reindex_run_as_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = make_home(tmp_path, None)
    with home.archive() as archive:
        file_scans(archive, tmp_path, 2)
    out = tmp_path / "out"
    out.mkdir()
    volume = cli(
        home, capsys, "jobs", "start", "volume", "--borrower", BORROWER, "-o", str(out / "v.pdf"), "--json"
    )
    assert (volume["kind"], volume["status"], volume["queue"]) == ("volume", "succeeded", "render")
    assert (
        volume["result"]["documents"] == 2
        and PdfReader(out / "v.pdf").get_num_pages() == volume["result"]["pages"]
    )
    bundle = cli(
        home, capsys, "jobs", "start", "export", "--borrower", BORROWER, "-o", str(out / "e.zip"), "--json"
    )
    assert bundle["status"] == "succeeded" and bundle["result"]["documents"] == 2
    with zipfile.ZipFile(out / "e.zip") as z:
        assert len([n for n in z.namelist() if n.endswith(".pdf")]) == 2
    reindex = cli(home, capsys, "jobs", "start", "reindex", "--json")
    assert reindex["status"] == "succeeded" and reindex["result"]["indexed"] == 2
    assert reindex["progress"] == {"done": 2, "total": 2}
    assert [j["kind"] for j in cli(home, capsys, "jobs", "--json")] == ["reindex", "export", "volume"]
