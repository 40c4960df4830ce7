"""Users and API tokens, and who the caller is.

An admin adds, disables and enables users and sets their passwords; everyone changes their own password,
lists and revokes their own tokens and makes tokens for themselves; an admin makes tokens only for service
accounts, so nobody acts as another person. Each change is an audit event, and so is each listing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from sqlalchemy.orm import Session

from dossier.access.roles import Action, Role
from dossier.access.users import (
    AccessError,
    NotAllowed,
    Principal,
    SignInRefusal,
    UnknownToken,
    UnknownUser,
    add_user,
    create_token,
    disable_user,
    enable_user,
    list_tokens,
    list_users,
    revoke_token,
    set_password,
)
from dossier.archive.catalog.user_tables import User
from dossier.service.api import schemas
from dossier.service.api.records import record
from dossier.service.deps import CurrentUser, Id, ServicesDep, WriteSession, require
from dossier.service.signin import Face, check_password, gate

Admin = Annotated[Principal, Depends(require(Action.USERS))]
Username = Annotated[str, Path(max_length=50, description="Sign-in name (用户名)")]


async def _account_rules_as_input() -> AsyncIterator[None]:
    """On these routes a plain AccessError is about what was sent (a short password, a name taken, a
    role that does not exist): 422. Refusals (NotAllowed: 403) and unknown users and tokens (404) go on
    to the handlers of service.errors."""
    try:
        yield
    except AccessError as exc:
        if isinstance(exc, NotAllowed | UnknownUser | UnknownToken):
            raise
        raise HTTPException(422, str(exc)) from None


router = APIRouter(tags=["users"], dependencies=[Depends(_account_rules_as_input)])


def _user(u: User) -> schemas.User:
    return schemas.User(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=u.role,
        role_label=Role(u.role).label,
        active=u.active,
        service=bool(u.service),
    )


@router.get("/me", response_model=schemas.User, summary="The signed-in user")
def me(user: CurrentUser) -> schemas.User:
    return schemas.User(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role.value,
        role_label=user.role.label,
        active=True,
        service=user.service,
    )


@router.get("/users", response_model=list[schemas.User], summary="Every user (用户)")
def users(session: WriteSession, user: Admin) -> list[schemas.User]:
    found = [_user(u) for u in list_users(session)]
    record(session, user, "view", "users", count=len(found))
    return found


@router.post("/users", response_model=schemas.User, status_code=status.HTTP_201_CREATED, summary="Add a user")
def new_user(body: schemas.NewUser, session: WriteSession, user: Admin) -> schemas.User:
    if body.password is None and not body.service:
        raise HTTPException(422, "password (密码): required, except for a service account (请设置密码)")
    u = add_user(
        session,
        body.username,
        body.role,
        body.password,
        display_name=body.display_name,
        actor=user.actor,
        service=body.service,
    )
    return _user(u)


@router.post(
    "/users/{username}/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Disable a user: their sessions and tokens end now (停用)",
)
def disable(username: Username, session: WriteSession, user: Admin) -> Response:
    disable_user(session, username, actor=user.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/{username}/enable", status_code=status.HTTP_204_NO_CONTENT, summary="Enable a user (启用)"
)
def enable(username: Username, session: WriteSession, user: Admin) -> Response:
    enable_user(session, username, actor=user.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/{username}/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set a user's password: their sessions and tokens end now (重置密码)",
)
def reset_password(
    username: Username, body: schemas.NewPassword, session: WriteSession, user: Admin
) -> Response:
    set_password(session, username, body.password, actor=user.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change your own password: your sessions and tokens end now (修改密码)",
)
async def change_password(
    body: schemas.PasswordChange, request: Request, user: CurrentUser, svc: ServicesDep
) -> Response:
    checked = await check_password(request, svc, user.username, body.current_password, Face.PASSWORD_CHANGE)
    if isinstance(checked, SignInRefusal):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "current_password (当前密码): wrong (当前密码错误)")

    def work(session: Session) -> None:
        set_password(session, user.username, body.new_password, actor=user.actor)

    # argon2 again for the new hash: off the event loop, within the same limit as the checks.
    await anyio.to_thread.run_sync(svc.archive.transaction, work, limiter=gate(request, svc).limiter)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/tokens", response_model=list[schemas.TokenInfo], summary="API tokens (接口令牌), never secrets")
def tokens(
    session: WriteSession,
    user: CurrentUser,
    svc: ServicesDep,
    username: Annotated[str | None, Query(alias="user", max_length=50)] = None,
) -> list[schemas.TokenInfo]:
    """Your own tokens; an admin sees everyone's (or one user's with ``?user=``)."""
    if not svc.access.allows(user.role, Action.USERS):
        username = user.username
    found = list_tokens(session, max_age_days=svc.access.token_max_age_days, username=username)
    record(session, user, "view", "tokens", owner=username, count=len(found))
    return [
        schemas.TokenInfo(
            id=t.id,
            username=t.username,
            name=t.name,
            created_at=t.created_at,
            created_by=t.created_by,
            expires_at=t.expires_at,
            last_used_at=t.last_used_at,
            revoked_at=t.revoked_at,
            state=t.state.value,
            state_label=t.state.label,
        )
        for t in found
    ]


@router.post(
    "/tokens", response_model=schemas.Token, status_code=status.HTTP_201_CREATED, summary="New API token"
)
def new_token(
    body: schemas.NewToken, session: WriteSession, user: CurrentUser, svc: ServicesDep
) -> schemas.Token:
    """A token for yourself, or (admin) for a service account. Never for another person."""
    owner = body.username or user.username
    is_admin = svc.access.allows(user.role, Action.USERS)
    if owner != user.username and not is_admin:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "username (用户名): only your own tokens (只能为自己创建令牌)"
        )
    token, secret = create_token(
        session, owner, body.name, actor=user.actor, days=body.days, issuer=user, issuer_is_admin=is_admin
    )
    return schemas.Token(
        id=token.id, username=owner, name=token.name, token=secret, expires_at=token.expires_at
    )


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a token (吊销)")
def delete_token(
    token_id: Id,
    session: WriteSession,
    user: CurrentUser,
    svc: ServicesDep,
) -> Response:
    """Your own token, or (admin) anyone's; it stops working at once."""
    is_admin = svc.access.allows(user.role, Action.USERS)
    revoke_token(session, token_id, actor=user.actor, issuer=user, issuer_is_admin=is_admin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
