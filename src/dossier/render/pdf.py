"""DOCX -> PDF through LibreOffice headless, in batches.

A LibreOffice start costs ~1.5-2 s while a document inside a running batch costs a fraction of a
second, so files are never converted one process per document. Each worker owns a private profile
directory (two LibreOffice processes on one profile fail) and runs ONE
``soffice --convert-to`` call over its whole share of the files. Profiles stay on disk for the life of
the converter, so later calls skip the profile's first-start work; ``close()`` deletes them.

Chinese templates ask for Windows/Founder faces (宋体, 黑体, 仿宋_GB2312 ...). ``fonts/fonts.conf`` aliases
them to Noto Serif/Sans CJK SC and is handed to soffice through FONTCONFIG_FILE, in the child's
environment only.

Runs in the NoBreak (不换行) character style (identifiers, 大写 amounts) are laid out from a private copy
with word joiners between their characters (render/nobreak.py), so LibreOffice keeps each on one line; the
DOCX itself and the PDF's text layer carry no joiner.

Result contract: ``convert`` never raises for a single bad document. It returns one ``PdfResult`` per
input, in input order, with either ``pdf`` (a verified, readable PDF with at least one page) or
``error`` (a bilingual reason). ``require_all`` / ``convert_one`` turn failures into
``PdfConversionError``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

from lxml import etree
from pypdf import PdfReader

from dossier.errors import DossierError
from dossier.render.nobreak import joined_copy

SOFFICE_ENV = "DOSSIER_SOFFICE"
# Forcing the Word import filter matters: without it LibreOffice imports an unreadable .docx as plain
# text and "succeeds" with a PDF full of garbage.
DOCX_IMPORT_FILTER = "MS Word 2007 XML"
# The archival rendition is PDF/A-2b (SelectPdfVersion 2): every font embedded, XMP metadata declaring the
# conformance, nothing that depends on the reader's machine. LibreOffice 7.4+ takes filter options as JSON.
PDFA_PART = 2
PDFA_CONFORMANCE = "B"
PDF_EXPORT = f'pdf:writer_pdf_Export:{{"SelectPdfVersion":{{"type":"long","value":"{PDFA_PART}"}}}}'
DOCX_SUFFIXES = frozenset({".docx", ".docm", ".dotx", ".dotm"})
_POLL_S = 0.1
_KILL_WAIT_S = 10.0


class PdfUnavailable(DossierError):
    """LibreOffice (soffice) cannot be found, so PDFs cannot be produced."""

    def __init__(self, tried: str | None = None) -> None:
        where = f" (tried {tried!r})" if tried else ""
        super().__init__(
            f"LibreOffice is not installed or soffice was not found{where}; install it with "
            "`apt-get install libreoffice-writer-nogui fonts-noto-cjk` or set "
            f"{SOFFICE_ENV} to the soffice binary "
            f"(未找到 LibreOffice，无法生成 PDF：请安装 libreoffice-writer-nogui 和 fonts-noto-cjk，"
            f"或设置环境变量 {SOFFICE_ENV} 指向 soffice)"
        )


@dataclass(frozen=True)
class PdfResult:
    """Outcome for one input: exactly one of ``pdf`` and ``error`` is set."""

    source: Path
    pdf: Path | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.pdf is not None

    def __str__(self) -> str:
        return f"{self.source} -> {self.pdf}" if self.ok else f"{self.source}: {self.error}"


class PdfConversionError(DossierError):
    """One or more documents could not be converted; ``failures`` lists them."""

    def __init__(self, failures: Sequence[PdfResult]) -> None:
        self.failures = list(failures)
        lines = "; ".join(str(f) for f in self.failures)
        super().__init__(
            f"{len(self.failures)} document(s) could not be converted to PDF (PDF 转换失败): {lines}"
        )


def require_all(results: Sequence[PdfResult]) -> list[Path]:
    """Return the PDF paths, or raise ``PdfConversionError`` naming every failed document."""
    failures = [r for r in results if not r.ok]
    if failures:
        raise PdfConversionError(failures)
    return [r.pdf for r in results if r.pdf is not None]


def find_soffice() -> str | None:
    """Locate soffice: ``$DOSSIER_SOFFICE`` if set (no fallback, so a bad setting is noticed), else PATH."""
    configured = os.environ.get(SOFFICE_ENV)
    if configured:
        return shutil.which(configured)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def fontconfig_file() -> Path:
    """The shipped fontconfig file that maps Chinese Windows font names to Noto CJK SC."""
    return Path(__file__).resolve().parent / "fonts" / "fonts.conf"


def pdf_name(docx: Path) -> str:
    """File name LibreOffice gives the PDF of ``docx``."""
    return docx.with_suffix(".pdf").name


class PdfConverter:
    """Batch DOCX -> PDF converter over ``workers`` LibreOffice processes.

    ``timeout_s`` is a no-progress limit: a LibreOffice call that finishes no document (and writes
    nothing to its log) for that long is treated as hung and killed. The document it was on fails with
    a timeout error; the ones after it are retried in a fresh call.

    Calls on one instance are serialised (each profile must only be used by one process at a time).
    Use as a context manager, or call ``close()``, to delete the profiles.
    """

    def __init__(self, workers: int = 1, *, soffice: str | None = None, timeout_s: float = 120) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1 (工作进程数至少为 1), got {workers}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive (超时时间必须为正数), got {timeout_s}")
        found = shutil.which(soffice) if soffice else find_soffice()
        if found is None:
            raise PdfUnavailable(soffice or os.environ.get(SOFFICE_ENV))
        self.soffice = found
        self.workers = workers
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._root = Path(tempfile.mkdtemp(prefix="dossier-pdf-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._root, True)

    def __enter__(self) -> PdfConverter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def workdir(self) -> Path:
        """Private temporary directory holding the worker profiles; removed by ``close()``."""
        return self._root

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Delete the worker profiles. Idempotent."""
        with self._lock:
            self._finalizer()

    def convert_one(self, docx: Path, out_dir: Path) -> Path:
        """Convert one document; raise ``PdfConversionError`` if it fails."""
        return require_all(self.convert([docx], out_dir))[0]

    def convert(self, docx_paths: Sequence[Path], out_dir: Path) -> list[PdfResult]:
        """Convert every document into ``out_dir`` (``name.docx`` -> ``name.pdf``, overwriting).

        Returns one result per input, in input order; see the module docstring. Raises ``ValueError``
        if two inputs would produce the same PDF name.
        """
        sources = [Path(p).resolve() for p in docx_paths]
        _reject_duplicate_names(sources)
        out_dir = Path(out_dir).resolve()
        out_dir.mkdir(parents=True, exist_ok=True)

        results: dict[Path, PdfResult] = {}
        todo: list[Path] = []
        for src in sources:
            problem = _precheck(src)
            if problem:
                results[src] = PdfResult(src, None, problem)
            else:
                todo.append(src)

        with self._lock:
            if self.closed:
                raise RuntimeError("PdfConverter is closed (PDF 转换器已关闭)")
            staging = Path(tempfile.mkdtemp(prefix="nobreak-", dir=self._root))
            try:
                # LibreOffice lays out a copy with the NoBreak runs joined (render/nobreak.py).
                laid_out = {src: _joined_or_same(src, staging) for src in todo}
                original = {copy: src for src, copy in laid_out.items()}
                shares = _split(list(laid_out.values()), self.workers)
                done: dict[Path, PdfResult] = {}
                if len(shares) == 1:
                    done.update(self._run_worker(0, shares[0], out_dir))
                elif shares:
                    with ThreadPoolExecutor(max_workers=len(shares)) as pool:
                        futures = [
                            pool.submit(self._run_worker, i, share, out_dir) for i, share in enumerate(shares)
                        ]
                        for future in futures:
                            done.update(future.result())
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            for copy, result in done.items():
                results[original[copy]] = replace(result, source=original[copy])
        return [results[src] for src in sources]

    # -- one worker: one profile, one soffice call per round -------------------------------------

    def _run_worker(self, index: int, files: list[Path], out_dir: Path) -> dict[Path, PdfResult]:
        profile = self._root / f"profile-{index}"
        results: dict[Path, PdfResult] = {}
        pending = list(files)
        round_no = 0
        while pending:
            round_no += 1
            stage = Path(tempfile.mkdtemp(prefix=f"out-{index}-{round_no}-", dir=self._root))
            try:
                outcome = self._call(profile, stage, pending)
                failed: dict[Path, str] = {}
                for src in pending:
                    staged = stage / pdf_name(src)
                    problem = _pdf_problem(staged) if staged.exists() else _load_error(outcome.log)
                    if problem:
                        failed[src] = problem
                    else:
                        target = out_dir / staged.name
                        shutil.move(staged, target)
                        results[src] = PdfResult(src, target, None)
                pending = []
                if failed and (outcome.timed_out or outcome.returncode != 0):
                    # LibreOffice works through its arguments in order: the first file without a good PDF
                    # is the one it hung or crashed on (its PDF may be half-written); the rest were never
                    # tried and go to a fresh call.
                    culprit, *pending = failed
                    results[culprit] = PdfResult(culprit, None, outcome.describe(self.timeout_s))
                else:
                    results.update((src, PdfResult(src, None, why)) for src, why in failed.items())
            finally:
                shutil.rmtree(stage, ignore_errors=True)
        return results

    def _call(self, profile: Path, stage: Path, files: list[Path]) -> _Outcome:
        # A killed LibreOffice leaves its lock behind; nothing else uses this profile (see _lock).
        (profile / ".lock").unlink(missing_ok=True)
        cmd = [
            self.soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"--infilter={DOCX_IMPORT_FILTER}",
            "--convert-to",
            PDF_EXPORT,
            "--outdir",
            str(stage),
            # URLs, not paths: nothing in a file name (leading '-', '#', '%', spaces) is misread.
            *(f.as_uri() for f in files),
        ]
        env = dict(os.environ)
        env["FONTCONFIG_FILE"] = str(fontconfig_file())
        log_path = stage.with_suffix(".log")
        try:
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=stage,
                    start_new_session=True,  # own process group: a kill reaches oosplash and soffice.bin
                )
                timed_out = self._watch(proc, stage, log_path)
            text = log_path.read_text(encoding="utf-8", errors="replace")
        finally:
            log_path.unlink(missing_ok=True)
        return _Outcome(returncode=proc.returncode, timed_out=timed_out, log=text)

    def _watch(self, proc: subprocess.Popen[bytes], stage: Path, log_path: Path) -> bool:
        """Wait for ``proc``; kill its process group after ``timeout_s`` without progress."""
        last_progress = time.monotonic()
        seen: tuple[int, int] = (-1, -1)
        while proc.poll() is None:
            now_seen = (sum(1 for _ in stage.glob("*.pdf")), _size(log_path))
            now = time.monotonic()
            if now_seen != seen:
                seen, last_progress = now_seen, now
            elif now - last_progress > self.timeout_s:
                _kill_group(proc)
                return True
            time.sleep(_POLL_S)
        return False


