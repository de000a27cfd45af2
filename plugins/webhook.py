"""Publisher and notifier `webhook`: POST JSON to a URL, retrying with backoff.

The publisher sends the approved Publication (the exact text, its SHA-256 and who
approved it); the notifier sends Slack-compatible `{"text": ...}` plus a `sayso`
object with the details. A non-2xx answer or a connection error is retried
`retries` times; after that a one-line PublishError reaches the workflow, which
records it and tries again on the next `sayso tick`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from engine.hookspecs import PublishError, hookimpl

if TYPE_CHECKING:
    from engine.deliveryspecs import Notification, NotifierSpec, Publication, PublisherSpec

OPTIONS = {
    "url": {"type": "string", "required": True, "regex": r"https?://\S+"},
    "headers": {"type": "dict", "keysrules": {"type": "string"}, "valuesrules": {"type": "string"}},
    "timeout": {"type": "number", "min": 0.1, "max": 120},
    "retries": {"type": "integer", "min": 0, "max": 10},
    "backoff": {"type": "number", "min": 0, "max": 60},
}


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


@cache
def _opener():
    """An opener that does not follow redirects (built on first use: urllib is slow to
    import, and most commands never send a webhook)."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        """A redirect is an answer, not a success: urllib would resend a POST as a GET."""

        def redirect_request(self, req, fp, code, msg, headers, newurl):
            return None

    return urllib.request.build_opener(NoRedirect)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


class Webhook:
    """One URL; `post(payload)` returns the HTTP status of the first 2xx answer."""

    def __init__(self, url: str, headers=None, timeout=5.0, retries=3, backoff=0.5):
        self.url = url
        self.headers = {
            "Content-Type": "application/json",
            "User-Agent": "sayso",
            **(headers or {}),
        }
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)

    def post(self, payload: dict[str, Any], extra_headers: dict[str, str] | None = None) -> int:
        import urllib.error
        import urllib.request

        body = json.dumps(payload, default=_json_default, ensure_ascii=False).encode("utf-8")
        headers = {**self.headers, **(extra_headers or {})}
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(self.url, data=body, headers=headers)
            try:
                with _opener().open(request, timeout=self.timeout) as response:
                    return response.status
            except urllib.error.HTTPError as err:
                err.close()
                problem = f"HTTP {err.code}"
                if 300 <= err.code < 500 and err.code not in (408, 429):
                    break  # a redirect or a refusal: repeating will not help
            except (urllib.error.URLError, OSError) as err:
                reason = getattr(err, "reason", err)
                problem = f"cannot reach {self.url}: {_one_line(reason)}"
        tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
        raise PublishError(f"webhook {self.url} failed after {tries}: {problem}")


class WebhookPublisher(Webhook):
    """Sends `Idempotency-Key` with every delivery: after a crash the same post may be
    sent again with the same key, which the receiver uses to drop the repeat."""

    def publish(self, publication: Publication) -> str:
        payload = asdict(publication)
        payload["approved_by"] = list(publication.approved_by)
        key = publication.idempotency_key
        return f"webhook:{self.post(payload, {'Idempotency-Key': key} if key else None)}"


class WebhookNotifier(Webhook):
    def notify(self, notification: Notification) -> None:
        self.post(
            {
                "text": f"{notification.subject}\n{notification.body}",
                "sayso": {
                    "event": notification.event,
                    "submission_id": notification.submission_id,
                    "recipients": [asdict(r) for r in notification.recipients],
                    "details": notification.details,
                },
            }
        )


@hookimpl
def register_publishers() -> list[PublisherSpec]:
    from engine.deliveryspecs import PublisherSpec  # not needed by a decision

    return [
        PublisherSpec(
            name="webhook",
            build=lambda options: WebhookPublisher(**options),
            options_schema=OPTIONS,
            description="POST each approved post as JSON to a URL, with retries.",
        )
    ]


@hookimpl
def register_notifiers() -> list[NotifierSpec]:
    from engine.deliveryspecs import NotifierSpec  # not needed by a decision

    return [
        NotifierSpec(
            name="webhook",
            build=lambda options: WebhookNotifier(**options),
            options_schema=OPTIONS,
            description="POST Slack-compatible JSON messages to a URL.",
        )
    ]
