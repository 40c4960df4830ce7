"""Trust at the edges: exports carry no formulas, pages run no inline script and send their security
headers, every read of borrower data is an audit event, writing GETs need a token (the session POSTs with
CSRF), and hostile input answers a clear 4xx or a quarantine entry instead of a 500."""

from __future__ import annotations

import ast
import base64
import csv
import io
import re
import struct
import zipfile
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from servicekit import COMPANY, PASSWORD, Demo
from sqlalchemy import func, select

from dossier.archive.catalog.models import Borrower, Event
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.config import load_config
from dossier.service.app import create_app
from dossier.service.state import Services

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HOSTILE_KEY = "11010519491231002X"
HOSTILE_NAME = "=1+2+cmd|' -C calc'!A0"
HOSTILE_TITLE = '=HYPERLINK("mailto:x@example.invalid","点击查看")'


# ----------------------------------------------------------------------------- helpers


def sign_in(client: TestClient, username: str) -> None:
    form = client.get("/login")
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    done = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def services(client: TestClient) -> Services:
    return client.app.state.services  # type: ignore[attr-defined,no-any-return]


def last_seq(client: TestClient) -> int:
    archive = services(client).archive
    return archive.transaction(lambda s: s.execute(select(func.max(Event.seq))).scalar() or 0, write=False)


def events_since(client: TestClient, seq: int) -> list[Event]:
    archive = services(client).archive
    return archive.transaction(
        lambda s: list(s.execute(select(Event).where(Event.seq > seq).order_by(Event.seq)).scalars()),
        write=False,
    )


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header claims ``width`` × ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def hostile(client: TestClient) -> str:
    """A borrower whose name, and a document whose title, are spreadsheet formulas; indexed."""
    svc = services(client)
    ensure_borrower(svc.archive, HOSTILE_KEY, HOSTILE_NAME, "person", actor="setup")
    file_document(
        svc.archive,
        "情况说明 HOSTILE-CELLS 借款人自述".encode(),
        borrower_key=HOSTILE_KEY,
        category="basic",
        doc_type="id-card",
        title=HOSTILE_TITLE,
        original_name="note.txt",
        actor="setup",
    )
    svc.make_searchable()
    return HOSTILE_KEY


# ----------------------------------------------------------------------------- formula injection


def test_search_csv_carries_no_formula(client: TestClient, demo: Demo, hostile: str) -> None:
    answer = client.get("/api/v1/search.csv", params={"q": "HOSTILE-CELLS"}, headers=demo.headers("auditor"))
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["borrower_name"] == "'" + HOSTILE_NAME
    assert row["title"] == "'" + HOSTILE_TITLE
    formula_starts = ("=", "+", "-", "@", "\t", "\r")
    assert not [v for r in rows for v in r.values() if v and v.startswith(formula_starts)]


def test_export_manifest_csv_carries_no_formula(client: TestClient, demo: Demo, hostile: str) -> None:
    borrower_id = services(client).archive.transaction(
        lambda s: s.execute(select(Borrower.id).where(Borrower.key == hostile)).scalar_one(), write=False
    )
    bundle = client.get(f"/api/v1/borrowers/{borrower_id}/export", headers=demo.headers("auditor"))
    assert bundle.status_code == 200, bundle.text
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as z:
        name = next(n for n in z.namelist() if n.endswith("manifest.csv"))
        text = z.read(name).decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'" + HOSTILE_TITLE in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]


def test_every_csv_and_xlsx_writer_goes_through_the_cell_helper() -> None:
    # A new writer must use dossier.cells, or this fails.
    writers = []
    for path in (ROOT / "src" / "dossier").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name == "cells.py" or not re.search(r"csv\.writer|DictWriter|Workbook\(", text):
            continue
        imports = {
            node.module
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.ImportFrom) and node.module
        }
        writers.append(path.relative_to(ROOT))
        assert "dossier.cells" in imports, f"{path} writes CSV/XLSX without dossier.cells"
    assert len(writers) >= 3  # search CSV, export manifest, ledger report XLSX


# ----------------------------------------------------------------------------- every read is an event


