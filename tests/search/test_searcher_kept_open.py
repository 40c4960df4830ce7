"""One searcher per process (issue 18): the engine stays open across searches and still sees what other
indexers commit; a rebuild makes it open the new index; search events are group-committed, each one
durable before its search answers, each with its own request's details."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from kit.catalog import write_lock_held
from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.audit import verify_chain
from dossier.archive.audit_context import set_request_details
from dossier.archive.catalog.models import Event
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.config import load_config
from dossier.search.audit_batches import EventBatches
from dossier.search.indexing import index_pending
from dossier.search.search_index import SearchIndex
from indexer.analysis import normalize_mapped, normalize_spans

BORROWER = "110105198001010016"


def _file(archive: Archive, text: str) -> int:
    return file_document(
        archive,
        text.encode(),
        borrower_key=BORROWER,
        category="post-loan",
        doc_type="other",
        title=text[:6],
        filename=f"{text[:6]}.txt",
        actor="test",
    ).document_id


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    with Archive.init(tmp_path / "home", config=load_config()) as opened:
        ensure_borrower(opened, BORROWER, "李四", "person", actor="test")
        _file(opened, "贷后走访记录一：经营正常")
        index_pending(opened)
        yield opened


def test_the_kept_engine_sees_other_indexers_commits_and_a_rebuild(archive: Archive) -> None:
    kept = SearchIndex(archive)
    assert kept.search("经营正常").total == 1
    engine = kept.searcher._engine
    assert engine is not None

    # Another indexer (another process, as far as the kept engine knows) commits a new document.
    second = _file(archive, "贷后走访记录二：库存积压")
    assert index_pending(archive).indexed == 1
    assert [h.document_id for h in kept.search("库存积压").hits] == [second]
    assert kept.searcher._engine is engine, "a search must not open the engine again"

    # A rebuild recreates the index (a new schema marker): the kept searcher opens the new one.
    SearchIndex(archive).rebuild()
    assert kept.search("贷后走访").total == 2
    assert kept.searcher._engine is not engine
    kept.close()


def test_a_searched_event_is_committed_before_the_search_answers(archive: Archive) -> None:
    index = SearchIndex(archive, batches=EventBatches(archive))
    index.search("经营正常", actor="auditor-1")
    with Archive.open(archive.home, config=load_config()) as other:
        actors = other.transaction(
            lambda s: list(s.execute(select(Event.actor).where(Event.action == "search")).scalars()),
            write=False,
        )
    assert actors == ["auditor-1"]


def test_concurrent_searches_share_one_commit_and_keep_their_own_details(archive: Archive) -> None:
    batches = EventBatches(archive)
    index = SearchIndex(archive, batches=batches)
    followers = 5
    leader_in = threading.Event()

    def leader_write(session: object) -> None:
        # Holds the first transaction open until every follower has queued behind it.
        leader_in.set()
        while batches.waiting() < followers:
            threading.Event().wait(0.01)

    def follower(n: int) -> None:
        set_request_details({"token_id": n})
        index.search("经营正常", actor=f"auditor-{n}")

    first = threading.Thread(target=batches.append, args=(leader_write,))
    first.start()
    leader_in.wait()
    threads = [threading.Thread(target=follower, args=(n,)) for n in range(followers)]
    for thread in threads:
        thread.start()
    for thread in [first, *threads]:
        thread.join()
    assert batches.commits == 2, "the followers' five events must go in one transaction"
    events = archive.transaction(
        lambda s: list(s.execute(select(Event).where(Event.action == "search")).scalars()), write=False
    )
    assert sorted(e.actor for e in events) == [f"auditor-{n}" for n in range(followers)]
    assert all(e.details["token_id"] == int(e.actor.rsplit("-", 1)[1]) for e in events)
    assert archive.transaction(verify_chain, write=False).ok


def test_an_event_written_now_commits_alone_or_is_not_written(archive: Archive) -> None:
    batches = EventBatches(archive)
    index = SearchIndex(archive, batches=batches)
    page = index.search("经营正常")
    assert index.log_now(page, "auditor-now", {})
    assert batches.commits == 1
    # While a batch is being committed, an event is not written now: it would wait for that batch.
    leader_in, release = threading.Event(), threading.Event()

    def leader_write(session: object) -> None:
        leader_in.set()
        release.wait(30)

    first = threading.Thread(target=batches.append, args=(leader_write,))
    first.start()
    leader_in.wait()
    try:
        assert not index.log_now(page, "auditor-behind-a-batch", {})
    finally:
        release.set()
        first.join()
    # While another writer holds the catalog's write lock, neither.
    with write_lock_held(archive):
        assert not index.log_now(page, "auditor-behind-a-writer", {})
    assert batches.commits == 2
    assert index.log_now(page, "auditor-again", {})
    actors = archive.transaction(
        lambda s: list(s.execute(select(Event.actor).where(Event.action == "search")).scalars()), write=False
    )
    assert actors == ["auditor-now", "auditor-again"]
    assert archive.transaction(verify_chain, write=False).ok


def test_an_event_that_fails_fails_only_its_own_caller(archive: Archive) -> None:
    batches = EventBatches(archive)
    started = threading.Event()
    outcomes: dict[str, str] = {}

    def blocker(session: object) -> None:
        started.set()
        while batches.waiting() < 2:
            threading.Event().wait(0.01)

    def broken(session: object) -> None:
        raise ValueError("bad event")

    def fine(session) -> None:  # type: ignore[no-untyped-def]
        from dossier.archive.audit import append_event

        append_event(session, actor="ok", action="search", target="search:x")

    def run(name: str, write) -> None:  # type: ignore[no-untyped-def]
        try:
            batches.append(write)
            outcomes[name] = "committed"
        except ValueError as exc:
            outcomes[name] = str(exc)

    first = threading.Thread(target=run, args=("blocker", blocker))
    first.start()
    started.wait()
    others = [threading.Thread(target=run, args=(n, w)) for n, w in (("broken", broken), ("fine", fine))]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join()
    assert outcomes == {"blocker": "committed", "broken": "bad event", "fine": "committed"}
    actors = archive.transaction(
        lambda s: list(s.execute(select(Event.actor).where(Event.actor == "ok")).scalars()), write=False
    )
    assert actors == ["ok"]


@pytest.mark.parametrize(
    "text",
    [
        "借款人张三，身份证号码１１０１０５１９８００１０１００１６。",
        "中 国\u3000工 商 银 行 JK2026-000123 借款合同",
        "ＡＢＣ　ａｂｃ 中\n国 年利率４．５％",
        "cafe\u0301 ｶﾞ 中 国",  # needs the full per-character map
        "plain ascii text only",
        "",
    ],
)
def test_the_gap_map_maps_every_span_as_the_full_map_does(text: str) -> None:
    fast, full = normalize_spans(text), normalize_mapped(text)
    assert fast.text == full.text
    n = len(full.text)
    for i in range(n):
        for j in range(i + 1, min(n, i + 12) + 1):
            assert fast.span(i, j) == full.span(i, j), (i, j)
