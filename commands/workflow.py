"""The submissions workflow: submit, queue, approve, reject, withdraw, revise, publish,
retry, tick, retire, show, stats, and delegations (`delegate`, `revoke`)."""

from __future__ import annotations

import click

from engine.enums import Kind, Status

from .context import Context, pass_ctx
from .options import (
    BadInput,
    as_option,
    at_option,
    dash_argument,
    echo_json,
    id_argument,
    json_option,
    parse_time,
    read_post_text,
    revision_option,
    text_options,
    when,
)


def emit(sub, as_json: bool, *, decision: bool = False) -> None:
    """A submission as JSON, or for a person (engine.explain.format_submission)."""
    if as_json:
        echo_json(sub.to_dict())
        return
    from engine.explain import format_submission

    click.echo(format_submission(sub, decision=decision))


@click.command()
@click.option("--author", required=True, metavar="U", help="Author's user id.")
@click.option("--channel", required=True, metavar="C", help="Channel id, platform/handle.")
@click.option("--kind", help="post or reply (default post; reply with --in-reply-to).")
@text_options()
@click.option("--publish-at", metavar="ISO-TIME", help="Publish at this time once approved.")
@at_option("Submission time (default now).")
@click.option("--in-reply-to", metavar="ID", help="The inbound message it answers once published.")
@dash_argument
@json_option
@pass_ctx
def submit(
    ctx: Context, author, channel, kind, text, file, publish_at, at, in_reply_to, dash, as_json
) -> None:
    """Evaluate a post and store it: approved ones are published, risky ones wait for sign-off."""
    from engine.times import utcnow

    if kind is not None and kind not in tuple(Kind):
        raise BadInput(f"--kind must be post or reply, not '{kind}'")
    body = read_post_text(text, file, dash)
    publish_time, now = parse_time(publish_at, "--publish-at"), parse_time(at)
    if publish_time is not None and publish_time < (now or utcnow()):
        raise BadInput(
            f"--publish-at {publish_at} is in the past: give a later time or leave it out"
        )
    sub = ctx.workflow.submit(
        author, channel, body, kind=kind, publish_at=publish_time, now=now, in_reply_to=in_reply_to
    )
    emit(sub, as_json, decision=True)


@click.command()
@as_option
@at_option("As of this time (default now).")
@json_option
@pass_ctx
def queue(ctx: Context, actor, at, as_json) -> None:
    """Pending submissions the user may approve or reject now, oldest first."""
    subs = ctx.workflow.queue(actor, now=parse_time(at))
    if as_json:
        echo_json([s.to_dict() for s in subs])
        return
    if not subs:
        click.echo(f"nothing waits for {actor}")
    for sub in subs:
        emit(sub, False)


@click.command()
@id_argument
@as_option
@click.option("--comment", metavar="C", help="A note kept with the approval.")
@revision_option
@at_option()
@json_option
@pass_ctx
def approve(ctx: Context, submission_id, actor, comment, revision, at, as_json) -> None:
    """Approve revision N of a pending submission (default: the current revision).
    Exit 1 if refused, also when N is no longer the current revision."""
    sub = ctx.workflow.approve(
        submission_id, actor, comment=comment, revision=revision, now=parse_time(at)
    )
    emit(sub, as_json)


@click.command()
@id_argument
@as_option
@click.option("--reason", required=True, metavar="R", help="Why (shown to the author).")
@revision_option
@at_option()
@json_option
@pass_ctx
def reject(ctx: Context, submission_id, actor, reason, revision, at, as_json) -> None:
    """Reject revision N of a pending submission (default: the current revision).
    Exit 1 if refused, also when N is no longer the current revision."""
    sub = ctx.workflow.reject(submission_id, actor, reason, revision=revision, now=parse_time(at))
    emit(sub, as_json)


@click.command()
@id_argument
@as_option
@at_option()
@json_option
@pass_ctx
def withdraw(ctx: Context, submission_id, actor, at, as_json) -> None:
    """The author withdraws a pending post. Exit 1 if refused."""
    emit(ctx.workflow.withdraw(submission_id, actor, now=parse_time(at)), as_json)


@click.command()
@id_argument
@as_option
@text_options(new=True)
@at_option()
@dash_argument
@json_option
@pass_ctx
def revise(ctx: Context, submission_id, actor, text, file, at, dash, as_json) -> None:
    """A new revision of a pending post: decided again, earlier approvals cleared."""
    body = read_post_text(text, file, dash)
    sub = ctx.workflow.revise(submission_id, actor, body, now=parse_time(at))
    emit(sub, as_json, decision=True)


