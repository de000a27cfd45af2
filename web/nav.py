"""Counts beside the navigation links: how many posts wait in the signed-in person's queue."""

from __future__ import annotations

from flask import g

from engine.errors import SaysoError

from .auth import sayso


def queue_count() -> int | None:
    """Posts waiting for the signed-in user now; None when nobody is signed in."""
    user = g.get("user")
    if not user:
        return None
    if "queue_count" not in g:
        try:
            g.queue_count = sayso().workflow.queue_count(user)
        except SaysoError:
            g.queue_count = None
    return g.queue_count


def init_app(app) -> None:
    app.jinja_env.globals.update(queue_count=queue_count)
