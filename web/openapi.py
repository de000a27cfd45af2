"""The OpenAPI 3 document of `/api/v1`. Request schemas here also validate request bodies."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from engine.auditlog import EXPORT_FORMATS
from engine.model import Effect, EventType, Kind, Outcome, Status
from engine.posttext import MAX_TEXT


def one_of(values: type[StrEnum]) -> dict[str, Any]:
    """A string schema whose enum is the engine's enum: one source of truth."""
    return {"type": "string", "enum": [v.value for v in values]}


TEXT: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "pattern": "\\S"}
NAME: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 200}
KIND = one_of(Kind)
IN_REPLY_TO = {
    "type": "integer",
    "minimum": 1,
    "description": "The inbound message a reply answers (its channel; kind defaults to reply). "
    "Compared with earlier replies to the same sender by canned-reply.",
}
STATUS = one_of(Status)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def body(name: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": ref(name)}}}


def ok(name: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(name)}}}


ERROR = {"description": "error", "content": {"application/json": {"schema": ref("Error")}}}
ERRORS = {code: ERROR for code in ("400", "401", "403", "404", "409", "413", "415")}
SID = {"name": "sid", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
PAGING: list[dict[str, Any]] = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
    {
        "name": "offset",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0, "maximum": 10**9},
    },
]
AUDIT_FILTERS = [
    {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    {"name": "until", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    {"name": "author", "in": "query", "schema": NAME},
    {"name": "channel", "in": "query", "schema": NAME},
    {"name": "event", "in": "query", "schema": one_of(EventType)},
    {"name": "submission", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}},
    {"name": "tz", "in": "query", "schema": {"type": "string", "maxLength": 64}},
]


def operation(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {**responses, **ERRORS}, **extra}


def action(summary: str, schema: str, required: bool = True) -> dict[str, Any]:
    return {
        "post": operation(
            summary, {"200": ok("Submission")}, parameters=[SID], requestBody=body(schema, required)
        )
    }


from .openapi_inbound import INBOUND_PATHS, INBOUND_SCHEMAS  # noqa: E402

REASON = {
    "type": "object",
    "required": ["id", "kind", "message"],
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string"},
        "message": {"type": "string"},
        "effect": one_of(Effect),
        "advisory": {"type": "boolean"},
    },
}
DECISION_PROPS = {
    "decision": one_of(Outcome),
    "reasons": {"type": "array", "items": REASON},
    "requirements": {"type": "array", "items": {"type": "object"}},
    "topics": {"type": "array", "items": {"type": "object"}},
    "warnings": {"type": "array", "items": REASON},
    "policy_version": {"type": "string"},
}

