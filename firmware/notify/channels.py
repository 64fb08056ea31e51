"""Delivering one notice over one channel; a failure raises DeliveryError with a message that is
safe to log and store (no password, no token)."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage

from firmware.notify.config import EmailChannel, SmsChannel

TIMEOUT = 10.0


class DeliveryError(RuntimeError):
    pass


def send_email(channel: EmailChannel, subject: str, text: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = channel.sender, ", ".join(channel.to), subject
    message.set_content(text)
    try:
        if channel.security == "tls":
            smtp = smtplib.SMTP_SSL(channel.host, channel.port, timeout=TIMEOUT,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(channel.host, channel.port, timeout=TIMEOUT)
        with smtp:
            if channel.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if channel.username:
                smtp.login(channel.username, channel.password)
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"e-mail via {channel.host}:{channel.port}: login refused ({exc.smtp_code})") from None
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"e-mail via {channel.host}:{channel.port}: {type(exc).__name__}: {exc}") from None


def send_sms(channel: SmsChannel, text: str) -> None:
    if not channel.url:
        raise DeliveryError("no SMS gateway address: the SMS service sends these")
    for number in channel.to:
        body = {"to": number, "text": text, **({"from": channel.sender} if channel.sender else {})}
        request = urllib.request.Request(channel.url, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        if channel.token:
            request.add_header("Authorization", f"Bearer {channel.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"SMS gateway answered {exc.code} for {number}") from None
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"SMS gateway {channel.url.split('?')[0]} unreachable: {reason}") from None
