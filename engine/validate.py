"""Semantic checks of a merged policy: what a schema cannot see.

The loader merges every file's sections into a `Draft` whose entries (`Item`) still
know where they were written. `check_draft(draft, today)` then finds, each at the
offending node:

- references to unknown users, groups, escalations, channels (a channel id, not a
  glob: a glob that matches no channel is a warning), and waiver targets that are
  not a rule, topic or check id;
- group `includes` cycles ("group includes cycle: a -> b -> a");
- patterns RE2 cannot compile (Python's `re` never sees a policy pattern);
- durations that do not parse, escalation levels whose `after` does not increase;
- `approvals` greater than the number of people who could ever approve (an error:
  such a post could never be approved), blank keywords, sign-offs nobody can give;
- non-fatal problems as warnings: expired waivers, topics with nothing to match,
  `requires` that an action ignores, a channel `platform` unlike its id.

Problems are errors (the policy is refused); warnings are reported and the policy
loads. References to entries that had schema errors are not reported again, and when
a whole section could not be read (a YAML error, a section of the wrong type) the
references it might have satisfied are not checked at all: fix those errors first.
"""

from __future__ import annotations

import re
from datetime import date

import re2

from .draft import Draft, Item, Report, Source, _strings, _walk  # noqa: F401
from .durations import format_duration, parse_duration
from .inbound import policy as inbound_policy
from .permissions import include_cycles
from .references import GLOB_CHARS, References  # noqa: F401  (GLOB_CHARS: importable here)
from .schema import suggest

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DURATION = re.compile(r"([0-9]+[wdhms])+")
DICT_SECTIONS = (
    "users",
    "groups",
    "channels",
    "topics",
    "escalations",
    "roles",
    "delegation",
    "limits",
)
LIST_SECTIONS = ("rules", "checks", "waivers", "notifiers", "directory")


def check_draft(
    draft: Draft, today: date, *, check_defaults: dict[str, str] | None = None
) -> Report:
    """Every semantic error and warning of a merged policy. `check_defaults`: each check
    plugin's default action (a check without `action` takes it)."""
    report = Report()
    checker = _Checker(draft, report, check_defaults or {})
    checker.groups()
    checker.rules()
    checker.topics()
    checker.escalations()
    checker.checks()
    checker.roles()
    checker.delegation()
    checker.waivers(today)
    checker.channels()
    inbound_policy.check(checker)
    return report


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def re2_problem(pattern: str) -> str | None:
    """Why RE2 refuses `pattern` (None when it compiles, alone and in a set)."""
    try:
        re2.compile(pattern, _RE2_OPTIONS)
        probe = re2.Set.SearchSet(_RE2_OPTIONS)
        probe.Add(pattern)
    except Exception as err:  # re2.error; anything else the binding raises
        detail = err.args[0] if err.args else err
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return str(detail)
    return None


