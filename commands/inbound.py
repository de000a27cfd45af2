"""Customer messages: `inbound add|import|show|close|pull|list` and `inbox` (what a
user owns now)."""

from __future__ import annotations

import sys

import click

from .context import Context, pass_ctx
from .options import as_option, at_option, echo_json, json_option, parse_time, progress


def emit_item(item, as_json: bool) -> None:
    """A message as JSON, or for a person (engine.explain.format_inbound)."""
    if as_json:
        echo_json(item.to_dict())
        return
    from engine.explain import format_inbound

    if item.duplicate:
        click.echo(f"duplicate: message {item.message_id} on {item.channel} is already stored")
    click.echo(format_inbound(item))


def echo_items(items) -> None:
    from engine.explain import format_inbound

    for item in items:
        click.echo(format_inbound(item))


@click.group()
def inbound() -> None:
    """Customer messages: add, import, show, close, list."""


@inbound.command("add")
@click.option("--channel", required=True, metavar="C", help="Channel it arrived on.")
@click.option("--from", "sender", required=True, metavar="HANDLE", help="Sender's handle.")
@click.option("--text", required=True, metavar="T", help="The message text.")
@click.option("--name", default="", metavar="N", help="Sender's display name.")
@click.option("--message-id", metavar="M", help="Platform message id (repeats are ignored).")
@click.option("--thread-id", metavar="T", help="Platform thread (conversation) id.")
@click.option("--parent-id", metavar="P", help="Platform id of the message it answers.")
@at_option("Received time (default now).")
@json_option
@pass_ctx
def inbound_add(
    ctx: Context, channel, sender, text, name, message_id, thread_id, parent_id, at, as_json
) -> None:
    """Receive one message: route it to its owners and start its clock."""
    from engine.inbound.items import Message

    received = parse_time(at)
    message = Message(channel, sender, text, name, message_id, thread_id, parent_id, received)
    emit_item(ctx.workflow.inbound.receive(message, now=received), as_json)


@inbound.command("import")
@click.argument("file", metavar="FILE")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), help="Default: by name.")
@json_option
@pass_ctx
def inbound_import(ctx: Context, file, fmt, as_json) -> None:
    """Receive the messages of a JSONL or CSV file (- for stdin); report bad lines by
    number. Exit 0 when every line was stored or a duplicate, 1 when one was invalid."""
    import contextlib

    from engine.inbound.importer import guess_format, import_messages, records

    total = _count_lines(file) if sys.stderr.isatty() else 0
    opened = (
        contextlib.nullcontext(sys.stdin)
        if file == "-"
        else open(file, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by `with`
    )
    with opened as handle:
        first = handle.readline()
        lines = records(_chain(first, handle), fmt or guess_format(file, first))
        with progress(total, "importing") as bar:
            step = bar.update if bar is not None else None
            report = import_messages(ctx.workflow.inbound, lines, progress=step)
    if as_json:
        echo_json(report.to_dict())
    else:
        for number, why in report.invalid:
            click.echo(f"{file}:{number}: {why}", err=True)
        click.echo(
            f"{report.added} added, {len(report.duplicates)} duplicate, "
            f"{len(report.invalid)} invalid"
        )
    click.get_current_context().exit(1 if report.invalid else 0)


def _count_lines(file: str) -> int:
    if file == "-":
        return 0
    with open(file, "rb") as handle:
        return sum(1 for _ in handle)


def _chain(first: str, handle):
    yield first
    yield from handle


@inbound.command("show")
@click.argument("item_id", metavar="ID")
@json_option
@pass_ctx
def inbound_show(ctx: Context, item_id, as_json) -> None:
    """One message: status, route, owners, earlier messages from the sender, replies."""
    box = ctx.workflow.inbound
    item = box.get(item_id)
    replies = box.replies(item.id)
    earlier = box.earlier_from_sender(item)
    if as_json:
        echo_json(item.thread_dict(earlier, replies))
        return
    from engine.explain import format_inbound_thread

    click.echo(format_inbound_thread(item, earlier, replies))


@inbound.command("close")
@click.argument("item_id", metavar="ID")
@as_option
@click.option("--reason", required=True, metavar="R", help="Why: spam, handled offline, ...")
@at_option()
@json_option
@pass_ctx
def inbound_close(ctx: Context, item_id, actor, reason, at, as_json) -> None:
    """An owner closes an open message with a reason. Exit 1 if refused."""
    emit_item(ctx.workflow.inbound.close(item_id, actor, reason, now=parse_time(at)), as_json)


@inbound.command("pull")
@click.option("--source", "name", metavar="NAME", help="Only this source (default: all).")
@json_option
@pass_ctx
def inbound_pull(ctx: Context, name, as_json) -> None:
    """Ask the policy's source plugins (inbound.sources) for new messages; run from cron.

    Exit 0 when every source answered, 1 when one failed (its cursor is kept)."""
    from engine.inbound.sources import pull

    reports = pull(ctx.workflow.inbound, ctx.workflow.pm, name=name)
    if as_json:
        echo_json([r.to_dict() for r in reports])
    else:
        if not reports:
            click.echo("no inbound sources in the policy (inbound.sources)")
        for r in reports:
            if r.error:
                click.echo(f"{r.source}: failed: {r.error}", err=True)
                continue
            click.echo(
                f"{r.source}: {r.added} added, {r.duplicates} duplicate, "
                f"{len(r.invalid)} invalid (cursor {r.cursor or '-'})"
            )
    click.get_current_context().exit(1 if any(r.error for r in reports) else 0)


@inbound.command("list")
@click.option("--status", metavar="S", help="open, answered or closed.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_ctx
def inbound_list(ctx: Context, status, limit, as_json) -> None:
    """Stored messages, newest first."""
    items = ctx.workflow.inbound.items(status=status, limit=limit)
    if as_json:
        echo_json([i.to_dict() for i in items])
        return
    echo_items(items)


@click.command()
@as_option
@click.option(
    "--view",
    default="all",
    show_default=True,
    type=click.Choice(["all", "mine", "groups", "escalated", "overdue"]),
)
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@at_option("As of this time (default now).")
@json_option
@pass_ctx
def inbox(ctx: Context, actor, view, limit, at, as_json) -> None:
    """Open inbound messages the user owns now (also as a delegate), oldest due first."""
    from engine.inbound.inbox import inbox as owned

    items = owned(ctx.workflow.inbound, actor, view=view, limit=limit, now=parse_time(at))
    if as_json:
        echo_json([i.to_dict() for i in items])
        return
    if not items:
        click.echo(f"no open messages for {actor}")
    echo_items(items)


COMMANDS = (inbound, inbox)
