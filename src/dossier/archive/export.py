"""`dossier export`: one borrower's credit file as a zip an auditor can check offline.

The bundle holds the documents in archive order (``NN-类别/…``, as in the archive home, with the input
sidecars and PDF/A renditions of generated documents, each listed under its document), ``manifest.json``
and ``manifest.csv`` (every file's id, path, type, date, size and SHA-256), ``SHA256SUMS`` (for
``sha256sum -c``), ``events.jsonl`` (the borrower's audit events with each event's hash and
prev_hash), ``verify.py`` (a standard-library check of all of it) and a ``README.txt`` in Chinese saying
how to verify.

Every file is re-hashed as it is copied in; a file that is missing or differs from the catalog stops the
export (run `dossier audit verify`). The export is itself an audit event, included in the bundle. The
zip is written under a temporary name beside the target and renamed when complete.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.archive.audit import append_event, event_content, events_for, plain
from dossier.archive.catalog.models import Borrower, Document, Event, Loan, Rendition
from dossier.archive.home import Archive
from dossier.archive.registry import find_borrower, normalize_key
from dossier.archive.renditions import renditions_of
from dossier.cells import csv_row
from dossier.domain.categories import categories
from dossier.domain.document_types import document_types
from dossier.domain.enums import CustomerType
from dossier.durable import file_sha256, replacing
from dossier.errors import DossierError

FORMAT = "dossier-export"
FORMAT_VERSION = 1
EVENT_FIELDS = ("seq", "at", "actor", "action", "target", "borrower_key", "details")
"""The content each event's hash covers, in the order of audit.event_hash."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    borrower_key: str
    borrower_name: str
    documents: int
    files: int
    """Archived files in the bundle: documents and their input sidecars."""
    events: int
    event_seq: int
    """Sequence number of the ``export`` event recorded for this bundle."""


@dataclass(frozen=True)
class _Entry:
    document: Document
    zip_path: str
    source: str
    """Path relative to the archive home."""
    sha256: str
    size: int
    kind: str
    """``document``, ``input`` or ``rendition`` (another form of the document, e.g. its PDF/A)."""
    rendition: Rendition | None = None


def find_borrower_by_key_or_name(session: Session, wanted: str, archive: Archive) -> Borrower:
    """The borrower with this key (ID number or credit code) or, failing that, this exact name."""
    found = None
    try:
        found = find_borrower(session, normalize_key(wanted, archive.config))
    except DossierError:
        found = None
    if found is None:
        named = list(session.scalars(select(Borrower).where(Borrower.name == wanted.strip())))
        if len(named) > 1:
            keys = ", ".join(b.key for b in named)
            raise DossierError(f"several borrowers are named {wanted} (重名，请用证件号码): {keys}")
        found = named[0] if named else None
    if found is None:
        raise DossierError(f"no borrower {wanted!r} in the archive (档案中没有该借款人)")
    return found


def _zip_path(document_path: str, borrower_folder: str, fallback_folder: str) -> str:
    # Inside the bundle a file keeps its place under the borrower's folder: NN-类别/name.
    prefix = borrower_folder + "/"
    if document_path.startswith(prefix):
        return document_path[len(prefix) :]
    return f"{fallback_folder}/{document_path.rsplit('/', 1)[-1]}"


def _collect(session: Session, archive: Archive, wanted: str) -> tuple[Borrower, list[Loan], list[_Entry]]:
    borrower = find_borrower_by_key_or_name(session, wanted, archive)
    loans = list(session.scalars(select(Loan).where(Loan.borrower_id == borrower.id).order_by(Loan.id)))
    documents = list(
        session.scalars(
            select(Document).where(Document.borrower_id == borrower.id, Document.state == "filed")
        )
    )
    order = {c.key: c for c in categories(archive.config)}

    def position(doc: Document) -> tuple[int, str, int]:
        number = order[doc.category].number if doc.category in order else 99
        return number, (doc.doc_date.isoformat() if doc.doc_date else "0000"), doc.id

    renditions = renditions_of(session, [d.id for d in documents])
    entries: list[_Entry] = []
    for doc in sorted(documents, key=position):
        folder = order[doc.category].folder if doc.category in order else doc.category
        entries.append(
            _Entry(
                doc, _zip_path(doc.path, borrower.folder, folder), doc.path, doc.sha256, doc.size, "document"
            )
        )
        sidecar = (doc.details or {}).get("input")
        if isinstance(sidecar, dict) and sidecar.get("path"):
            entries.append(
                _Entry(
                    doc,
                    _zip_path(str(sidecar["path"]), borrower.folder, folder),
                    str(sidecar["path"]),
                    str(sidecar.get("sha256", "")),
                    int(sidecar.get("size", 0)),
                    "input",
                )
            )
        for rendition in renditions.get(doc.id, []):
            entries.append(
                _Entry(
                    doc,
                    _zip_path(rendition.path, borrower.folder, folder),
                    rendition.path,
                    rendition.sha256,
                    rendition.size,
                    "rendition",
                    rendition,
                )
            )
    return borrower, loans, entries


