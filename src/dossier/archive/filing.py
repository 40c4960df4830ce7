"""Filing one document into a borrower's credit file, so that a crash at any instant is harmless.

The protocol, in order:

1. copy the content to ``.dossier-tmp-<random>.part`` in the target folder, hashing as it goes; fsync;
   read it back and check the hash;
2. in one catalog transaction: a document with the same SHA-256 for this borrower makes this a
   duplicate (an event, no copy); otherwise choose a final name no file and no catalog row uses, and
   commit a ``pending`` row naming it and the temporary file;
3. hard-link the temporary file to the final name (a link never replaces an existing file), remove the
   temporary name, fsync the folder;
4. flip the row to ``filed``, append the audit event and queue the document for the search index
   (dossier.archive.index_outbox), in one transaction.

A crash before 2 leaves only a temporary file; after 2, a pending row that `dossier repair` finishes
(the verified content is on disk) or rolls back. So there is never a filed row without its file, and
never a file under a real name that is not the complete, verified content.

Names: the same file name in the same category folder with other content becomes the next version
(``-v2``), linked to the first; the same content again is recorded once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import unicodedata
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from dossier.archive.audit import HEAD_ID, append_event, plain, require_head
from dossier.archive.catalog.models import AuditHead, Borrower, Document, Loan
from dossier.archive.index_outbox import enqueue as enqueue_for_index
from dossier.archive.index_outbox import enqueued_from
from dossier.archive.names import (
    TEMP_PREFIX,
    check_file_name,
    check_name,
    document_file_name,
    ensure_inside,
    split_suffix,
)
from dossier.archive.open_items import ITEMS_OPEN, close_open_items
from dossier.archive.pdf_read import page_count
from dossier.archive.registry import normalize_key
from dossier.domain.categories import get_category
from dossier.domain.document_types import get_document_type
from dossier.durable import file_sha256, fsync_dir
from dossier.errors import DossierError, FilingInterrupted
from dossier.media import media_settings, read_media
from dossier.media.media_types import media_type_for, suffix_for
from indexer.extract.sniff import TEXT, sniff

if TYPE_CHECKING:
    # A type only: home opens an archive and, once migrated, runs renditions, which files through here.
    from dossier.archive.home import Archive

SOURCES = ("generated", "ingested", "uploaded")
INPUT_SUFFIX = ".input.json"
_NAME_ATTEMPTS = 5
GROUP = 64
"""Filings per group in file_documents: two commits and one fsync per folder for the whole group."""
# Plain SQL on the tables on the filing path: ORM objects cost more than the catalog's own work here.
_DOCS = cast(Table, Document.__table__)
_HEAD = cast(Table, AuditHead.__table__)
_BORROWERS = cast(Table, Borrower.__table__)
_LOANS = cast(Table, Loan.__table__)
_EVENT_FACTS = ("path", "sha256", "size", "title", "doc_type", "category", "source", "version", "version_of")
"""The document's columns its ``file``/``version`` event records (``version_of`` only when set)."""
# Each statement built once, with bound parameters: building one per call costs more than running it.
_BORROWER_BY_KEY = select(_BORROWERS.c.id, _BORROWERS.c.key, _BORROWERS.c.folder).where(
    _BORROWERS.c.key == bindparam("key")
)
_LOAN_BY_NUMBER = select(_LOANS.c.id, _LOANS.c.borrower_id).where(
    _LOANS.c.contract_number == bindparam("number")
)
_SAME_CONTENT, _SAME_NAME, _HEAD_FOUND = 1, 2, 3
"""What a row of _RESERVE_LOOKUP is: a document with the same content, one under the same first name,
or the audit head row."""
_LOOKUP_COLUMNS = (
    _DOCS.c.id,
    _DOCS.c.state,
    _DOCS.c.path,
    _DOCS.c.sha256,
    _DOCS.c.version,
    _DOCS.c.version_of,
)
_RESERVE_LOOKUP = union_all(
    select(literal_column(str(_SAME_CONTENT)).label("part"), *_LOOKUP_COLUMNS).where(
        _DOCS.c.borrower_id == bindparam("borrower_id"), _DOCS.c.sha256 == bindparam("sha256")
    ),
    select(literal_column(str(_SAME_NAME)), *_LOOKUP_COLUMNS).where(_DOCS.c.path == bindparam("path")),
    select(literal_column(str(_HEAD_FOUND)), _HEAD.c.seq, *(null() for _ in _LOOKUP_COLUMNS[1:])).where(
        _HEAD.c.id == HEAD_ID
    ),
).order_by("part", "id")
"""Everything a reservation reads before it writes, in one statement (one round trip)."""
_LATEST_VERSION = select(func.max(_DOCS.c.version)).where(
    or_(_DOCS.c.id == bindparam("root"), _DOCS.c.version_of == bindparam("root"))
)
_PATHS_TAKEN = (
    select(func.count()).select_from(_DOCS).where(_DOCS.c.path.in_(bindparam("paths", expanding=True)))
)
_INSERT_PENDING = insert(_DOCS).returning(_DOCS.c.id)
_DROP_PENDING = delete(_DOCS).where(_DOCS.c.id == bindparam("document_id"), _DOCS.c.state == "pending")
_PENDING_DOCUMENT = (
    select(
        *(_DOCS.c[name] for name in _EVENT_FACTS),
        _DOCS.c.state,
        _DOCS.c.details,
        _DOCS.c.borrower_id,
        _BORROWERS.c.key,
    )
    .join_from(_DOCS, _BORROWERS, _DOCS.c.borrower_id == _BORROWERS.c.id)
    .where(_DOCS.c.id == bindparam("document_id"))
)
_MARK_FILED = (
    update(_DOCS)
    .where(_DOCS.c.id == bindparam("document_id"))
    .values(state="filed", details=bindparam("filed_details"))
)
_FILE_RESERVED = (
    update(_DOCS)
    .where(_DOCS.c.id == bindparam("document_id"), _DOCS.c.state == "pending")
    .values(state="filed", details=bindparam("filed_details"))
    .returning(
        *(_DOCS.c[name] for name in _EVENT_FACTS),
        _DOCS.c.borrower_id,
        ITEMS_OPEN.label("items_open"),
    )
)
"""complete() for the filer that reserved the row: it knows the row's details, so one statement marks it
filed and reads back what the event records, and whether any open item asks for the document."""
_FILED = _FILE_RESERVED.returning(_DOCS.c.id.label("filed_id")).cte("filed")
_FILE_RESERVED_AND_QUEUE = select(_FILED).add_cte(enqueued_from(_FILED.c.filed_id))
"""The same on PostgreSQL, with the document queued for the index in the same statement (one round trip
less per filing); the ``queued_at`` parameter stamps the outbox row."""


