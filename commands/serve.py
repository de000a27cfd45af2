"""Running sayso: `serve` (the web UI and JSON API) and `migrate` (the database schema)."""

from __future__ import annotations

import click

from .context import Context, pass_ctx
from .options import echo_json, json_option


@click.command()
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


@click.command()
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


COMMANDS = (serve, migrate)
