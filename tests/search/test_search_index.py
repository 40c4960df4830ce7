"""SearchIndex over a real archive home, on both engines: what was filed is found, filtered, marked."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from searchkit import COMPANY_KEY, COMPANY_NAME, Home

from dossier.archive import Archive
from dossier.archive.filing import file_document
from dossier.archive.registry import ensure_borrower
from dossier.config import load_config
from dossier.search.fields import SearchError, make_filters
from dossier.search.index_place import IndexBusy
from dossier.search.indexing import index_pending
from dossier.search.querying import SearchPage
from dossier.search.search_index import SearchIndex
from dossier.search.settings import search_settings
from indexer.query import QuerySyntaxError

HOLD_INDEX = """
import sys, time
from dossier.archive import Archive
from dossier.config import load_config
from dossier.locks import LockName
with Archive.open(sys.argv[1], config=load_config(sys.argv[2] or None)) as archive:
    with archive.locks.hold(LockName.INDEX):
        print("held", flush=True)
        time.sleep(60)
"""


@contextmanager
def index_held_elsewhere(home: Path, config: Path | None) -> Iterator[None]:
    """The INDEX lock held by another process, through the archive's own backend (file or advisory)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_INDEX, str(home), str(config or "")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


def search(home: Home, text: str, **filters: object) -> SearchPage:
    with home.archive() as archive:
        index = SearchIndex.open(archive)
        assert index.engine_name == home.engine
        index.process()
        return index.search(text, filters=make_filters(**filters, config=archive.config))  # type: ignore[arg-type]


def titles(page: SearchPage) -> list[str]:
    return sorted(hit.title for hit in page.hits)


def marked_texts(page: SearchPage) -> set[str]:
    return {piece for hit in page.hits for snippet in hit.snippets for piece, match in snippet if match}


def test_every_filed_document_is_in_the_index_with_its_text_recorded(filled_home: Home) -> None:
    with filled_home.archive() as archive:
        index = SearchIndex.open(archive)
        report = index.process()
        assert index.pending() == 0 and report.remaining == 0
        documents = filled_home.documents()
        assert index.doc_count() == len(documents) == 6
    statuses = {d.original_name or d.title: d.details["text"]["status"] for d in documents}
    # The encrypted corpus PDF is filed and indexed (by its title) with the reason it has no text.
    assert statuses["password-is-test.pdf"] == "error"
    assert all(s == "ok" for name, s in statuses.items() if name != "password-is-test.pdf")
    assert all(d.details["text"]["chars"] > 0 for d in documents if d.source == "generated")


@pytest.mark.parametrize(
    ("query", "expected_title", "mark"),
    [
        ("陈志远", "借款合同", "陈志远"),  # a person's name inside the loan contract
        ("11010519491231002X", "到期还款提示", "11010519491231002X"),  # a resident ID number
        ("91350203MA2YK7L54P", "逾期贷款催收通知书", "91350203MA2YK7L54P"),  # a credit code
        ("jk2025-000456", "到期还款提示", "JK2025-000456"),  # a contract number, any case
        ("ＪＫ２０２６－０００３１８", "借款合同", "JK2026-000318"),  # full-width equals half-width
        ('"经我行多次催收"', "逾期贷款催收通知书", "经我行多次催收"),  # a Chinese phrase
        ("Beautiful is better", "011-google-doc-document_google-doc-document", "Beautiful"),  # corpus PDF
    ],
)
def test_names_numbers_and_phrases_find_their_document_with_the_match_marked(
    filled_home: Home, query: str, expected_title: str, mark: str
) -> None:
    page = search(filled_home, query)
    assert titles(page) == [expected_title]
    assert page.total == 1
    assert mark in marked_texts(page)


def test_a_company_name_finds_every_document_that_contains_it(filled_home: Home) -> None:
    page = search(filled_home, COMPANY_NAME)
    assert titles(page) == ["借款合同"]
    hit = page.hits[0]
    assert (hit.borrower_key, hit.borrower_name) == (COMPANY_KEY, COMPANY_NAME)
    assert (hit.category, hit.category_label, hit.doc_type) == ("contracts", "合同类", "loan-contract")
    assert hit.doc_date == date(2026, 3, 18) and hit.contract_number == "JK2026-000318"
    assert hit.path and hit.path.endswith(".docx") and hit.sha256 and len(hit.sha256) == 64
    assert hit.score > 0


