"""Media evidence: photos, video and audio filed as they are, with the facts their headers hold.

    read_media(path) -> dict | None     kind, media type and metadata, or None for a file that is no media
    media_kind(media_type)              photo / video / audio / None
    media_settings(config)              [media]: max_file_bytes, inbox_formats

Only headers are read (Pillow opens images lazily; MP4 boxes are seeked past; AMR is read in chunks), so
memory stays bounded whatever the size. Files are never transcoded or altered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dossier.media.av import av_metadata
from dossier.media.media_types import MEDIA_TYPES, MediaKind, media_kind
from dossier.media.photo import ImageTooLarge, photo_metadata
from dossier.media.settings import MediaSettings, media_settings
from indexer.extract.sniff import read_head, sniff_head

_HEAD = 64


def sniff_media(path: Path) -> str | None:
    """The file's media type by content when it is a photo, video or audio format, else None."""
    detected = sniff_head(read_head(path, _HEAD))
    return detected if detected in MEDIA_TYPES else None


def read_media(path: Path, settings: MediaSettings | None = None) -> dict[str, Any] | None:
    """``{"kind", "media_type", ...metadata}`` for a photo, video or audio file; None for other files.

    Never raises for a damaged file: what cannot be read is reported under ``error``. A photo above
    [media].max_image_pixels raises ImageTooLarge (a DossierError): the archive refuses it.
    """
    media_type = sniff_media(path)
    kind = media_kind(media_type)
    if media_type is None or kind is None:
        return None
    limit = (settings or MediaSettings()).max_image_pixels
    facts = photo_metadata(path, limit) if kind == "photo" else av_metadata(path, media_type)
    return {"kind": kind, "media_type": media_type, **facts}


__all__ = [
    "MEDIA_TYPES",
    "ImageTooLarge",
    "MediaKind",
    "MediaSettings",
    "media_kind",
    "media_settings",
    "read_media",
    "sniff_media",
]
