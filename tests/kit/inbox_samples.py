"""Sample files and archive homes for the inbox tests (and bench/watch.py): one-page text PDFs with
Chinese text, registered borrowers and loans, a configuration with short timings, the watcher as a
real subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from dossier.archive import Archive
from dossier.archive.catalog.models import Document, InboxItem
from dossier.archive.registry import ensure_borrower, ensure_loan
from dossier.config import load_config
from dossier.domain.identifiers import credit_check_char, resident_check_digit

DOSSIER = Path(sys.executable).parent / "dossier"
MiB = 1024 * 1024


def resident_id(body17: str) -> str:
    return body17 + resident_check_digit(body17)


def credit_code(body17: str) -> str:
    return body17 + credit_check_char(body17)


PERSON = resident_id("35020319800101001")
PERSON_NAME = "张三"
SPOUSE = resident_id("35020319820202002")
COMPANY = credit_code("91350205MA2XK7Q39")
COMPANY_NAME = "厦门海沧示例贸易有限公司"
STRANGER = resident_id("11010519900303003")
"""A valid ID number nobody in the catalog has."""
CONTRACT = "JK2026-000123"
RECEIPT = "JJ2026-000123-01"


def text_pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF whose text layer is ``lines`` (a CID font with a ToUnicode map, not embedded:
    text extraction needs nothing more, and the file stays about 1 KB)."""
    chars = sorted({c for line in lines for c in line})
    cid = {c: i + 1 for i, c in enumerate(chars)}
    content = bytearray(b"BT /F1 12 Tf 14 TL 50 800 Td\n")
    for line in lines:
        content += b"<" + "".join(f"{cid[c]:04X}" for c in line).encode() + b"> Tj T*\n"
    content += b"ET"
    pairs = "\n".join(f"<{cid[c]:04X}> <{ord(c):04X}>" for c in chars)
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(chars)} beginbfchar\n{pairs}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + bytes(content) + b"\nendstream",
            b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H "
            b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun /CIDSystemInfo << /Registry (Adobe) "
            b"/Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /DW 1000 >>",
            b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
            b"<< /Type /FontDescriptor /FontName /SimSun /Flags 4 /FontBBox [0 -200 1000 900] "
            b"/ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>",
        ]
    )


def bomb_pdf(megabytes: int = 1024) -> bytes:
    """A PDF whose one content stream inflates to ``megabytes`` MiB of zeros (about 1 MB on disk)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(MiB)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    adler = (((megabytes * MiB) % 65521) << 16) | 1
    stream = b"\x78\xda" + first + block * (megabytes - 1) + final + adler.to_bytes(4, "big")
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        ]
    )


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def license_pdf(code: str = COMPANY, serial: str = "") -> bytes:
    return text_pdf(
        [
            "营业执照",
            f"统一社会信用代码 {code}",
            "名称 厦门海沧示例贸易有限公司",
            "法定代表人 张三",
            "经营范围 贸易",
            "注册资本 伍佰万元",
            "成立日期 2015年03月01日",
            "登记机关 厦门市市场监督管理局",
            f"编号 {serial}",
        ]
    )


def id_card_pdf(number: str = PERSON, serial: str = "") -> bytes:
    return text_pdf(
        [
            "中华人民共和国居民身份证",
            "姓名 张三 民族 汉",
            "住址 福建省厦门市思明区",
            f"公民身份号码 {number}",
            "签发机关 厦门市公安局",
            f"有效期限 2020.01.01-2040.01.01 {serial}",
        ]
    )


def receipt_pdf(serial: str = "") -> bytes:
    return text_pdf(
        [
            "借款借据",
            f"借据编号 {RECEIPT}",
            f"借款合同编号 {CONTRACT}",
            "借款金额 人民币壹拾万元整",
            "发放日 2026年01月05日 到期日 2027年01月05日",
            f"利率 4.35% 用途 流动资金周转 {serial}",
        ]
    )


def plain_pdf(serial: str) -> bytes:
    """A PDF with text that names no borrower and no document type."""
    return text_pdf(["会议记录", f"第 {serial} 号", "今天天气晴朗"])


# --------------------------------------------------------------------------- homes


CONFIG = """\
[inbox]
quiet_seconds = {quiet}
rescan_seconds = {rescan}
ocr_worker = false
index_batch = 50
max_file_mb = 5

