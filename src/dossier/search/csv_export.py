"""The audit export of a search: one CSV row per hit, for the auditor's working papers."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from dossier.cells import csv_row
from dossier.search.marking import marked
from dossier.search.querying import SearchHit

COLUMNS = ("id", "borrower_key", "borrower_name", "title", "date", "path", "sha256", "snippet")
SNIPPET_JOIN = " "
"""Snippets already carry an ellipsis where the text is cut."""


def write_csv(hits: Iterable[SearchHit], out: TextIO) -> int:
    """Write the header and one row per hit (snippets joined, matches in 【】); the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(csv_row(COLUMNS))
    count = 0
    for hit in hits:
        writer.writerow(
            csv_row(
                (
                    hit.document_id,
                    hit.borrower_key,
                    hit.borrower_name,
                    hit.title,
                    hit.doc_date.isoformat() if hit.doc_date else "",
                    hit.path or "",
                    hit.sha256 or "",
                    SNIPPET_JOIN.join(marked(s) for s in hit.snippets),
                )
            )
        )
        count += 1
    return count
