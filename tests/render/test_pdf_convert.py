"""DOCX -> PDF through real LibreOffice, with the shipped fontconfig aliases for Chinese fonts."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from kit import all_text
from pypdf import PdfReader

from dossier.render.pdf import (
    PdfConversionError,
    PdfConverter,
    PdfResult,
    PdfUnavailable,
    find_soffice,
    fontconfig_file,
)

SONG_TEXT = "借款合同"
HEI_TEXT = "人民币壹拾万元整"


def _set_font(run, name: str) -> None:
    # run.font.name only sets the Latin faces; Chinese text uses the w:eastAsia face.
    run.font.name = name
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraphs_docx(path: Path, runs: list[tuple[str, str]], table: bool = False) -> Path:
    doc = Document()
    for text, font in runs:
        _set_font(doc.add_paragraph().add_run(text), font)
    if table:
        t = doc.add_table(rows=2, cols=2)
        t.cell(0, 0).text, t.cell(0, 1).text = "借款人", "张三"
        t.cell(1, 0).text, t.cell(1, 1).text = "借款金额", "100,000.00"
    doc.save(path)
    return path


def _fonts(pdf: Path) -> dict[str, frozenset[str]]:
    """BaseFont name -> glyph names of every font on page 1.

    LibreOffice names a Noto CJK face by the CFF table the collection shares ("NotoSerifCJKjp-..."), for
    the SC face too, so the BaseFont says Serif vs Sans but not the region. The glyph names ("cidNNNN")
    do: the SC and JP faces map the same character to different CIDs where their forms differ.
    """
    fonts: dict[str, frozenset[str]] = {}
    for ref in PdfReader(pdf).pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        base = str(font["/BaseFont"])
        descriptor = font["/FontDescriptor"].get_object()
        if "/FontFile" not in descriptor:
            fonts[base] = frozenset()  # TrueType/CFF programs: only the name is checked
            continue
        program = descriptor["/FontFile"].get_object()
        data, clear = program.get_data(), int(program["/Length1"])
        private = _eexec_decrypt(data[clear : clear + int(program["/Length2"])])
        fonts[base] = frozenset(m.decode() for m in re.findall(rb"/(\S+) \d+ RD ", private))
    return fonts


def _eexec_decrypt(data: bytes) -> bytes:
    """Type 1 font private section (Adobe Type 1 Font Format, ch. 7)."""
    r, out = 55665, bytearray()
    for byte in data:
        out.append(byte ^ (r >> 8))
        r = ((byte + r) * 52845 + 22719) & 0xFFFF
    return bytes(out[4:])


def _glyphs(fonts: dict[str, frozenset[str]], family: str) -> frozenset[str]:
    matching = [glyphs for name, glyphs in fonts.items() if family in name]
    assert len(matching) == 1, f"expected one {family} font, got {sorted(fonts)}"
    assert matching[0], f"{family} is not embedded as a Type 1 program; update _fonts() for this LibreOffice"
    return matching[0]


@dataclass
class Batch:
    inputs: dict[str, Path]
    results: dict[str, PdfResult]
    out_dir: Path
    converter: PdfConverter


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    src = tmp_path_factory.mktemp("docx")
    inputs = {
        "contract": _paragraphs_docx(
            src / "借款合同.docx", [(SONG_TEXT, "宋体"), (HEI_TEXT, "黑体")], table=True
        ),
        "serif_sc": _paragraphs_docx(src / "serif_sc.docx", [(SONG_TEXT, "Noto Serif CJK SC")]),
        "serif_jp": _paragraphs_docx(src / "serif_jp.docx", [(SONG_TEXT, "Noto Serif CJK JP")]),
        "sans_sc": _paragraphs_docx(src / "sans_sc.docx", [(HEI_TEXT, "Noto Sans CJK SC")]),
        "sans_jp": _paragraphs_docx(src / "sans_jp.docx", [(HEI_TEXT, "Noto Sans CJK JP")]),
        "random": src / "random.docx",
        "bad_xml": src / "bad_xml.docx",
    }
    inputs["random"].write_bytes(os.urandom(4096))
    with zipfile.ZipFile(inputs["bad_xml"], "w") as z:
        z.writestr("[Content_Types].xml", "not xml <<<")
        z.writestr("word/document.xml", os.urandom(2048))
    out_dir = tmp_path_factory.mktemp("pdf")
    with PdfConverter(workers=2) as converter:
        results = converter.convert(list(inputs.values()), out_dir)
        yield Batch(inputs, dict(zip(inputs, results, strict=True)), out_dir, converter)


def test_fontconfig_maps_windows_chinese_fonts_to_noto_sc() -> None:
    env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file())}
    serif = [
        "宋体",
        "SimSun",
        "仿宋",
        "FangSong",
        "仿宋_GB2312",
        "楷体",
        "KaiTi",
        "楷体_GB2312",
        "方正小标宋简体",
    ]
    sans = ["黑体", "SimHei", "微软雅黑", "Microsoft YaHei"]
    for names, want in ((serif, "Noto Serif CJK SC"), (sans, "Noto Sans CJK SC")):
        for name in names:
            got = subprocess.run(
                ["fc-match", "-f", "%{family[0]}", name], env=env, capture_output=True, text=True, check=True
            ).stdout
            assert got == want, name


def test_batch_returns_one_result_per_input_in_order(batch: Batch) -> None:
    assert [r.source for r in batch.results.values()] == [p.resolve() for p in batch.inputs.values()]
    converted = [k for k, r in batch.results.items() if r.ok]
    assert converted == ["contract", "serif_sc", "serif_jp", "sans_sc", "sans_jp"]
    for key in converted:
        pdf = batch.results[key].pdf
        assert pdf == batch.out_dir / batch.inputs[key].with_suffix(".pdf").name
        assert len(PdfReader(pdf).pages) >= 1
    assert sorted(p.name for p in batch.out_dir.iterdir()) == sorted(
        batch.inputs[k].with_suffix(".pdf").name for k in converted
    )


def test_chinese_text_survives_conversion(batch: Batch) -> None:
    text = all_text(batch.results["contract"].pdf)
    for expected in (SONG_TEXT, HEI_TEXT, "借款人", "张三"):
        assert expected in text


def test_song_run_is_set_in_noto_serif_cjk_with_simplified_forms(batch: Batch) -> None:
    contract = _glyphs(_fonts(batch.results["contract"].pdf), "NotoSerifCJK")
    sc = _glyphs(_fonts(batch.results["serif_sc"].pdf), "NotoSerifCJK")
    jp = _glyphs(_fonts(batch.results["serif_jp"].pdf), "NotoSerifCJK")
    assert sc != jp  # the text has characters whose SC and JP forms differ, so the test can tell
    assert sc <= contract
    assert not jp <= contract


def test_hei_run_is_set_in_noto_sans_cjk_with_simplified_forms(batch: Batch) -> None:
    contract = _glyphs(_fonts(batch.results["contract"].pdf), "NotoSansCJK")
    sc = _glyphs(_fonts(batch.results["sans_sc"].pdf), "NotoSansCJK")
    jp = _glyphs(_fonts(batch.results["sans_jp"].pdf), "NotoSansCJK")
    assert sc != jp
    assert sc <= contract
    assert not jp <= contract


def test_corrupt_files_get_per_file_errors(batch: Batch) -> None:
    random, bad_xml = batch.results["random"], batch.results["bad_xml"]
    assert random.pdf is None and "not a valid .docx" in random.error
    # a well-formed zip with garbage inside gets past the pre-check and fails in LibreOffice itself
    assert bad_xml.pdf is None and "LibreOffice could not load" in bad_xml.error


def test_convert_one_raises_with_the_reason(batch: Batch, tmp_path: Path) -> None:
    with pytest.raises(PdfConversionError) as info:
        batch.converter.convert_one(batch.inputs["random"], tmp_path)
    assert [f.source for f in info.value.failures] == [batch.inputs["random"].resolve()]
    assert "random.docx" in str(info.value)


def test_duplicate_output_names_are_refused(batch: Batch, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    twin = tmp_path / "a" / batch.inputs["contract"].name
    twin.write_bytes(batch.inputs["contract"].read_bytes())
    with pytest.raises(ValueError, match="same PDF name"):
        batch.converter.convert([batch.inputs["contract"], twin], tmp_path)


def test_profile_is_reused_across_calls_and_removed_on_close(tmp_path: Path) -> None:
    doc = _paragraphs_docx(tmp_path / "合同.docx", [(SONG_TEXT, "宋体")])
    converter = PdfConverter()
    first = converter.convert_one(doc, tmp_path / "one")
    profiles = sorted(converter.workdir.glob("profile-*"))
    assert len(profiles) == 1 and (profiles[0] / "user").is_dir()
    sentinel = profiles[0] / "sentinel"
    sentinel.touch()
    second = converter.convert_one(doc, tmp_path / "two")
    assert sorted(converter.workdir.glob("profile-*")) == profiles
    assert sentinel.exists()  # the profile was kept, not rebuilt
    assert SONG_TEXT in all_text(first) and SONG_TEXT in all_text(second)
    converter.close()
    assert not converter.workdir.exists()
    with pytest.raises(RuntimeError):
        converter.convert([doc], tmp_path)


FAKE_SOFFICE = """#!{python}
# Stands in for LibreOffice hanging on its second document: converts the first file given, then never
# finishes, with a child process like soffice.bin under oosplash.
import subprocess, sys, urllib.parse, urllib.request
from pathlib import Path
from pypdf import PdfWriter

