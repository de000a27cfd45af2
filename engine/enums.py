"""The engine's enums: outcomes, statuses, kinds, effects, roles, verdicts and audit
event types. `engine.model` re-exports them beside the dataclasses that use them."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    APPROVED = "approved"
    NEEDS_SIGNOFF = "needs_signoff"
    DENIED = "denied"


class Status(StrEnum):
    DENIED = "denied"
    PENDING = "pending"
    APPROVED = "approved"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Kind(StrEnum):
    POST = "post"
    REPLY = "reply"


class Effect(StrEnum):
    """What a reason does to the decision."""

    ALLOW = "allow"
    DENY = "deny"
    SIGNOFF = "signoff"
    WARN = "warn"


class Enforcement(StrEnum):
    ENFORCED = "enforced"
    ADVISORY = "advisory"  # evaluated and reported as a warning, never changes the decision


class VerdictType(StrEnum):
    """An approver's verdict on a revision."""

    APPROVE = "approve"
    REJECT = "reject"


class EventType(StrEnum):
    """Every kind of audit event (engine/audit.py refuses others)."""

    POLICY_LOADED = "policy_loaded"
    SUBMITTED = "submitted"
    DECIDED = "decided"
    APPROVED = "approved"
    REJECTED = "rejected"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"
    REVISED = "revised"
    PUBLISHED = "published"
    PUBLISH_FAILED = "publish_failed"
    OVERDUE = "overdue"
    DELEGATED = "delegated"
    DELEGATION_REVOKED = "delegation_revoked"
    RETIRED = "retired"
    PASSWORD_SET = "password_set"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    INBOUND_RECEIVED = "inbound.received"
    INBOUND_ROUTED = "inbound.routed"
    INBOUND_ESCALATED = "inbound.escalated"
    INBOUND_OVERDUE = "inbound.overdue"
    INBOUND_REPLIED = "inbound.replied"
    INBOUND_ANSWERED = "inbound.answered"
    INBOUND_CLOSED = "inbound.closed"


class Role(StrEnum):
    """Policy `roles:`: who may use which part of the product."""

    AUDITORS = "auditors"  # the audit log and every submission
    ADMINS = "admins"  # the policy pages, replay, the dashboard and every submission
    INTEGRATIONS = "integrations"  # API clients that deliver inbound messages
