"""`dossier search | index | reindex`: full-text search over the archive and the index behind it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.text import Text

from dossier.cli.archive import ActorOption, HomeOption, default_actor, open_archive
from dossier.cli.args import BadArgument, day, non_negative_int, positive_int
from dossier.cli.configuration import cli_config
from dossier.cli.output import emit

if TYPE_CHECKING:
    # The index engines and extractors take a while to import: only the commands here need them.
    from dossier.search.indexing import IndexReport
    from dossier.search.indexing import Progress as ProgressFn
    from dossier.search.ocr_queue import OcrReport
    from dossier.search.querying import SearchHit, SearchPage

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
MATCH_STYLE = "bold reverse"
DEFAULT_LIMIT = 20


# --------------------------------------------------------------------------- search


def search(
    query: Annotated[
        str,
        typer.Argument(
            help='Words, "phrases", OR, NOT/-word, borrower: loan: category: type: source: flag: '
            "date:2025-01-01..2025-06-30 ('' lists by the filters alone)."
        ),
    ],
    borrower: Annotated[
        str | None, typer.Option("--borrower", help="Borrower key (ID number, credit code) or exact name.")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Archive category (key or label).")
    ] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="Document type (key or label).")] = None,
    loan: Annotated[str | None, typer.Option("--loan", help="Contract number.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Documents dated on or after.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Documents dated on or before.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Hits to show (default 20; a CSV export: all).")
    ] = None,
    offset: Annotated[int, typer.Option("--offset", help="Hits to skip (paging).")] = 0,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Audit export: CSV (id, borrower, path, SHA-256, snippet).")
    ] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the CSV to FILE.")] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json_flag: JsonFlag = False,
) -> None:
    """Search every document in the archive; every search is recorded in the audit log."""
    from dossier.search.fields import SearchError, category_value, make_filters, type_value
    from dossier.search.search_index import SearchIndex
    from indexer.query import QuerySyntaxError

    if as_csv and as_json_flag:
        raise BadArgument("--csv", "give --csv or --json, not both (--csv 与 --json 不能同时使用)")
    if output is not None and not as_csv:
        raise BadArgument("--output", "--output is for --csv exports (--output 仅用于 CSV 导出)")
    if limit is not None:
        positive_int("--limit", limit, maximum=100_000)
    non_negative_int("--offset", offset)
    start = day("--from", date_from) if date_from else None
    end = day("--to", date_to) if date_to else None
    if start and end and start > end:
        raise BadArgument("--from", f"{start} is after --to {end} (起始日期晚于结束日期)")
    for option, known, value in (("--category", category_value, category), ("--type", type_value, doc_type)):
        try:
            if value:
                known(value, cli_config())
        except SearchError as exc:
            raise BadArgument(option, str(exc)) from None
    filters = make_filters(
        borrower=borrower,
        loan=loan,
        category=category,
        doc_type=doc_type,
        date_from=start,
        date_to=end,
        config=cli_config(),
    )
    who = default_actor(actor)
    fmt = "csv" if as_csv else "json" if as_json_flag else "text"
    with open_archive(home) as archive:
        index = SearchIndex.open(archive, wait=False, identity=_replica_identity(archive))
        # Catch up with documents filed since the last drain; if another process is indexing, it will.
        with _bar("索引 indexing", enabled=not (as_csv or as_json_flag)) as progress:
            index.process(wait=False, progress=progress)
        try:
            page = index.search(
                query,
                filters=filters,
                offset=offset,
                limit=limit if limit is not None else (None if as_csv else DEFAULT_LIMIT),
                actor=who,
                audit={"format": fmt},
            )
        except (QuerySyntaxError, SearchError) as exc:
            raise BadArgument("QUERY", f"{query!r}: {exc}") from None
    if as_csv:
        _write_csv(page, output)
        return
    emit(_page_json(page), as_json_flag, lambda c: _print_page(c, page))


def _write_csv(page: SearchPage, output: Path | None) -> None:
    from dossier.search.csv_export import write_csv

    if output is None:
        write_csv(page.hits, sys.stdout)
        return
    # A BOM, so that Excel (what auditors open CSV files with) reads the Chinese as UTF-8.
    with output.open("w", encoding="utf-8-sig", newline="") as out:
        rows = write_csv(page.hits, out)
    Console(stderr=True, highlight=False).print(f"已导出 exported {rows} rows → {output}", markup=False)


def _page_json(page: SearchPage) -> dict[str, Any]:
    return {
        "query": page.query,
        "filters": page.filters,
        "engine": page.engine,
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
        "pending": page.pending,
        "hits": [_hit_json(h) for h in page.hits],
    }


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    from dossier.search.marking import as_json

    return {
        "id": hit.document_id,
        "score": hit.score,
        "title": hit.title,
        "borrower": {"key": hit.borrower_key, "name": hit.borrower_name},
        "category": {"key": hit.category, "label": hit.category_label},
        "type": {"key": hit.doc_type, "label": hit.doc_type_label},
        "date": hit.doc_date,
        "contract_number": hit.contract_number,
        "path": hit.path,
        "sha256": hit.sha256,
        "snippets": [as_json(s) for s in hit.snippets],
        "renditions": [{"kind": r.kind, "path": r.path, "sha256": r.sha256} for r in hit.renditions],
    }


def _print_page(c: Console, page: SearchPage) -> None:
    shown = f"{page.offset + 1}–{page.offset + len(page.hits)}" if page.hits else "0"
    c.print(f"共 {page.total} 条 {page.total} hits for {page.query!r} (showing {shown})", markup=False)
    for hit in page.hits:
        line = Text()
        line.append(f"#{hit.document_id} ", style="bold")
        line.append(hit.title, style="bold")
        parts = [
            f"{hit.borrower_name} ({hit.borrower_key})",
            f"{hit.category_label} / {hit.doc_type_label}",
            hit.doc_date.isoformat() if hit.doc_date else "—",
            f"score {hit.score:g}",
        ]
        line.append("  ·  " + "  ·  ".join(parts))
        c.print(line)
        for snippet in hit.snippets:
            text = Text("    ")
            for piece, match in snippet:
                if c.is_terminal:
                    text.append(piece, style=MATCH_STYLE if match else None)
                else:
                    # Piped or redirected: no styles survive, so mark matches the way exports do.
                    text.append(f"【{piece}】" if match else piece)
            c.print(text)
        if hit.path:
            c.print(Text(f"    {hit.path}", style="dim"))
        for rendition in hit.renditions:
            c.print(Text(f"    {rendition.kind}: {rendition.path}", style="dim"))
    if page.pending:
        Console(stderr=True, highlight=False).print(
            f"注意 note: {page.pending} documents are not searchable yet, another process is indexing them "
            f"(尚有 {page.pending} 份文档正在建立索引)",
            markup=False,
        )


# --------------------------------------------------------------------------- index and reindex


def index(
    ocr: Annotated[bool, typer.Option("--ocr", help="Also OCR the scans waiting for it (slow).")] = False,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many queued documents.")] = None,
    retry: Annotated[
        bool, typer.Option("--retry", help="Try again documents left aside after repeated failures.")
    ] = False,
    status: Annotated[
        bool,
        typer.Option("--status", help="Show this node's replica against the change log, and the nodes."),
    ] = False,
    bootstrap_from: Annotated[
        Path | None,
        typer.Option(
            "--bootstrap-from",
            help="Copy a peer node's index folder (with its applied seq) into this node's empty one.",
        ),
    ] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json_flag: JsonFlag = False,
) -> None:
    """Bring the search index up to date with the catalog (and OCR scans with --ocr).
    Exit 0 when all went well, 1 if a document failed or OCR could not run."""
    if limit is not None:
        positive_int("--limit", limit)
    if status and bootstrap_from is not None:
        raise BadArgument("--status", "give --status or --bootstrap-from, not both (不能同时使用)")
    from dossier.archive import index_outbox as outbox
    from dossier.jobs.dispatch import ocr_now
    from dossier.search.replica import BootstrapError
    from dossier.search.search_index import SearchIndex

    with open_archive(home) as archive:
        identity = _replica_identity(archive)
        if status:
            lag = SearchIndex(archive, identity=identity).lag().as_json()
            emit(lag, as_json_flag, lambda c: _print_lag(c, lag))
            return
        if bootstrap_from is not None:
            try:
                with _bar("复制索引 bootstrapping", enabled=not as_json_flag) as progress:
                    copied = SearchIndex(archive, identity=identity).replica.bootstrap_from(
                        bootstrap_from, progress=progress
                    )
            except BootstrapError as exc:
                raise BadArgument("--bootstrap-from", str(exc)) from None
        search_index = SearchIndex.open(archive, identity=identity)
        if retry:
            archive.transaction(lambda s: outbox.retry_parked(s, search_index.settings.max_attempts))
        # This node's replica first: an empty one is rebuilt from the catalog here, with its progress.
        with _bar("索引副本 replica", enabled=not as_json_flag) as progress:
            applied = search_index.apply(progress=progress)
        with _bar("索引 indexing", enabled=not as_json_flag) as progress:
            report = search_index.process(limit, progress=progress)
        report.take(applied)
        if bootstrap_from is not None:
            report.rebuilt = copied.rebuilt
        ocr_report = ocr_now(search_index, default_actor(actor), limit=limit) if ocr else None
        state = search_index.queue_state()
        documents = search_index.doc_count()
    payload = _index_json(search_index.engine_name, report, ocr_report, state, documents)
    emit(payload, as_json_flag, lambda c: _print_index(c, payload))
    if report.failed or (ocr_report is not None and (ocr_report.failed or ocr_report.unavailable)):
        raise typer.Exit(1)


def _replica_identity(archive: Any) -> Any:
    """This node's replica ([search].index_path and .node; the host name), resolved once here."""
    import socket

    from dossier.search.settings import replica_identity, search_settings

    return replica_identity(archive.home, search_settings(archive.config), socket.gethostname())


