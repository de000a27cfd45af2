"""JSON API `/api/v1`: tokens, the same authorization as the pages, JSON 4xx errors, OpenAPI."""

from __future__ import annotations

import json
import re

import pytest

from engine import accounts
from tests.webhelpers import CLOSURE, WebClient

CHECK = {"channel": "facebook/nmtw", "text": CLOSURE}


def assert_error(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.headers["Content-Type"]
    assert set(response.json) == {"error"} and response.json["error"]
    return response.json["error"]


def test_check_answers_for_the_caller(client, token_for):
    response = client.post("/api/v1/check", json=CHECK, headers=token_for("dana"))
    assert response.status_code == 200
    data = response.json
    assert data["decision"] == "needs_signoff"
    assert data["post"]["author"] == "dana"
    assert data["requirements"][0]["signoff"] == ["group:member-services"]
    assert data["topics"][0]["spans"][0]["text"] == "close your account"
    assert "trace" not in data


def test_only_admins_check_for_another_author(client, token_for):
    other = dict(CHECK, author="tess")
    assert_error(client.post("/api/v1/check", json=other, headers=token_for("dana")), 403)
    response = client.post("/api/v1/check", json=other, headers=token_for("adam"))
    assert response.status_code == 200 and response.json["post"]["author"] == "tess"


def test_tokens_authenticate_and_revoked_ones_do_not(client, web_state):
    assert_error(client.post("/api/v1/check", json=CHECK), 401)
    assert_error(
        client.post("/api/v1/check", json=CHECK, headers={"Authorization": "Bearer nope"}), 401
    )
    assert_error(
        client.post("/api/v1/check", json=CHECK, headers={"Authorization": "Basic abc"}), 401
    )
    token = accounts.create_token(web_state.store, "dana")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/check", json=CHECK, headers=headers).status_code == 200
    [record] = accounts.tokens(web_state.store, "dana")
    accounts.revoke_token(web_state.store, record.id)
    response = client.post("/api/v1/check", json=CHECK, headers=headers)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "kwargs, status",
    [
        ({"data": "channel=x", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"json": []}, 400),
        ({"json": "text"}, 400),
        ({"json": {"text": "hi"}}, 400),
        ({"json": {"channel": "facebook/nmtw"}}, 400),
        ({"json": dict(CHECK, kind="story")}, 400),
        ({"json": dict(CHECK, text=7)}, 400),
        ({"json": dict(CHECK, text="   ")}, 400),
        ({"json": dict(CHECK, extra=1)}, 400),
        ({"json": dict(CHECK, text="a\x00b")}, 400),
        ({"data": '{"channel": "c", "text": "\\ud800"}', "content_type": "application/json"}, 400),
        ({"data": "x" * (1024 * 1024 + 1), "content_type": "application/json"}, 413),
    ],
)
def test_bad_bodies_are_json_4xx(client, token_for, kwargs, status):
    response = client.post("/api/v1/check", headers=token_for("dana"), **kwargs)
    assert_error(response, status)


def test_unknown_routes_and_methods_are_json(client, token_for):
    headers = token_for("dana")
    assert_error(client.get("/api/v1/nope", headers=headers), 404)
    assert_error(client.get("/api/v1/check", headers=headers), 405)
    assert_error(client.get("/api/v1/submissions/abc", headers=headers), 404)
    assert_error(client.get("/api/v1/submissions/999", headers=headers), 404)


def test_submit_list_and_get(client, token_for):
    dana, audrey = token_for("dana"), token_for("audrey")
    created = client.post("/api/v1/submissions", json=CHECK, headers=dana)
    assert created.status_code == 201
    sub = created.json
    assert (sub["author"], sub["status"], sub["revision"]) == ("dana", "pending", 1)
    client.post(
        "/api/v1/submissions",
        json={"channel": "twitter/nmtw_help", "kind": "reply", "text": "Happy to help"},
        headers=token_for("eli"),
    )
    mine = client.get("/api/v1/submissions", headers=dana).json
    assert mine["total"] == 1 and [s["id"] for s in mine["submissions"]] == [sub["id"]]
    assert_error(client.get("/api/v1/submissions?author=eli", headers=dana), 403)
    everyone = client.get("/api/v1/submissions", headers=audrey).json
    assert everyone["total"] == 2
    eli = client.get("/api/v1/submissions?author=eli&status=published", headers=audrey).json
    assert eli["total"] == 1  # an allowed reply is published at once
    assert client.get(f"/api/v1/submissions/{sub['id']}", headers=dana).json["id"] == sub["id"]
    hidden = client.get(f"/api/v1/submissions/{sub['id']}", headers=token_for("tess"))
    absent_id = sub["id"] + 1000
    absent = client.get(f"/api/v1/submissions/{absent_id}", headers=token_for("tess"))
    assert_error(hidden, 404)
    assert hidden.json["error"].replace(str(sub["id"]), "N") == absent.json["error"].replace(
        str(absent_id), "N"
    )
    for query in ("limit=0", "limit=abc", "offset=-1", "status=lost", "limit=100000"):
        assert_error(client.get(f"/api/v1/submissions?{query}", headers=dana), 400)


def test_submit_with_publish_time(client, token_for):
    body = dict(CHECK, publish_at="2099-05-04T09:30:00Z")
    assert (
        client.post("/api/v1/submissions", json=body, headers=token_for("dana"))
        .json["publish_at"]
        .startswith("2099-05-04T09:30:00")
    )
    body["publish_at"] = "tomorrow"
    assert_error(client.post("/api/v1/submissions", json=body, headers=token_for("dana")), 400)


