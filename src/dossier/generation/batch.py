"""Many inputs → many documents: N worker processes, one failing input never stops the others.

Each worker process keeps one Generator, so every template is parsed once per process. DOCX files are
converted to PDF afterwards in one LibreOffice batch rather than one cold start per document.

When an archive home is given, each document is filed there: its subjects (borrowers, loans) are
registered or updated from the input, the DOCX is filed with the validated input beside it
(``<name>.input.json``, hashed in the catalog) so it can be regenerated, and each PDF follows once
converted, as the PDF/A rendition of its DOCX's document (archive/renditions.py), not a document of its own.
Each worker opens its own Archive; the catalog serializes their writes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from dossier.config import Config
from dossier.errors import DossierError, FieldProblem, InputError
from dossier.generation.generator import Document, Generator
from dossier.inputs import load_input
from dossier.kinds.base import Subject
from dossier.kinds.registry import get_kind

if TYPE_CHECKING:
    from dossier.archive import Archive

DOCUMENT_DATE_FIELDS = (
    "notice_date",
    "signing_date",
    "approval_date",
    "check_date",
    "investigation_date",
    "publish_date",
    "as_of",
)
"""Input fields that date a generated document, first match wins (kinds do not declare one yet)."""

BORROWER_DETAILS = ("marital_status", "spouse", "legal_representative", "enterprise_type", "business_name")
"""Borrower facts the completeness checklists ask about, copied into the catalog when the input has them."""


@dataclass
class BatchResult:
    input: str
    status: str
    """``ok``, ``invalid`` (the input failed validation) or ``failed`` (rendering or conversion)."""
    outputs: list[Path] = field(default_factory=list)
    """Copies written to the output folder (none when filing without -o)."""
    errors: list[FieldProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    filings: list[dict[str, Any]] = field(default_factory=list)
    """One entry per archived file: document_id, status, path, borrower_key, contract_number, media; a PDF
    entry names its DOCX's document and adds rendition_id and rendition (the kind)."""
    docx: Path | None = None
    """The DOCX on disk that PDF conversion reads."""

    @property
    def document_ids(self) -> list[int]:
        """The documents filed, once each (a PDF is a rendition of its DOCX's document, not another)."""
        return list(dict.fromkeys(f["document_id"] for f in self.filings))


class _Worker:
    """The per-process state of a batch worker: its Generator, template cache and archive."""

    generator: Generator | None = None
    archive: Archive | None = None
    actor: str = "system"

    @classmethod
    def start(
        cls, config: Config, template: Path | None, home: Path | None = None, actor: str = "system"
    ) -> None:
        cls.generator = Generator(config, template=template)
        if home is not None:
            from dossier.archive import Archive

            cls.archive = Archive.open(home, config=config)
            cls.actor = actor

    @classmethod
    def run(cls, kind_name: str, source: Path, out_dir: Path | None) -> BatchResult:
        assert cls.generator is not None
        return generate_one(cls.generator, kind_name, source, out_dir, archive=cls.archive, actor=cls.actor)


def generate_one(
    generator: Generator,
    kind_name: str,
    source: Path,
    out_dir: Path | None,
    *,
    archive: Archive | None = None,
    actor: str = "system",
) -> BatchResult:
    """Load, validate, derive, render, save and file one input; errors become the result, never raised."""
    try:
        document = generator.generate(kind_name, load_input(source), source=str(source))
        path = document.save(out_dir) if out_dir is not None else None
    except InputError as exc:
        return BatchResult(str(source), "invalid", errors=exc.problems)
    except DossierError as exc:
        return BatchResult(str(source), "failed", errors=[FieldProblem("(render)", "生成", str(exc))])
    result = BatchResult(
        str(source), "ok", outputs=[path] if path else [], warnings=list(document.warnings), docx=path
    )
    if archive is not None:
        try:
            result.filings = file_generated(archive, document, actor=actor)
        except DossierError as exc:
            result.status = "failed"
            result.errors.append(FieldProblem("(archive)", "归档", str(exc)))
    return result


