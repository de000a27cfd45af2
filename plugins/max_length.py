"""Built-in check `max-length`: a post longer than its channel's `max_length` (or `limit`)."""

from __future__ import annotations

from typing import Any

from engine.hookspecs import CheckFunction, CheckInput, CheckSpec, Finding, hookimpl
from engine.model import Effect, Span

OPTIONS_SCHEMA = {"limit": {"type": "integer", "min": 1}}


def build(options: dict[str, Any]) -> CheckFunction:
    limit_option = options.get("limit")

    def check(given: CheckInput) -> list[Finding]:
        limit = limit_option or given.channel.max_length
        text = given.post.text
        if not limit or len(text) <= limit:
            return []
        where = f"{given.channel.id} allows" if not limit_option else "the limit is"
        tail = Span(limit, len(text), text[limit:], f"max-length {limit}")
        return [Finding(f"the post is {len(text)} characters; {where} {limit}", (tail,))]

    return check


@hookimpl(trylast=True)
def register_checks() -> list[CheckSpec]:
    return [
        CheckSpec(
            name="max-length",
            build=build,
            options_schema=OPTIONS_SCHEMA,
            default_action=Effect.DENY,
            description="Denies a post longer than its channel's max_length (or the option limit).",
        )
    ]
