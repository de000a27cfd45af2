"""A decision explained for a person: the outcome, why, where in the text, who signs off,
and what to change to get the post approved."""

from __future__ import annotations

from .model import Decision, Outcome, Reason, Span

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
