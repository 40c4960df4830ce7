"""GET /api/v1/jobs/{id}: status, progress and error of a job; POST …/retry: an admin tries a failed job
again (an audit event carrying the token); the same views on the embedded runner as on the queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jobkit import events, file_scans, make_home

from dossier.access.users import add_user, create_token
from dossier.config import load_config
from dossier.jobs.dispatch import ocr_now
from dossier.search.search_index import SearchIndex
from dossier.service.app import create_app

pytestmark = pytest.mark.embedded  # the jobs run in this process; the queue has its own tests

PASSWORD = "correct horse battery staple"


def test_a_failed_job_is_shown_with_its_error_and_an_admin_retries_it(tmp_path: Path) -> None:
    home = make_home(tmp_path, None)
    good = home.config.read_text(encoding="utf-8")
    home.config.write_text(good + "[search]\nocr_timeout_seconds = 0.001\n", encoding="utf-8")
    tokens = {}
    with home.archive() as archive:
        for username, role in (("admin", "admin"), ("auditor", "auditor"), ("officer", "officer")):
            archive.transaction(lambda s, u=username, r=role: add_user(s, u, r, PASSWORD, actor="setup"))
            _, tokens[username] = archive.transaction(
                lambda s, u=username: create_token(s, u, "tests", actor="setup")
            )
        (doc_id,) = file_scans(archive, tmp_path, 1)
        index = SearchIndex.open(archive)
        index.process()
        assert ocr_now(index, "test").failed == 1

    def as_(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    home.config.write_text(good, encoding="utf-8")  # the cause fixed: the retry may succeed
    with TestClient(create_app(home.path, config=load_config(home.config))) as client:
        (listed,) = client.get("/api/v1/jobs", params={"failed": True}, headers=as_("auditor")).json()
        job = client.get(f"/api/v1/jobs/{listed['id']}", headers=as_("auditor")).json()
        assert job["status"] == "failed" and job["kind"] == "ocr" and job["subject"] == f"document:{doc_id}"
        assert job["attempts"] == 3 and job["error"].startswith("OcrError")  # [jobs].max_attempts tries
        assert job["progress"] == {"done": 0, "total": 1}

        assert client.get(f"/api/v1/jobs/{job['id']}", headers=as_("officer")).status_code == 403
        assert client.post(f"/api/v1/jobs/{job['id']}/retry", headers=as_("auditor")).status_code == 403
        retried = client.post(f"/api/v1/jobs/{job['id']}/retry", headers=as_("admin"))
        assert retried.json() == {"id": job["id"], "status": "succeeded"}
        again = client.post(f"/api/v1/jobs/{job['id']}/retry", headers=as_("admin"))
        assert again.status_code == 409 and "only a failed job" in again.json()["detail"]
        done = client.get(f"/api/v1/jobs/{job['id']}", headers=as_("admin")).json()
        assert done["status"] == "succeeded" and done["error"] is None and done["result"]["recognised"]
    with home.archive() as archive:
        (event,) = events(archive, "job.retry")
        assert event.actor == "admin" and event.target == f"job:{job['id']}"
        assert "token_id" in event.details
