"""The web pages through the application: sign-in, CSRF on every form, role-aware navigation."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from servicekit import COMPANY, PASSWORD, Demo

from dossier.config import load_config
from dossier.service.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/") -> str:
    form = client.get(f"/login?next={next_url}")
    token = CSRF.search(form.text).group(1)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, "next": next_url}
    )
    return response.text


def test_pages_need_sign_in_and_remember_where_to_go(demo: Demo) -> None:
    with TestClient(create_app(demo.home, config=load_config())) as client:
        first = client.get("/search?q=借款", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"].startswith("/login?next=")
        page = sign_in(client, "archivist", next_url="/search?q=借款")
        assert "全文检索" in page and "<mark>" in page


def test_wrong_password_and_missing_csrf_are_refused(demo: Demo) -> None:
    with TestClient(create_app(demo.home, config=load_config())) as client:
        assert "用户名或密码错误" in sign_in(client, "archivist", "wrong-password")
        client.get("/login")
        forged = client.post(
            "/login", data={"username": "archivist", "password": PASSWORD, "csrf_token": "x"}
        )
        assert forged.status_code == 403
        assert "dossier_session" not in client.cookies


def test_forms_without_the_session_csrf_token_are_refused(demo: Demo) -> None:
    borrower = demo.borrowers[COMPANY]
    with TestClient(create_app(demo.home, config=load_config())) as client:
        sign_in(client, "archivist")
        page = client.get(f"/borrowers/{borrower}")
        assert page.status_code == 200
        token = CSRF.search(page.text).group(1)
        # A cross-site form post carries the cookie but not the token.
        forged = client.post(f"/borrowers/{borrower}/officers", data={"username": "other"})
        assert forged.status_code == 403
        api_forged = client.post(f"/api/v1/borrowers/{borrower}/officers", json={"username": "other"})
        assert api_forged.status_code == 403
        done = client.post(
            f"/borrowers/{borrower}/officers",
            data={"username": "officer", "csrf_token": token},
            follow_redirects=False,
        )
        assert done.status_code == 303 and "ok=" in done.headers["location"]
        out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert out.status_code == 303
        assert client.get("/search", follow_redirects=False).status_code == 303


def test_navigation_follows_the_role(demo: Demo) -> None:
    expected = {
        "archivist": {"全文检索", "借款人", "档案完整性", "隔离区", "授信审批", "借阅与移交", "批量通知"},
        "officer": {"全文检索", "借款人", "生成文书", "授信审批", "借阅与移交"},
        "auditor": {"全文检索", "借款人", "档案完整性", "授信审批", "借阅与移交"},
    }
    for user, links in expected.items():
        with TestClient(create_app(demo.home, config=load_config())) as client:
            page = sign_in(client, user, next_url="/borrowers")
            nav = re.findall(r"<nav>(.*?)</nav>", page, re.S)[0]
            shown = {label.strip() for label in re.findall(r"<a [^>]*>([^<]+)</a>", nav)}
            assert shown == links, (user, shown)
            if "隔离区" not in links:
                assert client.get("/quarantine").status_code == 403


def test_borrower_page_shows_tree_completeness_and_details(demo: Demo) -> None:
    borrower = demo.borrowers[COMPANY]
    with TestClient(create_app(demo.home, config=load_config())) as client:
        sign_in(client, "officer")
        page = client.get(f"/borrowers/{borrower}").text
        order = [page.index(label) for label in ("01 基本资料", "03 调查审查审批", "04 合同类", "09 结清")]
        assert order == sorted(order), "categories in volume order"
        assert "缺失" in page and "SHA-256" in page and "/download" in page
        printable = client.get(f"/borrowers/{borrower}/completeness")
        assert printable.status_code == 200 and "@media print" in printable.text
        client.cookies.clear()
        sign_in(client, "other")
        assert client.get(f"/borrowers/{borrower}").status_code == 404


def test_generate_page_lists_errors_per_field_then_files_the_document(demo: Demo) -> None:
    from dossier.kinds.registry import get_kind

    with TestClient(create_app(demo.home, config=load_config())) as client:
        sign_in(client, "officer", next_url="/generate")
        page = client.get("/generate").text
        token = CSRF.search(page).group(1)
        bad = client.post(
            "/generate", data={"kind": "reminder", "text": "borrower: {}\n", "csrf_token": token}
        )
        assert bad.status_code == 422
        assert "未生成文书" in bad.text and "借款人" in bad.text
        good = client.post(
            "/generate",
            data={"kind": "reminder", "text": get_kind("reminder").example_text(), "csrf_token": token},
        )
        assert good.status_code == 200, good.text[-2000:]
        assert "已生成" in good.text and "/download" in good.text


def test_completeness_dashboard_counts_and_filters_by_officer(demo: Demo) -> None:
    with TestClient(create_app(demo.home, config=load_config())) as client:
        everything = client.get("/api/v1/completeness", headers=demo.headers("archivist")).json()
        listed = client.get("/api/v1/borrowers", headers=demo.headers("archivist")).json()["total"]
        assert everything["borrowers"] == listed >= len(demo.borrowers)
        files = everything["files"]
        scores = [f["score"] for f in files]
        assert scores == sorted(scores, reverse=True), "worst first"
        mine = client.get(
            "/api/v1/completeness", params={"officer": "李晓峰"}, headers=demo.headers("archivist")
        ).json()
        assert {f["borrower_key"] for f in mine["files"]} == {COMPANY}
        sign_in(client, "archivist", next_url="/completeness")
        page = client.get("/completeness", params={"officer": "李晓峰"}).text
        assert "档案完整性总览" in page and COMPANY in page
        assert page.count("<tr>") == 2, "header and one file"
        assert "data-print" in page and "site.js" in page, "a print button, its script from /static"