def _copy_verified(archive: Archive, bundle: zipfile.ZipFile, entry: _Entry) -> str | None:
    """Copy one archived file into the bundle, hashing it; the problem in words, or None."""
    try:
        source = archive.absolute(entry.source)
    except DossierError:
        return f"{entry.source}: outside the archive home (路径越出档案库)"
    if not source.is_file():
        return f"{entry.source}: missing (文件缺失)"
    sha256 = file_sha256(source)
    info = zipfile.ZipInfo(
        entry.zip_path, date_time=_zip_time(datetime.fromtimestamp(source.stat().st_mtime))
    )
    info.compress_type = zipfile.ZIP_DEFLATED
    if sha256 != entry.sha256:
        return f"{entry.source}: changed since filing (文件内容与目录不符)"
    with source.open("rb") as src, bundle.open(info, "w") as dst:
        shutil.copyfileobj(src, dst)
    return None


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    moment = max(moment, datetime(1980, 1, 1))
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def event_record(event: Event) -> dict[str, Any]:
    """One line of events.jsonl: the hashed content exactly as audit.event_hash sees it, plus the links."""
    return {**event_content(event), "prev_hash": event.prev_hash, "hash": event.hash}


def _sums(entries: list[_Entry]) -> str:
    return "".join(f"{e.sha256}  {e.zip_path}\n" for e in entries)


def export_borrower(
    archive: Archive, borrower: str, output: Path, *, actor: str = "system", overwrite: bool = False
) -> ExportResult:
    """Write ``borrower``'s credit file to the zip ``output`` and record the export in the audit log."""
    output = Path(output).expanduser().absolute()
    home = archive.home.resolve()
    if output.resolve().is_relative_to(home):
        raise DossierError(
            f"the export must be written outside the archive home (导出文件不能放在档案库目录内): {output}"
        )
    if output.exists() and not overwrite:
        raise DossierError(f"{output} already exists (文件已存在); choose another name or overwrite it")
    if not output.parent.is_dir():
        raise DossierError(f"folder not found (目录不存在): {output.parent}")

    # Read under a shared filing lock: no filing is half-way, so every filed row has its file.
    with archive.filing_lock():
        borrower_row, loans, entries = archive.transaction(
            lambda s: _collect(s, archive, borrower), write=False
        )
    key = borrower_row.key
    with replacing(output) as temp, zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        problems = [p for e in entries if (p := _copy_verified(archive, bundle, e)) is not None]
        if problems:
            raise DossierError(
                "export stopped: files do not match the catalog (文件与目录不符，导出中止); run "
                "`dossier audit verify`: " + "; ".join(problems)
            )
        sums = _sums(entries)
        documents = len({e.document.id for e in entries})
        exported_at = datetime.now(UTC)

        def record(session: Session) -> tuple[Event, list[Event]]:
            event = append_event(
                session,
                actor=actor,
                action="export",
                target=f"borrower:{key}",
                borrower_key=key,
                details={
                    "file": output.name,
                    "documents": documents,
                    "files": len(entries),
                    "sha256sums": hashlib.sha256(sums.encode("utf-8")).hexdigest(),
                },
            )
            return event, events_for(session, borrower_key=key)

        export_event, events = archive.transaction(record)
        manifest = _manifest(archive, borrower_row, loans, entries, events, export_event, exported_at, actor)
        _write_text(bundle, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        _write_text(bundle, "manifest.csv", _manifest_csv(manifest), bom=True)
        _write_text(bundle, "SHA256SUMS", sums)
        _write_text(bundle, "events.jsonl", "".join(_jsonl(events)))
        _write_text(bundle, "verify.py", _VERIFY_SCRIPT)
        _write_text(bundle, "README.txt", _readme(manifest))
    return ExportResult(
        path=output,
        borrower_key=key,
        borrower_name=borrower_row.name,
        documents=documents,
        files=len(entries),
        events=len(events),
        event_seq=export_event.seq,
    )


def _jsonl(events: list[Event]) -> Iterator[str]:
    for event in events:
        yield json.dumps(event_record(event), ensure_ascii=False, sort_keys=True) + "\n"


def _write_text(bundle: zipfile.ZipFile, name: str, text: str, *, bom: bool = False) -> None:
    data = text.encode("utf-8-sig" if bom else "utf-8")
    info = zipfile.ZipInfo(name, date_time=_zip_time(datetime.now()))
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, data)


