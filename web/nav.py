"""Counts beside the navigation links: how many posts wait in the signed-in person's queue,
how many open messages are in their inbox. Each is counted once per request, and only by
a page that shows the navigation; a page that has counted already sets it in `g`."""

from __future__ import annotations

from flask import g

from engine.errors import SaysoError
from engine.inbound.inbox import count_all

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


def inbox_count() -> int:
    """Open messages the signed-in user owns now; 0 when nobody is signed in."""
    user = g.get("user")
    if not user:
        return 0
    if "inbox_count" not in g:
        g.inbox_count = count_all(sayso().workflow.inbound, user)
    return g.inbox_count


def init_app(app) -> None:
    app.jinja_env.globals.update(queue_count=queue_count, inbox_count=inbox_count)
