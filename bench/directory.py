"""Large organisations: load, validate, compile and cache a policy with a big directory.

    .venv/bin/python bench/directory.py [--users 200000] [--groups 1000] [--source csv|yaml]
                                        [--quick] [--profile cprofile|tracemalloc]

Writes a policy to a temporary directory: users and their team memberships either in a
CSV read by the `csv` directory source (`--source csv`, the default) or in YAML files
(`--source yaml`, users and teams spread over files of 20,000 users), beside YAML
files with departments that include teams, channels, rules, topics and an escalation.

Each figure comes from a fresh process, as a command would see it: the first process
loads the policy (YAML, CSV, schema and semantic validation, building the model),
compiles it and writes the policy cache entry; a second one reads that entry and
compiles. "peak RSS" is the process's maximum resident set (getrusage), the
"tracemalloc" row a third run's peak of Python allocations (slower, so not timed).
Times are CPU seconds of the process (wall seconds beside them): other work on the
machine counts much less in CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"build": 3.0, "rss": 300.0, "cache": 0.5}  # s, MB, s
USERS_PER_FILE = 20_000


def write_policy(out: Path, users: int, groups: int, source: str, seed: int = 3) -> None:
    """A policy of `users` people in `groups` teams (one or two each) and 20 departments."""
    rng = random.Random(seed)
    teams = [f"team{t:04d}" for t in range(groups)]
    departments = {f"dept{d:02d}": teams[d::20] for d in range(20)}
    member_of = [
        [teams[i % groups]] + ([rng.choice(teams)] if rng.random() < 0.3 else [])
        for i in range(users)
    ]
    if source == "csv":
        with open(out / "people.csv", "w", encoding="utf-8", newline="") as handle:
            handle.write("id,name,email,groups\n")
            for i, gs in enumerate(member_of):
                handle.write(f"u{i:06d},User {i},u{i}@cu.example,{';'.join(gs)}\n")
        directory = "directory:\n  - {use: csv, path: people.csv}\n"
    else:
        members: dict[str, list[str]] = {t: [] for t in teams}
        for i, gs in enumerate(member_of):
            for g in gs:
                members[g].append(f"u{i:06d}")
        for start in range(0, users, USERS_PER_FILE):
            lines = ["users:"]
            for i in range(start, min(users, start + USERS_PER_FILE)):
                lines.append(f"  u{i:06d}: {{name: User {i}, email: u{i}@cu.example}}")
            (out / f"users-{start // USERS_PER_FILE:03d}.yaml").write_text("\n".join(lines) + "\n")
        per_file = max(1, groups * USERS_PER_FILE // max(users, 1))
        for start in range(0, groups, per_file):
            lines = ["groups:"]
            for team in teams[start : start + per_file]:
                lines.append(f"  {team}:\n    members: [{', '.join(members[team])}]")
            (out / f"teams-{start // per_file:03d}.yaml").write_text("\n".join(lines) + "\n")
        directory = ""
    channels = [f"{p}/acct{i:02d}" for i in range(10) for p in ("twitter", "mastodon")]
    dept_ids = list(departments)
    lines = [directory + "groups:"]
    lines += [f"  {d}: {{includes: [{', '.join(ts)}]}}" for d, ts in departments.items()]
    lines.append("channels:")
    lines += [f"  {c}: {{platform: {c.split('/')[0]}}}" for c in channels]
    lines.append("rules:")
    for r in range(60):
        who = f"group:{rng.choice(dept_ids)}" if r % 3 else f"group:{rng.choice(teams)}"
        effect = "deny" if r % 10 == 9 else "allow"
        lines.append(
            f"  - {{id: rule{r:02d}, {effect}: ['{who}'], channels: ['{rng.choice(channels)}']}}"
        )
    lines.append("  - {id: everyone-mastodon, allow: ['*'], channels: ['mastodon/*']}")
    lines.append("topics:")
    for t in range(20):
        lines.append(
            f"  topic{t:02d}: {{keywords: [word{t}a, word{t}b], "
            f"requires: {{signoff: ['group:{dept_ids[t]}']}}, escalation: chain}}"
        )
    lines.append("escalations:\n  chain:\n    - {after: 2h, to: ['group:dept00']}")
    lines.append("roles: {admins: ['user:u000000'], auditors: ['group:dept01']}")
    (out / "policy.yaml").write_text("\n".join(lines) + "\n")


# ---- the measuring child processes ------------------------------------------------


def _child(step: str, policy_dir: str) -> dict:
    """Runs in a fresh process: one step, its figures as a dict."""
    sys.path.insert(0, str(ROOT))
    from datetime import UTC, datetime

    from engine import policycache
    from engine.compiler import compile_policy
    from engine.plugins import default_plugin_manager

    pm = default_plugin_manager()
    out: dict = {}
    clocks = (time.process_time, time.perf_counter)
    if step != "cache":
        from engine.loader import load_policy
    if step == "tracemalloc":
        import tracemalloc

        tracemalloc.start()
        compile_policy(load_policy(policy_dir, pm), pm)
        out["traced_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        return out
    if step == "build":
        timings: dict[str, float] = {}
        start = [c() for c in clocks]
        policy = load_policy(policy_dir, pm, timings=timings)
        loaded = [c() for c in clocks]
        engine = compile_policy(policy, pm)
        compiled = [c() for c in clocks]
        today = datetime.now(UTC).date()
        policycache.store(policy_dir, pm, today, policy)
        stored = [c() for c in clocks]
        engine.principals_of(next(iter(policy.users)))
        out["users"] = len(policy.users)
        out["validate"] = timings.get("validate", 0.0)
        out["load"] = (loaded[0] - start[0]) - out["validate"]
        out["load_wall"] = loaded[1] - start[1]
        out["compile"] = compiled[0] - loaded[0]
        out["compile_wall"] = compiled[1] - loaded[1]
        out["cache_write"] = stored[0] - compiled[0]
        out["cache_write_wall"] = stored[1] - compiled[1]
    else:
        if not any(policycache.cache_dir().glob("*.pickle")):
            raise SystemExit("no cache entry to read: the loading process wrote none")
        start = [c() for c in clocks]
        policy = policycache.load_policy_cached(policy_dir, pm)
        loaded = [c() for c in clocks]
        engine = compile_policy(policy, pm)
        compiled = [c() for c in clocks]
        engine.principals_of(next(iter(policy.users)))
        out["cache_load"] = loaded[0] - start[0]
        out["cache_load_wall"] = loaded[1] - start[1]
        out["cache_compile"] = compiled[0] - loaded[0]
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_child(step: str, policy_dir: Path, env: dict[str, str], profile: str | None) -> dict:
    args = [sys.executable, __file__, "--child", step, str(policy_dir)]
    if profile:
        args += ["--profile", profile]
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{step} failed:\n{done.stderr.strip()}")
    if profile:
        print(done.stdout.rsplit("\n", 2)[0], file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _profiled(step: str, policy_dir: str, how: str) -> dict:
    """Runs the step under cProfile (top functions by cumulative time) or tracemalloc
    (top allocation sites still alive at the end), printed before the figures."""
    if how == "cprofile":
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(_child, step, policy_dir)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(35)
        return result
    import tracemalloc

    tracemalloc.start(12)
    result = _child(step, policy_dir)
    snapshot = tracemalloc.take_snapshot()
    for stat in snapshot.statistics("lineno")[:25]:
        print(stat)
    return result


def row(name: str, value: str, wall: str, target: str, ok: bool | None) -> str:
    verdict = "" if ok is None else ("ok" if ok else "MISSED")
    return f"| {name:<32} | {value:>10} | {wall:>10} | {target:>8} | {verdict:<6} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--groups", type=int, default=1_000, help="teams (default 1,000)")
    parser.add_argument("--source", choices=("csv", "yaml"), default="csv")
    parser.add_argument("--quick", action="store_true", help="20,000 users, no tracemalloc run")
    parser.add_argument("--profile", choices=("cprofile", "tracemalloc"))
    parser.add_argument("--child", nargs=2, metavar=("STEP", "DIR"), help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        step, policy_dir = opts.child
        result = _profiled(step, policy_dir, opts.profile) if opts.profile else None
        print(json.dumps(result or _child(step, policy_dir)))
        return 0
    users = 20_000 if opts.quick else opts.users
    with tempfile.TemporaryDirectory(prefix="sayso-bench-dir-") as tmp:
        policy_dir, cache = Path(tmp) / "policy", Path(tmp) / "cache"
        policy_dir.mkdir()
        write_policy(policy_dir, users, opts.groups, opts.source)
        env = {**os.environ, "SAYSO_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
        env.pop("SAYSO_NO_CACHE", None)
        built = run_child("build", policy_dir, env, opts.profile)
        warm = run_child("cache", policy_dir, env, opts.profile)
        traced = None
        if not opts.quick and not opts.profile:
            traced = run_child("tracemalloc", policy_dir, env, None)["traced_mb"]
        size = sum(f.stat().st_size for f in cache.iterdir()) / 1e6 if cache.exists() else 0
    total = built["load"] + built["validate"] + built["compile"]
    print(
        f"policy: {built['users']:,} users in {opts.groups:,} teams and 20 departments, "
        f"from {opts.source.upper()}; cache entry {size:.1f} MB"
    )
    print(row("step", "CPU", "wall", "target", None))
    print("|" + "-" * 34 + "|" + "-" * 12 + "|" + "-" * 12 + "|" + "-" * 10 + "|" + "-" * 8 + "|")
    s = "{:.2f} s".format
    print(row("load (read, parse, build model)", s(built["load"]), "", "", None))
    print(row("validate (schema, semantics)", s(built["validate"]), "", "", None))
    print(row("compile", s(built["compile"]), s(built["compile_wall"]), "", None))
    ok = total <= TARGETS["build"]
    wall = s(built["load_wall"] + built["compile_wall"])
    print(row("load + validate + compile", s(total), wall, "<= 3 s", ok))
    print(row("cache write", s(built["cache_write"]), s(built["cache_write_wall"]), "", None))
    print(
        row(
            "peak RSS, loading process",
            f"{built['rss_mb']:.0f} MB",
            "",
            "<= 300 MB",
            built["rss_mb"] <= TARGETS["rss"],
        )
    )
    if traced is not None:
        print(row("peak traced (tracemalloc)", f"{traced:.0f} MB", "", "", None))
    ok = warm["cache_load"] <= TARGETS["cache"]
    print(row("cache load", s(warm["cache_load"]), s(warm["cache_load_wall"]), "<= 0.5 s", ok))
    print(row("cache load + compile", s(warm["cache_load"] + warm["cache_compile"]), "", "", None))
    print(row("peak RSS, cached process", f"{warm['rss_mb']:.0f} MB", "", "", None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
