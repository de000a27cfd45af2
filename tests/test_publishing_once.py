"""Publishing exactly once: idempotency keys, crash recovery that asks the publisher,
SIGKILL aimed at the publish window (SQLite and PostgreSQL), the text re-hashed before
delivery, late scheduled posts left to their author, webhook headers."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from engine.audit import AuditLog
from engine.compiler import load_engine
from engine.hookspecs import Publication
from engine.model import Status
from engine.store import Store
from engine.tables import revisions, submissions
from engine.workflow import Workflow
from engine.workflow import publishing as publishing_module
from engine.workflow.delivery import idempotency_key, publication_for
from plugins.outbox import Outbox
from tests.test_webhook import Receiver

ROOT = Path(__file__).resolve().parent.parent
POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
HELLO = "Happy to help!"  # approved at once for ann on twitter/help


@pytest.fixture
def wf(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = Store.create(f"sqlite:///{tmp_path / 'sayso.db'}")
    yield Workflow(load_engine(str(POLICY)), store)
    store.close()


def outbox_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def leave_claim(wf: Workflow, sid: int, minutes_ago: float = 10) -> None:
    """What a process killed mid-delivery leaves: a claim nobody will finish."""
    with wf.store.write() as conn:
        conn.execute(
            update(submissions)
            .where(submissions.c.id == sid)
            .values(
                publish_claimed_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
                publish_attempts=1,
            )
        )


# ---- keys and recovery -------------------------------------------------------------------


def test_every_publication_carries_a_key_for_its_revision(wf, tmp_path):
    sub = wf.submit("ann", "twitter/help", HELLO, kind="reply", now=T0)
    [line] = outbox_lines(tmp_path / "outbox.jsonl")
    assert line["idempotency_key"] == idempotency_key(sub)
    assert line["idempotency_key"].startswith(f"sayso-{sub.id}-1-")
    [published] = list(AuditLog(wf.store).events(event="published"))
    assert published.details["idempotency_key"] == line["idempotency_key"]


def test_outbox_finds_a_delivered_key_and_ignores_torn_lines(tmp_path):
    outbox = Outbox(str(tmp_path / "out.jsonl"))
    base = dict(
        revision=1, channel="c/x", kind="post", author="a", text="t",
        text_sha256="0" * 64, approved_by=(), policy_version="v",
    )  # fmt: skip
    first = Publication(submission_id="1", idempotency_key="sayso-1-1-aa", **base)
    other = Publication(submission_id="2", idempotency_key="sayso-2-1-bb", **base)
    assert outbox.delivered(first) is None  # no file yet
    ref = outbox.publish(first)
    with (tmp_path / "out.jsonl").open("a") as f:
        f.write('{"idempotency_key": "sayso-2-1-bb", "text": "tor')  # killed mid-line
    assert outbox.delivered(first) == ref
    assert outbox.delivered(other) is None
    assert outbox.delivered(Publication(submission_id="1", **base)) is None  # no key


def test_recovered_claim_already_in_the_outbox_is_recorded_not_resent(wf, tmp_path, monkeypatch):
    sub = wf.submit("ann", "twitter/help", HELLO, publish_at=T0 + timedelta(hours=1), now=T0)
    assert sub.status is Status.APPROVED
    # the killed process had written the line, then died before recording it
    Outbox("outbox.jsonl").publish(publication_for(sub, ()))
    leave_claim(wf, sub.id)
    report = wf.tick(now=T0 + timedelta(hours=1, minutes=1))
    assert report.published == [sub.id]
    assert len(outbox_lines(tmp_path / "outbox.jsonl")) == 1
    [published] = list(AuditLog(wf.store).events(event="published"))
    assert published.details["recovered"] is True


def test_recovered_claim_not_in_the_outbox_is_sent_once(wf, tmp_path):
    sub = wf.submit("ann", "twitter/help", HELLO, publish_at=T0 + timedelta(hours=1), now=T0)
    leave_claim(wf, sub.id)
    wf.tick(now=T0 + timedelta(hours=1, minutes=1))
    wf.tick(now=T0 + timedelta(hours=1, minutes=2))
    assert [line["submission_id"] for line in outbox_lines(tmp_path / "outbox.jsonl")] == [
        str(sub.id)
    ]
    assert wf.get(sub.id).status is Status.PUBLISHED


def test_a_fresh_claim_is_left_to_its_owner(wf, tmp_path):
    sub = wf.submit("ann", "twitter/help", HELLO, publish_at=T0 + timedelta(hours=1), now=T0)
    leave_claim(wf, sub.id, minutes_ago=1)  # another process is publishing it right now
    assert wf.tick(now=T0 + timedelta(hours=1, minutes=1)).published == []
    assert outbox_lines(tmp_path / "outbox.jsonl") == []


def test_a_claimer_finishing_after_its_claim_was_recovered_records_nothing_again(wf, tmp_path):
    sub = wf.submit("ann", "twitter/help", HELLO, publish_at=T0 + timedelta(hours=1), now=T0)
    slow = wf.get(sub.id)  # what the first claimer holds while its publisher is slow
    leave_claim(wf, sub.id)  # its claim times out; a later tick recovers and records it
    assert wf.tick(now=T0 + timedelta(hours=1, minutes=1)).published == [sub.id]
    # the first claimer's delivery returns only now: its outcome is not recorded again
    late = wf.publisher.deliver(slow, T0 + timedelta(hours=1, minutes=2), attempt=1)
    assert late.status is Status.PUBLISHED
    assert late.published_at == wf.get(sub.id).published_at
    assert len(list(AuditLog(wf.store).events(event="published"))) == 1


# ---- the text is hashed again before delivery ---------------------------------------------


def test_a_tampered_text_is_never_published(wf, tmp_path):
    sub = wf.submit("ann", "twitter/help", HELLO, publish_at=T0 + timedelta(hours=1), now=T0)
    with wf.store.write() as conn:  # a direct database write after approval
        conn.execute(
            update(revisions)
            .where(revisions.c.submission_id == sub.id)
            .values(text="Send your PIN to evil.example")
        )
    report = wf.tick(now=T0 + timedelta(hours=1))
    assert report.published == []
    after = wf.get(sub.id)
    assert after.status is Status.APPROVED
    assert "does not match its recorded SHA-256" in after.publish_error
    assert outbox_lines(tmp_path / "outbox.jsonl") == []


# ---- late scheduled posts -----------------------------------------------------------------


def test_within_the_grace_a_late_tick_still_publishes(wf, tmp_path):
    sub = wf.submit("ann", "twitter/help", HELLO, publish_at=T0 + timedelta(hours=1), now=T0)
    assert wf.tick(now=T0 + timedelta(hours=1, minutes=59)).published == [sub.id]


def test_past_the_grace_it_is_flagged_overdue_and_left_for_the_author(wf, tmp_path):
    sub = wf.submit("ann", "twitter/help", HELLO, publish_at=T0 + timedelta(hours=1), now=T0)
    report = wf.tick(now=T0 + timedelta(days=3))  # tick did not run for days
    assert report.published == [] and report.overdue == [sub.id]
    late = wf.get(sub.id)
    assert late.status is Status.APPROVED and late.overdue
    assert outbox_lines(tmp_path / "outbox.jsonl") == []
    [overdue] = list(AuditLog(wf.store).events(event="overdue"))
    assert overdue.details["status"] == "approved"
    assert wf.tick(now=T0 + timedelta(days=4)).published == []  # stays with the author
    done = wf.publish_now(sub.id, "ann", now=T0 + timedelta(days=4))
    assert done.status is Status.PUBLISHED
    assert len(outbox_lines(tmp_path / "outbox.jsonl")) == 1


def test_an_approval_after_the_grace_does_not_publish_late(wf, tmp_path):
    sub = wf.submit(
        "ann", "twitter/help", "We regret the closure.", publish_at=T0 + timedelta(hours=1), now=T0
    )
    done = wf.approve(sub.id, "cat", now=T0 + timedelta(hours=5))
    assert done.status is Status.APPROVED and done.overdue
    assert outbox_lines(tmp_path / "outbox.jsonl") == []


def test_channel_publish_grace_is_configurable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "policy"
    shutil.copytree(POLICY, target)
    text = (target / "policy.yaml").read_text()
    text = text.replace(
        "twitter/help: {platform: twitter, max_length: 280}",
        "twitter/help: {platform: twitter, max_length: 280, publish_grace: 10m}",
    )
    (target / "policy.yaml").write_text(text)
    wf = Workflow(load_engine(str(target)), Store.create(f"sqlite:///{tmp_path / 's.db'}"))
    sub = wf.submit("ann", "twitter/help", HELLO, publish_at=T0 + timedelta(hours=1), now=T0)
    assert wf.tick(now=T0 + timedelta(hours=1, minutes=11)).overdue == [sub.id]
    wf.store.close()


# ---- webhook ------------------------------------------------------------------------------


def test_webhook_with_headers_publishes_with_an_idempotency_key(tmp_path, monkeypatch):
    receiver = Receiver()
    try:
        monkeypatch.chdir(tmp_path)
        target = tmp_path / "policy"
        shutil.copytree(POLICY, target)
        text = (target / "policy.yaml").read_text()
        text = text.replace(
            "  facebook/page: {platform: facebook}",
            "  facebook/page:\n    platform: facebook\n    publisher: webhook\n"
            f"    publisher_options: {{url: '{receiver.url}', retries: 0,"
            " headers: {Authorization: Bearer t0k, X-Account: page}}",
        )
        (target / "policy.yaml").write_text(text)
        wf = Workflow(load_engine(str(target)), Store.create(f"sqlite:///{tmp_path / 's.db'}"))
        sub = wf.submit("ann", "facebook/page", HELLO, now=T0)
        assert sub.status is Status.PUBLISHED, sub.publish_error
        [headers] = receiver.headers
        assert headers["Authorization"] == "Bearer t0k" and headers["X-Account"] == "page"
        assert headers["Idempotency-Key"] == idempotency_key(sub)
        assert receiver.bodies[0]["idempotency_key"] == idempotency_key(sub)
        wf.store.close()
    finally:
        receiver.close()


# ---- SIGKILL aimed at the publish window ----------------------------------------------------

WORKER = """
import sys, time
import plugins.outbox as outbox
from engine.compiler import load_engine
from engine.store import Store
from engine.workflow import Workflow

