"""A document's renditions through the API: listed in its answer, offered in search hits, downloadable by
document id with ``?rendition=pdf-a``, and hidden like the document from an officer out of scope."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from servicekit import COMPANY, Demo, build, text_pdf

from dossier.archive.home import Archive
from dossier.archive.renditions import RenditionKind, file_rendition
from dossier.config import load_config
from dossier.search.indexing import index_pending
from dossier.service.app import create_app


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    demo = build(Path(tmp_path_factory.mktemp("renditions")) / "archive")
    with Archive.open(demo.home, config=load_config()) as archive:
        [doc_id] = demo.documents["loan-contract"]
        file_rendition(archive, doc_id, text_pdf(["借款合同 PDF/A"]), RenditionKind.PDF_A, actor="setup")
        index_pending(archive)
    return demo


@pytest.fixture(scope="module")
def client(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(demo.home, config=load_config())) as c:
        yield c


def test_a_document_answer_lists_its_rendition_and_serves_it(client: TestClient, demo: Demo) -> None:
    [doc_id] = demo.documents["loan-contract"]
    answer = client.get(f"/api/v1/documents/{doc_id}", headers=demo.headers("officer"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    [rendition] = body["renditions"]
    assert rendition["kind"] == "pdf-a" and rendition["media_type"] == "application/pdf"
    assert rendition["download_url"] == f"/api/v1/documents/{doc_id}/download?rendition=pdf-a"
    assert rendition["file_name"].endswith(".pdf")
    assert rendition["file_name"].removesuffix(".pdf") == body["file_name"].removesuffix(".docx")
    pdf = client.get(rendition["download_url"], headers=demo.headers("officer"))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == rendition["sha256"]
    assert pdf.headers["etag"] == f'"{rendition["sha256"]}"'
    original = client.get(body["download_url"], headers=demo.headers("officer"))
    assert original.content.startswith(b"PK") and original.headers["etag"] == f'"{body["sha256"]}"'


def test_a_rendition_out_of_scope_or_missing_is_not_found(client: TestClient, demo: Demo) -> None:
    [doc_id] = demo.documents["loan-contract"]
    url = f"/api/v1/documents/{doc_id}/download?rendition=pdf-a"
    assert client.get(url, headers=demo.headers("other")).status_code == 404
    [other_id] = demo.documents["collection"][:1]
    missing = client.get(
        f"/api/v1/documents/{other_id}/download?rendition=pdf-a", headers=demo.headers("archivist")
    )
    assert missing.status_code == 404 and "pdf-a" in missing.json()["detail"]
    bad = client.get(f"/api/v1/documents/{doc_id}/download?rendition=tiff", headers=demo.headers("archivist"))
    assert bad.status_code == 422


def test_a_search_hit_offers_the_rendition(client: TestClient, demo: Demo) -> None:
    [doc_id] = demo.documents["loan-contract"]
    found = client.get("/api/v1/search", params={"q": "借款合同"}, headers=demo.headers("archivist"))
    assert found.status_code == 200, found.text
    hits = {h["document_id"]: h for h in found.json()["hits"]}
    assert [r["kind"] for r in hits[doc_id]["renditions"]] == ["pdf-a"]
    assert hits[doc_id]["renditions"][0]["download_url"].endswith("?rendition=pdf-a")
    assert len(hits) == len(found.json()["hits"])  # one hit per document


def test_the_borrower_page_links_the_pdf_beside_the_docx(demo: Demo) -> None:
    from test_web_pages import sign_in

    [doc_id] = demo.documents["loan-contract"]
    with TestClient(create_app(demo.home, config=load_config())) as web:
        sign_in(web, "archivist")
        page = web.get(f"/borrowers/{demo.borrowers[COMPANY]}")
    assert page.status_code == 200
    assert f'href="/api/v1/documents/{doc_id}/download"' in page.text
    assert f'href="/api/v1/documents/{doc_id}/download?rendition=pdf-a"' in page.text


def test_the_borrower_tree_lists_each_document_once_with_its_rendition(
    client: TestClient, demo: Demo
) -> None:
    [doc_id] = demo.documents["loan-contract"]
    tree = client.get(f"/api/v1/borrowers/{demo.borrowers[COMPANY]}/tree", headers=demo.headers("officer"))
    assert tree.status_code == 200, tree.text
    documents = [d for c in tree.json() for d in c["documents"]]
    assert len({d["id"] for d in documents}) == len(documents)
    [document] = [d for d in documents if d["id"] == doc_id]
    [rendition] = document["renditions"]
    assert rendition["download_url"] == f"/api/v1/documents/{doc_id}/download?rendition=pdf-a"
    assert not any(d["media_type"] == "application/pdf" and d["source"] == "generated" for d in documents)


def test_the_search_page_shows_one_hit_offering_its_pdf(client: TestClient, demo: Demo) -> None:
    from test_web_pages import sign_in

    [doc_id] = demo.documents["loan-contract"]
    page = sign_in(client, "officer", next_url="/search?q=借款合同")
    assert page.count(f'#doc-{doc_id}"') == 1
    assert f'/api/v1/documents/{doc_id}/download?rendition=pdf-a">PDF/A 副本</a>' in page
