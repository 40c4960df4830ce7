"""Where uploads wait in the inbox: ``_inbox/.uploads/<owner>-<token>/<hint folders>/<name>``.

A hidden folder, so the watcher never takes an upload; the hint folders count as evidence exactly as
inbox folders do (:func:`staged_folders` leaves the two staging levels out). Both the upload (which
writes there) and the pipeline (which reads the evidence) use it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

UPLOADS = ".uploads"


def staged_folders(path: str) -> list[str]:
    """The evidence folders of an inbox path: the staging levels of an upload left out."""
    parts = path.split("/")[:-1]
    return parts[2:] if parts and parts[0] == UPLOADS else parts


def remove_staging(inbox: Path, relative: str) -> None:
    """An upload's staging folder (``relative``: a path inside it, relative to the inbox), gone."""
    parts = relative.split("/")
    if len(parts) >= 2 and parts[0] == UPLOADS:
        shutil.rmtree(inbox / UPLOADS / parts[1], ignore_errors=True)