@dataclass(frozen=True)
class FilingResult:
    document_id: int
    status: str
    """``filed`` (a new document), ``version`` (a later version of a name) or ``duplicate``."""
    path: Path
    sha256: str
    version: int = 1
    input_path: Path | None = None
    """The sidecar holding the input a generated document was made from, if any."""


@dataclass(frozen=True)
class _Temp:
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class FilingRequest:
    """One document to file: file_document's arguments, for :func:`file_documents`."""

    content: bytes | Path
    borrower_key: str
    category: str
    doc_type: str
    title: str
    original_name: str | None = None
    contract_number: str | None = None
    doc_date: date | None = None
    source: str = "ingested"
    actor: str = "system"
    details: Mapping[str, Any] | None = None
    filename: str | None = None
    input_data: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Reservation:
    """What the filer that committed a pending row knows of it: its details without ``pending`` (what
    the filed row keeps) and its borrower's key."""

    filed_details: dict[str, Any]
    borrower_key: str
    borrower_id: int
    doc_type: str


@dataclass
class _Checked:
    """A request checked and normalized, before anything is written."""

    content: bytes | bytearray | Path
    key: str
    contract_number: str | None
    stem: str
    suffix: str
    extra: dict[str, Any]
    sidecar: bytes | None
    facts: dict[str, Any]
    """The document's columns known before its content is copied (category, title, actor, …)."""


@dataclass
class _Staged:
    """A checked request with its content copied to temporary files beside its final place."""

    checked: _Checked
    borrower_id: int
    folder: Path
    temp: _Temp
    input_temp: _Temp | None
    facts: dict[str, Any]
    extra: dict[str, Any]


