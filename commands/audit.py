"""`sayso audit`: export the tamper-evident log, verify it, keep heads and checkpoints
elsewhere, write sealed archives."""

from __future__ import annotations

import sys

import click

from engine.errors import SaysoError

from .context import Context, pass_ctx
from .options import BadInput, echo_json, json_option, parse_time, progress


@click.group()
def audit() -> None:
    """The tamper-evident audit log: export, verify, heads, checkpoints, archives."""


@audit.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--since", metavar="ISO-TIME")
@click.option("--until", metavar="ISO-TIME")
@click.option("--author", metavar="U")
@click.option("--channel", metavar="C")
@click.option("--event", metavar="TYPE", help="submitted, decided, approved, rejected, ...")
@click.option("--submission", metavar="ID", type=int)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@click.option(
    "--records",
    is_flag=True,
    help="One record per communication (approved text, preparer, approvers, uses, changes).",
)
@pass_ctx
def audit_export(
    ctx: Context, fmt, since, until, author, channel, event, submission, output, records
):
    """Stream the audit log (filtered) as JSONL or CSV, in constant memory."""
    from engine.audit import AuditLog

    log = AuditLog(ctx.store)
    if records:
        from engine.records import export_records, names_of

        if any((since, until, author, channel, event)):
            raise BadInput("--records takes only --submission (a record is never cut in part)")
        with click.open_file(output or "-", "w", encoding="utf-8", lazy=False) as out:
            count = export_records(
                log.events(submission=submission), names_of(ctx.engine), out, fmt
            )
        if output:
            click.echo(f"{count} records written to {output}", err=True)
        return
    filters = dict(
        since=parse_time(since, "--since"),
        until=parse_time(until, "--until"),
        author=author,
        channel=channel,
        event=event,
        submission=submission,
    )
    total = log.count(**filters) if sys.stderr.isatty() else 0
    with (
        click.open_file(output or "-", "w", encoding="utf-8", lazy=False) as out,
        progress(total, "exporting") as bar,
    ):
        written = log.export(out, fmt, progress=bar.update if bar else None, **filters)
    if output:
        click.echo(f"{written} events written to {output}", err=True)


@audit.command("verify")
@click.option(
    "--head", "heads", multiple=True, metavar="SEQ:HASH", help="A head kept elsewhere (repeatable)."
)
@click.option(
    "--checkpoints", "checkpoints", multiple=True, metavar="FILE", help="A checkpoint file."
)
@click.option("--archive", metavar="DIR", help="Check a sealed archive offline instead.")
@json_option
@pass_ctx
def audit_verify(ctx: Context, heads, checkpoints, archive, as_json):
    """Check the chain, the given heads and checkpoints, and the stored records
    against the events (or, with --archive, an archive without the database).
    Exit 0 intact, 1 broken (naming why)."""
    from engine import integrity
    from engine.archive import verify_archive
    from engine.audit import AuditLog
    from engine.auditkey import load_keyring
    from engine.checkpoint import parse_head

    try:
        pinned = [parse_head(text) for text in heads]
    except SaysoError as err:
        raise BadInput(str(err)) from None
    if archive:
        result = verify_archive(archive, load_keyring())
    else:
        total = AuditLog(ctx.store).count() if sys.stderr.isatty() else 0
        with progress(total, "verifying") as bar:
            result = integrity.verify(
                ctx.store,
                heads=pinned,
                checkpoints=checkpoints,
                progress=bar.update if bar else None,
            )
    if as_json:
        echo_json(
            {
                "ok": result.ok,
                "events": result.count,
                "first_bad_seq": result.first_bad_seq,
                "message": result.message,
            }
        )
    else:
        click.echo(result.message if result.ok else f"BROKEN: {result.message}")
    click.get_current_context().exit(0 if result.ok else 1)


@audit.command("archive")
@click.option("--until", required=True, metavar="ISO-TIME", help="Archive events recorded by then.")
@click.option("-o", "--output", required=True, metavar="DIR", help="A new directory.")
@json_option
@pass_ctx
def audit_archive(ctx: Context, until, output, as_json):
    """Write a sealed archive (JSONL, CSV, records, policies, signed head) for WORM
    storage; `sayso audit verify --archive DIR` checks it offline."""
    from engine import integrity
    from engine.archive import write_archive
    from engine.audit import keyring
    from engine.records import names_of

    moment = parse_time(until, "--until")
    result = integrity.verify(ctx.store)
    if not result.ok:
        raise SaysoError(f"the log does not verify, so it is not archived: {result.message}")
    head = write_archive(
        ctx.store,
        output,
        moment,
        names_of(ctx.engine),
        keyring(ctx.store),
        ctx.workflow.policy_snapshot,
    )
    if as_json:
        echo_json(head)
    else:
        signed = " (signed)" if head["mac"] else ""
        click.echo(f"archived events 1-{head['seq']} to {output}{signed}")


@audit.command("head")
@json_option
@pass_ctx
def audit_head(ctx: Context, as_json):
    """Print the last event's SEQ:HASH, to keep somewhere the database's writers cannot."""
    from engine.checkpoint import current_head

    head = current_head(ctx.store)
    if as_json:
        echo_json(head.to_dict())
    else:
        click.echo(str(head))


@audit.command("checkpoint")
@click.option("--to", "path", required=True, metavar="FILE", help="The append-only file.")
@json_option
@pass_ctx
def audit_checkpoint(ctx: Context, path, as_json):
    """Append the current head (signed when SAYSO_AUDIT_KEY is set) to FILE."""
    from engine.checkpoint import write_checkpoint

    entry = write_checkpoint(ctx.store, path)
    if as_json:
        echo_json(entry)
    else:
        signed = " (signed)" if entry["mac"] else ""
        click.echo(f"checkpoint {entry['seq']}:{entry['hash']} appended to {path}{signed}")


COMMANDS = (audit,)