def _print_lag(c: Console, lag: dict[str, Any]) -> None:
    c.print(
        f"节点 node {lag['node']}: applied seq {lag['applied_seq']}, head seq {lag['head_seq']}, "
        f"{lag['behind']} entries behind ({lag['seconds_behind']:g} s) · {lag['index_path']}",
        markup=False,
    )
    for node in lag["nodes"]:
        c.print(
            f"  {node['node']}: applied seq {node['applied_seq']} at {node['applied_at']}, "
            f"seen {node['seen_at']} · {node['index_path']}",
            markup=False,
        )


def reindex(
    engine: Annotated[
        str | None, typer.Option("--engine", help="tantivy or whoosh (default: [search].engine).")
    ] = None,
    home: HomeOption = None,
    as_json_flag: JsonFlag = False,
) -> None:
    """Rebuild the search index from the catalog, in batches; Ctrl-C stops it and the next
    `dossier reindex` (or `dossier index`) goes on where it stopped. Extracted text is reused."""
    if engine is not None and engine not in ("tantivy", "whoosh"):
        raise BadArgument(
            "--engine", f"choose tantivy or whoosh (索引引擎应为 tantivy 或 whoosh): {engine!r}"
        )
    from dossier.search.search_index import SearchIndex

    with open_archive(home) as archive:
        search_index = SearchIndex(archive, engine=engine, identity=_replica_identity(archive))
        try:
            with _bar("重建索引 reindexing", enabled=not as_json_flag) as progress:
                report = search_index.rebuild(progress=progress)
        except KeyboardInterrupt:
            left = search_index.pending()
            Console(stderr=True, highlight=False).print(
                f"interrupted (已中断): {left} documents still queued; run `dossier reindex` or "
                f"`dossier index` to continue (再次运行即可继续)",
                markup=False,
            )
            raise typer.Exit(130) from None
        state = search_index.queue_state()
        documents = search_index.doc_count()
    payload = _index_json(search_index.engine_name, report, None, state, documents)
    emit(payload, as_json_flag, lambda c: _print_index(c, payload))
    if report.failed:
        raise typer.Exit(1)