def file_document(
    archive: Archive,
    content: bytes | Path,
    *,
    borrower_key: str,
    category: str,
    doc_type: str,
    title: str,
    original_name: str | None = None,
    contract_number: str | None = None,
    doc_date: date | None = None,
    source: str = "ingested",
    actor: str = "system",
    details: Mapping[str, Any] | None = None,
    filename: str | None = None,
    input_data: Mapping[str, Any] | None = None,
) -> FilingResult:
    """File ``content`` (bytes, or a file streamed in chunks) into the borrower's credit file.

    ``input_data``, for generated documents, is kept beside the document as ``<name>.input.json`` so it
    can be regenerated; its hash is recorded in the document's details, so integrity checks cover it.
    """
    request = FilingRequest(
        content,
        borrower_key,
        category,
        doc_type,
        title,
        original_name,
        contract_number,
        doc_date,
        source,
        actor,
        details,
        filename,
        input_data,
    )
    checked = _check(archive, request)
    with archive.filing_connection():
        return _file_one(archive, checked)


def file_documents(
    archive: Archive, requests: Sequence[FilingRequest], *, group: int = GROUP
) -> list[FilingResult]:
    """File many documents, in order, as file_document would one by one, with grouped commits.

    Each group of up to ``group`` filings takes the protocol's steps together: every temporary copy
    written and fsynced, then one transaction commits all their pending rows, then every link and one
    fsync per folder, then one transaction marks them filed with their events and outbox rows. Every
    document passes through exactly the states a single filing does, so a crash at any instant leaves
    what `dossier repair` finishes or rolls back, document by document; nothing is lost or filed twice.
    Two requests of one group that meet (the same content or the same name for one borrower) are filed
    in successive groups, so the second sees the first filed, as it would one by one. A duplicate's
    event comes before the filing events of its group.

    Stops at the first request that fails, after filing every one before it, and raises its error.
    """
    if group < 1:
        raise ValueError("group must be at least 1")
    checked: list[_Checked] = []
    failure: Exception | None = None
    for request in requests:
        try:
            checked.append(_check(archive, request))
        except DossierError as exc:
            failure = exc
            break
    results: list[FilingResult] = []
    with archive.filing_connection():
        while len(results) < len(checked):
            start = len(results)
            done, error = _file_group(archive, checked[start : start + group])
            assert done or error is not None, "a group settles at least its first request"
            results.extend(done)
            if error is not None:
                raise error
    if failure is not None:
        raise failure
    return results


def _check(archive: Archive, request: FilingRequest) -> _Checked:
    source, doc_date, content = request.source, request.doc_date, request.content
    if source not in SOURCES:
        raise DossierError(f"source must be one of {', '.join(SOURCES)} (来源不正确): {source!r}")
    if doc_date is not None and not isinstance(doc_date, date):
        raise DossierError(f"document date must be a date (文档日期应为日期): {doc_date!r}")
    key = normalize_key(request.borrower_key, archive.config)
    title = check_name(request.title, ("document title", "文档标题"))
    actor = check_name(request.actor, ("actor", "操作人"), max_chars=50)
    original_name = request.original_name
    if original_name is not None:
        original_name = check_file_name(original_name, ("original file name", "原文件名"))
    filename = request.filename
    if filename is not None:
        filename = check_file_name(filename, ("file name", "文件名"))
    cat = get_category(check_name(request.category, ("archive category", "档案类别")), archive.config)
    kind = get_document_type(request.doc_type, archive.config)
    if not isinstance(content, bytes | bytearray | Path):
        raise DossierError(f"content must be bytes or a file path (内容应为字节或文件路径): {type(content)}")
    if isinstance(content, Path) and not content.is_file():
        raise DossierError(f"file not found (文件不存在): {content}")
    _check_size(archive, content)

    stem, suffix = split_suffix(filename or f"{title}{_suffix_of(original_name)}")
    if not suffix:
        suffix = _sniffed_suffix(content)
    return _Checked(
        content=content,
        key=key,
        contract_number=request.contract_number,
        stem=stem,
        suffix=suffix,
        extra=plain(dict(request.details or {})),
        sidecar=_input_bytes(request.input_data) if request.input_data is not None else None,
        facts={
            "category": cat.key,
            "doc_type": kind.key,
            "title": title,
            "doc_date": doc_date,
            "original_name": original_name,
            "source": source,
            "actor": actor,
        },
    )


