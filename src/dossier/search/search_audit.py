"""The audit trail of searches: who searched for what, with which filters, and how many hits came back.

Each search run for a person is one ``search`` event in the archive's audit chain; a filter that names
one borrower files the event under that borrower, so the borrower's history shows who looked. With
``batches`` (the service's) the event is group-committed with concurrent searches' events, or committed
at once by a caller that must not wait (audit_batches.py); either way it is committed before the search
answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import EventDraft, append_events
from dossier.archive.audit_context import request_details
from dossier.archive.catalog.models import Borrower
from dossier.archive.home import Archive
from dossier.search.audit_batches import EventBatches, EventWrite

if TYPE_CHECKING:
    from dossier.search.querying import SearchPage

TARGET_CHARS = 300


def search_event(page: SearchPage, actor: str, extra: dict[str, Any]) -> EventWrite:
    """The write of the ``search`` event for ``page`` (query, filters, hit count, plus ``extra``), with
    the request details of the calling request, taken now."""
    details = {
        # Taken here, in the searching request: a batch commits in another request's thread.
        **request_details(),
        "query": page.query,
        "filters": page.filters,
        "hits": page.total,
        "returned": len(page.hits),
        "offset": page.offset,
        "limit": page.limit,
        "engine": page.engine,
        **extra,
    }
    target = f"search:{page.query}"[:TARGET_CHARS]
    wanted = page.filters.get("borrower")

    def log(session: Session) -> None:
        # append_events: nothing here reads the event as written (append_event returns it built as an
        # ORM object).
        key = _borrower_key(session, wanted) if wanted else None
        append_events(session, [EventDraft(actor, "search", target, key, details)])

    return log


def log_search(
    archive: Archive,
    page: SearchPage,
    actor: str,
    extra: dict[str, Any],
    *,
    batches: EventBatches | None = None,
) -> None:
    """Append the ``search`` event for ``page``; committed when this returns."""
    write = search_event(page, actor, extra)
    if batches is None:
        archive.transaction(write)
    else:
        batches.append(write)


def _borrower_key(session: Session, wanted: str) -> str | None:
    """The key of the borrower a filter names (by key, or by a name only one borrower has)."""
    keys = session.execute(
        select(Borrower.key).where((Borrower.key == wanted) | (Borrower.name == wanted)).limit(2)
    ).scalars()
    found = list(keys)
    return found[0] if len(found) == 1 else None
