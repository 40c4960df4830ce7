"""Where the indexer's child processes come from: one forkserver for extraction and analysis alike.

A plain fork copies every lock other threads hold at that moment. A process that has opened tantivy
indexes has such threads (each index's file watcher and segment updater take ``flock`` locks on its meta
file), and a forked child keeps an inherited locked descriptor open for its whole life: the parent's next
commit then waits for ever. Children forked from a server that never touched tantivy hold nothing.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from multiprocessing.context import ForkServerContext, SpawnContext
from types import ModuleType

PRELOAD = ("indexer.extract", "indexer.analysis")


def process_context() -> ForkServerContext | SpawnContext:
    """The forkserver context (spawn where there is none), its server preloading the indexer."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # Takes effect when the server starts (first use); later calls change nothing.
        context.set_forkserver_preload([*PRELOAD, *_main_packages()])
        return context
    return multiprocessing.get_context("spawn")


def start_server() -> None:
    """Start the server now, so the first child does not pay for its start-up."""
    context = process_context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _main_packages() -> list[str]:
    """Every module already imported from the packages the main module refers to.

    Each child runs the main module again (multiprocessing's rule for children it does not simply fork):
    for a command-line program that can mean importing the whole program per file, over a second, where
    the same modules preloaded in the server cost nothing per child. (Python 3.11's own ``"__main__"``
    preload never takes effect: the server is not told the main module's path.)
    """
    main = sys.modules.get("__main__")
    if main is None:
        return []
    names: set[str] = set()
    for value in vars(main).values():
        name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        if isinstance(name, str) and not name.startswith("__") and name != "builtins":
            names.add(name.split(".")[0])
    return sorted(m for m in list(sys.modules) if m.split(".")[0] in names and not m.startswith("__"))


def die_with_parent(*, graceful: bool = False) -> None:
    """End this child process when the process that asked for it ends (a pool's initializer, a server's
    worker).

    A pool worker from the forkserver would outlive an indexing process killed by SIGKILL: it waits for
    work for ever (it holds both ends of its own task pipe), and it keeps the forkserver alive (every child
    holds the server's liveness pipe). A worker of `dossier serve --workers N` would go on holding the port.
    Its pipe from the process that asked for it (``parent_process()``'s sentinel) reaches end of file when
    that process ends, however it ends, even before this is called: a thread waits for that.
    ``graceful``: then send this process SIGTERM, so a server shuts down as when it is stopped, instead of
    exiting at once.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        if graceful:
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            os._exit(1)  # no clean-up to run: the work belonged to the process that ended

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
