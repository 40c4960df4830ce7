"""Users, API tokens and web sessions in the catalog. Every change is an audit event."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, select
from sqlalchemy.orm import Session

from dossier.access.roles import Role
from dossier.access.secrets import TOKEN_PREFIX, check_password, digest, hash_password, new_secret
from dossier.archive.audit import append_event
from dossier.archive.catalog.user_tables import ApiToken, User, WebSession
from dossier.domain.enums import LabeledEnum
from dossier.errors import DossierError

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,49}$")
MIN_PASSWORD = 8


class AccessError(DossierError):
    pass


class UnknownUser(AccessError):
    pass


class UnknownToken(AccessError):
    pass


class NotAllowed(AccessError):
    """The caller may not do this to that user or token."""


class SignInRefusal(Enum):
    """Why a name and password did not sign anyone in (recorded in the audit event, never shown)."""

    UNKNOWN_USER = "unknown-user"
    WRONG_PASSWORD = "wrong-password"
    DISABLED = "disabled"
    SERVICE_ACCOUNT = "service-account"
    """Service accounts have no password; they use API tokens."""


@dataclass(frozen=True)
class Principal:
    """The signed-in user, detached from any catalog session."""

    id: int
    username: str
    display_name: str
    role: Role
    via: str = "session"
    """How they proved it: ``session`` (web page), ``token`` (API) or ``password`` (HTTP Basic)."""
    token_id: int | None = None
    """The API token used, if any; every audit event of the request records it."""
    token_by: str | None = None
    """Who made that token, when not its owner (an admin making it for a service account)."""
    service: bool = False

    @classmethod
    def of(cls, user: User, via: str, token: ApiToken | None = None) -> Principal:
        made_by = token.created_by if token is not None else None
        return cls(
            user.id,
            user.username,
            user.display_name,
            Role(user.role),
            via,
            token_id=token.id if token is not None else None,
            token_by=made_by if made_by and made_by != user.username else None,
            service=bool(user.service),
        )

    def audit_details(self) -> dict[str, object]:
        """What every audit event made on this principal's behalf adds (see archive.audit_context)."""
        if self.token_id is None:
            return {}
        details: dict[str, object] = {"token_id": self.token_id}
        if self.token_by:
            details["token_by"] = self.token_by
        return details

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
    service: bool = False,
) -> User:
    """Add a user. A service account (``service``) is another system: it has no password and works
    only with API tokens."""
    if not USERNAME.match(username):
        raise AccessError(
            f"username (用户名) {username!r}: 2-50 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit (仅限字母、数字及 . _ -)"
        )
    try:
        role = Role(role)
    except ValueError:
        raise AccessError(f"role (角色) {role!r}: must be one of {Role.accepted()} (角色无效)") from None
    if service and password is not None:
        raise AccessError(
            "password (密码): a service account has none; it uses API tokens (服务账号不设密码)"
        )
    if password is not None:
        _check_new_password(password)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise AccessError(f"username (用户名) {username!r} already exists (用户已存在)")
    user = User(
        username=username,
        display_name=(display_name or username).strip()[:100],
        role=role.value,
        password_hash=hash_password(password) if password is not None else None,
        active=True,
        created_at=_now(),
        service=service,
        credentials_version=0,
    )
    session.add(user)
    session.flush()
    append_event(
        session,
        actor=actor,
        action="user.add",
        target=username,
        details={"role": role.value, "display_name": user.display_name, "service": service},
    )
    return user


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccessError(f"password (密码): at least {MIN_PASSWORD} characters (密码过短)")


def set_password(session: Session, username: str, password: str, *, actor: str) -> None:
    """A new password for ``username``. Every web session and API token the user had ends now, and any
    remembered password check with it (the credentials version goes up)."""
    _check_new_password(password)
    user = get_user(session, username)
    if user.service:
        raise AccessError(
            f"user (用户) {username!r} is a service account: it has no password, only API tokens "
            "(服务账号不设密码)"
        )
    user.password_hash = hash_password(password)
    ended = _end_credentials(session, user, actor=actor)
    append_event(session, actor=actor, action="user.password", target=username, details=ended)


def disable_user(session: Session, username: str, *, actor: str) -> None:
    """Stop ``username`` from signing in: their web sessions and API tokens end now (enabling the user
    again brings none of them back)."""
    user = get_user(session, username)
    if username == actor:
        raise NotAllowed(f"user (用户) {username!r}: you cannot disable yourself (不能停用自己)")
    if not user.active:
        return
    user.active = False
    user.disabled_at = _now()
    ended = _end_credentials(session, user, actor=actor)
    append_event(session, actor=actor, action="user.disable", target=username, details=ended)


def enable_user(session: Session, username: str, *, actor: str) -> None:
    user = get_user(session, username)
    if user.active:
        return
    user.active = True
    user.disabled_at = None
    user.credentials_version = (user.credentials_version or 0) + 1
    append_event(session, actor=actor, action="user.enable", target=username)


