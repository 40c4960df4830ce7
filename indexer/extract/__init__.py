"""Text from the files of an archive: PDF, DOCX, plain text; images and scans flagged for OCR.

    extract(source, *, media_type=None, name=None, limits=None, ocr=False) -> Extraction
    extract_guarded(source, *, timeout_s=60, memory_mb=1024, **kw) -> Extraction   (in a child process)
    ocr_available() -> bool;  ocr_file(path, *, lang="chi_sim", timeout=900) -> str

The content decides the format (sniff.py); every file ends as text, as ``needs-ocr`` or as an error with
a bilingual reason (result.py lists statuses and flags), never as an exception. Use extract_guarded for
files from outside: it bounds time and memory, which extract() alone cannot.
"""

from indexer.extract.core import extract
from indexer.extract.guard import extract_guarded
from indexer.extract.ocr import OcrError, ocr_available, ocr_file
from indexer.extract.result import PAGE_BREAK, Extraction, Limits, Status
from indexer.extract.sniff import sniff

__all__ = [
    "PAGE_BREAK",
    "Extraction",
    "Limits",
    "OcrError",
    "Status",
    "extract",
    "extract_guarded",
    "ocr_available",
    "ocr_file",
    "sniff",
]