[search]
engine = "tantivy"
extract_timeout_seconds = 20
extract_memory_mb = 512
ocr = false
"""


@dataclass(frozen=True)
class Home:
    path: Path
    config: Path

    @property
    def inbox(self) -> Path:
        return self.path / "_inbox"

    @property
    def quarantine(self) -> Path:
        return self.path / "_quarantine"

    def archive(self) -> Archive:
        return Archive.open(self.path, config=load_config(self.config))

    def env(self) -> dict[str, str]:
        return {**os.environ, "DOSSIER_CONFIG": str(self.config), "NO_COLOR": "1", "COLUMNS": "200"}

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`dossier ARGS --home HOME` as a subprocess."""
        return subprocess.run(
            [str(DOSSIER), *args, "--home", str(self.path)],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, *extra: str, log: Path | None = None) -> subprocess.Popen[bytes]:
        """`dossier watch --home HOME` as a running subprocess."""
        out = open(log, "ab") if log is not None else subprocess.DEVNULL
        try:
            return subprocess.Popen(
                [str(DOSSIER), "watch", "--home", str(self.path), *extra],
                env=self.env(),
                stdout=out,
                stderr=out,
            )
        finally:
            if log is not None:
                out.close()  # type: ignore[union-attr]  # a file here, not DEVNULL


def make_home(base: Path, *, quiet: float = 0.3, rescan: float = 5.0) -> Home:
    """An archive home with the sample borrowers and loan registered, and a configuration for it."""
    base.mkdir(parents=True, exist_ok=True)
    config = base / "dossier.toml"
    config.write_text(CONFIG.format(quiet=quiet, rescan=rescan), encoding="utf-8")
    home = Home(base / "home", config)
    with Archive.init(home.path, config=load_config(config)) as archive:
        ensure_borrower(archive, PERSON, PERSON_NAME, "person")
        ensure_borrower(archive, SPOUSE, "李四", "person")
        ensure_borrower(archive, COMPANY, COMPANY_NAME, "enterprise")
        ensure_loan(archive, COMPANY, CONTRACT, facts={"receipt_numbers": [RECEIPT]})
    return home


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """SIGTERM, then wait for a clean exit; the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=timeout)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, *, every: float = 0.1) -> None:
    """Poll ``condition`` every ``every`` seconds until it holds; fail naming ``what`` after ``timeout``
    seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def drop(inbox: Path, relative: str, content: bytes) -> Path:
    """Write a file elsewhere, then move it into the inbox atomically (how scanners and careful clients
    deliver)."""
    target = inbox / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = inbox.parent.parent / "staging"
    staging.mkdir(exist_ok=True)
    temp = staging / f"{os.getpid()}-{time.monotonic_ns()}"
    temp.write_bytes(content)
    os.rename(temp, target)
    return target


# --------------------------------------------------------------------------- reading the outcome


def documents(home: Home) -> list[Document]:
    with home.archive() as archive:
        return archive.transaction(
            lambda s: list(
                s.execute(select(Document).where(Document.state == "filed").order_by(Document.id)).scalars()
            ),
            write=False,
        )


def items(home: Home) -> list[InboxItem]:
    with home.archive() as archive:
        return archive.transaction(
            lambda s: list(s.execute(select(InboxItem).order_by(InboxItem.id)).scalars()), write=False
        )


def files_under(folder: Path) -> list[Path]:
    """Every file, link or special file below ``folder`` (links not followed)."""
    found = []
    for root, dirs, names in os.walk(folder):
        found += [Path(root) / n for n in names]
        found += [Path(root) / d for d in dirs if (Path(root) / d).is_symlink()]
    return sorted(found)


def quarantined(home: Home) -> list[Path]:
    return [p for p in files_under(home.quarantine) if not p.name.endswith(".reason.json")]


def processing(home: Home) -> list[Path]:
    return files_under(home.path / ".dossier" / "state" / "processing")


def log_tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
