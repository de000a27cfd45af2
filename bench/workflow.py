"""Workflow benchmark: submissions/s, audit verify and export, replay. Prints a table.

    .venv/bin/python bench/workflow.py [--quick] [--postgres URL | --start-postgres]

SQLite by default (a file in a temporary directory); `--postgres URL` runs the
same figures against a PostgreSQL database (it must be empty or a sayso store).
Submissions go through `Workflow.submit` (decided, stored, audit events in the
same transaction). The large audit log and submission table for the verify,
export and replay figures are filled in bulk with correctly chained rows, since
creating a million events one transaction at a time would take an hour.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from engine import audit  # noqa: E402
from engine.compiler import load_engine  # noqa: E402
from engine.model import Post  # noqa: E402
from engine.replay import replay  # noqa: E402
from engine.store import Store  # noqa: E402
from engine.tables import (  # noqa: E402
    audit_events,
    audit_head,
    policy_snapshots,
    revisions,
    submissions,
)
from engine.workflow import Workflow  # noqa: E402

POLICY = ROOT / "tests" / "fixtures" / "policies" / "workflow"
TEXTS = [
    ("ann", "twitter/help", "Thanks for reaching out, we are looking into it now."),
    ("bob", "facebook/page", "We regret the closure of the Elm Street branch."),
    ("ann", "twitter/help", "The outage is over; thanks for your patience."),
    ("bob", "twitter/help", "Our new savings account opens Monday."),
]


def row(name: str, value: str, target: str = "", ok: bool | None = None) -> str:
    verdict = "" if ok is None else ("ok" if ok else "MISSED")
    return f"| {name:<44} | {value:>14} | {target:>12} | {verdict:<6} |"


def bench_submit(wf: Workflow, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        author, channel, text = TEXTS[i % len(TEXTS)]
        wf.submit(author, channel, f"{text} #{i}")
    return n / (time.perf_counter() - start)


def fill_audit(store: Store, n: int) -> None:
    """Append `n` chained events in large transactions (same hash as audit.append)."""
    with store.read() as conn:
        head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).one()
    seq, prev = head.seq, head.hash
    t0 = datetime.now(UTC)  # after every event already there: none is backdated
    recorded = audit.iso(t0)
    batch = []
    for i in range(n):
        seq += 1
        details = {"revision": 1, "note": f"bulk event {i}"}
        record = {
            "seq": seq,
            "ts": audit.iso(t0 + timedelta(milliseconds=seq)),
            "recorded_at": recorded,
            "manual_clock": True,
            "backdated": False,
            "via": "engine",
            "os_user": None,
            "host": None,
            "actor": "eve",
            "on_behalf_of": None,
            "event": "approved",
            "submission_id": 1 + i % 1000,
            "author": "bob",
            "channel": "facebook/page",
            "text_sha256": "a" * 64,
            "policy_version": "b" * 64,
            "details": details,
            "mac": None,
            "prev_hash": prev,
        }
        record["hash"] = prev = audit.event_hash(record)
        record["details"] = audit.canonical(details).decode()
        batch.append(record)
        if len(batch) == 20_000 or i == n - 1:
            with store.write() as conn:
                conn.execute(insert(audit_events), batch)
                conn.execute(
                    audit_head.update().values(
                        seq=seq, hash=prev, recorded_at=recorded, max_ts=record["ts"]
                    )
                )
            batch = []


def fill_submissions(store: Store, engine, n: int) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with store.write() as conn:
        exists = conn.execute(
            select(policy_snapshots.c.version).where(policy_snapshots.c.version == engine.version)
        ).first()
        if not exists:
            conn.execute(
                insert(policy_snapshots).values(version=engine.version, files={}, first_seen=now)
            )
        start = (
            conn.execute(select(submissions.c.id).order_by(submissions.c.id.desc())).scalar() or 0
        )
    decisions = []
    for author, channel, text in TEXTS:
        decisions.append(engine.decide(Post(author, channel, text)))
    subs, revs = [], []
    for i in range(n):
        sid = start + i + 1
        author, channel, text = TEXTS[i % len(TEXTS)]
        d = decisions[i % len(TEXTS)]
        subs.append(
            dict(
                id=sid,
                author=author,
                channel=channel,
                kind="post",
                status="pending",
                revision=1,
                submitted_at=now,
                updated_at=now,
                overdue=False,
                publish_attempts=0,
            )
        )
        revs.append(
            dict(
                submission_id=sid,
                number=1,
                text=text,
                text_sha256=hashlib.sha256(text.encode()).hexdigest(),
                policy_version=engine.version,
                decision=d.to_dict(),
                outcome=d.decision.value,
                created_at=now,
            )
        )
        if len(subs) == 10_000 or i == n - 1:
            with store.write() as conn:
                conn.execute(insert(submissions), subs)
                conn.execute(insert(revisions), revs)
            subs, revs = [], []


def timed_cli(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run `sayso ARGS` in a child; wall seconds and the child's peak RSS in MB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--postgres", metavar="URL", help="also run against this PostgreSQL URL")
    parser.add_argument(
        "--start-postgres",
        action="store_true",
        help="start a throwaway PostgreSQL server (fsync on) as the tests do, and use it",
    )
    args = parser.parse_args()
    if args.start_postgres:
        from tests.pgserver import PostgresServer

        server = PostgresServer(durable=True)
        server.start()
        try:
            args.postgres = server.url(server.create_database())
            run(args)
        finally:
            server.stop()
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    scale = 0.02 if args.quick else 1.0
    n_submit = int(2000 * max(scale, 0.1))
    n_events = int(1_000_000 * scale)
    n_replay = int(100_000 * scale)

    targets = [("sqlite", None)]
    if args.postgres:
        targets.append(("postgresql", args.postgres))
    engine = load_engine(str(POLICY))
    print(
        f"policy {POLICY.relative_to(ROOT)}; sizes: {n_submit} submits, {n_events} events, "
        f"{n_replay} submissions to replay"
    )
    print(row("metric", "value", "target", None))
    print(f"|{'-' * 46}|{'-' * 16}|{'-' * 14}|{'-' * 8}|")
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        for name, url in targets:
            url = url or f"sqlite:///{tmp}/bench.db"
            store = Store.create(url)
            wf = Workflow(engine, store)
            rate = bench_submit(wf, n_submit)
            print(
                row(
                    f"[{name}] submissions/s (decide+store+audit)",
                    f"{rate:,.0f}",
                    ">= 500",
                    rate >= 500,
                )
            )

            fill_audit(store, n_events)
            log = audit.AuditLog(store)
            total = log.count()
            start = time.perf_counter()
            result = log.verify()
            seconds = time.perf_counter() - start
            assert result.ok, result.message
            per_s = total / seconds
            print(
                row(
                    f"[{name}] audit verify events/s",
                    f"{per_s:,.0f}",
                    ">= 100,000",
                    per_s >= 100_000,
                )
            )

            env = dict(os.environ, SAYSO_POLICY=str(POLICY), SAYSO_DB=url)
            seconds, peak = timed_cli(["audit", "export", "-o", f"{tmp}/export.jsonl"], env)
            # the target is for 1,000,000 events; a --quick run is dominated by start-up
            print(
                row(
                    f"[{name}] audit export {total:,} events (JSONL)",
                    f"{seconds:.1f} s",
                    "" if args.quick else "<= 15 s",
                    None if args.quick else seconds <= 15,
                )
            )
            print(
                row(
                    f"[{name}] audit export peak memory (child RSS)", f"{peak:.0f} MB", "flat", None
                )
            )
            seconds, peak = timed_cli(
                ["audit", "export", "--format", "csv", "-o", f"{tmp}/e.csv"], env
            )
            print(
                row(f"[{name}] audit export {total:,} events (CSV)", f"{seconds:.1f} s", "", None)
            )

            fill_submissions(store, engine, n_replay)
            start = time.perf_counter()
            report = replay(store, engine)
            seconds = time.perf_counter() - start
            limit = 30 * scale
            print(
                row(
                    f"[{name}] replay {report.total:,} submissions",
                    f"{seconds:.1f} s",
                    f"<= {limit:g} s",
                    seconds <= limit,
                )
            )
            store.close()


if __name__ == "__main__":
    main()