def test_lists_searches_by_name_and_the_audit_log_are_view_events(client: TestClient, demo: Demo) -> None:
    cases: list[tuple[str, dict[str, Any], str, str]] = [
        ("/api/v1/borrowers", {}, "officer", "borrowers:list"),
        ("/api/v1/borrowers", {"q": "海沧"}, "archivist", "borrowers:list"),
        ("/api/v1/audit/events", {"limit": 3}, "auditor", "audit:events"),
        ("/api/v1/quarantine", {}, "archivist", "quarantine:list"),
    ]
    for path, params, role, target in cases:
        before = last_seq(client)
        assert client.get(path, params=params, headers=demo.headers(role)).status_code == 200
        made = events_since(client, before)
        assert [(e.action, e.target, e.actor) for e in made] == [("view", target, role)], path
        assert made[0].details["via"] == "token"
    searched = [e for e in events_since(client, 0) if e.target == "borrowers:list" and e.actor == "archivist"]
    assert searched[-1].details["query"] == "海沧" and COMPANY in searched[-1].details["shown"]


def test_web_views_of_borrower_data_are_events(demo: Demo) -> None:
    with TestClient(create_app(demo.home, config=load_config())) as client:
        sign_in(client, "archivist")
        borrower = demo.borrowers[COMPANY]
        for path, target in (
            ("/borrowers", "borrowers:list"),
            ("/borrowers?q=海沧", "borrowers:list"),
            ("/quarantine", "quarantine:list"),
            (f"/borrowers/{borrower}/completeness", f"borrower:{COMPANY}"),
        ):
            before = last_seq(client)
            assert client.get(path).status_code == 200, path
            made = events_since(client, before)
            assert [(e.action, e.target, e.details["via"]) for e in made] == [("view", target, "session")], (
                path
            )


# ----------------------------------------------------------------------------- writing GETs


def test_writing_endpoints_refuse_the_cookie_on_get_and_need_csrf_on_post(demo: Demo) -> None:
    borrower = demo.borrowers[COMPANY]
    writing = (
        f"/api/v1/borrowers/{borrower}/diligence",
        f"/api/v1/borrowers/{borrower}/export",
        "/api/v1/audit/verify",
    )
    with TestClient(create_app(demo.home, config=load_config())) as client:
        sign_in(client, "auditor")
        page = client.get(f"/borrowers/{borrower}").text
        csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
        # The page offers the report and the export as POST forms, never as links.
        assert f'action="/api/v1/borrowers/{borrower}/diligence?format=html"' in page
        assert f'href="/api/v1/borrowers/{borrower}/diligence' not in page
        for path in writing:
            before = last_seq(client)
            # What a link on another site makes the browser send: the cookie, a GET.
            linked = client.get(path)
            assert linked.status_code == 405 and linked.headers["allow"] == "POST", path
            forged = client.post(path)  # a cross-site form: the cookie, no token
            assert forged.status_code == 403, path
            assert events_since(client, before) == [], f"{path} wrote an event for a forged request"
            posted = client.post(path, data={"csrf_token": csrf})
            assert posted.status_code == 200, (path, posted.text[:200])
            assert events_since(client, before), f"{path} wrote no event"
        report = client.post(f"/api/v1/borrowers/{borrower}/diligence?format=html", data={"csrf_token": csrf})
        assert report.headers["content-type"].startswith("text/html")
        # Scripts with a token keep GET; HTTP Basic, which a browser replays by itself, must POST.
        token = client.get("/api/v1/audit/verify", headers=demo.headers("auditor"))
        assert token.status_code == 200
        basic = {"Authorization": "Basic " + base64.b64encode(f"auditor:{PASSWORD}".encode()).decode()}
        assert client.get("/api/v1/audit/verify", headers=basic).status_code == 405
        assert client.post("/api/v1/audit/verify", headers=basic).status_code == 200


def test_trusted_proxies_are_addresses_networks_or_names() -> None:
    from dossier.service.headers import _trusted

    assert _trusted("10.1.2.3", ["10.0.0.0/8"]) and not _trusted("11.1.2.3", ["10.0.0.0/8"])
    assert _trusted("::1", ["::1"]) and _trusted("proxy", ["proxy"]) and not _trusted("127.0.0.1", [])


# ----------------------------------------------------------------------------- headers and pages


