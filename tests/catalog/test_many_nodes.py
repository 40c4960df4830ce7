"""Many nodes on one PostgreSQL catalog and one shared archive folder, as real processes.

Two `dossier serve` processes on two ports and two inbox watchers (the second a standby) stand in for two
hosts. At once, interleaved: 150 uploads through each server, 150 files dropped into the inbox, 60
documents generated through the API. Mid-flow B's host dies (its server and its standby watcher) and A's
active watcher is SIGKILLed, so for a moment no watcher runs; B's host comes back with a new watcher, which
takes over from the dead active one, and A's host starts a standby again. Afterwards every input is filed
exactly once (or quarantined with a reason), `dossier audit verify` passes, and the catalog, the files and
the search index agree.

The counts are what the kill needs, not a load figure. The kill comes once UPLOADS_PER_SERVER // 2 of
the 360 requests are answered, so the flow runs on both sides of it: both servers and the active watcher
before; uploads to the dead server retried and drops waiting while B's host is down; the restarted server
and the watcher that takes over after. 360 requests and 150 drops from nine threads keep every process
busy in each stretch; the earlier 1,000 uploads, 500 drops and 200 generations added nothing to that and
took 140-200 s on this 2-core machine (these, about 55 s). The three streams are interleaved, not
submitted one after the other, so drops arrive throughout the flow, the kill and the restart included.
"""

from __future__ import annotations

import hashlib
import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from kit.inbox_samples import (
    COMPANY,
    COMPANY_NAME,
    PERSON,
    PERSON_NAME,
    drop,
    files_under,
    id_card_pdf,
    license_pdf,
    wait_for,
)
from kit.nodes import ServiceNode as Node
from sqlalchemy import select

from dossier.access.scope import assign
from dossier.access.users import add_user, create_token
from dossier.archive import Archive
from dossier.archive.catalog.models import Document
from dossier.archive.registry import ensure_borrower, find_borrower
from dossier.config import load_config
from dossier.kinds.registry import get_kind

UPLOADS_PER_SERVER = 150
DROPS = 150
GENERATED = 60
CONFIG = """\
[catalog]
url = "{url}"
pool_size = 4

[inbox]
quiet_seconds = 0.3
rescan_seconds = 2
ocr_worker = false
index_batch = 50

[search]
engine = "tantivy"
ocr = false
"""


def _setup(tmp_path: Path, url: str) -> tuple[Path, Path, str]:
    config = tmp_path / "dossier.toml"
    config.write_text(CONFIG.format(url=url), encoding="utf-8")
    home = tmp_path / "shared" / "archive"
    with Archive.init(home, config=load_config(config)) as archive:
        ensure_borrower(archive, PERSON, PERSON_NAME, "person")
        ensure_borrower(archive, COMPANY, COMPANY_NAME, "enterprise")
        # An officer: the role that uploads and generates, with both borrowers assigned to the account.
        archive.transaction(lambda s: add_user(s, "officer", "officer", "correct-horse-9", actor="setup"))
        for key in (PERSON, COMPANY):
            archive.transaction(lambda s, k=key: assign(s, "officer", find_borrower(s, k), actor="setup"))
        _, token = archive.transaction(lambda s: create_token(s, "officer", "nodes", actor="setup"))
    return home, config, token


def _post(base: str, token: str, send: Any, *, retry_in_flight: bool) -> httpx.Response:
    """POST until a server answers: a refused connection (the node is down) is tried again; a request
    cut off in flight is tried again only when ``retry_in_flight`` (an upload: a second copy of the same
    content is recorded as a duplicate, never filed twice)."""
    deadline = time.monotonic() + 180
    while True:
        try:
            with httpx.Client(base_url=base, timeout=120) as client:
                return send(client, {"Authorization": f"Bearer {token}"})
        except httpx.ConnectError:
            pass
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
            if not retry_in_flight:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"{base} did not come back within 180 s")
        time.sleep(0.2)


