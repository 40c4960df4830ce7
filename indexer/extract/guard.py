"""Run one extraction in a child process with a wall-clock and a memory limit.

A PDF bomb, a 10,000-page PDF or a file that sends PDFium into a loop or a crash must cost one document,
never the caller: the child gets an address-space limit (RLIMIT_AS, so an allocation beyond it fails
inside the child: Python raises MemoryError, PDFium aborts) and is killed when the time is up. The page
loop also gets a soft deadline a little before that, so a slow but sane file still returns the pages read
so far (partial, ``truncated``) instead of nothing.

Children come from a forkserver that has imported the extractors once, so a child starts in
milliseconds; where there is no forkserver (Windows) they are spawned. As with any multiprocessing
program, the caller's main module must be importable without side effects (``if __name__ ==
"__main__":``). ``memory_mb`` is the child's whole address space, the interpreter and libraries included
(about 60 MB); it is enforced on Linux, other systems get the time limit only.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from pathlib import Path
from typing import Any, Final

from indexer.extract import sniff
from indexer.extract.core import extract
from indexer.extract.result import Extraction, Limits
from indexer.processes import process_context, start_server  # noqa: F401  (the watcher starts it early)

SOFT_DEADLINE_SHARE: Final = 0.8
"""Share of the time limit after which the page loop stops and returns what it has."""
_JOIN_SECONDS: Final = 5.0


def extract_guarded(
    source: Path | bytes,
    *,
    timeout_s: float = 60.0,
    memory_mb: int | None = 1024,
    **kwargs: Any,
) -> Extraction:
    """extract(source, **kwargs) in a child process limited to ``timeout_s`` seconds of wall-clock time
    and ``memory_mb`` MB of address space (None: no memory limit). Never raises for bad input, never
    hangs past the time limit (plus a few seconds to reap the child)."""
    limits: Limits = kwargs.pop("limits", None) or Limits()
    soft = timeout_s * SOFT_DEADLINE_SHARE
    if limits.max_seconds is None or limits.max_seconds > soft:
        limits = replace(limits, max_seconds=soft)
    if isinstance(source, str):
        source = Path(source)
    name = kwargs.get("name") or (source.name if isinstance(source, Path) else None)
    declared = sniff.claimed_type(name, kwargs.get("media_type")) or sniff.UNKNOWN

    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(sender, source, memory_mb, limits, kwargs),
        name="indexer-extract",
        daemon=True,
    )
    try:
        process.start()
    except OSError as exc:
        receiver.close()
        sender.close()
        return Extraction.failed(declared, f"cannot start an extraction process: {exc} (无法启动提取进程)")
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            return Extraction.failed(
                declared, f"extraction timed out after {timeout_s:g} s (文字提取超时，已终止)"
            )
        try:
            result: Extraction = receiver.recv()
            return result
        except (EOFError, OSError):
            pass  # the child died before it could answer: say how, below
    finally:
        if process.is_alive():
            process.kill()
        process.join(_JOIN_SECONDS)
        receiver.close()
    return Extraction.failed(declared, _death_message(process.exitcode, memory_mb))


def _context() -> ForkServerContext | SpawnContext:
    return process_context()


def _death_message(exitcode: int | None, memory_mb: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
    else:
        how = f"exited with code {exitcode}"
    limit = f", probably out of memory (limit {memory_mb} MB)" if memory_mb else ""
    return f"extraction process {how}{limit} (文字提取进程异常终止，可能是文件损坏或内存不足)"


def _child(
    sender: Connection,
    source: Path | bytes,
    memory_mb: int | None,
    limits: Limits,
    kwargs: dict[str, Any],
) -> None:
    """The child's body: limit memory, extract, send the result (or the reason there is none)."""
    # pypdf logs every repair it makes; in a throwaway child nobody configured logging for, that would be
    # noise on the terminal. The result says what went wrong.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        if memory_mb:
            _limit_address_space(memory_mb * 1024 * 1024)
        result = extract(source, limits=limits, **kwargs)
    except MemoryError:
        result = Extraction.failed(sniff.UNKNOWN, f"out of memory (limit {memory_mb} MB) (文字提取内存不足)")
    except BaseException as exc:  # even a failed limit must reach the parent as a result
        result = Extraction.failed(sniff.UNKNOWN, f"extraction failed: {exc!r} (文字提取失败)")
    try:
        sender.send(result)
    finally:
        sender.close()


def _limit_address_space(limit: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: the time limit still holds
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
