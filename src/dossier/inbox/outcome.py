"""How a file's way through the inbox ends, and where one run of the pipeline leaves it.

A StrEnum: the journal's ``outcome`` column, the step names it records the closing under, the audit
events and the API's JSON keep exactly the words they always had.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    # How the journal closes a row (its ``outcome`` column).
    FILED = "filed"
    DUPLICATE = "duplicate"
    """The content is already in the archive (or already waits in quarantine)."""
    QUARANTINED = "quarantined"
    ASSIGNED = "assigned"
    """Filed from quarantine by someone (``dossier quarantine assign``)."""
    RETURNED = "returned"
    """Given back to the inbox (the watcher stopped)."""
    GONE = "gone"
    """Taken away before it was claimed."""
    LOST = "lost"
    """The claimed copy is missing."""

    # Where one run of the pipeline left an item (``pipeline.Work.outcome``), never stored.
    RETRY = "retry"
    """Not now: left claimed at its step, tried again later."""
    KEPT = "kept"
    """Could not be given back; left claimed until the next start."""
    CLOSED = "closed"
    """Done without indexing or removal (``Work.closed_as`` says how: quarantined, duplicate, lost)."""
    PENDING = "pending"
    """Not closed yet (an upload whose row is still open)."""

    @property
    def closes(self) -> bool:
        """Whether the journal may close a row with it."""
        return self in _CLOSING

    @property
    def archived(self) -> bool:
        """Filed by the pipeline (a new document or one already holding the content): to be indexed and
        the claimed copy removed."""
        return self in _ARCHIVED


_CLOSING = frozenset(
    {
        Outcome.FILED,
        Outcome.DUPLICATE,
        Outcome.QUARANTINED,
        Outcome.ASSIGNED,
        Outcome.RETURNED,
        Outcome.GONE,
        Outcome.LOST,
    }
)
_ARCHIVED = frozenset({Outcome.FILED, Outcome.DUPLICATE})
