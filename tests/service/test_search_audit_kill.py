"""Every search a client got an answer for is in the audit chain, even when the server is killed (SIGKILL)
right after answering: its event is committed, group-committed with concurrent ones, before the answer."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import httpx
import pytest
from servicekit import Demo, build, free_port, start_server
from sqlalchemy import select

from dossier.archive.catalog.models import Event
from dossier.archive.home import Archive
from dossier.config import load_config

CLIENTS = 6


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return build(Path(tmp_path_factory.mktemp("search-kill")) / "archive")


def test_every_answered_search_has_its_event_after_a_sigkill(demo: Demo) -> None:
    port = free_port()
    process = start_server(demo.home, port)
    answered: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client(n: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=demo.headers("auditor")) as http:
            i = 0
            while not stop.is_set():
                query = f"借款合同 kill{n}x{i}"  # one query text per request, to find its own event
                i += 1
                try:
                    response = http.get("/api/v1/search", params={"q": query}, timeout=30)
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 200:
                    with lock:
                        answered.append(query)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        # Killed while searches are in flight, once enough were answered to span several group commits.
        while True:
            with lock:
                if len(answered) >= 40:
                    break
            if process.poll() is not None:
                raise AssertionError("the server stopped by itself")
            stop.wait(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
            process.wait()
        for thread in threads:
            thread.join(timeout=60)
    with lock:
        seen = list(answered)  # every answer received before the connections broke

    with Archive.open(demo.home, config=load_config()) as archive:
        logged = archive.transaction(
            lambda s: {
                details.get("query")
                for details in s.execute(select(Event.details).where(Event.action == "search")).scalars()
            },
            write=False,
        )
    missing = [q for q in seen if q not in logged]
    assert len(seen) >= 40 and not missing, f"{len(missing)} answered searches have no event: {missing[:5]}"