def _stage(archive: Archive, checked: _Checked, borrower: Borrower, loan_id: int | None) -> _Staged:
    """Copy the content (and the input sidecar) to temporary files in the target folder, outside any
    catalog transaction, and gather the document's facts."""
    folder = archive.category_folder(borrower, checked.facts["category"])
    make_folder(archive, folder)
    temp = _write_temp(folder, checked.content)
    try:
        input_temp = _write_temp(folder, checked.sidecar) if checked.sidecar is not None else None
    except BaseException:
        temp.path.unlink(missing_ok=True)
        raise
    extra = dict(checked.extra)
    media_type = media_type_for(checked.suffix)
    media = read_media(temp.path, media_settings(archive.config))
    if media is not None:
        # Photos, video and audio carry no text: their header facts are what the archive keeps.
        extra["media"] = plain(media)
    facts = {
        **checked.facts,
        "sha256": temp.sha256,
        "size": temp.size,
        "media_type": media_type,
        "pages": page_count(temp.path) if media_type == "application/pdf" else None,
        "loan_id": loan_id,
    }
    assert borrower.id is not None
    return _Staged(checked, borrower.id, folder, temp, input_temp, facts, extra)


def _temps(staged: _Staged) -> list[_Temp]:
    return [t for t in (staged.temp, staged.input_temp) if t is not None]


def _file_one(archive: Archive, checked: _Checked) -> FilingResult:
    """The protocol for one document (the module docstring), under the filing lock the caller holds."""
    key = checked.key
    borrower, loan_id = archive.transaction(lambda s: _owner(s, key, checked.contract_number), write=False)
    staged = _stage(archive, checked, borrower, loan_id)
    temp, input_temp, folder = staged.temp, staged.input_temp, staged.folder
    reservations: dict[int, Reservation] = {}
    try:
        for _ in range(_NAME_ATTEMPTS):
            reserved = archive.transaction(
                lambda s: _reserve(
                    archive,
                    s,
                    key,
                    folder,
                    checked.stem,
                    checked.suffix,
                    staged.facts,
                    staged.extra,
                    temp,
                    input_temp,
                    staged.borrower_id,
                    reservations=reservations,
                )
            )
            if reserved.status == "duplicate":
                return reserved
            placed = _place(temp, reserved.path, input_temp, reserved.input_path)
            if placed:
                break
            # A file the catalog does not know took the name meanwhile: give the name back, try another.
            archive.transaction(lambda s, doc_id=reserved.document_id: _drop_pending(s, doc_id))
        else:
            raise DossierError(f"could not find a free file name (无法取得可用文件名) in {folder}")
    finally:
        for t in _temps(staged):
            t.path.unlink(missing_ok=True)
    fsync_dir(folder)
    reservation = reservations[reserved.document_id]
    archive.transaction(
        lambda s: complete(s, reserved.document_id, actor=staged.facts["actor"], reservation=reservation)
    )
    return reserved


def _file_group(archive: Archive, group: list[_Checked]) -> tuple[list[FilingResult], Exception | None]:
    """File a leading part of ``group`` with grouped commits (see file_documents): the results, in
    order, and the error that stopped it early, if one did. At least the first request is settled."""
    owners: list[tuple[Borrower, int | None]] = []
    failure: Exception | None = None

    def look_up(session: Session) -> None:
        owners.clear()
        for checked in group:
            owners.append(_owner(session, checked.key, checked.contract_number))

    try:
        archive.transaction(look_up, write=False)
    except DossierError as exc:
        failure = exc  # the owners found before it are filed first
    staged: list[_Staged] = []
    try:
        for checked, (borrower, loan_id) in zip(group, owners, strict=False):
            try:
                staged.append(_stage(archive, checked, borrower, loan_id))
            except (DossierError, OSError) as exc:  # e.g. a full disk: the ones before it are filed
                failure = exc
                break
        reservations: dict[int, Reservation] = {}
        reserved, error = archive.transaction(lambda s: _reserve_group(archive, s, staged, reservations))
        failure = error or (failure if len(reserved) == len(staged) else None)
        results: list[FilingResult | None] = []
        placed: list[int] = []
        for item, result in zip(staged, reserved, strict=False):
            if result.status == "duplicate":
                results.append(result)
            elif _place(item.temp, result.path, item.input_temp, result.input_path):
                results.append(result)
                placed.append(result.document_id)
            else:
                # A file the catalog does not know took the name meanwhile: give it back, file it alone.
                archive.transaction(lambda s, doc_id=result.document_id: _drop_pending(s, doc_id))
                results.append(None)
    finally:
        for item in staged:
            for t in _temps(item):
                t.path.unlink(missing_ok=True)
    for folder in sorted({item.folder for item, r in zip(staged, results, strict=False) if r is not None}):
        fsync_dir(folder)
    actors = {r.document_id: item.facts["actor"] for item, r in zip(staged, reserved, strict=False)}

    def finish(session: Session) -> None:
        for document_id in placed:
            complete(session, document_id, actor=actors[document_id], reservation=reservations[document_id])

    if placed:
        archive.transaction(finish)
    done = [
        r if r is not None else _file_one(archive, item.checked)
        for item, r in zip(staged, results, strict=False)
    ]
    return done, failure


