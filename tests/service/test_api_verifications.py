"""Verification records through the API and the borrower page, with a photo as evidence."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from PIL import Image
from servicekit import COMPANY, Demo
from test_web_pages import sign_in

from dossier.config import load_config
from dossier.service.app import create_app


def photo() -> bytes:
    image = Image.new("RGB", (64, 48), (120, 160, 90))
    exif = Image.Exif()
    exif[0x0132] = "2026:03:15 10:30:00"  # DateTime
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_officer_records_a_verification_with_a_photo_and_the_report_shows_it(
    client: TestClient, demo: Demo
) -> None:
    doc = demo.documents["loan-contract"][0]
    picture = photo()
    made = client.post(
        f"/api/v1/documents/{doc}/verifications",
        data={
            "method": "原件核对",
            "result": "一致",
            "aspect": "authenticity",
            "note": "核对借款合同原件",
            "with": ["张敏"],
        },
        files=[("evidence", ("原件照片.jpg", picture, "image/jpeg"))],
        headers=demo.headers("officer"),
    )
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["method_label"] == "原件核对" and record["result_label"] == "一致"
    assert record["actor"] == "officer" and record["with_people"] == ["张敏"]
    assert len(record["evidence"]) == 1
    evidence = record["evidence"][0]
    downloaded = client.get(
        f"/api/v1/documents/{evidence['document_id']}/download", headers=demo.headers("auditor")
    )
    assert downloaded.content == picture, "evidence is filed unaltered"
    listed = client.get(f"/api/v1/documents/{doc}/verifications", headers=demo.headers("auditor")).json()
    assert [r["id"] for r in listed] == [record["id"]]
    borrower = demo.borrowers[COMPANY]
    report = client.get(f"/api/v1/borrowers/{borrower}/diligence", headers=demo.headers("auditor")).json()
    assert record["id"] in {v["id"] for v in report["verifications"]}
    html = client.get(
        f"/api/v1/borrowers/{borrower}/diligence", params={"format": "html"}, headers=demo.headers("auditor")
    )
    assert html.status_code == 200 and "原件核对" in html.text
    # Nothing can be back-dated or post-dated: a claimed time in the future is refused.
    future = client.post(
        f"/api/v1/documents/{doc}/verifications",
        data={"method": "电话核实", "result": "一致", "claimed_at": "2999-01-01T10:00:00+08:00"},
        headers=demo.headers("officer"),
    )
    assert future.status_code == 422


def test_borrower_page_form_records_a_verification(demo: Demo) -> None:
    doc = demo.documents["loan-contract"][0]
    borrower = demo.borrowers[COMPANY]
    with TestClient(create_app(demo.home, config=load_config())) as client:
        sign_in(client, "officer")
        page = client.get(f"/borrowers/{borrower}").text
        assert "登记核实记录" in page and "尽职报告" in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        done = client.post(
            f"/documents/{doc}/verify",
            data={
                "method": "site-visit",
                "result": "一致",
                "aspect": "existence",
                "with": "张敏",
                "place": "厦门海沧",
                "claimed_at": "2026-03-16T09:30",
                "csrf_token": token,
            },
            files=[("evidence", ("现场.jpg", photo(), "image/jpeg"))],
            follow_redirects=False,
        )
        assert done.status_code == 303 and "ok=" in done.headers["location"], done.headers.get("location")
        page = client.get(f"/borrowers/{borrower}").text
        assert "上门核实" in page and "证据 1 份" in page
