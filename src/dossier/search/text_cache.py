"""The extracted text of each file, kept by content hash: ``.dossier/text/<sha256>.txt`` and ``.json``.

A cache, not a record: deleting the folder costs a re-extraction, nothing else. It lets `dossier reindex`
rebuild the index without reading a single PDF again and keeps OCR text (minutes of work) out of the
index's reach. The ``.json`` beside each text says what the text is worth (status, flags, error) and how
long it is; it is written last, so a text without a matching ``.json`` is treated as absent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from dossier.durable import write_atomic
from indexer.extract.result import Extraction

FORMAT = 1
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class CachedText:
    text: str
    status: str
    """``ok``, ``partial``, ``needs-ocr`` or ``error`` (indexer.extract.result)."""
    flags: tuple[str, ...] = ()
    error: str | None = None
    pages: int | None = None
    media_type: str = ""

    @classmethod
    def from_extraction(cls, result: Extraction) -> CachedText:
        return cls(
            text=result.text,
            status=result.status,
            flags=tuple(result.flags),
            error=result.error,
            pages=result.pages,
            media_type=result.media_type,
        )

    @property
    def needs_ocr(self) -> bool:
        return self.status == "needs-ocr" or "needs-ocr" in self.flags

    def summary(self) -> dict[str, object]:
        """What the catalog records on the document: details["text"]."""
        info: dict[str, object] = {"status": self.status, "flags": list(self.flags), "chars": len(self.text)}
        if self.error:
            info["error"] = self.error
        return info


class TextCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, sha256: str) -> tuple[Path, Path]:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 digest (不是有效的 SHA-256 摘要): {sha256!r}")
        return self.folder / f"{sha256}.txt", self.folder / f"{sha256}.json"

    def get(self, sha256: str) -> CachedText | None:
        text_path, meta_path = self._paths(sha256)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            text = text_path.read_text(encoding="utf-8")
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("chars") != len(text):
            return None
        return CachedText(
            text=text,
            status=str(meta.get("status", "ok")),
            flags=tuple(meta.get("flags") or ()),
            error=meta.get("error"),
            pages=meta.get("pages"),
            media_type=str(meta.get("media_type", "")),
        )

    def put(self, sha256: str, cached: CachedText) -> None:
        text_path, meta_path = self._paths(sha256)
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "status": cached.status,
            "flags": list(cached.flags),
            "error": cached.error,
            "pages": cached.pages,
            "media_type": cached.media_type,
            "chars": len(cached.text),
        }
        # The .json goes first out of the way: a crash between the two writes leaves no stale pair.
        meta_path.unlink(missing_ok=True)
        write_atomic(text_path, cached.text.encode("utf-8"))
        write_atomic(meta_path, json.dumps(meta, ensure_ascii=False).encode("utf-8"))

    def drop(self, sha256: str) -> None:
        for path in self._paths(sha256):
            path.unlink(missing_ok=True)