class _SameGroup(Exception):
    """The request meets one reserved earlier in its group: it waits for the next group."""


def _reserve_group(
    archive: Archive, session: Session, staged: list[_Staged], reservations: dict[int, Reservation]
) -> tuple[list[FilingResult], Exception | None]:
    """Reserve each staged request in order in one transaction, until one meets an earlier one of the
    group (it waits for the next group) or fails (its error is returned; the others are committed)."""
    reserved: list[FilingResult] = []
    mine: set[int] = set()
    for item in staged:
        checked = item.checked
        try:
            result = _reserve(
                archive,
                session,
                checked.key,
                item.folder,
                checked.stem,
                checked.suffix,
                item.facts,
                item.extra,
                item.temp,
                item.input_temp,
                item.borrower_id,
                mine=mine,
                reservations=reservations,
            )
        except _SameGroup:
            break
        except DossierError as exc:
            # Raised before this request wrote anything: the ones before it stand.
            return reserved, exc
        reserved.append(result)
        if result.status != "duplicate":
            mine.add(result.document_id)
    return reserved, None


def make_folder(archive: Archive, folder: Path) -> None:
    """Create ``folder`` and its parents inside the home, refusing symbolic links on the way."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != archive.home:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        ensure_inside(archive.home, path.parent)
        try:
            path.mkdir()
        except FileExistsError:
            pass
        fsync_dir(path.parent)
    ensure_inside(archive.home, folder)
    if not folder.is_dir():
        raise DossierError(f"not a folder (不是目录): {folder}")


def complete(
    session: Session,
    document_id: int,
    *,
    actor: str,
    repaired: bool = False,
    reservation: Reservation | None = None,
) -> None:
    """Mark a pending document filed and log it; shared with `dossier repair`, which finishes filings.
    ``reservation``: the filer's own knowledge of the row it committed (spares reading it first)."""
    document: Any
    queued = False  # queued for the index by the statement that marked it filed
    if reservation is None:
        document = session.execute(_PENDING_DOCUMENT, {"document_id": document_id}).first()
        if document is None or document.state != "pending":
            raise DossierError(f"document {document_id} is not pending (文档不处于待归档状态)")
        details = {k: v for k, v in document.details.items() if k != "pending"}
        session.execute(_MARK_FILED, {"document_id": document_id, "filed_details": details})
        borrower_key = document.key
    else:
        details = reservation.filed_details
        params = {
            "document_id": document_id,
            "filed_details": details,
            "item_borrower_id": reservation.borrower_id,
            "item_doc_type": reservation.doc_type,
        }
        queued = session.get_bind().dialect.name == "postgresql"
        if queued:
            params["queued_at"] = datetime.now(UTC)
        document = session.execute(_FILE_RESERVED_AND_QUEUE if queued else _FILE_RESERVED, params).first()
        if document is None:
            raise DossierError(f"document {document_id} is not pending (文档不处于待归档状态)")
        borrower_key = reservation.borrower_key
    info = {name: getattr(document, name) for name in _EVENT_FACTS}
    if document.version_of is None:
        del info["version_of"]
    if "input" in details:
        info["input"] = details["input"]
    if repaired:
        info["completed_by"] = "check"
    # Same transaction as "filed": the search index can lag behind the catalog, never lose a document.
    if not queued:
        enqueue_for_index(session, document_id)
    append_event(
        session,
        actor=actor,
        action="version" if document.version > 1 else "file",
        target=f"document:{document_id}",
        borrower_key=borrower_key,
        details=info,
    )
    if reservation is not None and not document.items_open:
        return
    # A 补充材料 item of a credit application asking for this type is met by this filing.
    close_open_items(
        session,
        document_id=document_id,
        borrower_id=document.borrower_id,
        borrower_key=borrower_key,
        doc_type=document.doc_type,
        sha256=document.sha256,
        actor=actor,
    )