@dataclass(frozen=True)
class _Outcome:
    returncode: int
    timed_out: bool
    log: str

    def describe(self, timeout_s: float) -> str:
        if self.timed_out:
            return (
                f"LibreOffice made no progress for {timeout_s:g} s and was killed "
                f"(LibreOffice 转换超时 {timeout_s:g} 秒，已终止)"
            )
        return (
            f"LibreOffice exited with code {self.returncode} while converting this file "
            f"(LibreOffice 转换此文件时异常退出，退出码 {self.returncode}){_log_tail(self.log)}"
        )


def _load_error(log: str) -> str:
    return (
        f"LibreOffice could not load or convert this file (LibreOffice 无法读取或转换此文件){_log_tail(log)}"
    )


def _log_tail(log: str) -> str:
    errors = [line.strip() for line in log.splitlines() if line.strip().startswith("Error")]
    unique = list(dict.fromkeys(errors))
    return f": {'; '.join(unique[:3])}" if unique else ""


def _precheck(src: Path) -> str | None:
    """Refuse what LibreOffice would mishandle, before spending a process on it."""
    if not src.is_file():
        return f"input file not found (输入文件不存在): {src}"
    if src.suffix.lower() not in DOCX_SUFFIXES:
        return f"not a .docx file (不是 .docx 文件): {src.name}"
    try:
        with zipfile.ZipFile(src) as z:
            if "word/document.xml" not in z.namelist():
                return "not a Word document, word/document.xml is missing (不是有效的 Word 文档)"
    except (zipfile.BadZipFile, OSError) as exc:
        return f"not a valid .docx (zip) file (不是有效的 .docx 文件): {exc}"
    return None


