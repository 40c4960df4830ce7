"""A NUL character in a request's path or query is refused with a 422 naming the parameter, before any
route: on PostgreSQL such a value failed in the catalog as a 500 (schemathesis found ``q=%00`` on the
search, whose audit event holds the query); SQLite took it. The suite's PostgreSQL pass runs these too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from servicekit import Demo, build

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
