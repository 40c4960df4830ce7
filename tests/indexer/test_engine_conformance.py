"""One conformance suite, run against every engine: both must behave identically."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from indexer.engines import (
    ENGINES,
    EngineError,
    EngineOptions,
    IndexDoc,
    IndexEngine,
    IndexLocked,
    IndexNeedsRebuild,
    IndexSchema,
    SearchResult,
    UnknownField,
    check_index,
    open_engine,
)
from indexer.extract import PAGE_BREAK
from indexer.query import And, DateRange, Field, MatchAll, Not, Or, Query, Text, parse

SCHEMA = IndexSchema(keyword_fields=("borrower", "category"), date_fields=("date",))
# Tests that need a second writer must not wait for the first one.
NO_WAIT = EngineOptions(lock_timeout=0, writer_heap_mb=50, writer_threads=1)

Opener = Callable[..., IndexEngine]
FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def opener(engine_name: str, index_dir: Path) -> Iterator[Opener]:
    opened: list[IndexEngine] = []

    def open_(schema: IndexSchema = SCHEMA, **kwargs: object) -> IndexEngine:
        kwargs.setdefault("options", NO_WAIT)
        engine = open_engine(engine_name, index_dir, schema, **kwargs)  # type: ignore[arg-type]
        opened.append(engine)
        return engine

    yield open_
    for engine in opened:
        engine.close()


@pytest.fixture
def engine(opener: Opener) -> IndexEngine:
    return opener()


def q(text: str) -> Query:
    return parse(text, keyword_fields=SCHEMA.keyword_fields, date_fields=SCHEMA.date_fields)


def ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.hits]


def found(engine: IndexEngine, text: str) -> set[str]:
    return set(ids(engine.search(q(text), limit=1000, highlight=False)))


def doc(
    doc_id: str,
    text: str,
    *,
    borrower: str | None = None,
    category: list[str] | None = None,
    day: date | None = None,
    **stored: str,
) -> IndexDoc:
    keywords: dict[str, list[str]] = {}
    if borrower is not None:
        keywords["borrower"] = [borrower]
    if category is not None:
        keywords["category"] = category
    return IndexDoc(doc_id, text, keywords, {"date": day}, dict(stored))


def index(engine: IndexEngine, *docs: IndexDoc) -> IndexEngine:
    engine.add(docs)
    engine.commit()
    return engine


# --- add, replace, delete, commit ------------------------------------------------------------------------


def test_added_documents_are_visible_only_after_commit(engine: IndexEngine) -> None:
    engine.add([doc("a", "借款合同"), doc("b", "保证合同")])
    assert engine.doc_count() == 0
    assert found(engine, "合同") == set()
    engine.commit()
    assert engine.doc_count() == 2
    assert found(engine, "合同") == {"a", "b"}


def test_adding_a_known_id_replaces_the_document(engine: IndexEngine) -> None:
    index(engine, doc("a", "甲方借款"), doc("b", "其他"))
    index(engine, doc("a", "乙方担保"))
    assert engine.doc_count() == 2
    assert found(engine, "甲方") == set()
    assert found(engine, "乙方") == {"a"}


def test_the_last_of_two_adds_in_one_batch_wins(engine: IndexEngine) -> None:
    engine.add([doc("a", "第一版本")])
    engine.add([doc("a", "第二版本")])
    engine.commit()
    assert engine.doc_count() == 1
    assert found(engine, "第一") == set()
    assert found(engine, "第二") == {"a"}


def test_delete_removes_documents_at_commit(engine: IndexEngine) -> None:
    index(engine, doc("a", "抵押合同"), doc("b", "抵押物清单"), doc("c", "抵押登记"))
    engine.delete(["a", "no-such-id"])
    assert found(engine, "抵押") == {"a", "b", "c"}
    engine.commit()
    assert found(engine, "抵押") == {"b", "c"}
    assert engine.doc_count() == 2


def test_delete_then_add_in_one_batch_keeps_the_new_document(engine: IndexEngine) -> None:
    index(engine, doc("a", "旧的文本"))
    engine.add([doc("b", "新增文档")])
    engine.delete(["b", "a"])
    engine.add([doc("a", "新的文本")])
    engine.commit()
    assert found(engine, "文本") == {"a"}
    assert found(engine, "新的") == {"a"}
    assert found(engine, "新增") == set()


def test_uncommitted_changes_are_discarded_at_close(opener: Opener) -> None:
    engine = index(opener(), doc("a", "已提交"))
    engine.add([doc("b", "未提交")])
    engine.delete(["a"])
    engine.close()
    reopened = opener()
    assert found(reopened, "提交") == {"a"}


def test_optimize_keeps_every_document(engine: IndexEngine) -> None:
    for n in range(5):
        index(engine, doc(f"d{n}", f"第{n}批 放款通知书"))
    engine.delete(["d0"])
    engine.optimize()
    assert engine.doc_count() == 4
    assert found(engine, "放款通知书") == {"d1", "d2", "d3", "d4"}
    index(engine, doc("d5", "放款通知书"))
    assert engine.doc_count() == 5


def test_analysis_in_worker_processes_indexes_the_same(opener: Opener) -> None:
    workers = EngineOptions(lock_timeout=0, writer_heap_mb=50, writer_threads=1, analysis_workers=2)
    engine = opener(options=workers)
    # More documents than one chunk of work, and a replacement across chunks.
    engine.add(doc(f"d{n:03}", f"第{n}号 授信批复" + ("中 国" if n % 2 else "")) for n in range(300))
    engine.add([doc("d000", "撤销")])
    engine.commit()
    assert engine.doc_count() == 300
    assert engine.count(q("授信批复")) == 299
    assert engine.count(q("中国")) == 150
    assert found(engine, "撤销") == {"d000"}


def test_documents_still_with_the_analysis_workers_are_deleted_and_committed_in_order(opener: Opener) -> None:
    workers = EngineOptions(lock_timeout=0, writer_heap_mb=50, writer_threads=1, analysis_workers=2)
    engine = opener(options=workers)
    engine.add(doc(f"d{n:03}", f"第{n}号 放款通知") for n in range(300))
    # d298 and d299 are in the last chunk, which an engine may still be analysing
    engine.delete(["d000", "d298", "d299"])
    engine.add([doc("d299", "重新放款")])
    engine.add([doc("d100", "更正")])  # a replacement, itself in a later add
    engine.commit()
    assert engine.doc_count() == 298
    assert found(engine, "重新放款") == {"d299"}
    assert found(engine, "更正") == {"d100"}
    assert engine.count(q("放款通知")) == 296
    engine.add(doc(f"x{n}", "未提交") for n in range(10))
    engine.close()  # without a commit: nothing of it is kept
    reopened = opener(options=workers)
    assert reopened.count(q("未提交")) == 0
    assert reopened.doc_count() == 298


def test_a_closed_engine_refuses_work(engine: IndexEngine) -> None:
    engine.close()
    with pytest.raises(RuntimeError):
        engine.search(MatchAll())


def test_documents_with_fields_the_schema_lacks_are_refused(engine: IndexEngine) -> None:
    with pytest.raises(UnknownField):
        engine.add([IndexDoc("a", "文本", {"branch": ["x"]})])
    with pytest.raises(UnknownField):
        engine.add([IndexDoc("a", "文本", dates={"signed": date(2025, 1, 1)})])


# --- query semantics -------------------------------------------------------------------------------------


def test_phrase_needs_adjacency_and_words_need_only_all(engine: IndexEngine) -> None:
    index(
        engine,
        doc("adjacent", "中国某某银行股份有限公司"),
        doc("apart", "银行设在中国境内"),
        doc("one", "中国人民"),
    )
    assert found(engine, '"中国某某银行"') == {"adjacent"}
    assert found(engine, "中国某某银行") == {"adjacent"}  # a bare word is a phrase of its characters too
    assert found(engine, "中国 银行") == {"adjacent", "apart"}
    assert found(engine, '"国银"') == set()  # 中国 and 银行 are not adjacent anywhere
    assert found(engine, "中国 AND 银行") == {"adjacent", "apart"}


def test_or_and_not(engine: IndexEngine) -> None:
    index(engine, doc("z", "借款人张三"), doc("l", "借款人李四"), doc("w", "借款人王五 保证人张三"))
    assert found(engine, "张三 OR 李四") == {"z", "l", "w"}
    assert found(engine, "借款人 -保证人") == {"z", "l"}
    assert found(engine, "借款人 NOT 保证人") == {"z", "l"}
    assert found(engine, "-张三") == {"l"}
    assert found(engine, "李四 OR 王五 -保证人") == {"l"}
    tree = Or((Text("王五"), And((Text("张三"), Not(Text("保证人"))))))
    assert set(ids(engine.search(tree))) == {"w", "z"}


def test_a_word_with_nothing_searchable_constrains_nothing(engine: IndexEngine) -> None:
    index(engine, doc("a", "借款合同"), doc("b", "担保合同"))
    assert set(ids(engine.search(And((Text("借款"), Text("，、")))))) == {"a"}
    assert ids(engine.search(Text("，、"))) == []


def test_keyword_filters_match_exact_values_of_multi_valued_fields(engine: IndexEngine) -> None:
    index(
        engine,
        doc("a", "合同文本", borrower="91350100M000100Y43", category=["借款 合同", "担保"]),
        doc("b", "合同文本", borrower="110105194912310021", category=["担保"]),
        doc("c", "合同文本"),
    )
    assert found(engine, "borrower:91350100M000100Y43") == {"a"}
    assert found(engine, "category:担保") == {"a", "b"}
    assert found(engine, 'category:"借款 合同"') == {"a"}
    assert found(engine, "category:借款") == set()  # exact values only, no analysis
    assert found(engine, "borrower:91350100m000100y43") == set()
    assert found(engine, "合同 category:担保 -borrower:110105194912310021") == {"a"}
    assert engine.count(Field("category", "担保")) == 2


def test_date_ranges_with_open_ends(engine: IndexEngine) -> None:
    index(
        engine,
        doc("jan", "放款", day=date(2025, 1, 1)),
        doc("jun", "放款", day=date(2025, 6, 30)),
        doc("jul", "放款", day=date(2025, 7, 1)),
        doc("none", "放款"),
    )
    assert found(engine, "date:2025-01-01..2025-06-30") == {"jan", "jun"}
    assert found(engine, "date:..2025-06-30") == {"jan", "jun"}
    assert found(engine, "date:2025-06-30..") == {"jun", "jul"}
    assert found(engine, "date:2025-07") == {"jul"}
    assert found(engine, "放款 -date:2025") == {"none"}
    assert set(ids(engine.search(DateRange("date", None, None)))) == {"jan", "jun", "jul"}
    assert set(ids(engine.search(DateRange("date", date(2025, 2, 1), date(2025, 1, 1))))) == set()


def test_unknown_fields_in_queries_and_sorts_are_errors(engine: IndexEngine) -> None:
    with pytest.raises(UnknownField):
        engine.search(Field("branch", "x"))
    with pytest.raises(UnknownField):
        engine.search(DateRange("signed", None, date(2025, 1, 1)))
    with pytest.raises(UnknownField):
        engine.search(MatchAll(), sort="-signed")


# --- paging, counts, sorting ------------------------------------------------------------------------------


def test_pages_are_disjoint_and_cover_all_matches(engine: IndexEngine) -> None:
    engine.add([doc(f"m{n:02}", f"授信审批第{n}号" + "审批" * (n % 4)) for n in range(25)])
    engine.add([doc(f"x{n}", "无关文档") for n in range(5)])
    engine.commit()
    query = q("审批")
    pages = [engine.search(query, offset=offset, limit=10) for offset in (0, 10, 20, 30)]
    assert [p.total for p in pages] == [25, 25, 25, 25]
    assert [len(p.hits) for p in pages] == [10, 10, 5, 0]
    all_ids = [i for p in pages for i in ids(p)]
    assert sorted(all_ids) == [f"m{n:02}" for n in range(25)]
    scores = [h.score for p in pages for h in p.hits]
    assert scores == sorted(scores, reverse=True)
    assert engine.count(query) == 25
    assert engine.search(query, limit=0) == SearchResult(total=25, hits=[])
    assert engine.count(MatchAll()) == engine.doc_count() == 30


def test_sort_by_date_both_ways_with_undated_documents_last(engine: IndexEngine) -> None:
    days = {"b": date(2024, 2, 1), "d": date(2025, 12, 31), "a": date(2023, 5, 6), "c": date(2025, 1, 1)}
    engine.add([doc(i, "还款计划", day=d) for i, d in days.items()])
    engine.add([doc("undated", "还款计划")])
    engine.commit()
    oldest_first = engine.search(q("还款"), sort="date")
    assert ids(oldest_first) == ["a", "b", "c", "d", "undated"]
    assert ids(engine.search(q("还款"), sort="-date")) == ["d", "c", "b", "a", "undated"]
    assert ids(engine.search(q("还款"), sort="-date", offset=1, limit=2)) == ["c", "b"]
    assert oldest_first.total == 5
    assert all(h.score == 0.0 for h in oldest_first.hits)
    assert [h.dates["date"] for h in oldest_first.hits] == [*sorted(days.values()), None]


def test_hits_carry_keywords_dates_and_stored_values(engine: IndexEngine) -> None:
    index(
        engine,
        doc(
            "a", "借款合同", borrower="B1", category=["合同", "借款"], day=date(2025, 3, 1), title="借款合同"
        ),
    )
    (hit,) = engine.search(q("借款")).hits
    assert hit.id == "a"
    assert hit.score > 0
    assert hit.keywords == {"borrower": ["B1"], "category": ["合同", "借款"]}
    assert hit.dates == {"date": date(2025, 3, 1)}
    assert hit.stored == {"title": "借款合同"}


def test_a_hit_searched_again_after_the_index_changed_is_the_new_document(engine: IndexEngine) -> None:
    # The first document's segment goes with its deletion, so the new document is where it was: a hit
    # remembered by its place from before the commit would name the old document.
    index(engine, doc("a", "甲方借款", borrower="B1", title="旧"))
    (first,) = engine.search(q("借款")).hits
    assert (first.id, first.stored, first.keywords) == ("a", {"title": "旧"}, {"borrower": ["B1"]})
    engine.delete(["a"])
    engine.commit()
    index(engine, doc("b", "乙方借款", borrower="B2", title="新"))
    (hit,) = engine.search(q("借款")).hits
    assert (hit.id, hit.stored, hit.keywords) == ("b", {"title": "新"}, {"borrower": ["B2"]})
    assert [text for snippet in hit.snippets for text, _ in snippet] == ["乙方", "借款"]


def test_a_reader_sees_another_engines_replacement_of_a_hit(opener: Opener) -> None:
    writer = opener()
    index(writer, doc("a", "甲方借款", title="旧"))
    reader = opener()
    assert [h.stored for h in reader.search(q("借款")).hits] == [{"title": "旧"}]
    writer.delete(["a"])
    writer.commit()
    index(writer, doc("b", "乙方借款", title="新"))
    assert [(h.id, h.stored) for h in reader.search(q("借款")).hits] == [("b", {"title": "新"})]


# --- highlighting -----------------------------------------------------------------------------------------


def marked(engine: IndexEngine, text: str) -> list[str]:
    (hit,) = engine.search(q(text)).hits
    return [segment for snippet in hit.snippets for segment, is_match in snippet if is_match]


def test_snippets_mark_the_query_text(engine: IndexEngine) -> None:
    filler = "本合同由双方协商一致订立。" * 20
    index(engine, doc("a", filler + "借款人张三申请流动资金贷款。" + filler))
    assert marked(engine, "流动资金") == ["流动资金"]
    assert marked(engine, '"张三申请"') == ["张三申请"]
    (hit,) = engine.search(q("流动资金"), highlight=False).hits
    assert hit.snippets == []


def test_a_hit_found_again_is_marked_for_the_query_that_found_it(engine: IndexEngine) -> None:
    index(engine, doc("a", "甲方向乙方借款，乙方为借款人。"))
    assert marked(engine, "借款") == ["借款", "借款"]
    assert marked(engine, "乙方") == ["乙方", "乙方"]
    (hit,) = engine.search(q("借款")).hits
    hit.snippets.clear()  # a caller's own list: the next search's hit is whole
    assert marked(engine, "借款") == ["借款", "借款"]
    assert marked(engine, "甲方 OR 借款人") == ["甲方", "借款人"]


def test_snippets_mark_the_original_text_of_normalised_matches(engine: IndexEngine) -> None:
    index(engine, doc("a", "合同编号ＪＫ２０２６－０００１２３，贷款人中 国 某 某 银 行"))
    assert marked(engine, "JK2026-000123") == ["ＪＫ２０２６－０００１２３"]
    assert marked(engine, "中国某某银行") == ["中 国 某 某 银 行"]


# --- Chinese text, identifiers ----------------------------------------------------------------------------


def test_phrases_of_repeated_tokens_need_every_repetition(engine: IndexEngine) -> None:
    index(engine, doc("a", "他说哈哈哈然后走了"), doc("b", "哈哈，哈哈"), doc("c", "ab ab ab x"))
    assert found(engine, "哈哈哈") == {"a"}
    assert found(engine, "哈哈哈哈") == set()
    assert found(engine, '"哈哈，哈哈"') == {"b"}
    assert found(engine, '"ab ab ab"') == {"c"}
    assert found(engine, '"ab ab ab ab"') == set()


def test_one_character_queries(engine: IndexEngine) -> None:
    index(engine, doc("zhang", "借款人张三"), doc("li", "借款人李四"), doc("lone", "姓名：张"))
    assert found(engine, "张") == {"zhang", "lone"}
    assert found(engine, "四") == {"li"}
    assert found(engine, "王") == set()


def test_full_width_and_half_width_match_each_other(engine: IndexEngine) -> None:
    index(engine, doc("half", "合同编号JK2026-000123"), doc("full", "合同编号ＪＫ２０２６－０００４５６"))
    assert found(engine, "ＪＫ２０２６－０００１２３") == {"half"}
    assert found(engine, "jk2026-000456") == {"full"}
    assert found(engine, "JK2026") == {"half", "full"}


def test_white_space_between_chinese_characters_is_ignored(engine: IndexEngine) -> None:
    index(engine, doc("ocr", "贷 款 人 ： 中 国 某 某 银 行 股 份 有 限 公 司"), doc("other", "中国 工商"))
    assert found(engine, "中国某某银行") == {"ocr"}
    assert found(engine, '"某某银行股份有限公司"') == {"ocr"}
    assert found(engine, "国工") == {"other"}


def test_long_unpunctuated_chinese_sentence_is_found(engine: IndexEngine) -> None:
    sentence = (
        "借款人应当按照本合同约定的用途使用贷款不得挪作他用并应按期足额归还贷款本金和利息以及其他应付款项"
    )
    assert len(sentence.encode()) > 40 * 3
    index(engine, doc("long", sentence), doc("other", "借款人应当按期归还"))
    assert found(engine, sentence) == {"long"}
    assert found(engine, sentence[17:41]) == {"long"}
    assert found(engine, sentence[-12:]) == {"long"}


def test_identity_numbers_and_contract_numbers(engine: IndexEngine) -> None:
    index(
        engine,
        doc("p", "借款人张三，身份证号码11010519491231002X，合同编号JK2026-000123。"),
        doc("q", "借款人李四，身份证号码110105194912310021，合同编号JK2026-000124。"),
        doc("c", "统一社会信用代码91350100M000100Y43"),
    )
    assert found(engine, "11010519491231002X") == {"p"}
    assert found(engine, "11010519491231002x") == {"p"}
    assert found(engine, "110105194912310021") == {"q"}
    assert found(engine, "1101051949123100") == set()  # word runs match whole
    assert found(engine, "JK2026-000123") == {"p"}
    assert found(engine, '"JK2026-000124"') == {"q"}
    assert found(engine, "JK2026") == {"p", "q"}
    assert found(engine, "号码11010519491231002X") == {"p"}
    assert found(engine, "91350100M000100Y43") == {"c"}


# --- persistence, lock, schema marker ---------------------------------------------------------------------


def test_a_reopened_index_keeps_its_documents(opener: Opener) -> None:
    first = opener()
    index(first, doc("a", "贷后检查报告", borrower="B1", day=date(2025, 4, 1)))
    first.close()
    again = opener()
    assert again.doc_count() == 1
    assert found(again, "检查 borrower:B1 date:2025-04") == {"a"}
    index(again, doc("b", "贷后检查报告"))
    assert again.doc_count() == 2


def test_a_second_writer_is_refused_while_the_first_is_open(opener: Opener) -> None:
    writer = opener()
    writer.add([doc("a", "第一个写入者")])
    other = opener()
    with pytest.raises(IndexLocked, match="索引正被"):
        other.add([doc("b", "第二个写入者")])
    with pytest.raises(IndexLocked):
        other.delete(["a"])
    assert other.search(MatchAll()).total == 0  # readers never wait
    writer.commit()
    with pytest.raises(IndexLocked):  # committing keeps the writer
        other.add([doc("b", "第二个写入者")])
    writer.close()
    index(other, doc("b", "第二个写入者"))
    assert found(other, "写入者") == {"a", "b"}


def test_a_waiting_writer_gives_up_after_its_timeout(opener: Opener) -> None:
    writer = opener()
    writer.add([doc("a", "写入")])
    patient = opener(options=EngineOptions(lock_timeout=0.2, writer_heap_mb=50, writer_threads=1))
    with pytest.raises(IndexLocked, match=r"waited 0\.2 s"):
        patient.add([doc("b", "写入")])


def test_a_schema_change_needs_a_rebuild(opener: Opener, engine_name: str, index_dir: Path) -> None:
    index(opener(), doc("a", "旧索引")).close()
    changed = IndexSchema(keyword_fields=("borrower",), date_fields=("date", "signed"))
    assert check_index(engine_name, index_dir, SCHEMA) is None
    reason = check_index(engine_name, index_dir, changed)
    assert reason is not None and "schema" in reason
    with pytest.raises(IndexNeedsRebuild, match="索引需要重建"):
        opener(changed)
    rebuilt = opener(changed, recreate=True)
    assert rebuilt.doc_count() == 0
    index(rebuilt, IndexDoc("a", "新索引", dates={"signed": date(2025, 1, 2)}))
    rebuilt.close()
    reopened = opener(changed)
    assert ids(reopened.search(DateRange("signed", date(2025, 1, 1), None))) == ["a"]
    assert ids(reopened.search(Text("旧索引"))) == []
    assert check_index(engine_name, index_dir, changed) is None


def test_an_analyzer_change_needs_a_rebuild(opener: Opener, engine_name: str, index_dir: Path) -> None:
    opener().close()
    marker_path = index_dir / "engine.json"
    marker = json.loads(marker_path.read_text())
    marker["analyzer"] = "0" * 16
    marker_path.write_text(json.dumps(marker))
    with pytest.raises(IndexNeedsRebuild, match="analyzer"):
        opener()
    marker_path.unlink()
    with pytest.raises(IndexNeedsRebuild, match="no schema marker"):
        opener()
    assert opener(recreate=True).doc_count() == 0


def test_an_index_of_the_other_engine_needs_a_rebuild(
    opener: Opener, engine_name: str, index_dir: Path
) -> None:
    other = next(name for name in ENGINES if name != engine_name)
    index(open_engine(other, index_dir, SCHEMA, options=NO_WAIT), doc("a", "别的引擎")).close()
    with pytest.raises(IndexNeedsRebuild, match="engine"):
        opener()
    rebuilt = opener(recreate=True)
    assert rebuilt.doc_count() == 0
    assert {p.name for p in index_dir.iterdir()} >= {"engine.json", "writer.lock"}


def test_recreate_refuses_a_directory_that_is_not_an_index(opener: Opener, index_dir: Path) -> None:
    index_dir.mkdir()
    (index_dir / "notes.txt").write_text("not an index")
    with pytest.raises(EngineError, match="not an index directory"):
        opener(recreate=True)
    assert (index_dir / "notes.txt").read_text() == "not an index"


def test_recreate_waits_for_the_writer_lock(opener: Opener) -> None:
    writer = opener()
    writer.add([doc("a", "写入中")])
    with pytest.raises(IndexLocked):
        opener(recreate=True)
    writer.close()
    assert opener(recreate=True).doc_count() == 0


def test_date_bounds_beyond_what_an_engine_stores_do_not_fail(opener: Opener) -> None:
    # Found by schemathesis: `from=2263-01-01` made tantivy raise instead of finding nothing.
    engine = opener()
    index(engine, doc("a", "借款合同", day=date(2026, 3, 18)))
    for start, end, hits in (
        (date(2263, 1, 1), None, 0),
        (None, date(1500, 1, 1), 0),
        (date(1, 1, 1), date(9999, 12, 31), 1),
    ):
        assert engine.search(DateRange("date", start, end), offset=0, limit=5).total == hits


# --- identifiers split by line breaks, spaces and page breaks ---------------------------------------------

# Every kind of identifier a credit file holds, with the words before it in a document.
SPLIT_IDENTIFIERS = {
    "resident-id": ("借款人陈志远，居民身份证号码", "11010519491231002X"),
    "credit-code": ("统一社会信用代码：", "91350205MA2XK7Q396"),
    "contract": ("借款合同编号", "JK2026-000318"),
    "receipt": ("借据编号：", "JJ2026-000318-01"),
    "mobile": ("联系电话 ", "13906001234"),
    "e-mail": ("电子邮箱：", "chenzy@example.com"),
    "account-19": ("还款账号", "6222021001123456789"),
    "account-16": ("入账卡号：", "6228480402564890"),
}
# What a PDF's text layer, a scan's OCR or a justified line puts inside an identifier; PAGE_BREAK is how
# extraction joins pages (a page ending in a line end, too).
SOFT_BREAKS = {
    "lf": "\n",
    "crlf": "\r\n",
    "space": " ",
    "2spaces": "  ",
    "page": PAGE_BREAK,
    "lf-page": "\n" + PAGE_BREAK,
}
# Documents holding the pieces of 91350205MA2XK7Q396 (or of 13906001234) but not the identifier.
PIECES_ELSEWHERE = {
    "comma": "代码91350205，另见MA2XK7Q396。",
    "word-between": "code 91350205 and MA2XK7Q396",
    "reversed": "MA2XK7Q396\n91350205",
    "paragraphs-apart": "91350205\n\n\n\nMA2XK7Q396",
    "three-spaces": "91350205   MA2XK7Q396",
    "cjk-between": "91350205号MA2XK7Q396",
    "longer-run": "X91350205\nMA2XK7Q396",
    "phone-apart": "电话139，0600，1234；13906001235",
}


def split_documents() -> dict[str, tuple[str, str, str]]:
    """id → (identifier, how the document shows it, the document's text), split at every position."""
    docs: dict[str, tuple[str, str, str]] = {}
    for kind, (before, identifier) in SPLIT_IDENTIFIERS.items():
        for at in range(1, len(identifier)):
            for name, soft in SOFT_BREAKS.items():
                shown = identifier[:at] + soft + identifier[at:]
                docs[f"{kind}-{at}-{name}"] = (identifier, shown, f"{before}{shown}，签订日期2026年3月18日。")
    return docs


SPLIT_DOCUMENTS = split_documents()


@pytest.fixture(scope="module", params=ENGINES)
def split_index(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IndexEngine]:
    engine = open_engine(
        request.param, tmp_path_factory.mktemp(f"split-{request.param}"), SCHEMA, options=NO_WAIT
    )
    engine.add(doc(doc_id, text) for doc_id, (_, _, text) in SPLIT_DOCUMENTS.items())
    engine.add(doc(f"elsewhere-{name}", text) for name, text in PIECES_ELSEWHERE.items())
    engine.commit()
    yield engine
    engine.close()


def test_the_split_corpus_splits_every_identifier_everywhere() -> None:
    assert len(SPLIT_DOCUMENTS) == sum(len(i) - 1 for _, i in SPLIT_IDENTIFIERS.values()) * len(SOFT_BREAKS)
    assert all(identifier not in text for identifier, _, text in SPLIT_DOCUMENTS.values())


@pytest.mark.parametrize("kind", SPLIT_IDENTIFIERS)
def test_a_split_identifier_is_found_by_its_whole_form(split_index: IndexEngine, kind: str) -> None:
    _, identifier = SPLIT_IDENTIFIERS[kind]
    expected = {i for i, (ident, _, _) in SPLIT_DOCUMENTS.items() if ident == identifier}
    for text in (identifier, f'"{identifier}"', identifier.lower(), identifier.translate(FULL_WIDTH)):
        assert found(split_index, text) == expected, (
            split_index.name,
            text,
            expected - found(split_index, text),
        )


@pytest.mark.parametrize("kind", SPLIT_IDENTIFIERS)
def test_highlights_mark_the_whole_split_identifier(split_index: IndexEngine, kind: str) -> None:
    _, identifier = SPLIT_IDENTIFIERS[kind]
    result = split_index.search(q(identifier), limit=1000)
    assert result.hits
    for hit in result.hits:
        _, shown, _ = SPLIT_DOCUMENTS[hit.id]
        marks = [segment for snippet in hit.snippets for segment, is_match in snippet if is_match]
        # snippets show white space collapsed to one space
        assert marks == [" ".join(shown.split())], (split_index.name, hit.id, marks)


def test_pieces_apart_are_not_the_identifier(split_index: IndexEngine) -> None:
    elsewhere = {f"elsewhere-{name}" for name in PIECES_ELSEWHERE}
    assert not found(split_index, "91350205MA2XK7Q396") & elsewhere
    assert not found(split_index, "13906001234") & elsewhere
    # the pieces themselves are still found where they stand
    assert found(split_index, "MA2XK7Q396") >= elsewhere - {"elsewhere-phone-apart"}
    assert found(split_index, "0600") == {
        "elsewhere-phone-apart"
    }  # a mobile split once never leaves it alone