def test_filters_narrow_by_borrower_key_or_name_category_type_and_dates(filled_home: Home) -> None:
    everything = search(filled_home, "借款")
    assert titles(everything) == ["借款合同", "到期还款提示", "逾期贷款催收通知书"]
    assert titles(search(filled_home, "借款", borrower="11010519491231002X")) == ["到期还款提示"]
    assert titles(search(filled_home, "借款", borrower="张三")) == ["到期还款提示"]
    assert titles(search(filled_home, "借款", category="合同类")) == ["借款合同"]
    assert titles(search(filled_home, "借款", category="collection")) == ["逾期贷款催收通知书"]
    assert titles(search(filled_home, "借款", doc_type="催收通知书")) == ["逾期贷款催收通知书"]
    assert titles(search(filled_home, "借款", loan="jk2025-000123")) == ["逾期贷款催收通知书"]
    assert titles(search(filled_home, "借款", date_from=date(2026, 11, 21))) == ["到期还款提示"]
    assert titles(search(filled_home, "借款", date_to=date(2026, 11, 20))) == [
        "借款合同",
        "逾期贷款催收通知书",
    ]
    window = search(filled_home, "借款", date_from=date(2026, 11, 1), date_to=date(2026, 11, 25))
    assert titles(window) == ["逾期贷款催收通知书"]


def test_the_query_language_fields_take_labels_and_names_too(filled_home: Home) -> None:
    assert titles(search(filled_home, "借款 category:合同类")) == ["借款合同"]
    assert titles(search(filled_home, "借款 type:到期还款提示")) == ["到期还款提示"]
    assert titles(search(filled_home, f"borrower:{COMPANY_NAME} Lorem")) == [
        "002-trivial-libre-office-writer_002-trivial-libre-office-writer"
    ]
    assert titles(search(filled_home, "借款 date:2026-11-01..2026-11-25")) == ["逾期贷款催收通知书"]
    assert titles(search(filled_home, "借款 -催收")) == ["借款合同", "到期还款提示"]
    assert titles(search(filled_home, "陈志远 OR 张三")) == ["借款合同", "到期还款提示"]


def test_a_filter_only_search_lists_the_documents_newest_first(filled_home: Home) -> None:
    page = search(filled_home, "", borrower=COMPANY_KEY)
    assert page.total == 4  # the loan contract and three corpus files
    assert page.hits[0].title == "借款合同"  # the only dated one: dated documents come first
    assert {hit.title for hit in page.hits[1:]} == {
        "002-trivial-libre-office-writer_002-trivial-libre-office-writer",
        "011-google-doc-document_google-doc-document",
        "password-is-test",
    }


def test_paging_returns_every_hit_once(filled_home: Home) -> None:
    with filled_home.archive() as archive:
        index = SearchIndex.open(archive)
        pages = [index.search("借款", offset=offset, limit=1) for offset in range(3)]
        everything = index.search("借款", limit=None)
    assert [p.total for p in pages] == [3, 3, 3]
    assert sorted(p.hits[0].document_id for p in pages) == sorted(h.document_id for h in everything.hits)
    assert len(everything.hits) == 3


def test_unknown_fields_categories_and_bad_syntax_are_refused(filled_home: Home) -> None:
    with pytest.raises(SearchError, match="未知档案类别"):
        search(filled_home, "借款 category:不存在")
    with pytest.raises(QuerySyntaxError, match="unknown field"):
        search(filled_home, "nosuchfield:x")
    with pytest.raises(QuerySyntaxError, match="引号未闭合"):
        search(filled_home, '"借款')


def test_index_pending_makes_new_filings_searchable_and_never_waits_for_another_indexer(tmp_path) -> None:
    with Archive.init(tmp_path / "home", config=load_config()) as archive:
        ensure_borrower(archive, "110105198001010016", "李四", "person", actor="test")

        def file_note(text: str) -> int:
            return file_document(
                archive,
                text.encode(),
                borrower_key="110105198001010016",
                category="post-loan",
                doc_type="other",
                title=text[:6],
                filename=f"{text[:6]}.txt",
                actor="test",
            ).document_id

        first = file_note("贷后走访记录一：经营正常")
        report = index_pending(archive)
        assert (report.indexed, report.remaining, report.busy) == (1, 0, False)
        assert [h.document_id for h in SearchIndex(archive).search("经营正常").hits] == [first]

        second = file_note("贷后走访记录二：库存积压")
        with index_held_elsewhere(tmp_path / "home", None):  # as another indexing process would
            busy = index_pending(archive)
        assert busy.busy and busy.indexed == 0 and busy.remaining == 1
        assert SearchIndex(archive).search("库存积压").total == 0
        assert index_pending(archive).indexed == 1
        assert [h.document_id for h in SearchIndex(archive).search("库存积压").hits] == [second]


def test_a_waiting_indexer_gives_up_after_the_lock_timeout_with_index_busy(filled_home: Home) -> None:
    """Through dossier.locks: a drain that must wait (``dossier index``) waits [search].lock_timeout_seconds,
    then says another process is indexing; the lock is free again once the holder lets go."""
    with filled_home.archive() as archive:
        settings = search_settings(archive.config).model_copy(update={"lock_timeout_seconds": 0.2})
        # Another indexing process holds the lock, through the archive's own backend (file or advisory).
        with index_held_elsewhere(filled_home.path, filled_home.config):
            with pytest.raises(IndexBusy, match="其他进程正在建立索引"):
                SearchIndex(archive, settings=settings).process()
            with pytest.raises(IndexBusy):
                SearchIndex(archive, settings=settings).rebuild()
        assert not SearchIndex(archive, settings=settings).process().busy