def _customer_type_label(value: str) -> str:
    try:
        return CustomerType(value).label
    except ValueError:
        return value


def _media_type(entry: _Entry) -> str:
    if entry.rendition is not None:
        return entry.rendition.media_type
    return entry.document.media_type if entry.kind == "document" else "application/json"


def _manifest(
    archive: Archive,
    borrower: Borrower,
    loans: list[Loan],
    entries: list[_Entry],
    events: list[Event],
    export_event: Event,
    exported_at: datetime,
    actor: str,
) -> dict[str, Any]:
    labels = {c.key: c.label for c in categories(archive.config)}
    type_labels = {t.key: t.label for t in document_types(archive.config)}
    numbers = {loan.id: loan.contract_number for loan in loans}
    files: list[dict[str, Any]] = []
    sequence = 0
    for entry in entries:
        doc = entry.document
        if entry.kind == "document":
            sequence += 1
        files.append(
            {
                "seq": sequence,
                "kind": entry.kind,
                "document_id": doc.id,
                "path": entry.zip_path,
                "archive_path": entry.source,
                "category": doc.category,
                "category_label": labels.get(doc.category, doc.category),
                "doc_type": doc.doc_type,
                "doc_type_label": type_labels.get(doc.doc_type, doc.doc_type),
                "title": doc.title,
                "doc_date": doc.doc_date,
                "contract_number": numbers.get(doc.loan_id) if doc.loan_id else None,
                "size": entry.size,
                "sha256": entry.sha256,
                "media_type": _media_type(entry),
                "pages": entry.rendition.pages
                if entry.rendition is not None
                else (doc.pages if entry.kind == "document" else None),
                "rendition": entry.rendition.kind if entry.rendition is not None else None,
                "source": doc.source,
                "version": doc.version,
                "version_of": doc.version_of,
                "original_name": doc.original_name,
                "filed_at": doc.filed_at,
            }
        )
    return plain(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "exported_at": exported_at,
            "exported_by": actor,
            "borrower": {
                "key": borrower.key,
                "name": borrower.name,
                "customer_type": borrower.customer_type,
                "customer_type_label": _customer_type_label(borrower.customer_type),
                "officer": borrower.officer,
                "legal_hold": bool(borrower.legal_hold),
                "folder": borrower.folder,
            },
            "loans": [
                {
                    "contract_number": loan.contract_number,
                    "receipt_numbers": loan.receipt_numbers or [],
                    "product": loan.product,
                    "guarantee_methods": loan.guarantee_methods or [],
                    "amount": loan.amount,
                    "term_months": loan.term_months,
                    "start_date": loan.start_date,
                    "maturity_date": loan.maturity_date,
                    "settled_on": loan.settled_on,
                    "officer": loan.officer,
                    "legal_hold": bool(loan.legal_hold),
                }
                for loan in loans
            ],
            "documents": sum(1 for e in entries if e.kind == "document"),
            # The chain's head as this bundle was made (its own export event): an anchor, so that
            # `dossier audit verify --anchors bundle.zip` shows whether the chain has been cut or rewritten.
            "audit_head": {"seq": export_event.seq, "hash": export_event.hash},
            "files": files,
            "events": {
                "file": "events.jsonl",
                "count": len(events),
                "first_seq": events[0].seq if events else None,
                "last_seq": events[-1].seq if events else None,
                "last_hash": events[-1].hash if events else None,
                "export_event_seq": export_event.seq,
            },
            "hashing": {
                "files": "SHA-256 of each file's bytes (SHA256SUMS, manifest files[].sha256)",
                "events": (
                    "hash = SHA-256(prev_hash as ASCII + canonical JSON of {seq, at, actor, action, target, "
                    "borrower_key, details}); canonical JSON: keys sorted, UTF-8 (not escaped), separators "
                    "',' and ':'. Consecutive seq numbers link: prev_hash = the previous event's hash."
                ),
            },
        }
    )


_CSV_COLUMNS = (
    ("seq", "序号"),
    ("kind", "文件类别 kind"),
    ("document_id", "文档编号 id"),
    ("path", "路径 path"),
    ("category_label", "档案类别"),
    ("doc_type", "文档类型 doc_type"),
    ("doc_type_label", "文档类型名称"),
    ("title", "标题"),
    ("doc_date", "文件日期"),
    ("contract_number", "合同编号"),
    ("size", "大小(字节) size"),
    ("sha256", "SHA-256"),
)


