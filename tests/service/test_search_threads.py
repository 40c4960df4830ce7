"""No more API searches are under way at once in a process than [service].search_threads says, whatever
the number of clients; the others wait and are answered."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from accesskit import basic, bearer, make_home
from fastapi.testclient import TestClient

from dossier.archive.home import Archive
from dossier.config import load_config
from dossier.search.indexing import index_pending
from dossier.service.app import create_app

CLIENTS = 6


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = make_home(tmp_path_factory.mktemp("search-threads") / "archive", {"dave": ("auditor", False)})
    with Archive.open(home, config=load_config()) as archive:
        index_pending(archive)  # an empty index, but built: searches answer 200
    return home


def most_at_once(home: Path, tmp_path: Path, threads: int) -> int:
    """The most searches the service worked on at once while CLIENTS clients searched together."""
    config = tmp_path / f"bank-{threads}.toml"
    config.write_text(f"[service]\nsearch_threads = {threads}\n", encoding="utf-8")
    with TestClient(create_app(home, config=load_config(config))) as client:
        index = client.app.state.services.search_index()  # type: ignore[attr-defined]
        reads, write, guard = index.search, index.log, threading.Lock()
        running, seen = 0, [0]

        # Spies around the real search: a search is under way from its reads to its audit event
        # (written in a search thread; on the embedded catalog the reads run on the event loop).
        def counted_reads(*args: Any, **kwargs: Any) -> Any:
            nonlocal running
            with guard:
                running += 1
                seen[0] = max(seen[0], running)
            return reads(*args, **kwargs)

        def counted_write(*args: Any, **kwargs: Any) -> Any:
            # It waits a little, so that searches can overlap.
            nonlocal running
            try:
                time.sleep(0.05)
                return write(*args, **kwargs)
            finally:
                with guard:
                    running -= 1

        index.search, index.log = counted_reads, counted_write
        # Every event goes to a search thread, as when another writer holds the catalog's write lock: on
        # the embedded catalog an event is otherwise written on the event loop when the lock is free
        # (record_search_now), and the searches of one process cannot overlap at all.
        index.log_now = lambda *args, **kwargs: False
        made = client.post("/api/v1/tokens", json={"name": "load"}, headers=basic("dave"))
        headers = bearer(made.json()["token"])  # a token: no password hashed per request
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(
                pool.map(
                    lambda _: client.get("/api/v1/search", params={"q": "借款"}, headers=headers),
                    range(CLIENTS * 2),
                )
            )
        assert [a.status_code for a in answers] == [200] * (CLIENTS * 2)
        return seen[0]


@pytest.mark.parametrize("threads", [1, 2])
def test_no_more_searches_run_at_once_than_the_setting(home: Path, tmp_path: Path, threads: int) -> None:
    assert most_at_once(home, tmp_path, threads) == threads


def test_more_threads_let_more_searches_overlap(home: Path, tmp_path: Path) -> None:
    assert most_at_once(home, tmp_path, CLIENTS) > 2
