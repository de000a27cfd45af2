"""The `inbound:` policy section: merged across files, checked, built into the model.

```yaml
inbound:
  routes:            # first match wins; a duplicate route id is an error
    - {id: complaints, topics: [complaints], channels: ["twitter/*"],
       owners: [group:support], respond_within: 2h, escalation: complaint-chain}
  default: {owners: [group:support], respond_within: 8h}
```
"""

from __future__ import annotations

from typing import Any

from ..durations import parse_duration
from ..model import DEFAULT_ROUTE, InboundRoute, InboundSource
from ..schema import suggest

ROUTE_SECTION = "inbound routes"  # the key under which route ids are remembered in Draft.seen


def merge(draft: Any, src: Any, first: Any, item_class: Any) -> None:
    """Add one file's `inbound:` routes (in file order) and default to the draft."""
    block = src.data.get("inbound")
    if not isinstance(block, dict):
        return
    routes = block.get("routes")
    for index, value in enumerate(routes if isinstance(routes, list) else ()):
        ident = value.get("id") if isinstance(value, dict) else None
        if not isinstance(ident, str) or not ident:
            continue  # the schema said so
        path: tuple[str | int, ...] = ("inbound", "routes", index)
        if first(ROUTE_SECTION, ident, src.loc(path + ("id",))):
            draft.inbound_routes[ident] = item_class(ident, value, src, path)
    sources = block.get("sources")
    for index, value in enumerate(sources if isinstance(sources, list) else ()):
        ident = value.get("name") or value.get("use") if isinstance(value, dict) else None
        if not isinstance(ident, str) or not ident:
            continue
        path = ("inbound", "sources", index)
        if first("inbound sources", ident, src.loc(path)):
            draft.inbound_sources[ident] = item_class(ident, value, src, path)
    default = block.get("default")
    if isinstance(default, dict):
        path = ("inbound", "default")
        if first(ROUTE_SECTION, DEFAULT_ROUTE, src.loc(path, at_key=True)):
            draft.inbound_default = item_class(DEFAULT_ROUTE, default, src, path)


def check(checker: Any) -> None:
    """Unknown topics, owners and escalations, bad durations, unreachable routes."""
    draft, report = checker.d, checker.r
    catch_all = None
    for route in draft.inbound_routes.values():
        _check_common(checker, route)
        checker.channel_refs(route)
        topics = route.get("topics")
        for index, topic in enumerate(topics if isinstance(topics, list) else ()):
            if not isinstance(topic, str) or "topics" in draft.opaque:
                continue
            if not draft.known("topics", topic):
                listing = ", ".join(sorted(draft.topics)) or "none defined"
                report.error(
                    route.loc("topics", index),
                    f"unknown topic '{topic}' in inbound route '{route.id}'"
                    f"{suggest(topic, draft.topics)}; topics: {listing}",
                )
        if catch_all is not None:
            report.warn(
                route.where,
                f"inbound route '{route.id}' is never used: route '{catch_all}' "
                "before it matches every message",
            )
        elif not route.get("topics") and route.get("channels") in (None, ["*"]):
            catch_all = route.id
    if draft.inbound_default is not None:
        _check_common(checker, draft.inbound_default)
    for source in draft.inbound_sources.values():
        channel = source.get("channel")
        known = "channels" in draft.opaque or draft.known("channels", str(channel))
        if isinstance(channel, str) and not known:
            report.error(
                source.loc("channel"),
                f"unknown channel '{channel}' in inbound source '{source.id}'"
                f"{suggest(channel, draft.channels)}",
            )


def _check_common(checker: Any, item: Any) -> None:
    checker.principals(item, "owners")
    checker.escalation_ref(item)
    within = item.get("respond_within")
    if isinstance(within, str):
        try:
            seconds = parse_duration(within)
        except ValueError as err:
            checker.r.error(item.loc("respond_within"), f"{item.describe('respond_within')}: {err}")
            return
        if seconds <= 0:
            checker.r.error(
                item.loc("respond_within"), f"{item.describe('respond_within')} must be above 0"
            )


def build(draft: Any):
    """(routes, default route, sources) for the Policy."""
    routes = tuple(_route(item) for item in draft.inbound_routes.values())
    default = draft.inbound_default
    sources = tuple(
        InboundSource(
            name=item.id,
            use=item.value["use"],
            channel=item.value["channel"],
            options=tuple(draft.options.get((item.src.rel, item.path), {}).items()),
            loc=item.where,
        )
        for item in draft.inbound_sources.values()
    )
    route = _route(default) if default is not None else InboundRoute(DEFAULT_ROUTE, ())
    return routes, route, sources


def _route(item: Any) -> InboundRoute:
    v = item.value
    within = v.get("respond_within")
    return InboundRoute(
        id=item.id,
        owners=tuple(dict.fromkeys(v.get("owners") or ())),
        topics=tuple(dict.fromkeys(v.get("topics") or ())),
        channels=tuple(v.get("channels") or ("*",)),
        respond_within_seconds=parse_duration(within) if within else None,
        escalation=v.get("escalation"),
        loc=item.where,
    )