class _Checker(References):
    """The checks of each section, in the order `check_draft` runs them."""

    def __init__(self, draft: Draft, report: Report, check_defaults: dict[str, str]):
        super().__init__(draft, report)
        self.check_defaults = check_defaults

    def groups(self) -> None:
        for group in self.d.groups.values():
            members = group.get("members")
            users = self.d.users  # a user defined is known: the quick look-up first
            if (
                isinstance(members, list)
                and "users" not in self.d.opaque
                and not _all_in(members, users)
            ):
                for index, user in enumerate(members):
                    if not isinstance(user, str) or user in users:
                        continue
                    if not self.d.known("users", user):
                        hint = suggest(user, self.d.users)
                        if not hint and self.d.known("groups", user):
                            hint = f" (there is a group '{user}': list it under includes)"
                        self.r.error(
                            group.loc("members", index),
                            f"unknown user '{user}' in members of group '{group.id}'{hint}",
                        )
            includes = group.get("includes")
            if isinstance(includes, list) and "groups" not in self.d.opaque:
                for index, other in enumerate(includes):
                    if isinstance(other, str) and not self.d.known("groups", other):
                        self.r.error(
                            group.loc("includes", index),
                            f"unknown group '{other}' in includes of group '{group.id}'"
                            f"{suggest(other, self.d.groups)}",
                        )
        graph = {
            gid: [g for g in item.strings("includes") if g in self.d.groups]
            for gid, item in self.d.groups.items()
        }
        for cycle in include_cycles(graph):
            first = self.d.groups[cycle[0]]
            includes = first.strings("includes")
            at = includes.index(cycle[1]) if cycle[1] in includes else None
            loc = first.loc("includes", at) if at is not None else first.where
            self.r.error(loc, "group includes cycle: " + " -> ".join(cycle))

    def rules(self) -> None:
        for rule in self.d.rules.values():
            for effect in ("allow", "deny"):
                self.principals(rule, effect)
            self.channel_refs(rule)

    def topics(self) -> None:
        for topic in self.d.topics.values():
            keywords = topic.get("keywords") if isinstance(topic.get("keywords"), list) else []
            patterns = topic.get("patterns") if isinstance(topic.get("patterns"), list) else []
            for index, keyword in enumerate(keywords):
                if isinstance(keyword, str) and not keyword.strip():
                    self.r.error(
                        topic.loc("keywords", index), f"blank keyword in topic '{topic.id}'"
                    )
            for index, pattern in enumerate(patterns):
                if isinstance(pattern, str):
                    problem = re2_problem(pattern)
                    if problem:
                        self.r.error(
                            topic.loc("patterns", index),
                            f"invalid RE2 pattern in topic '{topic.id}': {problem}",
                        )
            if not keywords and not patterns:
                self.r.warn(
                    topic.where,
                    f"topic '{topic.id}' has no keywords or patterns: only a detector plugin can match it",
                )
            self.principals(topic, "requires", "signoff")
            self.principals(topic, "except")
            self.escalation_ref(topic)
            self.channel_refs(topic)
            action = topic.get("action")
            requires = topic.get("requires")
            if requires is not None and (
                action == "warn" or (action == "deny" and not topic.get("except"))
            ):
                self.r.warn(
                    topic.loc("requires", at_key=True),
                    f"'requires' of topic '{topic.id}' is ignored: its action is {action}"
                    + (
                        " and it has no 'except' (whose posts would need the sign-off)"
                        if action == "deny"
                        else ""
                    ),
                )
            if action == "signoff" and requires is None and topic.get("escalation") is None:
                self.r.error(
                    topic.loc("action"),
                    f"topic '{topic.id}' requires a sign-off but names no one: "
                    "give requires: {signoff: [...]} or an escalation",
                )
            if isinstance(requires, dict):
                self.approvals(
                    topic,
                    requires.get("signoff"),
                    requires.get("approvals"),
                    ("requires", "approvals"),
                )

    def checks(self) -> None:
        for check in self.d.checks.values():
            self.principals(check, "signoff")
            self.escalation_ref(check)
            self.channel_refs(check)
            action = check.get("action") or self.check_defaults.get(check.get("use"))
            if action == "signoff" and not check.get("signoff") and not check.get("escalation"):
                self.r.error(
                    check.loc("action") if check.get("action") else check.where,
                    f"check '{check.id}' requires a sign-off but names no one: "
                    "give signoff: [...] or an escalation",
                )
            self.approvals(check, check.get("signoff"), check.get("approvals"), ("approvals",))

    def escalations(self) -> None:
        for chain in self.d.escalations.values():
            levels = chain.value if isinstance(chain.value, list) else []
            previous: int | None = None
            for index, level in enumerate(levels):
                if not isinstance(level, dict):
                    continue
                self.principals(chain, index, "to")
                after = level.get("after")
                if not isinstance(after, str) or not _DURATION.fullmatch(after):
                    previous = None
                    continue  # the schema reported it
                try:
                    seconds = parse_duration(after)
                except ValueError as err:
                    self.r.error(
                        chain.loc(index, "after"), f"{chain.describe(index, 'after')}: {err}"
                    )
                    previous = None
                    continue
                if previous is not None and seconds <= previous:
                    self.r.error(
                        chain.loc(index, "after"),
                        f"level {index + 1} of escalation '{chain.id}' comes after "
                        f"{format_duration(seconds)}, not later than level {index} "
                        f"({format_duration(previous)}): each level's 'after' must be larger",
                    )
                previous = seconds

    def roles(self) -> None:
        for role in self.d.roles.values():
            values = role.value
            if isinstance(values, list):
                self.principals(role)

    def delegation(self) -> None:
        rules = self.d.delegation.get("allow")
        if rules is not None and isinstance(rules.value, list):
            for index, entry in enumerate(rules.value):
                if not isinstance(entry, dict):
                    continue
                self.principals(rules, index, "from")
                to = entry.get("to")
                if isinstance(to, list):
                    self.principals(rules, index, "to")
                elif to == "same-group" and not any(
                    isinstance(p, str) and p.startswith("group:") for p in entry.get("from") or ()
                ):
                    self.r.error(
                        rules.loc(index, "to"),
                        f"{rules.describe(index, 'to')}: same-group needs a group:ID in 'from'",
                    )
        limit = self.d.delegation.get("max_duration")
        if limit and isinstance(limit.value, str) and _DURATION.fullmatch(limit.value):
            try:
                parse_duration(limit.value)
            except ValueError as err:
                self.r.error(limit.loc(), f"{limit.describe()}: {err}")

    def waivers(self, today: date) -> None:
        targets = {"rules": self.d.rules, "topics": self.d.topics, "checks": self.d.checks}
        for waiver in self.d.waivers.values():
            self.principals(waiver, "principals")
            for section, known in targets.items():
                targets_given = waiver.get(section)
                for index, target in enumerate(
                    targets_given if isinstance(targets_given, list) else []
                ):
                    if not isinstance(target, str) or section in self.d.opaque:
                        continue
                    if not self.d.known(section, target):
                        self.r.error(
                            waiver.loc(section, index),
                            f"waiver '{waiver.id}' names unknown {section[:-1]} '{target}'"
                            f"{suggest(target, known)}",
                        )
            expires = waiver.get("expires")
            if not isinstance(expires, str) or not _DATE.fullmatch(expires):
                continue  # the schema reported it
            try:
                day = date.fromisoformat(expires)
            except ValueError:
                self.r.error(
                    waiver.loc("expires"),
                    f"'expires' of waiver '{waiver.id}' is not a real date: {expires!r}",
                )
                continue
            if today > day:
                self.r.warn(
                    waiver.loc("expires"), f"waiver '{waiver.id}' expired on {day.isoformat()}"
                )

    def channels(self) -> None:
        for channel in self.d.channels.values():
            grace = channel.get("publish_grace")
            if isinstance(grace, str) and _DURATION.fullmatch(grace):
                try:
                    parse_duration(grace)
                except ValueError as err:
                    self.r.error(
                        channel.loc("publish_grace"),
                        f"{channel.describe('publish_grace')}: {err}",
                    )
            platform = channel.get("platform")
            prefix = channel.id.split("/", 1)[0]
            if isinstance(platform, str) and platform != prefix:
                self.r.warn(
                    channel.loc("platform"),
                    f"channel '{channel.id}' has platform '{platform}' but its id says '{prefix}'",
                )


def _all_in(values: list, known: dict) -> bool:
    """Whether every one of `values` is a key of `known` (in one pass in C, for the long
    member lists of a big directory; an unhashable value is simply not)."""
    try:
        return all(map(known.__contains__, values))
    except TypeError:
        return False
