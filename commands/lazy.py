"""The top-level commands without importing them: the module that defines each and the
first paragraph of its help, so `sayso --help` lists them all and `sayso check` imports
only `commands.policy` (click's lazily loading group, from its documentation)."""

from __future__ import annotations

import importlib

import click

# name: (module of the `commands` package, first paragraph of the command's help);
# tests/test_startup.py checks that this table matches the commands themselves.
COMMANDS: dict[str, tuple[str, str]] = {
    "approve": (
        "workflow",
        "Approve revision N of a pending submission (default: the current revision). Exit 1 if refused, also when N is no longer the current revision.",
    ),
    "audit": (
        "audit",
        "The tamper-evident audit log: export, verify, heads, checkpoints, archives.",
    ),
    "check": ("policy", "Evaluate a post against the policy; store nothing."),
    "delegate": (
        "workflow",
        "Let V approve and reject for U until a time (never on V's own posts).",
    ),
    "diff": (
        "policy",
        "Compare two policy directories: who gains or loses posting rights, what else changed.",
    ),
    "fmt": ("lint", "Format policy YAML canonically, keeping comments, key order and quoting."),
    "inbound": ("inbound", "Customer messages: add, import, show, close, list."),
    "inbox": (
        "inbound",
        "Open inbound messages the user owns now (also as a delegate), oldest due first.",
    ),
    "init": (
        "policy",
        "Write a small working example policy, with its tests, into DIR (new or empty).",
    ),
    "lint": (
        "lint",
        "Find likely mistakes in a policy: approvers nobody can reach, shadowed rules, unused entries, risky keywords... (rules and examples: docs/lint.md).",
    ),
    "migrate": (
        "serve",
        "Bring the database schema up to date (commands refuse a database that is behind).",
    ),
    "policy": ("policy", "Stored policy versions."),
    "publish": (
        "workflow",
        "The author publishes an approved post that missed its publish time while pending.",
    ),
    "queue": ("workflow", "Pending submissions the user may approve or reject now, oldest first."),
    "reject": (
        "workflow",
        "Reject revision N of a pending submission (default: the current revision). Exit 1 if refused, also when N is no longer the current revision.",
    ),
    "replay": (
        "policy",
        "Re-decide stored submissions under another policy and list what changes.",
    ),
    "retire": (
        "workflow",
        "Record that a published post was taken down or superseded (its last use).",
    ),
    "retry": (
        "workflow",
        "Try a failed publication again now (`tick` retries on its own a few times).",
    ),
    "revise": (
        "workflow",
        "A new revision of a pending post: decided again, earlier approvals cleared.",
    ),
    "revoke": ("workflow", "Revoke a delegation (by the user who gave it)."),
    "schema": (
        "policy",
        "Print the JSON Schema of policy files, or with --tests of policy test files (tests/*.yaml), for editor completion (docs/editors.md). Always JSON.",
    ),
    "serve": (
        "serve",
        "Serve the web UI and the JSON API (for production, run web:create_app under gunicorn).",
    ),
    "show": (
        "workflow",
        "One submission's full record: revisions and hashes, decisions, approvals, events.",
    ),
    "stats": (
        "workflow",
        "The dashboard's figures: time to approval (median, p90) by topic and owner, SLA breaches and escalations by owner, pending posts by escalation level.",
    ),
    "submit": (
        "workflow",
        "Evaluate a post and store it: approved ones are published, risky ones wait for sign-off.",
    ),
    "test": ("policy", "Run the policy's test cases; print failures and `N passed, N failed`."),
    "tick": (
        "workflow",
        "Apply due escalations, publish due posts, flag overdue ones, retry failures.",
    ),
    "token": ("accounts", "API bearer tokens (stored hashed; the text is shown once)."),
    "user": ("accounts", "Local accounts for the web UI."),
    "validate": ("policy", "Check the policy: schema, references, patterns, plugin options."),
    "who": (
        "policy",
        "Who may post where, from the policy's rules (deny overrides allow; waivers in force today count). Give exactly one of --user U or --channel C.",
    ),
    "withdraw": ("workflow", "The author withdraws a pending post. Exit 1 if refused."),
}


class LazyGroup(click.Group):
    """A group whose commands of `COMMANDS` are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load(cmd_name))
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and args[0] not in COMMANDS:
            for name in COMMANDS:  # a mistyped name: click suggests close ones it knows
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's own listing, with a stand-in carrying the help's first paragraph
        for each command not imported yet (the short help is made from it alone)."""
        shown = {
            name: self.commands.get(name) or click.Command(name, help=COMMANDS[name][1])
            for name in self.list_commands(ctx)
        }
        click.Group.format_commands(click.Group(self.name, commands=shown), ctx, formatter)


def load(name: str) -> click.Command:
    """The command `name`, from its module's `COMMANDS`."""
    module = importlib.import_module(f"commands.{COMMANDS[name][0]}")
    return next(command for command in module.COMMANDS if command.name == name)
