"""An audit event as one readable sentence ("Fran Fox approved revision 2; it is now
approved."), with people by name. Unknown event types still read, as key: value pairs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from engine.model import EventType, Kind, Outcome, Status

from .people import people, person, principals


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _revision(d: dict) -> str:
    return f"revision {d['revision']}" if d.get("revision") else "the post"


def _submitted(e, d) -> Markup:
    when = Markup(" to publish at {}").format(d["publish_at"]) if d.get("publish_at") else ""
    return Markup("{} submitted a {} for {}{}.").format(
        person(e.actor), d.get("kind", Kind.POST.value), e.channel or "", when
    )


def _decided(e, d) -> Markup:
    words = {
        Outcome.APPROVED: "approved",
        Outcome.NEEDS_SIGNOFF: "needs sign-off",
        Outcome.DENIED: "denied",
    }
    out = Markup("The policy decided {}: {}.").format(
        _revision(d), words.get(d.get("decision"), d.get("decision"))
    )
    reasons = [r.get("message", "") for r in d.get("reasons", []) if isinstance(r, dict)]
    if reasons:
        out += Markup(" Why: {}.").format("; ".join(reasons))
    for q in d.get("requirements", []):
        if isinstance(q, dict):
            n = q.get("approvals", 1)
            out += Markup(" {} needs {} approval{} from {}.").format(
                q.get("id"), n, "" if n == 1 else "s", principals(q.get("signoff", []))
            )
    return out


def _approved(e, d) -> Markup:
    out = Markup("{} approved {}").format(_actor(e), _revision(d))
    if d.get("comment"):
        out += Markup(" (“{}”)").format(d["comment"])
    return out + Markup("; it is now {}.").format(d.get("status", Status.PENDING.value))


def _rejected(e, d) -> Markup:
    return Markup("{} rejected {}: “{}”.").format(_actor(e), _revision(d), d.get("reason", ""))


def _escalated(e, d) -> Markup:
    return Markup(
        "Still pending: escalation {} reached level {}; now also {} may sign off."
    ).format(d.get("escalation", ""), d.get("level", "?"), people(d.get("owners", [])))


def _revised(e, d) -> Markup:
    return Markup("{} revised the post: revision {} replaces revision {}.").format(
        person(e.actor), d.get("revision", "?"), d.get("previous_revision", "?")
    )


def _published(e, d) -> Markup:
    ref = Markup(" as {}").format(d["ref"]) if d.get("ref") else ""
    return Markup("{} was published through {}{}, approved by {}.").format(
        _revision(d).capitalize(),
        d.get("publisher", "its publisher"),
        ref,
        people(d.get("approved_by", []), "nobody (approved outright)"),
    )


def _publish_failed(e, d) -> Markup:
    return Markup("Publishing {} through {} failed (attempt {}): {}.").format(
        _revision(d), d.get("publisher", "its publisher"), d.get("attempt", 1), d.get("error", "")
    )


def _overdue(e, d) -> Markup:
    return Markup("Still pending past its publish time {}; {} were told.").format(
        d.get("publish_at", ""), people(d.get("owners", []))
    )


def _delegated(e, d) -> Markup:
    out = Markup("{} delegated approvals to {} until {}").format(
        person(e.actor), person(d.get("to")), d.get("until", "")
    )
    return out + (Markup(" (“{}”).").format(d["reason"]) if d.get("reason") else Markup("."))


def _revoked(e, d) -> Markup:
    return Markup("{} revoked delegation {} to {}.").format(
        person(e.actor), d.get("delegation", ""), person(d.get("to"))
    )


def _policy_loaded(e, d) -> Markup:
    files = d.get("files") or []
    return Markup("Policy version {} was loaded ({} file{}).").format(
        (e.policy_version or "")[:12], len(files), "" if len(files) == 1 else "s"
    )


def _withdrawn(e, d) -> Markup:
    return Markup("{} withdrew {}.").format(person(e.actor), _revision(d))


def _actor(e) -> Markup:
    if e.on_behalf_of:
        return Markup("{} for {}").format(person(e.actor), person(e.on_behalf_of))
    return person(e.actor)


SENTENCES: dict[str, Callable[[Any, dict], Markup]] = {
    EventType.SUBMITTED: _submitted,
    EventType.DECIDED: _decided,
    EventType.APPROVED: _approved,
    EventType.REJECTED: _rejected,
    EventType.ESCALATED: _escalated,
    EventType.REVISED: _revised,
    EventType.PUBLISHED: _published,
    EventType.PUBLISH_FAILED: _publish_failed,
    EventType.OVERDUE: _overdue,
    EventType.DELEGATED: _delegated,
    EventType.DELEGATION_REVOKED: _revoked,
    EventType.POLICY_LOADED: _policy_loaded,
    EventType.WITHDRAWN: _withdrawn,
}


def sentence(e) -> Markup:
    """The event as a sentence; unknown events as 'actor event: key value; ...'."""
    details = e.details if isinstance(e.details, dict) else {}
    known = SENTENCES.get(e.event)
    if known is not None:
        try:
            return known(e, details)
        except (KeyError, TypeError, AttributeError, ValueError):
            pass  # an event shaped unlike this version's: fall back to the plain form
    shown = "; ".join(
        f"{k.replace('_', ' ')}: {_plain(v)}"
        for k, v in details.items()
        if v not in (None, "", []) and k != "names"  # who is who: the actor is named above
    )
    head = Markup("{} — {}").format(_actor(e), e.event.replace("_", " "))
    return head + (Markup(": {}.").format(shown) if shown else escape("."))


def init_app(app) -> None:
    app.jinja_env.filters["sentence"] = sentence
