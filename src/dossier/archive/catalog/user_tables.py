"""Users, API tokens, web sessions and borrower assignments of the service.

Secrets are never stored: passwords as argon2 hashes, tokens and session ids as their SHA-256.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dossier.archive.catalog.models import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    """For people only: names repeat, and a name documents carry (Borrower.officer) grants nothing."""
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    service: Mapped[bool] = mapped_column(Boolean, default=False)
    """A service account (another system): no password, signs in only with API tokens, which an admin
    may make for it."""
    disabled_at: Mapped[datetime | None]
    credentials_version: Mapped[int] = mapped_column(Integer, default=0)
    """Goes up whenever the password changes or the user is disabled or enabled: a cached password check
    made under an older version no longer counts, in any worker process."""


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    """None only for tokens made before expiry existed; they expire ``token_max_age_days`` after creation."""
    created_by: Mapped[str | None] = mapped_column(String(50))
    """Who made the token (a username, or the operator's name from the CLI); None for old tokens."""


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class SignInFailure(Base):
    """Recent failed sign-ins per account name or client address, shared by every worker process, so the
    throttle holds however many processes serve the home."""

    __tablename__ = "signin_failures"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_signin_failure"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    """``account`` (the user name tried) or ``address`` (the client's IP address)."""
    key: Mapped[str] = mapped_column(String(100))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime]


class Assignment(Base):
    """A borrower an officer may see: the only thing that gives a scoped user a borrower."""

    __tablename__ = "borrower_assignments"
    __table_args__ = (UniqueConstraint("borrower_id", "user_id", name="uq_assignment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
