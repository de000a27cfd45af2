"""Commands on the policy itself: check a post, validate, schema, test, init, lint,
fmt, who, diff, replay, and the stored policy versions (`policy show|versions`)."""

from __future__ import annotations

import os
import sys

import click

from engine.enums import Kind, Outcome
from engine.errors import SaysoError

from .context import Context, pass_ctx
from .options import (
    BadInput,
    at_option,
    dash_argument,
    echo_json,
    json_option,
    parse_time,
    progress,
    read_post_text,
    text_options,
    when,
)

KINDS = tuple(Kind)  # StrEnum members compare equal to their values


@click.command()
@click.option("--author", metavar="U", help="Author's user id.")
@click.option("--channel", metavar="C", help="Channel id, platform/handle.")
@click.option("--kind", help="post or reply (default post; reply with --in-reply-to).")
@text_options()
@at_option("Decide as of this time (default now).")
@click.option("--explain", is_flag=True, help="Also list every rule, topic and check considered.")
@click.option(
    "--in-reply-to", metavar="ID", help="The inbound message it answers (compares with the store)."
)
@dash_argument
@json_option
@pass_ctx
def check(
    ctx: Context, author, channel, kind, text, file, at, explain, in_reply_to, dash, as_json
) -> None:
    """Evaluate a post against the policy; store nothing.

    Exit 0 approved, 1 denied, 3 needs sign-off, 2 bad input.
    """
    from engine.explain import format_decision, format_trace
    from engine.historycheck import NOT_RUN, checks_without_history
    from engine.model import Post

    if not author or not channel:
        raise BadInput("--author and --channel are required")
    kind = kind or ("reply" if in_reply_to else "post")
    if kind not in KINDS:
        raise BadInput(f"--kind must be post or reply, not '{kind}'")
    post = Post(author=author, channel=channel, text=read_post_text(text, file, dash), kind=kind)
    now = parse_time(at)
    decision = None
    try:
        engine = ctx.engine
        if in_reply_to:  # decided as submit would: with the store's history
            decision = ctx.workflow.check(
                author,
                channel,
                post.text,
                kind=kind,
                now=now,
                in_reply_to=in_reply_to,
                explain=True,
            )
    except SaysoError as err:  # the policy, or the message it answers
        raise BadInput(str(err)) from None
    if decision is None:
        decision = engine.decide(post, now=now, explain=True)
    not_run = [] if in_reply_to else checks_without_history(engine, post)
    if as_json:
        echo_json({**decision.to_dict(), "checks_not_run": not_run})
    else:
        click.echo(format_decision(decision))
        for check_id in not_run:
            click.echo(f"Not run: check {check_id} {NOT_RUN} (submit compares with the store's)")
        if explain:
            click.echo("Considered:\n" + format_trace(decision))
    codes = {Outcome.APPROVED: 0, Outcome.DENIED: 1, Outcome.NEEDS_SIGNOFF: 3}
    click.get_current_context().exit(codes[decision.decision])


@click.command()
@json_option
@pass_ctx
def validate(ctx: Context, as_json: bool) -> None:
    """Check the policy: schema, references, patterns, plugin options.

    Prints every problem as FILE:LINE:COL: message (warnings as FILE:LINE:COL:
    warning: message). Exit 0 valid, 1 invalid.
    """
    from engine.policies import validate_policy

    result = validate_policy(ctx.policy_dir, use_cache=ctx.use_cache)
    if as_json:
        echo_json(result.to_dict())
    else:
        from engine.explain import format_validation

        report = format_validation(result, ctx.policy_dir)
        if report:
            click.echo(report)
    click.get_current_context().exit(0 if result.valid else 1)


@click.command()
@click.option("--tests", "for_tests", is_flag=True, help="The schema of policy test files instead.")
@json_option
def schema(for_tests: bool, as_json: bool) -> None:
    """Print the JSON Schema of policy files, or with --tests of policy test files
    (tests/*.yaml), for editor completion (docs/editors.md). Always JSON."""
    from engine.schema import policy_schema, policy_tests_schema

    echo_json(policy_tests_schema() if for_tests else policy_schema())


@click.command("test")
@click.option("--tests", "tests_dir", metavar="DIR", help="Test directory (default POLICY/tests).")
@click.option("--coverage", is_flag=True, help="List rules, topics and checks no case exercised.")
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    metavar="N",
    help="Also fail when coverage is below N percent.",
)
@json_option
@pass_ctx
def policy_test(ctx: Context, tests_dir, coverage, fail_under, as_json) -> None:
    """Run the policy's test cases; print failures and `N passed, N failed`.

    Exit 0 when every case passes (and coverage >= --fail-under), 1 otherwise.
    """
    from engine.policytest import format_coverage, format_failure, run_policy_tests

    report = run_policy_tests(ctx.engine, tests_dir or os.path.join(ctx.policy_dir, "tests"))
    below = fail_under is not None and report.coverage.percent < fail_under
    if as_json:
        echo_json(report.to_dict())
    else:
        for case in report.cases:
            if not case.passed:
                click.echo(format_failure(case))
        click.echo(f"{report.passed} passed, {report.failed} failed")
        if coverage or fail_under is not None:
            click.echo(format_coverage(report.coverage))
        if below:
            click.echo(f"coverage is below --fail-under {fail_under:g}%")
    click.get_current_context().exit(1 if report.failed or below else 0)


