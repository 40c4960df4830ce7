"""Every document of a volume as pages: a PDF of its own per document, each checked by reading it back.

A PDF as it is (rewritten, so a damaged file fails here, not in the volume); a DOCX through LibreOffice
(all of them in one batch); an image (JPEG, PNG, TIFF, multi-page TIFF) on A4 pages by img2pdf. Anything
else, and any PDF, DOCX or image that cannot be read (encrypted, damaged), becomes a placeholder page in
Chinese naming the file, its archive path and SHA-256, and why: a bad document never stops the volume.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path, PurePosixPath

import img2pdf
from PIL import Image, ImageOps
from pypdf import PasswordType, PdfReader, PdfWriter

from dossier.archive.pdf_read import quiet_pypdf
from dossier.archive.volume_index import PlaceholderPage, write_placeholder_docx
from dossier.archive.volume_selection import VolumeItem
from dossier.errors import DossierError
from dossier.render.pdf import PdfConverter, PdfResult, require_all

A4_PT = (595.28, 841.89)
IMAGE_MARGIN_PT = 28.35  # 10 mm
MAX_IMAGE_FRAMES = 1000
MAX_REASON_CHARS = 300
_ROTATIONS_ONLY = frozenset({1, 3, 6, 8})
"""EXIF orientations img2pdf shows upright itself (turns); the mirrored ones are turned by Pillow first."""


def make_parts(conv: PdfConverter, items: list[VolumeItem], work: Path) -> None:
    """Give every item a normalized PDF and its page count, placeholders included."""
    parts = work / "parts"
    parts.mkdir()
    for item in items:
        assert item.staged is not None or item.kind == "other"
        if item.kind == "pdf" and item.staged is not None:
            _take_pdf(item, item.staged, parts, "PDF 无法读取 (unreadable PDF)", "无法读取")
        elif item.kind == "image" and item.staged is not None:
            _take_image(item, parts)
        elif item.kind == "other":
            _mark(
                item,
                f"{item.doc.media_type} 文件无法排入页面（音频、视频、压缩包等），原件存于档案库 "
                "(this type of file cannot be shown on pages)",
                "非文档",
            )
    docx = [i for i in items if i.kind == "docx" and i.staged is not None]
    placeholders = [i for i in items if i.reason is not None]
    # One LibreOffice batch for the documents and the placeholders known so far.
    results = conv.convert(
        [i.staged for i in docx if i.staged] + [_placeholder_docx(i, work) for i in placeholders],
        work / "converted",
    )
    for item, result in zip(docx, results[: len(docx)], strict=True):
        if result.pdf is None:
            _mark(item, f"DOCX 无法转换为 PDF (conversion failed): {result.error}", "转换失败")
        else:
            _take_pdf(item, result.pdf, parts, "LibreOffice 生成的 PDF 无法读取 (unreadable PDF)", "转换失败")
    _take_placeholders(placeholders, results[len(docx) :], parts)
    late = [i for i in docx if i.reason is not None]
    if late:
        # Rare: a DOCX LibreOffice could not convert gets its placeholder in a second, small batch.
        _take_placeholders(
            late, conv.convert([_placeholder_docx(i, work) for i in late], work / "late"), parts
        )


def _take_placeholders(items: list[VolumeItem], results: list[PdfResult], parts: Path) -> None:
    for item, pdf in zip(items, require_all(results), strict=True):
        reason, note = item.reason, item.note
        _take_pdf(item, pdf, parts, "placeholder page unreadable (占位页无法读取)", note)
        if item.reason != reason:
            raise DossierError(
                f"could not make the placeholder page for document {item.doc.id}: {item.reason}"
            )
        item.kind = "placeholder"


def _mark(item: VolumeItem, reason: str, note: str) -> None:
    item.reason = reason[:MAX_REASON_CHARS]
    item.note = f"占位页：{note}"
    item.pdf, item.pages = None, 0


def _take_pdf(item: VolumeItem, source: Path, parts: Path, unreadable: str, note: str) -> None:
    """Rewrite ``source`` into a clean PDF of its own, so a damaged file fails here, not in the volume."""
    target = parts / f"{item.doc.id}{'-placeholder' if item.reason else ''}.pdf"
    with quiet_pypdf():
        try:
            reader = PdfReader(source)
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                _mark(item, "PDF 已加密，需要密码才能打开 (the PDF is encrypted)", "已加密")
                return
            writer = PdfWriter()
            for page in reader.pages:
                writer.add_page(page)
            if not writer.pages:
                _mark(item, "PDF 没有页面 (the PDF has no pages)", "无页面")
                return
            with target.open("wb") as fh:
                writer.write(fh)
            pages = len(PdfReader(target).pages)
        except Exception as exc:  # pypdf raises many types on damaged or hostile files
            target.unlink(missing_ok=True)
            _mark(item, f"{unreadable}: {type(exc).__name__}: {exc}", note)
            return
    item.pdf, item.pages = target, pages


def _take_image(item: VolumeItem, parts: Path) -> None:
    assert item.staged is not None
    target = parts / f"{item.doc.id}-image.pdf"
    try:
        image_to_pdf(item.staged, target)
    except Exception as exc:  # Pillow raises many types on damaged, truncated or oversized images
        _mark(item, f"图像无法读取 (unreadable image): {type(exc).__name__}: {exc}", "无法读取")
        return
    _take_pdf(item, target, parts, "图像页面无法读取 (unreadable image page)", "无法读取")


def _placeholder_docx(item: VolumeItem, work: Path) -> Path:
    folder = work / "placeholders"
    folder.mkdir(exist_ok=True)
    path = folder / f"placeholder-{item.doc.id}.docx"
    doc = item.doc
    write_placeholder_docx(
        path,
        PlaceholderPage(
            seq=item.seq,
            title=doc.title,
            category=item.category_label,
            doc_date=doc.doc_date,
            original_name=doc.original_name or PurePosixPath(doc.path).name,
            archive_path=doc.path,
            media_type=doc.media_type,
            size=doc.size,
            sha256=doc.sha256,
            reason=item.reason or "",
        ),
    )
    return path


def image_to_pdf(source: Path, target: Path) -> int:
    """Each frame of an image on an A4 page (landscape for a wide one), upright, shrunk to fit the
    margins and never enlarged beyond its own size; a JPEG is embedded as it is. Returns the pages."""
    with warnings.catch_warnings():
        # Far more pixels than any scan: refused rather than decoded into memory.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(source) as image:
            # A phone's MPO photo is a JPEG with preview frames after it: only the photo is a page.
            frames = 1 if image.format == "MPO" else getattr(image, "n_frames", 1)
            if frames > MAX_IMAGE_FRAMES:
                raise ValueError(f"{frames} frames, more than {MAX_IMAGE_FRAMES} (图像帧数过多)")
            as_it_is = image.format == "JPEG" and image.mode in ("L", "RGB")
            if as_it_is and _orientation(image) in _ROTATIONS_ONLY:
                pages = [source.read_bytes()]  # as it is: no second lossy encoding
            else:
                pages = [_frame_bytes(image, index) for index in range(frames)]
    layout = img2pdf.get_layout_fun(
        pagesize=A4_PT,
        border=(IMAGE_MARGIN_PT, IMAGE_MARGIN_PT),
        fit=img2pdf.FitMode.shrink,
        auto_orient=True,
    )
    target.write_bytes(img2pdf.convert(pages, layout_fun=layout, rotation=img2pdf.Rotation.ifvalid))
    return len(pages)


def _frame_bytes(image: Image.Image, index: int) -> bytes:
    """One frame, upright and flattened onto white, encoded for img2pdf: a photo stays a JPEG (pixels
    in Flate would be ten times larger), anything else becomes a lossless PNG."""
    image.seek(index)
    width, height = image.size
    if width < 1 or height < 1:
        raise ValueError("empty image (空图像)")
    photo = image.format in ("JPEG", "MPO")
    frame = _flat(ImageOps.exif_transpose(image) if _orientation(image) != 1 else image)
    buffer = io.BytesIO()
    if photo:
        frame.convert("L" if frame.mode in ("1", "L") else "RGB").save(
            buffer, "JPEG", quality=90, dpi=_dpi(image)
        )
    else:
        frame.save(buffer, "PNG", dpi=_dpi(image))
    return buffer.getvalue()


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # damaged EXIF: show the pixels as stored
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _dpi(image: Image.Image) -> tuple[float, float]:
    dpi = image.info.get("dpi")
    try:
        x, y = (float(dpi[0]), float(dpi[1])) if dpi else (72.0, 72.0)
    except (TypeError, ValueError, IndexError):
        x, y = 72.0, 72.0
    clamp = lambda v: v if 36 <= v <= 4800 else 72.0  # noqa: E731
    return clamp(x), clamp(y)


def _flat(image: Image.Image) -> Image.Image:
    """1-bit or 8-bit gray or RGB pixels, transparency flattened onto white."""
    mode = image.mode
    if mode in ("1", "L", "RGB"):
        return image
    if mode.startswith("I;16"):
        # 16-bit gray scans: keep the top 8 bits rather than clipping everything above 255 to white.
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")
