"""sayso's command line: the `sayso` group, its global options, the exit code of every
error a user can cause, and the registration of the commands (package `commands`, one
module per area; each command parses, calls `engine` and prints)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from commands import accounts, audit, inbound, lint, policy, serve, workflow
from commands.context import Context
from commands.options import BadInput
from engine.errors import NotAuthor, NotEligible, NotFound, SaysoError, WrongState

# The exit status of every error a user can cause, most specific first (SPEC: a
# refused workflow action exits 1; `check` keeps 1 for "denied", so bad input is 2).
EXIT_CODES: tuple[tuple[type[SaysoError], int], ...] = (
    (BadInput, 2),
    (NotFound, 1),
    (NotAuthor, 1),
    (NotEligible, 1),
    (WrongState, 1),
    (SaysoError, 1),
)


def exit_code(err: SaysoError) -> int:
    return next(code for kind, code in EXIT_CODES if isinstance(err, kind))


class SaysoGroup(click.Group):
    """Turns every error a user can cause into one line on stderr and a non-zero exit."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, cmd, rest = super().resolve_command(ctx, args)
        ctx.meta.setdefault("sayso.help", bool({"--help", "-h"} & set(rest)))
        return name, cmd, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SaysoError as err:
            for line in str(err).splitlines() or [type(err).__name__]:
                click.echo(f"error: {line}", err=True)
            ctx.exit(exit_code(err))
        except BrokenPipeError:  # `sayso audit export | head`: the reader has enough
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
            ctx.exit(0)
        except (OSError, UnicodeDecodeError) as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(1)


@click.group(cls=SaysoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--policy",
    envvar="SAYSO_POLICY",
    default="policies",
    show_default=True,
    metavar="DIR",
    help="Policy directory (env SAYSO_POLICY).",
)
@click.option(
    "--db",
    envvar="SAYSO_DB",
    default="sqlite:///sayso.db",
    show_default=True,
    metavar="URL",
    help="Store URL: sqlite:///FILE or postgresql+psycopg://... (env SAYSO_DB).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    envvar="SAYSO_NO_CACHE",
    help="Load the policy from its files, not from the cache of loaded policies (env SAYSO_NO_CACHE).",
)
@click.version_option(package_name="sayso", prog_name="sayso")
@click.pass_context
def cli(ctx: click.Context, policy: str, db: str, no_cache: bool) -> None:
    """sayso: policy-as-code governance for social-media publishing."""
    from engine import origin

    ctx.obj = Context(policy, db, use_cache=not no_cache)
    if not ctx.meta.get("sayso.help"):  # help for a turned-off command still shows
        refuse_cli_actions(ctx.invoked_subcommand)
    token = origin.set_origin("cli", local=True)  # every audit event names this process
    ctx.call_on_close(lambda: origin.reset(token))


# Commands a person uses to act in the workflow. `SAYSO_CLI_ACTIONS=off` turns
# them off where people must act through the authenticated web app or API
# (`--as` on a command line proves nothing); `tick`, reading and auditing stay.
CLI_ACTIONS = frozenset(
    {"submit", "approve", "reject", "withdraw", "revise", "publish", "retry", "retire",
     "delegate", "revoke"}
)  # fmt: skip


def refuse_cli_actions(command: str | None) -> None:
    setting = os.environ.get("SAYSO_CLI_ACTIONS", "on").strip().lower()
    if command in CLI_ACTIONS and setting in ("off", "0", "false", "no"):
        raise SaysoError(
            f"'{command}' is turned off on the command line (SAYSO_CLI_ACTIONS=off): "
            "act through the web app or the API"
        )


def register(group: click.Group) -> None:
    """Add every command of the `commands` package, area by area."""
    for area in (policy, lint, workflow, audit, inbound, accounts, serve):
        for command in area.COMMANDS:
            group.add_command(command)


register(cli)


def main(argv: list[str] | None = None) -> None:
    """The `sayso` command: like click's standalone mode, but a usage mistake is one line."""
    try:
        code = cli.main(args=argv, prog_name="sayso", standalone_mode=False)
    except click.UsageError as err:
        path = err.ctx.command_path if err.ctx else "sayso"
        click.echo(f"error: {err.format_message()} (see {path} --help)", err=True)
        sys.exit(err.exit_code)
    except click.ClickException as err:
        click.echo(f"error: {err.format_message()}", err=True)
        sys.exit(err.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