class _Inline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            src = names.get("src")
            if not src:
                self.problems.append("inline <script>")
            else:
                self.scripts.append(src)
        for name, _ in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=>")
            if name == "style":
                self.problems.append(f"<{tag} style=>")


def test_pages_send_security_headers_and_run_no_inline_script(demo: Demo, hostile: str) -> None:
    borrower = demo.borrowers[COMPANY]
    pages = [
        "/search?q=借款",
        "/borrowers",
        f"/borrowers/{borrower}",
        "/completeness",
        "/quarantine",
        "/api/v1/docs",
    ]
    with TestClient(create_app(demo.home, config=load_config())) as client:
        login = client.get("/login")
        sign_in(client, "archivist")
        answers = {path: client.get(path) for path in pages}
        answers["/login"] = login
        answers["/api/v1/borrowers"] = client.get("/api/v1/borrowers", headers=demo.headers("archivist"))
        with TestClient(create_app(demo.home, config=load_config())) as officer:
            sign_in(officer, "officer")
            answers["/generate"] = officer.get("/generate")
        for path, answer in answers.items():
            assert answer.status_code == 200, path
            csp = answer.headers["content-security-policy"]
            directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
            assert directives["script-src"] == "'self'", path
            assert "unsafe-inline" not in directives["style-src"], path
            assert directives["frame-ancestors"] == "'none'", path
            assert answer.headers["cache-control"] == "no-store", path
            assert answer.headers["referrer-policy"] == "no-referrer", path
            assert answer.headers["x-content-type-options"] == "nosniff", path
            if answer.headers["content-type"].startswith("text/html"):
                parser = _Inline()
                parser.feed(answer.text)
                assert parser.problems == [], (path, parser.problems)
                assert all(src.startswith("/static/") for src in parser.scripts), (path, parser.scripts)
        assert "site.js" in answers["/generate"].text
        static = client.get("/static/site.js")
        assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")


def test_printable_reports_allow_only_their_own_style(demo: Demo) -> None:
    borrower = demo.borrowers[COMPANY]
    with TestClient(create_app(demo.home, config=load_config())) as client:
        sign_in(client, "archivist")
        answer = client.get(f"/borrowers/{borrower}/completeness")
    assert answer.status_code == 200
    csp = answer.headers["content-security-policy"]
    assert "'sha256-" in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp
    parser = _Inline()
    parser.feed(answer.text)
    assert parser.problems == [] and parser.scripts == []


def test_api_docs_load_nothing_from_another_site(client: TestClient) -> None:
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "/api/v1/search" in docs.text and "/api/v1/openapi.json" in docs.text
    assert not re.search(r'(src|href)="(https?:)?//', docs.text), "an asset from another site"
    assert "cdn" not in docs.text.lower()
    assert client.get("/api/v1/openapi.json").status_code == 200


@pytest.mark.parametrize(
    ("settings", "forwarded", "secure"),
    [
        ("", "https", False),  # anyone may send X-Forwarded-Proto: not believed
        ('trusted_proxies = ["testclient"]', "https", True),
        ('trusted_proxies = ["testclient"]', "http", False),
        ('secure_cookies = "always"', "", True),
    ],
)
def test_session_cookie_is_secure_behind_a_trusted_tls_proxy(
    demo: Demo, tmp_path: Path, settings: str, forwarded: str, secure: bool
) -> None:
    config = tmp_path / "dossier.toml"
    config.write_text(f"[service]\n{settings}\n", encoding="utf-8")
    with TestClient(create_app(demo.home, load_config(config))) as client:
        headers = {"X-Forwarded-Proto": forwarded} if forwarded else {}
        form = client.get("/login", headers=headers)
        token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        done = client.post(
            "/login",
            data={"username": "auditor", "password": PASSWORD, "csrf_token": token, "next": "/"},
            headers=headers,
            cookies={"dossier_login_csrf": token},
            follow_redirects=False,
        )
    assert done.status_code == 303, done.text
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("dossier_session="))
    assert ("; secure" in cookie.lower()) is secure, cookie


# ----------------------------------------------------------------------------- crashes


