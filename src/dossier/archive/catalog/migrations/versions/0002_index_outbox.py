"""The search outbox: documents the full-text index has yet to add, delete or OCR.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05

No backfill: an archive upgraded from 0001 has no index yet, and opening a missing index queues every
filed document (dossier.search.indexing).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "index_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_index_queue_document_id", "index_queue", ["document_id"])
    op.create_index("ix_index_queue_op_id", "index_queue", ["op", "id"])


def downgrade() -> None:
    op.drop_index("ix_index_queue_op_id", table_name="index_queue")
    op.drop_index("ix_index_queue_document_id", table_name="index_queue")
    op.drop_table("index_queue")
