"""Render an untrusted template in a worker process with a time and a memory limit.

The sandbox stops a template from reaching code it should not; it cannot stop
``{% for i in range(10000) %}{% for j in range(10000) %}…`` from running for minutes or a loop of
large strings from eating the machine's memory. A template a user supplies therefore renders in a
fresh ``spawn`` process: its address space is capped with ``RLIMIT_AS`` and the parent kills it when
the wall-clock limit passes. The worker rebuilds its filters from an import path because the
callables themselves need not pickle.
"""

from __future__ import annotations

import importlib
import math
import multiprocessing
import resource
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from dossier.render.engine import TemplateEngine, TemplateError

NO_FILTERS = "dossier.render.isolation:no_filters"
"""Factory for a worker with Jinja's safe builtin filters only."""

# Starting the interpreter and importing docxtpl does not count against the render's time limit.
_STARTUP_TIMEOUT_S = 60.0
_MB = 1024 * 1024


def no_filters() -> dict[str, Callable[..., Any]]:
    return {}


def render_isolated(
    template_path: Path,
    context: Mapping[str, Any],
    filters_factory: str,
    *,
    timeout_s: float = 30,
    memory_mb: int = 1024,
) -> bytes:
    """Render ``template_path`` with ``context`` in a worker process; return the DOCX bytes.

    ``filters_factory`` is ``"module:function"``, a function returning the filters mapping.
    ``timeout_s`` bounds loading plus rendering (wall clock). ``memory_mb`` is the address space the
    render may add to the worker's loaded baseline. Raises :class:`TemplateError` (kind "timeout",
    "memory" or "crash", or the template's own error) when the render does not finish.
    """
    name = str(template_path)
    mp = multiprocessing.get_context("spawn")
    receiver, sender = mp.Pipe(duplex=False)
    worker = mp.Process(
        target=_worker,
        args=(sender, name, context, filters_factory, timeout_s, memory_mb),
        name="dossier-render",
        daemon=True,
    )
    worker.start()
    sender.close()
    try:
        ready = _receive(receiver, _STARTUP_TIMEOUT_S)
        if ready == ("ready",):
            result = _receive(receiver, timeout_s)
            if result is None:
                raise TemplateError(
                    name,
                    f"rendering took longer than {timeout_s:g} s and was stopped",
                    f"生成超过 {timeout_s:g} 秒，已终止",
                    kind="timeout",
                )
        else:
            result = ready
        return _outcome(name, result, worker, memory_mb)
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join()
        receiver.close()


def _receive(conn: Connection, timeout_s: float) -> Any:
    """The next message; ``None`` on timeout, ``("gone",)`` when the worker died."""
    if not conn.poll(timeout_s):
        return None
    try:
        return conn.recv()
    except EOFError:
        return ("gone",)


def _outcome(name: str, message: Any, worker: Any, memory_mb: int) -> bytes:
    match message:
        case ("ok", bytes() as data):
            return data
        case ("error", TemplateError() as error):
            raise error
        case ("memory",):
            raise TemplateError(
                name,
                f"rendering needed more than {memory_mb} MB of memory and was stopped",
                f"生成所需内存超过 {memory_mb} MB，已终止",
                kind="memory",
            )
        case ("failed", str() as detail):
            raise TemplateError(name, f"the render worker failed: {detail}", "生成进程出错", kind="crash")
        case None:
            raise TemplateError(
                name, "the render worker did not start in time", "生成进程未能按时启动", kind="crash"
            )
    worker.join(5)
    raise TemplateError(
        name,
        f"the render worker died (exit code {worker.exitcode}), possibly out of memory",
        f"生成进程异常退出（退出码 {worker.exitcode}），可能内存不足",
        kind="crash",
    )


def _worker(
    conn: Connection,
    template_path: str,
    context: Mapping[str, Any],
    factory: str,
    timeout_s: float,
    memory_mb: int,
) -> None:
    try:
        try:
            engine = TemplateEngine(filters=_import(factory)())
        except Exception as exc:
            conn.send(("failed", f"cannot build the filters from {factory!r}: {type(exc).__name__}: {exc}"))
            return
        _limit(memory_mb, timeout_s)
        conn.send(("ready",))
        data = engine.load(Path(template_path)).render(context)
        conn.send(("ok", data))
    except MemoryError:
        conn.send(("memory",))
    except TemplateError as exc:
        conn.send(("error", exc))
    except Exception as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _import(factory: str) -> Callable[[], Mapping[str, Callable[..., Any]]]:
    module, _, attribute = factory.partition(":")
    if not module or not attribute:
        raise ValueError("expected 'module:function'")
    return getattr(importlib.import_module(module), attribute)


def _limit(memory_mb: int, timeout_s: float) -> None:
    """Cap the worker's address space at baseline + ``memory_mb``; CPU time as a backstop."""
    limit = _address_space() + memory_mb * _MB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    # The parent's wall clock normally fires first; this stops an orphaned worker too.
    cpu = math.ceil(timeout_s) + 5
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    if cpu_hard != resource.RLIM_INFINITY:
        cpu = min(cpu, cpu_hard)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu_hard))


def _address_space() -> int:
    """Current virtual memory size of this process in bytes (0 where /proc is not available)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
