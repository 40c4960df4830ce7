"""Duration and recording time of video and audio evidence, read without decoding a frame.

MP4, MOV and M4A: the ``mvhd`` box (found by seeking from box to box, so a 2 GB video costs a few reads)
gives both. MP3: mutagen's stream info and the ID3 recording time (TDRC). WAV: the standard library's
``wave``. AMR (phone call recordings): mutagen has no reader, so the frames are counted, 20 ms each.
"""

from __future__ import annotations

import struct
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from indexer.extract.sniff import AMR, M4A, MP3, MP4, QUICKTIME, WAV

_EPOCH_1904 = datetime(1904, 1, 1, tzinfo=UTC)
_CONTAINERS = {b"moov", b"trak", b"mdia", b"udta", b"meta"}
_AMR_NB_MAGIC, _AMR_WB_MAGIC = b"#!AMR\n", b"#!AMR-WB\n"
# Frame sizes in bytes after the one-byte frame header, by frame type (3GPP TS 26.101 and 26.201);
# types 9-14 are reserved/SID and 15 is NO_DATA.
_AMR_NB_SIZES = (12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0)
_AMR_WB_SIZES = (17, 23, 32, 36, 40, 46, 50, 58, 60, 5, 0, 0, 0, 0, 0, 0)
_AMR_FRAME_SECONDS = 0.02
_READ = 1 << 16


def av_metadata(path: Path, media_type: str) -> dict[str, Any]:
    """``duration_seconds`` and, when the file records one, ``recorded_at`` (ISO 8601)."""
    try:
        if media_type in (MP4, QUICKTIME, M4A):
            return _iso_media(path)
        if media_type == MP3:
            return _mp3(path)
        if media_type == WAV:
            return _wav(path)
        if media_type == AMR:
            return _amr(path)
    except (OSError, ValueError, EOFError, struct.error, wave.Error) as exc:
        return {"error": f"cannot read the recording's header: {exc} (无法读取音视频信息)"}
    return {}


def _seconds(value: float) -> float:
    return round(value, 3)


# --------------------------------------------------------------------------- MP4 / MOV / M4A


def _iso_media(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        end = path.stat().st_size
        mvhd = _find_box(fh, 0, end, (b"moov", b"mvhd"))
        if mvhd is None:
            return {"error": "no movie header (mvhd) found (未找到影片头信息)"}
        fh.seek(mvhd)
        version = fh.read(4)[0]
        if version == 1:
            created, _modified, scale, duration = struct.unpack(">QQIQ", fh.read(28))
        else:
            created, _modified, scale, duration = struct.unpack(">IIII", fh.read(16))
    facts: dict[str, Any] = {}
    if scale:
        facts["duration_seconds"] = _seconds(duration / scale)
    if created:
        facts["recorded_at"] = (_EPOCH_1904 + timedelta(seconds=created)).isoformat()
    return facts


def _find_box(fh: BinaryIO, start: int, end: int, path: tuple[bytes, ...]) -> int | None:
    """Offset of the payload of the box at ``path`` (e.g. moov/mvhd) between ``start`` and ``end``."""
    offset = start
    while offset + 8 <= end:
        fh.seek(offset)
        header = fh.read(8)
        if len(header) < 8:
            return None
        size, kind = struct.unpack(">I4s", header)
        body = offset + 8
        if size == 1:
            size = struct.unpack(">Q", fh.read(8))[0]
            body += 8
        elif size == 0:
            size = end - offset
        if size < body - offset:
            return None
        if kind == path[0]:
            if len(path) == 1:
                return body
            if kind in _CONTAINERS:
                return _find_box(fh, body, offset + size, path[1:])
        offset += size
    return None


# --------------------------------------------------------------------------- MP3, WAV


def _mp3(path: Path) -> dict[str, Any]:
    from mutagen import MutagenError
    from mutagen.mp3 import MP3 as Mp3File

    try:
        audio = Mp3File(path)
    except MutagenError as exc:
        raise ValueError(str(exc)) from None
    if audio.info is None:  # mutagen found no MPEG frame header
        raise ValueError("no MPEG audio stream")
    facts: dict[str, Any] = {"duration_seconds": _seconds(audio.info.length)}
    recorded = _id3_time(audio.tags)
    if recorded:
        facts["recorded_at"] = recorded
    return facts


def _id3_time(tags: Any) -> str | None:
    if tags is None:
        return None
    for frame in ("TDRC", "TDOR", "TDRL"):
        value = tags.get(frame)
        if value is not None and value.text:
            return str(value.text[0])
    return None


def _wav(path: Path) -> dict[str, Any]:
    with wave.open(str(path), "rb") as audio:
        rate = audio.getframerate()
        facts: dict[str, Any] = {"duration_seconds": _seconds(audio.getnframes() / rate) if rate else 0.0}
    try:
        from mutagen.wave import WAVE

        recorded = _id3_time(WAVE(path).tags)
    except Exception:  # a WAV without an ID3 chunk, or one mutagen cannot parse: the duration stands
        recorded = None
    if recorded:
        facts["recorded_at"] = recorded
    return facts


# --------------------------------------------------------------------------- AMR


def _amr(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        head = fh.read(len(_AMR_WB_MAGIC))
        if head.startswith(_AMR_WB_MAGIC):
            sizes = _AMR_WB_SIZES
            fh.seek(len(_AMR_WB_MAGIC))
        elif head.startswith(_AMR_NB_MAGIC):
            sizes = _AMR_NB_SIZES
            fh.seek(len(_AMR_NB_MAGIC))
        else:
            return {"error": "not a single-channel AMR file (不是单声道 AMR 文件)"}
        frames = 0
        pending = b""
        while chunk := fh.read(_READ):
            data = pending + chunk
            i = 0
            while i < len(data):
                step = 1 + sizes[(data[i] >> 3) & 0x0F]
                if i + step > len(data):
                    break
                frames += 1
                i += step
            pending = data[i:]
    return {"duration_seconds": _seconds(frames * _AMR_FRAME_SECONDS)}