def test_queue_approve_and_refusals(client, token_for, pending_sid):
    fran, dana = token_for("fran"), token_for("dana")
    queue = client.get("/api/v1/queue", headers=fran).json
    assert [s["id"] for s in queue] == [pending_sid]
    assert client.get("/api/v1/queue", headers=dana).json == []
    assert client.get("/api/v1/queue?offset=1", headers=fran).json == []
    assert_error(client.get("/api/v1/queue?limit=0", headers=fran), 400)
    message = assert_error(
        client.post(
            f"/api/v1/submissions/{pending_sid}/approve", json={"revision": 1}, headers=dana
        ),
        403,
    )
    assert "own post" in message
    approved = client.post(
        f"/api/v1/submissions/{pending_sid}/approve",
        json={"comment": "ok", "revision": 1},
        headers=fran,
    )
    assert approved.status_code == 200
    assert approved.json["status"] == "published"
    assert approved.json["approvals"][0]["actor"] == "fran"
    again = {"json": {"revision": 1}, "headers": fran}
    assert_error(client.post(f"/api/v1/submissions/{pending_sid}/approve", **again), 409)
    assert_error(client.post("/api/v1/submissions/999/approve", **again), 404)


def test_reject_revise_withdraw(client, token_for, web_state):
    fran, dana = token_for("fran"), token_for("dana")
    first = web_state.workflow.submit("dana", "facebook/nmtw", CLOSURE).id
    assert_error(client.post(f"/api/v1/submissions/{first}/reject", json={}, headers=fran), 400)
    rejected = client.post(
        f"/api/v1/submissions/{first}/reject", json={"reason": "No.", "revision": 1}, headers=fran
    )
    assert rejected.json["status"] == "rejected"
    second = web_state.workflow.submit("dana", "facebook/nmtw", CLOSURE).id
    assert_error(
        client.post(f"/api/v1/submissions/{second}/revise", json={"text": "x"}, headers=fran), 403
    )
    revised = client.post(
        f"/api/v1/submissions/{second}/revise", json={"text": CLOSURE + "!"}, headers=dana
    )
    assert revised.json["revision"] == 2 and revised.json["status"] == "pending"
    assert_error(client.post(f"/api/v1/submissions/{second}/withdraw", headers=fran), 403)
    withdrawn = client.post(f"/api/v1/submissions/{second}/withdraw", headers=dana)
    assert withdrawn.json["status"] == "withdrawn"
    assert_error(client.post(f"/api/v1/submissions/{second}/withdraw", headers=dana), 409)


def test_audit_export_for_auditors(client, token_for, pending_sid):
    audrey = token_for("audrey")
    jsonl = client.get(f"/api/v1/audit?submission={pending_sid}", headers=audrey)
    assert jsonl.mimetype == "application/x-ndjson"
    events = [json.loads(line) for line in jsonl.get_data(as_text=True).splitlines()]
    assert [e["event"] for e in events] == ["submitted", "decided"]
    csv_text = client.get("/api/v1/audit?format=csv&event=decided", headers=audrey)
    assert csv_text.mimetype == "text/csv"
    assert csv_text.get_data(as_text=True).count("\n") == 2
    assert_error(client.get("/api/v1/audit?format=xml", headers=audrey), 400)
    assert_error(client.get("/api/v1/audit?since=someday", headers=audrey), 400)
    assert_error(client.get("/api/v1/audit", headers=token_for("adam")), 403)


def test_session_needs_csrf_header_outside_demo(as_user):
    dana = as_user("dana")
    assert dana.get("/api/v1/queue").status_code == 200
    assert_error(dana.post("/api/v1/check", json=CHECK), 401)
    response = dana.post("/api/v1/check", json=CHECK, headers={"X-CSRFToken": dana.csrf()})
    assert response.status_code == 200


def test_session_works_in_demo_mode(make_app):
    client = WebClient(make_app(SAYSO_DEMO=True).test_client())
    client.form("/auth/login", {"user": "dana"})
    response = client.post("/api/v1/check", json=CHECK)
    assert response.status_code == 200 and response.json["post"]["author"] == "dana"


# ---- the OpenAPI document ---------------------------------------------------------------


def documented(app) -> set[tuple[str, str]]:
    doc = app.test_client().get("/api/v1/openapi.json").json
    return {(path, method.upper()) for path, item in doc["paths"].items() for method in item}


def served(app) -> set[tuple[str, str]]:
    return {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_openapi_lists_exactly_the_api_routes(app):
    assert documented(app) == served(app)


# ---- property-based: schemathesis generates requests from the document ---------------


def fuzz(app, headers, path, method, mode, examples):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    import tests.profiles

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=tests.profiles.examples(examples),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call_and_validate(headers=headers, checks=checks)
        assert response.status_code < 500

    run()


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_schemathesis_check_endpoint(app, token_for, mode):
    from schemathesis import GenerationMode

    fuzz(app, token_for("dana"), "/api/v1/check", "POST", GenerationMode(mode), 150)


@pytest.mark.parametrize(
    "path, method",
    [
        ("/api/v1/submissions", "POST"),
        ("/api/v1/submissions", "GET"),
        ("/api/v1/submissions/{sid}", "GET"),
        ("/api/v1/submissions/{sid}/approve", "POST"),
        ("/api/v1/submissions/{sid}/reject", "POST"),
        ("/api/v1/submissions/{sid}/revise", "POST"),
        ("/api/v1/audit", "GET"),
    ],
)
def test_schemathesis_other_endpoints(app, token_for, pending_sid, path, method):
    from schemathesis import GenerationMode

    for mode in GenerationMode:
        fuzz(app, token_for("audrey"), path, method, mode, 30)
