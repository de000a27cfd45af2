"""Separation of duties under delegation: requirements count distinct people.

Attacks through the CLI and the Workflow API: one person approving twice through
delegations, an outsider holding two delegations, delegations used on one's own post,
and a property test over random delegation graphs and approval sequences.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import cli
from engine import duties
from engine.compiler import load_engine
from engine.errors import WorkflowError
from engine.model import Status
from engine.store import Store
from engine.workflow import Workflow

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
CRISIS = "The outage is over."  # topic crisis: two approvals from group:legal (ann, eve, fay)


def at(hours: float = 0) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def wf(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = Store.create(f"sqlite:///{tmp_path / 'sayso.db'}")
    yield Workflow(load_engine(str(POLICY)), store)
    store.close()


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'sayso.db'}"

    def invoke(*args: str):
        return runner.invoke(cli, ["--policy", str(POLICY), "--db", db, *args])

    return invoke


# ---- the CLI, as the issue reports it ---------------------------------------------------


def test_cli_delegate_then_approve_twice_gives_one_approval(run):
    sub = json.loads(
        run(
            "submit", "--author", "bob", "--channel", "twitter/help", "--text", CRISIS, "--json"
        ).output
    )
    assert sub["status"] == "pending"
    assert run("delegate", "--from", "fay", "--to", "eve", "--until", "2099-01-01T00:00:00Z")
    first = run("approve", str(sub["id"]), "--as", "eve", "--json")
    assert first.exit_code == 0, first.output
    second = run("approve", str(sub["id"]), "--as", "eve", "--json")
    assert second.exit_code == 1
    assert "already approved" in second.output
    assert "Traceback" not in second.output
    shown = json.loads(run("show", str(sub["id"]), "--json").output)
    status = shown.get("status") or shown["submission"]["status"]
    assert status == "pending"


def test_cli_outsider_with_two_delegations_counts_once(run):
    sid = json.loads(
        run(
            "submit", "--author", "bob", "--channel", "twitter/help", "--text", CRISIS, "--json"
        ).output
    )["id"]
    for owner in ("eve", "fay"):
        result = run("delegate", "--from", owner, "--to", "zed", "--until", "2099-01-01T00:00:00Z")
        assert result.exit_code == 0, result.output
    assert run("approve", str(sid), "--as", "zed").exit_code == 0
    refused = run("approve", str(sid), "--as", "zed")
    assert refused.exit_code == 1 and "already approved" in refused.output
    queue = json.loads(run("queue", "--as", "zed", "--json").output)
    assert [s["id"] for s in queue] == []  # nothing more zed can add


# ---- the Workflow API ------------------------------------------------------------------


def test_one_person_with_own_eligibility_and_a_delegation_counts_once(wf):
    sub = wf.submit("bob", "twitter/help", CRISIS, now=at())
    wf.delegate("fay", "eve", at(8), now=at())
    wf.approve(sub.id, "eve", now=at(1))
    with pytest.raises(WorkflowError, match="already approved"):
        wf.approve(sub.id, "eve", now=at(1))
    after = wf.get(sub.id)
    assert after.status is Status.PENDING
    assert after.requirements[0].approved_by == ("eve",)
    assert [s.id for s in wf.queue("eve", now=at(1))] == []


def test_delegated_identity_is_used_up_by_the_delegate(wf):
    # zed approves as fay; fay cannot then count again, but eve (a second person) can.
    sub = wf.submit("bob", "twitter/help", CRISIS, now=at())
    wf.delegate("fay", "zed", at(8), now=at())
    wf.approve(sub.id, "zed", now=at(1))
    with pytest.raises(WorkflowError):
        wf.approve(sub.id, "fay", now=at(1))
    done = wf.approve(sub.id, "eve", now=at(2))
    assert done.status is Status.PUBLISHED
    assert set(done.requirements[0].approved_by) == {"fay", "eve"}


def test_delegate_cannot_use_a_delegation_on_their_own_post(wf):
    # eve (legal) writes on facebook; fay delegated to her: she still cannot sign off.
    sub = wf.submit("eve", "facebook/page", CRISIS, now=at())
    assert sub.status is Status.PENDING
    wf.delegate("fay", "eve", at(8), now=at())
    with pytest.raises(WorkflowError, match="own post"):
        wf.approve(sub.id, "eve", now=at(1))
    assert wf.queue("eve", now=at(1)) == []


def test_nobody_approves_for_the_author_through_a_delegation(wf):
    sub = wf.submit("ann", "twitter/help", CRISIS, now=at())  # ann is in legal herself
    wf.delegate("ann", "zed", at(8), now=at())
    with pytest.raises(WorkflowError, match="author"):
        wf.approve(sub.id, "zed", now=at(1))
    assert wf.queue("zed", now=at(1)) == []
    wf.delegate("eve", "zed", at(8), now=at())
    wf.approve(sub.id, "zed", now=at(1))  # as eve: allowed, one person
    assert wf.get(sub.id).requirements[0].approved_by == ("eve",)


def test_counted_ignores_repeated_people_and_identities():
    def covers(who, eligible):
        return who in eligible

    given_ = [
        duties.Approval("eve", "eve"),
        duties.Approval("eve", "fay"),  # same person again
        duties.Approval("zed", "eve"),  # same identity again
        duties.Approval("bob", "fay"),  # bob is the author
        duties.Approval("zed", "fay"),
    ]
    kept = duties.counted(given_, "bob", ["eve", "fay"], covers)
    assert [(a.actor, a.identity) for a in kept] == [("eve", "eve"), ("zed", "fay")]


# ---- property: random delegation graphs and approval sequences ----------------------------

PEOPLE = ["ann", "bob", "cat", "eve", "fay", "zed"]
TEXTS = {
    CRISIS: {"crisis": (2, {"ann", "eve", "fay"})},
    "Outage and closure.": {
        "crisis": (2, {"ann", "eve", "fay"}),
        "closure": (1, {"ann", "bob", "cat"}),
    },
}
_runs = count()


@pytest.fixture(scope="module")
def shared_wf(tmp_path_factory):
    path = tmp_path_factory.mktemp("duties")
    store = Store.create(f"sqlite:///{path / 'sayso.db'}")
    engine = load_engine(str(POLICY))
    # publishing is not under test here: record approvals only
    yield Workflow(engine, store), path
    store.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    author=st.sampled_from(["ann", "bob"]),
    text=st.sampled_from(sorted(TEXTS)),
    edges=st.lists(
        st.tuples(st.sampled_from(PEOPLE), st.sampled_from(PEOPLE)), min_size=1, max_size=6
    ),
    actions=st.lists(st.sampled_from(PEOPLE), min_size=2, max_size=8),
)
def test_no_submission_is_approved_by_fewer_people_than_required(
    shared_wf, monkeypatch, author, text, edges, actions
):
    wf, path = shared_wf
    monkeypatch.chdir(path)
    base = at(24 * 10 * next(_runs))  # each example in its own window: older delegations ended
    sub = wf.submit(author, "twitter/help", text, now=base)
    for src, dst in edges:
        with contextlib.suppress(WorkflowError):  # self-delegation
            wf.delegate(src, dst, base + timedelta(hours=5), now=base)
    for actor in actions:
        with contextlib.suppress(WorkflowError):
            wf.approve(sub.id, actor, now=base + timedelta(hours=1))
    final = wf.get(sub.id)
    approvals = [v for v in final.verdicts if v.verdict == "approve"]
    for v in approvals:
        assert author not in (v.actor, v.on_behalf_of)
    if final.status in (Status.APPROVED, Status.PUBLISHED):
        for needed, eligible in TEXTS[text].values():
            people = {v.actor for v in approvals if (v.on_behalf_of or v.actor) in eligible}
            assert len(people) >= needed
    if len(TEXTS[text]) == 1:  # one requirement: each person approves at most once
        assert len({v.actor for v in approvals}) == len(approvals)
