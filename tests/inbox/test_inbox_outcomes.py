"""Outcomes and step results are types: an interrupted filing is told by its class (FilingInterrupted),
not its wording; the journal's JSON reads back as the step dataclasses; the stored words stay the same."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from kit.inbox_samples import COMPANY, Home, documents, items, license_pdf, make_home
from sqlalchemy import update

from dossier.archive.catalog.models import Document
from dossier.archive.filing import file_document
from dossier.errors import FilingInterrupted
from dossier.inbox import pipeline
from dossier.inbox.claim import Candidate, claim
from dossier.inbox.facts import FiledStep, FilingStatus, IndexedStep, MatchedStep
from dossier.inbox.journal import Item, now
from dossier.inbox.outcome import Outcome
from dossier.inbox.pipeline import Context
from dossier.inbox.stability import look

SRC = Path(__file__).resolve().parents[2] / "src" / "dossier"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path, quiet=0.0)


def _claimed(ctx: Context, relative: str, content: bytes) -> Item:
    path = ctx.archive.inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    ids = ctx.journal.arrive([(relative, now())])
    item = Item(id=ids[relative], path=relative, name=path.name, step="arrived", arrived_at=now())
    snapshot = look(path)
    assert snapshot is not None
    (claimed,) = claim(ctx.archive, ctx.journal, [Candidate(item, snapshot)])
    return claimed


def _set_state(ctx: Context, document_id: int, state: str) -> None:
    ctx.archive.transaction(
        lambda s: s.execute(update(Document).where(Document.id == document_id).values(state=state))
    )


def test_an_interrupted_filing_is_retried_by_its_type_then_settles_as_a_duplicate(
    home: Home, tmp_path: Path
) -> None:
    content = license_pdf(serial="interrupted")
    with home.archive() as archive:
        ctx = Context.for_archive(archive)
        first = _claimed(ctx, f"{COMPANY}/first.pdf", content)
        assert pipeline.run(ctx, first).outcome is Outcome.FILED
        pipeline.index_and_remove(ctx, [first], drain=None)
        (document,) = documents(home)
        # As a crash half-way through a filing leaves it: the row reserved, not yet filed.
        _set_state(ctx, document.id, "pending")

        loose = tmp_path / "again.pdf"
        loose.write_bytes(content)
        with pytest.raises(FilingInterrupted) as raised:
            assert first.category and first.doc_type
            file_document(
                archive,
                loose,
                borrower_key=COMPANY,
                category=first.category,
                doc_type=first.doc_type,
                title="营业执照",
            )
        assert "interrupted (同一内容的归档曾中断)" in str(raised.value)  # the words users see, unchanged

        second = _claimed(ctx, f"{COMPANY}/second.pdf", content)
        work = pipeline.run(ctx, second)
        assert work.outcome is Outcome.RETRY  # not quarantined as "filing-failed"
        assert work.retry_reason is not None and "dossier repair" in work.retry_reason
        assert not list(home.quarantine.glob("*"))

        _set_state(ctx, document.id, "filed")  # what `dossier repair` finishes
        work = pipeline.run(ctx, work.item)
        assert work.outcome is Outcome.DUPLICATE
        filed = FiledStep.of(work.item)
        assert filed.duplicate and filed.status is FilingStatus.DUPLICATE and filed.document_id == document.id
        assert filed.outcome is Outcome.DUPLICATE and not filed.needs_index
        pipeline.index_and_remove(ctx, [work.item], drain=None)

    rows = {row.name: row for row in items(home)}
    # The journal keeps the words it always stored: the StrEnum's values, not its names.
    assert rows["first.pdf"].outcome == "filed" and rows["second.pdf"].outcome == "duplicate"
    assert rows["second.pdf"].steps["filed"]["status"] == "duplicate"
    first_filed = FiledStep.of(Item.of(rows["first.pdf"]))
    assert first_filed.status is FilingStatus.FILED and first_filed.needs_index
    assert first_filed.path is not None and first_filed.path.endswith(".pdf")
    assert IndexedStep.of(Item.of(rows["first.pdf"])).searchable is False  # no drain: waits in the outbox
    assert MatchedStep.of(Item.of(rows["first.pdf"])).borrower_key == COMPANY


def test_the_journal_closes_rows_only_with_closing_outcomes(home: Home) -> None:
    with home.archive() as archive:
        ctx = Context.for_archive(archive)
        item = _claimed(ctx, f"{COMPANY}/a.pdf", license_pdf(serial="close"))
        with pytest.raises(ValueError, match="not an outcome"):
            ctx.journal.close(item, Outcome.RETRY, {})
        ctx.journal.close(item, Outcome.LOST, {"why": "test"})
    (row,) = items(home)
    assert row.outcome == "lost" and Outcome(row.outcome) is Outcome.LOST


def test_a_step_not_yet_recorded_reads_as_empty_facts(home: Home) -> None:
    with home.archive() as archive:
        ctx = Context.for_archive(archive)
        item = _claimed(ctx, f"{COMPANY}/b.pdf", license_pdf(serial="empty"))
    filed = FiledStep.of(item)
    assert filed == FiledStep() and not filed.duplicate and not filed.needs_index


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_pipeline_does_not_import_the_upload_that_uses_it() -> None:
    assert "dossier.inbox.pipeline" in _imports(SRC / "inbox" / "upload.py")
    assert not {n for n in _imports(SRC / "inbox" / "pipeline.py") if n.startswith("dossier.inbox.upload")}


def test_no_inbox_module_compares_outcomes_as_words() -> None:
    """The inbox's outcomes are members of Outcome: no ``== "retry"`` or ``.get("status") == ...`` left."""
    words = {o.value for o in Outcome}
    found = []
    for path in (SRC / "inbox").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                sides = (node.left, *node.comparators)
                if any(isinstance(side, ast.Attribute) and side.attr == "state" for side in sides):
                    continue  # a document's state ("filed"), not an inbox outcome
                for side in sides:
                    if isinstance(side, ast.Constant) and side.value in words:
                        found.append(f"{path.name}:{node.lineno} compares with {side.value!r}")
    assert found == []
