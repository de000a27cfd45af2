"""Output for a person: a decision explained (the outcome, why, where in the text, who
signs off, what to change), a submission and its full record. The CLI prints these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import Decision, Outcome, Reason, Span
from .times import iso

_CONTEXT = 30  # characters of text shown on each side of a match

_HEADLINES = {
    Outcome.APPROVED: "APPROVED: {author} may publish this {kind} on {channel}.",
    Outcome.NEEDS_SIGNOFF: "NEEDS SIGN-OFF: this {kind} by {author} on {channel} must be approved first.",
    Outcome.DENIED: "DENIED: {author} may not publish this {kind} on {channel}.",
}


def quote(text: str, span: Span, context: int = _CONTEXT) -> str:
    """The words around a span, the span marked: `We can »close your account« today`."""
    before = text[max(0, span.start - context) : span.start]
    after = text[span.end : span.end + context]
    lead = "…" if span.start > context else ""
    tail = "…" if span.end + context < len(text) else ""
    shown = f"{lead}{before}»{text[span.start : span.end]}«{after}{tail}"
    return " ".join(shown.split())


def _reason_line(reason: Reason) -> str:
    return f"  - [{reason.kind} {reason.id}] {reason.message}"


def format_decision(decision: Decision) -> str:
    post = decision.post
    lines = [
        _HEADLINES[decision.decision].format(
            author=post.author, kind=post.kind, channel=post.channel
        )
    ]
    if decision.reasons:
        lines.append("Why:" if decision.decision != Outcome.APPROVED else "Allowed by:")
        lines.extend(_reason_line(r) for r in decision.reasons)
    if decision.topics:
        lines.append("Topics found:")
        for match in decision.topics:
            for span in match.spans:
                where = f"characters {span.start}-{span.end}"
                lines.append(f"  - {match.id}: {quote(post.text, span)} ({where})")
    if decision.requirements:
        lines.append("Sign-off needed:")
        for req in decision.requirements:
            count = "1 approval" if req.approvals == 1 else f"{req.approvals} approvals"
            who = ", ".join(req.signoff) or "the escalation owners"
            line = f"  - {req.id}: {count} from {who}"
            if req.escalation:
                line += f" (escalates along {req.escalation} while pending)"
            lines.append(line)
    if decision.warnings:
        lines.append("Warnings:")
        lines.extend(_reason_line(w) for w in decision.warnings)
    hints = [step.detail for step in decision.trace if step.stage == "hint"]
    if hints and decision.decision != Outcome.APPROVED:
        lines.append("To get approved:")
        lines.extend(f"  - {hint}" for hint in hints)
    lines.append(f"Policy version: {decision.policy_version}")
    return "\n".join(lines)


def format_trace(decision: Decision) -> str:
    """Every step considered, one per line (`sayso check --explain`)."""
    lines = []
    for step in decision.trace:
        if step.stage == "hint":
            continue
        mark = "+" if step.matched else "-"
        lines.append(f"  {mark} {step.stage} {step.id}: {step.detail}")
    return "\n".join(lines)


def when(moment: datetime | None) -> str:
    """A time as the CLI shows it (whole seconds without the zeros), or `-`."""
    return iso(moment).replace(".000000Z", "Z") if moment else "-"


def format_submission(sub: Any, *, decision: bool = False) -> str:
    """One submission: status, who must still sign off, the clock."""
    lines = [
        f"submission {sub.id}: {sub.status.value} (revision {sub.revision})",
        f"  {sub.author} on {sub.channel} ({sub.kind}), submitted {when(sub.submitted_at)}",
    ]
    if decision:
        lines.extend(f"  {line}" for line in format_decision(sub.decision).splitlines())
    for q in sub.requirements:
        mark = "met" if q.met else "open"
        who = ", ".join(q.approved_by) or "none yet"
        lines.append(
            f"  [{mark}] {q.id}: {q.approvals} approval(s) from {' or '.join(q.eligible)}"
            f" (approved by: {who})"
        )
    if sub.next_escalation_at and sub.status.value == "pending":
        lines.append(f"  next escalation: {when(sub.next_escalation_at)}")
    if sub.publish_at:
        lines.append(f"  publish at: {when(sub.publish_at)}")
    if sub.overdue:
        lines.append("  OVERDUE: still pending at its publish time; it will not be published late")
    if sub.published_at:
        lines.append(f"  published: {when(sub.published_at)}")
    if sub.publish_error:
        lines.append(f"  publishing failed: {sub.publish_error} (retried by `sayso tick`)")
    return "\n".join(lines)


def format_record(record: Any, communication: dict | None = None) -> str:
    """A submission's full record (`sayso show`): the regulator's view of the
    communication when given (engine.records), revisions and hashes, verdicts,
    escalations, publications and audit events."""
    lines = [format_submission(record.submission)]
    lines += format_communication(communication or {})
    lines.append("revisions:")
    for r in record.revisions:
        lines.append(
            f"  {r.number}  {when(r.created_at)}  sha256 {r.text_sha256}  {r.outcome}"
            f"  policy {r.policy_version[:12]}"
        )
        lines.append(f"     {r.text!r}")
    if record.verdicts:
        lines.append("approvals and rejections:")
        for v in record.verdicts:
            note = f" — {v.comment}" if v.comment else ""
            lines.append(f"  {when(v.at)}  {v.verdict} revision {v.revision} by {v.who}{note}")
    for chain, level, at in record.escalations:
        lines.append(f"escalated: {chain} level {level} at {when(at)}")
    for p in record.publications:
        outcome = f"ok {p['ref']}" if p["ok"] else f"failed: {p['error']}"
        lines.append(
            f"publication: revision {p['revision']} via {p['publisher']} at {p['at']}: {outcome}"
        )
    lines.append("audit events:")
    for e in record.events:
        actor = f"{e.actor} for {e.on_behalf_of}" if e.on_behalf_of else e.actor
        lines.append(f"  #{e.seq}  {e.ts}  {e.event:<14} {actor}")
    return "\n".join(lines)


def _person(p: dict | None) -> str:
    return f"{p['name']} ({p['id']})" if p else "-"


def format_communication(comm: dict) -> list[str]:
    """The regulator's view: preparer, approving principals, uses, changes, policies."""
    if not comm:
        return []
    lines = []
    lines.append(f"  prepared by {_person(comm['preparer'])}")
    for a in comm["approvals"]:
        behalf = f" for {_person(a['on_behalf_of'])}" if a["on_behalf_of"] else ""
        lines.append(
            f"  approved revision {a['revision']} by {_person(a['by'])}{behalf} on {a['at']}"
        )
    if comm["approved_text"] is not None:
        lines.append(
            f"  approved text (revision {comm['approved_revision']}, "
            f"sha256 {comm['approved_text_sha256']}): {comm['approved_text']!r}"
        )
    lines.append(f"  first use: {comm['first_use'] or '-'}  last use: {comm['last_use'] or '-'}")
    if comm["retired_by"]:
        reason = f" ({comm['retire_reason']})" if comm["retire_reason"] else ""
        lines.append(f"  retired by {_person(comm['retired_by'])}{reason}")
    lines.append("modifications:")
    for m in comm["modifications"]:
        lines.append(f"  revision {m['revision']} by {_person(m['by'])} on {m['at']}")
    lines.append("decisions:")
    for d in comm["decisions"]:
        lines.append(
            f"  revision {d['revision']}: {d['outcome']} under policy {d['policy_version']}"
            " (sayso policy show VERSION)"
        )
    return lines
