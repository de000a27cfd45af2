"""`/api/v1/inbound`: delivery by integrations (one or a batch), inboxes, one item, close."""

from __future__ import annotations

import json

import pytest

from tests.webhelpers import POLICY, write_policy

INBOUND = """\
inbound:
  routes:
    - {id: complaints, topics: [account-closure], channels: ["twitter/*"],
       owners: [group:support-leads], respond_within: 2h, escalation: complaint-chain}
  default: {owners: [group:support], respond_within: 8h}
"""
MESSAGE = {"channel": "twitter/nmtw_help", "from": "@joe", "text": "Please close my acct 1234567"}


@pytest.fixture
def web_policy(tmp_path):
    text = POLICY.replace(
        "  vp: {name: Val Park}\n", "  vp: {name: Val Park}\n  hook: {name: Hook}\n"
    )
    text += "  integrations: [user:hook]\n" + INBOUND
    return write_policy(tmp_path / "policy", text)


def error(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) == {"error"}
    return response.json["error"]


def deliver(client, token_for, body):
    return client.post("/api/v1/inbound", json=body, headers=token_for("hook"))


def test_one_message_is_stored_and_routed(client, token_for):
    response = deliver(client, token_for, dict(MESSAGE, message_id=42, name="Joe"))
    assert response.status_code == 201, response.json
    data = response.json
    assert (data["status"], data["route"], data["owners"]) == (
        "open",
        "complaints",
        ["group:support-leads"],
    )
    assert data["topics"] == ["account-closure"] and data["message_id"] == "42"
    again = deliver(client, token_for, dict(MESSAGE, message_id=42, text="changed"))
    assert again.status_code == 200 and again.json["duplicate"] and again.json["id"] == data["id"]
    assert again.json["text"] == MESSAGE["text"]


def test_only_integrations_may_deliver(client, token_for):
    assert "integrations role" in error(
        client.post("/api/v1/inbound", json=MESSAGE, headers=token_for("dana")), 403
    )
    error(client.post("/api/v1/inbound", json=MESSAGE), 401)


def test_a_batch_reports_each_message(client, token_for):
    batch = [
        dict(MESSAGE, message_id="a"),
        {"channel": "facebook/nmtw", "from": "@amy", "text": "Opening hours?"},
        {"channel": "nowhere/x", "from": "@b", "text": "hi"},
        dict(MESSAGE, message_id="a"),
    ]
    response = deliver(client, token_for, batch)
    assert response.status_code == 200
    data = response.json
    assert (data["added"], data["duplicate"], data["invalid"]) == (2, 1, 1)
    assert [("error" in r, r.get("duplicate")) for r in data["results"]] == [
        (False, False),
        (False, False),
        (True, None),
        (False, True),
    ]
    assert "unknown channel 'nowhere/x'" in data["results"][2]["error"]
    assert data["results"][1]["route"] == "default"


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "twitter/nmtw_help", "text": "no sender"},
        dict(MESSAGE, text="   "),
        dict(MESSAGE, colour="red"),
        dict(MESSAGE, at="yesterday"),
        [],
        "text",
        [MESSAGE] * 1001,
        dict(MESSAGE, text="a\x00b"),
    ],
)
def test_bad_deliveries_are_json_4xx(client, token_for, body):
    response = deliver(client, token_for, body)
    assert 400 <= response.status_code < 500
    assert set(response.json) == {"error"}


def test_inbox_one_item_and_close(client, token_for):
    item = deliver(client, token_for, MESSAGE).json
    fran = token_for("fran")
    listed = client.get("/api/v1/inbound", headers=fran).json
    assert listed["total"] == 1 and [i["id"] for i in listed["items"]] == [item["id"]]
    assert client.get("/api/v1/inbound", headers=token_for("dana")).json["items"] == []
    assert client.get(f"/api/v1/inbound/{item['id']}", headers=fran).json["status"] == "open"
    assert "no inbound item" in error(
        client.get(f"/api/v1/inbound/{item['id']}", headers=token_for("dana")), 404
    )
    error(client.get("/api/v1/inbound/999", headers=fran), 404)
    url = f"/api/v1/inbound/{item['id']}/close"
    error(client.post(url, json={"reason": "spam"}, headers=token_for("dana")), 404)
    error(client.post(url, json={"reason": "spam"}, headers=token_for("audrey")), 403)
    error(client.post(url, json={}, headers=fran), 400)
    closed = client.post(url, json={"reason": "spam"}, headers=fran)
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    error(client.post(url, json={"reason": "again"}, headers=fran), 409)
    audit = client.get("/api/v1/inbound?status=closed", headers=token_for("audrey")).json
    assert [i["id"] for i in audit["items"]] == [item["id"]]
    error(client.get("/api/v1/inbound?status=closed", headers=fran), 403)
    error(client.get("/api/v1/inbound?view=nope", headers=fran), 400)


@pytest.mark.parametrize("reason", ["spam\x00", "\ud800spam"])
def test_a_close_reason_that_cannot_be_stored_is_refused(client, token_for, web_state, reason):
    item = deliver(client, token_for, MESSAGE).json
    body = json.dumps({"reason": reason})  # a lone surrogate as the escape JSON allows
    response = client.post(
        f"/api/v1/inbound/{item['id']}/close",
        data=body,
        content_type="application/json",
        headers=token_for("fran"),
    )
    error(response, 400)
    assert web_state.workflow.inbound.get(item["id"]).status.value == "open"


def test_inbound_api_events_are_recorded_as_api(client, token_for, web_state):
    from engine.auditlog import AuditLog

    item = deliver(client, token_for, MESSAGE).json
    url = f"/api/v1/inbound/{item['id']}/close"
    assert client.post(url, json={"reason": "spam"}, headers=token_for("fran")).status_code == 200
    events = list(AuditLog(web_state.store).events())
    vias = {e.event: e.via for e in events if e.event.startswith("inbound.")}
    assert vias["inbound.received"] == "api" and vias["inbound.closed"] == "api"


def test_a_reply_through_the_web_workflow_answers_it(client, token_for, web_state):
    item = deliver(client, token_for, {**MESSAGE, "text": "Where is my card?"}).json
    sub = web_state.workflow.submit(
        "dana", "twitter/nmtw_help", "It is in the post.", in_reply_to=item["id"]
    )
    assert sub.status.value == "published"
    data = client.get(f"/api/v1/inbound/{item['id']}", headers=token_for("dana")).json
    assert data["status"] == "answered" and data["replies"][0]["id"] == sub.id


@pytest.mark.parametrize(
    "path, method",
    [
        ("/api/v1/inbound", "POST"),
        ("/api/v1/inbound", "GET"),
        ("/api/v1/inbound/{item_id}", "GET"),
        ("/api/v1/inbound/{item_id}/close", "POST"),
    ],
)
def test_schemathesis_inbound_endpoints(app, token_for, path, method):
    from schemathesis import GenerationMode

    from tests.test_web_api import fuzz

    user = "hook" if method == "POST" and path == "/api/v1/inbound" else "fran"
    for mode in GenerationMode:
        fuzz(app, token_for(user), path, method, mode, 30)
