"""sayso's command line: a thin shell over `engine`. One function per command."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from engine.errors import NotAuthor, NotEligible, NotFound, SaysoError, WrongState


class Context:
    """What every command shares: where the policy and the store are, built on first use."""

    def __init__(self, policy_dir: str, db_url: str, use_cache: bool = True):
        self.policy_dir = policy_dir
        self.db_url = db_url
        self.use_cache = use_cache
        self._engine = None
        self._store = None
        self._workflow = None

    @property
    def engine(self):
        """The compiled policy (raises PolicyError, printed as FILE:LINE:COL lines)."""
        if self._engine is None:
            from engine.compiler import load_engine

            self._engine = load_engine(self.policy_dir, use_cache=self.use_cache)
        return self._engine

    @property
    def store(self):
        """The database; a new one gets the schema, one that is behind is refused."""
        if self._store is None:
            from engine.store import open_store

            self._store = open_store(self.db_url)
        return self._store

    @property
    def workflow(self):
        if self._workflow is None:
            from engine.workflow import Workflow

            self._workflow = Workflow(self.engine, self.store)
        return self._workflow


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


pass_ctx = click.make_pass_decorator(Context)


def as_option(f: Callable) -> Callable:
    return click.option("--as", "actor", required=True, metavar="U", help="Acting user's id.")(f)


def at_option(help_text: str = "Action time (default now).") -> Callable:
    """`--at ISO-TIME`: the effective time of what the command does."""
    return click.option("--at", "at", metavar="ISO-TIME", help=help_text)


# shared option stacks: `ID --as U [--at T] [--json]` on every workflow action
id_argument = click.argument("submission_id", metavar="ID")


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


# ---------------------------------------------------------------- commands
# Each command is a few lines: parse, call the engine, print.


class BadInput(SaysoError):
    """Unusable command-line input (exit 2)."""


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
    from engine.posttext import check_post_text

    try:
        return check_post_text(text)
    except SaysoError as err:
        raise BadInput(str(err)) from None


def parse_time(value: str | None, option: str = "--at"):
    """An ISO 8601 time (`2026-05-04T09:30:00Z`); a time without zone is UTC."""
    from engine import origin
    from engine.times import parse_time as parse

    try:
        moment = parse(value, option)
    except SaysoError as err:
        raise BadInput(str(err)) from None
    if moment is not None and option == "--at":
        origin.mark_manual_clock()  # the events record that a person set the time
    return moment


@cli.command()
@click.option("--author", metavar="U", help="Author's user id.")
@click.option("--channel", metavar="C", help="Channel id, platform/handle.")
@click.option("--kind", help="post or reply (default post; reply with --in-reply-to).")
@click.option("--text", metavar="T", help="The post text.")
@click.option("--file", "file", metavar="F", help="Read the post text from a file (- for stdin).")
@at_option("Decide as of this time (default now).")
@click.option("--explain", is_flag=True, help="Also list every rule, topic and check considered.")
@click.option(
    "--in-reply-to", metavar="ID", help="The inbound message it answers (compares with the store)."
)
@click.argument("dash", required=False, metavar="[-]")
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
    from engine.model import Outcome, Post

    if not author or not channel:
        raise BadInput("--author and --channel are required")
    kind = kind or ("reply" if in_reply_to else "post")
    if kind not in ("post", "reply"):
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


@cli.command()
@json_option
@pass_ctx
def validate(ctx: Context, as_json: bool) -> None:
    """Check the policy: schema, references, patterns, plugin options.

    Prints every problem as FILE:LINE:COL: message (warnings as FILE:LINE:COL:
    warning: message). Exit 0 valid, 1 invalid.
    """
    from engine.policies import validate_policy
    from engine.version import short_version

    result = validate_policy(ctx.policy_dir, use_cache=ctx.use_cache)
    if as_json:
        echo_json(result.to_dict())
    else:
        for problem in result.errors:
            click.echo(str(problem))
        if result.valid:
            counts = ", ".join(
                f"{n} {what if n != 1 else what[:-1]}" for what, n in result.counts().items()
            )
            version = short_version(result.version)
            click.echo(f"{ctx.policy_dir}: valid ({counts}; version {version})")
        for warning in result.warnings:
            click.echo(f"{warning.loc}: warning: {warning.message}")
    click.get_current_context().exit(0 if result.valid else 1)


@cli.command()
@click.option("--tests", "for_tests", is_flag=True, help="The schema of policy test files instead.")
@json_option
def schema(for_tests: bool, as_json: bool) -> None:
    """Print the JSON Schema of policy files, or with --tests of policy test files
    (tests/*.yaml), for editor completion (docs/editors.md). Always JSON."""
    from engine.schema import policy_schema, policy_tests_schema

    echo_json(policy_tests_schema() if for_tests else policy_schema())


@cli.command("test")
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
    import os

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


@cli.command()
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


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="text: FILE:LINE:COL: SEVERITY ID: message; json: a list of findings; sarif: SARIF 2.1.0.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at least this severe.",
)
@click.option("--tests", "tests_dir", metavar="DIR", help="Test directory (default POLICY/tests).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@pass_ctx
def lint(ctx: Context, fmt: str, fail_on: str, tests_dir: str | None, as_json: bool) -> None:
    """Find likely mistakes in a policy: approvers nobody can reach, shadowed rules, unused
    entries, risky keywords... (rules and examples: docs/lint.md).

    Each finding has an id, a severity (error or warning), FILE:LINE:COL and a message;
    text prints one FILE:LINE:COL: SEVERITY ID: message line per finding (the count goes
    to stderr); --json (or --format json) prints a JSON list of {id, severity, file, line, col,
    message, item}. A policy silences a finding with lint: {ignore: [{rule, item, reason}]}.
    A policy that does not validate gives invalid-policy errors. Exit 1 when a finding
    reaches --fail-on (default error), else 0.
    """
    from engine.lint import Severity, format_text, lint_policy, summary, to_json, to_sarif

    if tests_dir is not None and not os.path.isdir(tests_dir):
        raise BadInput(f"no test directory '{tests_dir}' (give one with --tests DIR)")
    report = lint_policy(ctx.policy_dir, tests_dir=tests_dir)
    if as_json or fmt == "json":
        echo_json(to_json(report))
    elif fmt == "sarif":
        echo_json(to_sarif(report))
    else:
        if report.findings:
            click.echo(format_text(report))
        click.echo(summary(report), err=True)  # stdout holds only findings
    click.get_current_context().exit(1 if report.reaches(Severity(fail_on)) else 0)


@cli.command("fmt")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file would change.")
@click.argument("files", nargs=-1, metavar="[FILE]...")
@json_option
@pass_ctx
def fmt_command(ctx: Context, check: bool, files: tuple[str, ...], as_json: bool) -> None:
    """Format policy YAML canonically, keeping comments, key order and quoting.

    Formats the given files, or every policy file and test file of the policy
    directory. With --check, lists the files that would change and exits 1 if any
    would (for CI and pre-commit). A file that is not valid YAML is reported as
    FILE:LINE:COL: message and left alone (exit 1).
    """
    from engine.fmt import format_files, policy_yaml_files

    if files:
        paths = list(files)
    elif os.path.isdir(ctx.policy_dir):
        paths = policy_yaml_files(ctx.policy_dir)
    else:
        raise BadInput(f"no policy directory '{ctx.policy_dir}' (give one with --policy)")
    result = format_files(paths, check=check)
    if as_json:
        echo_json(
            {
                "changed": list(result.changed),
                "problems": [str(p) for p in result.problems],
                "checked": result.checked,
            }
        )
    else:
        for path in result.changed:
            click.echo(f"{'would reformat' if check else 'reformatted'} {path}")
        for problem in result.problems:
            click.echo(str(problem), err=True)
        unchanged = result.checked - len(result.changed) - len(result.problems)
        click.echo(f"{len(result.changed)} changed, {unchanged} unchanged", err=True)
    failed = result.problems or (check and result.changed)
    click.get_current_context().exit(1 if failed else 0)


@cli.command()
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
        rows = (
            access.for_user(ctx.engine, user)
            if user is not None
            else access.for_channel(ctx.engine, channel)
        )
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


# ---------------------------------------------------------------- workflow


def revision_option(f: Callable) -> Callable:
    return click.option(
        "--revision",
        type=click.IntRange(min=1),
        metavar="N",
        help="The revision you reviewed; refused if the post was revised since "
        "(default: the current revision).",
    )(f)


def _when(moment) -> str:
    from engine.explain import when

    return when(moment)


def print_submission(sub, *, decision: bool = False) -> None:
    """One submission for a person (engine.explain.format_submission)."""
    from engine.explain import format_submission

    click.echo(format_submission(sub, decision=decision))


def _emit(sub, as_json: bool, *, decision: bool = False) -> None:
    if as_json:
        echo_json(sub.to_dict())
    else:
        print_submission(sub, decision=decision)


@cli.command()
@click.option("--author", required=True, metavar="U", help="Author's user id.")
@click.option("--channel", required=True, metavar="C", help="Channel id, platform/handle.")
@click.option("--kind", help="post or reply (default post; reply with --in-reply-to).")
@click.option("--text", metavar="T", help="The post text.")
@click.option("--file", "file", metavar="F", help="Read the post text from a file (- for stdin).")
@click.option("--publish-at", metavar="ISO-TIME", help="Publish at this time once approved.")
@at_option("Submission time (default now).")
@click.option("--in-reply-to", metavar="ID", help="The inbound message it answers once published.")
@click.argument("dash", required=False, metavar="[-]")
@json_option
@pass_ctx
def submit(
    ctx: Context, author, channel, kind, text, file, publish_at, at, in_reply_to, dash, as_json
) -> None:
    """Evaluate a post and store it: approved ones are published, risky ones wait for sign-off."""
    if kind not in (None, "post", "reply"):
        raise BadInput(f"--kind must be post or reply, not '{kind}'")
    body = read_post_text(text, file, dash)
    when, now = parse_time(publish_at, "--publish-at"), parse_time(at)
    if when is not None and when < (now or _utcnow()):
        raise BadInput(
            f"--publish-at {publish_at} is in the past: give a later time or leave it out"
        )
    sub = ctx.workflow.submit(
        author, channel, body, kind=kind, publish_at=when, now=now, in_reply_to=in_reply_to
    )
    _emit(sub, as_json, decision=True)


def _utcnow():
    from datetime import UTC, datetime

    return datetime.now(UTC)


@cli.command()
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
        print_submission(sub)


@cli.command()
@id_argument
@as_option
@click.option("--comment", metavar="C", help="A note kept with the approval.")
@revision_option
@at_option("Action time (default now).")
@json_option
@pass_ctx
def approve(ctx: Context, submission_id, actor, comment, revision, at, as_json) -> None:
    """Approve revision N of a pending submission (default: the current revision).
    Exit 1 if refused, also when N is no longer the current revision."""
    sub = ctx.workflow.approve(
        submission_id, actor, comment=comment, revision=revision, now=parse_time(at)
    )
    _emit(sub, as_json)


@cli.command()
@id_argument
@as_option
@click.option("--reason", required=True, metavar="R", help="Why (shown to the author).")
@revision_option
@at_option("Action time (default now).")
@json_option
@pass_ctx
def reject(ctx: Context, submission_id, actor, reason, revision, at, as_json) -> None:
    """Reject revision N of a pending submission (default: the current revision).
    Exit 1 if refused, also when N is no longer the current revision."""
    sub = ctx.workflow.reject(submission_id, actor, reason, revision=revision, now=parse_time(at))
    _emit(sub, as_json)


@cli.command()
@id_argument
@as_option
@at_option("Action time (default now).")
@json_option
@pass_ctx
def withdraw(ctx: Context, submission_id, actor, at, as_json) -> None:
    """The author withdraws a pending post. Exit 1 if refused."""
    _emit(ctx.workflow.withdraw(submission_id, actor, now=parse_time(at)), as_json)


@cli.command()
@id_argument
@as_option
@click.option("--text", metavar="T", help="The new text.")
@click.option("--file", "file", metavar="F", help="Read the new text from a file (- for stdin).")
@at_option("Action time (default now).")
@click.argument("dash", required=False, metavar="[-]")
@json_option
@pass_ctx
def revise(ctx: Context, submission_id, actor, text, file, at, dash, as_json) -> None:
    """A new revision of a pending post: decided again, earlier approvals cleared."""
    body = read_post_text(text, file, dash)
    sub = ctx.workflow.revise(submission_id, actor, body, now=parse_time(at))
    _emit(sub, as_json, decision=True)


@cli.command()
@id_argument
@as_option
@at_option("Action time (default now).")
@json_option
@pass_ctx
def publish(ctx: Context, submission_id, actor, at, as_json) -> None:
    """The author publishes an approved post that missed its publish time while pending."""
    _emit(ctx.workflow.publish_now(submission_id, actor, now=parse_time(at)), as_json)


@cli.command()
@id_argument
@as_option
@json_option
@pass_ctx
def retry(ctx: Context, submission_id, actor, as_json) -> None:
    """Try a failed publication again now (`tick` retries on its own a few times).

    Exit 0 when it is published, 1 when it failed again or is not due yet."""
    from engine.model import Status

    sub = ctx.workflow.retry_publication(submission_id, actor)
    _emit(sub, as_json)
    if sub.status is not Status.PUBLISHED:
        if not as_json:
            why = f"failed again: {sub.publish_error}" if sub.publish_error else "is not due yet"
            click.echo(f"error: publishing submission {submission_id} {why}", err=True)
        click.get_current_context().exit(1)


@cli.command()
@click.option("--since", metavar="ISO-TIME", help="Only submissions made at or after this time.")
@click.option("--at", "at", metavar="ISO-TIME", help="As of this time (default now).")
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


@cli.command()
@click.option(
    "--at", "at", metavar="ISO-TIME", help="Apply what is due by this time (default now)."
)
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
    for sid, chain, level in report.escalated:
        click.echo(f"submission {sid}: escalated to level {level} of {chain}")
    for sid in report.published:
        click.echo(f"submission {sid}: published")
    for sid in report.overdue:
        click.echo(f"submission {sid}: overdue (pending at its publish time)")
    for sid, error in report.failed:
        click.echo(f"submission {sid}: publishing failed: {error}")
    for item_id, chain, level in report.inbound_escalated:
        click.echo(f"inbound {item_id}: escalated to level {level} of {chain}")
    for item_id in report.inbound_overdue:
        click.echo(f"inbound {item_id}: overdue (unanswered past its respond_within)")
    click.echo(
        f"{len(report.escalated)} escalated, {len(report.published)} published, "
        f"{len(report.overdue)} overdue, {len(report.failed)} failed"
    )
    if report.inbound_escalated or report.inbound_overdue:
        click.echo(
            f"inbound: {len(report.inbound_escalated)} escalated, "
            f"{len(report.inbound_overdue)} overdue"
        )


@cli.command()
@click.argument("submission_id", metavar="ID")
@as_option
@click.option("--reason", metavar="R", help="Why it was taken down or what supersedes it.")
@click.option("--at", "at", metavar="ISO-TIME", help="Action time (default now).")
@json_option
@pass_ctx
def retire(ctx: Context, submission_id, actor, reason, at, as_json) -> None:
    """Record that a published post was taken down or superseded (its last use)."""
    from engine.records import retire as retire_post

    _emit(
        retire_post(ctx.workflow, submission_id, actor, reason=reason, now=parse_time(at)), as_json
    )


@cli.command()
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


@cli.command()
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
        click.echo(f"delegation {d.id}: {d.to_user} acts for {d.from_user} until {_when(d.until)}")


@cli.command()
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


@cli.group(cls=SaysoGroup)
def audit() -> None:
    """The tamper-evident audit log: export, verify, heads, checkpoints, archives."""


def _progress(total: int, label: str):
    """A progress bar on a terminal, nothing otherwise."""
    import contextlib

    if not sys.stderr.isatty() or total < 1000:
        return contextlib.nullcontext(None)
    return click.progressbar(length=total, label=label, file=sys.stderr)


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
        _progress(total, "exporting") as bar,
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
        with _progress(total, "verifying") as bar:
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


@cli.command()
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
    with _progress(total, "replaying") as bar:
        report = run_replay(ctx.store, other, since=start, progress=bar.update if bar else None)
    if as_json:
        echo_json(report.to_dict())
        return
    for c in report.changes:
        click.echo(f"submission {c.id} ({c.author} on {c.channel}): {c.old} -> {c.new}")
        for r in c.reasons_added:
            click.echo(f"    + {r}")
        for r in c.reasons_removed:
            click.echo(f"    - {r}")
    summary = ", ".join(f"{k}: {n}" for k, n in sorted(report.summary.items())) or "none"
    click.echo(f"{report.total} replayed, {len(report.changes)} changed ({summary})")


@cli.command()
@json_option
@pass_ctx
def migrate(ctx: Context, as_json: bool) -> None:
    """Bring the database schema up to date (commands refuse a database that is behind)."""
    from engine.store import Store, head_revision

    store = Store(ctx.db_url, migrate=False)
    try:
        before = store.current_revision()
        store.migrate()
        after = store.current_revision()
    finally:
        store.close()
    if as_json:
        echo_json({"from": before, "to": after, "head": head_revision()})
    elif before == after:
        click.echo(f"database schema is current (revision {after})")
    else:
        click.echo(f"database schema upgraded from {before or 'nothing'} to {after}")


@cli.command()
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


@cli.group(cls=SaysoGroup)
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
        echo_json([{"version": v, "first_seen": _when(t)} for v, t in versions])
        return
    for v, t in versions:
        click.echo(f"{v}  {_when(t)}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--demo", is_flag=True, help="No passwords: a DEMO banner and a user switcher.")
@click.option(
    "--trusted-header",
    envvar="SAYSO_TRUSTED_HEADER",
    metavar="NAME",
    help="Take the user id from this request header set by a proxy (env SAYSO_TRUSTED_HEADER).",
)
@pass_ctx
def serve(ctx: Context, host: str, port: int, demo: bool, trusted_header: str | None) -> None:
    """Serve the web UI and the JSON API (for production, run web:create_app under gunicorn)."""
    from werkzeug.serving import run_simple

    from web import create_app, refuse_demo_off_loopback

    if demo:
        refuse_demo_off_loopback(host)
    app = create_app(
        {
            "SAYSO_POLICY": ctx.policy_dir,
            "SAYSO_DB": ctx.db_url,
            "SAYSO_DEMO": demo,
            "SAYSO_TRUSTED_HEADER": trusted_header or None,
        }
    )
    click.echo(f"sayso serving on http://{host}:{port}/" + (" (DEMO mode)" if demo else ""))
    run_simple(host, port, app, threaded=True)


def known_user(ctx: Context, user: str) -> str:
    if user not in ctx.engine.policy.users:
        raise BadInput(f"unknown user '{user}' (not in the policy)")
    return user


@cli.group(cls=SaysoGroup)
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
                "expires_at": _when(expires_at) if expires_at else None,
            }
        )
        return
    click.echo(text)
    until = f", expires {_when(expires_at)}" if expires_at else ""
    click.echo(f"token {token_id} for {user}{' (' + name + ')' if name else ''}{until}", err=True)


def token_expiry(value: str | None):
    """`--expires`: an ISO 8601 time, or a duration from now (`90d`)."""
    from datetime import UTC, datetime, timedelta

    from engine.durations import parse_duration

    if not value:
        return None
    try:
        return datetime.now(UTC) + timedelta(seconds=parse_duration(value))
    except ValueError:
        return parse_time(value, "--expires")


@token.command("list")
@click.option("--as", "user", metavar="U", help="Only U's tokens (default: everyone's).")
@json_option
@pass_ctx
def token_list(ctx: Context, user: str | None, as_json: bool) -> None:
    """Tokens with their id, name, state, expiry and last use (never their text)."""
    from engine import accounts

    found = accounts.tokens(ctx.store, known_user(ctx, user) if user else None)
    if as_json:
        echo_json([t.to_dict() for t in found])
        return
    for t in found:
        d = t.to_dict()
        click.echo(
            f"{d['id']:>4}  {d['user']:<12} {d['name'] or '-':<16} {d['state']:<8} "
            f"expires {d['expires_at'] or 'never'}  last used {d['last_used_at'] or 'never'}"
        )


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


@cli.group(cls=SaysoGroup)
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


# ---------------------------------------------------------------- inbound


def print_item(item, *, full: bool = False) -> None:
    """One inbound message for a person: status, route, owners, the clock."""
    topics = ", ".join(item.topics) or "none"
    click.echo(f"inbound {item.id}: {item.status.value} (route {item.route}; topics {topics})")
    name = f" ({item.sender_name})" if item.sender_name else ""
    click.echo(f"  from {item.sender}{name} on {item.channel}, received {_when(item.received_at)}")
    click.echo(f"  owners: {', '.join(item.owners) or 'nobody'}; level {item.level}")
    if item.status.value == "open":
        late = " OVERDUE" if item.overdue else ""
        click.echo(f"  due: {_when(item.due_at)}{late}")
    if item.closed_by:
        click.echo(f"  closed by {item.closed_by}: {item.closed_reason}")
    if item.answered_by:
        click.echo(f"  answered by submission {item.answered_by} at {_when(item.resolved_at)}")
    text = item.text if full or len(item.text) <= 200 else item.text[:200] + "..."
    click.echo("  > " + text.replace("\n", "\n  > "))


def _emit_item(item, as_json: bool, *, full: bool = False) -> None:
    if as_json:
        echo_json(item.to_dict())
        return
    if item.duplicate:
        click.echo(f"duplicate: message {item.message_id} on {item.channel} is already stored")
    print_item(item, full=full)


@cli.group(cls=SaysoGroup)
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
@click.option("--at", "at", metavar="ISO-TIME", help="Received time (default now).")
@json_option
@pass_ctx
def inbound_add(
    ctx: Context, channel, sender, text, name, message_id, thread_id, parent_id, at, as_json
) -> None:
    """Receive one message: route it to its owners and start its clock."""
    from engine.inbound.items import Message

    received = parse_time(at)
    message = Message(channel, sender, text, name, message_id, thread_id, parent_id, received)
    _emit_item(ctx.workflow.inbound.receive(message, now=received), as_json)


@inbound.command("import")
@click.argument("file", metavar="FILE")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), help="Default: by name.")
@json_option
@pass_ctx
def inbound_import(ctx: Context, file, fmt, as_json) -> None:
    """Receive the messages of a JSONL or CSV file (- for stdin); report bad lines by
    number. Exit 0 when every line was stored or a duplicate, 1 when one was invalid."""
    from engine.inbound.importer import guess_format, import_messages, records

    total = _count_lines(file) if sys.stderr.isatty() else 0
    import contextlib

    opened = (
        contextlib.nullcontext(sys.stdin)
        if file == "-"
        else open(file, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by `with`
    )
    with opened as handle:
        first = handle.readline()
        lines = records(_chain(first, handle), fmt or guess_format(file, first))
        with _progress(total, "importing") as bar:
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
        data = item.to_dict()
        data["replies"] = [
            {"id": s.id, "author": s.author, "status": s.status.value, "text": s.text}
            for s in replies
        ]
        data["earlier"] = [{"id": e.id, "status": e.status.value, "text": e.text} for e in earlier]
        echo_json(data)
        return
    print_item(item, full=True)
    for e in earlier:
        click.echo(f"  earlier: inbound {e.id} ({e.status.value}) {e.text[:80]}")
    for s in replies:
        click.echo(f"  reply: submission {s.id} by {s.author} ({s.status.value}) {s.text[:80]}")


@inbound.command("close")
@click.argument("item_id", metavar="ID")
@as_option
@click.option("--reason", required=True, metavar="R", help="Why: spam, handled offline, ...")
@click.option("--at", "at", metavar="ISO-TIME", help="Action time (default now).")
@json_option
@pass_ctx
def inbound_close(ctx: Context, item_id, actor, reason, at, as_json) -> None:
    """An owner closes an open message with a reason. Exit 1 if refused."""
    _emit_item(ctx.workflow.inbound.close(item_id, actor, reason, now=parse_time(at)), as_json)


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
    for item in items:
        print_item(item)


@cli.command()
@as_option
@click.option(
    "--view",
    default="all",
    show_default=True,
    type=click.Choice(["all", "mine", "groups", "escalated", "overdue"]),
)
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--at", "at", metavar="ISO-TIME", help="As of this time (default now).")
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
    for item in items:
        print_item(item)


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
