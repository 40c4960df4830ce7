"""The jobs' visible state: one row per job run, whichever runner ran it (dossier.jobs).

On the embedded default the row is all there is (the job ran in-process); on PostgreSQL the queue
(procrastinate's tables) owns claiming and retrying, and this row mirrors what a person asks about: status,
progress, attempts and the last error. The row is written in the transaction that defers the job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dossier.archive.catalog.models import Base


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_status_id", "status", "id"), Index("ix_job_runs_subject", "subject"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    queue: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(100))
    """What the job works on (``document:12``, ``notices:2026-12-31:3``), for idempotence and people."""
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))
    runner: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    queue_job_id: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
