"""Which checks could not run on a decision made without a history of earlier posts.

`sayso check` and policy tests without `history:` decide with no store behind them; a
check whose plugin `uses_history` (e.g. canned-reply) then finds nothing. Saying so
keeps "approved" from being read as "canned-reply passed".
"""

from __future__ import annotations

from typing import Any

from . import plugins as plugin_registry
from .compiler import resolve_globs
from .model import Post

NOT_RUN = "compares with earlier posts on the channel, and this decision had none"


def checks_without_history(engine: Any, post: Post, pm: Any = None) -> list[str]:
    """Ids of the checks that apply to `post` but need a history to run."""
    specs = plugin_registry.checks(pm or plugin_registry.default_plugin_manager())
    found = []
    for config in engine.policy.checks:
        spec = specs.get(config.use)
        if spec is None or not getattr(spec, "uses_history", False):
            continue
        kinds = config.options_dict().get("kinds")
        if isinstance(kinds, list | tuple) and post.kind not in kinds:
            continue
        if post.channel in resolve_globs(config.channels, engine.policy.channels):
            found.append(config.id)
    return found
