"""Images on volume pages (archive/volume_pages.py, through img2pdf), read back with pypdf."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from dossier.archive.volume_pages import A4_PT, image_to_pdf


def _shown_size(pdf: Path) -> tuple[float, float]:
    page = PdfReader(pdf).pages[0]
    w, h = float(page.mediabox.width), float(page.mediabox.height)
    return (h, w) if page.rotation % 180 == 90 else (w, h)


def _images(pdf: Path) -> list:
    page = PdfReader(pdf).pages[0]
    return [x.get_object() for x in page["/Resources"]["/XObject"].values()]


def _photo(path: Path, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new("RGB", (800, 400), (10, 120, 200)).save(path, "JPEG", exif=exif)
    return path.read_bytes()


def test_a_phone_photo_turned_by_exif_is_upright_and_embedded_as_it_is(tmp_path: Path) -> None:
    data = _photo(tmp_path / "photo.jpg", orientation=6)  # stored wide, shown tall
    assert image_to_pdf(tmp_path / "photo.jpg", tmp_path / "photo.pdf") == 1
    assert _shown_size(tmp_path / "photo.pdf") == A4_PT  # portrait, as the phone showed it
    [image] = _images(tmp_path / "photo.pdf")
    assert image["/Filter"] == "/DCTDecode" and image._data == data  # no second lossy encoding


def test_a_mirrored_photo_is_turned_by_pillow_and_stays_a_jpeg(tmp_path: Path) -> None:
    _photo(tmp_path / "selfie.jpg", orientation=5)  # mirrored and turned: img2pdf alone refuses it
    assert image_to_pdf(tmp_path / "selfie.jpg", tmp_path / "selfie.pdf") == 1
    assert _shown_size(tmp_path / "selfie.pdf") == A4_PT
    [image] = _images(tmp_path / "selfie.pdf")
    assert image["/Filter"] == "/DCTDecode" and (image["/Width"], image["/Height"]) == (400, 800)


def test_transparency_is_flattened_onto_white_and_every_tiff_frame_is_a_page(tmp_path: Path) -> None:
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(tmp_path / "stamp.png")
    image_to_pdf(tmp_path / "stamp.png", tmp_path / "stamp.pdf")
    [image] = _images(tmp_path / "stamp.pdf")
    assert "/SMask" not in image and image["/ColorSpace"] == "/DeviceRGB"
    assert _shown_size(tmp_path / "stamp.pdf") == (A4_PT[1], A4_PT[0])  # wide: landscape
    frames = [Image.new("L", (300, 420), shade) for shade in (40, 120, 200)]
    frames[0].save(tmp_path / "deed.tif", save_all=True, append_images=frames[1:])
    assert image_to_pdf(tmp_path / "deed.tif", tmp_path / "deed.pdf") == 3
    assert len(PdfReader(tmp_path / "deed.pdf").pages) == 3
