"""Which route an inbound message takes: the first route whose channels match the
channel it arrived on and whose topics (if any) are detected in its text.

Topics are found by the engine's own topic detection (`engine.decide.detect_topics`:
the same compiled automaton, patterns and normalization as posts), so `ＲＥＦＵＮＤ`
or `re\u200bfund` routes like `refund`. A topic's own `channels:` limit where it holds
posts; they do not stop it labelling a message (a route has its own `channels:`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from ..model import InboundRoute, Span, TopicMatch


@dataclass(frozen=True, slots=True)
class Routing:
    route: InboundRoute
    topics: tuple[TopicMatch, ...]
    error: str | None = None  # topic detection failed: routed on the channel alone


@dataclass(frozen=True, slots=True)
class CompiledRoutes:
    routes: tuple[InboundRoute, ...]
    default: InboundRoute

    def by_id(self, route_id: str) -> InboundRoute | None:
        if route_id == self.default.id:
            return self.default
        return next((r for r in self.routes if r.id == route_id), None)

    def route(self, engine: Any, channel: str, text: str) -> Routing:
        from ..decide import detect_topics  # decide imports the compiler; import late

        error = None
        try:
            found: dict[str, list[Span]] = detect_topics(engine, text)
        except Exception as err:  # a broken detector plugin must not lose the message
            found, error = {}, f"topic detection failed: {type(err).__name__}: {err}"
        order = engine.topic_order  # topic id -> its position in the policy
        matches = tuple(
            TopicMatch(topic_id, tuple(found[topic_id]))
            for topic_id in sorted(found, key=lambda t: order.get(t, len(order)))
        )
        for route in self.routes:
            if not any(fnmatchcase(channel, glob) for glob in route.channels):
                continue
            if route.topics and not any(t in found for t in route.topics):
                continue
            return Routing(route, matches, error)
        return Routing(self.default, matches, error)
