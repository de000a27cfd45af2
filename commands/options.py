"""Shared option stacks and input helpers: `ID --as U [--at T] [--json]`, the post text
from --text/--file/-, times, JSON output, progress bars. Bad input raises BadInput."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from engine.errors import SaysoError


class BadInput(SaysoError):
    """Unusable command-line input (exit 2)."""


def as_option(f: Callable) -> Callable:
    return click.option("--as", "actor", required=True, metavar="U", help="Acting user's id.")(f)


def at_option(help_text: str = "Action time (default now).") -> Callable:
    """`--at ISO-TIME`: the effective time of what the command does."""
    return click.option("--at", "at", metavar="ISO-TIME", help=help_text)


# shared option stacks: `ID --as U [--at T] [--json]` on every workflow action
id_argument = click.argument("submission_id", metavar="ID")


def json_option(f: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(f)


def revision_option(f: Callable) -> Callable:
    return click.option(
        "--revision",
        type=click.IntRange(min=1),
        metavar="N",
        help="The revision you reviewed; refused if the post was revised since "
        "(default: the current revision).",
    )(f)


def text_options(new: bool = False) -> Callable:
    """`--text T`, `--file F` and a lone `-` (stdin): the post text, read by read_post_text."""
    what = "new text" if new else "post text"

    def decorate(f: Callable) -> Callable:
        f = click.option(
            "--file", "file", metavar="F", help=f"Read the {what} from a file (- for stdin)."
        )(f)
        return click.option("--text", metavar="T", help=f"The {what}.")(f)

    return decorate


dash_argument = click.argument("dash", required=False, metavar="[-]")


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


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


def when(moment) -> str:
    """A time as the CLI shows it (engine.explain.when)."""
    from engine.explain import when as shown

    return shown(moment)


def progress(total: int, label: str):
    """A progress bar on a terminal, nothing otherwise."""
    import contextlib

    if not sys.stderr.isatty() or total < 1000:
        return contextlib.nullcontext(None)
    return click.progressbar(length=total, label=label, file=sys.stderr)