def _owner(session: Session, key: str, contract_number: str | None) -> tuple[Borrower, int | None]:
    row = session.execute(_BORROWER_BY_KEY, {"key": key}).first()
    if row is None:
        raise DossierError(
            f"unknown borrower (借款人未登记): {key}; register it first (e.g. `dossier ingest --name`)"
        )
    # Detached, holding what filing needs: its id and its folder (fixed at registration).
    borrower = Borrower(id=row.id, key=row.key, folder=row.folder)
    if contract_number is None:
        return borrower, None
    number = check_name(contract_number, ("contract number", "合同编号"), max_chars=60)
    number = unicodedata.normalize("NFKC", number).upper()  # as ensure_loan stored it
    loan = session.execute(_LOAN_BY_NUMBER, {"number": number}).first()
    if loan is None or loan.borrower_id != borrower.id:
        raise DossierError(f"unknown loan for borrower {key} (该借款人名下无此合同): {number}")
    return borrower, loan.id


def _reserve(
    archive: Archive,
    session: Session,
    key: str,
    folder: Path,
    stem: str,
    suffix: str,
    facts: dict[str, Any],
    extra: dict[str, Any],
    temp: _Temp,
    input_temp: _Temp | None,
    borrower_id: int | None = None,
    *,
    mine: Collection[int] = (),
    reservations: dict[int, Reservation] | None = None,
) -> FilingResult:
    """Steps 2 of the protocol in ``session``: a duplicate's event, or a pending row under a free name.
    ``mine``: documents reserved earlier in the same transaction (file_documents); meeting one raises
    _SameGroup before anything is written. ``reservations`` gets the pending row's Reservation."""
    if borrower_id is None:
        borrower_id = session.execute(_BORROWER_BY_KEY, {"key": key}).one().id
    first_name = document_file_name(stem, suffix)
    params = {
        "borrower_id": borrower_id,
        "sha256": temp.sha256,
        "path": archive.relative(folder / first_name),
    }
    found: dict[int, Any] = {}
    for part in session.execute(_RESERVE_LOOKUP, params):
        found.setdefault(part.part, part)  # the lowest id of each part
    # The filing ends with an event: refuse now rather than leave it pending.
    require_head(session, head_found=_HEAD_FOUND in found)
    same = found.get(_SAME_CONTENT)
    if same is not None:
        if same.id in mine:
            raise _SameGroup()
        if same.state != "filed":
            raise FilingInterrupted(
                f"an earlier filing of this content was interrupted (同一内容的归档曾中断): "
                f"document {same.id}; run `dossier repair` first"
            )
        append_event(
            session,
            actor=facts["actor"],
            action="duplicate",
            target=f"document:{same.id}",
            borrower_key=key,
            details={
                "sha256": temp.sha256,
                "path": same.path,
                "title": facts["title"],
                "original_name": facts["original_name"],
                "source": facts["source"],
            },
        )
        return FilingResult(same.id, "duplicate", archive.absolute(same.path), same.sha256, same.version)

    first = found.get(_SAME_NAME)
    version, root = 1, None
    if first is not None:
        if first.id in mine:
            raise _SameGroup()
        if first.state != "filed":
            raise FilingInterrupted(
                f"an earlier filing under this name was interrupted (同名文件的归档曾中断): "
                f"document {first.id}; run `dossier repair` first"
            )
        root = first.version_of or first.id
        latest = session.execute(_LATEST_VERSION, {"root": root}).scalar_one()
        version = (latest or 1) + 1
    # The first name was just looked up: no catalog row holds it when it is free.
    final, input_final = _free_names(
        archive, session, folder, stem, suffix, version, input_temp is not None, known_free=first is None
    )
    details = dict(extra)
    details["name"] = first_name
    if input_temp is not None and input_final is not None:
        details["input"] = {
            "path": archive.relative(input_final),
            "sha256": input_temp.sha256,
            "size": input_temp.size,
        }
    details["pending"] = {
        "temp": temp.path.name,
        "input_temp": input_temp.path.name if input_temp is not None else None,
        "pid": os.getpid(),
    }
    row = {
        "borrower_id": borrower_id,
        "path": archive.relative(final),
        "version": version,
        "version_of": root,
        "state": "pending",
        "flags": [],
        "details": details,
        "filed_at": datetime.now(UTC),
        **facts,
    }
    document_id = session.execute(_INSERT_PENDING, row).scalar_one()
    if reservations is not None:
        filed_details = {k: v for k, v in details.items() if k != "pending"}
        reservations[document_id] = Reservation(filed_details, key, borrower_id, facts["doc_type"])
    return FilingResult(
        document_id, "version" if version > 1 else "filed", final, temp.sha256, version, input_final
    )