args = sys.argv[1:]
out = Path(args[args.index("--outdir") + 1])
url = next(a for a in args if a.startswith("file:"))
first = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
writer = PdfWriter()
writer.add_blank_page(width=595, height=842)
writer.write(out / (first.stem + ".pdf"))
child = subprocess.Popen(["sleep", "300"])
with open({pids!r}, "a") as f:
    f.write(f"{{child.pid}}\\n")
child.wait()
"""


def test_hung_soffice_is_killed_and_the_rest_retried(tmp_path: Path) -> None:
    pids = tmp_path / "children.pid"
    fake = tmp_path / "soffice"
    fake.write_text(FAKE_SOFFICE.format(python=sys.executable, pids=str(pids)))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    docs = [_paragraphs_docx(tmp_path / f"d{i}.docx", [(SONG_TEXT, "宋体")]) for i in range(3)]
    with PdfConverter(soffice=str(fake), timeout_s=1) as converter:
        first, hung, retried = converter.convert(docs, tmp_path / "out")
    assert first.ok and retried.ok
    assert hung.pdf is None and "was killed" in hung.error
    for pid in pids.read_text().split():
        state = Path(f"/proc/{pid}/stat")
        # gone, or a zombie waiting for init to reap it: either way no longer running
        assert not state.exists() or state.read_text().split(") ")[1].startswith("Z")


def test_missing_soffice_raises_pdf_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PdfUnavailable, match="LibreOffice") as info:
        PdfConverter(soffice="/nonexistent")
    assert "未找到 LibreOffice" in str(info.value)
    monkeypatch.setenv("DOSSIER_SOFFICE", "/nonexistent/soffice")
    assert find_soffice() is None
    with pytest.raises(PdfUnavailable, match="/nonexistent/soffice"):
        PdfConverter()
