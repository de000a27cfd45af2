"""Keeping policy files sound and tidy: `lint` (likely mistakes) and `fmt` (canonical
YAML, comments kept)."""

from __future__ import annotations

import os

import click

from .context import Context, pass_ctx
from .options import BadInput, echo_json, json_option


@click.command()
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


@click.command("fmt")
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


COMMANDS = (lint, fmt_command)
