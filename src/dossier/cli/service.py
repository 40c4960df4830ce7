"""`dossier serve`, `dossier users`, `dossier tokens` (the HTTP service)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from dossier.cli.archive import ActorOption, HomeOption, JsonFlag, default_actor, open_archive
from dossier.cli.args import BadArgument
from dossier.cli.configuration import cli_config, cli_config_path
from dossier.cli.output import emit

if TYPE_CHECKING:
    # Imported when a command runs (see cli/archive.py): `dossier --version` starts at once.
    from sqlalchemy.orm import Session

users_app = typer.Typer(help="Users of the service (用户).", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for other systems (接口令牌).", no_args_is_help=True)

ENV_PASSWORD = "DOSSIER_PASSWORD"


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: [service].host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: [service].port).")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Run the inbox watcher inside the service.")] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Worker processes (each answers requests).")
    ] = 1,
    home: HomeOption = None,
) -> None:
    """Serve the API (/api/v1, docs at /api/v1/docs) and the web pages over the archive home."""
    import uvicorn

    from dossier.config import ENV_CONFIG
    from dossier.service.app import ENV_HOME, ENV_WATCH, create_app
    from dossier.service.settings import service_settings

    config = cli_config()
    with open_archive(home) as archive:
        path, settings = archive.home, service_settings(config)
    bind_host, bind_port = host or settings.host, port or settings.port
    typer.echo(f"dossier 服务地址 serving {path} at http://{bind_host}:{bind_port}/  (API: /api/v1/docs)")
    options: dict[str, Any] = {"host": bind_host, "port": bind_port, "log_level": "info", "access_log": False}
    if workers == 1:
        uvicorn.run(create_app(path, config, watch=watch), **options)
        return
    # Separate processes build their own application from the environment; the catalog and the index
    # already serialize writers across processes, and one watcher per home is enforced by its lock.
    os.environ[ENV_HOME], os.environ[ENV_WATCH] = str(path), "1" if watch else "0"
    bank_file = cli_config_path()
    if bank_file is not None:
        os.environ[ENV_CONFIG] = str(bank_file)  # each worker loads the same file once
    uvicorn.run("dossier.service.app:app_from_environment", factory=True, workers=workers, **options)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Sign-in name (letters, digits, . _ -).")],
    role: Annotated[str, typer.Option("--role", help="officer, archivist, auditor or admin (or 客户经理…).")],
    name: Annotated[
        str | None, typer.Option("--name", help="Display name, for people; it grants no borrowers.")
    ] = None,
    password: Annotated[
        str | None, typer.Option("--password", help=f"The password (default: ${ENV_PASSWORD}, else asked).")
    ] = None,
    service: Annotated[
        bool,
        typer.Option("--service", help="A service account (another system): no password, API tokens only."),
    ] = False,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a user with a role; the password is hashed (argon2), never stored."""
    from dossier.access.users import AccessError, add_user

    secret = None if service else _password(password)
    with open_archive(home) as archive:
        try:
            user = archive.transaction(
                lambda s: add_user(
                    s, username, role, secret, display_name=name, actor=default_actor(actor), service=service
                )
            )
        except AccessError as exc:
            raise BadArgument(username, str(exc)) from None
        payload = {
            "id": user.id,
            "username": user.username,
            "role": user.role,
            "display_name": user.display_name,
            "service": service,
        }
    emit(payload, as_json, lambda c: c.print(f"用户 user {payload['username']} ({payload['role']}) added"))


@users_app.command("list")
def users_list(home: HomeOption = None, as_json: JsonFlag = False) -> None:
    """Every user with role and state."""
    from dossier.access.users import list_users

    with open_archive(home) as archive:
        rows: list[dict[str, Any]] = archive.transaction(
            lambda s: [
                {
                    "username": u.username,
                    "display_name": u.display_name,
                    "role": u.role,
                    "active": u.active,
                    "service": bool(u.service),
                }
                for u in list_users(s)
            ],
            write=False,
        )

    def human(c: Console) -> None:
        for r in rows:
            flags = ("" if r["active"] else " (停用 disabled)") + (
                " (服务账号 service)" if r["service"] else ""
            )
            c.print(f"{r['username']:<20} {r['role']:<10} {r['display_name']}{flags}")

    emit(rows, as_json, human)


@users_app.command("assign")
def users_assign(
    username: Annotated[str, typer.Argument(help="The officer's sign-in name.")],
    borrower: Annotated[str, typer.Argument(help="Borrower key (证件号码).")],
    home: HomeOption = None,
    actor: ActorOption = None,
) -> None:
    """Let an officer see a borrower: an officer sees only the borrowers assigned to their account."""
    from dossier.access.scope import assign
    from dossier.access.users import AccessError
    from dossier.archive.registry import find_borrower, normalize_key

    with open_archive(home) as archive:

        def work(session: Session) -> bool:
            found = find_borrower(session, normalize_key(borrower, archive.config))
            if found is None:
                raise BadArgument(borrower, "unknown borrower (借款人未登记)")
            return assign(session, username, found, actor=default_actor(actor))

        try:
            added = archive.transaction(work)
        except AccessError as exc:
            raise BadArgument(username, str(exc)) from None
    typer.echo(f"{username} → {borrower}: {'assigned (已分配)' if added else 'already assigned (已分配过)'}")


