"""Every route of the app, for every role, answers with the expected status code.

The table lists each (endpoint, method) once; a test checks it matches `app.url_map`
exactly, so a new route cannot be added without saying who may use it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.webhelpers import CLOSURE, PASSWORD, WebClient

ROLES = {
    "anonymous": None,
    "author": "dana",
    "approver": "fran",
    "auditor": "audrey",
    "admin": "adam",
    "outsider": "tess",
}


def everyone(anonymous: int, signed_in: int, **overrides: int) -> dict[str, int]:
    table = {role: signed_in for role in ROLES}
    table["anonymous"] = anonymous
    table.update(overrides)
    return table


def only(role: str, anonymous: int = 302, others: int = 403, ok: int = 200) -> dict[str, int]:
    return everyone(anonymous, others, **{role: ok})


# Through the API, someone who may not see a submission is told it does not exist (404).
API_OWN_ONLY = everyone(401, 403, author=200, outsider=404)

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("index", "GET"): everyone(302, 302),
    ("static", "GET"): everyone(200, 200),
    ("auth.login", "GET"): everyone(200, 200),
    ("auth.login", "POST"): everyone(302, 302),
    ("auth.logout", "POST"): everyone(302, 302),
    ("posts.compose", "GET"): everyone(302, 200),
    ("posts.compose", "POST"): everyone(302, 302),
    ("posts.mine", "GET"): everyone(302, 200),
    ("posts.revise", "GET"): everyone(302, 403, author=200),
    ("posts.revise", "POST"): everyone(302, 403, author=302),
    ("posts.withdraw", "POST"): everyone(302, 403, author=302),
    ("approvals.queue", "GET"): everyone(302, 200),
    ("approvals.detail", "GET"): everyone(302, 200, outsider=403),
    ("approvals.approve", "POST"): everyone(302, 302, outsider=403),
    ("approvals.reject", "POST"): everyone(302, 302, outsider=403),
    ("approvals.delegations", "GET"): everyone(302, 200),
    ("approvals.delegations", "POST"): everyone(302, 302),
    ("approvals.revoke", "POST"): everyone(302, 302),
    ("inbox.index", "GET"): everyone(302, 200),
    ("inbox.detail", "GET"): everyone(302, 403, auditor=200, admin=200),
    ("inbox.reply", "POST"): everyone(302, 403),  # the policy routes messages to nobody
    ("inbox.close", "POST"): everyone(302, 403),
    ("audit.log", "GET"): only("auditor"),
    ("audit.export", "GET"): only("auditor"),
    ("audit.verify", "GET"): only("auditor"),
    ("audit.record", "GET"): only("auditor"),
    ("policy.show", "GET"): only("admin"),
    ("policy.replay", "GET"): only("admin"),
    ("policy.replay", "POST"): only("admin"),
    ("policy.dashboard", "GET"): only("admin"),
    ("api.openapi", "GET"): everyone(200, 200),
    ("api.check", "POST"): everyone(401, 200),
    ("api.submit", "POST"): everyone(401, 201),
    ("api.submissions", "GET"): everyone(401, 200),
    ("api.submission", "GET"): everyone(401, 200, outsider=404),
    ("api.approve", "POST"): everyone(401, 403, approver=200, outsider=404),
    ("api.reject", "POST"): everyone(401, 403, approver=200, outsider=404),
    ("api.withdraw", "POST"): API_OWN_ONLY,
    ("api.revise", "POST"): API_OWN_ONLY,
    ("api.queue", "GET"): everyone(401, 200),
    ("api.audit_export", "GET"): everyone(401, 403, auditor=200),
    ("api.inbound.deliver", "POST"): everyone(401, 403),  # nobody has the integrations role
    ("api.inbound.listing", "GET"): everyone(401, 200),
    ("api.inbound.one", "GET"): everyone(401, 404, auditor=200, admin=200),
    ("api.inbound.close", "POST"): everyone(401, 404, auditor=403, admin=403),  # owned by nobody
}

FORM_DATA = {
    "auth.login": {"user": "dana", "password": PASSWORD},
    "posts.compose": {"channel": "facebook/nmtw", "kind": "post", "text": "Hello members"},
    "posts.revise": {"text": CLOSURE + " Revised."},
    "approvals.approve": {"comment": "fine", "revision": "1"},
    "approvals.reject": {"reason": "Not like this.", "revision": "1"},
    "approvals.delegations": {"to_user": "eli", "until": "2099-01-01T00:00"},
    "inbox.reply": {"text": "Thanks for asking!"},
    "inbox.close": {"reason": "spam"},
}
JSON_DATA = {
    "api.check": {"channel": "facebook/nmtw", "text": "Hello members"},
    "api.submit": {"channel": "facebook/nmtw", "text": "Hello members"},
    "api.approve": {"revision": 1},
    "api.reject": {"reason": "Not like this.", "revision": 1},
    "api.revise": {"text": CLOSURE + " Revised."},
    "api.inbound.deliver": {"channel": "facebook/nmtw", "from": "@amy", "text": "Hello"},
    "api.inbound.close": {"reason": "spam"},
}


def routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_the_table_lists_every_route_and_only_routes(app):
    assert routes(app) == set(EXPECTED)


def url_for_rule(app, rule, state, policy_dir) -> str:
    now = datetime.now(UTC)
    values = {}
    for arg in rule.arguments:
        if arg == "sid":
            values[arg] = state.workflow.submit("dana", "facebook/nmtw", CLOSURE).id
        elif arg == "did":
            values[arg] = state.workflow.delegate("fran", "eli", now + timedelta(days=1)).id
        elif arg == "fmt":
            values[arg] = "jsonl"
        elif arg == "item_id":
            from engine.inbound.items import Message

            message = Message("facebook/nmtw", "@amy", "Are you open today?")
            values[arg] = state.workflow.inbound.receive(message).id
        elif arg == "filename":
            values[arg] = "sayso.css"
        else:  # pragma: no cover - a new kind of argument needs a value here
            raise AssertionError(f"no value for <{arg}> in {rule}")
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def test_every_route_for_every_role(app, web_state, web_policy, token_for):
    clients = {}
    for role, user in ROLES.items():
        client = WebClient(app.test_client())
        clients[role] = client.login(user) if user else client
    tokens = {role: token_for(user) if user else {} for role, user in ROLES.items()}
    form_data = dict(FORM_DATA, **{"policy.replay": {"path": str(web_policy)}})

    wrong = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role, user in ROLES.items():
                url = url_for_rule(app, rule, web_state, web_policy)
                client = clients[role]
                if rule.endpoint.startswith("api."):
                    kwargs = {"headers": tokens[role]}
                    if method == "POST":
                        kwargs["json"] = JSON_DATA.get(rule.endpoint, {})
                    response = client.open(url, method=method, **kwargs)
                elif method == "POST":
                    response = client.form(url, form_data.get(rule.endpoint, {}))
                else:
                    response = client.get(url)
                expected = EXPECTED[(rule.endpoint, method)][role]
                if response.status_code != expected:
                    wrong.append(f"{method} {url} as {role}: {response.status_code} != {expected}")
                response.close()
                if rule.endpoint.startswith("auth.") and method == "POST":
                    clients[role] = WebClient(app.test_client())
                    if user:
                        clients[role].login(user)
    assert not wrong, "\n".join(wrong)
