"""Who holds what: an officer's 待办, the portfolio by stage, the overdue list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from dossier.access.roles import Role
from dossier.archive.home import Archive
from dossier.process.enums import Status
from dossier.process.overdue import Waiting, waiting
from dossier.process.separation import broken_rule, people_by_stage
from dossier.process.settings import process_settings
from dossier.process.store import Application, rows, steps_of, view


@dataclass(frozen=True)
class Listed:
    application: Application
    waiting: Waiting

    def to_dict(self) -> dict[str, Any]:
        data = self.application.to_dict()
        data.pop("steps")
        data.pop("open_items")
        data["open_item_count"] = len(self.application.open_items)
        return {**data, **self.waiting.to_dict()}


def waits_on(session: Session, app: Application, username: str, role: Role, archive: Archive) -> bool:
    """Whether ``username`` (with ``role``) is the one the application waits on: its holder, or, when
    nobody holds it, anyone with the stage's role whom 审贷分离 does not bar."""
    if app.status.closed:
        return False
    if app.holder is not None:
        return app.holder == username
    if app.stage_role is not role:
        return False
    rules = process_settings(archive.config).separation
    return broken_rule(rules, people_by_stage(steps_of(session, app.id)), app.stage, username) is None


def list_applications(
    archive: Archive,
    *,
    visible: set[int] | None = None,
    mine: tuple[str, Role] | None = None,
    stage: str | None = None,
    overdue: bool = False,
    status: Status | None = None,
    borrower_id: int | None = None,
    now: datetime | None = None,
) -> list[Listed]:
    """Applications the caller may see (``visible`` borrower ids; None: all), newest first, filtered:
    ``mine`` (username, role) keeps those waiting on them; ``stage`` by key or label; ``overdue`` those
    past their stage's limit."""
    moment = now or datetime.now(UTC)
    config = archive.config

    def read(session: Session) -> list[Listed]:
        ids = (
            visible
            if borrower_id is None
            else ({borrower_id} & visible if visible is not None else {borrower_id})
        )
        found: list[Listed] = []
        for row in rows(session, borrower_ids=ids, status=status):
            app = view(session, row, config)
            if stage and stage not in (app.stage, app.stage_label):
                continue
            if mine is not None and not waits_on(session, app, mine[0], mine[1], archive):
                continue
            wait = waiting(app, moment, config)
            if overdue and not wait.overdue:
                continue
            found.append(Listed(app, wait))
        found.sort(key=lambda item: -item.application.id)
        return found

    return archive.transaction(read, write=False)
