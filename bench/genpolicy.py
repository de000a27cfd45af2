"""Generates large, realistic sayso policies (as YAML files) and posts for benchmarks.

    .venv/bin/python bench/genpolicy.py OUT_DIR [--users 2000] [--keywords 5000] ...

Everything is derived from a seed, so two runs write the same files.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PLATFORMS = ("twitter", "facebook", "linkedin", "instagram", "mastodon", "threads")
FILLER = [
    "the",
    "a",
    "we",
    "our",
    "you",
    "your",
    "team",
    "today",
    "thanks",
    "for",
    "and",
    "with",
    "to",
    "of",
    "in",
    "on",
    "is",
    "are",
    "this",
    "that",
    "please",
    "help",
    "support",
    "update",
    "news",
    "event",
    "week",
    "customers",
    "members",
    "branch",
    "service",
    "open",
    "hours",
    "new",
    "great",
    "happy",
    "see",
    "more",
    "info",
    "about",
    "join",
    "us",
    "here",
    "there",
    "it",
    "be",
    "will",
    "can",
    "all",
    "from",
    "at",
    "by",
    "up",
    "out",
    "time",
    "day",
    "community",
    "local",
    "program",
    "season",
    "holiday",
    "weekend",
    "morning",
]
_SYLLABLES = tuple(
    [
        "zor",
        "vak",
        "qui",
        "xen",
        "dro",
        "pla",
        "kry",
        "mol",
        "tez",
        "bru",
        "fin",
        "gax",
        "lum",
        "pev",
        "rok",
        "sab",
        "tiv",
        "wun",
        "yel",
        "jod",
        "hak",
        "nim",
        "cor",
        "dus",
    ]
)  # 24 syllables, 2 to 4 per word: about 350,000 possible words


@dataclass(frozen=True)
class Sizes:
    users: int = 2000
    groups: int = 100
    channels: int = 60
    rules: int = 320
    topics: int = 300
    keywords: int = 5000
    seed: int = 7


def invented_words(count: int, rng: random.Random) -> list[str]:
    """`count` distinct made-up words that no filler word equals."""
    words: dict[str, None] = {}
    if count > 300_000:
        raise ValueError("at most 300,000 invented words")
    while len(words) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in FILLER:
            words[word] = None
    return list(words)


def keyword_list(count: int, seed: int = 7) -> list[str]:
    """Keywords and phrases (a quarter are two- or three-word phrases)."""
    rng = random.Random(seed)
    words = invented_words(max(count, 50), rng)
    out: dict[str, None] = {}
    i = 0
    while len(out) < count:
        word = words[i % len(words)]
        i += 1
        if i % 4 == 0:
            word = " ".join([word, *rng.sample(words, rng.randint(1, 2))])
        out[word] = None
    return list(out)


def generate(sizes: Sizes = Sizes()) -> dict[str, Any]:
    """The policy as one YAML document (a dict in the shape of SPEC "Policy files")."""
    rng = random.Random(sizes.seed)
    users = {
        f"u{i:04d}": {"name": f"User {i}", "email": f"u{i}@cu.example"} for i in range(sizes.users)
    }
    user_ids = list(users)
    group_ids = [f"g{i:03d}" for i in range(sizes.groups)]
    groups = {}
    for i, gid in enumerate(group_ids):
        later = group_ids[i + 1 :]
        groups[gid] = {
            "members": rng.sample(user_ids, rng.randint(5, 40)),
            # includes only point forward, so there is no cycle
            "includes": rng.sample(later, min(len(later), rng.randint(0, 2))),
        }
    channels = {}
    for i in range(sizes.channels):
        platform = PLATFORMS[i % len(PLATFORMS)]
        channel = {"platform": platform}
        if platform in ("twitter", "mastodon"):
            channel["max_length"] = 280 if platform == "twitter" else 500
        channels[f"{platform}/acct{i:02d}"] = channel
    channel_ids = list(channels)

    def principals() -> list[str]:
        pick = rng.random()
        if pick < 0.05:
            return ["*"]
        if pick < 0.3:
            return [f"user:{u}" for u in rng.sample(user_ids, rng.randint(1, 3))]
        return [f"group:{g}" for g in rng.sample(group_ids, rng.randint(1, 3))]

    def channel_globs() -> list[str]:
        if rng.random() < 0.25:
            return [f"{rng.choice(PLATFORMS)}/*"]
        return rng.sample(channel_ids, rng.randint(1, 4))

    rules = []
    for i in range(sizes.rules):
        effect = "deny" if i % 8 == 7 else "allow"
        rule = {"id": f"rule-{i:03d}", effect: principals(), "channels": channel_globs()}
        if rng.random() < 0.3:
            rule["kinds"] = [rng.choice(["post", "reply"])]
        rules.append(rule)

    words = keyword_list(sizes.keywords, sizes.seed)
    topics = {}
    for i in range(sizes.topics):
        share = words[i * len(words) // sizes.topics : (i + 1) * len(words) // sizes.topics]
        topic: dict[str, Any] = {"keywords": share}
        if i % 10 == 0:
            topic["patterns"] = [rf"\bref\s*#?{i:03d}\d{{4,}}\b"]
        if i % 5 == 0:
            topic.update(action="deny", message=f"Topic {i} is restricted.")
            topic["except"] = [f"group:{rng.choice(group_ids)}"]
        elif i % 5 in (1, 2):
            topic["requires"] = {"signoff": [f"group:{rng.choice(group_ids)}"], "approvals": 1}
            topic["escalation"] = "chain"
        else:
            topic["action"] = "warn"
        if i % 7 == 0:
            topic["channels"] = [f"{rng.choice(PLATFORMS)}/*"]
        topics[f"topic-{i:03d}"] = topic
    return {
        "version": 1,
        "users": users,
        "groups": groups,
        "channels": channels,
        "rules": rules,
        "topics": topics,
        "escalations": {
            "chain": [
                {"after": "2h", "to": [f"group:{group_ids[0]}"]},
                {"after": "1d", "to": [f"user:{user_ids[0]}"]},
            ]
        },
        "checks": [
            {"use": "max-length"},
            {"use": "links", "allow_domains": ["cu.example"], "signoff": [f"group:{group_ids[1]}"]},
        ],
        "roles": {"auditors": [f"group:{group_ids[2]}"], "admins": [f"group:{group_ids[3]}"]},
    }


def write_policy(data: dict[str, Any], out_dir: str | Path) -> Path:
    """Writes the policy split over several files, as a team would keep it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    parts = {
        "directory.yaml": ("users", "groups", "roles"),
        "channels.yaml": ("channels", "rules"),
        "topics.yaml": ("topics", "escalations", "checks"),
    }
    for name, sections in parts.items():
        doc = {"version": 1, **{s: data[s] for s in sections if s in data}}
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)
        (out / name).write_text(text, encoding="utf-8")
    return out


