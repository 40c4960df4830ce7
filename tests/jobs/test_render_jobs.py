"""PDF/A conversion (LibreOffice) as render jobs: on the embedded default the job runs in the command, as
the conversion always did; on the queue `dossier generate --pdf` files the DOCX and a `dossier worker`
makes the PDF/A later. A rendition made is never made again; a job that cannot convert is tried
[jobs].max_attempts times and fails with its error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jobkit import Home, file_scans, make_home, runs, stop, wait_until
from pypdf import PdfReader
from sqlalchemy import select

from dossier.archive.catalog.models import Rendition
from dossier.archive.renditions import declares_pdf_a
from dossier.kinds.registry import get_kind

HANG_GUARD_S = 300.0


def generate(home: Home, folder: Path, kind: str) -> dict:  # type: ignore[type-arg]
    source = folder / f"{kind}.yaml"
    source.write_text(get_kind(kind).example_text(), encoding="utf-8")
    done = home.run("generate", kind, str(source), "--pdf", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = json.loads(done.stdout)
    return result  # type: ignore[no-any-return]


def renditions(home: Home) -> list[Rendition]:
    with home.archive() as archive:
        return archive.transaction(
            lambda s: list(s.execute(select(Rendition).order_by(Rendition.id)).scalars()), write=False
        )


def render_runs(home: Home) -> list:  # type: ignore[type-arg]
    with home.archive() as archive:
        return [r for r in runs(archive) if r.kind == "render"]


@pytest.mark.embedded  # the embedded runner itself; the queue has its own test below
def test_the_embedded_runner_renders_in_the_command_and_never_twice(tmp_path: Path) -> None:
    home = make_home(tmp_path, None)
    first = generate(home, tmp_path, "reminder")
    assert [f["status"] for f in first["filings"]] == ["filed", "rendition-filed"]
    (document_id,) = first["document_ids"]
    (run,) = render_runs(home)
    assert run.runner == "in-process" and run.status == "succeeded"
    assert run.result["filed"] == [document_id] and run.done == run.total == 1

    again = generate(home, tmp_path, "reminder")  # the same input: a duplicate, its PDF/A kept
    assert [f["status"] for f in again["filings"]] == ["duplicate", "rendition-kept"]
    second = render_runs(home)[-1]
    assert second.result["filed"] == [] and second.result["kept"] == [document_id]
    (pdf,) = renditions(home)
    assert pdf.kind == "pdf-a" and declares_pdf_a(home.path / pdf.path)
    assert home.run("audit", "verify").returncode == 0


def test_on_the_queue_a_worker_renders_later_once_and_retries_boundedly(
    tmp_path: Path, catalog_url: str
) -> None:
    home = make_home(tmp_path, catalog_url)
    made = [generate(home, tmp_path, kind) for kind in ("reminder", "collection")]
    ids = [i for result in made for i in result["document_ids"]]
    for result in made:  # filed now; the PDF/A waits for a worker
        assert [f["media"] for f in result["filings"]] == ["docx"]
        assert any("render jobs" in w for w in result["warnings"])
    assert renditions(home) == [] and {r.status for r in render_runs(home)} == {"queued"}

    worker = home.worker(tmp_path / "worker.log", queues="render,index")
    try:
        wait_until(
            lambda: all(r.status == "succeeded" for r in render_runs(home)),
            limit_s=HANG_GUARD_S,
            what="the render jobs done by the worker",
        )
        made_by = {r.result["worker"] for r in render_runs(home)}
        assert not any(w.endswith(f":{os.getpid()}") for w in made_by)
        pdfs = renditions(home)
        assert sorted(p.document_id for p in pdfs) == sorted(ids)
        for pdf in pdfs:
            assert pdf.kind == "pdf-a" and declares_pdf_a(home.path / pdf.path)
            assert len(PdfReader(home.path / pdf.path).pages) >= 1

        from dossier.jobs.dispatch import render_pdfs

        with home.archive() as archive:
            asked = render_pdfs(archive, ids, "test")  # the same documents again
            (scan,) = file_scans(archive, tmp_path, 1)
            bad = render_pdfs(archive, [scan], "test")  # a scanned PDF: nothing to convert
        assert asked.deferred and bad.deferred
        wait_until(
            lambda: (
                {r.status for r in render_runs(home) if r.id in asked.runs + bad.runs}
                <= {"succeeded", "failed"}
            ),
            limit_s=HANG_GUARD_S,
            what="the second render jobs finished",
        )
        (again,) = [r for r in render_runs(home) if r.id in asked.runs]
        assert again.status == "succeeded" and again.result["filed"] == []
        assert sorted(again.result["kept"]) == sorted(ids)
        assert len(renditions(home)) == len(ids)  # nothing converted twice
        (failed,) = [r for r in render_runs(home) if r.id in bad.runs]
        assert failed.status == "failed" and failed.attempts == 3  # FAST_JOBS max_attempts
        assert "not a filed DOCX" in failed.error
    finally:
        assert stop(worker) == 0
    verified = home.run("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
