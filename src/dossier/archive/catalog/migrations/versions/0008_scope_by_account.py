"""Officer scope rests on user accounts: what display names granted becomes explicit assignments.

Until now an officer saw the borrowers whose ``officer`` field (on the borrower or one of its loans)
equalled their display name. Display names repeat and ``officer`` is free text, so from now on only
assignments grant access. To keep what existing archives' officers see, each user whose display name
no other user has is assigned the borrowers that name them; a display name two users share grants
nothing (an archivist assigns those borrowers by user name). No table changes.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table("users", sa.column("id", sa.Integer), sa.column("display_name", sa.String))
_borrowers = sa.table("borrowers", sa.column("id", sa.Integer), sa.column("officer", sa.String))
_loans = sa.table("loans", sa.column("borrower_id", sa.Integer), sa.column("officer", sa.String))
_assignments = sa.table(
    "borrower_assignments",
    sa.column("borrower_id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    bind = op.get_bind()
    users = bind.execute(sa.select(_users.c.id, _users.c.display_name)).all()
    counts = Counter(name for _, name in users)
    named: dict[str, set[int]] = {}
    for borrower_id, officer in bind.execute(sa.select(_borrowers.c.id, _borrowers.c.officer)).all():
        if officer:
            named.setdefault(officer, set()).add(borrower_id)
    for borrower_id, officer in bind.execute(sa.select(_loans.c.borrower_id, _loans.c.officer)).all():
        if officer:
            named.setdefault(officer, set()).add(borrower_id)
    existing = set(bind.execute(sa.select(_assignments.c.borrower_id, _assignments.c.user_id)).all())
    now = datetime.now(UTC)
    rows = [
        {"borrower_id": borrower_id, "user_id": user_id, "created_at": now}
        for user_id, name in users
        if counts[name] == 1
        for borrower_id in sorted(named.get(name, ()))
        if (borrower_id, user_id) not in existing
    ]
    if rows:
        op.bulk_insert(_assignments, rows)


def downgrade() -> None:
    # The assignments stay: they are access an archivist can see and revoke; nothing to undo.
    pass
