"""Verification records (核实记录) and media evidence metadata (issue: due diligence).

Media metadata (EXIF time and position, duration, recording time) lives in each document's details, so
the only new table is the verification records' mirror of the audit chain. On SQLite two triggers make it
append-only: a record is corrected by a new record, never edited or deleted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGERS = {
    "verification_records_no_update": "UPDATE",
    "verification_records_no_delete": "DELETE",
}


def upgrade() -> None:
    op.create_table(
        "verification_records",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("aspect", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=50), nullable=False),
        sa.Column("with_people", sa.JSON(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["borrower_id"], ["borrowers.id"]),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"]),
        sa.ForeignKeyConstraint(["corrects_id"], ["verification_records.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("document_id", "borrower_id", "loan_id", "corrects_id"):
        op.create_index(f"ix_verification_records_{column}", "verification_records", [column])
    if op.get_bind().dialect.name == "sqlite":
        for name, statement in _TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {statement} ON verification_records "
                "BEGIN SELECT RAISE(ABORT, 'verification records are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for column in ("corrects_id", "loan_id", "borrower_id", "document_id"):
        op.drop_index(f"ix_verification_records_{column}", table_name="verification_records")
    op.drop_table("verification_records")
