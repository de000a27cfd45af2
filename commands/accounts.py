"""Accounts: API bearer tokens (`token create|list|revoke`) and local web passwords and
sessions (`user set-password|end-sessions`)."""

from __future__ import annotations

import sys

import click

from .context import Context, pass_ctx
from .options import BadInput, echo_json, json_option, parse_time, when


def known_user(ctx: Context, user: str) -> str:
    if user not in ctx.engine.policy.users:
        raise BadInput(f"unknown user '{user}' (not in the policy)")
    return user


def token_expiry(value: str | None):
    """`--expires`: an ISO 8601 time, or a duration from now (`90d`)."""
    from datetime import timedelta

    from engine.durations import parse_duration
    from engine.times import utcnow

    if not value:
        return None
    try:
        return utcnow() + timedelta(seconds=parse_duration(value))
    except ValueError:
        return parse_time(value, "--expires")


@click.group()
def token() -> None:
    """API bearer tokens (stored hashed; the text is shown once)."""


@token.command("create")
@click.option("--as", "user", required=True, metavar="U", help="Whose token.")
@click.option("--name", default="", help="A label, e.g. what uses the token.")
@click.option(
    "--expires", metavar="TIME|DURATION", help="When it stops working: a time or e.g. 90d."
)
@json_option
@pass_ctx
def token_create(ctx: Context, user: str, name: str, expires: str | None, as_json: bool) -> None:
    """Create a bearer token for U and print it (it cannot be shown again).

    The token is printed on standard output; its id (for `token revoke`) on standard error."""
    from engine import accounts

    expires_at = token_expiry(expires)
    token_id, text = accounts.create_token_with_id(
        ctx.store, known_user(ctx, user), name, expires_at=expires_at
    )
    if as_json:
        echo_json(
            {
                "id": token_id,
                "user": user,
                "name": name,
                "token": text,
                "expires_at": when(expires_at) if expires_at else None,
            }
        )
        return
    click.echo(text)
    until = f", expires {when(expires_at)}" if expires_at else ""
    click.echo(f"token {token_id} for {user}{' (' + name + ')' if name else ''}{until}", err=True)


@token.command("list")
@click.option("--as", "user", metavar="U", help="Only U's tokens (default: everyone's).")
@json_option
@pass_ctx
def token_list(ctx: Context, user: str | None, as_json: bool) -> None:
    """Tokens with their id, name, state, expiry and last use (never their text)."""
    from engine import accounts
    from engine.explain import format_token

    found = accounts.tokens(ctx.store, known_user(ctx, user) if user else None)
    if as_json:
        echo_json([t.to_dict() for t in found])
        return
    for t in found:
        click.echo(format_token(t))


@token.command("revoke")
@click.argument("token_id", type=int, required=False)
@click.option("--name", help="Revoke U's tokens with this name instead of an id.")
@click.option("--as", "user", metavar="U", help="Whose token (needed with --name).")
@pass_ctx
def token_revoke(ctx: Context, token_id: int | None, name: str | None, user: str | None) -> None:
    """Revoke the token with id TOKEN_ID, or U's tokens named NAME."""
    from engine import accounts

    if name is not None:
        if token_id is not None or not user:
            raise BadInput("give either TOKEN_ID, or --name with --as")
        count = accounts.revoke_token_named(ctx.store, known_user(ctx, user), name)
        click.echo(f"{count} token{'s' if count != 1 else ''} named '{name}' revoked")
        return
    if token_id is None:
        raise BadInput("give the id of the token to revoke (see sayso token list)")
    accounts.revoke_token(ctx.store, token_id, known_user(ctx, user) if user else None)
    click.echo(f"token {token_id} revoked")


@click.group()
def user() -> None:
    """Local accounts for the web UI."""


@user.command("set-password")
@click.argument("user_id")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@pass_ctx
def user_set_password(ctx: Context, user_id: str, password_stdin: bool) -> None:
    """Set USER_ID's web password (prompted unless --password-stdin)."""
    from engine import accounts

    known_user(ctx, user_id)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    accounts.set_password(ctx.store, user_id, password)
    click.echo(f"password set for {user_id} (their web sessions have ended)")


@user.command("end-sessions")
@click.argument("user_id")
@pass_ctx
def user_end_sessions(ctx: Context, user_id: str) -> None:
    """End every web session of USER_ID (a copied cookie stops working too)."""
    from engine import accounts

    count = accounts.end_sessions(ctx.store, known_user(ctx, user_id))
    click.echo(f"{count} session{'s' if count != 1 else ''} of {user_id} ended")


COMMANDS = (token, user)
