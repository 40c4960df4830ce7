"""Names that come from input are data, never paths: one validator for all of them, and the one place
that turns a validated name into a folder or file name under the archive home.

Refused everywhere: empty names, path separators (so ``../`` and absolute paths), a leading dot, the
names ``.`` and ``..``, NUL and every other control or format character, and names that are too long.
The characters Windows forbids (``:*?"<>|``) are allowed as data but replaced in folder and file names,
so an exported archive opens anywhere.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from dossier.errors import DossierError

TEMP_PREFIX = ".dossier-tmp-"
"""Names of files on their way into the archive (filing writes them, `dossier repair` clears them)."""

MAX_NAME_CHARS = 200
"""Longest borrower name, title or file name accepted (the catalog columns hold 200–300)."""
MAX_FILE_NAME_BYTES = 255
"""What every common file system allows in one path component."""
MAX_FOLDER_BYTES = 150
"""A borrower folder name, in UTF-8 bytes: short enough for deep paths on every platform."""
MAX_STEM_BYTES = 180
"""A document's file name stem, leaving room for ``-v12`` and ``.input.json``."""

# Unicode categories refused inside names: controls, format characters (bidi overrides, zero-width
# characters that make two names look alike), line/paragraph separators and lone surrogates.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_PORTABLE = str.maketrans({c: "_" for c in ':*?"<>|'})


class InvalidName(DossierError, ValueError):
    """A name from input that cannot be used: it would act as a path or is not printable text."""


def check_name(value: str, what: tuple[str, str], *, max_chars: int = MAX_NAME_CHARS) -> str:
    """The name, NFC-normalized and stripped, or InvalidName naming ``what`` (English, Chinese)."""
    english, chinese = what
    if not isinstance(value, str):
        raise InvalidName(f"{english} must be text ({chinese}应为文本): {value!r}")
    name = unicodedata.normalize("NFC", value).strip()
    shown = _shown(value)
    if not name:
        raise InvalidName(f"{english} is empty ({chinese}不能为空)")
    if "\x00" in name:
        raise InvalidName(f"{english} contains a NUL character ({chinese}含有空字符): {shown}")
    bad = next((ch for ch in name if unicodedata.category(ch) in _REFUSED_CATEGORIES), None)
    if bad is not None:
        raise InvalidName(
            f"{english} contains the control character U+{ord(bad):04X} ({chinese}含有控制字符): {shown}"
        )
    if "/" in name or "\\" in name:
        raise InvalidName(
            f"{english} must not contain '/' or '\\', names are not paths "
            f"({chinese}不得包含路径分隔符): {shown}"
        )
    if name.startswith("."):
        raise InvalidName(f"{english} must not start with a dot ({chinese}不得以“.”开头): {shown}")
    if len(name) > max_chars:
        raise InvalidName(
            f"{english} is {len(name)} characters long, more than {max_chars} "
            f"({chinese}过长：{len(name)}个字符，上限{max_chars})"
        )
    return name


def check_file_name(value: str, what: tuple[str, str]) -> str:
    """A name that will be one path component: also at most MAX_FILE_NAME_BYTES in UTF-8."""
    name = check_name(value, what)
    size = len(name.encode("utf-8"))
    if size > MAX_FILE_NAME_BYTES:
        english, chinese = what
        raise InvalidName(
            f"{english} is {size} bytes long, more than {MAX_FILE_NAME_BYTES} "
            f"({chinese}过长：{size}字节，上限{MAX_FILE_NAME_BYTES})"
        )
    return name


def portable(name: str, max_bytes: int) -> str:
    """A checked name made safe as a path component on every platform, cut to ``max_bytes`` of UTF-8."""
    cleaned = " ".join(name.translate(_PORTABLE).split())
    return _cut(cleaned, max_bytes).rstrip(" .") or "_"


def borrower_folder_name(key: str, name: str) -> str:
    """``<key>-<name>``: the key keeps it unique and stable, the name is for people browsing."""
    return portable(f"{key}-{name}", MAX_FOLDER_BYTES)


def split_suffix(file_name: str) -> tuple[str, str]:
    """``("借款合同", ".docx")``; a suffix is kept only when it looks like one (short, no spaces)."""
    stem, dot, suffix = file_name.rpartition(".")
    if not dot or not stem or len(suffix) > 10 or not suffix.isascii() or not suffix.isalnum():
        return file_name, ""
    return stem, f".{suffix.lower()}"


def document_file_name(stem: str, suffix: str, version: int = 1, extra: int = 0) -> str:
    """The archived file name: ``<stem><suffix>``, ``<stem>-v2<suffix>``; ``extra`` breaks a tie with a
    file the catalog does not know (``<stem>-v2~1<suffix>``)."""
    base = portable(stem, MAX_STEM_BYTES)
    if version > 1:
        base += f"-v{version}"
    if extra:
        base += f"~{extra}"
    return base + suffix


def ensure_inside(home: Path, target: Path) -> Path:
    """``target`` if it lies inside ``home`` with no symbolic link on the way; otherwise DossierError.

    Checked before every write: a borrower folder replaced by a link to ``/etc`` must not receive files.
    """
    root = home.resolve(strict=True)
    try:
        relative = target.relative_to(home) if not target.is_relative_to(root) else target.relative_to(root)
    except ValueError:
        raise DossierError(f"path is outside the archive home (路径不在档案库内): {target}") from None
    if any(part in ("..", "") for part in relative.parts):
        raise DossierError(f"path leaves the archive home (路径越出档案库): {target}")
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise DossierError(
                f"refusing to go through a symbolic link in the archive "
                f"(档案库内存在符号链接，拒绝写入): {current}"
            )
    resolved = current.resolve()
    if not resolved.is_relative_to(root):
        raise DossierError(f"path resolves outside the archive home (路径解析后不在档案库内): {target}")
    return current


def _cut(text: str, max_bytes: int) -> str:
    while len(text.encode("utf-8")) > max_bytes:
        text = text[:-1]
    return text


def _shown(value: str, limit: int = 60) -> str:
    text = value if len(value) <= limit else value[:limit] + "…"
    return repr(text)
