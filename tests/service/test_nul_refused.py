"""A NUL character in a request's path, query, JSON body or form is refused with a 422 naming the parameter
or field, before it reaches the catalog: on PostgreSQL such a value failed there as a 500 (schemathesis
found ``q=%00`` on the search, whose audit event holds the query); SQLite took it. The suite's PostgreSQL
pass runs these too."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from servicekit import PASSWORD, Demo, build, text_pdf

from dossier.config import load_config
from dossier.service.app import create_app


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return build(tmp_path_factory.mktemp("nul") / "archive")


@pytest.fixture(scope="module")
def client(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(demo.home, config=load_config())) as c:
        yield c


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("/api/v1/search?q=%00", "q (查询参数)"),
        ("/api/v1/search?q=%E5%80%9F%00%E6%AC%BE&limit=5", "q (查询参数)"),
        ("/api/v1/search?q=借款&borrower=a%00b", "borrower (查询参数)"),
        ("/api/v1/borrowers?q=%00", "q (查询参数)"),
        ("/api/v1/audit/events?borrower=%00", "borrower (查询参数)"),
        ("/api/v1/borrowers/%00", "path (路径)"),
        ("/search?q=%00", "q (查询参数)"),
    ],
)
def test_a_nul_is_refused_naming_where_it_is(client: TestClient, demo: Demo, url: str, named: str) -> None:
    answer = client.get(url, headers=demo.headers("auditor"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == f"{named}: contains a NUL character (含有空字符)"
    assert "content-security-policy" in answer.headers  # the service's own headers, as on every answer


def test_the_same_requests_without_the_nul_are_answered(client: TestClient, demo: Demo) -> None:
    urls = ("/api/v1/search?q=%E5%80%9F%E6%AC%BE", "/api/v1/borrowers?q=a", "/api/v1/audit/events?borrower=x")
    for url in urls:
        answer = client.get(url, headers=demo.headers("auditor"))
        assert answer.status_code == 200, (url, answer.text)


def _refused(answer: httpx.Response, named: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == f"{named}: contains a NUL character (含有空字符)"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"username": "nul\u0000user", "role": "auditor", "password": PASSWORD}, "username (请求体字段)"),
        (
            {"username": "nuluser", "role": "auditor", "password": PASSWORD, "display_name": "\u0000"},
            "display_name (请求体字段)",
        ),
        ({"username": "nuluser", "role": "auditor", "password": PASSWORD, "x\u0000": 1}, "x (请求体字段)"),
    ],
)
def test_a_nul_in_a_json_body_is_refused_naming_the_field(
    client: TestClient, demo: Demo, body: dict[str, object], named: str
) -> None:
    raw = json.dumps(body)  # as a client writes it: the NUL as its escape
    assert "\\u0000" in raw
    headers = {**demo.headers("admin"), "Content-Type": "application/json"}
    _refused(client.post("/api/v1/users", content=raw, headers=headers), named)
    assert client.get("/api/v1/users", headers=demo.headers("admin")).json()[-1]["username"] != "nuluser"


def test_a_json_body_that_only_spells_the_escape_is_answered_as_usual(client: TestClient, demo: Demo) -> None:
    # A backslash then "u0000" is text, no NUL: the user is added with that name as written
    body = {"username": "u0000", "role": "auditor", "password": PASSWORD, "display_name": "a\\u0000b"}
    answer = client.post("/api/v1/users", json=body, headers=demo.headers("admin"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["display_name"] == "a\\u0000b"


def test_a_nul_in_a_urlencoded_form_is_refused_naming_the_field(client: TestClient) -> None:
    answer = client.post(
        "/login",
        content=b"username=ad%00min&password=x&csrf_token=t",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _refused(answer, "username (表单字段)")


def test_a_nul_in_a_multipart_field_is_refused_naming_the_field(client: TestClient, demo: Demo) -> None:
    files = {"file": ("证明.pdf", text_pdf("营业执照"), "application/pdf")}
    answer = client.post(
        "/api/v1/documents/upload",
        files=files,
        data={"borrower": "91350205MA2X\x00K7Q396"},
        headers=demo.headers("archivist"),
    )
    _refused(answer, "borrower (表单字段)")


def test_a_deep_json_body_is_looked_through_and_one_too_deep_is_the_parsers(
    client: TestClient, demo: Demo
) -> None:
    headers = {**demo.headers("admin"), "Content-Type": "application/json"}
    deep = client.post("/api/v1/users", content="[" * 60 + '"\\u0000"' + "]" * 60, headers=headers)
    assert deep.status_code == 422, deep.text
    named = ".".join(["0"] * 60)[:100]  # the path, cut short
    assert deep.json()["detail"] == f"{named} (请求体字段): contains a NUL character (含有空字符)"
    # past the parser's depth: FastAPI's own 400, not a 500 from this walk
    too_deep = client.post("/api/v1/users", content="[" * 5000 + '"\\u0000"' + "]" * 5000, headers=headers)
    assert too_deep.status_code == 400, too_deep.text
