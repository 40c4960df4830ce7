"""Reading PDFs that may be damaged: pypdf kept quiet, and a page count that is only informative."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def quiet_pypdf() -> Iterator[None]:
    """pypdf logs every repair it makes on a damaged file; the outcome is reported, not the log."""
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def page_count(path: Path) -> int | None:
    """The PDF's page count, None when pypdf cannot read it (a damaged PDF is still filed)."""
    from pypdf import PdfReader  # only filings of PDFs pay for the import

    with quiet_pypdf():
        try:
            return len(PdfReader(path).pages)
        except Exception:  # pypdf raises many types on damaged or hostile files
            return None
