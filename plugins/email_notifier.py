"""Notifier `email`: one SMTP message per notification to every recipient with an address.

A failure (unreachable server, refused login, no STARTTLS) raises a one-line
PublishError, which the workflow records and retries on the next `sayso tick`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.hookspecs import PublishError, hookimpl

if TYPE_CHECKING:
    from engine.deliveryspecs import Notification, NotifierSpec

OPTIONS = {
    "host": {"type": "string", "empty": False},
    "port": {"type": "integer", "min": 1, "max": 65535},
    "sender": {"type": "string", "required": True, "regex": r"[^@\s]+@[^@\s]+"},
    "starttls": {"type": "boolean"},
    "username": {"type": "string"},
    "password": {"type": "string"},
    "timeout": {"type": "number", "min": 0.1, "max": 120},
}


class EmailNotifier:
    def __init__(
        self,
        sender: str,
        host: str = "localhost",
        port: int = 25,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ):
        self.sender, self.host, self.port = sender, host, int(port)
        self.starttls, self.username, self.password = starttls, username, password
        self.timeout = float(timeout)

    def notify(self, notification: Notification) -> None:
        to = list(dict.fromkeys(r.email for r in notification.recipients if r.email))
        if not to:
            return
        import smtplib  # here, not at import: loading the plugin must stay cheap
        import ssl
        from email.message import EmailMessage
        from email.utils import formatdate, make_msgid

        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(to)
        message["Subject"] = notification.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[-1])
        message["X-Sayso-Event"] = notification.event
        message["X-Sayso-Submission"] = notification.submission_id
        message.set_content(notification.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as err:
            problem = " ".join(str(err).split()) or type(err).__name__
            raise PublishError(
                f"email to {', '.join(to)} via {self.host}:{self.port}: {problem}"
            ) from None


@hookimpl
def register_notifiers() -> list[NotifierSpec]:
    from engine.deliveryspecs import NotifierSpec  # not needed by a decision

    return [
        NotifierSpec(
            name="email",
            build=lambda options: EmailNotifier(**options),
            options_schema=OPTIONS,
            description="Send escalation, approval and overdue messages by SMTP.",
        )
    ]
