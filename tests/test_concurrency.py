"""Many threads and processes acting on the same submissions, on SQLite and PostgreSQL:
one outcome per submission, no lost approval, an intact chain, no "database is locked"."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.audit import AuditLog
from engine.compiler import load_engine
from engine.errors import WorkflowError
from engine.model import Status
from engine.store import Store
from engine.workflow import Workflow
from tests.profiles import THOROUGH

ROOT = Path(__file__).resolve().parent.parent
POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
LEGAL = ["eve", "fay"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sayso.db'}"
    return request.getfixturevalue("postgres_db")


def check_consistency(store: Store, ids: list[int]) -> Counter:
    """Every submission has one outcome; the log agrees with the state; the chain verifies."""
    wf = Workflow(load_engine(str(POLICY)), store)
    log = AuditLog(store)
    result = log.verify()
    assert result.ok, result.message
    outcomes = Counter()
    for sid in ids:
        sub = wf.get(sid)
        events = Counter(e.event for e in log.events(submission=sid))
        outcomes[sub.status.value] += 1
        approvals = [v for v in wf.record(sid).verdicts if v.verdict == "approve"]
        assert events["approved"] == len(approvals)  # no lost or phantom approval
        assert len({(v.on_behalf_of or v.actor, v.revision) for v in approvals}) == len(approvals)
        assert events["rejected"] <= 1 and events["published"] <= 1
        if sub.status is Status.REJECTED:
            assert events["published"] == 0
        if sub.status is Status.PUBLISHED:
            assert events["rejected"] == 0 and len(approvals) >= 2
        if sub.status is Status.PENDING:
            assert len(approvals) < 2 and events["rejected"] == 0
    return outcomes


def test_threads_race_on_the_same_submissions(db_url):
    store = Store.create(db_url)
    engine = load_engine(str(POLICY))
    wf = Workflow(engine, store)
    ids = [wf.submit("bob", "facebook/page", f"The outage {i} is over.").id for i in range(12)]
    errors: list[BaseException] = []

    def act(worker: int) -> None:
        mine = Workflow(engine, store)
        rng = random.Random(worker)
        for _ in range(30):
            sid = rng.choice(ids)
            try:
                if rng.random() < 0.1:
                    mine.reject(sid, rng.choice(LEGAL), "not yet")
                elif rng.random() < 0.1:
                    mine.tick()
                else:
                    mine.approve(sid, rng.choice(LEGAL))
            except WorkflowError:
                pass  # refused (already approved, not pending): expected under races
            except BaseException as err:  # anything else is a bug
                errors.append(err)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(act, range(8)))
    assert errors == []
    outcomes = check_consistency(store, ids)
    assert sum(outcomes.values()) == len(ids)
    store.close()


def test_processes_race_through_the_cli(db_url, tmp_path):
    """23 processes in CI (4 submissions x 5 verbs + 3 ticks); 11 locally (2 x 5 + 1)."""
    store = Store.create(db_url)
    wf = Workflow(load_engine(str(POLICY)), store)
    posts, ticks = (4, 3) if THOROUGH else (2, 1)
    ids = [wf.submit("bob", "facebook/page", f"The outage {i} is over.").id for i in range(posts)]
    env = dict(os.environ, SAYSO_POLICY=str(POLICY), SAYSO_DB=db_url)
    procs = []
    for _ in range(
        ticks
    ):  # ticks race with the approvals (nothing is due: they must change nothing)
        procs.append(
            subprocess.Popen(
                [sys.executable, str(ROOT / "cli.py"), "tick"],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for sid in ids:
        for actor in LEGAL * 2 + ["cat"]:
            verb = (
                ["reject", str(sid), "--as", actor, "--reason", "no"]
                if actor == "cat"
                else [
                    "approve",
                    str(sid),
                    "--as",
                    actor,
                ]
            )
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(ROOT / "cli.py"), *verb],
                    env=env,
                    cwd=tmp_path,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
    results = [(p, p.communicate(timeout=120)[1]) for p in procs]  # every pipe closed
    for p, err in results:
        assert p.returncode in (0, 1), err  # a refusal under the race is fine; a crash is not
        assert "Traceback" not in err and "locked" not in err, err
        if p.returncode == 1:
            assert err.startswith("error: ") and err.count("\n") == 1, err
    check_consistency(store, ids)
    store.close()


WORKER = """
import sys
from engine.compiler import load_engine
from engine.store import Store
from engine.workflow import Workflow
wf = Workflow(load_engine(sys.argv[1]), Store(sys.argv[2]))
i = 0
while True:
    i += 1
    sub = wf.submit("bob", "facebook/page", f"The outage {i} is over.")
    print("submitted", sub.id, flush=True)
    wf.approve(sub.id, "eve")
    print("approved", sub.id, flush=True)