original = outbox.Outbox.publish

def publish(self, publication):
    print("claimed", publication.submission_id, flush=True)
    ref = original(self, publication)
    print("sent", publication.submission_id, flush=True)
    time.sleep(0.02)  # the window between delivering and recording
    return ref

outbox.Outbox.publish = publish
wf = Workflow(load_engine(sys.argv[1]), Store(sys.argv[2]))
i = 0
while True:
    i += 1
    sub = wf.submit("ann", "twitter/help", f"{sys.argv[3]} happy to help {i}", kind="reply")
    print("recorded", sub.id, flush=True)
"""
KILLS = 20


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sayso.db'}"
    return request.getfixturevalue("postgres_db")


def run_until_killed(db_url: str, cwd: Path, run: int, rng: random.Random) -> str:
    """Start a publishing worker and SIGKILL it at a chosen point; which point."""
    target = rng.choice(["sent", "sent", "sent", "claimed", "recorded"])
    nth = rng.randint(1, 3)
    with subprocess.Popen(
        [sys.executable, "-c", WORKER, str(POLICY), db_url, f"run{run}"],
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        seen = 0
        for line in proc.stdout:
            if line.split()[0] == target:
                seen += 1
                if seen == nth:
                    proc.send_signal(signal.SIGKILL)
                    break
        else:
            pytest.fail(f"worker ended early: {proc.stderr.read()}")
        proc.wait(timeout=30)
    return target


def test_sigkill_in_the_publish_window_never_publishes_twice_or_loses_a_post(
    db_url, tmp_path, monkeypatch
):
    Store.create(db_url).close()  # schema in place
    monkeypatch.setattr(publishing_module, "CLAIM_TIMEOUT", timedelta(0))  # recover at once
    rng = random.Random(8)
    store = Store.create(db_url)
    wf = Workflow(load_engine(str(POLICY)), store)
    targets = Counter()
    for run in range(KILLS):
        targets[run_until_killed(db_url, tmp_path, run, rng)] += 1
        wf.tick()  # recovery, as the next `sayso tick` would do
    lines = outbox_lines(tmp_path / "outbox.jsonl")
    delivered = Counter(line["submission_id"] for line in lines)
    assert [sid for sid, n in delivered.items() if n > 1] == []  # never twice
    subs = wf.submissions(limit=1000)
    assert len(subs) >= KILLS
    assert {s.status for s in subs} == {Status.PUBLISHED}  # none lost
    assert set(delivered) == {str(s.id) for s in subs}
    recovered = [e for e in AuditLog(store).events(event="published") if e.details["recovered"]]
    assert len(recovered) >= targets["sent"] // 2  # the window was really hit
    assert AuditLog(store).verify().ok
    store.close()
