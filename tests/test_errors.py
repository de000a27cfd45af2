"""Typed workflow errors, and the one table each that maps them to exit codes and statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

import cli
from commands.options import BadInput
from engine.compiler import load_engine
from engine.errors import (
    NotAuthor,
    NotEligible,
    NotFound,
    PolicyError,
    SaysoError,
    WorkflowError,
    WrongState,
)
from engine.store import Store
from engine.workflow import Workflow
from tests.webhelpers import CLOSURE
from web.errors import STATUSES, status_for

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"


@pytest.fixture
def wf(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = Store.create(f"sqlite:///{tmp_path / 'sayso.db'}")
    yield Workflow(load_engine(str(POLICY)), store)
    store.close()


def test_every_refusal_has_its_type(wf):
    sub = wf.submit("ann", "twitter/help", "We regret the closure.")
    with pytest.raises(NotEligible, match="own post"):
        wf.approve(sub.id, "ann")
    with pytest.raises(NotEligible, match="may not act"):
        wf.approve(sub.id, "zed")
    with pytest.raises(NotAuthor, match=r"only the author \(ann\) may revise"):
        wf.revise(sub.id, "cat", "Changed.")
    with pytest.raises(NotAuthor, match="may withdraw"):
        wf.withdraw(sub.id, "cat")
    with pytest.raises(NotFound, match="no submission 999"):
        wf.approve(999, "cat")
    with pytest.raises(NotFound, match="unknown approver"):
        wf.approve(sub.id, "mallory")
    wf.approve(sub.id, "cat")
    with pytest.raises(WrongState, match="not pending"):
        wf.approve(sub.id, "dan")
    with pytest.raises(WrongState, match="cannot be withdrawn"):
        wf.withdraw(sub.id, "ann")
    with pytest.raises(WrongState, match="no failed publication"):
        wf.retry_publication(sub.id, "ann")


@pytest.mark.parametrize("kind", [NotAuthor, NotEligible, NotFound, WrongState])
def test_typed_errors_are_workflow_errors_with_one_exit_code_and_status(kind):
    err = kind("refused")
    assert isinstance(err, WorkflowError) and isinstance(err, SaysoError)
    assert cli.exit_code(err) == 1  # SPEC: a refused workflow action exits 1
    assert status_for(err) == {NotAuthor: 403, NotEligible: 403, NotFound: 404}.get(kind, 409)


def test_tables_put_specific_types_before_their_bases():
    for table in (cli.EXIT_CODES, STATUSES):
        kinds = [kind for kind, _ in table]
        for i, kind in enumerate(kinds):
            assert not any(issubclass(kind, earlier) for earlier in kinds[:i]), kind
        assert kinds[-1] is SaysoError  # every error a person can cause has an answer
    assert cli.exit_code(BadInput("x")) == 2
    assert status_for(PolicyError([])) == 400


def test_api_statuses_come_from_the_error_not_the_submission_state(client, token_for, web_state):
    """A non-author withdrawing an approved post is 403 (not the author), not 409."""
    fran, dana = token_for("fran"), token_for("dana")
    sid = web_state.workflow.submit("dana", "facebook/nmtw", CLOSURE, publish_at=None).id
    web_state.workflow.approve(sid, "fran")
    refused = client.post(f"/api/v1/submissions/{sid}/withdraw", headers=fran)
    assert refused.status_code == 403 and "only the author (dana)" in refused.json["error"]
    again = client.post(f"/api/v1/submissions/{sid}/withdraw", headers=dana)
    assert again.status_code == 409 and "cannot be withdrawn" in again.json["error"]
