"""One module per catalog revision; Alembic skips this file."""
