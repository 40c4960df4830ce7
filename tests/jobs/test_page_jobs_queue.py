"""Long work started from the web pages on the queue: a real `dossier worker` process on the PostgreSQL
catalog binds a borrower's volume, builds the export bundle and files the month's notices; the pages'
JSON shows the progress to its end and the result is offered (the PDF and the zip read back). Only the
person who started a run, still seeing its borrower, sees it; anyone else gets the 404 of a run that does
not exist."""

from __future__ import annotations

import io
import json
import os
import re
import time
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from jobkit import BORROWER, events, file_scans, ledger_home, runs, stop
from pypdf import PdfReader

from dossier.access.scope import assign
from dossier.access.users import add_user
from dossier.archive.registry import ensure_borrower, find_borrower
from dossier.config import load_config
from dossier.domain.identifiers import resident_check_digit
from dossier.service.app import create_app

AS_OF = "2028-02-29"  # ledger_fixtures.AS_OF: 15 notices due
DUE = 15
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HANG_GUARD_S = 300.0
EMPTY = "11010519800101001" + resident_check_digit("11010519800101001")


def sign_in(client: TestClient, username: str) -> None:
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    signed = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text


def csrf(client: TestClient, url: str) -> str:
    return CSRF.search(client.get(url).text).group(1)  # type: ignore[union-attr]


def follow(client: TestClient, started: Any) -> dict[str, Any]:
    """Poll the page's JSON until every run is finished (a hang guard, not a timing assertion)."""
    assert started.status_code == 303, started.text
    url = started.headers["location"]
    assert url.startswith("/jobs/progress?runs=")
    json_url = url.replace("/jobs/progress?", "/jobs/progress.json?")
    deadline = time.monotonic() + HANG_GUARD_S
    while True:
        state = client.get(json_url).json()
        if state["finished"]:
            return {"url": url, **state}
        assert time.monotonic() < deadline, state
        time.sleep(0.3)


def test_pages_start_volume_export_and_notices_on_the_queue_and_offer_the_result(
    tmp_path: Path, catalog_url: str
) -> None:
    home = ledger_home(tmp_path, catalog_url)
    with home.archive() as archive:
        file_scans(archive, tmp_path, 3)
        for username, role in (("archivist", "archivist"), ("officer", "officer"), ("other", "officer")):
            archive.transaction(lambda s, u=username, r=role: add_user(s, u, r, PASSWORD, actor="setup"))
        archive.transaction(lambda s: assign(s, "officer", find_borrower(s, BORROWER), actor="setup"))
        ensure_borrower(archive, EMPTY, "李四", "person")  # nothing filed: its volume cannot be bound
        empty_id = archive.transaction(lambda s: find_borrower(s, EMPTY).id, write=False)  # type: ignore[union-attr]
        borrower_id = archive.transaction(lambda s: find_borrower(s, BORROWER).id, write=False)  # type: ignore[union-attr]

    worker = home.worker(tmp_path / "worker.log", queues="render,batch,index")
    app = create_app(home.path, config=load_config(home.config))
    try:
        with (
            TestClient(app, follow_redirects=False) as archivist,
            TestClient(app, follow_redirects=False) as officer,
            TestClient(app, follow_redirects=False) as other,
        ):
            sign_in(archivist, "archivist")
            sign_in(officer, "officer")
            sign_in(other, "other")
            page = f"/borrowers/{borrower_id}"
            token = csrf(archivist, page)

            volume = follow(archivist, archivist.post(f"{page}/volume-job", data={"csrf_token": token}))
            (run,) = volume["runs"]
            assert run["status"] == "succeeded" and run["done"] == run["total"] == 1
            shown = archivist.get(volume["url"]).text
            assert f'href="/jobs/{run["id"]}/result"' in shown and "下载卷文件" in shown
            pdf = archivist.get(f"/jobs/{run['id']}/result")
            assert pdf.headers["content-type"] == "application/pdf"
            assert len(PdfReader(io.BytesIO(pdf.content)).pages) >= 4  # the 卷内目录 and three scans
            volume_id = run["id"]

            export = follow(archivist, archivist.post(f"{page}/export-job", data={"csrf_token": token}))
            (run,) = export["runs"]
            assert run["status"] == "succeeded"
            bundle = zipfile.ZipFile(io.BytesIO(archivist.get(f"/jobs/{run['id']}/result").content))
            manifest = json.loads(bundle.read("manifest.json"))
            assert manifest["borrower"]["key"] == BORROWER and manifest["documents"] == 3
            export_id = run["id"]

            # The officer who sees the borrower may bind its volume; the other officer sees nothing.
            mine = follow(
                officer, officer.post(f"{page}/volume-job", data={"csrf_token": csrf(officer, page)})
            )
            assert mine["runs"][0]["status"] == "succeeded"
            missing = other.get("/jobs/999999/result")
            for run_id in (volume_id, export_id, mine["runs"][0]["id"]):
                for url in (f"/jobs/{run_id}/result", f"/jobs/progress.json?runs={run_id}"):
                    answer = other.get(url)
                    assert answer.status_code == 404
                    assert answer.json()["detail"] == missing.json()["detail"].replace("999999", str(run_id))
            assert officer.get(f"/jobs/{volume_id}/result").status_code == 404  # not the officer's run
            forged = other.post(f"{page}/volume-job", data={"csrf_token": csrf(other, "/borrowers")})
            assert forged.status_code == 404
            assert officer.get("/notices").status_code == 403  # the batch is the archivist's

            # A job that fails shows its error once out of attempts, and offers nothing to download.
            empty = f"/borrowers/{empty_id}/volume-job"
            failed = follow(archivist, archivist.post(empty, data={"csrf_token": token}))
            (run,) = failed["runs"]
            assert run["status"] == "failed" and run["attempts"] == 3
            shown = archivist.get(failed["url"]).text
            assert "失败" in shown and "没有可编入卷内的文件" in shown and "/result" not in shown
            assert archivist.get(f"/jobs/{run['id']}/result").status_code == 404
            failed_id = run["id"]

            notices = follow(
                archivist,
                archivist.post("/notices", data={"csrf_token": csrf(archivist, "/notices"), "as_of": AS_OF}),
            )
            assert all(r["status"] == "succeeded" for r in notices["runs"])
            listed = archivist.get(notices["url"]).text
            assert listed.count("/api/v1/documents/") == DUE and f"已归档的通知（{DUE} 份）" in listed
            again = archivist.post(
                "/notices",
                data={"csrf_token": csrf(archivist, "/notices"), "as_of": AS_OF},
                follow_redirects=False,
            )
            assert again.status_code == 303 and "/notices?ok=" in again.headers["location"]
    finally:
        assert stop(worker) == 0

    with home.archive() as archive:
        done = runs(archive)
        assert {r.kind for r in done} >= {"volume", "export", "notices"}
        page_runs = [r for r in done if r.kind in ("volume", "export", "notices") and r.id != failed_id]
        assert all(r.runner == "queue" and r.status == "succeeded" for r in page_runs)
        assert all(not r.result["worker"].endswith(f":{os.getpid()}") for r in page_runs)
        downloads = [(e.actor, e.target) for e in events(archive, "download")]
        assert {("archivist", f"job:{volume_id}"), ("archivist", f"job:{export_id}")} <= set(downloads)
        assert not [e for e in events(archive, "download") if e.actor == "other"]
    verified = home.run("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
