"""On the embedded catalog an API search reads on the event loop (Services.searches_on_loop), and writes
its audit event there too when nothing makes it wait; a write that would wait (for the catalog's write
lock, or the token's last use) goes to the search thread: such a search holds up no other request, and
answers once its event is committed. (test_search_threads.py: how many at once.)"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from accesskit import basic, bearer, events, make_home
from fastapi.testclient import TestClient

from dossier.archive.home import Archive
from dossier.config import load_config
from dossier.search.indexing import index_pending
from dossier.service.app import create_app

pytestmark = pytest.mark.embedded  # the SQLite catalog's own path; on PostgreSQL a search is one hop

QUERY = {"q": "借款"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = make_home(tmp_path_factory.mktemp("search-on-loop") / "archive", {"dave": ("auditor", False)})
    with Archive.open(home, config=load_config()) as archive:
        index_pending(archive)  # an empty index, but built: searches answer 200
    return home


def token_headers(client: TestClient) -> dict[str, str]:
    made = client.post("/api/v1/tokens", json={"name": "script"}, headers=basic("dave"))
    assert made.status_code == 201, made.text
    return bearer(made.json()["token"])


def counted_hops(executor: Any) -> list[object]:
    """What ``executor`` is handed from now on: each hop of a search to its thread."""
    hops: list[object] = []
    submit = executor.submit

    def counted_submit(*args: Any, **kwargs: Any) -> Any:
        hops.append(args[0])
        return submit(*args, **kwargs)

    executor.submit = counted_submit
    return hops


def test_a_search_waiting_for_the_write_lock_holds_up_no_other_request(home: Path) -> None:
    with TestClient(create_app(home, config=load_config())) as client:
        assert client.app.state.services.searches_on_loop  # type: ignore[attr-defined]
        headers = token_headers(client)
        logged = len(events(home, "search"))
        # The catalog's write lock, held as a long filing in another process would hold it.
        blocker = sqlite3.connect(home / ".dossier" / "catalog.sqlite", timeout=0, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with ThreadPoolExecutor(2) as pool:
                waiting = pool.submit(client.get, "/api/v1/search", params=QUERY, headers=headers)
                time.sleep(0.5)
                assert not waiting.done()  # its event cannot be committed yet, so it does not answer
                try:
                    # Answered at once: a process that wrote the event on its event loop would answer
                    # nothing until the lock is let go (TimeoutError here).
                    health = pool.submit(client.get, "/api/v1/health").result(timeout=2.0)
                    still_waiting = not waiting.done()
                finally:
                    blocker.execute("ROLLBACK")
                answered = waiting.result(timeout=30)
        finally:
            blocker.close()
        assert health.status_code == 200
        assert still_waiting
        assert answered.status_code == 200, answered.text
        assert len(events(home, "search")) == logged + 1


def test_a_search_whose_event_need_not_wait_writes_it_on_the_event_loop(home: Path) -> None:
    with TestClient(create_app(home, config=load_config())) as client:
        executor = client.app.state.services.search_executor  # type: ignore[attr-defined]
        headers = token_headers(client)
        hops = counted_hops(executor)
        for n in range(4):
            logged = len(events(home, "search"))
            answer = client.get("/api/v1/search", params=QUERY, headers=headers)
            assert answer.status_code == 200, answer.text
            assert len(events(home, "search")) == logged + 1, "committed before the search answers"
            # The new token's first use is a write of its last use: that search's writes go to the search
            # thread; the next ones' event is written at once, on the event loop.
            assert len(hops) == 1, n


def test_an_event_refused_by_a_short_writer_is_written_on_the_event_loop_once_it_is_done(home: Path) -> None:
    # Another process's commit holds the write lock about a millisecond: the search's event is tried
    # again on the event loop after a short pause, with no hop to the search thread.
    with TestClient(create_app(home, config=load_config())) as client:
        services = client.app.state.services  # type: ignore[attr-defined]
        executor, batches = services.search_executor, services.search_index().searcher.batches
        headers = token_headers(client)
        assert client.get("/api/v1/search", params=QUERY, headers=headers).status_code == 200  # token used
        hops = counted_hops(executor)
        logged, declined = len(events(home, "search")), batches.declined
        blocker = sqlite3.connect(
            home / ".dossier" / "catalog.sqlite", timeout=0, isolation_level=None, check_same_thread=False
        )
        blocker.execute("BEGIN IMMEDIATE")

        async def commit_once_refused() -> None:
            # On the app's own event loop: it runs while the search pauses, right after the refusal.
            deadline = time.monotonic() + 10
            while batches.declined == declined and time.monotonic() < deadline:
                await asyncio.sleep(0)
            blocker.execute("ROLLBACK")

        try:
            client.portal.start_task_soon(commit_once_refused)  # type: ignore[union-attr]
            answer = client.get("/api/v1/search", params=QUERY, headers=headers)
        finally:
            blocker.close()
        assert answer.status_code == 200, answer.text
        assert batches.declined == declined + 1  # refused once, then written
        assert hops == []
        assert len(events(home, "search")) == logged + 1
