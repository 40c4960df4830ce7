"""An index replica on every node, fed from the catalog's change log.

Two real `dossier serve` processes on one PostgreSQL catalog and one archive folder, each with its own
[search].index_path: what is filed through one is found through the other (woken by LISTEN, no
polling); a node SIGKILLed while it applies the log catches up with nothing missing or doubled; removals
reach both; an empty node bootstraps from its peer or by a rebuild and answers as its peer does. In one
process: replaying entries is idempotent, and the log is trimmed once every live node applied it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from kit.inbox_samples import (
    COMPANY,
    COMPANY_NAME,
    PERSON,
    PERSON_NAME,
    license_pdf,
    text_pdf,
    wait_for,
)
from kit.nodes import ServiceNode
from kit.postgres import Cluster
from sqlalchemy import select, update

from dossier.access.scope import assign
from dossier.access.users import add_user, create_token
from dossier.archive import Archive, index_log
from dossier.archive.catalog.models import Document, IndexNode
from dossier.archive.filing import FilingRequest, file_document, file_documents
from dossier.archive.registry import ensure_borrower, find_borrower
from dossier.archive.renditions import merge_generated_pdfs
from dossier.config import load_config
from dossier.generation import Generator
from dossier.generation.batch import file_generated
from dossier.kinds.registry import get_kind
from dossier.search.indexing import index_pending
from dossier.search.replica import read_applied
from dossier.search.search_index import SearchIndex
from dossier.search.settings import ReplicaIdentity

FOUND_WITHIN_S = 2.0
"""The brief's bound for a document filed through one node to be found through the other."""
ENGINE = "tantivy"
BURST = 100
REMINDER_KEY = "11010519491231002X"
CONFIG = """\
[catalog]
url = "{url}"
pool_size = 4

[inbox]
ocr_worker = false

[search]
engine = "{engine}"
ocr = false
index_path = "{index}"
node = "{node}"
batch_size = {batch}
"""


class Node(ServiceNode):
    """One service node: its own configuration (index folder, node name), one `dossier serve`."""

    def __init__(self, base: Path, home: Path, url: str, name: str, *, batch: int = 200) -> None:
        self.index = base / f"index-{name}"
        config = base / f"{name}.toml"
        config.write_text(
            CONFIG.format(url=url, engine=ENGINE, index=self.index, node=f"node-{name}", batch=batch),
            encoding="utf-8",
        )
        super().__init__(home, config, base, name)

    def applied(self) -> int:
        found = read_applied(self.index, ENGINE)
        return -1 if found is None else found[0]


