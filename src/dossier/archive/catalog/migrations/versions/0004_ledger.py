"""The loan ledger: ledger rows linked to loans, the notices generated for them, daily snapshots.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("receipt_number", sa.String(length=60), nullable=False),
        sa.Column("annual_rate", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("balance", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("overdue_principal", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("overdue_interest", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("overdue_since", sa.Date(), nullable=True),
        sa.Column("last_inspection", sa.Date(), nullable=True),
        sa.Column("five_class", sa.String(length=10), nullable=False),
        sa.Column("guarantors", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("loan_id"),
    )
    op.create_table(
        "ledger_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ledger_loan_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("event", sa.String(length=80), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["ledger_loan_id"], ["ledger_loans.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ledger_loan_id", "kind", "event", name="uq_ledger_notices_event"),
    )
    op.create_index("ix_ledger_notices_ledger_loan_id", "ledger_notices", ["ledger_loan_id"])
    op.create_index("ix_ledger_notices_document_id", "ledger_notices", ["document_id"])
    op.create_table(
        "ledger_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("loans", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("overdue_loans", sa.Integer(), nullable=False),
        sa.Column("overdue_principal", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("overdue_balance", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("taken_on"),
    )


def downgrade() -> None:
    op.drop_table("ledger_snapshots")
    op.drop_index("ix_ledger_notices_document_id", table_name="ledger_notices")
    op.drop_index("ix_ledger_notices_ledger_loan_id", table_name="ledger_notices")
    op.drop_table("ledger_notices")
    op.drop_table("ledger_loans")