def _manifest_csv(manifest: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(csv_row(heading for _, heading in _CSV_COLUMNS))
    for row in manifest["files"]:
        writer.writerow(csv_row("" if row[name] is None else row[name] for name, _ in _CSV_COLUMNS))
    return buffer.getvalue()


def _readme(manifest: dict[str, Any]) -> str:
    borrower = manifest["borrower"]
    events = manifest["events"]
    return f"""信贷档案导出包 — {borrower["name"]}（{borrower["key"]}）
导出时间：{manifest["exported_at"]}　导出人：{manifest["exported_by"]}
文档 {manifest["documents"]} 份，文件 {len(manifest["files"])} 个，审计事件 {events["count"]} 条。

一、内容
  NN-类别/             借款人档案，按卷内顺序（01-基本资料 … 09-结清）存放，与档案库中的目录一致；
                       *.input.json 为生成文档所用的输入数据。
  manifest.json        清单：每个文件的文档编号、包内路径、类型、日期、大小和 SHA-256，及借款人、贷款信息。
  manifest.csv         同一清单的表格版（UTF-8，可用 Excel 打开）。
  SHA256SUMS           每个档案文件的 SHA-256，供 sha256sum 校验。
  events.jsonl         该借款人的审计事件，每行一条，含本条哈希 hash 与上一条哈希 prev_hash。
  verify.py            离线校验脚本（只需 Python 3，无需联网或安装任何软件）。

二、如何校验（解压后在本目录中执行）
  1. 文件完整性：
       Linux:   sha256sum -c SHA256SUMS
       macOS:   shasum -a 256 -c SHA256SUMS
       Windows: certutil -hashfile "<文件>" SHA256 （逐个与 manifest.csv 中的 SHA-256 比对）
     每一行都应显示 OK（确定）。任何不一致说明文件在导出后被改动。
  2. 一次完成全部校验（文件哈希 + 审计事件哈希链）：
       python3 verify.py
     全部相符时输出“校验通过”，退出码为 0；否则列出每个问题，退出码为 1。

三、审计事件哈希链
  每条事件的 hash = SHA-256( prev_hash（ASCII）+ 规范化 JSON )，规范化 JSON 由 seq、at、actor、action、
  target、borrower_key、details 七项组成，键按字母排序、UTF-8 不转义、分隔符为“,”与“:”。
  档案库的审计日志是全库一条链，本包只含该借款人的事件：序号相连的两条事件之间应满足
  “后一条的 prev_hash = 前一条的 hash”；序号不相连处属于其他借款人的事件，不在本包中。
  最后一条事件（第 {events["last_seq"]} 条，hash {events["last_hash"]}）即本次导出事件，可与档案库
  `dossier audit log --json` 的记录或银行定期公布的日志哈希比对，以证明本包与档案库一致。
"""


_VERIFY_SCRIPT = r'''#!/usr/bin/env python3
"""Offline check of a dossier export bundle: every file against SHA256SUMS and manifest.json, and the
audit events' hashes and links. Standard library only. Run it in the unzipped folder: python3 verify.py"""

import hashlib
import json
import sys
from pathlib import Path

FIELDS = ("seq", "at", "actor", "action", "target", "borrower_key", "details")


def canonical(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def main(folder):
    problems = []
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    listed = {}
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    for entry in manifest["files"]:
        if listed.get(entry["path"]) != entry["sha256"]:
            problems.append(f"{entry['path']}: SHA256SUMS and manifest.json disagree (清单不一致)")
        path = folder / entry["path"]
        if not path.is_file():
            problems.append(f"{entry['path']}: missing (文件缺失)")
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['path']}: SHA-256 differs (文件已被改动)")
    previous = None
    count = 0
    for number, line in enumerate((folder / "events.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        event = json.loads(line)
        count += 1
        content = {name: event[name] for name in FIELDS}
        expected = hashlib.sha256(event["prev_hash"].encode("ascii") + canonical(content)).hexdigest()
        if expected != event["hash"]:
            problems.append(f"event {event['seq']} (line {number}): hash does not match (事件被篡改)")
        if previous is not None:
            if event["seq"] <= previous["seq"]:
                problems.append(f"event {event['seq']} (line {number}): out of order (事件顺序错误)")
            elif event["seq"] == previous["seq"] + 1 and event["prev_hash"] != previous["hash"]:
                gap = f"event {event['seq']}: prev_hash does not link to event {previous['seq']}"
                problems.append(gap + " (哈希链断裂)")
        previous = event
    summary = manifest["events"]
    if count != summary["count"] or (previous and previous["hash"] != summary["last_hash"]):
        problems.append("events.jsonl does not match manifest.json (事件数量或末条哈希与清单不符)")
    for problem in problems:
        print(problem)
    if problems:
        print(f"校验未通过 FAILED: {len(problems)} problem(s)")
        return 1
    print(f"校验通过 OK: {len(manifest['files'])} files, {count} events")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent))
'''
