"""sayso's command line: a thin shell over `engine`. One function per command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from engine.errors import SaysoError


class Context:
    """What every command shares: where the policy and the store are, built on first use."""

    def __init__(self, policy_dir: str, db_url: str):
        self.policy_dir = policy_dir
        self.db_url = db_url
        self._engine = None

    @property
    def engine(self):
        """The compiled policy (raises PolicyError, printed as FILE:LINE:COL lines)."""
        if self._engine is None:
            from engine.compiler import load_engine

            self._engine = load_engine(self.policy_dir)
        return self._engine


class SaysoGroup(click.Group):
    """Turns every error a user can cause into one line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SaysoError as err:
            for line in str(err).splitlines() or [type(err).__name__]:
                click.echo(f"error: {line}", err=True)
            ctx.exit(getattr(err, "exit_code", 1) or 1)
        except (OSError, UnicodeDecodeError) as err:
            click.echo(f"error: {err}", err=True)
            ctx.exit(1)


pass_ctx = click.make_pass_decorator(Context)


def json_option(f: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(f)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


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
@click.version_option("0.1.0", prog_name="sayso")
@click.pass_context
def cli(ctx: click.Context, policy: str, db: str) -> None:
    """sayso: policy-as-code governance for social-media publishing."""
    ctx.obj = Context(policy, db)


# ---------------------------------------------------------------- commands
# Each command is a few lines: parse, call the engine, print.


class BadInput(SaysoError):
    """Unusable command-line input (exit 2)."""

    exit_code = 2


def read_post_text(text: str | None, file: str | None, dash: str | None) -> str:
    """The post text from --text, --file (`-` is stdin) or a lone `-` argument."""
    given = [s for s in (text, file, dash) if s is not None]
    if len(given) != 1:
        raise BadInput("give the post text with exactly one of --text T, --file F or -")
    if dash is not None and dash != "-":
        raise BadInput(f"unexpected argument '{dash}' (use - to read the text from stdin)")
    if text is None:
        source = file if file is not None else "-"
        try:
            with click.open_file(source, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as err:
            raise BadInput(f"cannot read {source}: {err}") from None
    if not text.strip():
        raise BadInput("the post text is empty")
    return text


def parse_time(value: str | None, option: str = "--at"):
    """An ISO 8601 time (`2026-05-04T09:30:00Z`); a time without zone is UTC."""
    from datetime import UTC, datetime

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{option}: '{value}' is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@cli.command()
@click.option("--author", metavar="U", help="Author's user id.")
@click.option("--channel", metavar="C", help="Channel id, platform/handle.")
@click.option("--kind", default="post", show_default=True, help="post or reply.")
@click.option("--text", metavar="T", help="The post text.")
@click.option("--file", "file", metavar="F", help="Read the post text from a file (- for stdin).")
@click.option("--at", "at", metavar="ISO-TIME", help="Decide as of this time (default now).")
@click.option("--explain", is_flag=True, help="Also list every rule, topic and check considered.")
@click.argument("dash", required=False, metavar="[-]")
@json_option
@pass_ctx
def check(ctx: Context, author, channel, kind, text, file, at, explain, dash, as_json) -> None:
    """Evaluate a post against the policy; store nothing.

    Exit 0 approved, 1 denied, 3 needs sign-off, 2 bad input.
    """
    from engine.errors import PolicyError
    from engine.explain import format_decision, format_trace
    from engine.model import Outcome, Post

    if not author or not channel:
        raise BadInput("--author and --channel are required")
    if kind not in ("post", "reply"):
        raise BadInput(f"--kind must be post or reply, not '{kind}'")
    post = Post(author=author, channel=channel, text=read_post_text(text, file, dash), kind=kind)
    now = parse_time(at)
    try:
        engine = ctx.engine
    except PolicyError as err:
        err.exit_code = 2
        raise
    decision = engine.decide(post, now=now, explain=True)
    if as_json:
        echo_json(decision.to_dict())
    else:
        click.echo(format_decision(decision))
        if explain:
            click.echo("Considered:\n" + format_trace(decision))
    codes = {Outcome.APPROVED: 0, Outcome.DENIED: 1, Outcome.NEEDS_SIGNOFF: 3}
    click.get_current_context().exit(codes[decision.decision])


@cli.command()
@json_option
@pass_ctx
def validate(ctx: Context, as_json: bool) -> None:
    """Check the policy: schema, references, patterns, plugin options.

    Prints every problem as FILE:LINE:COL: message (warnings as FILE:LINE:COL:
    warning: message). Exit 0 valid, 1 invalid.
    """
    from engine.validate import validate_policy
    from engine.version import short_version

    result = validate_policy(ctx.policy_dir)
    if as_json:
        echo_json(result.to_dict())
    else:
        for loc, message in result.errors:
            click.echo(f"{loc}: {message}")
        if result.valid:
            counts = ", ".join(
                f"{n} {what if n != 1 else what[:-1]}" for what, n in result.counts().items()
            )
            version = short_version(result.version)
            click.echo(f"{ctx.policy_dir}: valid ({counts}; version {version})")
        for loc, message in result.warnings:
            click.echo(f"{loc}: warning: {message}")
    click.get_current_context().exit(0 if result.valid else 1)


@cli.command()
@json_option
def schema(as_json: bool) -> None:
    """Print the JSON Schema of policy files (for editor completion). Always JSON."""
    from engine.schema import policy_schema

    echo_json(policy_schema())


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="sayso")


if __name__ == "__main__":
    main(sys.argv[1:])

