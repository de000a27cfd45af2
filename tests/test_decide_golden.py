"""Decisions on the benchmark corpora stay exactly what they were.

The decision path is tuned for speed (bench/decide.py); this pins its output, byte for
byte, on 300 generated ASCII posts and 300 realistic ones (accents, emoji, CJK,
decomposed characters, about three topics each), every third one with `explain`.
The digests were computed before the tuning. A deliberate change to what decisions
say (a message, a trace step) changes them too: recompute them then, with
`python tests/test_decide_golden.py`, and say why in the commit.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from engine.compiler import compile_policy
from engine.loader import load_policy
from engine.model import Post

EXPECTED = {
    "ascii": "b8af015aab7afa27e9f60b2534d7cf264eb261ba464edb27ca12240968aa87b3",
    "realistic": "8e562bfbf123ea9ca8dcad3172416481dd7c44c0331bd7657731326355c2670a",
}
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _genpolicy():
    # loaded by path: putting bench/ on sys.path would let bench/web.py shadow the web package
    path = Path(__file__).resolve().parent.parent / "bench" / "genpolicy.py"
    spec = importlib.util.spec_from_file_location("genpolicy", path)
    module = sys.modules.setdefault("genpolicy", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


def digests(policy_dir: Path) -> dict[str, str]:
    genpolicy = _genpolicy()
    data = genpolicy.generate(genpolicy.Sizes())
    engine = compile_policy(load_policy(str(genpolicy.write_policy(data, policy_dir))))
    corpora = {
        "ascii": genpolicy.posts(data, 300, 280),
        "realistic": genpolicy.realistic_posts(data, 300, 280),
    }
    out = {}
    for name, posts in corpora.items():
        digest = hashlib.sha256()
        for i, (author, channel, kind, text) in enumerate(posts):
            decision = engine.decide(Post(author, channel, text, kind), now=NOW, explain=i % 3 == 0)
            digest.update(json.dumps(decision.to_dict(), sort_keys=True).encode())
        out[name] = digest.hexdigest()
    return out


def test_decisions_on_the_benchmark_corpora_are_unchanged(tmp_path):
    assert digests(tmp_path) == EXPECTED


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(digests(Path(tmp)), indent=4))
