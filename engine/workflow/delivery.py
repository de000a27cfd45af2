"""Publishing exactly once: what a publisher receives, and how a crash is recovered.

Every publication carries an idempotency key naming the submission and revision.
A process killed between delivering a post and recording it leaves a claim behind;
whoever recovers that claim first asks the publisher whether the key was already
delivered (`delivered(publication)`, an optional publisher method) and records the
earlier delivery instead of sending the post again. A publisher that cannot tell
receives the post again with the same key, for the platform to drop the repeat.
"""

from __future__ import annotations

from typing import Any

from ..hookspecs import Publication, PublishError
from .views import Submission, sha256


def idempotency_key(sub: Submission) -> str:
    """Names one revision of one submission, and the text approved for it."""
    return f"sayso-{sub.id}-{sub.revision}-{sub.text_sha256[:16]}"


def publication_for(sub: Submission, approvers: tuple[str, ...]) -> Publication:
    """The exact approved revision, after checking that its stored text still hashes to
    the SHA-256 recorded when it was submitted (a changed text is never published)."""
    if sha256(sub.text) != sub.text_sha256:
        raise PublishError(
            f"the stored text of revision {sub.revision} does not match its recorded "
            f"SHA-256; not published"
        )
    return Publication(
        submission_id=str(sub.id),
        revision=sub.revision,
        channel=sub.channel,
        kind=sub.kind,
        author=sub.author,
        text=sub.text,
        text_sha256=sub.text_sha256,
        approved_by=approvers,
        policy_version=sub.policy_version,
        publish_at=sub.publish_at,
        idempotency_key=idempotency_key(sub),
    )


def send(publisher: Any, publication: Publication, *, recovering: bool) -> tuple[str, bool]:
    """(reference, whether it was delivered earlier). When recovering a claim left by a
    crash, a delivery the publisher already holds is not repeated."""
    if recovering:
        delivered = getattr(publisher, "delivered", None)
        earlier = delivered(publication) if delivered is not None else None
        if earlier:
            return str(earlier), True
    return str(publisher.publish(publication)), False
