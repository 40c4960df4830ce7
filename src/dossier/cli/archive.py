"""`dossier init | ingest | check | audit verify | audit anchor | audit log | borrowers | docs`: the
archive home."""

from __future__ import annotations

import getpass
import os
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dossier.cli.args import BadArgument, day, positive_int
from dossier.cli.configuration import cli_config
from dossier.cli.output import emit
from dossier.errors import DossierError, InvalidIdentifier

if TYPE_CHECKING:
    # The archive (SQLAlchemy, the catalog, filing) takes a while to import: every command here imports
    # what it needs when it runs, so that `dossier --version` and `dossier calc` start at once.
    from dossier.archive import Archive
    from dossier.archive.catalog.models import Borrower, Document
    from dossier.archive.integrity import IntegrityReport

ENV_ACTOR = "DOSSIER_ACTOR"
ENV_HOME = "DOSSIER_HOME"
"""The same name as dossier.archive.home.ENV_HOME (a test holds them equal), spelled out here so that
declaring --home does not import the archive."""

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home", help="The archive home (default: $DOSSIER_HOME, else ./archive).", envvar=ENV_HOME
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who does this, for the audit log (default: $DOSSIER_ACTOR or the user)."),
]

audit_app = typer.Typer(
    help="The audit log: verify the chain and the files, anchor its head, show events.", no_args_is_help=True
)


def default_actor(actor: str | None = None) -> str:
    if actor:
        return actor
    try:
        return os.environ.get(ENV_ACTOR) or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def note_view(archive: Archive, target: str, *, borrower_key: str | None = None, **details: Any) -> None:
    """A read of borrower data from the command line is an audit event, as it is through the service."""
    from dossier.archive.audit import append_event

    archive.transaction(
        lambda s: append_event(
            s,
            actor=default_actor(),
            action="view",
            target=target,
            borrower_key=borrower_key,
            details={"via": "cli", **details},
        )
    )


def make_searchable(archive: Archive) -> None:
    """Index what a command just filed; if another process holds the index, the outbox keeps it queued."""
    from dossier.jobs.followups import index_soon

    try:
        index_soon(archive, default_actor())
    except DossierError as exc:
        Console(stderr=True, highlight=False).print(
            f"注意 note: not indexed yet, still queued (尚未索引，已排队): {exc}", markup=False
        )


def open_archive(home: Path | None, *, create_if_new: bool = False) -> Archive:
    """Open the home; a writing command also creates it when the folder is missing or empty."""
    from dossier.archive import Archive
    from dossier.archive.home import is_archive_home, resolve_home

    path = resolve_home(home)
    fresh = not path.exists() or (path.is_dir() and not any(path.iterdir()))
    create = create_if_new and fresh and not is_archive_home(path)
    return Archive.open(path, config=cli_config(), create=create)


# --------------------------------------------------------------------------- init


def init(home: HomeOption = None, as_json: JsonFlag = False) -> None:
    """Create an archive home: _inbox/, _quarantine/ and .dossier/ (catalog); safe to run again."""
    from dossier.archive import Archive

    with Archive.init(home, config=cli_config()) as archive:
        payload = {"home": archive.home, "catalog": str(archive.engine.url)}
    emit(payload, as_json, lambda c: c.print(f"档案库 archive home: {payload['home']}"))


# --------------------------------------------------------------------------- ingest