@click.command()
@click.argument("directory", metavar="DIR")
@json_option
def init(directory: str, as_json: bool) -> None:
    """Write a small working example policy, with its tests, into DIR (new or empty)."""
    from engine.scaffold import write_example

    written = write_example(directory)
    if as_json:
        echo_json({"directory": directory, "files": written})
        return
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: sayso --policy {directory} validate && sayso --policy {directory} test")


@click.command()
@click.option("--user", metavar="U", help="Where may U post? (every channel and kind)")
@click.option("--channel", metavar="C", help="Who may post to C? (by kind)")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (user,channel,kind,allowed,rules).")
@json_option
@pass_ctx
def who(ctx: Context, user: str | None, channel: str | None, as_csv: bool, as_json: bool) -> None:
    """Who may post where, from the policy's rules (deny overrides allow; waivers in force
    today count). Give exactly one of --user U or --channel C.

    --user lists every channel and kind with yes or no and the deciding rules; --channel
    lists the people who may post there. Columns: user, channel, kind, allowed, rules.
    """
    from engine import who as access
    from engine.errors import NotFound

    if (user is None) == (channel is None):
        raise BadInput("give exactly one of --user U or --channel C")
    if as_csv and as_json:
        raise BadInput("give at most one of --csv and --json")
    try:
        if user is not None:
            rows = access.for_user(ctx.engine, user)
        else:
            assert channel is not None  # exactly one of the two is given
            rows = access.for_channel(ctx.engine, channel)
    except NotFound as err:
        raise BadInput(str(err)) from None
    if as_json:
        echo_json([row.to_dict() for row in rows])
    elif as_csv:
        click.echo(access.to_csv(rows), nl=False)
    elif rows:
        click.echo(access.to_table(rows))
    else:
        click.echo(f"nobody may post to {channel}")


@click.command()
@click.argument("old_dir", metavar="OLD")
@click.argument("new_dir", metavar="NEW")
@json_option
def diff(old_dir: str, new_dir: str, as_json: bool) -> None:
    """Compare two policy directories: who gains or loses posting rights, what else changed.

    Exit 0 with no changes, 1 with changes, 2 when a directory does not load.
    """
    from engine.compiler import load_engine
    from engine.diff import diff_policies, format_diff
    from engine.errors import PolicyError

    engines, problems = [], []
    for directory in (old_dir, new_dir):
        if not os.path.isdir(directory):
            problems.append(f"no policy directory '{directory}'")
            continue
        try:
            engines.append(load_engine(directory))
        except PolicyError as err:
            problems.extend(str(p) for p in err.problems)
        except (SaysoError, OSError, UnicodeDecodeError) as err:
            problems.append(f"{directory}: {err}")
    if problems:
        for line in problems:
            click.echo(f"error: {line}", err=True)
        click.get_current_context().exit(2)
    result = diff_policies(*engines)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(format_diff(result))
    click.get_current_context().exit(1 if result.changed else 0)


@click.command()
@click.option("--with", "with_dir", required=True, metavar="DIR", help="The other policy.")
@click.option("--since", metavar="ISO-TIME", help="Only submissions made since then.")
@json_option
@pass_ctx
def replay(ctx: Context, with_dir, since, as_json) -> None:
    """Re-decide stored submissions under another policy and list what changes."""
    from engine.compiler import load_engine
    from engine.replay import count
    from engine.replay import replay as run_replay

    if not os.path.isdir(with_dir):
        raise BadInput(f"--with: no policy directory '{with_dir}'")
    other = load_engine(with_dir)
    start = parse_time(since, "--since")
    total = count(ctx.store, start) if sys.stderr.isatty() else 0
    with progress(total, "replaying") as bar:
        report = run_replay(ctx.store, other, since=start, progress=bar.update if bar else None)
    if as_json:
        echo_json(report.to_dict())
        return
    from engine.explain import format_replay

    click.echo(format_replay(report))


@click.group()
def policy() -> None:
    """Stored policy versions."""


@policy.command("show")
@click.argument("version")
@json_option
@pass_ctx
def policy_show(ctx: Context, version, as_json) -> None:
    """Print the exact policy files of a stored version (a prefix is enough)."""
    files = ctx.workflow.policy_snapshot(version)
    if as_json:
        echo_json(files)
        return
    for path in sorted(files):
        click.echo(f"# ---- {path}")
        click.echo(files[path].rstrip("\n"))


@policy.command("versions")
@json_option
@pass_ctx
def policy_versions(ctx: Context, as_json) -> None:
    """Policy versions that made decisions, newest first."""
    versions = ctx.workflow.policy_versions(limit=1000)
    if as_json:
        echo_json([{"version": v, "first_seen": when(t)} for v, t in versions])
        return
    for v, t in versions:
        click.echo(f"{v}  {when(t)}")


COMMANDS = (check, validate, schema, policy_test, init, who, diff, replay, policy)
