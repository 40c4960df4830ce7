"""Generating, uploading and downloading through the API, read back from the files themselves."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from fastapi.testclient import TestClient
from servicekit import COMPANY, Demo, build, license_pdf, text_pdf
from sqlalchemy import select

from dossier.archive.catalog.models import Document, Event
from dossier.archive.home import Archive
from dossier.config import load_config
from dossier.kinds.registry import get_kind
from dossier.service.app import create_app


def _docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_generate_files_the_document_and_download_returns_it(client: TestClient, demo: Demo) -> None:
    data = get_kind("reminder").example()
    made = client.post(
        "/api/v1/documents", json={"kind": "reminder", "data": _plain(data)}, headers=demo.headers("officer")
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["kind"] == "reminder" and body["documents"]
    doc = body["documents"][0]
    assert doc["category_label"] and doc["doc_type_label"]
    download = client.get(doc["download_url"], headers=demo.headers("officer"))
    assert download.status_code == 200
    assert download.headers["etag"] == f'"{doc["sha256"]}"'
    assert "filename*=UTF-8''" in download.headers["content-disposition"]
    text = _docx_text(download.content)
    assert data["borrower"]["name"] in text
    # The officer who generated it sees the new borrower's file.
    tree = client.get(f"/api/v1/borrowers/{doc['borrower_id']}/tree", headers=demo.headers("officer"))
    assert tree.status_code == 200
    assert doc["id"] in {d["id"] for c in tree.json() for d in c["documents"]}


def _plain(value):  # dates and decimals as JSON text, as a client would send them
    from dossier.archive.audit import plain

    return plain(value)


def test_invalid_input_is_422_with_path_label_and_reason(client: TestClient, demo: Demo) -> None:
    data = _plain(get_kind("collection").example())
    data["borrower"]["id_number"] = "350203198001010010"
    data.pop("as_of", None)
    response = client.post(
        "/api/v1/documents", json={"kind": "collection", "data": data}, headers=demo.headers("officer")
    )
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert all(p["path"] and p["reason"] for p in problems)
    assert any(p["label"] for p in problems), problems


def test_unknown_kind_is_a_clear_error(client: TestClient, demo: Demo) -> None:
    response = client.post(
        "/api/v1/documents", json={"kind": "no-such", "data": {}}, headers=demo.headers("officer")
    )
    assert response.status_code == 400
    assert "未知文书种类" in response.json()["detail"]


def test_officer_cannot_generate_into_another_officers_file(client: TestClient, demo: Demo) -> None:
    data = _plain(get_kind("loan-contract").example())  # the borrower 李晓峰 looks after
    before = client.get("/api/v1/borrowers", headers=demo.headers("archivist")).json()["total"]
    response = client.post(
        "/api/v1/documents", json={"kind": "loan-contract", "data": data}, headers=demo.headers("other")
    )
    # Answered as for a borrower that does not exist: nothing says another officer has it.
    assert response.status_code == 404
    assert response.json() == {"detail": "borrower (借款人) 91350205MA2XK7Q396 not found (不存在)"}
    assert client.get("/api/v1/borrowers", headers=demo.headers("archivist")).json()["total"] == before


def test_upload_with_borrower_folder_is_filed_and_searchable(client: TestClient, demo: Demo) -> None:
    pdf = license_pdf(COMPANY, serial="API-UPLOAD-0001")
    response = client.post(
        "/api/v1/documents/upload",
        files={"file": ("营业执照.pdf", pdf, "application/pdf")},
        data={"borrower": COMPANY},
        headers=demo.headers("officer"),
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["outcome"] == "filed", result
    assert result["document"]["doc_type"] == "business-license"
    download = client.get(result["document"]["download_url"], headers=demo.headers("officer"))
    assert download.content == pdf
    found = client.get(
        "/api/v1/search", params={"q": "API-UPLOAD-0001"}, headers=demo.headers("officer")
    ).json()
    assert [h["document_id"] for h in found["hits"]] == [result["document"]["id"]]
    assert "【" in found["hits"][0]["snippets"][0]
    # The same file again is a duplicate, not a second copy.
    again = client.post(
        "/api/v1/documents/upload",
        files={"file": ("营业执照-副本.pdf", pdf, "application/pdf")},
        data={"borrower": COMPANY},
        headers=demo.headers("officer"),
    )
    assert again.json()["outcome"] == "duplicate"
    assert again.json()["document"]["id"] == result["document"]["id"]


def test_upload_nobody_can_place_goes_to_quarantine_and_is_assigned(client: TestClient, demo: Demo) -> None:
    pdf = text_pdf(["情况说明", "无任何证件号码 QUARANTINE-ME-7"])
    response = client.post(
        "/api/v1/documents/upload", files={"file": ("情况说明.pdf", pdf)}, headers=demo.headers("archivist")
    )
    assert response.status_code == 201
    result = response.json()
    assert result["outcome"] == "quarantined" and result["reason"] and result["message"]
    waiting = client.get("/api/v1/quarantine", headers=demo.headers("archivist")).json()
    entry = next(e for e in waiting if e["id"] == result["item_id"])
    assert entry["name"] == "情况说明.pdf"
    assigned = client.post(
        f"/api/v1/quarantine/{entry['id']}/assign",
        json={"borrower": COMPANY, "doc_type": "other"},
        headers=demo.headers("archivist"),
    )
    assert assigned.status_code == 200, assigned.text
    document_id = assigned.json()["document_id"]
    assert (
        client.get(f"/api/v1/documents/{document_id}/download", headers=demo.headers("archivist")).content
        == pdf
    )
    assert result["item_id"] not in {
        e["id"] for e in client.get("/api/v1/quarantine", headers=demo.headers("archivist")).json()
    }


@pytest.mark.parametrize(
    ("name", "borrower"),
    [
        ("../../../etc/passwd", None),
        ("..", None),
        ("ok.pdf", "../../.."),
        ("ok.pdf", "/etc"),
        ("sub/../../x.pdf", None),
    ],
)
def test_path_traversal_in_upload_names_is_refused(
    client: TestClient, demo: Demo, name: str, borrower: str | None
) -> None:
    before = sorted(p for p in demo.home.rglob("*") if p.is_file() and ".dossier" not in p.parts)
    data = {"borrower": borrower} if borrower else {}
    response = client.post(
        "/api/v1/documents/upload",
        files={"file": (name, b"%PDF-1.4 x")},
        data=data,
        headers=demo.headers("archivist"),
    )
    assert response.status_code in (400, 422), response.text
    after = sorted(p for p in demo.home.rglob("*") if p.is_file() and ".dossier" not in p.parts)
    assert after == before
    assert not Path("/etc/passwd.pdf").exists()


def test_download_takes_ids_only(client: TestClient, demo: Demo) -> None:
    for path in ("/api/v1/documents/..%2F..%2Fetc%2Fpasswd/download", "/api/v1/documents/1.5/download"):
        response = client.get(path, headers=demo.headers("auditor"))
        assert response.status_code in (404, 422)
        assert b"root:" not in response.content


def test_oversized_upload_is_413_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = build(tmp_path / "archive")
    config = tmp_path / "bank.toml"
    config.write_text("[media]\nmax_file_bytes = 4096\n", encoding="utf-8")
    with TestClient(create_app(demo.home, config=load_config(config))) as client:
        for size in (10_000, 3 << 20):
            response = client.post(
                "/api/v1/documents/upload",
                files={"file": ("big.pdf", b"%PDF-1.4\n" + b"0" * size)},
                data={"borrower": COMPANY},
                headers=demo.headers("officer"),
            )
            assert response.status_code == 413, response.text
            assert "4,096" in response.json()["detail"]
        small = client.post(
            "/api/v1/documents/upload", files={"file": ("a.txt", b"tiny")}, headers=demo.headers("officer")
        )
        assert small.status_code == 201
    inbox = demo.home / "_inbox"
    assert not [p for p in inbox.rglob("*") if p.is_file() and p.name != ".gitkeep"]


def test_views_downloads_searches_and_exports_are_audit_events(client: TestClient, demo: Demo) -> None:
    doc = demo.documents["loan-contract"][0]
    borrower = demo.borrowers[COMPANY]
    client.get(f"/api/v1/documents/{doc}", headers=demo.headers("auditor"))
    client.get(f"/api/v1/documents/{doc}/download", headers=demo.headers("auditor"))
    client.get("/api/v1/search", params={"q": "借款合同"}, headers=demo.headers("auditor"))
    bundle = client.get(f"/api/v1/borrowers/{borrower}/export", headers=demo.headers("auditor"))
    assert bundle.status_code == 200
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as z:
        assert any(n.endswith("SHA256SUMS") for n in z.namelist())
    with Archive.open(demo.home, config=load_config()) as archive:
        events = archive.transaction(
            lambda s: [
                (e.actor, e.action, e.target) for e in s.execute(select(Event).order_by(Event.seq)).scalars()
            ],
            write=False,
        )
        docs = archive.transaction(lambda s: s.execute(select(Document.id)).scalars().all(), write=False)
    mine = [(a, t) for who, a, t in events if who == "auditor"]
    assert ("view", f"document:{doc}") in mine
    assert ("download", f"document:{doc}") in mine
    assert any(a == "search" and "借款合同" in t for a, t in mine)
    assert any(a == "export" for a, _ in mine)
    assert doc in docs
    verify = client.get("/api/v1/audit/verify", headers=demo.headers("auditor")).json()
    assert verify["ok"] is True, verify
