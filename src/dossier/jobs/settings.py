"""The [jobs] table: attempts and backoff, the worker's heartbeat and the stalled-job bound."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dossier.config import Config

RunnerChoice = Literal["auto", "queue", "in-process"]


class JobsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runner: RunnerChoice = "auto"

    max_attempts: int = Field(3, ge=1, le=50)
    backoff_seconds: float = Field(5.0, ge=0)
    max_backoff_seconds: float = Field(300.0, ge=0)
    heartbeat_seconds: float = Field(10.0, gt=0)
    stalled_after_seconds: float = Field(30.0, gt=0)
    recover_every_seconds: float = Field(10.0, gt=0)
    poll_seconds: float = Field(5.0, gt=0)
    shutdown_grace_seconds: float = Field(120.0, ge=0)
    notices_loans_per_job: int = Field(20, ge=1, le=10_000)
    ocr_processes: int = Field(1, ge=1, le=64)
    render_documents_per_job: int = Field(20, ge=1, le=1000)
    results_folder: str = ""
    """Where jobs started from a page write their files (volume PDFs, export bundles); every worker host
    must share it. Empty: the folder ``<home>-results`` beside the archive home."""

    def backoff(self, attempts_done: int) -> float:
        """Seconds to wait before the next try, after ``attempts_done`` failed tries (1 or more)."""
        return min(self.backoff_seconds * 2 ** max(attempts_done - 1, 0), self.max_backoff_seconds)

    @property
    def recovery_bound_seconds(self) -> float:
        """How long a job held by a dead worker waits at most before another worker takes it."""
        return self.stalled_after_seconds + self.recover_every_seconds + self.poll_seconds


def jobs_settings(config: Config) -> JobsSettings:
    return config.section("jobs", JobsSettings)