@dataclass
class Cluster2:
    home: Path
    config: Path
    token: str
    a: Node
    b: Node
    base: Path
    url: str

    def archive(self) -> Archive:
        return Archive.open(self.home, config=load_config(self.config))

    def search(self, node: Node, query: str) -> dict[str, Any]:
        answer = httpx.get(
            f"{node.base}/api/v1/search",
            params={"q": query, "limit": 100},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def head(self) -> int:
        with self.archive() as archive:
            return archive.transaction(index_log.head, write=False)


@pytest.fixture(scope="module")
def nodes(postgres: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster2]:
    base = tmp_path_factory.mktemp("replicas")
    name = f"t_replicas_{os.getpid()}"
    postgres.drop_database(name)
    postgres.create_database(name)
    url = postgres.url(name)
    home = base / "shared" / "archive"
    config = base / "setup.toml"
    config.write_text(f'[catalog]\nurl = "{url}"\n\n[search]\nocr = false\n', encoding="utf-8")
    with Archive.init(home, config=load_config(config)) as archive:
        ensure_borrower(archive, PERSON, PERSON_NAME, "person")
        ensure_borrower(archive, COMPANY, COMPANY_NAME, "enterprise")
        document = Generator(config=load_config(config)).generate("reminder", get_kind("reminder").example())
        file_generated(archive, document, actor="setup")
        archive.transaction(lambda s: add_user(s, "officer", "officer", "correct-horse-9", actor="setup"))
        for key in (PERSON, COMPANY, REMINDER_KEY):
            archive.transaction(lambda s, k=key: assign(s, "officer", find_borrower(s, k), actor="setup"))
        _, token = archive.transaction(lambda s: create_token(s, "officer", "replicas", actor="setup"))
        index_pending(archive)
    # Node B applies the log one entry per engine commit, so that a kill finds it half-way.
    a, b = Node(base, home, url, "a"), Node(base, home, url, "b", batch=1)
    cluster = Cluster2(home, config, token, a, b, base, url)
    try:
        a.serve()
        b.serve()
        yield cluster
    finally:
        a.stop()
        b.stop()


def _upload(cluster: Cluster2, node: Node, name: str, body: bytes) -> None:
    answer = httpx.post(
        f"{node.base}/api/v1/documents/upload",
        headers={"Authorization": f"Bearer {cluster.token}"},
        files={"file": (name, body, "application/pdf")},
        data={"borrower": COMPANY},
        timeout=120,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["outcome"] == "filed", answer.text


def _found_within(cluster: Cluster2, node: Node, query: str, total: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        found = cluster.search(node, query)["total"]
        if found == total:
            return
        assert time.monotonic() < deadline, (
            f"{query!r}: {found} hits through node {node.name}, {total} expected within {seconds} s"
        )
        time.sleep(0.05)


def _view(cluster: Cluster2, node: Node, archive: Archive) -> SearchIndex:
    """``node``'s replica read from this process (searches only: this process never applies to it)."""
    return SearchIndex(archive, identity=ReplicaIdentity(f"node-{node.name}", node.index))


def _ids(index: SearchIndex, query: str) -> list[int]:
    return sorted(hit.document_id for hit in index.search(query, limit=None).hits)


def _filed(archive: Archive) -> set[int]:
    return archive.transaction(
        lambda s: set(s.execute(select(Document.id).where(Document.state == "filed")).scalars()), write=False
    )


def test_a_document_uploaded_through_one_node_is_found_through_the_other(nodes: Cluster2) -> None:
    for n in range(3):
        serial = f"RPLFOUND{n:03d}X"
        _upload(nodes, nodes.a, f"found-{n}.pdf", license_pdf(serial=serial))
        _found_within(nodes, nodes.b, serial, 1, FOUND_WITHIN_S)
        assert nodes.search(nodes.a, serial)["total"] == 1
    # And the other way round.
    _upload(nodes, nodes.b, "found-b.pdf", license_pdf(serial="RPLFOUNDBX"))
    _found_within(nodes, nodes.a, "RPLFOUNDBX", 1, FOUND_WITHIN_S)


def test_a_node_killed_while_it_applies_the_log_catches_up_with_nothing_missing_or_doubled(
    nodes: Cluster2,
) -> None:
    start = nodes.head()
    with nodes.archive() as archive:
        burst = [
            FilingRequest(
                f"副本测试文档 第{i}份 RPLBURST{i:04d}X 借款人的补充材料".encode(),
                COMPANY,
                "basic",
                "other",
                f"副本{i}",
                source="generated",
                actor="test",
                filename=f"burst-{i}.txt",
            )
            for i in range(BURST)
        ]
        file_documents(archive, burst)
        # This process extracts and logs them (as a third node would); A and B are woken by LISTEN.
        report = index_pending(archive)
        assert report.failed == 0 and report.remaining == 0
    head = nodes.head()
    assert head >= start + BURST
    wait_for(lambda: nodes.b.applied() > start, 60, "node B to start applying the burst")
    assert nodes.b.applied() < head, "node B applied the whole burst before it could be killed"
    nodes.b.kill()
    killed_at = nodes.b.applied()
    assert start < killed_at < head  # killed half-way

    nodes.b.serve()
    wait_for(lambda: nodes.b.applied() == head, 120, "node B to catch up")
    wait_for(lambda: nodes.a.applied() == head, 120, "node A to catch up")
    with nodes.archive() as archive:
        filed = _filed(archive)
        for node in (nodes.a, nodes.b):
            view = _view(nodes, node, archive)
            everything = _ids(view, "")
            assert view.doc_count() == len(filed) == len(everything)
            assert len(everything) == len(set(everything)) and set(everything) == filed
            assert len(_ids(view, "副本测试文档")) == BURST
            for i in (0, BURST // 2, BURST - 1):
                assert view.search(f"RPLBURST{i:04d}X").total == 1
    lag = json.loads(nodes.b.cli("index", "--status", "--json").stdout)
    assert (lag["node"], lag["applied_seq"], lag["head_seq"], lag["behind"]) == ("node-b", head, head, 0)
    assert {"node-a", "node-b"} <= {n["node"] for n in lag["nodes"]}
    ready = httpx.get(f"{nodes.b.base}/api/v1/ready", timeout=10).json()
    assert ready["index"]["applied_seq"] == head and ready["index"]["behind"] == 0


def _legacy_pdf(archive: Archive, token: str) -> int:
    """A generated PDF filed as a document of its own (as before renditions): merging it into its DOCX
    removes it from the catalog, so its search entry is removed."""
    [docx] = archive.transaction(
        lambda s: list(
            s.execute(select(Document).where(Document.source == "generated").order_by(Document.id)).scalars()
        )[:1],
        write=False,
    )
    filed = file_document(
        archive,
        text_pdf(["到期还款提示", f"编号 {token}"]),
        borrower_key=REMINDER_KEY,
        category=docx.category,
        doc_type=docx.doc_type,
        title=docx.title,
        doc_date=docx.doc_date,
        source="generated",
        actor="test",
        details={"kind": "reminder", "rendition_of": docx.id},
        filename=Path(docx.details["name"]).with_suffix(".pdf").name,
    )
    return filed.document_id


def test_a_removal_disappears_from_both_nodes(nodes: Cluster2) -> None:
    with nodes.archive() as archive:
        pdf_id = _legacy_pdf(archive, "RPLGONE01X")
        index_pending(archive)
    for node in (nodes.a, nodes.b):
        _found_within(nodes, node, "RPLGONE01X", 1, 30)
    with nodes.archive() as archive:
        assert [m.merged for m in merge_generated_pdfs(archive, actor="test")] == [pdf_id]
        index_pending(archive)
    for node in (nodes.a, nodes.b):
        _found_within(nodes, node, "RPLGONE01X", 0, 30)


QUERIES = [
    *(f"RPLBURST{i:04d}X" for i in range(0, BURST, 2)),
    *(f"RPLFOUND{n:03d}X" for n in range(3)),
    "营业执照",
    "副本测试文档",
    "补充材料",
    "到期还款提示",
    "RPLGONE01X",
    "厦门海沧",
    "统一社会信用代码",
    "借款人",
    "",
]


def test_an_empty_node_bootstraps_from_its_peer_or_by_a_rebuild_and_answers_as_its_peer(
    nodes: Cluster2,
) -> None:
    head = nodes.head()
    wait_for(lambda: nodes.a.applied() == head, 120, "node A to catch up")
    copied = Node(nodes.base, nodes.home, nodes.url, "c")
    bootstrapped = copied.cli("index", "--bootstrap-from", str(nodes.a.index), "--json")
    assert bootstrapped.returncode == 0, bootstrapped.stdout + bootstrapped.stderr
    assert json.loads(bootstrapped.stdout)["rebuilt"].startswith("bootstrapped from")
    rebuilt = Node(nodes.base, nodes.home, nodes.url, "d", batch=50)
    built = rebuilt.cli("index", "--json")
    assert built.returncode == 0, built.stdout + built.stderr
    assert json.loads(built.stdout)["rebuilt"] is not None
    assert len(QUERIES) >= 50
    with nodes.archive() as archive:
        peer = _view(nodes, nodes.a, archive)
        for node in (copied, rebuilt):
            assert node.applied() >= head
            view = _view(nodes, node, archive)
            assert view.doc_count() == peer.doc_count()
            for query in QUERIES:
                assert _ids(view, query) == _ids(peer, query), (node.name, query)


# ---------------------------------------------------------------------------------- in one process


def _file(archive: Archive, n: int) -> int:
    return file_document(
        archive,
        f"日志测试文档 第{n}份 RPLLOG{n:03d}X".encode(),
        borrower_key=PERSON,
        category="basic",
        doc_type="other",
        title=f"日志{n}",
        filename=f"log-{n}.txt",
        source="generated",
        actor="test",
    ).document_id


def test_replaying_applied_entries_neither_doubles_nor_misses_a_document(tmp_path: Path) -> None:
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        ensure_borrower(archive, PERSON, PERSON_NAME, "person")
        # Another live node that applied nothing yet: the log is kept whole.
        archive.transaction(lambda s: index_log.record_node(s, "node-z", str(tmp_path / "z"), 0))
        for n in range(5):
            _file(archive, n)
        index_pending(archive)
        index = SearchIndex(archive)
        head = index.replica.head_seq()
        assert index.replica.applied_seq() == head
        for n in range(5, 8):
            _file(archive, n)
        index_pending(archive)
        # Killed after the engine committed, before the applied seq was written: it is replayed.
        index.replica._record(head)
        again = index.apply()
        assert again.entries == 3 and again.indexed == 3 and index.replica.applied_seq() == head + 3
        ids = _ids(index, "日志测试文档")
        assert len(ids) == len(set(ids)) == 8 == index.doc_count()


def test_entries_applied_by_every_node_are_trimmed_and_a_node_behind_the_trim_rebuilds(
    tmp_path: Path,
) -> None:
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        ensure_borrower(archive, PERSON, PERSON_NAME, "person")
        x = SearchIndex(archive, identity=ReplicaIdentity("node-x", tmp_path / "x"))
        y = SearchIndex(archive, identity=ReplicaIdentity("node-y", tmp_path / "y"))

        def bounds() -> tuple[int | None, int]:
            return archive.transaction(lambda s: (index_log.oldest(s), index_log.head(s)), write=False)

        for n in range(3):
            _file(archive, n)
        x.process()
        y.apply()
        for n in range(3, 6):
            _file(archive, n)
        x.process()
        # Y has not applied the last three: they are kept.
        oldest, head = bounds()
        assert oldest is not None and oldest < head - 2
        y.apply()
        # Both applied everything: only the newest entry (the floor) is kept.
        assert bounds() == (head, head)

        for n in range(6, 8):
            _file(archive, n)
        x.process()
        assert bounds()[0] == head  # Y still owes these
        # Y is not seen for longer than [search].log_retention_hours: its entries go all the same.
        later = datetime.now(UTC) + timedelta(hours=x.settings.log_retention_hours + 1)
        archive.transaction(
            lambda s: index_log.trim(s, timedelta(hours=x.settings.log_retention_hours), later)
        )
        oldest, newest = bounds()
        assert oldest == newest > head
        behind = y.apply()
        assert behind.rebuilt is not None and "trimmed" in behind.rebuilt
        assert y.replica.applied_seq() == newest
        assert _ids(y, "日志测试文档") == _ids(x, "日志测试文档") and len(_ids(y, "日志测试文档")) == 8
        archive.transaction(
            lambda s: s.execute(update(IndexNode).values(seen_at=datetime.now(UTC) - timedelta(days=30)))
        )