REVISION = {
    "type": "integer",
    "minimum": 1,
    "maximum": 2**31,
    "description": "The revision the caller reviewed; 409 if the post was revised since.",
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
    },
    "CheckRequest": {
        "type": "object",
        "required": ["channel", "text"],
        "additionalProperties": False,
        "properties": {
            "author": NAME,
            "channel": NAME,
            "kind": KIND,
            "text": TEXT,
            "in_reply_to": IN_REPLY_TO,
        },
    },
    "SubmitRequest": {
        "type": "object",
        "required": ["channel", "text"],
        "additionalProperties": False,
        "properties": {
            "channel": NAME,
            "kind": KIND,
            "text": TEXT,
            "publish_at": {"type": "string", "format": "date-time"},
            "in_reply_to": IN_REPLY_TO,
        },
    },
    "ApproveRequest": {
        "type": "object",
        "required": ["revision"],
        "additionalProperties": False,
        "properties": {"revision": REVISION, "comment": {"type": "string", "maxLength": 2000}},
    },
    "RejectRequest": {
        "type": "object",
        "required": ["revision", "reason"],
        "additionalProperties": False,
        "properties": {
            "revision": REVISION,
            "reason": {"type": "string", "maxLength": 2000, "pattern": "\\S"},
        },
    },
    "ReviseRequest": {
        "type": "object",
        "required": ["text"],
        "additionalProperties": False,
        "properties": {"text": TEXT},
    },
    "WithdrawRequest": {"type": "object", "additionalProperties": False, "properties": {}},
    "Decision": {
        "type": "object",
        "required": ["decision", "reasons", "requirements", "topics", "policy_version"],
        "properties": {
            **DECISION_PROPS,
            "hints": {
                "type": "array",
                "items": {"type": "string"},
                "description": "What would get the post approved (empty when it is).",
            },
        },
    },
    "Submission": {
        "type": "object",
        "required": ["id", "author", "channel", "status", "requirements", "decision"],
        "properties": {
            **DECISION_PROPS,
            "id": {"type": "integer"},
            "author": {"type": "string"},
            "channel": {"type": "string"},
            "kind": KIND,
            "status": STATUS,
            "revision": {"type": "integer"},
            "text": {"type": "string"},
            "text_sha256": {"type": "string"},
        },
    },
    "SubmissionList": {
        "type": "object",
        "required": ["total", "submissions"],
        "properties": {
            "total": {"type": "integer"},
            "submissions": {"type": "array", "items": ref("Submission")},
        },
    },
    "SubmissionArray": {"type": "array", "items": ref("Submission")},
    **INBOUND_SCHEMAS,
}

PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3 document"}},
        }
    },
    "/api/v1/check": {
        "post": operation(
            "Decide a post without storing it (author defaults to the caller)",
            {"200": ok("Decision")},
            requestBody=body("CheckRequest"),
        )
    },
    "/api/v1/submissions": {
        "post": operation(
            "Submit a post as the caller",
            {"201": ok("Submission", "stored")},
            requestBody=body("SubmitRequest"),
        ),
        "get": operation(
            "Submissions, newest first (others' only for auditors and admins)",
            {"200": ok("SubmissionList")},
            parameters=[
                {"name": "author", "in": "query", "schema": NAME},
                {"name": "status", "in": "query", "schema": STATUS},
                *PAGING,
            ],
        ),
    },
    "/api/v1/submissions/{sid}": {
        "get": operation("One submission", {"200": ok("Submission")}, parameters=[SID])
    },
    "/api/v1/submissions/{sid}/approve": action(
        "Approve the revision reviewed (409 if revised since), optionally with a comment",
        "ApproveRequest",
    ),
    "/api/v1/submissions/{sid}/reject": action(
        "Reject the revision reviewed (409 if revised since) with a reason", "RejectRequest"
    ),
    "/api/v1/submissions/{sid}/withdraw": action(
        "Withdraw one's own post", "WithdrawRequest", False
    ),
    "/api/v1/submissions/{sid}/revise": action("A new revision of one's own post", "ReviseRequest"),
    "/api/v1/queue": {
        "get": operation(
            "Pending submissions the caller may approve or reject now, oldest first",
            {"200": ok("SubmissionArray")},
            parameters=PAGING,
        )
    },
    **INBOUND_PATHS,
    "/api/v1/audit": {
        "get": operation(
            "The audit log, filtered, streamed (auditors)",
            {
                "200": {
                    "description": "one event per line (JSONL) or CSV with a header row",
                    "content": {
                        "application/x-ndjson": {"schema": {"type": "string"}},
                        "text/csv": {"schema": {"type": "string"}},
                    },
                }
            },
            parameters=[
                {
                    "name": "format",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(EXPORT_FORMATS)},
                },
                *AUDIT_FILTERS,
            ],
        )
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "sayso API",
        "version": "1",
        "description": 'Policy decisions and the approval workflow. Errors are {"error": message}.',
    },
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
    "security": [{"bearer": []}],
}


def request_schema(name: str) -> dict[str, Any]:
    """A request schema, standalone (they hold no $ref)."""
    return SCHEMAS[name]
