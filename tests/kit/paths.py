"""Where the checkout and the shared sample corpus are."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / ".." / "shared" / "corpus"
"""Real-world sample files (PDFs, images, archives) shared by the worktrees, beside the checkout."""
