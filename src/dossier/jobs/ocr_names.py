"""Names the OCR job shares with those who dispatch it: its subject and the give-up flag."""

from __future__ import annotations

OCR_FAILED = "ocr-failed"
"""Flag on a document whose OCR ran out of attempts (never dispatched again by itself)."""


def subject(document_id: int) -> str:
    return f"document:{document_id}"