def _index_json(
    engine: str, report: IndexReport, ocr: OcrReport | None, state: Any, documents: int
) -> dict[str, Any]:
    return {
        "engine": engine,
        "indexed": report.indexed,
        "deleted": report.deleted,
        "failed": report.failed,
        "needs_ocr": report.needs_ocr,
        "remaining": report.remaining,
        "busy": report.busy,
        "rebuilt": report.rebuilt,
        "errors": report.errors,
        "documents": documents,
        "waiting_ocr": state.waiting.get("ocr", 0),
        "parked": state.parked,
        "orphans": state.orphans,
        "ocr": None
        if ocr is None
        else {
            "recognised": ocr.recognised,
            "failed": ocr.failed,
            "remaining": ocr.remaining,
            "unavailable": ocr.unavailable,
            "errors": ocr.errors,
        },
    }


def _print_index(c: Console, p: dict[str, Any]) -> None:
    if p["busy"]:
        c.print("另一进程正在建立索引 another process is indexing; try again later", markup=False)
    if p["rebuilt"]:
        c.print(f"重建 rebuilt: {p['rebuilt']}", markup=False)
    c.print(
        f"已索引 indexed {p['indexed']}, 已删除 deleted {p['deleted']}, 失败 failed {p['failed']}; "
        f"索引中共 {p['documents']} 份文档 documents in the {p['engine']} index",
        markup=False,
    )
    for error in p["errors"]:
        c.print(f"    {error}", markup=False)
    if p["remaining"]:
        c.print(f"待索引 still queued: {p['remaining']}", markup=False)
    ocr = p["ocr"]
    if ocr is not None:
        if ocr["unavailable"]:
            c.print(f"OCR 未运行 not run: {ocr['unavailable']}", markup=False)
        c.print(f"OCR 已识别 recognised {ocr['recognised']}, 失败 failed {ocr['failed']}", markup=False)
        for error in ocr["errors"]:
            c.print(f"    {error}", markup=False)
    if p["waiting_ocr"]:
        c.print(f"待 OCR waiting for OCR: {p['waiting_ocr']} (run `dossier index --ocr`)", markup=False)
    if p["parked"]:
        c.print(
            f"多次失败已搁置 left aside after repeated failures: {p['parked']} (`dossier index --retry`)",
            markup=False,
        )


@contextmanager
def _bar(label: str, *, enabled: bool) -> Iterator[ProgressFn | None]:
    """A progress bar on a terminal (stderr), started at the first batch done (so a search with nothing
    to index shows none); else no callback at all."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    bars: list[tuple[Progress, TaskID]] = []

    def advance(done: int, total: int) -> None:
        if not bars:
            bar = Progress(
                TextColumn(label),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            bar.start()
            bars.append((bar, bar.add_task(label, total=total)))
        bar, task = bars[0]
        bar.update(task, completed=done, total=total)

    try:
        yield advance
    finally:
        for bar, _ in bars:
            bar.stop()
