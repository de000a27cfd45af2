"""People and groups by name, with the id on hover: `dana` → "Dana Diaz", `group:legal` →
"Legal: Ivan Counsel, Jo Counsel". Jinja filters over the compiled policy's directory."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from .auth import sayso

MAX_LISTED = 6  # members named before "and N more"


def user_name(user_id: str | None) -> str:
    """The user's name from the policy, or the id when there is none."""
    if not user_id:
        return ""
    info = sayso().engine.user(user_id)
    return (getattr(info, "name", "") or user_id) if info else user_id


def group_label(group_id: str) -> str:
    """`support-leads` → `Support leads`."""
    words = group_id.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def principal_text(principal: str) -> str:
    """A principal as words: a user's name, a group with its members, or everyone."""
    if principal == "*":
        return "everyone"
    if principal.startswith("group:"):
        members = sorted(sayso().engine.members(principal), key=user_name)
        names = [user_name(m) for m in members[:MAX_LISTED]]
        if len(members) > MAX_LISTED:
            names.append(f"{len(members) - MAX_LISTED} more")
        label = group_label(principal[6:])
        return f"{label}: {', '.join(names)}" if names else f"{label} (nobody)"
    return user_name(principal.removeprefix("user:"))


def person(user_id: str | None) -> Markup:
    """A user's name, the id in the title attribute."""
    if not user_id:
        return Markup("")
    return Markup('<span class="person" title="{}">{}</span>').format(user_id, user_name(user_id))


def principal(value: str) -> Markup:
    return Markup('<span class="person" title="{}">{}</span>').format(value, principal_text(value))


def principals(values: Iterable[str], empty: str = "nobody") -> Markup:
    shown = [principal(v) for v in values]
    return Markup("; ").join(shown) if shown else escape(empty)


def people(values: Iterable[str], empty: str = "nobody") -> Markup:
    shown = [person(v) for v in values]
    return Markup(", ").join(shown) if shown else escape(empty)


def init_app(app) -> None:
    app.jinja_env.filters.update(
        person=person, principal=principal, principals=principals, people=people, name=user_name
    )
