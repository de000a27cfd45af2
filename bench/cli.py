"""Start-up time of the `sayso` command: cold (empty policy cache) and warm, beside
`python -c pass`, for `--help`, `validate`, `check` and `test` on the example policy.

    .venv/bin/python bench/cli.py [--runs 7] [--quick] [--large USERS]

Each command runs as a fresh process (`python cli.py ...`). Wall time depends on
how busy the machine is; CPU time (user + system of the child) much less, so both
are printed (medians). Modules are byte-compiled first, as an installation has them. `--large N` also times `validate` on a policy whose N users
come from a CSV directory source, with the child's peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies"
CHECK = [
    "check",
    "--author",
    "dana",
    "--channel",
    "twitter/nmtw_help",
    "--kind",
    "reply",
    "--text",
    "So sorry about the terrible service. A refund is on its way.",
]
TARGETS = {"--help": 100, "check": 150}  # ms, wall, warm


def run_once(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall ms, CPU ms, peak RSS MB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu, after.ru_maxrss // 1024


def measure(args: list[str], env: dict[str, str], runs: int, cold_dir: str | None) -> tuple:
    walls, cpus = [], []
    for _ in range(runs):
        if cold_dir is not None:
            shutil.rmtree(cold_dir, ignore_errors=True)
        wall, cpu, _ = run_once(args, env)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 runs each")
    parser.add_argument("--large", type=int, metavar="USERS", help="also a directory of USERS")
    opts = parser.parse_args()
    runs = 3 if opts.quick else opts.runs
    cache = tempfile.mkdtemp(prefix="sayso-bench-cache-")
    env = {**os.environ, "SAYSO_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
    # An installed sayso runs from byte-compiled modules; a shell that sets
    # PYTHONDONTWRITEBYTECODE would otherwise time compiling them on every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    sources = [str(ROOT / d) for d in ("cli.py", "commands", "engine", "plugins")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *sources], check=True)
    sayso = [sys.executable, str(ROOT / "cli.py"), "--policy", str(POLICY)]
    rows = [("python -c pass", [sys.executable, "-c", "pass"], False)]
    rows += [
        ("sayso --help", [*sayso, "--help"], False),
        ("sayso validate", [*sayso, "validate"], True),
        ("sayso check", [*sayso, *CHECK], True),
        ("sayso test", [*sayso, "test"], True),
    ]
    print(f"{'command':<16} {'cold wall':>10} {'cold CPU':>9} {'warm wall':>10} {'warm CPU':>9}")
    for name, args, cached in rows:
        cold = measure(args, env, runs, cache) if cached else None
        warm = measure(args, env, runs, None)
        first = f"{cold[0]:>8.0f}ms {cold[1]:>7.0f}ms" if cold else f"{'':>10} {'':>9}"
        print(f"{name:<16} {first} {warm[0]:>8.0f}ms {warm[1]:>7.0f}ms")
    if opts.large:
        large(opts.large, env, sayso[:2], cache)
    shutil.rmtree(cache, ignore_errors=True)


def large(users: int, env: dict[str, str], python_cli: list[str], cache: str) -> None:
    with tempfile.TemporaryDirectory(prefix="sayso-bench-large-") as tmp:
        policy = Path(tmp)
        with open(policy / "people.csv", "w", encoding="utf-8") as handle:
            handle.write("id,name,email,groups\n")
            for i in range(users):
                handle.write(f"u{i},User {i},u{i}@example.com,team{i % 100}\n")
        (policy / "policy.yaml").write_text(
            "directory: [{use: csv, path: people.csv}]\n"
            "channels: {twitter/big: {platform: twitter}}\n"
            "rules: [{id: teams, allow: [group:team1], channels: ['*']}]\n"
        )
        args = [*python_cli, "--policy", str(policy), "validate"]
        shutil.rmtree(cache, ignore_errors=True)
        cold = run_once(args, env)
        warm = run_once(args, env)
        print(
            f"\nvalidate, {users:,} users from CSV: cold {cold[0] / 1000:.2f} s, "
            f"warm {warm[0] / 1000:.2f} s (wall); peak memory of a child {cold[2]} MB"
        )


if __name__ == "__main__":
    main()
