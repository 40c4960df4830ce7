"""The service keeps one searcher per process (issue 18): requests share its engine, which still sees what
another process indexes, and each search is an audit event committed before the answer."""

from __future__ import annotations

from fastapi.testclient import TestClient
from servicekit import COMPANY, Demo
from sqlalchemy import func, select

from dossier.archive import Archive
from dossier.archive.catalog.models import Event
from dossier.archive.filing import file_document
from dossier.config import load_config
from dossier.search.indexing import index_pending


def _search_events(demo: Demo) -> int:
    with Archive.open(demo.home, config=load_config()) as archive:
        return archive.transaction(
            lambda s: s.execute(select(func.count()).where(Event.action == "search")).scalar_one(),
            write=False,
        )


def test_requests_share_one_engine_that_sees_another_process_indexing(client: TestClient, demo: Demo) -> None:
    before = _search_events(demo)
    first = client.get("/api/v1/search", params={"q": "借款合同"}, headers=demo.headers("auditor"))
    assert first.status_code == 200 and first.json()["total"] >= 1
    services = client.app.state.services  # type: ignore[attr-defined]
    engine = services.search.searcher._engine
    assert engine is not None

    # Filed and indexed by someone else (as `dossier ingest` in another process would).
    with Archive.open(demo.home, config=load_config()) as other:
        filed = file_document(
            other,
            "贷后检查记录：KEPT-OPEN-0001 经营正常".encode(),
            borrower_key=COMPANY,
            category="post-loan",
            doc_type="other",
            title="贷后检查记录",
            filename="kept-open.txt",
            actor="test",
        ).document_id
        report = index_pending(other)
        # Logged and applied to this node's replica: by this drain, or on PostgreSQL possibly first by
        # the service's own log follower (then this drain waits for it and indexes nothing itself).
        assert report.failed == 0 and report.logged >= 1 and report.seq >= report.logged

    found = client.get("/api/v1/search", params={"q": "KEPT-OPEN-0001"}, headers=demo.headers("auditor"))
    assert [h["document_id"] for h in found.json()["hits"]] == [filed]
    assert services.search.searcher._engine is engine, "no engine opened per request"
    assert _search_events(demo) == before + 2
