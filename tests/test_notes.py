"""Reasons and comments the engine stores (reject, approve, retire, close) are checked
by the engine itself, whatever front end called it: a NUL or a lone surrogate would
break PostgreSQL or the hash of the event, so it is refused and nothing is stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.audit import AuditLog
from engine.compiler import load_engine
from engine.errors import SaysoError
from engine.inbound.items import Message
from engine.records import retire
from engine.store import Store
from engine.workflow import Workflow

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
BAD = ["spam\x00", "a\ud800b", "x" * 2001]


@pytest.fixture
def workflow(tmp_path):
    store = Store.create(f"sqlite:///{tmp_path / 'sayso.db'}")
    yield lambda name: Workflow(load_engine(str(FIXTURES / name)), store)
    store.close()


@pytest.mark.parametrize("bad", BAD)
def test_reject_reason_and_approve_comment(workflow, bad):
    wf = workflow("workflow")
    sub = wf.submit("bob", "facebook/page", "The outage is over.", now=T0)
    before = AuditLog(wf.store).count()
    with pytest.raises(SaysoError, match="the reason"):
        wf.reject(sub.id, "eve", bad, now=T0)
    with pytest.raises(SaysoError, match="the comment"):
        wf.approve(sub.id, "eve", comment=bad, now=T0)
    assert AuditLog(wf.store).count() == before
    assert wf.get(sub.id).status.value == "pending"


@pytest.mark.parametrize("bad", BAD)
def test_retire_reason(workflow, bad):
    wf = workflow("workflow")
    sub = wf.submit("bob", "facebook/page", "Open on Saturday.", now=T0)
    assert sub.status.value == "published"
    before = AuditLog(wf.store).count()
    with pytest.raises(SaysoError, match="the reason"):
        retire(wf, sub.id, "bob", reason=bad, now=T0)
    assert AuditLog(wf.store).count() == before


@pytest.mark.parametrize("bad", BAD)
def test_close_reason(workflow, bad):
    wf = workflow("inbound")
    item = wf.inbound.receive(Message("twitter/help", "@joe", "A complaint"), now=T0)
    with pytest.raises(SaysoError, match="the reason"):
        wf.inbound.close(item.id, "ann", bad, now=T0)
    assert wf.inbound.get(item.id).status.value == "open"
