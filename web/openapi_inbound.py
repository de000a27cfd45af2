"""The `/api/v1/inbound` part of the OpenAPI document (merged by web/openapi.py)."""

from __future__ import annotations

from typing import Any

from engine.inbound.inbox import VIEWS
from engine.inbound.items import InboundStatus

from .openapi import NAME, PAGING, TEXT, body, ok, one_of, operation, ref

PLATFORM_ID = {
    "oneOf": [
        {"type": "string", "minLength": 1, "maxLength": 300},
        {"type": "integer", "minimum": 0},
    ]
}
NULLABLE_TIME = {"type": "string", "nullable": True}
INBOUND_STATUS = one_of(InboundStatus)
IID = {
    "name": "item_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}

MESSAGE = {
    "type": "object",
    "required": ["channel", "from", "text"],
    "additionalProperties": False,
    "properties": {
        "channel": NAME,
        "from": NAME,
        "text": TEXT,
        "name": {"type": "string", "maxLength": 200},
        "message_id": PLATFORM_ID,
        "thread_id": PLATFORM_ID,
        "parent_id": PLATFORM_ID,
        "at": {"type": "string", "format": "date-time"},
    },
}

INBOUND_SCHEMAS: dict[str, Any] = {
    "InboundMessage": MESSAGE,
    "InboundDelivery": {
        "oneOf": [MESSAGE, {"type": "array", "minItems": 1, "maxItems": 1000, "items": MESSAGE}]
    },
    "CloseRequest": {
        "type": "object",
        "required": ["reason"],
        "additionalProperties": False,
        "properties": {"reason": {"type": "string", "maxLength": 2000, "pattern": "\\S"}},
    },
    "InboundItem": {
        "type": "object",
        "required": ["id", "channel", "from", "text", "status", "route", "topics", "owners"],
        "properties": {
            "id": {"type": "integer"},
            "channel": {"type": "string"},
            "from": {"type": "string"},
            "name": {"type": "string"},
            "text": {"type": "string"},
            "status": INBOUND_STATUS,
            "route": {"type": "string"},
            "topics": {"type": "array", "items": {"type": "string"}},
            "owners": {"type": "array", "items": {"type": "string"}},
            "level": {"type": "integer"},
            "due_at": NULLABLE_TIME,
            "received_at": {"type": "string"},
            "overdue": {"type": "boolean"},
            "duplicate": {"type": "boolean"},
            "replies": {"type": "array", "items": {"type": "object"}},
            "earlier": {"type": "array", "items": {"type": "object"}},
        },
    },
    "InboundList": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "total": {"type": "integer", "nullable": True},
            "total_capped": {"type": "boolean"},
            "items": {"type": "array", "items": ref("InboundItem")},
        },
    },
    "InboundBatchResult": {
        "type": "object",
        "required": ["added", "duplicate", "invalid", "results"],
        "properties": {
            "added": {"type": "integer"},
            "duplicate": {"type": "integer"},
            "invalid": {"type": "integer"},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index"],
                    "properties": {
                        "index": {"type": "integer"},
                        "id": {"type": "integer"},
                        "error": {"type": "string"},
                        "duplicate": {"type": "boolean"},
                    },
                },
            },
        },
    },
}

INBOUND_PATHS: dict[str, Any] = {
    "/api/v1/inbound": {
        "post": operation(
            "Deliver one message (an object) or a batch (an array); integrations role. "
            "A repeat of a channel's message_id is ignored (200 with duplicate: true).",
            {
                "200": {
                    "description": "a repeated message, or the outcome of each message of a batch",
                    "content": {
                        "application/json": {
                            "schema": {"oneOf": [ref("InboundItem"), ref("InboundBatchResult")]}
                        }
                    },
                },
                "201": ok("InboundItem", "stored and routed"),
            },
            requestBody=body("InboundDelivery"),
        ),
        "get": operation(
            "The caller's inbox, oldest due first; with status, every message "
            "(admins and auditors)",
            {"200": ok("InboundList")},
            parameters=[
                {
                    "name": "view",
                    "in": "query",
                    "schema": {
                        "type": "string",
                        "enum": list(VIEWS),
                    },
                },
                {"name": "status", "in": "query", "schema": INBOUND_STATUS},
                *PAGING,
            ],
        ),
    },
    "/api/v1/inbound/{item_id}": {
        "get": operation(
            "One message with its replies and the sender's earlier messages (owners, "
            "admins, auditors)",
            {"200": ok("InboundItem")},
            parameters=[IID],
        )
    },
    "/api/v1/inbound/{item_id}/close": {
        "post": operation(
            "An owner closes an open message with a reason",
            {"200": ok("InboundItem")},
            parameters=[IID],
            requestBody=body("CloseRequest"),
        )
    },
}
