"""DOCX extraction: body, tables, headers and footers in reading order, metadata, hostile archives."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from docx import Document

from indexer.extract import Limits, extract

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _report(path: Path) -> Path:
    """A credit report as python-docx writes it: header, paragraphs, a table, a footer."""
    document = Document()
    document.core_properties.title = "授信调查报告"
    document.core_properties.author = "张三"
    document.core_properties.keywords = "流动资金 授信"
    section = document.sections[0]
    section.header.paragraphs[0].text = "中国某某银行 授信审批部"
    section.footer.paragraphs[0].text = "内部资料 第 1 页"
    document.add_paragraph("一、借款人基本情况")
    paragraph = document.add_paragraph("借款人：")
    run = paragraph.add_run("浙江某某机械制造有限公司")
    run.add_tab()
    run.add_text("统一社会信用代码")
    run.add_break()
    run.add_text("91330100MA2XXXXX0Y")
    table = document.add_table(rows=3, cols=2)
    for row, (item, amount) in enumerate(
        [("项目", "金额"), ("本金", "5,000,000.00"), ("利息", "180,000.00")]
    ):
        table.cell(row, 0).text = item
        table.cell(row, 1).text = amount
    document.add_paragraph("二、结论：同意授信。")
    document.save(str(path))
    return path


def test_docx_text_comes_in_reading_order(tmp_path: Path) -> None:
    result = extract(_report(tmp_path / "report.docx"))
    assert result.status == "ok", result.error
    assert result.media_type == DOCX_TYPE
    assert result.text.split("\n") == [
        "中国某某银行 授信审批部",
        "一、借款人基本情况",
        "借款人：浙江某某机械制造有限公司\t统一社会信用代码",
        "91330100MA2XXXXX0Y",
        "项目\t金额",
        "本金\t5,000,000.00",
        "利息\t180,000.00",
        "二、结论：同意授信。",
        "内部资料 第 1 页",
    ]


def test_docx_metadata_comes_from_core_properties(tmp_path: Path) -> None:
    result = extract(_report(tmp_path / "report.docx"))
    assert result.metadata["title"] == "授信调查报告"
    assert result.metadata["author"] == "张三"
    assert result.metadata["keywords"] == "流动资金 授信"
    assert result.metadata["created"].startswith("20")


def test_bytes_and_path_agree(tmp_path: Path) -> None:
    path = _report(tmp_path / "report.docx")
    assert extract(path.read_bytes()) == extract(path)


def _package(body: str, *, extra: dict[str, bytes] | None = None, prolog: str = "") -> bytes:
    """A minimal DOCX whose body is ``body`` (WordprocessingML inside w:body)."""
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        f'<w:document xmlns:w="{W}" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<w:body>{body}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _p(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def test_tracked_deletions_field_codes_and_alternate_content_are_not_text() -> None:
    body = (
        "<w:p><w:r><w:t>保留</w:t></w:r>"
        "<w:del><w:r><w:delText>已删除</w:delText></w:r></w:del>"
        "<w:ins><w:r><w:t>新增</w:t></w:r></w:ins>"
        '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
        "<w:r><w:t>7</w:t></w:r></w:p>"
        "<w:p><w:r><mc:AlternateContent><mc:Choice Requires='wps'>"
        "<w:drawing><w:txbxContent>" + _p("文本框") + "</w:txbxContent></w:drawing></mc:Choice>"
        "<mc:Fallback><w:pict><w:txbxContent>" + _p("文本框") + "</w:txbxContent></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
    )
    result = extract(_package(body))
    assert result.status == "ok", result.error
    assert result.text.count("文本框") == 1
    assert "已删除" not in result.text and "PAGE" not in result.text
    assert result.text.startswith("保留新增7\n")


def test_tab_stop_definitions_and_properties_are_not_text() -> None:
    body = (
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
        "<w:r><w:rPr><w:b/></w:rPr><w:t>甲</w:t></w:r><w:r><w:tab/><w:t>乙</w:t></w:r></w:p>"
    )
    assert extract(_package(body)).text == "甲\t乙"


def test_headers_and_footers_follow_the_section_references() -> None:
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="header" Target="header1.xml"/>'
        '<Relationship Id="rId2" Type="footer" Target="/word/footer1.xml"/>'
        '<Relationship Id="rId3" Type="header" Target="missing.xml"/>'
        '<Relationship Id="rId4" Type="hyperlink" Target="https://example.com" TargetMode="External"/>'
        "</Relationships>"
    )

    def part(tag: str, text: str) -> bytes:
        return f'<w:{tag} xmlns:w="{W}">{_p(text)}</w:{tag}>'.encode()

    body = (
        _p("正文")
        + '<w:sectPr><w:headerReference w:type="default" r:id="rId1"/>'
        + '<w:headerReference w:type="first" r:id="rId3"/>'
        + '<w:footerReference w:type="default" r:id="rId2"/></w:sectPr>'
    )
    extra = {
        "word/_rels/document.xml.rels": rels.encode(),
        "word/header1.xml": part("hdr", "页眉"),
        "word/footer1.xml": part("ftr", "页脚"),
    }
    assert extract(_package(body, extra=extra)).text == "页眉\n正文\n页脚"


def test_a_damaged_header_is_left_out_and_the_body_kept() -> None:
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="header" Target="header1.xml"/></Relationships>'
    )
    body = _p("正文") + '<w:sectPr><w:headerReference w:type="default" r:id="rId1"/></w:sectPr>'
    extra = {
        "word/_rels/document.xml.rels": rels.encode(),
        "word/header1.xml": b"<w:hdr><w:p>",
        "docProps/core.xml": b"<broken",
    }
    result = extract(_package(body, extra=extra))
    assert (result.status, result.text, result.metadata) == ("partial", "正文", {})
    assert "word/header1.xml" in result.error and "部分损坏" in result.error


def test_footnotes_follow_the_body_without_separators() -> None:
    notes = (
        f'<w:footnotes xmlns:w="{W}">'
        f'<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1">{_p("注：金额单位为元")}</w:footnote></w:footnotes>'
    )
    result = extract(_package(_p("正文"), extra={"word/footnotes.xml": notes.encode()}))
    assert result.text == "正文\n注：金额单位为元"


def test_entities_are_not_expanded() -> None:
    prolog = '<!DOCTYPE w:document [<!ENTITY a "哈哈哈哈哈哈哈哈"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    result = extract(_package("<w:p><w:r><w:t>前&b;后</w:t></w:r></w:p>", prolog=prolog))
    assert result.status == "ok", result.error
    assert "哈" not in result.text
    assert result.text.startswith("前")


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    data = _package(_p("正文"), extra={"word/media/zeros.bin": bytes(4 * 1024 * 1024)})
    assert extract(data).status == "ok"
    result = extract(data, limits=Limits(max_zip_bytes=1024 * 1024))
    assert result.status == "error"
    assert "zip bomb" in result.error and "压缩炸弹" in result.error


def test_too_many_entries_are_refused() -> None:
    data = _package(_p("正文"), extra={f"word/media/{index}.bin": b"x" for index in range(20)})
    result = extract(data, limits=Limits(max_zip_entries=10))
    assert result.status == "error"
    assert "entries" in result.error


def test_an_oversized_part_is_refused() -> None:
    data = _package(_p("长" * 100_000))
    result = extract(data, limits=Limits(max_part_bytes=10_000))
    assert result.status == "error"
    assert "word/document.xml" in result.error


def test_a_truncated_docx_is_a_clear_error(tmp_path: Path) -> None:
    data = _report(tmp_path / "report.docx").read_bytes()
    result = extract(data[: len(data) // 2], name="report.docx")
    assert result.status == "error"
    assert "DOCX" in result.error


def test_invalid_xml_is_a_clear_error() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document><w:body><w:p>")
    result = extract(buffer.getvalue())
    assert result.status == "error"
    assert "invalid XML" in result.error and "XML 无效" in result.error


def test_a_file_named_docx_that_is_not_one_is_an_error() -> None:
    result = extract("一段文字".encode(), name="合同.docx")
    assert result.status == "error"
    assert result.error.startswith("not a DOCX")


def test_text_beyond_the_character_limit_is_cut(tmp_path: Path) -> None:
    result = extract(_report(tmp_path / "report.docx"), limits=Limits(max_text_chars=10))
    assert (result.status, result.flags, len(result.text)) == ("partial", ["truncated"], 10)
