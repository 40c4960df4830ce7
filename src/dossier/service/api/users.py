"""Users and API tokens (admin), and who the caller is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from dossier.access.roles import Action, Role
from dossier.access.users import AccessError, Principal, add_user, create_token, list_users
from dossier.service.api import schemas
from dossier.service.deps import CurrentUser, ReadSession, WriteSession, require

router = APIRouter(tags=["users"])

Admin = Annotated[Principal, Depends(require(Action.USERS))]


@router.get("/me", response_model=schemas.User, summary="The signed-in user")
def me(user: CurrentUser) -> schemas.User:
    return schemas.User(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role.value,
        role_label=user.role.label,
        active=True,
    )


@router.get("/users", response_model=list[schemas.User], summary="Every user (用户)")
def users(session: ReadSession, user: Admin) -> list[schemas.User]:
    return [
        schemas.User(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            role=u.role,
            role_label=Role(u.role).label,
            active=u.active,
        )
        for u in list_users(session)
    ]


@router.post("/users", response_model=schemas.User, status_code=status.HTTP_201_CREATED, summary="Add a user")
def new_user(body: schemas.NewUser, session: WriteSession, user: Admin) -> schemas.User:
    try:
        u = add_user(
            session, body.username, body.role, body.password, display_name=body.display_name, actor=user.actor
        )
    except AccessError as exc:
        raise HTTPException(422, str(exc)) from None
    return schemas.User(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=u.role,
        role_label=Role(u.role).label,
        active=u.active,
    )


@router.post(
    "/tokens", response_model=schemas.Token, status_code=status.HTTP_201_CREATED, summary="New API token"
)
def new_token(body: schemas.NewToken, session: WriteSession, user: Admin) -> schemas.Token:
    try:
        token, secret = create_token(session, body.username, body.name, actor=user.actor)
    except AccessError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return schemas.Token(id=token.id, username=body.username, name=token.name, token=secret)
