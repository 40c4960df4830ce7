"""Every state a crash can leave the journal in, made with the real steps stopped half-way, then
settled by the next start (the watcher in this process, ``once``): no file lost, none filed twice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kit.inbox_samples import (
    COMPANY,
    PERSON,
    Home,
    documents,
    id_card_pdf,
    items,
    license_pdf,
    make_home,
    processing,
)

from dossier.durable import file_sha256 as sha256_file
from dossier.inbox import pipeline, quarantine
from dossier.inbox.claim import Candidate, claim, claim_name, claimed_path, processing_dir
from dossier.inbox.journal import Item, now
from dossier.inbox.pipeline import ITEM_STEPS, Context, Work
from dossier.inbox.stability import ignore_lease_breaks, look
from dossier.inbox.watcher import Watcher


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path, quiet=0.0)


def _arrive(ctx: Context, relative: str) -> Item:
    ids = ctx.journal.arrive([(relative, now())])
    return Item(id=ids[relative], path=relative, name=Path(relative).name, step="arrived", arrived_at=now())


def _claimed(ctx: Context, relative: str, content: bytes) -> Item:
    path = ctx.archive.inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    item = _arrive(ctx, relative)
    snapshot = look(path)
    assert snapshot is not None
    (claimed,) = claim(ctx.archive, ctx.journal, [Candidate(item, snapshot)])
    return claimed


def _steps(ctx: Context, item: Item, upto: str) -> Work:
    """Run the item's steps up to and including ``upto``, as the pipeline would, then stop (a crash)."""
    path = claimed_path(ctx.archive, item)
    assert path is not None
    work = Work(item, path)
    for step in ITEM_STEPS:
        if step.able_to_run(work):
            try:
                step.setup(ctx, work)
                step.run(ctx, work)
            finally:
                step.cleanup(ctx, work)
        if step.name == upto:
            break
    return work


def _interrupted_filing(ctx: Context, item: Item) -> None:
    """file_document's first two stages (temporary copy, pending row), as a filer killed right after them
    leaves things; `dossier repair`, which the watcher runs at start, settles them."""
    from dossier.archive import filing
    from dossier.archive.registry import find_borrower

    archive = ctx.archive
    source = claimed_path(archive, item)
    assert source is not None and item.borrower_key is not None and item.sha256 is not None
    borrower = archive.transaction(lambda s: find_borrower(s, item.borrower_key), write=False)
    folder = archive.category_folder(borrower, item.category or "basic")
    filing.make_folder(archive, folder)
    temp = filing._write_temp(folder, source)
    facts = {
        "category": item.category,
        "doc_type": item.doc_type,
        "title": "pending",
        "doc_date": None,
        "sha256": temp.sha256,
        "size": temp.size,
        "media_type": "application/pdf",
        "pages": 1,
        "original_name": item.name,
        "source": "ingested",
        "actor": "inbox",
        "loan_id": None,
    }
    extra = {"inbox": {"item": item.id}}
    key = item.borrower_key
    archive.transaction(
        lambda s: filing._reserve(archive, s, key, folder, "pending", ".pdf", facts, extra, temp, None)
    )


def _restart(home: Home) -> None:
    with home.archive() as archive:
        Watcher(archive, once=True).run()