@click.command()
@id_argument
@as_option
@at_option()
@json_option
@pass_ctx
def publish(ctx: Context, submission_id, actor, at, as_json) -> None:
    """The author publishes an approved post that missed its publish time while pending."""
    emit(ctx.workflow.publish_now(submission_id, actor, now=parse_time(at)), as_json)


@click.command()
@id_argument
@as_option
@json_option
@pass_ctx
def retry(ctx: Context, submission_id, actor, as_json) -> None:
    """Try a failed publication again now (`tick` retries on its own a few times).

    Exit 0 when it is published, 1 when it failed again or is not due yet."""
    sub = ctx.workflow.retry_publication(submission_id, actor)
    emit(sub, as_json)
    if sub.status != Status.PUBLISHED:
        if not as_json:
            why = f"failed again: {sub.publish_error}" if sub.publish_error else "is not due yet"
            click.echo(f"error: publishing submission {submission_id} {why}", err=True)
        click.get_current_context().exit(1)


@click.command()
@click.option("--since", metavar="ISO-TIME", help="Only submissions made at or after this time.")
@at_option("As of this time (default now).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV rows (figure,key,count,...).")
@json_option
@pass_ctx
def stats(ctx: Context, since, at, as_csv: bool, as_json: bool) -> None:
    """The dashboard's figures: time to approval (median, p90) by topic and owner, SLA
    breaches and escalations by owner, pending posts by escalation level."""
    from datetime import UTC

    from engine import statsview

    if as_csv and as_json:
        raise BadInput("give at most one of --csv and --json")
    start = parse_time(since, "--since")
    figures = ctx.workflow.stats(now=parse_time(at), since=start.astimezone(UTC) if start else None)
    if as_json:
        echo_json(figures)
    elif as_csv:
        click.echo(statsview.to_csv(figures), nl=False)
    else:
        click.echo(statsview.to_text(figures))


@click.command()
@at_option("Apply what is due by this time (default now).")
@json_option
@pass_ctx
def tick(ctx: Context, at, as_json) -> None:
    """Apply due escalations, publish due posts, flag overdue ones, retry failures."""
    from engine import origin

    origin.set_via("tick")
    report = ctx.workflow.tick(now=parse_time(at))
    if as_json:
        echo_json(report.to_dict())
        return
    from engine.explain import format_tick

    click.echo(format_tick(report))


@click.command()
@id_argument
@as_option
@click.option("--reason", metavar="R", help="Why it was taken down or what supersedes it.")
@at_option()
@json_option
@pass_ctx
def retire(ctx: Context, submission_id, actor, reason, at, as_json) -> None:
    """Record that a published post was taken down or superseded (its last use)."""
    from engine.records import retire as retire_post

    emit(
        retire_post(ctx.workflow, submission_id, actor, reason=reason, now=parse_time(at)), as_json
    )


@click.command()
@id_argument
@json_option
@pass_ctx
def show(ctx: Context, submission_id, as_json) -> None:
    """One submission's full record: revisions and hashes, decisions, approvals, events."""
    from engine.records import communication

    record = ctx.workflow.record(submission_id)
    comm, snapshots = communication(ctx.workflow, record)
    if as_json:
        echo_json(dict(record.to_dict(), communication=comm, policy_snapshots=snapshots))
        return
    from engine.explain import format_record

    click.echo(format_record(record, comm))


@click.command()
@click.option("--from", "from_user", required=True, metavar="U", help="Whose approvals.")
@click.option("--to", "to_user", required=True, metavar="V", help="Who may act for them.")
@click.option("--until", required=True, metavar="ISO-TIME", help="When the delegation ends.")
@click.option("--reason", metavar="R", help="Why (kept in the audit log).")
@at_option("Start time (default now).")
@json_option
@pass_ctx
def delegate(ctx: Context, from_user, to_user, until, reason, at, as_json) -> None:
    """Let V approve and reject for U until a time (never on V's own posts)."""
    d = ctx.workflow.delegate(
        from_user, to_user, parse_time(until, "--until"), reason=reason, now=parse_time(at)
    )
    if as_json:
        echo_json(d.to_dict())
    else:
        click.echo(f"delegation {d.id}: {d.to_user} acts for {d.from_user} until {when(d.until)}")


@click.command()
@click.argument("delegation_id", metavar="ID", type=int)
@as_option
@json_option
@pass_ctx
def revoke(ctx: Context, delegation_id, actor, as_json) -> None:
    """Revoke a delegation (by the user who gave it)."""
    ctx.workflow.revoke_delegation(delegation_id, actor)
    if as_json:
        echo_json({"id": delegation_id, "revoked": True})
    else:
        click.echo(f"delegation {delegation_id} revoked")


COMMANDS = (
    submit, queue, approve, reject, withdraw, revise, publish, retry, stats, tick, retire,
    show, delegate, revoke,
)  # fmt: skip
