"""Uploaded evidence files kept in a private temporary folder, with bounded memory and a size limit,
until the core has filed them; the folder is removed afterwards whatever happened."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fastapi import HTTPException, UploadFile

from dossier.archive.names import check_name
from dossier.errors import DossierError
from dossier.inbox.upload import TooLarge, copy_limited


@contextmanager
def saved(files: Sequence[UploadFile], max_bytes: int) -> Iterator[list[tuple[Path, str]]]:
    """Each upload as (a path on disk, the name it was sent with)."""
    folder = Path(tempfile.mkdtemp(prefix="dossier-upload-"))
    try:
        kept: list[tuple[Path, str]] = []
        for number, upload in enumerate(files):
            if not upload.filename:
                continue
            try:
                name = check_name(upload.filename, ("evidence file name", "证据文件名"), max_chars=200)
            except DossierError as exc:
                raise HTTPException(422, str(exc)) from None
            target = folder / f"{number:03d}{Path(name).suffix}"
            with target.open("xb") as out:
                try:
                    copy_limited(upload.file, out, max_bytes, what=f"evidence (证据) {name!r}")
                except TooLarge as exc:
                    raise HTTPException(413, str(exc)) from None
            kept.append((target, name))
        yield kept
    finally:
        shutil.rmtree(folder, ignore_errors=True)