def _end_credentials(session: Session, user: User, *, actor: str) -> dict[str, object]:
    """End every web session and API token of ``user``; what ended, for the audit event."""
    user.credentials_version = (user.credentials_version or 0) + 1
    # A DELETE's result is a CursorResult, which counts rows; Session.execute is typed for any statement.
    ended = delete(WebSession).where(WebSession.user_id == user.id)
    deleted = cast("CursorResult[Any]", session.execute(ended))
    sessions = deleted.rowcount or 0
    now = _now()
    tokens = list(
        session.execute(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
        ).scalars()
    )
    for token in tokens:
        token.revoked, token.revoked_at = True, now
    session.flush()
    return {"sessions_ended": sessions, "tokens_revoked": [t.id for t in tokens]}


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise UnknownUser(f"user (用户) {username!r} not found (用户不存在)")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())


@dataclass(frozen=True)
class PasswordHolder:
    """What checking a password needs, read in one short transaction so the slow hash runs outside it."""

    user_id: int | None
    password_hash: str | None
    active: bool
    service: bool
    credentials_version: int

    def refusal(self, password_ok: bool) -> SignInRefusal | None:
        """None when these are good credentials for an active user who may use a password."""
        if self.user_id is None:
            return SignInRefusal.UNKNOWN_USER
        if self.service:
            return SignInRefusal.SERVICE_ACCOUNT
        if not password_ok:
            return SignInRefusal.WRONG_PASSWORD
        if not self.active:
            return SignInRefusal.DISABLED
        return None


def password_holder(session: Session, username: str) -> PasswordHolder:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        return PasswordHolder(None, None, False, False, 0)
    return PasswordHolder(
        user.id, user.password_hash, bool(user.active), bool(user.service), user.credentials_version or 0
    )


def verify_password(holder: PasswordHolder, password: str) -> SignInRefusal | None:
    """The slow part (argon2): verified even for an unknown name, so the answer takes as long either way."""
    return holder.refusal(check_password(holder.password_hash, password))


def current_user_by_id(session: Session, user_id: int, credentials_version: int) -> User | None:
    """The user, if still active and their credentials unchanged since ``credentials_version``."""
    user = session.get(User, user_id)
    if user is None or not user.active or (user.credentials_version or 0) != credentials_version:
        return None
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user these credentials sign in, or None (the one-step form, for callers with no event loop)."""
    holder = password_holder(session, username)
    if verify_password(holder, password) is not None or holder.user_id is None:
        return None
    return session.get(User, holder.user_id)


def record_failed_sign_in(
    session: Session, username: str, refusal: SignInRefusal, *, address: str, face: str
) -> None:
    """An audit event for a failed sign-in: the name tried and where from, never the password."""
    append_event(
        session,
        actor=username[:50] or "-",
        action="user.sign-in-failed",
        target=username[:50] or "-",
        details={"reason": refusal.value, "address": address[:100], "face": face},
    )


# --------------------------------------------------------------------------- API tokens


class TokenState(LabeledEnum):
    ACTIVE = ("active", "有效")
    EXPIRED = ("expired", "已过期")
    REVOKED = ("revoked", "已吊销")


def may_make_token(issuer: Principal, owner: User, *, issuer_is_admin: bool) -> bool:
    """A token is made by its owner, or by an admin for a service account; nobody makes one for another
    person and then acts as them."""
    return owner.id == issuer.id or (issuer_is_admin and bool(owner.service))


def create_token(
    session: Session,
    username: str,
    name: str,
    *,
    actor: str,
    days: int | None = None,
    issuer: Principal | None = None,
    issuer_is_admin: bool = False,
) -> tuple[ApiToken, str]:
    """A new token for ``username``; the secret is returned once and never stored.

    ``issuer`` is the signed-in user asking (the service checks :func:`may_make_token` for them); without
    one the caller is the operator at the CLI, who holds the catalog itself. Either way the token records
    who made it. ``days`` shortens its life below ``token_max_age_days``, which always applies."""
    user = get_user(session, username)
    if issuer is not None and not may_make_token(issuer, user, issuer_is_admin=issuer_is_admin):
        raise NotAllowed(
            f"user (用户) {username!r}: tokens are made by their owner, or by an admin for a service account "
            "(只能为自己或服务账号创建令牌)"
        )
    if not user.active:
        raise AccessError(f"user (用户) {username!r} is disabled (用户已停用)")
    secret = new_secret(TOKEN_PREFIX)
    now = _now()
    token = ApiToken(
        user_id=user.id,
        name=(name or "api").strip()[:100],
        token_hash=digest(secret),
        created_at=now,
        last_used_at=None,
        revoked=False,
        expires_at=now + timedelta(days=days) if days else None,
        created_by=actor[:50],
    )
    session.add(token)
    session.flush()
    append_event(
        session,
        actor=actor,
        action="token.create",
        target=username,
        details={"token": token.id, "name": name, "expires_at": token.expires_at},
    )
    return token, secret


def token_expiry(token: ApiToken, max_age_days: int) -> datetime:
    """When the token stops working: its own expiry or the configured maximum age, whichever is sooner."""
    return _expiry(token.created_at, token.expires_at, max_age_days)


def _expiry(created_at: datetime, expires_at: datetime | None, max_age_days: int) -> datetime:
    latest = created_at + timedelta(days=max_age_days)
    return min(expires_at, latest) if expires_at is not None else latest


def token_state(token: ApiToken, max_age_days: int, now: datetime | None = None) -> TokenState:
    return _state(token.revoked, token.created_at, token.expires_at, max_age_days, now or _now())


def _state(
    revoked: bool, created_at: datetime, expires_at: datetime | None, max_age_days: int, now: datetime
) -> TokenState:
    if revoked:
        return TokenState.REVOKED
    if _expiry(created_at, expires_at, max_age_days) <= now:
        return TokenState.EXPIRED
    return TokenState.ACTIVE


def revoke_token(
    session: Session,
    token_id: int,
    *,
    actor: str,
    issuer: Principal | None = None,
    issuer_is_admin: bool = False,
) -> ApiToken:
    """End a token now. Through the service, only its owner or an admin may; anyone else is told it does
    not exist, as for an id that does not."""
    token = session.get(ApiToken, token_id)
    if token is None or (issuer is not None and token.user_id != issuer.id and not issuer_is_admin):
        raise UnknownToken(f"token (令牌) {token_id} not found (令牌不存在)")
    if not token.revoked:
        token.revoked, token.revoked_at = True, _now()
        owner = session.get(User, token.user_id)
        append_event(
            session,
            actor=actor,
            action="token.revoke",
            target=str(token_id),
            details={"owner": owner.username if owner else None, "name": token.name},
        )
    return token


@dataclass(frozen=True)
class TokenInfo:
    id: int
    username: str
    name: str
    created_at: datetime
    created_by: str | None
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    state: TokenState


def list_tokens(session: Session, *, max_age_days: int, username: str | None = None) -> list[TokenInfo]:
    """Tokens (never their secrets), newest first; only ``username``'s when given."""
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if username is not None:
        query = query.where(User.username == username)
    now = _now()
    return [
        TokenInfo(
            id=token.id,
            username=owner,
            name=token.name,
            created_at=token.created_at,
            created_by=token.created_by,
            expires_at=token_expiry(token, max_age_days),
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
            state=token_state(token, max_age_days, now),
        )
        for token, owner in session.execute(query.order_by(ApiToken.id.desc())).all()
    ]