@tokens_app.command("create")
def tokens_create(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option("--name", help="What system uses it (用途).")] = "api",
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, max=3650, help="Expire sooner than [access] token_max_age_days."),
    ] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Make an API token (shown once; only its hash is kept). The token records who made it, and every
    audit event made with it records the token's id."""
    from dossier.access.users import AccessError, create_token

    with open_archive(home) as archive:
        try:
            token_id, secret = archive.transaction(
                lambda s: (lambda t: (t[0].id, t[1]))(
                    create_token(s, username, name, actor=default_actor(actor), days=days)
                )
            )
        except AccessError as exc:
            raise BadArgument(username, str(exc)) from None
    payload = {"id": token_id, "username": username, "name": name, "token": secret}
    emit(payload, as_json, lambda c: c.print(f"令牌 token (仅显示一次 shown once): {secret}"))


@tokens_app.command("list")
def tokens_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
    home: HomeOption = None,
    as_json: JsonFlag = False,
) -> None:
    """API tokens (never their secrets): owner, who made them, expiry, state."""
    from dossier.access.roles import access_settings
    from dossier.access.users import list_tokens

    with open_archive(home) as archive:
        max_age = access_settings(archive.config).token_max_age_days
        rows: list[dict[str, Any]] = archive.transaction(
            lambda s: [
                {
                    "id": t.id,
                    "username": t.username,
                    "name": t.name,
                    "created_at": t.created_at.isoformat(),
                    "created_by": t.created_by,
                    "expires_at": t.expires_at.isoformat(),
                    "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                    "state": t.state.value,
                }
                for t in list_tokens(s, max_age_days=max_age, username=user)
            ],
            write=False,
        )

    def human(c: Console) -> None:
        for r in rows:
            c.print(
                f"{r['id']:>5} {r['username']:<20} {r['name']:<16} {r['state']:<8} "
                f"made by {r['created_by'] or '-'}, expires {r['expires_at'][:10]}"
            )

    emit(rows, as_json, human)


def _change_access(home: Path | None, subject: str, work: Callable[[Session], object]) -> None:
    """One change to users or tokens in its own transaction; a refusal names ``subject`` (exit 2)."""
    from dossier.access.users import AccessError

    with open_archive(home) as archive:
        try:
            archive.transaction(work)
        except AccessError as exc:
            raise BadArgument(subject, str(exc)) from None


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(min=1, help="The token's id (see `dossier tokens list`).")],
    home: HomeOption = None,
    actor: ActorOption = None,
) -> None:
    """End a token now (an audit event)."""
    from dossier.access.users import revoke_token

    _change_access(home, str(token_id), lambda s: revoke_token(s, token_id, actor=default_actor(actor)))
    typer.echo(f"令牌 token {token_id} revoked (已吊销)")


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    home: HomeOption = None,
    actor: ActorOption = None,
) -> None:
    """Disable a user: their web sessions and API tokens end at once."""
    from dossier.access.users import disable_user

    _change_access(home, username, lambda s: disable_user(s, username, actor=default_actor(actor)))
    typer.echo(f"用户 user {username} disabled; sessions and tokens ended (已停用，会话和令牌已失效)")


@users_app.command("enable")
def users_enable(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    home: HomeOption = None,
    actor: ActorOption = None,
) -> None:
    """Enable a disabled user again (their old tokens stay revoked)."""
    from dossier.access.users import enable_user

    _change_access(home, username, lambda s: enable_user(s, username, actor=default_actor(actor)))
    typer.echo(f"用户 user {username} enabled (已启用)")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    password: Annotated[
        str | None,
        typer.Option("--password", help=f"The new password (default: ${ENV_PASSWORD}, else asked)."),
    ] = None,
    home: HomeOption = None,
    actor: ActorOption = None,
) -> None:
    """Set a user's password: every web session and API token they had ends at once."""
    from dossier.access.users import set_password

    secret = _password(password)
    _change_access(home, username, lambda s: set_password(s, username, secret, actor=default_actor(actor)))
    typer.echo(
        f"用户 user {username}: password changed; sessions and tokens ended (密码已修改，会话和令牌已失效)"
    )


def _password(given: str | None) -> str:
    return given or os.environ.get(ENV_PASSWORD) or getpass.getpass("password (密码): ")


def register(app: typer.Typer) -> None:
    """Adds this module's top-level commands to the `dossier` app."""
    app.command("serve")(serve)
