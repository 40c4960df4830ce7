"""Byte-identical DOCX packages: the same input renders to the same bytes, whenever it runs.

python-docx stamps every ZIP member with the wall-clock time of saving, so an unchanged input rendered
twice gave two different files, and the archive filed the second as a new version instead of
recognising the duplicate. The stamps are the only varying bytes (the rendered XML is deterministic), so
we overwrite them in place with one fixed time instead of re-compressing the package: the two date/time
fields of each local header and each central-directory entry, nothing else.
"""

from __future__ import annotations

import struct

# 1980-01-01 00:00:00, the earliest time a ZIP header can hold (what reproducible-build tools use).
FIXED_DOS_TIME = 0
FIXED_DOS_DATE = (0 << 9) | (1 << 5) | 1

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"
_END_SIZE = 22
_MAX_COMMENT = 0xFFFF


class NotAZip(ValueError):
    """The bytes are not a ZIP package this module can pin (ZIP64, spanned or damaged)."""


def pin_zip_times(data: bytes) -> bytes:
    """``data`` with every member's modification time set to :data:`FIXED_DOS_TIME`/`DATE`."""
    buf = bytearray(data)
    end = _find_end(buf)
    entries, _size, offset = struct.unpack_from("<HII", buf, end + 10)
    stamp = struct.pack("<HH", FIXED_DOS_TIME, FIXED_DOS_DATE)
    pos = offset
    for _ in range(entries):
        if buf[pos : pos + 4] != _CENTRAL:
            raise NotAZip(f"central directory entry expected at byte {pos}")
        buf[pos + 12 : pos + 16] = stamp
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", buf, pos + 28)
        (local,) = struct.unpack_from("<I", buf, pos + 42)
        if buf[local : local + 4] != _LOCAL:
            raise NotAZip(f"local header expected at byte {local}")
        buf[local + 10 : local + 14] = stamp
        pos += 46 + name_len + extra_len + comment_len
    return bytes(buf)


def _find_end(buf: bytearray) -> int:
    start = max(0, len(buf) - _END_SIZE - _MAX_COMMENT)
    end = buf.rfind(_END, start)
    if end < 0 or end + _END_SIZE > len(buf):
        raise NotAZip("no end-of-central-directory record")
    entries, size, offset = struct.unpack_from("<HII", buf, end + 10)
    if entries == 0xFFFF or offset == 0xFFFFFFFF or offset + size > end:
        raise NotAZip("ZIP64 or damaged package")
    return end
