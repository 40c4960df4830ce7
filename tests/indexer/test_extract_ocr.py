"""OCR with ocrmypdf + tesseract chi_sim: one small Chinese image end to end, the rest without OCR runs."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from kit.paths import CORPUS
from PIL import Image, ImageDraw, ImageFont

from indexer.extract import OcrError, extract, ocr_available, ocr_file
from indexer.extract.ocr import prepare_image

PAPERLESS = CORPUS / "paperless-ngx-samples"
FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")

LINES = [
    "中国某某银行股份有限公司",
    "流动资金借款合同",
    "借款人浙江某某机械制造有限公司",
    "担保方式为保证担保",
]
CJK_PAIR_WITH_SPACE = re.compile(r"[\u4e00-\u9fff][ \t\u3000]+[\u4e00-\u9fff]")


def _render(path: Path, *, mode: str = "RGB", dpi: int | None = 300) -> Path:
    """Black Chinese text on white, 12 pt at 300 dpi (50 px), the way a scanner would deliver it."""
    font = ImageFont.truetype(str(FONT), 50)
    background = (255, 255, 255, 255) if mode == "RGBA" else "white"
    image = Image.new(mode, (1300, 110 * len(LINES) + 80), background)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(LINES):
        draw.text((80, 60 + 110 * row), line, font=font, fill="black")
    image.save(path, dpi=(dpi, dpi)) if dpi else image.save(path)
    return path


def test_ocr_is_installed() -> None:
    assert ocr_available(), "ocrmypdf and tesseract with chi_sim are installed by `make sysdeps`"
    assert not ocr_available("xx_not_a_language")


def test_a_chinese_image_is_read_by_ocr(tmp_path: Path) -> None:
    # RGBA without a stated resolution: exercises flattening and --image-dpi on the way.
    image = _render(tmp_path / "scan.png", mode="RGBA", dpi=None)
    result = extract(image, ocr=True)
    assert result.status == "ok", result.error
    assert result.flags == ["ocr"]
    assert result.media_type == "image/png"

    expected = Counter("".join(LINES))
    found = Counter(result.text)
    overlap = sum((expected & found).values()) / sum(expected.values())
    assert overlap >= 0.8, (overlap, result.text)
    # The sidecar text has no space between two Chinese characters (the PDF text layer would).
    assert not CJK_PAIR_WITH_SPACE.search(result.text), result.text


def test_an_image_without_ocr_stays_needs_ocr(tmp_path: Path) -> None:
    result = extract(_render(tmp_path / "scan.png"))
    assert (result.status, result.flags, result.text) == ("needs-ocr", ["needs-ocr"], "")


def test_images_are_prepared_for_ocrmypdf(tmp_path: Path) -> None:
    # RGBA, no resolution: flattened onto white, resolution assumed.
    source, options = prepare_image(PAPERLESS / "simple.png", tmp_path)
    assert source != PAPERLESS / "simple.png"
    with Image.open(source) as flattened:
        assert flattened.mode == "RGB"
    assert options == ["--image-dpi", "300"]
    # RGB with 72 dpi (not credible to ocrmypdf): as is, resolution assumed.
    assert prepare_image(PAPERLESS / "simple.jpg", tmp_path) == (
        PAPERLESS / "simple.jpg",
        ["--image-dpi", "300"],
    )
    # RGB with 300 dpi: as is.
    good = _render(tmp_path / "good.png")
    assert prepare_image(good, tmp_path) == (good, [])


def test_ocr_of_something_else_is_an_ocr_error(tmp_path: Path) -> None:
    with pytest.raises(OcrError, match="OCR 只能识别"):
        ocr_file(PAPERLESS / "simple.txt")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(OcrError, match="图片无法读取"):
        ocr_file(broken)