# `last_used_at` is for people reviewing tokens, minute-exact is plenty; writing it on every request would
# make each read take the catalog's write lock.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenUse:
    """A valid API token's principal, and whether its ``last_used_at`` is due to be written again."""

    principal: Principal
    token_id: int
    stale: bool


# The tables' own columns, not the mapped attributes: a statement without ORM entities skips the ORM's
# compile and load steps (about a third of this query's cost). Built once: building it per request cost as
# much again as running it (SQLAlchemy's statement construction and cache key, ~0.13 ms).
_TOKEN, _USER = ApiToken.__table__.c, User.__table__.c
_TOKEN_PRINCIPAL = (
    select(
        _TOKEN.id,
        _TOKEN.revoked,
        _TOKEN.created_at,
        _TOKEN.expires_at,
        _TOKEN.last_used_at,
        _TOKEN.created_by,
        _USER.id,
        _USER.username,
        _USER.display_name,
        _USER.role,
        _USER.active,
        _USER.service,
    )
    .join_from(ApiToken.__table__, User.__table__, _USER.id == _TOKEN.user_id)
    .where(_TOKEN.token_hash == bindparam("token_hash"))
)


def principal_for_token(session: Session, secret: str, *, max_age_days: int) -> TokenUse | None:
    """The principal of a valid token: not revoked, not expired, its user active (see
    :func:`note_token_use`). One prebuilt query of plain columns (no ORM objects): every API request
    asks it."""
    row = session.execute(_TOKEN_PRINCIPAL, {"token_hash": digest(secret)}).first()
    if row is None:
        return None
    token_id, revoked, created_at, expires_at, last_used_at, made_by, user_id, username = row[:8]
    display_name, role, active, service = row[8:]
    now = _now()
    if not active or _state(revoked, created_at, expires_at, max_age_days, now) is not TokenState.ACTIVE:
        return None
    principal = Principal(
        user_id,
        username,
        display_name,
        Role(role),
        "token",
        token_id=token_id,
        token_by=made_by if made_by and made_by != username else None,
        service=bool(service),
    )
    return TokenUse(principal, token_id, last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION)


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