def test_two_servers_and_two_watchers_on_one_catalog_file_everything_once(tmp_path: Path, catalog_url: str):
    home, config, token = _setup(tmp_path, catalog_url)
    logs = tmp_path / "logs"
    logs.mkdir()
    a, b = Node(home, config, logs, "a"), Node(home, config, logs, "b")
    a.serve()
    b.serve()
    a.watch()
    b.watch("--standby")
    uploads = {
        f"upload-{n:04d}.pdf": license_pdf(serial=f"node upload {n}") for n in range(2 * UPLOADS_PER_SERVER)
    }
    drops = {f"{PERSON}/身份证/drop-{n:04d}.pdf": id_card_pdf(serial=f"node drop {n}") for n in range(DROPS)}
    reminder = get_kind("reminder").example()
    answers: dict[str, httpx.Response] = {}
    killed = threading.Event()

    def upload(name: str, body: bytes, node: Node) -> None:
        answers[name] = _post(
            node.base,
            token,
            lambda c, h: c.post(
                "/api/v1/documents/upload",
                headers=h,
                files={"file": (name, body, "application/pdf")},
                data={"borrower": COMPANY},
            ),
            retry_in_flight=True,
        )

    def generate(n: int) -> None:
        data = json.loads(json.dumps({**reminder, "doc_no": f"提示〔2026〕第{n:04d}号"}, default=str))
        answers[f"generate-{n}"] = _post(
            a.base,
            token,
            lambda c, h: c.post("/api/v1/documents", headers=h, json={"kind": "reminder", "data": data}),
            retry_in_flight=False,
        )

    def chaos() -> None:
        # Mid-flow: server B and the active watcher die without a word, then B's host comes back.
        wait_for(lambda: len(answers) >= UPLOADS_PER_SERVER // 2, 600, "the flow to be under way")
        b.kill()
        assert a.watcher is not None
        a.watcher.send_signal(signal.SIGKILL)
        killed.set()
        time.sleep(1.0)
        b.serve()
        b.watch("--standby")  # the new process on B's host: the active watcher is dead, so it takes over
        a.watch("--standby")

    # Every stream spread evenly over the whole flow, in the order the pool takes them.
    work: list[tuple[float, Callable[[], object]]] = [
        *(
            ((i + 0.5) / DROPS, partial(drop, home / "_inbox", rel, body))
            for i, (rel, body) in enumerate(drops.items())
        ),
        *(
            ((n + 0.5) / len(uploads), partial(upload, name, body, a if n % 2 else b))
            for n, (name, body) in enumerate(uploads.items())
        ),
        *(((n + 0.5) / GENERATED, partial(generate, n)) for n in range(GENERATED)),
    ]
    work.sort(key=lambda w: w[0])
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            futures = [pool.submit(chaos)]
            futures += [pool.submit(task) for _, task in work]
            for future in futures:
                future.result()
        assert killed.is_set()
        wait_for(lambda: not files_under(home / "_inbox"), 900, "the inbox to be empty")
    finally:
        a.stop()
        b.stop()

    # Every upload answered, filed once (a copy sent again after the kill is a duplicate, never a second
    # document); every generation filed.
    outcomes = Counter(r.json().get("outcome", "generated") for r in answers.values() if r.status_code == 201)
    bad = {k: (r.status_code, r.text[:200]) for k, r in answers.items() if r.status_code != 201}
    assert not bad, bad
    # An upload cut off by the kill is settled by a watcher: a duplicate when its retry was filed first,
    # else quarantined with the reason "upload-interrupted" (never filed past the uploader's scope).
    held = [p for p in files_under(home / "_quarantine") if not p.name.endswith(".reason.json")]
    assert all(p.with_name(p.name + ".reason.json").is_file() for p in held)
    in_quarantine = {hashlib.sha256(p.read_bytes()).hexdigest() for p in held}
    assert len(held) <= 8, held  # at most what was in flight at the kill
    assert outcomes["filed"] + outcomes["duplicate"] == len(uploads) and outcomes["generated"] == GENERATED
    with Archive.open(home, config=load_config(config)) as archive:
        filed = archive.transaction(
            lambda s: list(s.execute(select(Document).where(Document.state == "filed")).scalars()),
            write=False,
        )
    by_hash = Counter(d.sha256 for d in filed)
    for body in [*uploads.values(), *drops.values()]:
        digest = hashlib.sha256(body).hexdigest()
        assert by_hash[digest] == 1 or (by_hash[digest] == 0 and digest in in_quarantine)
    only_quarantined = sum(1 for b in uploads.values() if by_hash[hashlib.sha256(b).hexdigest()] == 0)
    assert len(filed) + only_quarantined == len(uploads) + len(drops) + GENERATED

    # The chain holds, and the catalog, the files and the index agree.
    verified = a.cli("audit", "verify", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    indexed = a.cli("index", "--json")
    assert indexed.returncode == 0, indexed.stdout + indexed.stderr
    state = json.loads(indexed.stdout)
    assert state["documents"] == len(filed), state
