"""Custody over time: handovers between officers, transfers to 资产保全, loans of files (档案借阅).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=False),
        sa.Column("to_user_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("from_ack_at", _TZ, nullable=True),
        sa.Column("to_ack_at", _TZ, nullable=True),
        sa.Column("completed_at", _TZ, nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["from_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["to_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_handovers_from_user_id", "handovers", ["from_user_id"])
    op.create_index("ix_handovers_to_user_id", "handovers", ["to_user_id"])
    op.create_table(
        "handover_borrowers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["handover_id"], ["handovers.id"]),
        sa.ForeignKeyConstraint(["borrower_id"], ["borrowers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handover_id", "borrower_id", name="uq_handover_borrower"),
    )
    op.create_index("ix_handover_borrowers_handover_id", "handover_borrowers", ["handover_id"])
    op.create_index("ix_handover_borrowers_borrower_id", "handover_borrowers", ["borrower_id"])
    op.create_table(
        "custody_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("department_label", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("chain_seq", sa.Integer(), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=50), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["borrower_id"], ["borrowers.id"]),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_custody_transfers_borrower_id", "custody_transfers", ["borrower_id"])
    op.create_index("ix_custody_transfers_loan_id", "custody_transfers", ["loan_id"])
    op.create_table(
        "file_loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("borrower_key", sa.String(length=40), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("requested_at", _TZ, nullable=False),
        sa.Column("decided_at", _TZ, nullable=True),
        sa.Column("decided_by", sa.String(length=50), nullable=True),
        sa.Column("starts_at", _TZ, nullable=True),
        sa.Column("ends_at", _TZ, nullable=True),
        sa.Column("returned_at", _TZ, nullable=True),
        sa.Column("remark", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["borrower_id"], ["borrowers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_file_loans_user_id", "file_loans", ["user_id"])
    op.create_index("ix_file_loans_borrower_id", "file_loans", ["borrower_id"])


def downgrade() -> None:
    for table in ("file_loans", "custody_transfers", "handover_borrowers", "handovers"):
        op.drop_table(table)