def _joined_or_same(src: Path, staging: Path) -> Path:
    """``src``, or its copy with NoBreak runs joined; a part that does not parse is left for LibreOffice
    to report."""
    try:
        return joined_copy(src, staging) or src
    except (etree.XMLSyntaxError, zipfile.BadZipFile, KeyError, OSError):
        return src


def _pdf_problem(pdf: Path) -> str | None:
    try:
        pages = len(PdfReader(pdf).pages)
    except Exception as exc:  # pypdf raises many types on a damaged file
        return f"LibreOffice wrote an unreadable PDF (生成的 PDF 无法读取): {exc}"
    if pages < 1:
        return "LibreOffice wrote a PDF with no pages (生成的 PDF 没有页面)"
    return None


def _reject_duplicate_names(sources: Sequence[Path]) -> None:
    by_name: dict[str, list[Path]] = {}
    for src in sources:
        by_name.setdefault(pdf_name(src).casefold(), []).append(src)
    clashes = [paths for paths in by_name.values() if len(paths) > 1]
    if clashes:
        listed = "; ".join(", ".join(str(p) for p in paths) for paths in clashes)
        raise ValueError(f"inputs would produce the same PDF name (多个输入文件会生成同名 PDF): {listed}")


def _split(files: list[Path], workers: int) -> list[list[Path]]:
    """Balance files over at most ``workers`` shares by size; each share keeps the input order."""
    n = min(workers, len(files))
    if n == 0:
        return []
    owner: dict[Path, int] = {}
    loads = [0] * n
    for f in sorted(files, key=lambda p: p.stat().st_size, reverse=True):
        i = loads.index(min(loads))  # largest first onto the lightest share
        owner[f] = i
        loads[i] += f.stat().st_size + 20_000  # fixed per-document overhead dominates small files
    return [[f for f in files if owner[f] == i] for i in range(n)]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=_KILL_WAIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