def _free_names(
    archive: Archive,
    session: Session,
    folder: Path,
    stem: str,
    suffix: str,
    version: int,
    with_input: bool,
    *,
    known_free: bool = False,
) -> tuple[Path, Path | None]:
    """The first name (and sidecar name) no file and no catalog row uses; ``known_free``: the catalog
    holds no row under the very first candidate (version 1, no tie-breaker) with no sidecar."""
    for extra in range(1000):
        name = document_file_name(stem, suffix, version, extra)
        final = folder / name
        sidecar = folder / (split_suffix(name)[0] + INPUT_SUFFIX) if with_input else None
        candidates = [p for p in (final, sidecar) if p is not None]
        if any(os.path.lexists(p) for p in candidates):
            continue
        if known_free and extra == 0 and version == 1 and sidecar is None:
            return final, sidecar
        relative = [archive.relative(p) for p in candidates]
        taken = session.execute(_PATHS_TAKEN, {"paths": relative}).scalar_one()
        if not taken:
            return final, sidecar
    raise DossierError(f"could not find a free file name (无法取得可用文件名) in {folder}")


def _place(temp: _Temp, final: Path, input_temp: _Temp | None, input_final: Path | None) -> bool:
    """Link the temporary files to their final names; False (and nothing left behind) if one is taken."""
    try:
        _link_no_replace(temp.path, final)
    except FileExistsError:
        return False
    if input_temp is not None and input_final is not None:
        try:
            _link_no_replace(input_temp.path, input_final)
        except FileExistsError:
            final.unlink()
            return False
    return True


def _link_no_replace(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:
        # File systems without hard links: the catalog reserved the name under its write lock, so a
        # rename after checking is safe from other filers (only a foreign writer could race it).
        if os.path.lexists(target):
            raise FileExistsError(target) from None
        os.rename(source, target)


def _drop_pending(session: Session, document_id: int) -> None:
    session.execute(_DROP_PENDING, {"document_id": document_id})


def _write_temp(folder: Path, content: bytes | bytearray | Path) -> _Temp:
    """Copy ``content`` to a new temporary file in ``folder``, fsync it and check it reads back the same."""
    path = folder / f"{TEMP_PREFIX}{uuid.uuid4().hex}.part"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(content, Path):
                with content.open("rb") as source:
                    shutil.copyfileobj(source, out)
                expected = file_sha256(content)
            else:
                out.write(content)
                expected = hashlib.sha256(content).hexdigest()
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        written = file_sha256(path)
        if written != expected:
            raise DossierError(f"copy does not match its source (复制后校验不一致): {path.name}")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return _Temp(path, written, size)


def _check_size(archive: Archive, content: bytes | bytearray | Path) -> None:
    size = content.stat().st_size if isinstance(content, Path) else len(content)
    limit = media_settings(archive.config).max_file_bytes
    if size > limit:
        raise DossierError(
            f"file too large (文件过大): {size} bytes, the limit is {limit} ([media].max_file_bytes)"
        )


def _input_bytes(data: Mapping[str, Any]) -> bytes:
    return (json.dumps(plain(dict(data)), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _suffix_of(name: str | None) -> str:
    return split_suffix(name)[1] if name else ""


def _sniffed_suffix(content: bytes | bytearray | Path) -> str:
    """The suffix the content calls for, when neither the file name nor the original name gives one.

    Only a signature names a file: "plain text" is a guess from bytes that happen to decode, so such
    content stays ``.bin`` rather than be called ``.txt``."""
    kind = sniff(bytes(content) if isinstance(content, bytearray) else content)
    return (suffix_for(kind) if kind != TEXT else None) or ".bin"
