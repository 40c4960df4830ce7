"""The archival rendition: a reproducible DOCX, and its PDF as PDF/A-2b with every font embedded."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

from dossier.config import load_config
from dossier.generation import Generator
from dossier.kinds.registry import all_kinds
from dossier.render.pdf import PdfConverter, require_all
from dossier.render.reproducible import NotAZip, pin_zip_times

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "dossier" / "kinds" / "examples"


@pytest.fixture(scope="module")
def generator() -> Generator:
    return Generator(load_config())


def _example(kind: str) -> dict:
    return yaml.safe_load((EXAMPLES / f"{kind}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", sorted(all_kinds()))
def test_an_unchanged_input_renders_to_identical_bytes(generator: Generator, kind: str) -> None:
    first = generator.generate(kind, _example(kind)).content
    # A fresh generator: nothing cached between the runs may make them agree by accident.
    second = Generator(load_config()).generate(kind, _example(kind)).content
    assert first == second
    members = zipfile.ZipFile(io.BytesIO(first)).infolist()
    assert {m.date_time for m in members} == {(1980, 1, 1, 0, 0, 0)}
    assert zipfile.ZipFile(io.BytesIO(first)).testzip() is None


def test_pinning_keeps_every_member_and_refuses_what_is_not_a_zip() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", "<w:document/>" * 50)
        z.writestr(zipfile.ZipInfo("b.txt", date_time=(2031, 5, 6, 7, 8, 10)), "b")
    pinned = pin_zip_times(out.getvalue())
    with zipfile.ZipFile(io.BytesIO(pinned)) as z:
        assert z.read("word/document.xml") == b"<w:document/>" * 50
        assert z.read("b.txt") == b"b"
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    with pytest.raises(NotAZip):
        pin_zip_times(b"not a zip at all")


def _resolve(obj: object) -> object:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _fonts_of(reader: PdfReader) -> list[DictionaryObject]:
    fonts: list[DictionaryObject] = []
    for page in reader.pages:
        resources = _resolve(page.get("/Resources")) or {}
        for font in (_resolve(resources.get("/Font")) or {}).values():  # type: ignore[union-attr]
            fonts.append(_resolve(font))  # type: ignore[arg-type]
    return fonts


def _embedded(font: DictionaryObject) -> bool:
    if font.get("/Subtype") == "/Type0":
        font = _resolve(font["/DescendantFonts"][0])  # type: ignore[assignment,index]
    descriptor = _resolve(font.get("/FontDescriptor"))
    return isinstance(descriptor, DictionaryObject) and any(
        key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
    )


def test_the_pdf_rendition_is_pdfa_2b_with_every_font_embedded(generator: Generator, tmp_path: Path) -> None:
    docs = [generator.generate(k, _example(k)).save(tmp_path) for k in ("loan-contract", "collection")]
    with PdfConverter() as converter:
        pdfs = require_all(converter.convert(docs, tmp_path / "pdf"))
    for pdf in pdfs:
        reader = PdfReader(pdf)
        xmp = reader.xmp_metadata
        assert xmp is not None, pdf.name
        xml = xmp.stream.get_data().decode("utf-8")  # type: ignore[union-attr]
        assert "<pdfaid:part>2</pdfaid:part>" in xml, pdf.name
        assert "<pdfaid:conformance>B</pdfaid:conformance>" in xml, pdf.name
        # PDF/A also needs an output intent (the colour space every page is printed in).
        assert "/OutputIntents" in reader.trailer["/Root"], pdf.name
        fonts = _fonts_of(reader)
        assert fonts, pdf.name
        assert all(_embedded(f) for f in fonts), [str(f.get("/BaseFont")) for f in fonts if not _embedded(f)]