def posts(
    data: dict[str, Any],
    count: int,
    length: int,
    *,
    keywords: list[str] | None = None,
    seed: int = 1,
) -> list[tuple[str, str, str, str]]:
    """(author, channel, kind, text) tuples: filler text of about `length` characters with
    one to three keywords of the policy (or of `keywords`) and sometimes a link."""
    rng = random.Random(seed)
    user_ids = list(data["users"])
    channel_ids = list(data["channels"])
    vocabulary = keywords or [k for t in data["topics"].values() for k in t["keywords"]]
    out = []
    for _ in range(count):
        words = []
        while sum(len(w) + 1 for w in words) < length - 40:
            words.append(rng.choice(FILLER))
        for _ in range(rng.randint(0, 3)):
            words.insert(rng.randrange(len(words)), rng.choice(vocabulary))
        if rng.random() < 0.2:
            words.append(rng.choice(["https://www.cu.example/help", "https://elsewhere.example/x"]))
        text = " ".join(words)[:length]
        out.append(
            (rng.choice(user_ids), rng.choice(channel_ids), rng.choice(["post", "reply"]), text)
        )
    return out


# Realistic text: about half the posts carry some of these (see realistic_posts).
ACCENTED = ["café", "naïve", "résumé", "Grüße", "señor", "façade", "Ångström", "déjà", "über"]
EMOJI = ["🎉", "👍🏽", "❤️", "👨\u200d👩\u200d👧", "🏦", "✅"]
CJK = ["東京", "ありがとう", "한국어", "银行", "お知らせ", "서비스"]
DECOMPOSED = ["cafe\u0301", "man\u0303ana", "nai\u0308ve", "Zu\u0308rich"]


def realistic_posts(
    data: dict[str, Any], count: int, length: int, seed: int = 5
) -> list[tuple[str, str, str, str]]:
    """(author, channel, kind, text) of posts of `length` characters: filler words, one keyword or phrase of each of three
    topics, a link in one post of five, and in half the posts non-ASCII words too."""
    rng = random.Random(seed)
    users, channels = list(data["users"]), list(data["channels"])
    topics = [t["keywords"] for t in data["topics"].values() if t.get("keywords")]
    out = []
    for _ in range(count):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < length - 60:
            words.append(rng.choice(FILLER))
        for keywords in rng.sample(topics, 3):
            words.insert(rng.randrange(len(words) + 1), rng.choice(keywords))
        if rng.random() < 0.5:
            for _ in range(rng.randint(2, 6)):
                extra = rng.choice((ACCENTED, EMOJI, CJK, DECOMPOSED))
                words.insert(rng.randrange(len(words) + 1), rng.choice(extra))
        if rng.random() < 0.2:
            words.append(rng.choice(["https://www.cu.example/help", "https://elsewhere.example/x"]))
        text = " ".join(words)[:length]
        author, channel = rng.choice(users), rng.choice(channels)
        out.append((author, channel, rng.choice(("post", "reply")), text))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    for name, value in Sizes().__dict__.items():
        parser.add_argument(f"--{name}", type=int, default=value)
    args = vars(parser.parse_args())
    out_dir = args.pop("out_dir")
    path = write_policy(generate(Sizes(**args)), out_dir)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
