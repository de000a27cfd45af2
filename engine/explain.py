"""Output for a person: a decision explained (the outcome, why, where in the text, who
signs off, what to change), a submission and its full record, an inbound message, and
the reports of `validate`, `tick`, `replay` and `token list`. The CLI prints these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import Decision, Outcome, Reason, Span, Status
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
    if sub.next_escalation_at and sub.status == Status.PENDING:
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


def format_validation(result: Any, policy_dir: str) -> str:
    """`sayso validate`: every problem as FILE:LINE:COL: message, the summary line when
    valid, then the warnings (FILE:LINE:COL: warning: message)."""
    lines = [str(problem) for problem in result.errors]
    if result.valid:
        from .version import short_version

        counts = ", ".join(
            f"{n} {what if n != 1 else what[:-1]}" for what, n in result.counts().items()
        )
        lines.append(f"{policy_dir}: valid ({counts}; version {short_version(result.version)})")
    lines.extend(f"{warning.loc}: warning: {warning.message}" for warning in result.warnings)
    return "\n".join(lines)


def format_tick(report: Any) -> str:
    """What `sayso tick` did, one line per item, then the totals."""
    lines = [
        f"submission {sid}: escalated to level {level} of {chain}"
        for sid, chain, level in report.escalated
    ]
    lines += [f"submission {sid}: published" for sid in report.published]
    lines += [f"submission {sid}: overdue (pending at its publish time)" for sid in report.overdue]
    lines += [f"submission {sid}: publishing failed: {error}" for sid, error in report.failed]
    lines += [
        f"inbound {item_id}: escalated to level {level} of {chain}"
        for item_id, chain, level in report.inbound_escalated
    ]
    lines += [
        f"inbound {item_id}: overdue (unanswered past its respond_within)"
        for item_id in report.inbound_overdue
    ]
    lines.append(
        f"{len(report.escalated)} escalated, {len(report.published)} published, "
        f"{len(report.overdue)} overdue, {len(report.failed)} failed"
    )
    if report.inbound_escalated or report.inbound_overdue:
        lines.append(
            f"inbound: {len(report.inbound_escalated)} escalated, "
            f"{len(report.inbound_overdue)} overdue"
        )
    return "\n".join(lines)


def format_replay(report: Any) -> str:
    """`sayso replay`: each changed decision with the reasons gained (+) and lost (-)."""
    lines = []
    for c in report.changes:
        lines.append(f"submission {c.id} ({c.author} on {c.channel}): {c.old} -> {c.new}")
        lines.extend(f"    + {r}" for r in c.reasons_added)
        lines.extend(f"    - {r}" for r in c.reasons_removed)
    summary = ", ".join(f"{k}: {n}" for k, n in sorted(report.summary.items())) or "none"
    lines.append(f"{report.total} replayed, {len(report.changes)} changed ({summary})")
    return "\n".join(lines)


def format_inbound(item: Any, *, full: bool = False) -> str:
    """One inbound message: status, route, owners, the clock, the text (cut at 200
    characters unless `full`)."""
    from .inbound.items import InboundStatus

    topics = ", ".join(item.topics) or "none"
    name = f" ({item.sender_name})" if item.sender_name else ""
    lines = [
        f"inbound {item.id}: {item.status.value} (route {item.route}; topics {topics})",
        f"  from {item.sender}{name} on {item.channel}, received {when(item.received_at)}",
        f"  owners: {', '.join(item.owners) or 'nobody'}; level {item.level}",
    ]
    if item.status == InboundStatus.OPEN:
        late = " OVERDUE" if item.overdue else ""
        lines.append(f"  due: {when(item.due_at)}{late}")
    if item.closed_by:
        lines.append(f"  closed by {item.closed_by}: {item.closed_reason}")
    if item.answered_by:
        lines.append(f"  answered by submission {item.answered_by} at {when(item.resolved_at)}")
    text = item.text if full or len(item.text) <= 200 else item.text[:200] + "..."
    lines.append("  > " + text.replace("\n", "\n  > "))
    return "\n".join(lines)


def format_inbound_thread(item: Any, earlier: list, replies: list) -> str:
    """`sayso inbound show`: the message in full, earlier messages from its sender and
    the replies submitted for it."""
    lines = [format_inbound(item, full=True)]
    lines += [f"  earlier: inbound {e.id} ({e.status.value}) {e.text[:80]}" for e in earlier]
    lines += [
        f"  reply: submission {s.id} by {s.author} ({s.status.value}) {s.text[:80]}"
        for s in replies
    ]
    return "\n".join(lines)


def format_token(token: Any) -> str:
    """One API token for `sayso token list` (never its text)."""
    d = token.to_dict()
    return (
        f"{d['id']:>4}  {d['user']:<12} {d['name'] or '-':<16} {d['state']:<8} "
        f"expires {d['expires_at'] or 'never'}  last used {d['last_used_at'] or 'never'}"
    )
