"""The credit process (授信申请): applications with an optimistic-lock version, their steps (a mirror of
the ``application.*`` audit events) and the open 补充材料 items.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=60), nullable=False),
        sa.Column("flow", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("guarantees", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("applicant", sa.String(length=50), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=50), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stage_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("contract_number", sa.String(length=60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["borrower_id"], ["borrowers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_applications_borrower_id", "applications", ["borrower_id"])
    op.create_index("ix_applications_applicant", "applications", ["applicant"])
    op.create_index("ix_applications_holder", "applications", ["holder"])
    op.create_index("ix_applications_status_stage", "applications", ["status", "stage"])
    op.create_table(
        "application_steps",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_stage", sa.String(length=40), nullable=True),
        sa.Column("to_stage", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_application_steps_application_id", "application_steps", ["application_id"])
    op.create_table(
        "application_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("doc_type", sa.String(length=60), nullable=False),
        sa.Column("requested_seq", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_document", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.ForeignKeyConstraint(["borrower_id"], ["borrowers.id"]),
        sa.ForeignKeyConstraint(["closed_by_document"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_application_items_application_id", "application_items", ["application_id"])
    op.create_index(
        "ix_application_items_open", "application_items", ["borrower_id", "doc_type", "closed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_application_items_open", table_name="application_items")
    op.drop_index("ix_application_items_application_id", table_name="application_items")
    op.drop_table("application_items")
    op.drop_index("ix_application_steps_application_id", table_name="application_steps")
    op.drop_table("application_steps")
    for name in ("ix_applications_status_stage", "ix_applications_holder", "ix_applications_applicant"):
        op.drop_index(name, table_name="applications")
    op.drop_index("ix_applications_borrower_id", table_name="applications")
    op.drop_table("applications")
