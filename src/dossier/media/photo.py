"""A photo's EXIF facts: when it was taken (DateTimeOriginal and its offset), where (GPS), by what camera.

Pillow opens an image lazily: only the header and the EXIF block are read, never the pixels, so a large
photo costs no memory. HEIC is read through pillow-heif. Nothing is written back: the archived file keeps
its bytes.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from dossier.errors import DossierError
from dossier.media.settings import PILLOW_PIXEL_STOP

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME = 0x0132
_DATETIME_ORIGINAL = 0x9003
_OFFSET_ORIGINAL = 0x9011
_MAKE, _MODEL = 0x010F, 0x0110
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON, _GPS_ALT_REF, _GPS_ALT = 1, 2, 3, 4, 5, 6

_heif_registered = False
_PIXELS = re.compile(r"\((\d+) pixels\)")


class ImageTooLarge(DossierError):
    """A photo claims more pixels than the archive files: a decompression bomb (a few KB that would
    decode to gigabytes), or a limit the bank set in [media].max_image_pixels."""

    def __init__(self, pixels: int | None, limit: int, size: str = "") -> None:
        self.pixels, self.limit = pixels, limit
        claimed = f"{pixels:,} pixels" if pixels else "too many pixels"
        if size:
            claimed = f"{size} = {claimed}"
        super().__init__(
            f"image (图片): {claimed}, more than the {limit:,}-pixel limit (图片像素过多，可能是解压炸弹)"
        )


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True


def photo_metadata(path: Path, max_pixels: int = PILLOW_PIXEL_STOP) -> dict[str, Any]:
    """Width, height, ``captured_at`` (ISO 8601; with an offset only when the camera recorded one),
    ``gps`` (lat, lon in decimal degrees, alt in metres) and ``camera``; what the file lacks is left out.

    ImageTooLarge when the header claims more than ``max_pixels``: such a file is refused, not filed."""
    _register_heif()
    try:
        with warnings.catch_warnings():
            # Pillow warns between its two limits; ours is checked below, on the header's own figures.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.width, image.height
                if width * height > max_pixels:
                    raise ImageTooLarge(width * height, max_pixels, f"{width}×{height}")
                facts: dict[str, Any] = {"width": width, "height": height, "format": image.format}
                exif = image.getexif()
    except Image.DecompressionBombError as exc:
        found = _PIXELS.search(str(exc))
        raise ImageTooLarge(int(found.group(1)) if found else None, max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        return {"error": f"cannot read the image header: {exc} (无法读取图片信息)"}
    inner = exif.get_ifd(_EXIF_IFD)
    taken = _exif_time(inner.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME), inner.get(_OFFSET_ORIGINAL))
    if taken is not None:
        facts["captured_at"] = taken
    gps = _gps(exif.get_ifd(_GPS_IFD))
    if gps:
        facts["gps"] = gps
    camera = " ".join(str(exif.get(tag) or "").strip("\x00 ") for tag in (_MAKE, _MODEL)).strip()
    if camera:
        facts["camera"] = camera
    return facts


def _exif_time(value: Any, offset: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    text = moment.isoformat()
    if isinstance(offset, str) and len(offset.strip("\x00 ")) == 6:
        try:
            return datetime.fromisoformat(text + offset.strip("\x00 ")).isoformat()
        except ValueError:
            pass
    return text


def _degrees(value: Any) -> float | None:
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return d + m / 60 + s / 3600


def _gps(gps: Any) -> dict[str, float]:
    if not gps:
        return {}
    lat, lon = _degrees(gps.get(_GPS_LAT)), _degrees(gps.get(_GPS_LON))
    if lat is None or lon is None:
        return {}
    if str(gps.get(_GPS_LAT_REF, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps.get(_GPS_LON_REF, "E")).upper().startswith("W"):
        lon = -lon
    found = {"lat": round(lat, 7), "lon": round(lon, 7)}
    try:
        alt = float(gps[_GPS_ALT])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return found
    below = gps.get(_GPS_ALT_REF) in (1, b"\x01")
    found["alt"] = round(-alt if below else alt, 2)
    return found
