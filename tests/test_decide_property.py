"""The compiled engine agrees with a small, obviously correct reference evaluator.

Random small policies (users, nested groups, channels, allow/deny rules with globs
and kinds, topics with keywords, deny/signoff/warn, requires and except) and posts
made from the policy's vocabulary are decided both ways; decision, reason ids,
requirement ids and matched topics must be equal.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.compiler import compile_policy
from engine.model import (
    Channel,
    Effect,
    Enforcement,
    Group,
    Kind,
    Policy,
    Post,
    Rule,
    Signoff,
    Topic,
    User,
    Waiver,
)
from tests.profiles import examples

USERS = ["ann", "bob", "cat", "dan"]
GROUPS = ["g0", "g1", "g2", "g3"]
CHANNELS = ["tw/a", "tw/b", "fb/a", "li/x"]
GLOBS = ["*", "tw/*", "fb/a", "*/a", "li/x", "tw/?", "nope/*"]
KEYWORDS = ["refund", "apr", "close account", "account", "interest rate", "rate", "Ünïcode"]
WORDS = [
    "refund", "refunds", "APR", "apr", "xapr", "close", "account", "Account", "accounts",
    "interest", "rate", "rates", "RATE", "ünïcode", "hello", "_rate", "rate_", "ok",
    "refund", "APR", "account", "interest rate", "close account", "Ünïcode",
]  # fmt: skip
NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
YESTERDAY, TOMORROW = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
ENFORCEMENT = st.sampled_from([Enforcement.ENFORCED] * 4 + [Enforcement.ADVISORY])
SEPARATORS = [" ", " ", ", ", ". ", "!", "-", "\n", "é", "  ", " \n\t"]


def principal():
    return st.one_of(
        st.just("*"),
        st.just("*"),
        st.sampled_from([f"user:{u}" for u in USERS]),
        st.sampled_from([f"group:{g}" for g in GROUPS]),
    )


@st.composite
def policies(draw) -> Policy:
    users = {u: User(u) for u in draw(st.lists(st.sampled_from(USERS), min_size=1, unique=True))}
    groups = {}
    for i, gid in enumerate(GROUPS[: draw(st.integers(0, len(GROUPS)))]):
        members = draw(st.lists(st.sampled_from(USERS), unique=True, max_size=3))
        includes = draw(
            st.lists(st.sampled_from(GROUPS[i + 1 :] or ["g0"]), unique=True, max_size=2)
        )
        includes = [g for g in includes if g > gid]
        groups[gid] = Group(gid, tuple(members), tuple(includes))
    channels = {
        c: Channel(c, c.split("/")[0])
        for c in draw(st.lists(st.sampled_from(CHANNELS), min_size=1, unique=True))
    }
    # half the policies let everyone post everywhere, so topics decide more often
    rules = [Rule("base", Effect.ALLOW, ("*",), ("*",))] if draw(st.booleans()) else []
    for i in range(draw(st.integers(0, 6))):
        kinds = draw(st.lists(st.sampled_from(list(Kind)), min_size=1, max_size=2, unique=True))
        rules.append(
            Rule(
                f"r{i}",
                draw(st.sampled_from([Effect.ALLOW, Effect.ALLOW, Effect.DENY])),
                tuple(draw(st.lists(principal(), min_size=1, max_size=2))),
                tuple(draw(st.lists(st.sampled_from(GLOBS), min_size=1, max_size=2))),
                tuple(kinds),
                enforcement=draw(ENFORCEMENT),
            )
        )
    topics = {}
    for i in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from([Effect.DENY, Effect.SIGNOFF, Effect.SIGNOFF, Effect.WARN]))
        requires = None
        if action == Effect.SIGNOFF or (action == Effect.DENY and draw(st.booleans())):
            requires = Signoff(tuple(draw(st.lists(principal(), min_size=1, max_size=2))), 1)
        topics[f"t{i}"] = Topic(
            f"t{i}",
            keywords=tuple(draw(st.lists(st.sampled_from(KEYWORDS), min_size=1, max_size=3))),
            action=action,
            requires=requires,
            except_=tuple(draw(st.lists(principal(), max_size=1))),
            channels=tuple(draw(st.sampled_from([["*"], ["*"], ["tw/*"], ["fb/a", "li/x"]]))),
            enforcement=draw(ENFORCEMENT),
        )
    targets = [r.id for r in rules] + list(topics)
    waivers = []
    for i in range(draw(st.integers(0, 2)) if targets else 0):
        waivers.append(
            Waiver(
                f"w{i}",
                tuple(draw(st.lists(principal(), min_size=1, max_size=2))),
                tuple(draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2))),
                "because",
                draw(st.sampled_from([YESTERDAY, TODAY, TOMORROW])),
            )
        )
    return Policy(
        version="prop",
        users=users,
        groups=groups,
        channels=channels,
        rules=tuple(rules),
        topics=topics,
        waivers=tuple(waivers),
    )


@st.composite
def posts(draw, policy: Policy) -> Post:
    """Mostly known authors and channels; now and then unknown ones."""
    author = draw(st.sampled_from([*list(policy.users) * 6, "zed"]))
    channel = draw(st.sampled_from([*list(policy.channels) * 6, "zz/q"]))
    kind = draw(st.sampled_from(["post", "reply"]))
    tokens = draw(st.lists(st.sampled_from(WORDS), max_size=8))
    text = ""
    for token in tokens:
        text += token + draw(st.sampled_from(SEPARATORS))
    return Post(author, channel, text, kind)


# ---- the reference evaluator: plain loops, no indexes --------------------------


def ref_members(policy: Policy, group_id: str, seen=()) -> set[str]:
    group = policy.groups.get(group_id)
    if group is None or group_id in seen:
        return set()
    out = set(group.members)
    for child in group.includes:
        out |= ref_members(policy, child, (*seen, group_id))
    return out


def ref_principals(policy: Policy, user: str) -> set[str]:
    return {"*", f"user:{user}"} | {
        f"group:{g}" for g in policy.groups if user in ref_members(policy, g)
    }


def is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def ref_spans(text: str, keyword: str) -> list[tuple[int, int]]:
    """Whole-word, case-insensitive occurrences; any run of whitespace equals one space."""
    chars = []  # (folded character, its index in the original text)
    for i, ch in enumerate(text):
        folded = " " if ch.isspace() else ch.lower()
        if folded == " " and chars and chars[-1][0] == " ":
            continue
        chars.append((folded, i))
    haystack = "".join(c for c, _ in chars)
    needle = " ".join(keyword.lower().split())
    found, at = [], haystack.find(needle)
    while at != -1:
        start, end = chars[at][1], chars[at + len(needle) - 1][1] + 1
        before_ok = start == 0 or not is_word(text[start - 1])
        after_ok = end == len(text) or not is_word(text[end])
        if before_ok and after_ok:
            found.append((start, end))
        at = haystack.find(needle, at + 1)
    return found


def covered(glob_list, channel: str) -> bool:
    return any(fnmatchcase(channel, g) for g in glob_list)


def ref_decide(policy: Policy, post: Post):
    """(decision, reason ids, requirement ids, {topic: sorted spans})."""
    unknown = []
    if post.author not in policy.users:
        unknown.append("author")
    if post.channel not in policy.channels:
        unknown.append("channel")
    if unknown:
        return "denied", unknown, [], {}
    mine = ref_principals(policy, post.author)

    def waived(target: str) -> bool:
        return any(
            target in w.targets and w.expires >= TODAY and mine & set(w.principals)
            for w in policy.waivers
        )

    denying, allowing = [], []
    for rule in policy.rules:
        if rule.enforcement == Enforcement.ADVISORY:
            continue
        if (
            covered(rule.channels, post.channel)
            and post.kind in rule.kinds
            and mine & set(rule.principals)
        ):
            if rule.effect == Effect.ALLOW:
                allowing.append(rule.id)
            elif not waived(rule.id):
                denying.append(rule.id)
    denials = denying or ([] if allowing else ["default-deny"])
    signoffs, topics = [], {}
    for topic in policy.topics.values():
        spans = sorted({s for k in topic.keywords for s in ref_spans(post.text, k)})
        if not spans or not covered(topic.channels, post.channel):
            continue
        topics[topic.id] = spans
        if topic.enforcement == Enforcement.ADVISORY or waived(topic.id):
            continue
        excepted = bool(mine & set(topic.except_))
        if topic.action == Effect.DENY:
            if not excepted:
                denials.append(topic.id)
            elif topic.requires:
                signoffs.append(topic.id)
        elif topic.action == Effect.SIGNOFF and not excepted:
            signoffs.append(topic.id)
    if denials:
        return "denied", denials + signoffs, signoffs, topics
    if signoffs:
        return "needs_signoff", signoffs, signoffs, topics
    return "approved", allowing, [], topics


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), st.data())
def test_engine_matches_reference(policy, data):
    engine = compile_policy(policy)
    sample = data.draw(st.lists(posts(policy), min_size=1, max_size=6))
    for post in sample:
        decision = engine.decide(post, now=NOW)
        event(f"{decision.decision.value}, {len(decision.topics)} topics")
        got = (
            decision.decision.value,
            [r.id for r in decision.reasons],
            [q.id for q in decision.requirements],
            {t.id: sorted({(s.start, s.end) for s in t.spans}) for t in decision.topics},
        )
        assert got == ref_decide(policy, post), post
        if post.author in policy.users and post.channel in policy.channels:
            allowed, _ = engine.may_post(post.author, post.channel, post.kind, today=TODAY)
            ref_rules_ok = ref_decide(policy, Post(post.author, post.channel, "", post.kind))[0]
            assert allowed == (ref_rules_ok == "approved")


@settings(max_examples=examples(200), deadline=None)
@given(policies())
def test_membership_matches_reference(policy):
    engine = compile_policy(policy)
    for user in policy.users:
        assert engine.groups_of(user) == {
            p[6:] for p in ref_principals(policy, user) if p.startswith("group:")
        }
    for group in policy.groups:
        assert engine.members(f"group:{group}") == ref_members(policy, group)
