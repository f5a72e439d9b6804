"""Alerts: a webhook (``NEWSDESK_ALERT_WEBHOOK``) and e-mail (``NEWSDESK_ALERT_SMTP``).

Sent once when a problem opens and once when it clears (models.health.update_problems says
which). The webhook gets a JSON POST ``{"text": ...}``, the payload Slack's incoming webhooks
(and Mattermost, Rocket.Chat, Teams' Slack-compatible connectors) read. The SMTP target is a URL::

    smtp://user:password@mail.example.com:587/?from=newsdesk@example.com&to=ops@example.com&starttls=1
    smtps://user:password@mail.example.com:465/?from=...&to=a@example.com,b@example.com

Never in a message or a log line: the webhook URL (a Slack webhook URL is itself a secret) and
the SMTP user and password; failures name only the host.

Hand-written on the standard library (urllib, smtplib, email): Spidermon's Slack and e-mail
actions fire on every failed run, with no memory of what was already announced, and each
needs its own settings; these two calls are all the delivery needs.
"""
from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from .figures import LABELS

logger = logging.getLogger("newsdesk.health")
TIMEOUT = 15.0


class AlertConfigError(ValueError):
    """A bad NEWSDESK_ALERT_* value; the message never contains the value's secrets."""


def problem_label(kind: str) -> str:
    if kind.startswith("coverage:"):
        field_name = kind.split(":", 1)[1]
        return LABELS.get("comments_per_article" if field_name == "comments" else f"{field_name}_coverage", kind)
    if kind.startswith("rule:"):
        return f"{kind.split(':', 1)[1]} rule"
    return {"new_articles": "new articles", "error_rate": "error rate", "stalled": "stall",
            "overdue": "schedule"}.get(kind, kind.removeprefix("monitor:"))


def alert_text(change) -> str:
    """One message for one check: what opened, what cleared."""
    run = f" (run {change.run_id})" if change.run_id else ""
    lines = []
    if change.opened:
        lines.append(f"newsdesk: site {change.site!r} is degraded{run}")
        lines += [f"- {message}" for _, message in change.opened]
    if change.cleared:
        what = ", ".join(problem_label(kind) for kind, _ in change.cleared)
        lines.append(f"newsdesk: site {change.site!r} recovered{run}: {what} back to normal")
    return "\n".join(lines)


@dataclass(frozen=True)
class SmtpTarget:
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    recipients: tuple[str, ...]
    starttls: bool

    @classmethod
    def parse(cls, url: str) -> "SmtpTarget":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise AlertConfigError("NEWSDESK_ALERT_SMTP must look like smtp://[user:password@]host[:port]/?from=..&to=.."
                                   " (or smtps://)")
        query = parse_qs(parts.query)
        sender = (query.get("from") or [""])[0]
        recipients = tuple(a.strip() for v in query.get("to", []) for a in v.split(",") if a.strip())
        if not sender or not recipients:
            raise AlertConfigError(f"NEWSDESK_ALERT_SMTP (host {parts.hostname}) needs ?from=ADDRESS&to=ADDRESS[,ADDRESS]")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise AlertConfigError(f"NEWSDESK_ALERT_SMTP (host {parts.hostname}): bad port") from None
        starttls = (query.get("starttls") or ["0"])[0].lower() in ("1", "true", "yes")
        return cls(parts.scheme, parts.hostname, port, unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None, sender, recipients, starttls)

    def send(self, subject: str, text: str) -> None:
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, self.sender, ", ".join(self.recipients)
        message.set_content(text)
        if self.scheme == "smtps":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        with client:
            if self.starttls:
                client.starttls(context=ssl.create_default_context())
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(message)


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


@dataclass(frozen=True)
class Alerts:
    webhook: str | None = None
    smtp: SmtpTarget | None = None

    @classmethod
    def from_env(cls, env=None) -> "Alerts":
        env = os.environ if env is None else env
        webhook = (env.get("NEWSDESK_ALERT_WEBHOOK") or "").strip() or None
        if webhook and urlsplit(webhook).scheme not in ("http", "https"):
            raise AlertConfigError("NEWSDESK_ALERT_WEBHOOK must be an http(s) URL")
        smtp_url = (env.get("NEWSDESK_ALERT_SMTP") or "").strip()
        return cls(webhook, SmtpTarget.parse(smtp_url) if smtp_url else None)

    def __bool__(self) -> bool:
        return bool(self.webhook or self.smtp)

    def send(self, change) -> list[str]:
        """Deliver one alert for ``change`` on every channel; returns what failed (safe to log)."""
        if not change or not self:
            return []
        text = alert_text(change)
        failures = []
        if self.webhook:
            try:
                request = urllib.request.Request(self.webhook, data=json.dumps({"text": text}).encode("utf-8"),
                                                 headers={"Content-Type": "application/json"}, method="POST")
                with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                    response.read()
            except Exception as exc:  # noqa: BLE001 - any failure: logged by host, the crawl goes on
                failures.append(f"webhook (host {_host(self.webhook)}): {self._safe(exc)}")
        if self.smtp:
            try:
                self.smtp.send(text.splitlines()[0], text)
            except Exception as exc:  # noqa: BLE001
                failures.append(f"e-mail (host {self.smtp.host}): {self._safe(exc)}")
        for failure in failures:
            logger.warning("alert not delivered by %s", failure)
        return failures

    def _safe(self, exc: Exception) -> str:
        """The exception's description without any secret: the webhook URL, the SMTP password."""
        text = f"{type(exc).__name__}: {exc}"
        for secret in (self.webhook, self.smtp and self.smtp.password, self.smtp and self.smtp.user):
            if secret:
                text = text.replace(secret, "***")
        return text[:300]
