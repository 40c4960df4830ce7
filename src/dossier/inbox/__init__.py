"""The inbox watcher: supporting documents dropped into ``<home>/_inbox/`` filed into the right
borrower's archive and category, exactly once, or put in ``_quarantine/`` with the reason.

    watcher.py     the loop: events as hints, scans as the truth, claim, pipeline, stop cleanly
    stability.py   when a file is complete: quiet period, second look, no writer (lease or /proc)
    claim.py       the atomic rename into ``.dossier/state/processing/`` and its crash recovery
    journal.py     each file's steps in the catalog (``inbox_items``), resumable after a crash
    outcome.py     how a file's way ends (``Outcome``, a StrEnum: the journal's stored words)
    facts.py       what each step records in ``steps``, one frozen dataclass per step
    pipeline.py    the steps: hashed → extracted → classified → matched → filed → indexed → removed
    classify.py    document type and category: folder, file name, keyword rules (inbox_rules.yaml)
    match.py       the borrower: folder, identifiers in the name, identifiers in the text
    quarantine.py  what cannot be decided, with a JSON reason; list and assign
    upload.py      one uploaded file through the steps now (the service's upload), via staging.py
    settings.py    the [inbox] table

``Watcher(archive).run()`` (or ``dossier watch``) runs it; ``quarantine.entries`` and
``quarantine.assign`` back ``dossier quarantine list | assign``.
"""

from dossier.inbox.settings import InboxSettings, inbox_settings

__all__ = ["InboxSettings", "inbox_settings"]
