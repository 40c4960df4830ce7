"""Which media types are photos, video and audio: the evidence formats the archive reads metadata from."""

from __future__ import annotations

from typing import Final, Literal

from indexer.extract.sniff import AMR, HEIC, JPEG, M4A, MP3, MP4, PNG, QUICKTIME, WAV

MediaKind = Literal["photo", "video", "audio"]

PHOTO_TYPES: Final = frozenset({JPEG, PNG, HEIC})
VIDEO_TYPES: Final = frozenset({MP4, QUICKTIME})
AUDIO_TYPES: Final = frozenset({MP3, M4A, WAV, AMR})
MEDIA_TYPES: Final = PHOTO_TYPES | VIDEO_TYPES | AUDIO_TYPES

FORMATS: Final[dict[str, str]] = {
    "jpeg": JPEG,
    "png": PNG,
    "heic": HEIC,
    "mp4": MP4,
    "mov": QUICKTIME,
    "mp3": MP3,
    "m4a": M4A,
    "wav": WAV,
    "amr": AMR,
}
"""Format names the configuration uses ([media].inbox_formats), and their media types by content."""

SUFFIXES: Final[dict[str, str]] = {
    JPEG: ".jpg",
    PNG: ".png",
    HEIC: ".heic",
    MP4: ".mp4",
    QUICKTIME: ".mov",
    MP3: ".mp3",
    M4A: ".m4a",
    WAV: ".wav",
    AMR: ".amr",
}


def media_kind(media_type: str | None) -> MediaKind | None:
    """``photo``, ``video`` or ``audio`` for an evidence format; None for anything else (scans, PDFs)."""
    if media_type in PHOTO_TYPES:
        return "photo"
    if media_type in VIDEO_TYPES:
        return "video"
    if media_type in AUDIO_TYPES:
        return "audio"
    return None
