"""The store's tables (SQLAlchemy Core), created and upgraded by the Alembic migrations
in engine/migrations. The inbound tables (engine/inbound/tables.py) join `metadata`
when engine.store is imported."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

policy_snapshots = Table(
    "policy_snapshots",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("files", JSON, nullable=False),  # relative path -> text
    Column("first_seen", DateTime(timezone=True), nullable=False),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("author", String(200), nullable=False),
    Column("channel", String(200), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("publish_at", DateTime(timezone=True)),
    Column("published_at", DateTime(timezone=True)),
    Column("next_escalation_at", DateTime(timezone=True)),
    Column("overdue", Boolean, nullable=False, default=False),
    Column("publish_error", Text),
    Column("publish_attempts", Integer, nullable=False, default=0),
    Column("publish_claimed_at", DateTime(timezone=True)),
    Column("retired_at", DateTime(timezone=True)),  # taken down or superseded (`retire`)
    Index("ix_submissions_status_next", "status", "next_escalation_at"),
    Index("ix_submissions_author", "author", "id"),
)

revisions = Table(
    "revisions",
    metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("text_sha256", String(64), nullable=False),
    Column("policy_version", String(64), ForeignKey("policy_snapshots.version"), nullable=False),
    Column("decision", JSON, nullable=False),  # Decision.to_dict()
    Column("outcome", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Approvals and rejections, bound to one revision. `on_behalf_of` is set when a
# delegate acted for someone else.
verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("verdict", String(10), nullable=False),  # approve | reject
    Column("actor", String(200), nullable=False),
    Column("on_behalf_of", String(200)),
    Column("comment", Text),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_verdicts_submission", "submission_id", "revision"),
)

# Escalation levels reached, per submission and escalation chain.
escalations_reached = Table(
    "escalations_reached",
    metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), primary_key=True),
    Column("escalation", String(200), primary_key=True),
    Column("level", Integer, primary_key=True),  # 1-based
    Column("at", DateTime(timezone=True), nullable=False),
)

# Who may act on a submission: each requirement's sign-off principals plus the
# owners of every escalation level reached. An index for the approval queue.
eligibility = Table(
    "eligibility",
    metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), primary_key=True),
    Column("requirement", String(200), primary_key=True),
    Column("principal", String(200), primary_key=True),
    Column("source", String(40), nullable=False),  # "signoff" or "escalation:LEVEL"
    Index("ix_eligibility_principal", "principal", "submission_id"),
)

delegations = Table(
    "delegations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("from_user", String(200), nullable=False),
    Column("to_user", String(200), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("until", DateTime(timezone=True), nullable=False),
    Column("reason", Text),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_delegations_to", "to_user"),
)

publications = Table(
    "publications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("publisher", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("ref", Text),
    Column("error", Text),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id")),
    Column("event", String(40), nullable=False),
    Column("notifier", String(100), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Index("ix_notifications_pending", "sent_at"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("user_id", String(200), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)

# Web sign-in sessions, kept server-side so sign-out and a password change end every
# copy of the cookie. `id` is the SHA-256 of the secret the cookie carries.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(200), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
)

# Failed sign-ins per account and per address, shared by every worker.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", DateTime(timezone=True), nullable=False),
)

# The hash chain. `audit_head` is one row holding the last sequence number and
# hash; appenders lock it, which serialises the chain on every database.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("ts", String(40), nullable=False),  # ISO 8601 UTC, microseconds, as hashed
    # The system clock when appended (non-decreasing), beside `ts`, the effective
    # time that `--at` may set (then `manual_clock`); NULL only on events written
    # before migration 0002.
    Column("recorded_at", String(40)),
    Column("manual_clock", Boolean),
    Column("backdated", Boolean),  # `ts` earlier than an earlier event's
    Column("via", String(20)),  # cli, web, api, tick, engine
    Column("os_user", String(200)),  # the CLI's operating-system account and host
    Column("host", String(200)),
    Column("actor", String(200), nullable=False),
    Column("on_behalf_of", String(200)),
    Column("event", String(40), nullable=False),
    Column("submission_id", Integer),
    Column("author", String(200)),
    Column("channel", String(200)),
    Column("text_sha256", String(64)),
    Column("policy_version", String(64)),
    Column("details", Text, nullable=False),  # canonical JSON, as hashed
    Column("mac", String(100)),  # "keyid:HMAC-SHA256" when SAYSO_AUDIT_KEY is set
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_submission", "submission_id"),
    Index("ix_audit_ts", "ts"),
    Index("ix_audit_recorded", "recorded_at"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("recorded_at", String(40)),  # the newest event's, kept non-decreasing
    Column("max_ts", String(40)),  # the latest effective time so far
)
