"""Worker processes of `dossier serve --workers N` end with the process that started them.

uvicorn's supervisor starts the workers and stops them when it is stopped. Killed outright (SIGKILL, the
OOM killer), it cannot: its workers would go on holding the port, answering with the code they started
with, and a `dossier serve` started again would find the port taken. So each worker asks the kernel for
SIGTERM when its parent ends (Linux ``PR_SET_PDEATHSIG``), and it shuts down as if the supervisor had
stopped it. A worker whose supervisor is already gone by then does not start at all.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class SupervisorGone(SystemExit):
    """The supervisor that started this worker ended before the worker was ready."""

    def __init__(self, supervisor: int) -> None:
        super().__init__(f"the supervisor (pid {supervisor}) is gone; this worker stops (主进程已退出)")


def end_with_supervisor(supervisor: int) -> None:
    """Have this process receive SIGTERM when its parent ``supervisor`` ends; raise SupervisorGone when it
    already has. Elsewhere than Linux only the second check is made."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # Checked after the request: a parent that ended just before it sends nothing, and has reparented us.
    if os.getppid() != supervisor:
        raise SupervisorGone(supervisor)
