"""Jobs that write a file for a person: a borrower's volume, an export bundle; and the full reindex.

The output path is the caller's, on a folder every worker host shares (outside the archive home, as the
commands require). A retried job writes the same file again (overwriting its own earlier, partial try), so
each is idempotent; the reindex is resumable by design (search.indexing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dossier.jobs.definitions import Work


def volume_job(work: Work) -> dict[str, Any]:
    from dossier.archive.volume import build_volume

    p = work.params
    work.progress(0, 1)
    output = Path(str(p["output"]))
    loan = p.get("loan")
    result = build_volume(
        work.archive, str(p["borrower"]), output, loan=loan, actor=work.actor, overwrite=True
    )
    work.progress(1, 1)
    return {"path": str(result.path), "documents": result.documents, "pages": result.pages}


def export_job(work: Work) -> dict[str, Any]:
    from dossier.archive.export import export_borrower

    p = work.params
    work.progress(0, 1)
    result = export_borrower(
        work.archive, str(p["borrower"]), Path(str(p["output"])), actor=work.actor, overwrite=True
    )
    work.progress(1, 1)
    return {"path": str(result.path), "documents": result.documents, "events": result.events}


def reindex_job(work: Work) -> dict[str, Any]:
    from dossier.search.index_place import IndexPlace
    from dossier.search.indexing import Indexer

    report = Indexer(IndexPlace(work.archive)).rebuild(progress=work.progress)
    return {"indexed": report.indexed, "failed": report.failed, "remaining": report.remaining}