def test_each_crash_state_is_finished_by_the_next_start(home: Home) -> None:
    with home.archive() as archive:
        ctx = Context.for_archive(archive)
        # 1. The claim name committed, the rename not done: the file is still in the inbox.
        intent = _arrive(ctx, "a/intent.pdf")
        (archive.inbox / "a").mkdir()
        (archive.inbox / "a/intent.pdf").write_bytes(license_pdf(serial="intent"))
        ctx.journal.record(intent, [], claim=claim_name(intent.id))
        # 2. Renamed into the processing area, "stable" not yet committed.
        renamed = _arrive(ctx, "renamed.pdf")
        (archive.inbox / "renamed.pdf").write_bytes(license_pdf(serial="renamed"))
        ctx.journal.record(renamed, [], claim=claim_name(renamed.id))
        processing_dir(archive).mkdir(parents=True, exist_ok=True)
        os.rename(archive.inbox / "renamed.pdf", processing_dir(archive) / claim_name(renamed.id))
        # 3. Analysed up to "matched", not filed (the analysis is committed with the filing: nothing yet).
        _steps(ctx, _claimed(ctx, "matched.pdf", license_pdf(serial="matched")), "matched")
        # 4. Filed, neither indexed nor removed.
        filed = _claimed(ctx, f"{PERSON}/身份证/filed.pdf", id_card_pdf(serial="filed"))
        assert _steps(ctx, filed, "filed").outcome == "filed"
        # 5. Filed and removed from the processing area, "removed" not committed.
        removed = _claimed(ctx, "removed.pdf", license_pdf(serial="removed"))
        _steps(ctx, removed, "filed")
        claimed_path(archive, removed).unlink()  # type: ignore[union-attr]
        # 6. Sent to quarantine: target recorded, the file not moved yet.
        stray = _claimed(ctx, "stray.pdf", b"%PDF-1.7 nothing to see")
        stray_path = claimed_path(archive, stray)
        ctx.journal.record(
            stray,
            [],
            quarantine_path=f"_quarantine/{quarantine.quarantine_name(stray)}",
            reason="unsupported-format",
            details={"quarantine": {"item": stray.id, "reason": "unsupported-format", "message": "m"}},
        )
        # 7. Being given back to the inbox: linked there, the processing name not yet removed.
        back = _claimed(ctx, "back.pdf", license_pdf(serial="back"))
        os.link(claimed_path(archive, back), archive.inbox / "back.pdf")  # type: ignore[arg-type]
        # 8. A filing interrupted inside file_document, after its pending row was committed.
        pending = _claimed(ctx, "pending.pdf", license_pdf(serial="pending"))
        _interrupted_filing(ctx, _steps(ctx, pending, "matched").item)

    _restart(home)

    rows = {r.name: r for r in items(home) if r.outcome is not None}
    assert rows["intent.pdf"].outcome == "filed"
    assert rows["renamed.pdf"].outcome == "filed" and rows["renamed.pdf"].steps["stable"]["recovered"]
    assert rows["matched.pdf"].outcome == "filed" and rows["matched.pdf"].steps["matched"]["rule"]
    assert rows["filed.pdf"].outcome == "filed"
    assert rows["removed.pdf"].outcome == "filed"
    assert rows["stray.pdf"].outcome == "quarantined"
    assert (home.quarantine / quarantine.quarantine_name(Item.of(rows["stray.pdf"]))).exists()
    assert stray_path is not None and not stray_path.exists()
    assert rows["pending.pdf"].outcome == "filed"
    back_rows = sorted((r.id, r.outcome) for r in items(home) if r.name == "back.pdf")
    assert [o for _, o in back_rows] == ["returned", "filed"]  # given back, then taken as a new arrival

    contents = [d.sha256 for d in documents(home)]
    assert len(contents) == len(set(contents)) == 7
    assert processing(home) == [] and not [p for p in home.inbox.rglob("*") if p.is_file()]
    with home.archive() as archive:
        from dossier.archive.integrity import verify_archive

        assert verify_archive(archive, record=False).ok


def test_a_claimed_copy_of_a_closed_item_is_removed_at_start(home: Home) -> None:
    with home.archive() as archive:
        ctx = Context.for_archive(archive)
        item = _claimed(ctx, f"{COMPANY}/a.pdf", license_pdf(serial="leftover"))
        work = pipeline.run(ctx, item)
        assert work.outcome == "filed"
        pipeline.index_and_remove(ctx, [work.item], drain=None)
        # As if the removal had been undone by a crash between the unlink and its commit: put a copy back.
        leftover = processing_dir(archive) / claim_name(item.id)
        document = documents(home)[0]
        leftover.write_bytes((home.path / document.path).read_bytes())
    _restart(home)
    assert not leftover.exists() and len(documents(home)) == 1


def test_a_file_still_written_after_its_claim_waits_and_is_filed_whole(home: Home) -> None:
    assert ignore_lease_breaks()  # leases on: the probe sees this very process writing
    with home.archive() as archive:
        ctx = Context.for_archive(archive)
        item = _claimed(ctx, f"{COMPANY}/growing.pdf", license_pdf(serial="part"))
        path = claimed_path(archive, item)
        assert path is not None
        with open(path, "ab") as writer:  # a writer that kept its descriptor across the rename
            writer.write(b"\n% more")
            writer.flush()
            assert pipeline.run(ctx, item).outcome == "retry"
        digest = sha256_file(path)
        assert pipeline.run(ctx, item).outcome == "filed"
    assert documents(home)[0].sha256 == digest
