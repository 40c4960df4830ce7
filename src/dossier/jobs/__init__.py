"""Slow work as jobs: one definition per job (definitions.py), two runners (embedded.py in this process on
the embedded default, queue.py on procrastinate when the catalog is PostgreSQL), `dossier worker`
(worker.py) and the visible state of every run (state.py)."""

from dossier.jobs.definitions import JobKind, JobStatus, Queue, Runner

__all__ = ["JobKind", "JobStatus", "Queue", "Runner"]
