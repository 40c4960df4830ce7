"""Small real media files made in the tests: photos with EXIF and GPS (Pillow), video and audio (ffmpeg)."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from PIL import Image
from PIL.TiffImagePlugin import IFDRational

FFMPEG = "/usr/bin/ffmpeg"
# 厦门 思明区: 24°29'12.34" N, 118°05'30.30" E, 12.5 m.
LAT = 24 + 29 / 60 + 12.34 / 3600
LON = 118 + 5 / 60 + 30.30 / 3600


def photo(
    path: Path, *, taken: str = "2026:03:20 14:30:05", offset: str | None = "+08:00", gps: bool = True
) -> Path:
    """A small photo (JPEG, PNG or HEIC by suffix) with the EXIF a phone camera writes."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Huawei", "P60"
    inner = exif.get_ifd(0x8769)
    inner[0x9003] = taken
    if offset:
        inner[0x9011] = offset
    if gps:
        g = exif.get_ifd(0x8825)
        g[1], g[2] = "N", (IFDRational(24), IFDRational(29), IFDRational(1234, 100))
        g[3], g[4] = "E", (IFDRational(118), IFDRational(5), IFDRational(3030, 100))
        g[5], g[6] = 0, IFDRational(1250, 100)
    image.save(path, exif=exif.tobytes() if path.suffix.lower() == ".heic" else exif)
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=60)


def video(path: Path, *, seconds: float = 2, created: str = "2026-03-20T06:30:00Z") -> Path:
    """A short MP4 (or MOV by suffix) with a picture, a sound track and a creation time."""
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=160x120:rate=10",
        "-f", "lavfi", "-i", f"sine=duration={seconds}",
        "-shortest", "-metadata", f"creation_time={created}", "-c:v", "mpeg4", "-c:a", "aac", str(path),
    )  # fmt: skip
    return path


def mp3(path: Path, *, seconds: float = 3, recorded: str = "2026-03-21") -> Path:
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"sine=duration={seconds}",
        "-metadata",
        f"date={recorded}",
        "-c:a",
        "libmp3lame",
        str(path),
    )
    return path


def wav(path: Path, *, seconds: float = 2.5) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"sine=duration={seconds}", str(path))
    return path


def amr(path: Path, *, frames: int = 150) -> Path:
    """AMR-NB at 12.2 kbit/s: the magic, then frames of type 7 (1 header byte + 31 bytes), 20 ms each.
    ffmpeg from Debian has no AMR encoder, and the duration only depends on the frame headers."""
    path.write_bytes(b"#!AMR\n" + (bytes([7 << 3 | 4]) + bytes(31)) * frames)
    return path


def padded(path: Path, extra_bytes: int) -> Path:
    """Append a top-level ``free`` box of ``extra_bytes``: a larger, still valid MP4 (players skip it)."""
    with path.open("ab") as fh:
        fh.write(struct.pack(">I4s", extra_bytes, b"free"))
        fh.truncate(fh.tell() + extra_bytes - 8)
    return path