"""


def test_sigkill_mid_burst_loses_nothing_that_returned(db_url, tmp_path):
    Store.create(db_url).close()  # schema in place before the burst
    errlog = tmp_path / "worker.err"
    acknowledged: list[tuple[str, int]] = []
    with (
        errlog.open("w") as err_file,
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(POLICY), db_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err_file,
            text=True,
        ) as proc,
    ):
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            verb, sid = line.split()
            acknowledged.append((verb, int(sid)))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert len(acknowledged) >= 40, errlog.read_text()

    store = Store.create(db_url)
    wf = Workflow(load_engine(str(POLICY)), store)
    for verb, sid in acknowledged:
        sub = wf.get(sid)  # present
        if verb == "approved":
            assert [v.actor for v in sub.verdicts] == ["eve"]
    assert AuditLog(store).verify().ok
    store.close()


def test_writer_waits_instead_of_failing_when_sqlite_is_busy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    store = Store.create(url)
    wf = Workflow(load_engine(str(POLICY)), store)
    other = Store(url)
    released = threading.Event()

    def hold_lock():
        with other.write():
            time.sleep(1.0)
        released.set()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    time.sleep(0.1)
    sub = wf.submit("ann", "twitter/help", "hello")  # waits for the lock, then succeeds
    holder.join()
    assert released.is_set() and sub.id == 1
    store.close()
    other.close()


def test_a_delegate_its_delegator_and_the_author_acting_at_once(db_url):
    """fay and dan (acting for fay) approve, eve approves, bob withdraws, all at once:
    fay counts once, a withdrawn post is never published, one outcome each."""
    store = Store.create(db_url)
    engine = load_engine(str(POLICY))
    wf = Workflow(engine, store)
    wf.delegate("fay", "dan", datetime.now(UTC) + timedelta(days=30))
    ids = [wf.submit("bob", "facebook/page", f"The outage {i} is over.").id for i in range(10)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def act(who: str) -> None:
        mine = Workflow(engine, store)
        barrier.wait()
        for sid in ids:
            try:
                if who == "bob":
                    if sid % 2:
                        mine.withdraw(sid, "bob")
                else:
                    mine.approve(sid, who)
            except WorkflowError:
                pass  # refused: fay already counted, or no longer pending
            except BaseException as err:  # anything else is a bug
                errors.append(err)

    threads = [threading.Thread(target=act, args=(who,)) for who in ("fay", "dan", "eve", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check_consistency(store, ids)
    log = AuditLog(store)
    for sid in ids:
        sub = wf.get(sid)
        events = Counter(e.event for e in log.events(submission=sid))
        approvals = [v for v in wf.record(sid).verdicts if v.verdict == "approve"]
        assert [v.on_behalf_of or v.actor for v in approvals].count("fay") <= 1
        if sub.status is Status.WITHDRAWN:
            assert events["published"] == 0 and events["withdrawn"] == 1
        if sub.status is Status.PUBLISHED:
            assert events["withdrawn"] == 0
            assert {v.on_behalf_of or v.actor for v in approvals} == {"eve", "fay"}
        if sid % 2 == 0:
            assert sub.status is Status.PUBLISHED
    store.close()
