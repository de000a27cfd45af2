"""Error pages: JSON `{"error": ...}` under /api/, a short HTML page elsewhere; never a traceback."""

from __future__ import annotations

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from engine.errors import (
    NotAuthor,
    NotEligible,
    NotFound,
    SaysoError,
    WorkflowError,
    WrongState,
)

# The HTTP status of every error a user can cause, most specific first.
STATUSES: tuple[tuple[type[SaysoError], int], ...] = (
    (NotFound, 404),
    (NotAuthor, 403),
    (NotEligible, 403),
    (WrongState, 409),
    (WorkflowError, 409),
    (SaysoError, 400),
)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def status_for(err: SaysoError) -> int:
    return next(status for kind, status in STATUSES if isinstance(err, kind))


def respond(status: int, message: str):
    if wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


def init_app(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if err.code and err.code < 400:
            return err
        response = respond(err.code or 500, err.description or err.name)
        allowed = getattr(err, "valid_methods", None)  # MethodNotAllowed's
        if err.code == 405 and allowed:
            response[0].headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(SaysoError)
    def sayso_error(err: SaysoError):
        return respond(status_for(err), str(err).splitlines()[0] if str(err) else "bad request")

    @app.errorhandler(InternalServerError)
    def internal_error(err):
        return respond(500, "internal error")