def generate_batch(
    kind_name: str,
    inputs: Sequence[Path],
    out_dir: Path | None,
    *,
    jobs: int = 1,
    pdf: bool = False,
    template: Path | None = None,
    progress: Callable[[BatchResult], None] | None = None,
    home: Path | None = None,
    actor: str = "system",
    config: Config,
    render: RenderPdfs | None = None,
) -> list[BatchResult]:
    """Generate one document per input, in input order; ``progress`` is called as each one finishes.

    With ``home`` (an archive home that exists), each document is also filed there; ``out_dir`` may then
    be None (no extra copy). With ``pdf``, filing only (no ``out_dir``) and a ``render``, the PDF/A
    renditions are made by ``render`` from the filed DOCX (render jobs); else converted here.
    """
    get_kind(kind_name)  # an unknown kind fails once, before any work
    if out_dir is None and home is None:
        raise DossierError("nowhere to put the documents (未指定输出目录或档案库)")
    # Filing only (no copies asked for): the PDF/A renditions are made by render jobs from the filed
    # DOCX (``render``: jobs.dispatch.render_pdfs), here on the embedded default, by a worker on the queue.
    by_job = pdf and out_dir is None and home is not None and render is not None
    scratch = (
        Path(tempfile.mkdtemp(prefix="dossier-pdf-")) if pdf and out_dir is None and not by_job else None
    )
    work_dir = out_dir if out_dir is not None else scratch
    archive = None
    try:
        results: list[BatchResult | None] = [None] * len(inputs)
        if jobs <= 1 or len(inputs) <= 1:
            if home is not None:
                from dossier.archive import Archive

                archive = Archive.open(home, config=config)
            generator = Generator(config, template=template)
            for i, source in enumerate(inputs):
                results[i] = generate_one(
                    generator, kind_name, source, work_dir, archive=archive, actor=actor
                )
                if progress:
                    progress(results[i])  # type: ignore[arg-type]  # set just above
        else:
            with ProcessPoolExecutor(
                max_workers=jobs, initializer=_Worker.start, initargs=(config, template, home, actor)
            ) as pool:
                futures = {
                    pool.submit(_Worker.run, kind_name, source, work_dir): i
                    for i, source in enumerate(inputs)
                }
                for future in as_completed(futures):
                    result = future.result()
                    results[futures[future]] = result
                    if progress:
                        progress(result)
        done = [r for r in results if r is not None]
        if by_job:
            if archive is None:
                from dossier.archive import Archive

                archive = Archive.open(home, config=config)
            assert render is not None  # by_job
            _render_filed(archive, done, actor, render)
        elif pdf and work_dir is not None:
            _convert(done, work_dir, jobs)
            if home is not None:
                if archive is None:
                    from dossier.archive import Archive

                    archive = Archive.open(home, config=config)
                _file_pdfs(archive, done, kind_name, actor, keep=out_dir is not None)
        return done
    finally:
        if archive is not None:
            archive.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def register_subjects(archive: Archive, document: Document, *, actor: str) -> list[Subject]:
    """Register or update every borrower and loan the document is about; the subjects, in order."""
    from dossier.archive.registry import ensure_borrower, ensure_loan

    kind, model = document.kind, document.data
    try:
        subjects = kind.subjects(model)
    except TypeError:
        raise DossierError(
            f"kind {kind.name} does not say whose archive its documents belong to "
            f"(该文书种类未指定归档借款人); generate it with --no-file"
        ) from None
    for subject in subjects:
        ensure_borrower(
            archive,
            subject.borrower_key,
            subject.borrower_name,
            subject.customer_type,
            officer=subject.loan.get("officer"),
            details=_borrower_details(model, subject.borrower_key),
            actor=actor,
        )
        if subject.contract_number:
            ensure_loan(
                archive, subject.borrower_key, subject.contract_number, facts=subject.loan, actor=actor
            )
    return subjects


def file_generated(archive: Archive, document: Document, *, actor: str = "system") -> list[dict[str, Any]]:
    """File a generated DOCX under each of its subjects, with its input beside it; one entry per filing."""
    from dossier.archive.audit import append_event
    from dossier.archive.filing import FilingResult, file_document
    from dossier.retrying import filing_in_progress

    kind, model = document.kind, document.data
    subjects = register_subjects(archive, document, actor=actor)
    doc_date = document_date(model)
    input_data = {
        "kind": kind.name,
        "title": kind.title,
        "generated_at": datetime.now(UTC),
        "input": model.model_dump(mode="json"),
    }
    filings: list[dict[str, Any]] = []
    for subject in subjects:
        # Two requests (on two nodes) generating the same file name for one borrower: the second waits
        # while the first's filing is pending, then files the next version.
        def file_it(subject: Subject = subject) -> FilingResult:
            return file_document(
                archive,
                document.content,
                borrower_key=subject.borrower_key,
                category=kind.category,
                doc_type=kind.doc_type,
                title=kind.title,
                contract_number=subject.contract_number,
                doc_date=doc_date,
                source="generated",
                actor=actor,
                details={"kind": kind.name},
                filename=f"{document.filename}.docx",
                input_data=input_data,
            )

        result = filing_in_progress(file_it)
        filings.append(_filing_entry(result, subject, "docx", doc_date))
    archive.transaction(
        lambda s: append_event(
            s,
            actor=actor,
            action="generate",
            target=f"kind:{kind.name}",
            borrower_key=subjects[0].borrower_key if subjects else None,
            details={
                "kind": kind.name,
                "file": f"{document.filename}.docx",
                "documents": [f["document_id"] for f in filings],
                "warnings": list(document.warnings),
            },
        )
    )
    return filings


def document_date(model: BaseModel) -> date | None:
    for name in DOCUMENT_DATE_FIELDS:
        value = getattr(model, name, None)
        if isinstance(value, date):
            return value
    return None


def _borrower_details(model: BaseModel, key: str) -> dict[str, Any]:
    borrower = getattr(model, "borrower", None)
    if borrower is None or getattr(borrower, "key", None) != key:
        return {}
    details: dict[str, Any] = {}
    for name in BORROWER_DETAILS:
        value = getattr(borrower, name, None)
        if value is None:
            continue
        details[name] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return details


