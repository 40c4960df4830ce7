"""Many inputs → many documents: N worker processes, one failing input never stops the others.

Each worker process keeps one Generator, so every template is parsed once per process. DOCX files are
converted to PDF afterwards in one LibreOffice batch rather than one cold start per document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from dossier.errors import DossierError, FieldProblem, InputError
from dossier.generate import Generator
from dossier.inputs import load_input
from dossier.kinds.registry import get_kind


@dataclass
class BatchResult:
    input: str
    status: str
    """``ok``, ``invalid`` (the input failed validation) or ``failed`` (rendering or conversion)."""
    outputs: list[Path] = field(default_factory=list)
    errors: list[FieldProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Worker:
    """The per-process state of a batch worker: its Generator and template cache."""

    generator: Generator | None = None

    @classmethod
    def start(cls, template: Path | None) -> None:
        cls.generator = Generator(template=template)

    @classmethod
    def run(cls, kind_name: str, source: Path, out_dir: Path) -> BatchResult:
        assert cls.generator is not None
        return generate_one(cls.generator, kind_name, source, out_dir)


def generate_one(generator: Generator, kind_name: str, source: Path, out_dir: Path) -> BatchResult:
    """Load, validate, derive, render and save one input; errors become the result, never an exception."""
    try:
        document = generator.generate(kind_name, load_input(source), source=str(source))
        path = document.save(out_dir)
    except InputError as exc:
        return BatchResult(str(source), "invalid", errors=exc.problems)
    except DossierError as exc:
        return BatchResult(str(source), "failed", errors=[FieldProblem("(render)", "生成", str(exc))])
    return BatchResult(str(source), "ok", outputs=[path], warnings=list(document.warnings))


def generate_batch(
    kind_name: str,
    inputs: Sequence[Path],
    out_dir: Path,
    *,
    jobs: int = 1,
    pdf: bool = False,
    template: Path | None = None,
    progress: Callable[[BatchResult], None] | None = None,
) -> list[BatchResult]:
    """Generate one document per input, in input order; ``progress`` is called as each one finishes."""
    get_kind(kind_name)  # an unknown kind fails once, before any work
    results: list[BatchResult | None] = [None] * len(inputs)
    if jobs <= 1 or len(inputs) <= 1:
        generator = Generator(template=template)
        for i, source in enumerate(inputs):
            results[i] = generate_one(generator, kind_name, source, out_dir)
            if progress:
                progress(results[i])  # type: ignore[arg-type]
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_Worker.start, initargs=(template,)) as pool:
            futures = {pool.submit(_Worker.run, kind_name, source, out_dir): i for i, source in enumerate(inputs)}
            for future in as_completed(futures):
                result = future.result()
                results[futures[future]] = result
                if progress:
                    progress(result)
    done = [r for r in results if r is not None]
    if pdf:
        _convert(done, out_dir, jobs)
    return done


def _convert(results: list[BatchResult], out_dir: Path, jobs: int) -> None:
    from dossier.render.pdf import PdfConverter  # LibreOffice is needed only when PDFs are asked for

    pending = [r for r in results if r.status == "ok"]
    if not pending:
        return
    by_docx = {r.outputs[0]: r for r in pending}
    with PdfConverter(workers=max(1, jobs)) as converter:
        for outcome in converter.convert(list(by_docx), out_dir):
            result = by_docx[outcome.source]
            if outcome.pdf is not None:
                result.outputs.append(outcome.pdf)
            else:
                result.status = "failed"
                result.errors.append(FieldProblem("(pdf)", "PDF转换", outcome.error or "conversion failed (转换失败)"))