def ingest(
    files: Annotated[list[Path], typer.Argument(help="Files to file into the borrower's archive.")],
    borrower: Annotated[str, typer.Option("--borrower", help="Borrower key: ID number or credit code.")],
    category: Annotated[str, typer.Option("--category", help="Archive category (key, label or number).")],
    doc_type: Annotated[
        str, typer.Option("--type", help="Document type (key or label; see `dossier kinds`).")
    ],
    loan: Annotated[
        str | None, typer.Option("--loan", help="Contract number of the loan it belongs to.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Borrower name, to register a new borrower.")
    ] = None,
    customer_type: Annotated[
        str | None,
        typer.Option("--customer-type", help="person / business-owner / enterprise (new borrowers)."),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Title (default: the file name).")] = None,
    doc_date: Annotated[
        str | None, typer.Option("--date", help="Date of the document, e.g. 2026-03-20.")
    ] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """File supporting documents by hand: each FILE is copied in, hashed and logged; never moved."""
    from sqlalchemy import select

    from dossier.archive.catalog.models import Borrower
    from dossier.archive.filing import FilingRequest, file_documents
    from dossier.archive.names import check_file_name, split_suffix
    from dossier.archive.registry import ensure_borrower, ensure_loan, normalize_key
    from dossier.domain.categories import get_category
    from dossier.domain.document_types import get_document_type

    when = day("--date", doc_date) if doc_date else None
    if title is not None and len(files) > 1:
        raise BadArgument("--title", "give --title with one FILE only (多个文件时不能指定同一标题)")
    for path in files:
        if not path.is_file():
            raise BadArgument("FILE", f"file not found (文件不存在): {path}")
        check_file_name(path.name, ("file name", "文件名"))
    try:
        key = normalize_key(borrower, cli_config())
    except DossierError as exc:
        raise BadArgument("--borrower", str(exc)) from None
    for option, lookup, value in (
        ("--category", get_category, category),
        ("--type", get_document_type, doc_type),
    ):
        try:
            lookup(value, cli_config())
        except DossierError as exc:
            raise BadArgument(option, str(exc)) from None
    who = default_actor(actor)
    results: list[dict[str, Any]] = []
    with open_archive(home, create_if_new=True) as archive:
        known = archive.transaction(
            lambda s: s.execute(select(Borrower).where(Borrower.key == key)).scalar_one_or_none(), write=False
        )
        if known is None:
            if not name:
                raise BadArgument(
                    "--borrower",
                    f"unknown borrower {key} (借款人未登记); give --name to register it (用 --name 登记)",
                )
            ensure_borrower(archive, key, name, customer_type or _guess_customer_type(key), actor=who)
        if loan is not None:
            ensure_loan(archive, key, loan, facts={}, actor=who)
        requests = [
            FilingRequest(
                path,
                key,
                category,
                doc_type,
                title or split_suffix(path.name)[0],
                original_name=path.name,
                contract_number=loan,
                doc_date=when,
                source="ingested",
                actor=who,
            )
            for path in files
        ]
        # Many files at once: grouped commits (the same filings, far fewer fsyncs).
        for path, result in zip(files, file_documents(archive, requests), strict=True):
            results.append(
                {
                    "file": str(path),
                    "document_id": result.document_id,
                    "status": result.status,
                    "version": result.version,
                    "path": result.path,
                    "sha256": result.sha256,
                }
            )
        make_searchable(archive)

    def human(c: Console) -> None:
        for r in results:
            label = {
                "filed": "已归档 filed",
                "version": f"新版本 version {r['version']}",
                "duplicate": "重复 duplicate",
            }
            c.print(f"{label[r['status']]} #{r['document_id']}: {r['file']} → {r['path']}")

    emit(results, as_json, human)


def _guess_customer_type(key: str) -> str:
    from dossier.domain.identifiers import parse_resident_id

    try:
        parse_resident_id(key)
    except InvalidIdentifier:
        return "enterprise"
    return "person"


# --------------------------------------------------------------------------- repair

DryRunFlag = Annotated[bool, typer.Option("--dry-run", help="Only report what would be repaired.")]

CHECK_IS_REPAIR = "note: `dossier check` is now `dossier repair` (旧命令名，请改用 dossier repair)"
"""What `dossier check` without a subcommand prints to stderr before repairing, as it always did."""


def check_alias(
    ctx: typer.Context,
    home: HomeOption = None,
    dry_run: DryRunFlag = False,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Without a subcommand: the old name of `dossier repair` (same options, same output).
    With one: validate an identifier (id, uscc)."""
    if ctx.invoked_subcommand is not None:
        return
    typer.echo(CHECK_IS_REPAIR, err=True)
    repair(home=home, dry_run=dry_run, actor=actor, as_json=as_json)


def repair(
    home: HomeOption = None,
    dry_run: DryRunFlag = False,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Finish or roll back filings a crash interrupted, rebuild a lost audit chain head (after verifying
    the chain), merge PDFs older versions filed as documents into their DOCX's renditions, and remove
    stray temporary files. Exit 1 with --dry-run when anything needs repair."""
    from dossier.archive.repair import check

    with open_archive(home) as archive:
        report = check(archive, repair=not dry_run, actor=default_actor(actor))
    payload = {
        "home": str(archive.home),
        "repaired": report.repair,
        "clean": report.clean,
        "head_rebuilt": report.head_rebuilt,
        "completed": report.completed,
        "rolled_back": report.rolled_back,
        "removed": report.removed,
        "renditions_completed": report.renditions_completed,
        "renditions_rolled_back": report.renditions_rolled_back,
        "merged": report.merged,
    }

    def human(c: Console) -> None:
        if report.clean:
            c.print("档案库完好，无需修复 nothing to repair")
            return
        verb = "" if report.repair else "would be "
        if report.head_rebuilt is not None:
            c.print(
                f"{verb}rebuilt 已重建审计链头: the audit head, at event {report.head_rebuilt} "
                "(the chain was verified first)"
            )
        for doc_id in report.completed:
            c.print(f"{verb}completed 已完成归档: document {doc_id}")
        for doc_id in report.rolled_back:
            c.print(f"{verb}rolled back 已撤销未完成的归档: document {doc_id}")
        for path in report.removed:
            c.print(f"{verb}removed 已删除临时文件: {path}")
        for rendition_id in report.renditions_completed:
            c.print(f"{verb}completed 已完成副本归档: rendition {rendition_id}")
        for rendition_id in report.renditions_rolled_back:
            c.print(f"{verb}rolled back 已撤销未完成的副本归档: rendition {rendition_id}")
        for doc_id in report.merged:
            c.print(f"{verb}merged 已并入原文档: PDF document {doc_id}, as its DOCX's rendition (PDF/A 副本)")

    emit(payload, as_json, human)
    if dry_run and not report.clean:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- audit


@audit_app.command("verify")
def audit_verify(
    home: HomeOption = None,
    anchors: Annotated[
        list[Path] | None,
        typer.Option(
            "--anchors",
            help="An anchor log, an export bundle (zip or its manifest.json) or a diligence report's JSON "
            "whose chain heads must still be in the chain; repeat for several. Default: [audit].anchor_path "
            "if it exists.",
        ),
    ] = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Walk the audit chain, rebuild from it what the archive must hold, and compare the catalog and every
    file with that; check the chain against anchors. Exit 0 if all is well, 1 otherwise."""
    from dossier.archive.anchors import read_anchors
    from dossier.archive.integrity import verify_archive

    witnessed = [a for path in anchors for a in read_anchors(path)] if anchors else None
    with open_archive(home) as archive:
        report = verify_archive(archive, actor=default_actor(actor), anchors=witnessed)
    emit(report.summary(), as_json, lambda c: _print_verify(c, report))
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor(
    to: Annotated[
        Path | None,
        typer.Option("--to", help="The anchor log to append to (default: [audit].anchor_path)."),
    ] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Verify the chain and append its head (seq, hash, time) to an append-only anchor log kept outside
    the archive, so that a later cut or rewrite of the chain shows (`audit verify --anchors`)."""
    from dossier.archive.anchors import anchor_archive

    with open_archive(home) as archive:
        anchor = anchor_archive(archive, to, actor=default_actor(actor))
    payload = {"seq": anchor.seq, "hash": anchor.hash, "at": anchor.at, "log": anchor.source}
    emit(
        payload,
        as_json,
        lambda c: c.print(f"已锚定 anchored: event {anchor.seq} {anchor.hash} → {anchor.source}"),
    )


def _print_verify(c: Console, report: IntegrityReport) -> None:
    problem = report.chain.problem
    if problem is None:
        c.print(f"审计日志完整 audit chain intact: {report.chain.events} events")
    else:
        c.print(f"审计日志断裂 audit chain broken at event {problem.seq} ({problem.kind}): {problem.message}")
    for p in report.missing:
        c.print(f"缺失 missing: {p.path} (document {p.document_id})")
    for p in report.changed:
        found = p.actual[:12] if p.actual else "?"
        c.print(
            f"已改动 changed: {p.path} (document {p.document_id}; "
            f"expected {p.expected[:12]}…, found {found}…)"
        )
    for path in report.unknown:
        c.print(f"未登记 unknown: {path}")
    for row in report.catalog:
        c.print(f"目录不符 catalog {row.problem}: {row.message}")
    for doc_id in report.pending:
        c.print(f"未完成 pending: document {doc_id} (run `dossier repair`)")
    for rendition_id in report.pending_renditions:
        c.print(f"未完成 pending: rendition {rendition_id} (run `dossier repair`)")
    for anchor in report.anchor_problems:
        c.print(f"锚点不符 anchor {anchor.kind}: {anchor.message}")
    if report.anchors and not report.anchor_problems:
        c.print(f"锚点相符 all {report.anchors} anchors are in the chain")
    if report.ok:
        c.print(
            f"文件全部相符 all {report.files} files and the catalog match the chain "
            f"({report.documents} documents, {report.renditions} renditions)"
        )


@audit_app.command("log")
def audit_log(
    borrower: Annotated[str | None, typer.Option("--borrower", help="Only this borrower's events.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only events on or after this date.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many events.")] = None,
    home: HomeOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Show audit events, oldest first."""
    from dossier.archive.audit import events_for
    from dossier.archive.registry import normalize_key

    key = None
    if borrower is not None:
        try:
            key = normalize_key(borrower, cli_config())
        except DossierError as exc:
            raise BadArgument("--borrower", str(exc)) from None
    start = datetime.combine(day("--since", since), time.min).astimezone() if since else None
    if limit is not None:
        positive_int("--limit", limit)
    with open_archive(home) as archive:
        events = archive.transaction(
            lambda s: events_for(s, borrower_key=key, since=start, limit=limit), write=False
        )
        note_view(archive, f"borrower:{key}" if key else "audit", borrower_key=key, part="audit-log")
    rows: list[dict[str, Any]] = [
        {
            "seq": e.seq,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "target": e.target,
            "borrower_key": e.borrower_key,
            "details": e.details,
            "hash": e.hash,
        }
        for e in events
    ]

    def human(c: Console) -> None:
        table = Table(title="审计日志 audit log")
        for heading in ("seq", "时间 time", "操作人 actor", "操作 action", "对象 target", "借款人 borrower"):
            table.add_column(heading)
        for r in rows:
            table.add_row(
                str(r["seq"]),
                r["at"].astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                r["actor"],
                r["action"],
                r["target"],
                r["borrower_key"] or "",
            )
        c.print(table)

    emit(rows, as_json, human)


# --------------------------------------------------------------------------- borrowers and docs


def borrowers(home: HomeOption = None, as_json: JsonFlag = False) -> None:
    """List the borrowers with their loans and documents counted."""
    with open_archive(home) as archive:
        rows = archive.transaction(_borrower_rows, write=False)
        note_view(archive, "borrowers", part="list")

    def human(c: Console) -> None:
        table = Table(title="借款人 borrowers")
        for heading in ("key", "名称 name", "类型 type", "贷款 loans", "文档 documents", "目录 folder"):
            table.add_column(heading)
        for r in rows:
            table.add_row(
                r["key"], r["name"], r["customer_type"], str(r["loans"]), str(r["documents"]), r["folder"]
            )
        c.print(table)

    emit(rows, as_json, human)


def _borrower_rows(session: Any) -> list[dict[str, Any]]:
    from sqlalchemy import func, select

    from dossier.archive.catalog.models import Borrower, Document, Loan

    docs = (
        select(Document.borrower_id, func.count().label("n"))
        .where(Document.state == "filed")
        .group_by(Document.borrower_id)
        .subquery()
    )
    loans = select(Loan.borrower_id, func.count().label("n")).group_by(Loan.borrower_id).subquery()
    query = (
        select(Borrower, func.coalesce(docs.c.n, 0), func.coalesce(loans.c.n, 0))
        .outerjoin(docs, docs.c.borrower_id == Borrower.id)
        .outerjoin(loans, loans.c.borrower_id == Borrower.id)
        .order_by(Borrower.key)
    )
    return [
        {
            "key": b.key,
            "name": b.name,
            "customer_type": b.customer_type,
            "folder": b.folder,
            "officer": b.officer,
            "loans": n_loans,
            "documents": n_docs,
            "legal_hold": b.legal_hold,
        }
        for b, n_docs, n_loans in session.execute(query)
    ]


def docs(
    borrower: Annotated[str, typer.Argument(help="Borrower key (ID number or credit code) or exact name.")],
    home: HomeOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The borrower's documents in archive order (category, then date)."""
    from dossier.archive.renditions import renditions_of
    from dossier.domain.categories import categories

    with open_archive(home) as archive:
        found, documents, loans = archive.transaction(lambda s: _borrower_documents(s, borrower), write=False)
        note_view(archive, f"borrower:{found.key}", borrower_key=found.key, part="documents")
        renditions = archive.transaction(lambda s: renditions_of(s, [d.id for d in documents]), write=False)
    order = {c.key: (c.number, c.label) for c in categories(cli_config())}
    documents.sort(key=lambda d: (order.get(d.category, (99, ""))[0], d.doc_date or date.min, d.id))
    rows: list[dict[str, Any]] = [
        {
            "id": d.id,
            "category": d.category,
            "category_label": order.get(d.category, (0, d.category))[1],
            "doc_type": d.doc_type,
            "doc_type_label": _type_label(d.doc_type),
            "title": d.title,
            "doc_date": d.doc_date,
            "version": d.version,
            "version_of": d.version_of,
            "source": d.source,
            "original_name": d.original_name,
            "contract_number": loans.get(d.loan_id) if d.loan_id else None,
            "path": d.path,
            "sha256": d.sha256,
            "size": d.size,
            "media_type": d.media_type,
            "pages": d.pages,
            "filed_at": d.filed_at,
            "input": d.details.get("input"),
            "renditions": [
                {"kind": r.kind, "path": r.path, "sha256": r.sha256, "size": r.size, "pages": r.pages}
                for r in renditions.get(d.id, [])
            ],
        }
        for d in documents
    ]
    payload = {"borrower": {"key": found.key, "name": found.name, "folder": found.folder}, "documents": rows}

    def human(c: Console) -> None:
        table = Table(title=f"{found.name} ({found.key}) 档案目录")
        for heading in (
            "id",
            "类别 category",
            "类型 type",
            "标题 title",
            "日期 date",
            "版本",
            "来源 source",
            "路径 path",
        ):
            table.add_column(heading)
        for r in rows:
            table.add_row(
                str(r["id"]),
                r["category_label"],
                r["doc_type_label"],
                r["title"],
                r["doc_date"].isoformat() if r["doc_date"] else "",
                f"v{r['version']}",
                r["source"],
                "\n".join([r["path"], *(f"{x['kind']}: {x['path']}" for x in r["renditions"])]),
            )
        c.print(table)

    emit(payload, as_json, human)


def _borrower_documents(session: Any, wanted: str) -> tuple[Borrower, list[Document], dict[int, str]]:
    from sqlalchemy import select

    from dossier.archive.catalog.models import Borrower, Document, Loan
    from dossier.archive.registry import normalize_key

    found = None
    try:
        found = session.execute(
            select(Borrower).where(Borrower.key == normalize_key(wanted, cli_config()))
        ).scalar_one_or_none()
    except DossierError:
        pass
    if found is None:
        by_name = list(session.execute(select(Borrower).where(Borrower.name == wanted.strip())).scalars())
        if len(by_name) > 1:
            raise BadArgument(
                "BORROWER",
                f"several borrowers are named {wanted} (重名，请用证件号码): "
                + ", ".join(b.key for b in by_name),
            )
        found = by_name[0] if by_name else None
    if found is None:
        raise BadArgument("BORROWER", f"unknown borrower (借款人未登记): {wanted}")
    documents = list(
        session.execute(
            select(Document).where(Document.borrower_id == found.id, Document.state == "filed")
        ).scalars()
    )
    loans = dict(
        session.execute(select(Loan.id, Loan.contract_number).where(Loan.borrower_id == found.id)).all()
    )
    return found, documents, loans


def _type_label(key: str) -> str:
    from dossier.domain.document_types import get_document_type

    try:
        return get_document_type(key, cli_config()).label
    except DossierError:
        return key
