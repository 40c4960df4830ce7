"""Renditions: a document's other forms (the PDF/A-2b of a generated DOCX) filed beside it, so one
document keeps one catalog row, one search hit and one entry in the 卷内目录.

No data moves here: merging the PDFs earlier versions filed as separate documents writes audit events,
so it runs in code once the catalog is at this revision (archive/renditions.py merge_generated_pdfs,
from Archive.open after this migration and from `dossier repair`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "renditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("path", sa.String(length=600), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=50), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("path"),
    )
    op.create_index("ix_renditions_document_id", "renditions", ["document_id"])
    op.create_index("ix_renditions_sha256", "renditions", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_renditions_sha256", table_name="renditions")
    op.drop_index("ix_renditions_document_id", table_name="renditions")
    op.drop_table("renditions")