def test_a_decompression_bomb_upload_is_quarantined_with_its_reason(client: TestClient, demo: Demo) -> None:
    bomb = png_claiming(50_000, 50_000)
    assert len(bomb) < 4096
    answer = client.post(
        "/api/v1/documents/upload",
        files={"file": ("现场照片.png", bomb)},
        data={"borrower": COMPANY, "folder": "现场照片"},
        headers=demo.headers("archivist"),
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["outcome"] == "quarantined" and body["document"] is None
    assert "2,500,000,000 pixels" in body["message"] and "像素过多" in body["message"]
    assert not any((demo.home / "_inbox" / ".uploads").glob("*"))


def test_a_file_name_over_255_bytes_is_a_clear_4xx_and_leaves_nothing(client: TestClient, demo: Demo) -> None:
    name = "长" * 90 + ".pdf"  # 274 bytes of UTF-8
    answer = client.post(
        "/api/v1/documents/upload",
        files={"file": (name, b"%PDF-1.4 not much")},
        headers=demo.headers("archivist"),
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert "文件名" in answer.text and "255" in answer.text
    assert not any((demo.home / "_inbox" / ".uploads").glob("*"))


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/search", {"q": "借款", "offset": "1e23"}),
        ("/search", {"q": "借款", "offset": str(10**23)}),
        ("/api/v1/search", {"q": "借款", "offset": str(10**23)}),
        ("/api/v1/search", {"q": "借款", "to": "9999-12-31"}),
        ("/api/v1/borrowers", {"offset": str(10**23)}),
        ("/api/v1/audit/events", {"since": "0001-01-01T00:00:00"}),
        ("/api/v1/audit/events", {"since": "0001-01-01T00:00:00+08:00"}),
        ("/api/v1/audit/events", {"since": "9999-12-31T23:59:59-08:00"}),
        ("/api/v1/completeness", {"as_of": "0001-01-01"}),
    ],
)
def test_out_of_range_numbers_and_moments_are_422(demo: Demo, path: str, params: dict[str, str]) -> None:
    with TestClient(create_app(demo.home, config=load_config()), raise_server_exceptions=False) as client:
        if not path.startswith("/api/"):
            sign_in(client, "auditor")
        answer = client.get(
            path, params=params, headers=demo.headers("auditor") if path.startswith("/api/") else {}
        )
    assert answer.status_code == 422, (path, params, answer.status_code, answer.text[:300])


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+08:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-08:00"]
)
def test_a_verification_claimed_out_of_range_is_422(client: TestClient, demo: Demo, when: str) -> None:
    doc = demo.documents["loan-contract"][0]
    answer = client.post(
        f"/api/v1/documents/{doc}/verifications",
        data={"method": "phone", "result": "consistent", "claimed_at": when},
        headers=demo.headers("officer"),
    )
    assert answer.status_code == 422 and "claimed_at" in answer.text, answer.text


def test_a_moment_without_offset_is_read_on_the_banks_clock(client: TestClient, demo: Demo) -> None:
    answer = client.get(
        "/api/v1/audit/events", params={"since": "2000-01-01T08:00:00"}, headers=demo.headers("auditor")
    )
    assert answer.status_code == 200 and answer.json()


def test_every_api_read_of_borrower_data_writes_an_event(client: TestClient, demo: Demo) -> None:
    # Walks the access matrix: a new GET endpoint that reads borrower data without an event fails here.
    from test_api_access import matrix

    no_borrower_data = ("/api/v1/kinds", "/api/v1/me", "/api/v1/users")
    silent = []
    for method, path, kwargs, allowed, status, _ in matrix(demo):
        if method != "GET" or path.startswith(no_borrower_data) or status != 200:
            continue
        role = next(r for r in ("archivist", "auditor", "officer") if r in allowed)
        before = last_seq(client)
        answer = client.get(path, headers=demo.headers(role), **kwargs)
        assert answer.status_code == 200, (path, answer.text[:200])
        if not [e for e in events_since(client, before) if e.actor == role]:
            silent.append(path)
    assert silent == []


def test_a_401_never_invites_a_browser_to_remember_a_basic_password(client: TestClient) -> None:
    # A browser that was asked for Basic credentials replays them cross-site, where no CSRF token guards.
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401
    challenge = answer.headers["www-authenticate"]
    assert challenge.lower().startswith("bearer") and "basic" not in challenge.lower()
