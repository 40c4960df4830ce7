"""OCR of scanned PDFs and images with ocrmypdf and tesseract's ``chi_sim`` model.

The text is ocrmypdf's sidecar file, not the text layer of its output PDF: in that layer tesseract puts
a space between every two Chinese characters (``中 国 某 某 银行``). Language ``chi_sim`` alone: measured
here, ``chi_sim+eng`` was 50 % slower and turned a bold Chinese title into Latin letters; Latin letters and
digits still come out of ``chi_sim``. OCR is slow (about 6 s a page at 300 dpi on two cores), so
extract() does not run it unless asked: the archive files a scan at once, flagged ``needs-ocr``, and runs
ocr_file in the background.

Images go through ocrmypdf's image input. It refuses images with an alpha channel and images without a
credible resolution (none, or ≤ 96 dpi); those are flattened onto white and given 300 dpi first (Pillow).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from indexer.extract import sniff

if TYPE_CHECKING:
    from PIL.Image import Image

DEFAULT_LANG: Final = "chi_sim"
ASSUMED_DPI: Final = 300
"""Resolution given to images that state none (or an implausible one), as ocrmypdf requires one."""
_CREDIBLE_DPI: Final = 96  # ocrmypdf refuses an image whose stated resolution is at most this
_SKIPPED_MARK: Final = re.compile(r"\[OCR skipped on page\(s\) [0-9-]+\]")


class OcrError(RuntimeError):
    """OCR failed or is not possible for this file; the message is bilingual."""


def ocr_available(lang: str = DEFAULT_LANG) -> bool:
    """Whether ocrmypdf and tesseract with the ``lang`` model are installed (and Pillow, for images)."""
    if shutil.which("ocrmypdf") is None or shutil.which("tesseract") is None:
        return False
    if importlib.util.find_spec("PIL") is None:
        return False
    try:
        listing = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    # The first line is a heading ("List of available languages in ..."); the rest are model names.
    models = {line.strip() for line in (listing.stdout + listing.stderr).splitlines()[1:]}
    return all(part in models for part in lang.split("+"))


def ocr_file(
    path: Path,
    *,
    lang: str = DEFAULT_LANG,
    timeout: float = 900.0,
    force: bool = True,
    jobs: int | None = None,
    first_pages: int | None = None,
) -> str:
    """The recognized text of a PDF or an image (JPEG, PNG, TIFF), pages separated by form feeds.

    ``force`` rasterizes every page, text or not (``--force-ocr``), so the result is the whole document;
    ``force=False`` skips pages that already have text (``--skip-text``) and returns only the others' text.
    ``first_pages`` limits a PDF's OCR to its first pages.
    Raises OcrError (timeout, encrypted or unreadable file, ocrmypdf missing).
    """
    path = Path(path)
    try:
        media_type = sniff.sniff(path)
    except OSError as exc:
        raise OcrError(f"cannot read {path.name}: {exc} (无法读取文件)") from exc
    with tempfile.TemporaryDirectory(prefix="indexer-ocr-") as work:
        workdir = Path(work)
        if media_type == sniff.PDF:
            source, options = path, ["--force-ocr" if force else "--skip-text"]
            if first_pages:
                options += ["--pages", f"1-{first_pages}"]
        elif media_type in sniff.IMAGE_TYPES:
            source, options = prepare_image(path, workdir)
        else:
            raise OcrError(f"OCR reads PDFs and images, not {media_type} (OCR 只能识别 PDF 和图片)")
        sidecar = workdir / "sidecar.txt"
        command = [
            "ocrmypdf",
            "-q",
            "-l",
            lang,
            "--output-type",
            "none",
            "--sidecar",
            str(sidecar),
            *(["-j", str(jobs)] if jobs else []),
            *options,
            str(source),
            os.devnull,
        ]
        _run(command, timeout=timeout, name=path.name)
        text = sidecar.read_text(encoding="utf-8", errors="replace")
    return _clean_sidecar(text)


def prepare_image(path: Path, workdir: Path) -> tuple[Path, list[str]]:
    """The image ocrmypdf should read, and the options it needs: a copy flattened onto white if the image
    has an alpha channel, and ``--image-dpi 300`` if it states no credible resolution."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            dpi: Any = image.info.get("dpi")  # a (x, y) pair when the file states one
            credible = bool(dpi) and min(float(dpi[0]), float(dpi[1])) > _CREDIBLE_DPI
            options = [] if credible else ["--image-dpi", str(ASSUMED_DPI)]
            if not _has_alpha(image):
                return path, options
            frames = [_flatten(frame) for frame in ImageSequence.Iterator(image)]
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise OcrError(f"unreadable image {path.name}: {exc} (图片无法读取)") from exc
    flattened = workdir / "flattened.tiff"
    frames[0].save(flattened, save_all=True, append_images=frames[1:], dpi=dpi if credible else None)
    return flattened, options


def _has_alpha(image: Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )


def _flatten(frame: Image) -> Image:
    from PIL import Image as PILImage

    rgba = frame.convert("RGBA")
    background = PILImage.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _run(command: list[str], *, timeout: float, name: str) -> None:
    """Run ocrmypdf in its own process group, so a timeout also ends the tesseract processes it started."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise OcrError(f"cannot run ocrmypdf: {exc} (无法运行 OCR 程序 ocrmypdf)") from exc
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise OcrError(f"OCR of {name} timed out after {timeout:g} s (OCR 识别超时)") from None
    if process.returncode == 8:
        raise OcrError(f"OCR impossible, {name} is encrypted (文件已加密，无法 OCR 识别)")
    if process.returncode != 0:
        detail = " ".join(stderr.split())[-300:]
        raise OcrError(
            f"OCR of {name} failed (ocrmypdf exit code {process.returncode}): {detail} (OCR 识别失败)"
        )


def _clean_sidecar(text: str) -> str:
    """Sidecar text without ocrmypdf's notes on skipped pages and with ``\\n`` line ends."""
    return _SKIPPED_MARK.sub("", text.replace("\r\n", "\n")).strip()