def _filing_entry(result: Any, subject: Subject, media: str, doc_date: date | None) -> dict[str, Any]:
    return {
        "document_id": result.document_id,
        "status": result.status,
        "path": str(result.path),
        "borrower_key": subject.borrower_key,
        "contract_number": subject.contract_number,
        "media": media,
        "doc_date": doc_date.isoformat() if doc_date else None,
    }


def _file_pdfs(
    archive: Archive, results: list[BatchResult], kind_name: str, actor: str, *, keep: bool
) -> None:
    """File each converted PDF as the PDF/A rendition of the DOCX document it renders (one document, two
    files); a document that has its rendition already keeps it."""
    from dossier.archive.renditions import RenditionKind, file_rendition

    get_kind(kind_name)
    for result in results:
        pdf = next((p for p in result.outputs if p.suffix == ".pdf"), None)
        if result.status != "ok" or pdf is None:
            continue
        if not keep:
            result.outputs = [p for p in result.outputs if p != pdf and p != result.docx]
        for entry in [f for f in result.filings if f["media"] == "docx"]:
            try:
                filed = file_rendition(archive, entry["document_id"], pdf, RenditionKind.PDF_A, actor=actor)
            except DossierError as exc:
                result.status = "failed"
                result.errors.append(FieldProblem("(archive)", "归档", str(exc)))
                continue
            result.filings.append(
                {
                    "document_id": filed.document_id,
                    "rendition_id": filed.rendition_id,
                    "rendition": filed.kind.value,
                    "status": f"rendition-{filed.status.value}",
                    "path": str(filed.path),
                    "borrower_key": entry["borrower_key"],
                    "contract_number": entry["contract_number"],
                    "media": "pdf",
                    "doc_date": entry["doc_date"],
                }
            )


@dataclass(frozen=True)
class PdfJobs:
    """What a :data:`RenderPdfs` did: its jobs' run ids, whether they were deferred (a worker makes the
    renditions later) and, when they ran here, their errors."""

    runs: list[int]
    deferred: bool
    errors: list[str]


RenderPdfs = Callable[["Archive", list[int], str], PdfJobs]
"""Makes the PDF/A renditions of filed DOCX documents (the faces pass jobs.dispatch.render_pdfs: the job
runner, which generation does not import)."""


def _render_filed(archive: Archive, results: list[BatchResult], actor: str, render: RenderPdfs) -> None:
    """PDF/A renditions of the DOCX documents just filed, through ``render``. Made here (embedded
    runner): each result lists its rendition as before (``rendition-filed``, or ``rendition-kept`` for
    a document that had one), or fails with the job's error. Deferred (queue): a warning names the jobs."""
    from dossier.archive.renditions import RenditionKind, rendition_of

    entries = [(r, f) for r in results if r.status == "ok" for f in r.filings if f["media"] == "docx"]
    ids = [f["document_id"] for _, f in entries]
    if not ids:
        return

    def existing(session: Any) -> dict[int, Any]:
        return {i: rendition_of(session, i, RenditionKind.PDF_A) for i in ids}

    before = archive.transaction(existing, write=False)
    started = render(archive, ids, actor)
    if started.deferred:
        note = f"PDF/A 副本由后台任务生成 (render jobs {', '.join(map(str, started.runs))})"
        for result in results:
            if result.status == "ok" and any(f["media"] == "docx" for f in result.filings):
                result.warnings.append(note)
        return
    after = archive.transaction(existing, write=False)
    for result, entry in entries:
        rendition = after.get(entry["document_id"])
        if rendition is None:
            result.status = "failed"
            why = "; ".join(started.errors) or "PDF/A conversion failed"
            result.errors.append(FieldProblem("(pdf)", "PDF 转换", why))
            continue
        kept = before.get(entry["document_id"]) is not None
        result.filings.append(
            {
                "document_id": entry["document_id"],
                "rendition_id": rendition.id,
                "rendition": rendition.kind,
                "status": "rendition-kept" if kept else "rendition-filed",
                "path": str(archive.absolute(rendition.path)),
                "borrower_key": entry["borrower_key"],
                "contract_number": entry["contract_number"],
                "media": "pdf",
                "doc_date": entry["doc_date"],
            }
        )


def _convert(results: list[BatchResult], out_dir: Path, jobs: int) -> None:
    from dossier.render.pdf import PdfConverter  # LibreOffice is needed only when PDFs are asked for

    pending = [r for r in results if r.status == "ok" and r.docx is not None]
    if not pending:
        return
    with PdfConverter(workers=max(1, jobs)) as converter:
        # One outcome per input, in input order; the converter may report paths resolved, so pair by order.
        outcomes = converter.convert([r.docx for r in pending if r.docx is not None], out_dir)
        for result, outcome in zip(pending, outcomes, strict=True):
            if outcome.pdf is not None:
                result.outputs.append(outcome.pdf)
            else:
                result.status = "failed"
                problem = outcome.error or "conversion failed (转换失败)"
                result.errors.append(FieldProblem("(pdf)", "PDF转换", problem))
