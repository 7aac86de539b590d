"""E-mail delivery over SMTP (aiosmtplib): plain text, one message per recipient."""

import hashlib
from email.message import EmailMessage

import aiosmtplib

from services.notify.settings import NotifySettings


async def send_mail(settings: NotifySettings, to: str, subject: str, text: str, key: str) -> str:
    """Sends one message; raises on failure. Returns the server's reply for the log. The
    Message-ID is the same for every attempt of one delivery, so a repeat can be dropped."""
    message = EmailMessage()
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@pkc-notify>"
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    _errors, reply = await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        start_tls=settings.smtp_starttls,
        timeout=10,
    )
    return reply[:200]
