"""`dossier worker`: works the queue's jobs on any host that has the catalog URL and the archive folder.

procrastinate runs each job's function (execution.run_once) in a thread, at most ``concurrency`` at a
time; OCR and extraction run in child processes, so threads are enough to use every core. Beside it:

* the heartbeat (procrastinate's, every [jobs].heartbeat_seconds);
* the recovery loop: every [jobs].recover_every_seconds, jobs held by a worker whose heartbeat is older
  than [jobs].stalled_after_seconds (a dead host, a SIGKILL) are put back on the queue, so another worker
  takes them within [jobs].stalled_after_seconds + recover_every_seconds + poll_seconds;
* SIGTERM / SIGINT: no new job is taken and the jobs in hand finish (exit 0); still running after
  [jobs].shutdown_grace_seconds, they are released instead (back on the queue, taken by another worker;
  the process ends with status 3 without finishing them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import procrastinate
from procrastinate.worker import Worker

from dossier.archive.home import Archive
from dossier.jobs.definitions import JobKind, Queue
from dossier.jobs.execution import run_once
from dossier.jobs.queue import BoundedBackoff, QueueRunner, task_name
from dossier.jobs.settings import JobsSettings

log = logging.getLogger(__name__)
RELEASED_EXIT = 3
"""Exit status of a worker that released jobs at shutdown instead of finishing them."""


def register_tasks(app: procrastinate.App, archive: Archive, settings: JobsSettings) -> None:
    retry = BoundedBackoff(settings)
    for kind in JobKind:

        def body(context: procrastinate.JobContext, run_id: int, _kind: JobKind = kind) -> Any:
            assert context.job is not None
            return run_once(archive, run_id, context.job.attempts + 1, settings.max_attempts)

        app.task(name=task_name(kind), queue=kind.queue.value, pass_context=True, retry=retry)(body)


async def _recover(app: procrastinate.App, settings: JobsSettings) -> None:
    """Put back on the queue the jobs whose worker stopped beating (see the module doc)."""
    while True:
        await asyncio.sleep(settings.recover_every_seconds)
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=settings.stalled_after_seconds
            )
            for job in stalled:
                log.warning("job %s (%s) held by a dead worker: queued again", job.id, job.task_name)
                with contextlib.suppress(Exception):  # another worker may have retried it first
                    await app.job_manager.retry_job(job)
        except Exception:  # a lost connection: try again next round
            log.exception("stalled-job recovery failed")


async def _work(
    app: procrastinate.App, settings: JobsSettings, queues: Sequence[str], concurrency: int
) -> None:
    async with app.open_async():
        worker = Worker(
            app=app,
            queues=list(queues),
            concurrency=concurrency,
            name="dossier",
            fetch_job_polling_interval=settings.poll_seconds,
            update_heartbeat_interval=settings.heartbeat_seconds,
            stalled_worker_timeout=settings.stalled_after_seconds,
            install_signal_handlers=False,  # ours below: finish, or release past the grace period
        )
        loop = asyncio.get_running_loop()
        timers: list[asyncio.TimerHandle] = []
        releasing: list[asyncio.Task[None]] = []

        def on_stop() -> None:
            if timers:
                return
            worker.stop()
            if settings.shutdown_grace_seconds > 0:
                timers.append(
                    loop.call_later(
                        settings.shutdown_grace_seconds,
                        lambda: releasing.append(loop.create_task(_release(app, worker))),
                    )
                )

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_stop)
        recovery = asyncio.create_task(_recover(app, settings))
        try:
            await worker.run()
        finally:
            for timer in timers:
                timer.cancel()  # everything in hand finished within the grace period
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery


async def _release(app: procrastinate.App, worker: Worker) -> None:
    """Past the grace period: the jobs still in hand go back to the queue (another worker takes them,
    each job being idempotent), and this process ends at once without finishing them."""
    code = 0
    try:
        jobs = list(await app.job_manager.list_jobs_async(worker_id=worker.worker_id, status="doing"))
        for job in jobs:
            code = RELEASED_EXIT
            assert job.id is not None
            await app.job_manager.retry_job_by_id_async(job.id, retry_at=datetime.now(UTC))
            log.warning("job %s (%s) released at shutdown", job.id, job.task_name)
        await app.job_manager.unregister_worker(worker.worker_id)  # type: ignore[arg-type]  # set while running
    finally:
        logging.shutdown()
        os._exit(code)


def run_worker(archive: Archive, queues: Sequence[Queue], concurrency: int) -> None:
    """Work ``queues`` until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    runner = QueueRunner(archive)
    register_tasks(runner.app, archive, runner.settings)
    log.info(
        "worker on %s, %d at a time; a dead worker's job is taken again within %.0f s ([jobs])",
        ",".join(q.value for q in queues),
        concurrency,
        runner.settings.recovery_bound_seconds,
    )
    asyncio.run(_work(runner.app, runner.settings, [q.value for q in queues], concurrency))
