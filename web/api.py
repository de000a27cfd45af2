"""JSON API `/api/v1`: the same actions and the same authorization as the pages.

Callers authenticate with `Authorization: Bearer TOKEN` (engine.accounts), or as
the pages do: a signed-in session or the trusted proxy header. Outside demo mode a
POST that is not bearer-authenticated must also send the page's CSRF token in
`X-CSRFToken`, since a browser attaches cookies to cross-site requests.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, request, stream_with_context
from flask_wtf.csrf import CSRFError, validate_csrf
from jsonschema import Draft7Validator
from wtforms.validators import ValidationError

from engine.auditlog import EXPORT_FORMATS
from engine.errors import SaysoError, StaleRevision
from engine.model import Kind, Post, Role, Status
from engine.posttext import check_post_text
from engine.times import parse_time

from . import access
from .access import may_view
from .auditview import audit_filters
from .auth import known, sayso
from .inbound_api import reply_target
from .openapi import DOCUMENT, SCHEMAS

bp = Blueprint("api", __name__, url_prefix="/api/v1")
VALIDATORS = {name: Draft7Validator(schema) for name, schema in SCHEMAS.items()}
PUBLIC = {"api.openapi"}


def bearer_user(header: str) -> str | None:
    from engine import accounts

    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return known(accounts.user_for_token(sayso().store, token.strip()))


def session_allowed() -> bool:
    """A cookie alone is enough only where cross-site requests cannot hurt."""
    from flask import current_app

    if current_app.config.get("SAYSO_DEMO") or request.method in ("GET", "HEAD"):
        return True
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except (ValidationError, CSRFError):
        return False
    return True


@bp.before_request
def authenticate() -> None:
    header = request.headers.get("Authorization")
    if header:
        g.user = bearer_user(header)
        g.via = "token" if g.user else None
    elif g.via in ("session", "header") and not session_allowed():
        # a browser sends the proxy's cookie or the session cookie cross-site too
        g.user = None
    if g.user is None and request.endpoint not in PUBLIC:
        abort(401, "authentication required: send Authorization: Bearer TOKEN")


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", "Bearer")
    return response


def json_body(schema: str, *, required: bool = True) -> Any:
    """The request's JSON body (an object, or an array where `schema` allows one),
    validated against the OpenAPI schema `schema`; an object's strings must be storable."""
    if not request.get_data(cache=True) and not required:
        return {}
    if not request.is_json:
        abort(415, "send a JSON body with Content-Type: application/json")
    data = request.get_json(silent=True)
    if data is None:
        abort(400, "the body is not valid JSON")
    errors = sorted(VALIDATORS[schema].iter_errors(data), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.path) or "body"
        detail = err.message if len(err.message) <= 200 else f"fails '{err.validator}'"
        abort(400, f"{where}: {detail}")
    for key, value in data.items() if isinstance(data, dict) else ():
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                abort(400, f"{key}: not valid Unicode text")
            if "\x00" in value:
                abort(400, f"{key}: contains a NUL character")
    return data


def query_int(name: str, default: int, low: int, high: int) -> int:
    try:
        return access.query_int(request.args, name, default, low, high)
    except SaysoError as err:
        abort(400, str(err))


def visible(sid: int):
    state = sayso()
    sub = state.workflow.get(sid)
    if not may_view(state, sub, g.user):
        # The same answer as for a submission that does not exist: no existence oracle.
        abort(404, f"no submission {sid}")
    return sub


@bp.get("/openapi.json")
def openapi():
    return jsonify(DOCUMENT)


@bp.post("/check")
def check():
    data = json_body("CheckRequest")
    engine = sayso().engine
    author = data.get("author", g.user)
    if author != g.user and not engine.has_role(g.user, Role.ADMINS):
        abort(403, "only admins may check posts for another author")
    item_id = reply_target(data)
    if item_id is None:
        post = Post(
            author,
            data["channel"],
            check_post_text(data["text"]),
            data.get("kind", Kind.POST.value),
        )
        decided = engine.decide(post)
    else:  # as submit decides it: with the store's history and the message's sender
        decided = sayso().workflow.check(
            author, data["channel"], data["text"], kind=data.get("kind"), in_reply_to=item_id
        )
    decision = decided.to_dict()
    decision.pop("trace", None)
    # what would change the answer, as `sayso check` prints under "To get approved"
    decision["hints"] = [s.detail for s in decided.trace if s.stage == "hint"]
    return jsonify(decision)


