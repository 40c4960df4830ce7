"""Users, API tokens and web sessions in the catalog. Every change is an audit event."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossier.access.roles import Role
from dossier.access.secrets import TOKEN_PREFIX, check_password, digest, hash_password, new_secret
from dossier.archive.audit import append_event
from dossier.archive.catalog.user_tables import ApiToken, User, WebSession
from dossier.errors import DossierError

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,49}$")
MIN_PASSWORD = 8


class AccessError(DossierError):
    pass


@dataclass(frozen=True)
class Principal:
    """The signed-in user, detached from any catalog session."""

    id: int
    username: str
    display_name: str
    role: Role
    via: str = "session"
    """How they proved it: ``session`` (web page), ``token`` (API) or ``password`` (HTTP Basic)."""

    @classmethod
    def of(cls, user: User, via: str) -> Principal:
        return cls(user.id, user.username, user.display_name, Role(user.role), via)

    @property
    def actor(self) -> str:
        """The name the audit chain records."""
        return self.username


def _now() -> datetime:
    return datetime.now(UTC)


def add_user(
    session: Session,
    username: str,
    role: Role | str,
    password: str | None,
    *,
    display_name: str | None = None,
    actor: str,
) -> User:
    if not USERNAME.match(username):
        raise AccessError(
            f"username (用户名) {username!r}: 2-50 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit (仅限字母、数字及 . _ -)"
        )
    try:
        role = Role(role)
    except ValueError:
        raise AccessError(f"role (角色) {role!r}: must be one of {Role.accepted()} (角色无效)") from None
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccessError(f"password (密码): at least {MIN_PASSWORD} characters (密码过短)")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise AccessError(f"username (用户名) {username!r} already exists (用户已存在)")
    user = User(
        username=username,
        display_name=(display_name or username).strip()[:100],
        role=role.value,
        password_hash=hash_password(password) if password is not None else None,
        active=True,
        created_at=_now(),
    )
    session.add(user)
    session.flush()
    append_event(
        session,
        actor=actor,
        action="user.add",
        target=username,
        details={"role": role.value, "display_name": user.display_name},
    )
    return user


def set_password(session: Session, username: str, password: str, *, actor: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccessError(f"password (密码): at least {MIN_PASSWORD} characters (密码过短)")
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    append_event(session, actor=actor, action="user.password", target=username)


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise AccessError(f"user (用户) {username!r} not found (用户不存在)")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    # Verified even for an unknown name, so the answer takes as long either way.
    ok = check_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        return None
    return user


# --------------------------------------------------------------------------- API tokens


def create_token(session: Session, username: str, name: str, *, actor: str) -> tuple[ApiToken, str]:
    """A new token for ``username``; the secret is returned once and never stored."""
    user = get_user(session, username)
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=(name or "api").strip()[:100],
        token_hash=digest(secret),
        created_at=_now(),
        last_used_at=None,
        revoked=False,
    )
    session.add(token)
    session.flush()
    append_event(
        session,
        actor=actor,
        action="token.create",
        target=username,
        details={"token": token.id, "name": name},
    )
    return token, secret


def revoke_token(session: Session, token_id: int, *, actor: str) -> None:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise AccessError(f"token (令牌) {token_id} not found (令牌不存在)")
    token.revoked = True
    append_event(session, actor=actor, action="token.revoke", target=str(token_id))


# `last_used_at` is for people reviewing tokens, minute-exact is plenty; writing it on every request would
# make each read take the catalog's write lock.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def user_for_token(session: Session, secret: str) -> tuple[User, ApiToken] | None:
    """The token's user and the token, if it is valid (see :func:`note_token_use`)."""
    token = session.execute(
        select(ApiToken).where(ApiToken.token_hash == digest(secret))
    ).scalar_one_or_none()
    if token is None or token.revoked:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    return user, token


def token_use_is_stale(token: ApiToken) -> bool:
    return token.last_used_at is None or _now() - token.last_used_at > LAST_USED_RESOLUTION


def note_token_use(session: Session, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = _now()


# --------------------------------------------------------------------------- web sessions


def start_web_session(session: Session, user: User, *, hours: int) -> tuple[str, str]:
    """A new session for ``user``: (the cookie's secret, the CSRF token its forms carry)."""
    secret, csrf = new_secret(), new_secret()
    now = _now()
    session.add(
        WebSession(
            user_id=user.id,
            session_hash=digest(secret),
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    append_event(session, actor=user.username, action="user.sign-in", target=user.username)
    return secret, csrf


def web_session(session: Session, secret: str) -> tuple[User, WebSession] | None:
    row = session.execute(
        select(WebSession).where(WebSession.session_hash == digest(secret))
    ).scalar_one_or_none()
    if row is None or row.expires_at <= _now():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row


def end_web_session(session: Session, secret: str) -> None:
    found = web_session(session, secret)
    if found is None:
        return
    user, row = found
    session.delete(row)
    append_event(session, actor=user.username, action="user.sign-out", target=user.username)
