"""The local mailbox: every e-mail sent through (moto) SES, with the time it was sent.

Records messages at send time by wrapping moto's SES backend, so the list keeps its order and
timestamps; SES v1 and v2 share that backend.
"""

from __future__ import annotations

import email
import threading
from datetime import datetime, timezone
from email import policy
from typing import Any

_lock = threading.Lock()
_messages: list[dict[str, Any]] = []
_installed = False


def _record(to: list[str], subject: str, text: str, html: str | None = None) -> None:
    with _lock:
        _messages.append(
            {
                "to": to,
                "subject": subject,
                "text": text,
                "html": html,
                "sentAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            }
        )


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.ses.models import SESBackend

    original_send = SESBackend.send_email
    original_raw = SESBackend.send_raw_email

    def send_email(self, source, subject, body, destinations, *args, **kwargs):
        msg = original_send(self, source, subject, body, destinations, *args, **kwargs)
        to = list(destinations.get("ToAddresses", [])) + list(destinations.get("CcAddresses", []))
        _record(to, subject, body)
        return msg

    def send_raw_email(self, source, destinations, raw_data, *args, **kwargs):
        msg = original_raw(self, source, destinations, raw_data, *args, **kwargs)
        parsed = email.message_from_string(raw_data, policy=policy.default)
        text_part = parsed.get_body(preferencelist=("plain",))
        html_part = parsed.get_body(preferencelist=("html",))
        to = list(dict.fromkeys(destinations or [a.strip() for a in str(parsed.get("To", "")).split(",") if a]))
        _record(
            to,
            str(parsed.get("Subject", "")),
            text_part.get_content() if text_part else "",
            html_part.get_content() if html_part else None,
        )
        return msg

    SESBackend.send_email = send_email
    SESBackend.send_raw_email = send_raw_email
    _installed = True


def messages() -> list[dict[str, Any]]:
    with _lock:
        return [dict(m) for m in _messages]


def clear() -> None:
    with _lock:
        _messages.clear()
