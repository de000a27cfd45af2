"""Approvals bind to the revision the approver saw: CLI `--revision`, API `revision`,
the form's hidden field. The race: the approver opens revision 1, the author revises,
the approver presses Approve: nothing is approved."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine.audit import AuditLog
from engine.errors import StaleRevision
from tests.webhelpers import CLOSURE

POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"
TEXT = "We regret the closure."  # topic closure: one approval from member-services (cat)


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'sayso.db'}"

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--policy", str(POLICY), "--db", db, *args])

    return invoke


def revised_submission(run) -> str:
    out = run("submit", "--author", "ann", "--channel", "twitter/help", "--text", TEXT, "--json")
    sid = str(json.loads(out.output)["id"])
    result = run("revise", sid, "--as", "ann", "--text", TEXT + " Sorry.", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["revision"] == 2
    return sid


def status(run, sid: str) -> str:
    data = json.loads(run("show", sid, "--json").output)
    return data.get("status") or data["submission"]["status"]


# ---- CLI ----------------------------------------------------------------------------------


def test_cli_approving_an_old_revision_is_refused(run):
    sid = revised_submission(run)
    stale = run("approve", sid, "--as", "cat", "--revision", "1")
    assert stale.exit_code == 1
    assert "revised since you opened it" in stale.output
    assert "Traceback" not in stale.output
    assert status(run, sid) == "pending"
    done = run("approve", sid, "--as", "cat", "--revision", "2", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["status"] == "published"


def test_cli_rejecting_an_old_revision_is_refused(run):
    sid = revised_submission(run)
    stale = run("reject", sid, "--as", "cat", "--reason", "no", "--revision", "1")
    assert stale.exit_code == 1 and "revised since you opened it" in stale.output
    assert status(run, sid) == "pending"
    assert run("reject", sid, "--as", "cat", "--reason", "no", "--revision", "2").exit_code == 0
    assert status(run, sid) == "rejected"


def test_cli_without_revision_acts_on_the_current_one(run):
    sid = revised_submission(run)
    done = run("approve", sid, "--as", "cat", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["approvals"][0]["revision"] == 2


@pytest.mark.parametrize("bad", ["0", "-1", "two", "3.0", ""])
def test_cli_bad_revision_is_a_usage_error(run, bad):
    sid = revised_submission(run)
    result = run("approve", sid, "--as", "cat", "--revision", bad)
    assert result.exit_code == 2  # a usage error, before anything is touched
    assert "Traceback" not in result.output and "--revision" in result.output
    assert status(run, sid) == "pending"


def test_cli_future_revision_is_refused(run):
    sid = revised_submission(run)
    result = run("approve", sid, "--as", "cat", "--revision", "3")
    assert result.exit_code == 1
    assert f"submission {sid} has no revision 3: the current one is revision 2" in result.output


def test_workflow_stale_approval_leaves_no_trace(tmp_path, monkeypatch):
    from engine.compiler import load_engine
    from engine.store import Store
    from engine.workflow import Workflow

    monkeypatch.chdir(tmp_path)
    wf = Workflow(load_engine(str(POLICY)), Store.create(f"sqlite:///{tmp_path / 's.db'}"))
    sub = wf.submit("ann", "twitter/help", TEXT)
    wf.revise(sub.id, "ann", TEXT + " Sorry.")
    with pytest.raises(StaleRevision):
        wf.approve(sub.id, "cat", revision=1)
    assert wf.record(sub.id).verdicts == ()
    assert list(AuditLog(wf.store).events(event="approved")) == []
    wf.store.close()


@pytest.mark.parametrize("bad", [0, -1, True, "1"])
def test_workflow_refuses_a_revision_that_is_not_a_whole_number_from_1(tmp_path, monkeypatch, bad):
    from engine.compiler import load_engine
    from engine.errors import SaysoError
    from engine.store import Store
    from engine.workflow import Workflow

    monkeypatch.chdir(tmp_path)
    wf = Workflow(load_engine(str(POLICY)), Store.create(f"sqlite:///{tmp_path / 's.db'}"))
    sub = wf.submit("ann", "twitter/help", TEXT)
    with pytest.raises(SaysoError, match="a revision is a whole number from 1"):
        wf.approve(sub.id, "cat", revision=bad)
    with pytest.raises(SaysoError, match="a revision is a whole number from 1"):
        wf.reject(sub.id, "cat", "no", revision=bad)
    assert wf.record(sub.id).verdicts == ()
    wf.store.close()


# ---- JSON API -----------------------------------------------------------------------------


def api_approve(client, sid, headers, body):
    return client.post(f"/api/v1/submissions/{sid}/approve", json=body, headers=headers)


def test_api_requires_the_revision(client, token_for, pending_sid, web_state):
    fran = token_for("fran")
    for body in ({}, {"comment": "ok"}, {"revision": "1"}, {"revision": True}, {"revision": 0}):
        response = api_approve(client, pending_sid, fran, body)
        assert response.status_code == 400, body
        assert "revision" in response.json["error"]
    reject = client.post(
        f"/api/v1/submissions/{pending_sid}/reject", json={"reason": "no"}, headers=fran
    )
    assert reject.status_code == 400 and "revision" in reject.json["error"]
    assert web_state.workflow.get(pending_sid).status.value == "pending"


def test_api_stale_revision_is_409(client, token_for, pending_sid, web_state):
    fran = token_for("fran")
    web_state.workflow.revise(pending_sid, "dana", CLOSURE + " Call us.")
    stale = api_approve(client, pending_sid, fran, {"revision": 1})
    assert stale.status_code == 409
    assert "revised since you opened it" in stale.json["error"]
    assert stale.json["current_revision"] == 2
    rejected = client.post(
        f"/api/v1/submissions/{pending_sid}/reject",
        json={"reason": "no", "revision": 1},
        headers=fran,
    )
    assert rejected.status_code == 409
    assert web_state.workflow.get(pending_sid).status.value == "pending"
    done = api_approve(client, pending_sid, fran, {"revision": 2})
    assert done.status_code == 200 and done.json["status"] == "published"


def test_openapi_documents_the_revision(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    for name in ("ApproveRequest", "RejectRequest"):
        assert "revision" in schemas[name]["required"]
        assert schemas[name]["properties"]["revision"]["type"] == "integer"


# ---- the form -----------------------------------------------------------------------------


def test_form_race_approver_opens_rev1_author_revises_approver_presses_approve(
    as_user, pending_sid, web_state
):
    fran = as_user("fran")
    page = fran.get(f"/submissions/{pending_sid}").get_data(as_text=True)
    form = re.search(r'<form[^>]*id="approve-form".*?</form>', page, re.S).group(0)
    shown = re.search(r'name="revision" value="(\d+)"', form).group(1)
    assert shown == "1" and "revision 1" in form
    web_state.workflow.revise(pending_sid, "dana", CLOSURE + " Call us.")  # meanwhile
    after = fran.form(
        f"/submissions/{pending_sid}/approve", {"revision": shown}, follow_redirects=True
    )
    text = after.get_data(as_text=True)
    assert "revised since you opened it" in text
    sub = web_state.workflow.get(pending_sid)
    assert sub.status.value == "pending" and sub.verdicts == ()
    fresh = re.search(r'name="revision" value="(\d+)"', text).group(1)
    assert fresh == "2"  # the page now offers the new revision
    fran.form(f"/submissions/{pending_sid}/approve", {"revision": fresh})
    assert web_state.workflow.get(pending_sid).status.value == "published"


def test_form_without_revision_does_not_approve(as_user, pending_sid, web_state):
    page = as_user("fran").form(f"/submissions/{pending_sid}/approve", follow_redirects=True)
    assert "which revision" in page.get_data(as_text=True)
    assert web_state.workflow.get(pending_sid).status.value == "pending"


def test_stale_reject_form_does_not_reject(as_user, pending_sid, web_state):
    web_state.workflow.revise(pending_sid, "dana", CLOSURE + " Call us.")
    page = as_user("fran").form(
        f"/submissions/{pending_sid}/reject",
        {"reason": "tone", "revision": "1"},
        follow_redirects=True,
    )
    assert "revised since you opened it" in page.get_data(as_text=True)
    assert web_state.workflow.get(pending_sid).status.value == "pending"