@bp.post("/submissions")
def submit():
    data = json_body("SubmitRequest")
    publish_at = parse_time(data.get("publish_at"), "publish_at")
    item_id = reply_target(data)
    sub = sayso().workflow.submit(
        g.user,
        data["channel"],
        data["text"],
        kind=data.get("kind", Kind.REPLY.value if item_id else Kind.POST.value),
        publish_at=publish_at,
        in_reply_to=item_id,
    )
    return jsonify(sub.to_dict()), 201


@bp.get("/submissions")
def submissions():
    engine, wf = sayso().engine, sayso().workflow
    author = request.args.get("author") or None
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in Status}:
        abort(400, "status must be one of: " + ", ".join(s.value for s in Status))
    overseer = engine.has_role(g.user, Role.AUDITORS) or engine.has_role(g.user, Role.ADMINS)
    if not overseer:
        if author not in (None, g.user):
            abort(403, "only auditors and admins may list other authors' submissions")
        author = g.user
    limit = query_int("limit", 50, 1, 500)
    offset = query_int("offset", 0, 0, 10**9)
    subs = wf.submissions(author=author, status=status, limit=limit, offset=offset)
    return jsonify(
        total=wf.count(author=author, status=status), submissions=[s.to_dict() for s in subs]
    )


@bp.get("/submissions/<id:sid>")
def submission(sid: int):
    return jsonify(visible(sid).to_dict())


def workflow_action(sid: int, run):
    """Refusals get their status from the error's type (web/errors.py): 403 when the
    caller may not act at all, 409 when the state forbids it."""
    visible(sid)
    try:
        return jsonify(run().to_dict())
    except StaleRevision as err:  # the state moved on under the caller
        return jsonify(error=str(err), current_revision=sayso().workflow.get(sid).revision), 409


@bp.post("/submissions/<id:sid>/approve")
def approve(sid: int):
    data = json_body("ApproveRequest")
    comment = (data.get("comment") or "").strip() or None
    return workflow_action(
        sid,
        lambda: sayso().workflow.approve(sid, g.user, comment=comment, revision=data["revision"]),
    )


@bp.post("/submissions/<id:sid>/reject")
def reject(sid: int):
    data = json_body("RejectRequest")
    return workflow_action(
        sid,
        lambda: sayso().workflow.reject(
            sid, g.user, data["reason"].strip(), revision=data["revision"]
        ),
    )


@bp.post("/submissions/<id:sid>/withdraw")
def withdraw(sid: int):
    json_body("WithdrawRequest", required=False)
    return workflow_action(sid, lambda: sayso().workflow.withdraw(sid, g.user))


@bp.post("/submissions/<id:sid>/revise")
def revise(sid: int):
    data = json_body("ReviseRequest")
    return workflow_action(sid, lambda: sayso().workflow.revise(sid, g.user, data["text"]))


@bp.get("/queue")
def queue():
    limit = query_int("limit", 100, 1, 500)
    offset = query_int("offset", 0, 0, 10**9)
    subs = sayso().workflow.queue(g.user, limit=limit, offset=offset)
    return jsonify([s.to_dict() for s in subs])


@bp.get("/audit")
def audit_export():
    if not sayso().engine.has_role(g.user, Role.AUDITORS):
        abort(403, "the audit log is for auditors")
    fmt = request.args.get("format", "jsonl")
    if fmt not in EXPORT_FORMATS:
        abort(400, "format must be jsonl or csv")
    try:
        chunks = sayso().audit.export_chunks(fmt, **audit_filters(request.args))
    except SaysoError as err:
        abort(400, str(err))
    return Response(stream_with_context(chunks), mimetype=EXPORT_FORMATS[fmt])


from .inbound_api import bp as inbound_bp  # noqa: E402 - nested: shares `authenticate`

bp.register_blueprint(inbound_bp)
